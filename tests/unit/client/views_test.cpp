#include "jobd/client/views.hpp"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

namespace jobd::client {
namespace {

namespace json = boost::json;

json::object Answer(std::string_view text) {
    return json::parse(text).as_object();
}

TEST(PrettyJson, IndentsNestedValues) {
    EXPECT_EQ(PrettyJson(json::parse(R"({"a":[1,{"b":null}],"c":{},"d":[],"e":"x\"y"})")),
              "{\n"
              "  \"a\": [\n"
              "    1,\n"
              "    {\n"
              "      \"b\": null\n"
              "    }\n"
              "  ],\n"
              "  \"c\": {},\n"
              "  \"d\": [],\n"
              "  \"e\": \"x\\\"y\"\n"
              "}\n");
    EXPECT_EQ(PrettyJson(json::object()), "{}\n");
}

TEST(RenderActiveJobs, ShowsKnownFieldsAndIgnoresUnknownOnes) {
    const std::string text = RenderActiveJobs(Answer(R"({"jobArray": [
        {"jobHandle": "47|Nightly|812", "type": "Command", "state": "Running",
         "startDate": "2026-01-01T02:00:00+01:00", "progress": 40, "serverName": "node-a",
         "progressMessage": "copying", "someFutureField": {"x": 1}}]})"));
    EXPECT_NE(text.find("47|Nightly|812"), std::string::npos);
    EXPECT_NE(text.find("copying"), std::string::npos);
    EXPECT_NE(text.find("40"), std::string::npos);
    EXPECT_EQ(text.find("someFutureField"), std::string::npos);
    EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 2);
}

TEST(RenderActiveJobs, MissingFieldsShowAsDash) {
    const std::string text = RenderActiveJobs(Answer(R"({"jobArray": [{"jobHandle": "47|A|1"}]})"));
    const std::string row = text.substr(text.find('\n') + 1);
    EXPECT_EQ(row, "47|A|1  -     -      -               -  -       -\n");
}

TEST(RenderScheduledJobs, MissingArrayIsNoRows) {
    EXPECT_EQ(RenderScheduledJobs(json::object()),
              "JOB  TYPE  SCHEDULE  ZONE  NEXT FIRE  STATE  DESCRIPTION\n");
}

TEST(RenderScheduledJobs, AcceptsTheIpsItemsWrapper) {
    const std::string text = RenderScheduledJobs(Answer(R"({"jobArray": {"items": [
        {"jobHandle": "0|Cleanup|", "execSchedule": "00 00 00 * * ", "triggerState": "Paused"}
    ]}})"));
    EXPECT_NE(text.find("0|Cleanup|"), std::string::npos);
    EXPECT_NE(text.find("Paused"), std::string::npos);
}

TEST(RenderJobLogs, FormatsDurations) {
    const std::string text = RenderJobLogs(Answer(R"({"jobLogArray": [
        {"jobHandle": "47|Nightly|812", "state": "Failed", "exitCode": 3, "durationMs": 245000}
    ]})"));
    EXPECT_NE(text.find("4m05s"), std::string::npos);
    EXPECT_NE(text.find("Failed"), std::string::npos);
}

TEST(RenderJobLogDetails, HeadsEachLogAndListsItsDetails) {
    const std::string text = RenderJobLogDetails(Answer(R"({"jobLogArray": [
        {"jobHandle": "47|Nightly|812", "state": "Succeeded", "exitCode": 0,
         "detailTotalRows": 40, "detailArray": [
            {"logMessage": "hello", "logType": "Output", "dateCreated": "2026-01-01T02:00:01Z"},
            {"logMessage": "a.jpg done", "logType": "FileEnd", "assetName": "a.jpg"}]}]})"));
    EXPECT_EQ(text.substr(0, text.find('\n')),
              "47|Nightly|812  state=Succeeded  exit=0  details 2 of 40");
    EXPECT_NE(text.find("hello"), std::string::npos);
    EXPECT_NE(text.find("a.jpg done"), std::string::npos);
    EXPECT_EQ(RenderJobLogDetails(json::object()), "");
}

TEST(RenderField, PrintsTheValueOrDash) {
    EXPECT_EQ(RenderField(Answer(R"({"jobHandle": "47|A|"})"), "jobHandle"), "47|A|\n");
    EXPECT_EQ(RenderField(json::object(), "runHandle"), "-\n");
}

struct DurationCase {
    std::int64_t milliseconds;
    std::string text;
};

TEST(FormatDurationMs, PicksAReadableUnit) {
    const DurationCase cases[] = {
        {0, "0ms"},
        {850, "850ms"},
        {1000, "1.0s"},
        {12345, "12.3s"},
        {59999, "59.9s"},
        {60000, "1m00s"},
        {245000, "4m05s"},
        {3599999, "59m59s"},
        {3600000, "1h00m"},
        {3725000, "1h02m"},
        {90000000, "25h00m"},
    };
    for (const DurationCase& c : cases) {
        EXPECT_EQ(FormatDurationMs(c.milliseconds), c.text) << c.milliseconds;
    }
}

}  // namespace
}  // namespace jobd::client
