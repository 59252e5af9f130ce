// End to end: fault reasons and jobd's own log details in the request's language (contract §5
// "Locale": authHeader/locale, else Accept-Language, else api.default_locale).

#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <string>

#include <boost/json.hpp>
#include <gtest/gtest.h>
#include <pugixml.hpp>

#include "e2e/jobd/daemon_fixture.hpp"
#include "jobd/model/error.hpp"

namespace jobd::test {
namespace {

namespace json = boost::json;

constexpr const char* kUnknownJob = "47|nope|";

// The reason jobd gives for executeJob on kUnknownJob, rendered from the catalog of `language`.
std::string UnknownJobReason(Language language) {
    return Error(ErrorKind::NotFound,
                 Message(MessageId::NoSuchJob, {{"job", kUnknownJob}}),
                 "jobHandle")
        .Describe(language);
}

std::string SoapExecuteUnknownJob(const std::string& locale_element) {
    return R"(<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">
  <soapenv:Header>
    <authHeader xmlns="http://www.scene7.com/IpsApi/xsd">
      <user>admin@example.com</user><password>secret-password</password>)" +
           locale_element + R"(
    </authHeader>
  </soapenv:Header>
  <soapenv:Body>
    <executeJobParam xmlns="http://www.scene7.com/IpsApi/xsd">
      <companyHandle>47</companyHandle><jobHandle>)" +
           kUnknownJob + R"(</jobHandle>
    </executeJobParam>
  </soapenv:Body>
</soapenv:Envelope>)";
}

std::string SoapReason(const HttpAnswer& answer) {
    const auto open = answer.body.find("<reason>");
    const auto close = answer.body.find("</reason>");
    if (open == std::string::npos || close == std::string::npos) {
        ADD_FAILURE() << "no fault reason in: " << answer.body;
        return {};
    }
    return answer.body.substr(open + 8, close - open - 8);
}

class LocaleTest : public ::testing::Test {
protected:
    void SetUp() override {
        Configure();
        StartDemoDaemon(daemon_);
    }

    HttpAnswer JsonExecuteUnknownJob(const std::map<std::string, std::string>& headers) {
        std::map<std::string, std::string> all = headers;
        all["authorization"] = BasicAuth("admin@example.com", "secret-password");
        all["content-type"] = "application/json";
        return daemon_.Post(
            "/api/v1/executeJob",
            R"({"companyHandle":"47","jobHandle":")" + std::string(kUnknownJob) + R"("})",
            all);
    }

    static std::string JsonReason(const HttpAnswer& answer) {
        EXPECT_EQ(answer.status, 404) << answer.body;
        return json::parse(answer.body).at("reason").as_string().c_str();
    }

    virtual void Configure() {}

    JobdProcess daemon_;
};

TEST_F(LocaleTest, SoapAuthHeaderLocaleGivesAGermanFault) {
    const auto answer = daemon_.Post(
        "/IpsApi", SoapExecuteUnknownJob("<locale>de-DE</locale>"), {{"accept-language", "sv"}});
    EXPECT_EQ(answer.status, 500);
    EXPECT_EQ(SoapReason(answer), UnknownJobReason(Language::German));
    EXPECT_NE(SoapReason(answer), UnknownJobReason(Language::English));
}

TEST_F(LocaleTest, SoapWithoutLocaleFollowsAcceptLanguage) {
    const auto answer =
        daemon_.Post("/IpsApi", SoapExecuteUnknownJob(""), {{"accept-language", "es-ES,de;q=0.5"}});
    EXPECT_EQ(SoapReason(answer), UnknownJobReason(Language::Spanish));
}

TEST_F(LocaleTest, JsonAcceptLanguageGivesASwedishFault) {
    const auto reason = JsonReason(JsonExecuteUnknownJob({{"accept-language", "sv"}}));
    EXPECT_EQ(reason, UnknownJobReason(Language::Swedish));
    EXPECT_NE(reason, UnknownJobReason(Language::English));
}

TEST_F(LocaleTest, NoPreferenceOrAnUnsupportedOneIsEnglish) {
    EXPECT_EQ(JsonReason(JsonExecuteUnknownJob({})), UnknownJobReason(Language::English));
    EXPECT_EQ(JsonReason(JsonExecuteUnknownJob({{"accept-language", "fr-FR, ja;q=0.5"}})),
              UnknownJobReason(Language::English));
    EXPECT_EQ(SoapReason(daemon_.Post("/IpsApi", SoapExecuteUnknownJob("<locale>fr</locale>"))),
              UnknownJobReason(Language::English));
}

// A fault before the body is read (malformed XML) still follows Accept-Language.
TEST_F(LocaleTest, UndecodableRequestFollowsAcceptLanguage) {
    const auto answer =
        daemon_.Post("/IpsApi", "<executeJobParam xmlns=", {{"accept-language", "it"}});
    const std::string reason = SoapReason(answer);
    EXPECT_TRUE(reason.starts_with("body: XML non ben formato")) << reason;
}

class DefaultLocaleTest : public LocaleTest {
protected:
    // Into the fixture's own api: section (extra YAML would repeat the key).
    void Configure() override {
        const auto path = daemon_.dir() / "jobd.yaml";
        std::ifstream in(path);
        std::string config((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        const auto api = config.find("api:\n");
        ASSERT_NE(api, std::string::npos) << config;
        config.insert(api + 5, "  default_locale: nl-NL\n");
        std::ofstream(path) << config;
    }
};

TEST_F(DefaultLocaleTest, ApiDefaultLocaleAppliesWithoutAPreference) {
    EXPECT_EQ(JsonReason(JsonExecuteUnknownJob({})), UnknownJobReason(Language::Dutch));
    EXPECT_EQ(JsonReason(JsonExecuteUnknownJob({{"accept-language", "de"}})),
              UnknownJobReason(Language::German));
}

// jobd's own run texts (reasons, FatalError details) are stored with their message id and shown
// in the reader's language by getJobLogs and getJobLogDetails; process output stays as written.
// One daemon: a run that fails with exit code 3 and one that times out, read in several languages.
class RunTextsTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        daemon_ = StartDemoDaemon("runs:\n  stop_grace: 1s\n");
        failed_ = ExecuteAndWait("Fails", R"(["sh","-c","echo plain output; exit 3"])");
        timed_out_ = ExecuteAndWait("Slow", R"(["sleep","30"],"timeoutSeconds":1)");
    }

    static void TearDownTestSuite() { daemon_.reset(); }

    // Submits a commandJob, executes it and waits until its run has ended; returns the run handle.
    static std::string ExecuteAndWait(const std::string& name, const std::string& command) {
        const auto submitted = daemon_->Json(
            "submitJob",
            R"({"companyHandle":"47","jobName":")" + name +
                R"(","execSchedule":"0 0 0 1 1 ?","commandJob":{"argv":)" + command + "}}",
            "admin@example.com");
        EXPECT_EQ(submitted.status, 200) << submitted.body;
        const auto executed =
            daemon_->Json("executeJob",
                          R"({"companyHandle":"47","jobHandle":"47|)" + name + R"(|"})",
                          "admin@example.com");
        EXPECT_EQ(executed.status, 200) << executed.body;
        const std::string run = json::parse(executed.body).at("runHandle").as_string().c_str();
        EXPECT_TRUE(WaitFor([&] {
            const auto state = JsonLog(run, {}).at("state").as_string();
            return state != "Queued" && state != "Running";
        })) << run
            << " did not end\n"
            << daemon_->Log();
        return run;
    }

    static HttpAnswer JsonCall(const std::string& operation,
                               const std::string& body,
                               const std::map<std::string, std::string>& headers) {
        std::map<std::string, std::string> all = headers;
        all["authorization"] = BasicAuth("admin@example.com", "secret-password");
        all["content-type"] = "application/json";
        const auto answer = daemon_->Post("/api/v1/" + operation, body, all);
        EXPECT_EQ(answer.status, 200) << answer.body;
        return answer;
    }

    // The run's JobLog from getJobLogs over JSON.
    static json::object JsonLog(const std::string& run,
                                const std::map<std::string, std::string>& headers) {
        const auto answer =
            JsonCall("getJobLogs", R"({"companyHandle":"47","numRows":100})", headers);
        const json::value logs = json::parse(answer.body);
        for (const auto& log : logs.at("jobLogArray").as_array()) {
            if (log.at("jobHandle").as_string() == run) {
                return log.as_object();
            }
        }
        ADD_FAILURE() << run << " not in " << answer.body;
        return {{"state", "missing"}, {"reason", ""}};
    }

    // The run's JobLog with its details from getJobLogDetails over JSON.
    static json::object JsonDetails(const std::string& run,
                                    const std::map<std::string, std::string>& headers) {
        const auto answer = JsonCall(
            "getJobLogDetails", R"({"companyHandle":"47","jobHandle":")" + run + R"("})", headers);
        return json::parse(answer.body).at("jobLogArray").as_array().at(0).as_object();
    }

    // The logMessage of the run's detail of `log_type`.
    static std::string JsonDetailMessage(const json::object& log, std::string_view log_type) {
        for (const auto& detail : log.at("detailArray").as_array()) {
            if (detail.at("logType").as_string() == log_type) {
                return detail.at("logMessage").as_string().c_str();
            }
        }
        ADD_FAILURE() << "no " << log_type << " detail in " << json::serialize(log);
        return {};
    }

    // A SOAP call with authHeader (and its locale element when `locale` is not empty).
    static pugi::xml_document Soap(const std::string& operation,
                                   const std::string& params,
                                   const std::string& locale) {
        const std::string body = R"(<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">
  <soapenv:Header>
    <authHeader xmlns="http://www.scene7.com/IpsApi/xsd">
      <user>admin@example.com</user><password>secret-password</password>)" +
                                 (locale.empty() ? "" : "<locale>" + locale + "</locale>") + R"(
    </authHeader>
  </soapenv:Header>
  <soapenv:Body>
    <)" + operation + R"(Param xmlns="http://www.scene7.com/IpsApi/xsd">)" +
                                 params + "</" + operation + R"(Param>
  </soapenv:Body>
</soapenv:Envelope>)";
        const auto answer = daemon_->Post("/IpsApi", body);
        EXPECT_EQ(answer.status, 200) << answer.body;
        pugi::xml_document document;
        EXPECT_TRUE(document.load_string(answer.body.c_str())) << answer.body;
        return document;
    }

    // The run's <reason> from getJobLogs over SOAP.
    static std::string SoapReason(const std::string& run, const std::string& locale) {
        const auto document =
            Soap("getJobLogs", "<companyHandle>47</companyHandle><numRows>100</numRows>", locale);
        for (const auto& item :
             document.select_nodes("//*[local-name()='jobLogArray']/*[local-name()='items']")) {
            if (run == item.node().child_value("jobHandle")) {
                return item.node().child_value("reason");
            }
        }
        ADD_FAILURE() << run << " not in the SOAP getJobLogs answer";
        return {};
    }

    // The run's <reason> and the logMessage of its `log_type` detail from getJobLogDetails.
    static std::pair<std::string, std::string> SoapDetails(const std::string& run,
                                                           std::string_view log_type,
                                                           const std::string& locale) {
        const auto document =
            Soap("getJobLogDetails",
                 "<companyHandle>47</companyHandle><jobHandle>" + run + "</jobHandle>",
                 locale);
        const auto log =
            document.select_node("//*[local-name()='jobLogArray']/*[local-name()='items']").node();
        std::string message;
        for (const auto& item :
             document.select_nodes("//*[local-name()='detailArray']/*[local-name()='items']")) {
            if (log_type == item.node().child_value("logType")) {
                message = item.node().child_value("logMessage");
            }
        }
        EXPECT_FALSE(message.empty()) << "no " << log_type << " detail of " << run;
        return {log.child_value("reason"), message};
    }

    static std::string Exited3(Language language) {
        return Render(Message(MessageId::RunExited, {{"code", "3"}}), language);
    }

    static std::string TimedOut(Language language) {
        return Render(Message(MessageId::RunTimedOut), language);
    }

    static std::unique_ptr<JobdProcess> daemon_;
    static std::string failed_;
    static std::string timed_out_;
};

std::unique_ptr<JobdProcess> RunTextsTest::daemon_;
std::string RunTextsTest::failed_;
std::string RunTextsTest::timed_out_;

TEST_F(RunTextsTest, JsonGetJobLogsFollowsAcceptLanguage) {
    EXPECT_EQ(JsonLog(failed_, {{"accept-language", "de-DE"}}).at("reason").as_string(),
              "beendet mit Code 3");
    EXPECT_EQ(JsonLog(timed_out_, {{"accept-language", "de-DE"}}).at("reason").as_string(),
              "Zeitlimit überschritten");
    EXPECT_EQ(JsonLog(failed_, {{"accept-language", "sv"}}).at("reason").as_string(),
              Exited3(Language::Swedish));
    EXPECT_EQ(JsonLog(timed_out_, {{"accept-language", "fr, nl;q=0.9"}}).at("reason").as_string(),
              TimedOut(Language::Dutch));
    EXPECT_NE(TimedOut(Language::Dutch), TimedOut(Language::English));
}

TEST_F(RunTextsTest, EnglishWithoutAPreference) {
    const auto failed = JsonLog(failed_, {});
    EXPECT_EQ(failed.at("state").as_string(), "Failed");
    EXPECT_EQ(failed.at("reason").as_string(), "exited with 3");
    const auto timed_out = JsonLog(timed_out_, {});
    EXPECT_EQ(timed_out.at("state").as_string(), "TimedOut");
    EXPECT_EQ(timed_out.at("reason").as_string(), "timed out");
    EXPECT_EQ(JsonDetailMessage(JsonDetails(timed_out_, {}), "FatalError"), "timed out");
    EXPECT_EQ(SoapReason(failed_, ""), "exited with 3");
    EXPECT_EQ(SoapDetails(timed_out_, "FatalError", "").second, "timed out");
}

TEST_F(RunTextsTest, JsonGetJobLogDetailsLocalizesReasonAndOwnDetails) {
    const auto german = JsonDetails(timed_out_, {{"accept-language", "de"}});
    EXPECT_EQ(german.at("reason").as_string(), "Zeitlimit überschritten");
    EXPECT_EQ(JsonDetailMessage(german, "FatalError"), "Zeitlimit überschritten");
    const auto italian = JsonDetails(timed_out_, {{"accept-language", "it-IT"}});
    EXPECT_EQ(italian.at("reason").as_string(), TimedOut(Language::Italian));
    EXPECT_EQ(JsonDetailMessage(italian, "FatalError"), TimedOut(Language::Italian));
    // The process's own output is shown as it wrote it, whatever the language.
    const auto failed = JsonDetails(failed_, {{"accept-language", "de"}});
    EXPECT_EQ(failed.at("reason").as_string(), "beendet mit Code 3");
    EXPECT_EQ(JsonDetailMessage(failed, "Output"), "plain output");
}

TEST_F(RunTextsTest, SoapAuthHeaderLocaleLocalizesLogsAndDetails) {
    EXPECT_EQ(SoapReason(failed_, "de-DE"), "beendet mit Code 3");
    EXPECT_EQ(SoapReason(timed_out_, "es_ES"), TimedOut(Language::Spanish));
    const auto [reason, detail] = SoapDetails(timed_out_, "FatalError", "de");
    EXPECT_EQ(reason, "Zeitlimit überschritten");
    EXPECT_EQ(detail, "Zeitlimit überschritten");
    const auto [swedish_reason, output] = SoapDetails(failed_, "Output", "sv-SE");
    EXPECT_EQ(swedish_reason, Exited3(Language::Swedish));
    EXPECT_EQ(output, "plain output");
}

}  // namespace
}  // namespace jobd::test
