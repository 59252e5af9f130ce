// End to end: every operation over SOAP and over JSON against the real jobd and PostgreSQL, each
// with its fault cases (contract §5, ips-jobs-api §1, §3, §5, §6; issue #4). One table of
// requests drives both encodings: a request is a JSON object, sent as is or as IPS XML. SOAP calls
// rotate through the request forms IPS clients use (bare or enveloped; pre-4.0, dated and beta
// namespaces; authHeader or HTTP Basic), and every SOAP answer must come back in the namespace of
// its request.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>
#include <pugixml.hpp>

#include "e2e/jobd/daemon_fixture.hpp"

namespace jobd::test {
namespace {

namespace json = boost::json;

constexpr const char* kEnvelopeNamespace = "http://schemas.xmlsoap.org/soap/envelope/";
constexpr const char* kPre40Namespace = "http://www.scene7.com/IpsApi/xsd";
constexpr const char* kPassword = "secret-password";
constexpr const char* kAdmin = "admin@example.com";
constexpr const char* kUser = "user@example.com";      // IpsUser in 47
constexpr const char* kPortal = "portal@example.com";  // ImagePortalUser in 47
constexpr const char* kOther = "other@example.com";    // IpsCompanyAdmin in 48 only

enum class Encoding { Soap, Json };

// How a SOAP request is framed.
struct SoapForm {
    std::string ns;
    bool envelope = false;
    bool auth_header = false;  // else HTTP Basic; a bare request has no header to carry it
};

const std::vector<SoapForm>& SoapForms() {
    static const std::vector<SoapForm> forms{
        {kPre40Namespace, false, false},  // the seed example's form
        {"http://www.scene7.com/IpsApi/xsd/2014-04-03", true, true},
        {"http://www.scene7.com/IpsApi/xsd/2008-01-15", true, false},
        {"http://www.scene7.com/IpsApi/xsd/2012-02-14", false, false},
        {kPre40Namespace, true, true},
        {"http://www.scene7.com/IpsApi/xsd/2021-04-26-beta", true, true},
    };
    return forms;
}

std::string Escaped(std::string_view text) {
    std::string escaped;
    for (const char c : text) {
        switch (c) {
            case '<': escaped += "&lt;"; break;
            case '>': escaped += "&gt;"; break;
            case '&': escaped += "&amp;"; break;
            default: escaped += c;
        }
    }
    return escaped;
}

// A JSON value as IPS XML: arrays as repeated <items>, objects as child elements.
void AppendXml(std::string& out,
               const std::string& prefix,
               std::string_view name,
               const json::value& value) {
    const std::string tag = prefix + std::string(name);
    out += "<" + tag + ">";
    if (value.is_array()) {
        for (const auto& item : value.as_array()) {
            AppendXml(out, prefix, "items", item);
        }
    } else if (value.is_object()) {
        for (const auto& field : value.as_object()) {
            AppendXml(out, prefix, field.key(), field.value());
        }
    } else if (value.is_string()) {
        out += Escaped(value.as_string());
    } else {
        out += json::serialize(value);
    }
    out += "</" + tag + ">";
}

std::string SoapBody(const std::string& operation,
                     const json::object& params,
                     const SoapForm& form,
                     const std::string& user) {
    const std::string prefix = form.envelope ? "t:" : "";
    std::string param = "<" + prefix + operation + "Param";
    param += form.envelope ? ">" : " xmlns=\"" + form.ns + "\">";
    for (const auto& field : params) {
        AppendXml(param, prefix, field.key(), field.value());
    }
    param += "</" + prefix + operation + "Param>";
    if (!form.envelope) {
        return param;
    }
    std::string header;
    if (form.auth_header && !user.empty()) {
        // authHeader is always in the pre-4.0 namespace (ips-jobs-api §1).
        header = "<soapenv:Header><authHeader xmlns=\"" + std::string(kPre40Namespace) +
                 "\"><user>" + user + "</user><password>" + kPassword +
                 "</password></authHeader></soapenv:Header>";
    }
    return "<?xml version=\"1.0\" encoding=\"UTF-8\"?><soapenv:Envelope xmlns:soapenv=\"" +
           std::string(kEnvelopeNamespace) + "\" xmlns:t=\"" + form.ns + "\">" + header +
           "<soapenv:Body>" + param + "</soapenv:Body></soapenv:Envelope>";
}

// An XML answer element as JSON, the way IPS shapes it: <items> children make an array, other
// children an object, a leaf a string; an empty <…Array/> is an empty array.
json::value ToJson(const pugi::xml_node& element) {
    std::vector<pugi::xml_node> children;
    for (const auto& child : element.children()) {
        if (child.type() == pugi::node_element) {
            children.push_back(child);
        }
    }
    const std::string name = element.name();
    if (children.empty()) {
        const std::string text = element.text().get();
        if (name.ends_with("Array") && text.empty()) {
            return json::array();
        }
        return json::string(text);
    }
    if (std::string(children.front().name()) == "items") {
        json::array items;
        for (const auto& child : children) {
            items.push_back(ToJson(child));
        }
        return items;
    }
    json::object fields;
    for (const auto& child : children) {
        fields[child.name()] = ToJson(child);
    }
    return fields;
}

// What a call answered, in either encoding.
struct Answer {
    int status = 0;
    json::object result;  // the return element's fields
    // A fault: its element (ipsApiFault, ...) and code; for SOAP also faultcode.
    std::string fault;
    int code = 0;
    std::string faultcode;
    // SOAP: the namespace of the return or fault detail element.
    std::string ns;
    std::string body;
};

std::ostream& operator<<(std::ostream& out, const Answer& answer) {
    return out << "HTTP " << answer.status << ": " << answer.body;
}

Answer FromSoap(const HttpAnswer& http) {
    Answer answer{http.status, {}, {}, 0, {}, {}, http.body};
    pugi::xml_document document;
    if (!document.load_string(http.body.c_str())) {
        ADD_FAILURE() << "the answer is not XML: " << http.body;
        return answer;
    }
    const auto envelope = document.child("soapenv:Envelope");
    EXPECT_STREQ(envelope.attribute("xmlns:soapenv").value(), kEnvelopeNamespace);
    const pugi::xml_node element = envelope.child("soapenv:Body").first_child();
    if (std::string(element.name()) == "soapenv:Fault") {
        answer.faultcode = element.child("faultcode").text().get();
        const pugi::xml_node detail = element.child("detail").first_child();
        answer.fault = detail.name();
        answer.code = detail.child("code").text().as_int();
        answer.ns = detail.attribute("xmlns").value();
        EXPECT_FALSE(element.child("faultstring").text().empty()) << http.body;
        EXPECT_FALSE(detail.child("reason").text().empty()) << http.body;
        return answer;
    }
    answer.ns = element.attribute("xmlns").value();
    const json::value fields = ToJson(element);
    if (fields.is_object()) {
        answer.result = fields.as_object();
    }
    return answer;
}

Answer FromJson(const HttpAnswer& http) {
    Answer answer{http.status, {}, {}, 0, {}, {}, http.body};
    boost::system::error_code ec;
    const json::value value = json::parse(http.body, ec);
    if (ec || !value.is_object()) {
        ADD_FAILURE() << "the answer is not a JSON object: " << http.body;
        return answer;
    }
    if (value.as_object().contains("fault")) {
        answer.fault = value.at("fault").as_string().c_str();
        answer.code = static_cast<int>(value.at("code").as_int64());
        EXPECT_FALSE(value.at("reason").as_string().empty()) << http.body;
        return answer;
    }
    answer.result = value.as_object();
    return answer;
}

// A leaf as text, whichever encoding delivered it.
std::string Text(const json::value& value) {
    if (value.is_string()) {
        return value.as_string().c_str();
    }
    return value.is_null() ? "" : json::serialize(value);
}

// The required fields of an IPS result type (ips-jobs-api §5, * fields) are all there.
void ExpectFields(const json::value& item,
                  const std::vector<std::string>& fields,
                  const std::string& type) {
    ASSERT_TRUE(item.is_object()) << type << ": " << json::serialize(item);
    for (const auto& field : fields) {
        EXPECT_TRUE(item.as_object().contains(field))
            << type << " lacks " << field << ": " << json::serialize(item);
    }
}

const std::vector<std::string> kActiveJobFields{"companyHandle",
                                                "jobHandle",
                                                "name",
                                                "originalName",
                                                "type",
                                                "state",
                                                "submitUserEmail",
                                                "serverName",
                                                "startDate",
                                                "triggerTime",
                                                "totalSize",
                                                "progress",
                                                "progressMessage",
                                                "lastProgressUpdate"};
const std::vector<std::string> kScheduledJobFields{"companyHandle",
                                                   "jobHandle",
                                                   "name",
                                                   "originalName",
                                                   "type",
                                                   "submitUserEmail",
                                                   "execSchedule",
                                                   "nextFireTime",
                                                   "timeZone",
                                                   "triggerState"};
const std::vector<std::string> kJobLogFields{"companyHandle",
                                             "jobHandle",
                                             "jobName",
                                             "originalJobName",
                                             "submitUserEmail",
                                             "logType",
                                             "jobSubType",
                                             "startDate",
                                             "endDate",
                                             "description",
                                             "fileSuccessCount",
                                             "fileErrorCount",
                                             "fileWarningCount",
                                             "fileDuplicateCount",
                                             "fileUpdateCount",
                                             "totalFileCount",
                                             "transferSuccessCount",
                                             "transferErrorCount",
                                             "transferWarningCount",
                                             "fatalError"};
const std::vector<std::string> kJobLogDetailFields{"logMessage", "logType", "dateCreated"};

// A fault case: the request, who sends it, and what must come back.
struct FaultCase {
    const char* name;
    json::object params;
    std::string user;
    const char* fault;
    int code;
    int json_status;
};

class OperationTest : public ::testing::TestWithParam<Encoding> {
protected:
    static void SetUpTestSuite() {
        daemon_ = std::make_unique<JobdProcess>("runs:\n  stop_grace: 1s\n");
        AddDemoCompany(*daemon_);
        daemon_->AddCompany(48, "Other");
        daemon_->AddUser(kUser, 47, "IpsUser");
        daemon_->AddUser(kPortal, 47, "ImagePortalUser");
        daemon_->AddUser(kOther, 48, "IpsCompanyAdmin");
        daemon_->Start();
    }

    static void TearDownTestSuite() { daemon_.reset(); }

    static bool IsSoap() { return GetParam() == Encoding::Soap; }

    // A name unique to this encoding, so the SOAP and JSON runs of a test do not meet.
    static std::string Name(const std::string& base) {
        return base + (IsSoap() ? "-soap" : "-json");
    }

    static std::string Handle(const std::string& base) { return "47|" + Name(base) + "|"; }

    static json::object Job(const std::string& base) {
        return {{"companyHandle", "47"}, {"jobHandle", Handle(base)}};
    }

    // Calls `operation` in the encoding under test; SOAP calls take the next request form.
    static Answer Call(const std::string& operation,
                       const json::object& params,
                       const std::string& user = kAdmin) {
        if (!IsSoap()) {
            return FromJson(daemon_->Json(operation, json::serialize(params), user, kPassword));
        }
        const SoapForm& form = SoapForms()[next_form_++ % SoapForms().size()];
        std::map<std::string, std::string> headers{{"Content-Type", "text/xml; charset=utf-8"}};
        if (!form.auth_header) {
            headers["Authorization"] = BasicAuth(user, kPassword);
        }
        if (form.envelope) {
            headers["SOAPAction"] = operation;  // accepted, never required
        }
        const Answer answer =
            FromSoap(daemon_->Post(form.envelope ? "/scene7/services/IpsApiService" : "/IpsApi",
                                   SoapBody(operation, params, form, user),
                                   headers));
        EXPECT_EQ(answer.ns, form.ns) << operation << ": answered in another namespace\n" << answer;
        return answer;
    }

    static json::object Ok(const std::string& operation,
                           const json::object& params,
                           const std::string& user = kAdmin) {
        const Answer answer = Call(operation, params, user);
        EXPECT_EQ(answer.status, 200) << operation << ": " << answer;
        EXPECT_EQ(answer.fault, "") << operation << ": " << answer;
        return answer.result;
    }

    static void ExpectFaults(const std::string& operation, const std::vector<FaultCase>& cases) {
        for (const auto& c : cases) {
            const Answer answer = Call(operation, c.params, c.user);
            EXPECT_EQ(answer.fault, c.fault) << operation << " " << c.name << ": " << answer;
            EXPECT_EQ(answer.code, c.code) << operation << " " << c.name << ": " << answer;
            if (IsSoap()) {
                // IPS: SOAP faults are HTTP 500; the caller's fault is soapenv:Client.
                EXPECT_EQ(answer.status, 500) << operation << " " << c.name;
                EXPECT_EQ(answer.faultcode, "soapenv:Client") << operation << " " << c.name;
            } else {
                EXPECT_EQ(answer.status, c.json_status) << operation << " " << c.name;
            }
        }
    }

    // Setup goes through JSON as the admin, whatever the encoding under test.
    static json::object Admin(const std::string& operation, const json::object& params) {
        const auto answer = daemon_->Json(operation, json::serialize(params), kAdmin, kPassword);
        EXPECT_EQ(answer.status, 200) << operation << ": " << answer.body;
        const json::value value = json::parse(answer.body);
        return value.is_object() ? value.as_object() : json::object();
    }

    static void SubmitCommand(const std::string& base,
                              json::array argv,
                              const std::string& overlap = "Forbid") {
        Admin("submitJob",
              {{"companyHandle", "47"},
               {"jobName", Name(base)},
               {"execSchedule", "0 0 0 1 1 ?"},
               {"overlap", overlap},
               {"commandJob", {{"argv", std::move(argv)}}}});
    }

    static std::string Execute(const std::string& base) {
        return Text(Admin("executeJob", Job(base)).at("runHandle"));
    }

    // The state of the job's latest run once it is `wanted`, or its last state at the deadline.
    static std::string WaitForState(const std::string& base, const std::string& wanted) {
        std::string state;
        WaitFor([&] {
            const json::object logs = Admin("getJobLogDetails", Job(base));
            state = Text(logs.at("jobLogArray").as_array().at(0).at("state"));
            return state == wanted;
        });
        return state;
    }

    static std::string WaitForEnd(const std::string& base) {
        std::string state;
        WaitFor([&] {
            const json::object logs = Admin("getJobLogDetails", Job(base));
            state = Text(logs.at("jobLogArray").as_array().at(0).at("state"));
            return state != "Queued" && state != "Running";
        });
        return state;
    }

    static std::string TriggerState(const std::string& base) {
        const json::object jobs = Admin("getScheduledJobs", Job(base));
        return Text(jobs.at("jobArray").as_array().at(0).at("triggerState"));
    }

    static std::unique_ptr<JobdProcess> daemon_;
    static std::size_t next_form_;
};

std::unique_ptr<JobdProcess> OperationTest::daemon_;
std::size_t OperationTest::next_form_ = 0;

TEST_P(OperationTest, SubmitJob) {
    const json::object created =
        Ok("submitJob",
           {{"companyHandle", "47"},
            {"jobName", Name("submit")},
            {"execSchedule", "0 0 0 1 1 ?"},
            {"description", "nightly publish"},
            {"imageServingPublishJob", {{"publishType", "Full"}, {"emailSetting", "Error"}}}});
    EXPECT_EQ(Text(created.at("jobHandle")), Handle("submit"));
    // An array and a map in the payload survive the encoding.
    const json::object command =
        Ok("submitJob",
           {{"companyHandle", "47"},
            {"jobName", Name("submit-command")},
            {"execSchedule", "@daily"},
            {"commandJob", {{"argv", {"/bin/echo", "a b"}}, {"env", {{"LANG", "C.UTF-8"}}}}}});
    EXPECT_EQ(Text(command.at("jobHandle")), Handle("submit-command"));
    const json::object listed = Admin("getScheduledJobs", Job("submit-command"));
    const auto& payload = listed.at("jobArray").at(0).at("commandJob");
    EXPECT_EQ(payload.at("argv"), (json::array{"/bin/echo", "a b"}));
    EXPECT_EQ(payload.at("env").at("LANG"), "C.UTF-8");

    const json::object publish{{"publishType", "Full"}, {"emailSetting", "Error"}};
    ExpectFaults("submitJob",
                 {
                     {"duplicate name",
                      {{"companyHandle", "47"},
                       {"jobName", Name("submit")},
                       {"imageServingPublishJob", publish}},
                      kAdmin,
                      "ipsApiFault",
                      30001,
                      409},
                     {"execTime and execSchedule",
                      {{"companyHandle", "47"},
                       {"jobName", Name("both")},
                       {"execTime", "2030-01-01T00:00:00Z"},
                       {"execSchedule", "@daily"},
                       {"imageServingPublishJob", publish}},
                      kAdmin,
                      "ipsApiFault",
                      30001,
                      400},
                     {"bad schedule",
                      {{"companyHandle", "47"},
                       {"jobName", Name("bad")},
                       {"execSchedule", "0 0 0 32 * ?"},
                       {"imageServingPublishJob", publish}},
                      kAdmin,
                      "ipsApiFault",
                      30001,
                      400},
                     {"missing jobName",
                      {{"companyHandle", "47"}, {"imageServingPublishJob", publish}},
                      kAdmin,
                      "ipsApiFault",
                      30002,
                      400},
                     {"commandJob by an IpsUser",
                      {{"companyHandle", "47"},
                       {"jobName", Name("cmd")},
                       {"commandJob", {{"argv", {"/bin/true"}}}}},
                      kUser,
                      "authorizationFault",
                      20003,
                      403},
                     {"company not mine",
                      {{"companyHandle", "47"},
                       {"jobName", Name("not-mine")},
                       {"imageServingPublishJob", publish}},
                      kOther,
                      "authorizationFault",
                      20006,
                      403},
                 });
}

TEST_P(OperationTest, ExecuteJob) {
    SubmitCommand("execute", {"/bin/sh", "-c", "echo executed"});
    const json::object answer = Ok("executeJob", Job("execute"));
    if (IsSoap()) {
        EXPECT_TRUE(answer.empty()) << json::serialize(answer);  // IPS: an empty executeJobReturn
    } else {
        EXPECT_TRUE(Text(answer.at("runHandle")).starts_with(Handle("execute")));
    }
    EXPECT_EQ(WaitForEnd("execute"), "Succeeded");
    ExpectFaults(
        "executeJob",
        {
            {"unknown job",
             {{"companyHandle", "47"}, {"jobHandle", "47|no such job|"}},
             kAdmin,
             "ipsApiFault",
             30001,
             404},
            {"not a handle",
             {{"companyHandle", "47"}, {"jobHandle", "garbage"}},
             kAdmin,
             "ipsApiFault",
             30001,
             400},
            {"missing jobHandle", {{"companyHandle", "47"}}, kAdmin, "ipsApiFault", 30002, 400},
            {"portal user", Job("execute"), kPortal, "authorizationFault", 20003, 403},
            {"handle of another company",
             {{"companyHandle", "47"}, {"jobHandle", "48|x|"}},
             kAdmin,
             "authorizationFault",
             20006,
             403},
            // The job's row stands for its company's (JobOfRequest): with no job, the company
            // is still looked up, for IpsAdmin too.
            {"unknown company, IpsAdmin",
             {{"companyHandle", "4711"}, {"jobHandle", "4711|x|"}},
             kAdmin,
             "authorizationFault",
             20000,
             403},
            {"unknown company",
             {{"companyHandle", "4711"}, {"jobHandle", "4711|x|"}},
             kUser,
             "authorizationFault",
             20000,
             403},
        });
}

TEST_P(OperationTest, StopJob) {
    SubmitCommand("stop", {"/bin/sh", "-c", "sleep 60"});
    Execute("stop");
    ASSERT_EQ(WaitForState("stop", "Running"), "Running");
    EXPECT_TRUE(Ok("stopJob", Job("stop")).empty());
    EXPECT_EQ(WaitForEnd("stop"), "Stopped");
    ExpectFaults("stopJob",
                 {
                     {"nothing running", Job("stop"), kAdmin, "ipsApiFault", 30001, 409},
                     {"unknown job",
                      {{"companyHandle", "47"}, {"jobHandle", "47|none|"}},
                      kAdmin,
                      "ipsApiFault",
                      30001,
                      404},
                     {"not a member", Job("stop"), kOther, "authorizationFault", 20006, 403},
                 });
}

TEST_P(OperationTest, PauseJob) {
    SubmitCommand("pause", {"/bin/true"});
    EXPECT_TRUE(Ok("pauseJob", Job("pause")).empty());
    EXPECT_EQ(TriggerState("pause"), "Paused");
    ExpectFaults("pauseJob",
                 {
                     {"already paused", Job("pause"), kAdmin, "ipsApiFault", 30001, 409},
                     {"portal user", Job("pause"), kPortal, "authorizationFault", 20003, 403},
                 });
}

TEST_P(OperationTest, ResumeJob) {
    SubmitCommand("resume", {"/bin/true"});
    Admin("pauseJob", Job("resume"));
    EXPECT_TRUE(Ok("resumeJob", Job("resume"), kUser).empty());
    EXPECT_EQ(TriggerState("resume"), "Normal");
    ExpectFaults("resumeJob",
                 {
                     {"not paused", Job("resume"), kAdmin, "ipsApiFault", 30001, 409},
                     {"unknown company",
                      {{"companyHandle", "4711"}, {"jobHandle", "4711|x|"}},
                      kUser,
                      "authorizationFault",
                      20000,
                      403},
                 });
}

TEST_P(OperationTest, DeleteJob) {
    SubmitCommand("delete", {"/bin/true"});
    EXPECT_TRUE(Ok("deleteJob", Job("delete")).empty());
    EXPECT_TRUE(
        Admin("getScheduledJobs", {{"companyHandle", "47"}, {"originalName", Name("delete")}})
            .at("jobArray")
            .as_array()
            .empty());
    ExpectFaults("deleteJob",
                 {
                     {"already deleted", Job("delete"), kAdmin, "ipsApiFault", 30001, 404},
                     {"missing companyHandle",
                      {{"jobHandle", Handle("delete")}},
                      kAdmin,
                      "ipsApiFault",
                      30002,
                      400},
                 });
}

TEST_P(OperationTest, GetActiveJobs) {
    SubmitCommand("active", {"/bin/sh", "-c", "sleep 60"});
    const std::string run = Execute("active");
    ASSERT_EQ(WaitForState("active", "Running"), "Running");
    const json::object by_handle = Ok("getActiveJobs", Job("active"), kUser);
    const auto& jobs = by_handle.at("jobArray").as_array();
    ASSERT_EQ(jobs.size(), 1u) << json::serialize(by_handle);
    ExpectFields(jobs.at(0), kActiveJobFields, "ActiveJob");
    EXPECT_EQ(Text(jobs.at(0).at("jobHandle")), run);
    EXPECT_EQ(Text(jobs.at(0).at("state")), "Running");
    EXPECT_EQ(Text(jobs.at(0).at("name")), Name("active"));
    EXPECT_EQ(Text(jobs.at(0).at("submitUserEmail")), kAdmin);
    const json::object by_name =
        Ok("getActiveJobs", {{"companyHandle", "47"}, {"originalName", Name("active")}});
    EXPECT_EQ(by_name.at("jobArray").as_array().size(), 1u) << json::serialize(by_name);
    const json::object none =
        Ok("getActiveJobs", {{"companyHandle", "47"}, {"originalName", "no such job"}});
    EXPECT_TRUE(none.at("jobArray").as_array().empty()) << json::serialize(none);
    Admin("stopJob", Job("active"));
    ExpectFaults(
        "getActiveJobs",
        {
            {"not a handle",
             {{"companyHandle", "47"}, {"jobHandle", "garbage"}},
             kAdmin,
             "ipsApiFault",
             30001,
             400},
            {"not a member", {{"companyHandle", "47"}}, kOther, "authorizationFault", 20006, 403},
            {"portal user", {{"companyHandle", "47"}}, kPortal, "authorizationFault", 20003, 403},
        });
}

TEST_P(OperationTest, GetScheduledJobs) {
    Admin("submitJob",
          {{"companyHandle", "47"},
           {"jobName", Name("scheduled")},
           {"execSchedule", "0 30 2 * * ?"},
           {"timeZone", "Europe/Berlin"},
           {"description", "two thirty"},
           {"exportJob",
            {{"assetHandleArray", {"a|1"}}, {"fmt", "orig"}, {"emailSetting", "None"}}}});
    const json::object answer = Ok("getScheduledJobs", Job("scheduled"));
    const auto& jobs = answer.at("jobArray").as_array();
    ASSERT_EQ(jobs.size(), 1u) << json::serialize(answer);
    ExpectFields(jobs.at(0), kScheduledJobFields, "ScheduledJob");
    EXPECT_EQ(Text(jobs.at(0).at("jobHandle")), Handle("scheduled"));
    EXPECT_EQ(Text(jobs.at(0).at("execSchedule")), "0 30 2 * * ?");
    EXPECT_EQ(Text(jobs.at(0).at("timeZone")), "Europe/Berlin");
    EXPECT_EQ(Text(jobs.at(0).at("triggerState")), "Normal");
    EXPECT_EQ(Text(jobs.at(0).at("description")), "two thirty");
    EXPECT_EQ(Text(jobs.at(0).at("exportJob").at("fmt")), "orig");
    // 02:30 in Berlin is 00:30 or 01:30 UTC; nextFireTime carries the zone's offset.
    const std::string next = Text(jobs.at(0).at("nextFireTime"));
    EXPECT_NE(next.find("T02:30:00"), std::string::npos) << next;
    const json::object by_name =
        Ok("getScheduledJobs", {{"companyHandle", "47"}, {"originalName", Name("scheduled")}});
    EXPECT_EQ(by_name.at("jobArray").as_array().size(), 1u) << json::serialize(by_name);
    ExpectFaults(
        "getScheduledJobs",
        {
            {"not a handle",
             {{"companyHandle", "47"}, {"jobHandle", "garbage"}},
             kAdmin,
             "ipsApiFault",
             30001,
             400},
            {"bad company handle", {{"companyHandle", "c|47"}}, kAdmin, "ipsApiFault", 30001, 400},
            {"unknown company",
             {{"companyHandle", "4711"}},
             kUser,
             "authorizationFault",
             20000,
             403},
            {"unknown company, IpsAdmin too",
             {{"companyHandle", "4711"}},
             kAdmin,
             "authorizationFault",
             20000,
             403},
        });
}

TEST_P(OperationTest, GetJobLogs) {
    SubmitCommand("logs", {"/bin/sh", "-c", "echo once"}, "Queue");
    for (int i = 0; i < 3; ++i) {
        Execute("logs");
    }
    ASSERT_TRUE(WaitFor([&] {
        const json::object logs = Admin(
            "getJobLogs", {{"companyHandle", "47"}, {"sortBy", "JobName"}, {"numRows", 10000}});
        int succeeded = 0;
        for (const auto& log : logs.at("jobLogArray").as_array()) {
            succeeded +=
                Text(log.at("jobName")) == Name("logs") && Text(log.at("state")) == "Succeeded" ? 1
                                                                                                : 0;
        }
        return succeeded == 3;
    }));
    const json::object two = Ok("getJobLogs",
                                {{"companyHandle", "47"},
                                 {"numRows", 2},
                                 {"sortBy", "StartDate"},
                                 {"sortDirection", "Descending"}});
    const auto& logs = two.at("jobLogArray").as_array();
    ASSERT_EQ(logs.size(), 2u) << json::serialize(two);
    for (const auto& log : logs) {
        ExpectFields(log, kJobLogFields, "JobLog");
    }
    EXPECT_GE(Text(logs.at(0).at("startDate")), Text(logs.at(1).at("startDate")));
    EXPECT_EQ(Text(logs.at(0).at("fatalError")), "false");
    // Every IPS job log sort field, both directions.
    for (const char* field : {"JobName",
                              "LogType",
                              "StartDate",
                              "CompanyName",
                              "UserId",
                              "Email",
                              "FileErrorCount",
                              "FileWarningCount",
                              "FileSuccessCount"}) {
        Ok("getJobLogs", {{"sortBy", field}, {"sortDirection", "Ascending"}, {"numRows", 5}});
    }
    const json::object by_name = Ok("getJobLogs",
                                    {{"companyHandle", "47"},
                                     {"sortBy", "JobName"},
                                     {"sortDirection", "Ascending"},
                                     {"numRows", 1000}});
    const auto& sorted = by_name.at("jobLogArray").as_array();
    for (std::size_t i = 1; i < sorted.size(); ++i) {
        EXPECT_LE(Text(sorted.at(i - 1).at("jobName")), Text(sorted.at(i).at("jobName")));
    }
    // A window ending before any run started holds none.
    const json::object early =
        Ok("getJobLogs", {{"companyHandle", "47"}, {"endDate", "2001-01-01T00:00:00Z"}});
    EXPECT_TRUE(early.at("jobLogArray").as_array().empty()) << json::serialize(early);
    ExpectFaults(
        "getJobLogs",
        {
            {"unknown sort field", {{"sortBy", "Nope"}}, kAdmin, "ipsApiFault", 30001, 400},
            {"bad direction", {{"sortDirection", "Up"}}, kAdmin, "ipsApiFault", 30001, 400},
            {"numRows over 10000", {{"numRows", 10001}}, kAdmin, "ipsApiFault", 30001, 400},
            {"bad startDate", {{"startDate", "yesterday"}}, kAdmin, "ipsApiFault", 30001, 400},
            {"not a member", {{"companyHandle", "47"}}, kOther, "authorizationFault", 20006, 403},
        });
}

TEST_P(OperationTest, GetJobLogDetails) {
    SubmitCommand("details", {"/bin/sh", "-c", "echo one; echo two; echo three >&2"});
    const std::string run = Execute("details");
    ASSERT_EQ(WaitForEnd("details"), "Succeeded");
    json::object request = Job("details");
    const json::object all = Ok("getJobLogDetails", request, kPortal);
    const auto& log = all.at("jobLogArray").as_array().at(0);
    ExpectFields(log, kJobLogFields, "JobLog");
    EXPECT_EQ(Text(log.at("jobHandle")), run);
    const int total = std::stoi(Text(log.at("detailTotalRows")));
    const auto& details = log.at("detailArray").as_array();
    EXPECT_EQ(static_cast<int>(details.size()), total);
    ASSERT_GE(total, 3);
    for (const auto& detail : details) {
        ExpectFields(detail, kJobLogDetailFields, "JobLogDetail");
    }

    // One detail a page: page 2 is the second line by date.
    request["recordsPerPage"] = 1;
    request["resultsPage"] = 2;
    const json::object page = Ok("getJobLogDetails", request);
    const auto& paged = page.at("jobLogArray").at(0);
    EXPECT_EQ(std::stoi(Text(paged.at("detailTotalRows"))), total);
    ASSERT_EQ(paged.at("detailArray").as_array().size(), 1u) << json::serialize(page);
    EXPECT_EQ(paged.at("detailArray").at(0).at("logMessage"), details.at(1).at("logMessage"));

    // Descending puts the last line first.
    const json::object reversed = Ok("getJobLogDetails",
                                     {{"companyHandle", "47"},
                                      {"jobHandle", run},
                                      {"sortBy", "Date"},
                                      {"sortDirection", "Descending"}});
    EXPECT_EQ(reversed.at("jobLogArray").at(0).at("detailArray").at(0).at("logMessage"),
              details.at(details.size() - 1).at("logMessage"));

    // logTypeArray keeps only the stderr line.
    const json::object errors = Ok("getJobLogDetails",
                                   {{"companyHandle", "47"},
                                    {"originalName", Name("details")},
                                    {"logTypeArray", {"ErrorOutput"}},
                                    {"sortBy", "LogType"}});
    const auto& filtered = errors.at("jobLogArray").at(0);
    EXPECT_EQ(Text(filtered.at("detailTotalRows")), "1") << json::serialize(errors);
    ASSERT_EQ(filtered.at("detailArray").as_array().size(), 1u);
    EXPECT_EQ(Text(filtered.at("detailArray").at(0).at("logMessage")), "three");

    ExpectFaults(
        "getJobLogDetails",
        {
            {"recordsPerPage over 1000",
             {{"companyHandle", "47"}, {"jobHandle", run}, {"recordsPerPage", 1001}},
             kAdmin,
             "ipsApiFault",
             30001,
             400},
            {"resultsPage 0",
             {{"companyHandle", "47"}, {"jobHandle", run}, {"resultsPage", 0}},
             kAdmin,
             "ipsApiFault",
             30001,
             400},
            {"bad sortBy",
             {{"companyHandle", "47"}, {"jobHandle", run}, {"sortBy", "Size"}},
             kAdmin,
             "ipsApiFault",
             30001,
             400},
            {"missing companyHandle", {{"jobHandle", run}}, kAdmin, "ipsApiFault", 30002, 400},
            {"no such run",
             {{"companyHandle", "47"}, {"jobHandle", Handle("details") + "999999999"}},
             kAdmin,
             "ipsApiFault",
             30001,
             404},
            {"not a member",
             {{"companyHandle", "47"}, {"jobHandle", run}},
             kOther,
             "authorizationFault",
             20006,
             403},
        });
}

TEST_P(OperationTest, AddCompany) {
    const json::object created = Ok("addCompany", {{"companyName", Name("Company")}});
    const std::string handle = Text(created.at("companyHandle"));
    EXPECT_GT(std::stoll(handle), 48) << handle;
    ExpectFaults("addCompany",
                 {
                     {"not IpsAdmin",
                      {{"companyName", Name("Refused")}},
                      kUser,
                      "authorizationFault",
                      20003,
                      403},
                     {"missing companyName", {}, kAdmin, "ipsApiFault", 30002, 400},
                     {"handle taken",
                      {{"companyName", Name("Taken")}, {"companyHandle", "47"}},
                      kAdmin,
                      "ipsApiFault",
                      30001,
                      409},
                 });
}

TEST_P(OperationTest, AddUser) {
    const json::object created = Ok("addUser",
                                    {{"email", Name("added") + "@example.com"},
                                     {"password", "long-enough"},
                                     {"defaultRole", "IpsUser"},
                                     {"companyHandle", "47"}});
    EXPECT_GT(std::stoll(Text(created.at("userHandle"))), 0);
    // The new user can log in and read the company's logs.
    const auto logs = daemon_->Json(
        "getJobLogs", R"({"companyHandle":"47"})", Name("added") + "@example.com", "long-enough");
    EXPECT_EQ(logs.status, 200) << logs.body;
    ExpectFaults("addUser",
                 {
                     {"short password",
                      {{"email", Name("short") + "@example.com"},
                       {"password", "short"},
                       {"defaultRole", "IpsUser"},
                       {"companyHandle", "47"}},
                      kAdmin,
                      "ipsApiFault",
                      30001,
                      400},
                     {"unknown role",
                      {{"email", Name("role") + "@example.com"},
                       {"password", "long-enough"},
                       {"defaultRole", "Superuser"},
                       {"companyHandle", "47"}},
                      kAdmin,
                      "ipsApiFault",
                      30001,
                      400},
                     {"not IpsAdmin",
                      {{"email", Name("refused") + "@example.com"},
                       {"password", "long-enough"},
                       {"defaultRole", "IpsUser"},
                       {"companyHandle", "48"}},
                      kOther,
                      "authorizationFault",
                      20003,
                      403},
                 });
}

INSTANTIATE_TEST_SUITE_P(ApiOperations,
                         OperationTest,
                         ::testing::Values(Encoding::Soap, Encoding::Json),
                         [](const ::testing::TestParamInfo<Encoding>& test) {
                             return test.param == Encoding::Soap ? "Soap" : "Json";
                         });

// The SOAP and JSON frames (ips-jobs-api §1, contract §5): credentials, the fault's HTTP status and
// namespace.
class FrameTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() { daemon_ = StartDemoDaemon(); }

    static void TearDownTestSuite() { daemon_.reset(); }

    static Answer Post(const std::string& body,
                       const std::map<std::string, std::string>& headers = {}) {
        return FromSoap(daemon_->Post("/IpsApi", body, headers));
    }

    static std::unique_ptr<JobdProcess> daemon_;
};

std::unique_ptr<JobdProcess> FrameTest::daemon_;

std::string Enveloped(const std::string& header, const std::string& body) {
    return "<soapenv:Envelope xmlns:soapenv=\"" + std::string(kEnvelopeNamespace) +
           "\"><soapenv:Header>" + header + "</soapenv:Header><soapenv:Body>" + body +
           "</soapenv:Body></soapenv:Envelope>";
}

std::string GetJobLogsParam(const std::string& ns) {
    return "<getJobLogsParam xmlns=\"" + ns +
           "\"><companyHandle>47</companyHandle></getJobLogsParam>";
}

std::string AuthHeader(const std::string& password, const std::string& extra = {}) {
    return "<authHeader xmlns=\"" + std::string(kPre40Namespace) + "\"><user>" + kAdmin +
           "</user><password>" + password + "</password>" + extra + "</authHeader>";
}

TEST_F(FrameTest, NoCredentialsIsAnAuthenticationFaultWithStatus500) {
    for (const auto& form : SoapForms()) {
        const std::string param = GetJobLogsParam(form.ns);
        const Answer answer = Post(form.envelope ? Enveloped("", param) : param);
        EXPECT_EQ(answer.status, 500) << answer;  // IPS: not 401
        EXPECT_EQ(answer.fault, "authenticationFault") << answer;
        EXPECT_EQ(answer.code, 10000) << answer;
        EXPECT_EQ(answer.faultcode, "soapenv:Client") << answer;
        EXPECT_EQ(answer.ns, form.ns) << answer;
    }
}

TEST_F(FrameTest, WrongPasswordInAuthHeaderOrBasicIs10001) {
    const std::string ns = "http://www.scene7.com/IpsApi/xsd/2010-01-31";
    const Answer header = Post(Enveloped(AuthHeader("wrong"), GetJobLogsParam(ns)));
    EXPECT_EQ(header.status, 500) << header;
    EXPECT_EQ(header.code, 10001) << header;
    EXPECT_EQ(header.ns, ns);
    const Answer basic = Post(GetJobLogsParam(ns), {{"Authorization", BasicAuth(kAdmin, "wrong")}});
    EXPECT_EQ(basic.code, 10001) << basic;
}

TEST_F(FrameTest, FaultHttpStatusCodeSetsTheStatusOfAFault) {
    const std::string ns = "http://www.scene7.com/IpsApi/xsd/2013-02-15";
    const std::string bad = "<getJobLogsParam xmlns=\"" + ns +
                            "\"><companyHandle>47</companyHandle><sortBy>Nope</sortBy>"
                            "</getJobLogsParam>";
    const std::string flex = "<faultHttpStatusCode>200</faultHttpStatusCode>";
    const Answer fault = Post(Enveloped(AuthHeader(kPassword, flex), bad));
    EXPECT_EQ(fault.status, 200) << fault;  // Flash/Flex clients cannot read a 500's body
    EXPECT_EQ(fault.fault, "ipsApiFault") << fault;
    EXPECT_EQ(fault.code, 30001) << fault;
    // An authentication fault too, and an answer that is no fault keeps 200.
    const Answer denied = Post(Enveloped(AuthHeader("wrong", flex), GetJobLogsParam(ns)));
    EXPECT_EQ(denied.status, 200) << denied;
    EXPECT_EQ(denied.code, 10001) << denied;
    const Answer teapot = Post(
        Enveloped(AuthHeader(kPassword, "<faultHttpStatusCode>418</faultHttpStatusCode>"), bad));
    EXPECT_EQ(teapot.status, 418) << teapot;
    const Answer ok = Post(Enveloped(AuthHeader(kPassword, flex), GetJobLogsParam(ns)));
    EXPECT_EQ(ok.status, 200) << ok;
    EXPECT_EQ(ok.fault, "") << ok;
}

TEST_F(FrameTest, RefusesWhatIsNotAnIpsRequest) {
    const auto basic =
        std::map<std::string, std::string>{{"Authorization", BasicAuth(kAdmin, kPassword)}};
    for (const std::string& body : {
             std::string("<getJobLogsParam xmlns=\"urn:other\"/>"),
             std::string("<noSuchOperationParam xmlns=\"") + kPre40Namespace + "\"/>",
             std::string("<getJobLogsParam xmlns=\"") + kPre40Namespace + "\">",
         }) {
        const Answer answer = Post(body, basic);
        EXPECT_EQ(answer.status, 500) << answer;
        EXPECT_EQ(answer.code, 30003) << answer;
    }
}

TEST_F(FrameTest, JsonWithoutCredentialsIs401With10000) {
    const auto answer =
        daemon_->Post("/api/v1/getJobLogs", "{}", {{"Content-Type", "application/json"}});
    EXPECT_EQ(answer.status, 401) << answer.body;
    const Answer parsed = FromJson(answer);
    EXPECT_EQ(parsed.fault, "authenticationFault");
    EXPECT_EQ(parsed.code, 10000);
    const auto unknown = daemon_->Json("noSuchOperation", "{}", kAdmin, kPassword);
    EXPECT_EQ(unknown.status, 404) << unknown.body;
    EXPECT_EQ(FromJson(unknown).code, 30001);
}

}  // namespace
}  // namespace jobd::test
