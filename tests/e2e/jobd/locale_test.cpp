// End to end: fault reasons and jobd's own log details in the request's language (contract §5
// "Locale": authHeader/locale, else Accept-Language, else api.default_locale).

#include <fstream>
#include <iterator>
#include <map>
#include <string>

#include <boost/json.hpp>
#include <gtest/gtest.h>

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
        daemon_.AddCompany(47, "Demo");
        daemon_.AddUser("admin@example.com", 47, "IpsAdmin");
        daemon_.Start();
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

}  // namespace
}  // namespace jobd::test
