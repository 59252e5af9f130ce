// End to end: the seed's executeJob against the real jobd and PostgreSQL (contract §5, §7, §9;
// issue #3).

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "e2e/jobd/daemon_fixture.hpp"

namespace jobd::test {
namespace {

namespace json = boost::json;

// The request body of seeds/*.txt, exactly as printed there.
constexpr const char* kSeedRequest = R"(<executeJobParam xmlns="http://www.scene7.com/IpsApi/xsd">
   <companyHandle>47</companyHandle>
   <jobHandle>47|My Test Job|</jobHandle>
</executeJobParam>)";

std::string Envelope(const std::string& user,
                     const std::string& password,
                     const std::string& body) {
    return R"(<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">
  <soapenv:Header>
    <authHeader xmlns="http://www.scene7.com/IpsApi/xsd">
      <user>)" +
           user + R"(</user><password>)" + password + R"(</password>
    </authHeader>
  </soapenv:Header>
  <soapenv:Body>)" +
           body + R"(</soapenv:Body>
</soapenv:Envelope>)";
}

json::object Parse(const std::string& text) {
    return json::parse(text).as_object();
}

class ExecuteJobTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        daemon_ = std::make_unique<JobdProcess>("runs:\n  stop_grace: 1s\n");
        AddDemoCompany(*daemon_);
        daemon_->AddCompany(48, "Other");
        daemon_->AddUser("user@example.com", 47, "IpsUser");
        daemon_->AddUser("portal@example.com", 47, "ImagePortalUser");
        daemon_->AddUser("other@example.com", 48, "IpsCompanyAdmin");
        daemon_->Start();
        const auto submitted = daemon_->Json("submitJob",
                                             R"({"companyHandle":"47",
            "jobName":"My Test Job","execSchedule":"00 00 00 * * ",
            "imageServingPublishJob":{"publishType":"Full","emailSetting":"Error"}})",
                                             "admin@example.com");
        ASSERT_EQ(submitted.status, 200) << submitted.body;
    }

    static void TearDownTestSuite() { daemon_.reset(); }

    // Polls getJobLogs for the run until it is finished; returns its JobLog.
    static json::object FinishedRun(const std::string& run_handle) {
        json::object found;
        const bool finished = WaitFor([&] {
            const auto logs = daemon_->Json(
                "getJobLogs", R"({"companyHandle":"47","numRows":1000})", "admin@example.com");
            const json::object answer = Parse(logs.body);
            for (const auto& log : answer.at("jobLogArray").as_array()) {
                const auto& entry = log.as_object();
                if (entry.at("jobHandle").as_string() == run_handle &&
                    entry.at("state").as_string() != "Queued" &&
                    entry.at("state").as_string() != "Running") {
                    found = entry;
                    return true;
                }
            }
            return false;
        });
        EXPECT_TRUE(finished) << "run " << run_handle << " did not finish\n" << daemon_->Log();
        return found;
    }

    // The newest run of a job, from getJobLogDetails with the job handle.
    static json::object LatestRunDetails(const std::string& job_handle) {
        const auto details =
            daemon_->Json("getJobLogDetails",
                          R"({"companyHandle":"47","jobHandle":")" + job_handle + R"("})",
                          "admin@example.com");
        EXPECT_EQ(details.status, 200) << details.body;
        return Parse(details.body).at("jobLogArray").as_array().at(0).as_object();
    }

    static std::string SubmitCommandJob(const std::string& name,
                                        const std::string& argv,
                                        const std::string& extra = "") {
        const auto answer =
            daemon_->Json("submitJob",
                          R"({"companyHandle":"47","jobName":")" + name +
                              R"(","execSchedule":"0 0 0 1 1 ?","commandJob":{"argv":)" + argv +
                              "}" + extra + "}",
                          "admin@example.com");
        EXPECT_EQ(answer.status, 200) << answer.body;
        return Parse(answer.body).at("jobHandle").as_string().c_str();
    }

    static std::string Execute(const std::string& job_handle) {
        const auto answer =
            daemon_->Json("executeJob",
                          R"({"companyHandle":"47","jobHandle":")" + job_handle + R"("})",
                          "admin@example.com");
        EXPECT_EQ(answer.status, 200) << answer.body;
        return Parse(answer.body).at("runHandle").as_string().c_str();
    }

    static std::unique_ptr<JobdProcess> daemon_;
};

std::unique_ptr<JobdProcess> ExecuteJobTest::daemon_;

// Processes of the group that are not zombies: killed members a reaper has not collected yet
// still answer kill(-pgid, 0), so /proc is the honest witness.
int LiveMembersOfGroup(pid_t pgid) {
    int live = 0;
    for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
        std::ifstream stat(entry.path() / "stat");
        std::string text;
        if (!std::getline(stat, text)) {
            continue;
        }
        // pid (comm) state ppid pgrp ...; comm may hold spaces, so read after the last ')'.
        std::istringstream fields(text.substr(text.rfind(')') + 2));
        char state = 0;
        pid_t ppid = 0, group = 0;
        fields >> state >> ppid >> group;
        live += group == pgid && state != 'Z' ? 1 : 0;
    }
    return live;
}

TEST_F(ExecuteJobTest, SeedRequestAsPrintedRunsTheJob) {
    const auto answer =
        daemon_->Post("/IpsApi",
                      kSeedRequest,
                      {{"Authorization", BasicAuth("admin@example.com", "secret-password")}});
    ASSERT_EQ(answer.status, 200) << answer.body;
    EXPECT_NE(answer.body.find("executeJobReturn"), std::string::npos) << answer.body;
    EXPECT_EQ(answer.body.find("runHandle"), std::string::npos) << "SOAP keeps the IPS shape";

    const auto run = LatestRunDetails("47|My Test Job|");
    const std::string run_handle = run.at("jobHandle").as_string().c_str();
    const auto finished = FinishedRun(run_handle);
    EXPECT_EQ(finished.at("state").as_string(), "Succeeded");
    EXPECT_EQ(finished.at("trigger").as_string(), "Execute");
    EXPECT_EQ(finished.at("exitCode").as_int64(), 0);
    EXPECT_EQ(finished.at("serverName").as_string(), "e2e-node");

    // The handler's output lines are the run's details, JSON lines keeping their logType.
    const auto details = LatestRunDetails(run_handle);
    EXPECT_GT(details.at("detailTotalRows").as_int64(), 0);
    bool begin = false;
    for (const auto& detail : details.at("detailArray").as_array()) {
        begin = begin || detail.at("logType").as_string().starts_with("Begin");
    }
    EXPECT_TRUE(begin) << json::serialize(details);

    // And one JSON line in the company's outcome log.
    EXPECT_TRUE(WaitFor([&] {
        std::ifstream log(daemon_->dir() / "log" / "companies" / "47.log");
        std::stringstream text;
        text << log.rdbuf();
        return text.str().find("\"run\":\"" + run_handle + "\"") != std::string::npos;
    }));
}

TEST_F(ExecuteJobTest, EnvelopedWithAuthHeaderRuns) {
    const auto answer =
        daemon_->Post("/scene7/services/IpsApiService",
                      Envelope("admin@example.com", "secret-password", kSeedRequest),
                      {{"SOAPAction", "executeJob"}});
    ASSERT_EQ(answer.status, 200) << answer.body;
    EXPECT_NE(answer.body.find("executeJobReturn"), std::string::npos);
    EXPECT_NE(answer.body.find("http://www.scene7.com/IpsApi/xsd"), std::string::npos);
}

// A password checked once lets the caller's next executeJob go in one statement (Service::
// ExecuteForCaller), which accepts only the stored hash that check matched: once the password
// is changed the old one is refused at once, though it was checked a moment before.
TEST_F(ExecuteJobTest, AChangedPasswordIsRefusedAtOnceThoughTheOldOneWasChecked) {
    daemon_->AddUser("changing@example.com", 47, "IpsUser");
    // Allow: each call runs, however long the one before takes to end on a loaded machine.
    const std::string handle =
        SubmitCommandJob("Password Change", R"(["/bin/true"])", R"(,"overlap":"Allow")");
    const auto execute = [&](const std::string& password) {
        return daemon_->Json("executeJob",
                             R"({"companyHandle":"47","jobHandle":")" + handle + R"("})",
                             "changing@example.com",
                             password);
    };
    ASSERT_EQ(execute("secret-password").status, 200);
    ASSERT_EQ(execute("secret-password").status, 200);
    const auto changed = daemon_->Jobd({"admin",
                                        "add-user",
                                        "changing@example.com",
                                        "--company",
                                        "47",
                                        "--role",
                                        "IpsUser",
                                        "--password-stdin"},
                                       "another-password\n");
    ASSERT_EQ(changed.exit_code, 0) << changed.out;
    const auto old_password = execute("secret-password");
    EXPECT_EQ(old_password.status, 401) << old_password.body;
    EXPECT_EQ(execute("another-password").status, 200);
}

TEST_F(ExecuteJobTest, FaultCodes) {
    struct Case {
        const char* name;
        std::string body;
        std::map<std::string, std::string> headers;
        int code;
    };

    const auto basic = [](const char* user, const char* password) {
        return std::map<std::string, std::string>{{"Authorization", BasicAuth(user, password)}};
    };
    const std::string other_job = R"(<executeJobParam xmlns="http://www.scene7.com/IpsApi/xsd">
        <companyHandle>48</companyHandle><jobHandle>48|Nope|</jobHandle></executeJobParam>)";
    const std::string unknown_job = R"(<executeJobParam xmlns="http://www.scene7.com/IpsApi/xsd">
        <companyHandle>47</companyHandle><jobHandle>47|No Such Job|</jobHandle></executeJobParam>)";
    const std::string missing = R"(<executeJobParam xmlns="http://www.scene7.com/IpsApi/xsd">
        <companyHandle>47</companyHandle></executeJobParam>)";
    const Case cases[] = {
        {"no credentials", kSeedRequest, {}, 10000},
        {"wrong password", kSeedRequest, basic("admin@example.com", "wrong"), 10001},
        {"unknown user", kSeedRequest, basic("nobody@example.com", "x"), 10001},
        {"portal user may not execute",
         kSeedRequest,
         basic("portal@example.com", "secret-password"),
         20003},
        {"other company", kSeedRequest, basic("other@example.com", "secret-password"), 20006},
        {"job of a company not mine",
         other_job,
         basic("user@example.com", "secret-password"),
         20006},
        {"unknown job", unknown_job, basic("admin@example.com", "secret-password"), 30001},
        {"missing jobHandle", missing, basic("admin@example.com", "secret-password"), 30002},
        {"malformed XML",
         "<executeJobParam xmlns=",
         basic("admin@example.com", "secret-password"),
         30003},
    };
    for (const auto& c : cases) {
        const auto answer = daemon_->Post("/IpsApi", c.body, c.headers);
        EXPECT_EQ(answer.status, 500) << c.name;  // IPS: SOAP faults are HTTP 500
        EXPECT_EQ(SoapFaultCode(answer.body), c.code) << c.name << "\n" << answer.body;
    }
}

TEST_F(ExecuteJobTest, FailingCommandIsFailedWithItsExitCode) {
    const std::string job =
        SubmitCommandJob("fails", R"(["/bin/sh","-c","echo about to fail; exit 3"])");
    const auto run = FinishedRun(Execute(job));
    EXPECT_EQ(run.at("state").as_string(), "Failed");
    EXPECT_EQ(run.at("exitCode").as_int64(), 3);
    EXPECT_TRUE(run.at("fatalError").as_bool());
}

TEST_F(ExecuteJobTest, CommandPastItsTimeoutIsTimedOutAndItsGroupGone) {
    const std::string job =
        SubmitCommandJob("sleeper",
                         R"(["/bin/sh","-c","echo $$ > pgid; sleep 60 & sleep 60"])",
                         R"(,"timeoutSeconds":1)");
    const auto run = FinishedRun(Execute(job));
    EXPECT_EQ(run.at("state").as_string(), "TimedOut");
    std::ifstream pgid_file(daemon_->dir() / "pgid");
    pid_t pgid = 0;
    pgid_file >> pgid;
    ASSERT_GT(pgid, 0);
    EXPECT_TRUE(WaitFor([&] { return LiveMembersOfGroup(pgid) == 0; }, std::chrono::seconds(5)));
}

TEST_F(ExecuteJobTest, ForbidRefusesASecondRunWhileOneIsGoing) {
    const std::string job = SubmitCommandJob("long", R"(["/bin/sh","-c","sleep 30"])");
    const std::string first = Execute(job);
    const auto second = daemon_->Json("executeJob",
                                      R"({"companyHandle":"47","jobHandle":")" + job + R"("})",
                                      "admin@example.com");
    EXPECT_EQ(second.status, 409) << second.body;
    EXPECT_EQ(Parse(second.body).at("code").as_int64(), 30001);
}

TEST_F(ExecuteJobTest, JsonErrorsUseHttpStatuses) {
    EXPECT_EQ(daemon_
                  ->Json("executeJob",
                         R"({"companyHandle":"47","jobHandle":"47|none|"})",
                         "admin@example.com")
                  .status,
              404);
    EXPECT_EQ(daemon_->Json("executeJob", R"({"companyHandle":"47"})", "admin@example.com").status,
              400);
    EXPECT_EQ(daemon_->Json("executeJob", "[1,2]", "admin@example.com").status, 400);
    EXPECT_EQ(daemon_->Json("executeJob", "{}", "admin@example.com", "bad").status, 401);
    EXPECT_EQ(daemon_
                  ->Json("executeJob",
                         R"({"companyHandle":"47","jobHandle":"47|My Test Job|"})",
                         "portal@example.com")
                  .status,
              403);
}

TEST_F(ExecuteJobTest, UnixSocketPeerIsAdmin) {
    const auto answer = daemon_->PostUnix("/api/v1/getJobLogs", R"({"companyHandle":"47"})");
    EXPECT_EQ(answer.status, 200) << answer.body;
}

TEST_F(ExecuteJobTest, AdminTokenWorksAsBearerAndIsStoredHashed) {
    const auto created = daemon_->Jobd({"admin", "add-token", "user@example.com", "--name", "ci"});
    ASSERT_EQ(created.exit_code, 0) << created.out;
    const std::string token = created.out.substr(0, created.out.find('\n'));
    ASSERT_TRUE(token.starts_with("jobd_")) << created.out;
    const auto answer = daemon_->Post(
        "/api/v1/getJobLogs", R"({"companyHandle":"47"})", {{"Authorization", "Bearer " + token}});
    EXPECT_EQ(answer.status, 200) << answer.body;
    const auto wrong = daemon_->Post("/api/v1/getJobLogs",
                                     R"({"companyHandle":"47"})",
                                     {{"Authorization", "Bearer jobd_not-a-token"}});
    EXPECT_EQ(wrong.status, 401);
}

TEST_F(ExecuteJobTest, ServesItsWsdlAndOpenApi) {
    const auto wsdl = daemon_->Get("/IpsApi.wsdl");
    EXPECT_EQ(wsdl.status, 200);
    EXPECT_NE(wsdl.body.find("executeJobParam"), std::string::npos);
    EXPECT_NE(wsdl.body.find("/IpsApi\""), std::string::npos);  // the endpoint it was fetched from
    const auto openapi = daemon_->Get("/api/v1/openapi.json");
    ASSERT_EQ(openapi.status, 200);
    EXPECT_TRUE(Parse(openapi.body).at("paths").as_object().contains("/api/v1/executeJob"));
}

TEST_F(ExecuteJobTest, HealthzAnswers) {
    EXPECT_EQ(daemon_->Get("/healthz").status, 200);
}

}  // namespace
}  // namespace jobd::test
