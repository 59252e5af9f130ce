#include "jobd/api/json_codec.hpp"

#include <string>

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include "jobd/model/error.hpp"

namespace jobd::api {
namespace {

HttpRequest JsonRequest(std::string body) {
    HttpRequest request;
    request.method = "POST";
    request.target = "/api/v1/executeJob";
    request.body = std::move(body);
    request.peer = "127.0.0.1:5555";
    return request;
}

ErrorKind DecodeFailure(const HttpRequest& request) {
    try {
        DecodeJson(request, "executeJob");
    } catch (const Error& e) {
        return e.kind();
    }
    ADD_FAILURE() << "decoded: " << request.body;
    return ErrorKind::Internal;
}

TEST(DecodeJson, ReadsFieldsBearerTokenAndLocale) {
    HttpRequest request = JsonRequest(R"({"companyHandle":"47","jobHandle":"47|My Test Job|"})");
    request.headers["authorization"] = "Bearer tok123";
    request.headers["accept-language"] = "fr-FR, it-IT;q=0.5, de;q=0.1";
    const Call call = DecodeJson(request, "executeJob");
    EXPECT_EQ(call.operation, "executeJob");
    EXPECT_EQ(call.params.at("jobHandle").as_string(), "47|My Test Job|");
    EXPECT_EQ(call.credentials.token, "tok123");
    EXPECT_EQ(call.language, Language::Italian);  // fr has no catalog; it-IT outweighs de
    EXPECT_EQ(call.peer, "127.0.0.1:5555");
    EXPECT_TRUE(call.soap_namespace.empty());
    EXPECT_FALSE(call.fault_http_status.has_value());
}

TEST(DecodeJson, ReadsBasicCredentials) {
    HttpRequest request = JsonRequest("{}");
    request.headers["authorization"] = "Basic dXNlcjpwdw==";  // user:pw
    const Call call = DecodeJson(request, "getActiveJobs");
    EXPECT_EQ(call.credentials.user, "user");
    EXPECT_EQ(call.credentials.password, "pw");
}

TEST(DecodeJson, EmptyBodyIsAnEmptyObject) {
    EXPECT_TRUE(DecodeJson(JsonRequest(""), "getActiveJobs").params.empty());
    EXPECT_TRUE(DecodeJson(JsonRequest(" \n"), "getActiveJobs").params.empty());
}

TEST(DecodeJson, RejectsBodiesThatAreNotAJsonObject) {
    const std::string kBad[] = {
        "[]",
        "\"47\"",
        "null",
        "{\"companyHandle\":",
        "<executeJobParam/>",
        std::string(100, '[') + std::string(100, ']'),  // deeper than the 32-level bound
        // As deep as a 1 MiB body can nest: refused without exhausting the stack.
        std::string(1 << 20, '['),
        [] {
            std::string deep;
            for (int i = 0; i < 100000; ++i) {
                deep += "{\"a\":";
            }
            return deep + "1" + std::string(100000, '}');
        }(),
    };
    for (const std::string& body : kBad) {
        SCOPED_TRACE(body);
        EXPECT_EQ(DecodeFailure(JsonRequest(body)), ErrorKind::InvalidRequestBody);
    }
}

TEST(EncodeJsonFault, CarriesElementCodeAndReason) {
    const auto fault = boost::json::parse(
        EncodeJsonFault(FaultFor(ErrorKind::NotMember), "companyHandle: not a member"));
    EXPECT_EQ(fault.at("fault").as_string(), "authorizationFault");
    EXPECT_EQ(fault.at("code").as_int64(), 20006);
    EXPECT_EQ(fault.at("reason").as_string(), "companyHandle: not a member");
}

TEST(EncodeJsonReturn, IsTheResultObject) {
    const boost::json::object result{{"runHandle", "47|My Test Job|812"}};
    EXPECT_EQ(boost::json::parse(EncodeJsonReturn(result)), result);
}

}  // namespace
}  // namespace jobd::api
