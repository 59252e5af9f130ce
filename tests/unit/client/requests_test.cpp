#include "jobd/client/requests.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include "jobd/model/error.hpp"

namespace jobd::client {
namespace {

namespace json = boost::json;

// Runs `build` and returns the field of the jobd::Error it throws ("" if none is thrown).
template <typename Build>
std::string FieldOfError(Build build, ErrorKind expected_kind = ErrorKind::InvalidParameter) {
    try {
        build();
    } catch (const Error& error) {
        EXPECT_EQ(error.kind(), expected_kind) << error.what();
        return error.field();
    }
    return "";
}

struct FieldCase {
    std::string text;
    std::string key;
    std::string json_value;
};

TEST(ParseField, ReadsTextAndJsonValues) {
    const FieldCase cases[] = {
        {"publishType=Full", "publishType", R"("Full")"},
        {"emailSetting=", "emailSetting", R"("")"},
        {"httpCompletionUrl=http://h/x?a=b", "httpCompletionUrl", R"("http://h/x?a=b")"},
        {"forcePublish:=true", "forcePublish", "true"},
        {"numUrls:=3", "numUrls", "3"},
        {"note:=\"x=y\"", "note", R"("x=y")"},
        {R"(urlArray:=[{"sourceUrl":"http://h/a.jpg"}])",
         "urlArray",
         R"([{"sourceUrl":"http://h/a.jpg"}])"},
        {"123=4", "123", R"("4")"},
    };
    for (const FieldCase& c : cases) {
        const Field field = ParseField(c.text, "--field");
        EXPECT_EQ(field.key, c.key) << c.text;
        EXPECT_EQ(field.value, json::parse(c.json_value)) << c.text;
    }
}

TEST(ParseField, RejectsMalformedFieldsNamingTheFlag) {
    for (const std::string text : {"", "novalue", "=x", ":=1", "k:=notjson", "k:={", "k:="}) {
        EXPECT_EQ(FieldOfError([&] { ParseField(text, "--field"); }), "--field") << text;
    }
}

struct HandleCase {
    std::string company;
    std::string text;
    std::string expected;  // the handle, or the field of the error
};

TEST(ResolveJobHandle, TurnsNamesIntoHandlesAndKeepsHandles) {
    const HandleCase cases[] = {
        {"47", "My Test Job", "47|My Test Job|"},
        {"47", "47|My Test Job|", "47|My Test Job|"},
        {"1", "Nightly-backup_2", "1|Nightly-backup_2|"},
    };
    for (const HandleCase& c : cases) {
        EXPECT_EQ(ResolveJobHandle(c.company, c.text), c.expected) << c.text;
    }
}

TEST(ResolveJobHandle, RejectsWhatIsNeitherNameNorHandle) {
    const HandleCase cases[] = {
        {"47", "48|Other|", "JOBHANDLE"},           // another company's job
        {"47", "47|My Test Job|812", "JOBHANDLE"},  // a run, not a job
        {"47", "a|b", "JOBHANDLE"},
        {"47", "", "JOBHANDLE"},
        {"47", "line\nbreak", "JOBHANDLE"},
        {"abc", "My Test Job", "COMPANY"},
        {"", "My Test Job", "COMPANY"},
        {"c|6", "My Test Job", "COMPANY"},
    };
    for (const HandleCase& c : cases) {
        EXPECT_EQ(FieldOfError([&] { ResolveJobHandle(c.company, c.text); }), c.expected)
            << c.company << " " << c.text;
    }
}

TEST(ResolveLogHandle, KeepsRunHandlesAndResolvesJobs) {
    EXPECT_EQ(ResolveLogHandle("47", "47|My Test Job|812"), "47|My Test Job|812");
    EXPECT_EQ(ResolveLogHandle("47", "47|My Test Job|"), "47|My Test Job|");
    EXPECT_EQ(ResolveLogHandle("47", "My Test Job"), "47|My Test Job|");
    EXPECT_EQ(FieldOfError([] { ResolveLogHandle("47", "48|My Test Job|812"); }), "HANDLE");
}

SubmitOptions CommandJob() {
    SubmitOptions options;
    options.company = "47";
    options.name = "Nightly";
    options.command = {"/usr/bin/backup", "--full"};
    return options;
}

SubmitOptions TypedJob() {
    SubmitOptions options;
    options.company = "47";
    options.name = "My Test Job";
    options.job_type = "imageServingPublishJob";
    options.fields = {"publishType=Full", "emailSetting=Error"};
    return options;
}

TEST(BuildSubmitJob, BuildsACommandJob) {
    SubmitOptions options = CommandJob();
    options.env = {"MODE=full", "EMPTY="};
    options.working_dir = "/srv";
    options.schedule = "0 0 2 * * ?";
    options.time_zone = "Europe/Berlin";
    options.overlap = "Queue";
    options.misfire = "Skip";
    options.timeout_seconds = 600;
    options.max_retries = 3;
    options.backoff_seconds = 30;
    options.description = "backup";
    EXPECT_EQ(BuildSubmitJob(options), json::parse(R"({
        "companyHandle": "47", "jobName": "Nightly", "description": "backup",
        "execSchedule": "0 0 2 * * ?", "timeZone": "Europe/Berlin", "overlap": "Queue",
        "misfire": "Skip", "timeoutSeconds": 600, "maxRetries": 3, "retryBackoffSeconds": 30,
        "commandJob": {"argv": ["/usr/bin/backup", "--full"],
                       "env": {"MODE": "full", "EMPTY": ""}, "workingDir": "/srv"}})"));
}

TEST(BuildSubmitJob, BuildsAnIpsJobTypeWithOnlyTheGivenFields) {
    SubmitOptions options = TypedJob();
    options.at = "2026-03-08T02:30:00-05:00";
    EXPECT_EQ(BuildSubmitJob(options), json::parse(R"({
        "companyHandle": "47", "jobName": "My Test Job", "execTime": "2026-03-08T02:30:00-05:00",
        "imageServingPublishJob": {"publishType": "Full", "emailSetting": "Error"}})"));
}

TEST(BuildSubmitJob, CommandJobAlwaysCarriesEnv) {
    const json::object request = BuildSubmitJob(CommandJob());
    EXPECT_EQ(request.at("commandJob").at("env"), json::object());
    EXPECT_FALSE(request.contains("execTime"));
    EXPECT_FALSE(request.contains("execSchedule"));
}

struct SubmitErrorCase {
    std::string why;
    SubmitOptions options;
    std::string field;
    ErrorKind kind = ErrorKind::InvalidParameter;
};

std::vector<SubmitErrorCase> SubmitErrorCases() {
    std::vector<SubmitErrorCase> cases;
    auto add = [&](std::string why,
                   auto change,
                   std::string field,
                   ErrorKind kind = ErrorKind::InvalidParameter) {
        SubmitOptions options = why.starts_with("typed") ? TypedJob() : CommandJob();
        change(options);
        cases.push_back({std::move(why), std::move(options), std::move(field), kind});
    };
    add(
        "no payload",
        [](SubmitOptions& o) { o.command.clear(); },
        "--command",
        ErrorKind::MissingParameter);
    add(
        "two payloads",
        [](SubmitOptions& o) { o.job_type = "exportJob"; },
        "--command",
        ErrorKind::MissingParameter);
    add(
        "field on a command", [](SubmitOptions& o) { o.fields = {"a=b"}; }, "--field");
    add(
        "bad env", [](SubmitOptions& o) { o.env = {"NOEQUALS"}; }, "--env");
    add(
        "typed with env", [](SubmitOptions& o) { o.env = {"A=B"}; }, "--env");
    add(
        "typed with workdir", [](SubmitOptions& o) { o.working_dir = "/"; }, "--env");
    add(
        "typed commandJob", [](SubmitOptions& o) { o.job_type = "commandJob"; }, "--type");
    add(
        "typed no Job suffix", [](SubmitOptions& o) { o.job_type = "publish"; }, "--type");
    add(
        "typed capitalised", [](SubmitOptions& o) { o.job_type = "ExportJob"; }, "--type");
    add(
        "typed duplicate",
        [](SubmitOptions& o) { o.fields.push_back("publishType=Full"); },
        "--field");
    add(
        "typed bad field", [](SubmitOptions& o) { o.fields = {"x"}; }, "--field");
    add(
        "overlap case", [](SubmitOptions& o) { o.overlap = "forbid"; }, "--overlap");
    add(
        "misfire", [](SubmitOptions& o) { o.misfire = "Never"; }, "--misfire");
    add(
        "at and schedule",
        [](SubmitOptions& o) {
            o.at = "2026-01-01T00:00:00Z";
            o.schedule = "@daily";
        },
        "--at");
    add(
        "name with bar", [](SubmitOptions& o) { o.name = "a|b"; }, "NAME");
    add(
        "empty name", [](SubmitOptions& o) { o.name.clear(); }, "NAME");
    add(
        "company", [](SubmitOptions& o) { o.company = "acme"; }, "COMPANY");
    return cases;
}

TEST(BuildSubmitJob, RejectsBadOptionsNamingTheFlag) {
    for (const SubmitErrorCase& c : SubmitErrorCases()) {
        EXPECT_EQ(FieldOfError([&] { BuildSubmitJob(c.options); }, c.kind), c.field) << c.why;
    }
}

TEST(BuildJobAction, ResolvesTheJob) {
    EXPECT_EQ(BuildJobAction("47", "My Test Job"),
              json::parse(R"({"companyHandle": "47", "jobHandle": "47|My Test Job|"})"));
}

TEST(BuildJobQuery, CompanyIsOptional) {
    EXPECT_EQ(BuildJobQuery(std::nullopt), json::object());
    EXPECT_EQ(BuildJobQuery("47"), json::parse(R"({"companyHandle": "47"})"));
    EXPECT_EQ(FieldOfError([] { BuildJobQuery("x"); }), "COMPANY");
}

TEST(BuildGetJobLogs, MapsFlagsToIpsFields) {
    LogsOptions options;
    EXPECT_EQ(BuildGetJobLogs(options), json::object());
    options.company = "47";
    options.rows = 20;
    options.sort_by = "StartDate";
    options.descending = true;
    options.since = "2026-01-01T00:00:00Z";
    options.until = "2026-02-01T00:00:00Z";
    EXPECT_EQ(BuildGetJobLogs(options), json::parse(R"({
        "companyHandle": "47", "numRows": 20, "sortBy": "StartDate",
        "sortDirection": "Descending", "startDate": "2026-01-01T00:00:00Z",
        "endDate": "2026-02-01T00:00:00Z"})"));
}

TEST(BuildGetJobLogs, RejectsDatesThatDoNotParse) {
    LogsOptions since;
    since.since = "yesterday";
    EXPECT_EQ(FieldOfError([&] { BuildGetJobLogs(since); }), "--since");
    LogsOptions until;
    until.until = "2026-13-01T00:00:00Z";
    EXPECT_EQ(FieldOfError([&] { BuildGetJobLogs(until); }), "--until");
}

TEST(BuildGetJobLogDetails, MapsFlagsToIpsFields) {
    LogDetailsOptions options;
    options.company = "47";
    options.handle = "47|My Test Job|812";
    EXPECT_EQ(BuildGetJobLogDetails(options),
              json::parse(R"({"companyHandle": "47", "jobHandle": "47|My Test Job|812"})"));
    options.handle = "My Test Job";
    options.page = 2;
    options.per_page = 50;
    options.log_types = {"Output", "ErrorOutput"};
    EXPECT_EQ(BuildGetJobLogDetails(options), json::parse(R"({
        "companyHandle": "47", "jobHandle": "47|My Test Job|", "resultsPage": 2,
        "recordsPerPage": 50, "logTypeArray": ["Output", "ErrorOutput"]})"));
}

TEST(BuildAddCompany, NeedsAName) {
    EXPECT_EQ(BuildAddCompany("Acme"), json::parse(R"({"companyName": "Acme"})"));
    EXPECT_EQ(FieldOfError([] { BuildAddCompany(""); }), "NAME");
}

AddUserOptions GoodUser() {
    return {"ops@example.com", "s3cret", "47", "IpsCompanyAdmin"};
}

TEST(BuildAddUser, SendsTheRoleAsDefaultRole) {
    EXPECT_EQ(BuildAddUser(GoodUser()), json::parse(R"({
        "email": "ops@example.com", "password": "s3cret", "companyHandle": "47",
        "defaultRole": "IpsCompanyAdmin"})"));
}

TEST(BuildAddUser, RejectsBadValues) {
    AddUserOptions bad_role = GoodUser();
    bad_role.role = "Admin";
    EXPECT_EQ(FieldOfError([&] { BuildAddUser(bad_role); }), "--role");
    AddUserOptions bad_email = GoodUser();
    bad_email.email = "ops";
    EXPECT_EQ(FieldOfError([&] { BuildAddUser(bad_email); }), "EMAIL");
    AddUserOptions no_password = GoodUser();
    no_password.password.clear();
    EXPECT_EQ(FieldOfError([&] { BuildAddUser(no_password); }, ErrorKind::MissingParameter),
              "password");
    AddUserOptions bad_company = GoodUser();
    bad_company.company = "";
    EXPECT_EQ(FieldOfError([&] { BuildAddUser(bad_company); }), "COMPANY");
}

}  // namespace
}  // namespace jobd::client
