#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include "jobd/client/api_client.hpp"

namespace jobd::client {
namespace {

namespace json = boost::json;

TEST(ParseAnswer, ReturnsTheObjectOfASuccessfulAnswer) {
    EXPECT_EQ(ParseAnswer(200, R"({"runHandle": "47|A|812", "future": 1})"),
              json::parse(R"({"runHandle": "47|A|812", "future": 1})"));
    EXPECT_EQ(ParseAnswer(200, "{}"), json::object());
    EXPECT_EQ(ParseAnswer(204, ""), json::object());
}

struct FaultCase {
    int status;
    std::string body;
    std::string fault;
    int code;
    std::string reason;
};

TEST(ParseAnswer, ThrowsTheFaultOfAnErrorAnswer) {
    const FaultCase cases[] = {
        {409,
         R"({"fault":"ipsApiFault","code":30001,"reason":"job is already running"})",
         "ipsApiFault",
         30001,
         "job is already running"},
        {401,
         R"({"fault":"authenticationFault","code":10000,"reason":"no credentials"})",
         "authenticationFault",
         10000,
         "no credentials"},
        {403, R"({"fault":"authorizationFault","code":20006})", "authorizationFault", 20006, ""},
        {502,
         "<html><title>Bad Gateway</title>\n</html>",
         "",
         0,
         "<html><title>Bad Gateway</title>"},
        {500, "", "", 0, "no fault in the answer"},
        {404, R"({"error": "not found"})", "", 0, R"({"error": "not found"})"},
        {200, "[1, 2]", "", 0, "the answer is not a JSON object"},
        {200, "not json", "", 0, "the answer is not a JSON object"},
    };
    for (const FaultCase& c : cases) {
        try {
            ParseAnswer(c.status, c.body);
            ADD_FAILURE() << "no error for " << c.body;
        } catch (const ClientError& error) {
            EXPECT_EQ(error.fault(), c.fault) << c.body;
            EXPECT_EQ(error.code(), c.code) << c.body;
            EXPECT_EQ(error.reason(), c.reason) << c.body;
            EXPECT_EQ(error.http_status(), c.status) << c.body;
        }
    }
}

TEST(ClientError, WhatLeadsWithTheFaultAndCode) {
    const ClientError fault("ipsApiFault", 30001, "job is already running", 409);
    EXPECT_EQ(std::string(fault.what()).substr(0, 18), "ipsApiFault 30001:");
    const ClientError http("", 0, "Bad Gateway", 502);
    EXPECT_EQ(std::string(http.what()).substr(0, 9), "HTTP 502:");
}

}  // namespace
}  // namespace jobd::client
