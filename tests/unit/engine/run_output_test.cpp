#include "jobd/engine/run_output.hpp"

#include <gtest/gtest.h>

namespace jobd::engine {
namespace {

const TimePoint kNow{std::chrono::seconds(1'800'000'000)};

TEST(RunOutput, PlainLinesAreOutputAndErrorOutput) {
    RunOutput output(1024);
    output.OnLine(false, "hello", kNow);
    output.OnLine(true, "oops", kNow);
    const auto details = output.TakeDetails();
    ASSERT_EQ(details.size(), 2u);
    EXPECT_EQ(details[0].log_type, "Output");
    EXPECT_EQ(details[0].message, "hello");
    EXPECT_EQ(details[1].log_type, "ErrorOutput");
    EXPECT_TRUE(output.TakeDetails().empty());
}

TEST(RunOutput, JsonLineWithLogTypeIsKeptAsSent) {
    RunOutput output(1024);
    output.OnLine(
        false,
        R"({"logType":"FileBegin","logMessage":"start","assetName":"a.jpg","assetType":"MasterImage"})",
        kNow);
    const auto details = output.TakeDetails();
    ASSERT_EQ(details.size(), 1u);
    EXPECT_EQ(details[0].log_type, "FileBegin");
    EXPECT_EQ(details[0].message, "start");
    EXPECT_EQ(details[0].asset_name, "a.jpg");
    EXPECT_EQ(details[0].asset_type, "MasterImage");
}

TEST(RunOutput, ProgressLinesUpdateProgressOnly) {
    RunOutput output(1024);
    output.OnLine(false, R"({"progress":40,"progressMessage":"4 of 10"})", kNow);
    output.OnLine(false, R"({"progress":250})", kNow);  // clamped to 100
    EXPECT_TRUE(output.TakeDetails().empty());
    const auto progress = output.TakeProgress();
    ASSERT_TRUE(progress);
    EXPECT_EQ(progress->percent, 100);
    EXPECT_EQ(progress->message, "4 of 10");
    EXPECT_FALSE(output.TakeProgress());
}

TEST(RunOutput, StderrJsonAndMalformedJsonAreText) {
    RunOutput output(1024);
    output.OnLine(true, R"({"logType":"FileBegin"})", kNow);
    output.OnLine(false, R"({"logType":)", kNow);
    output.OnLine(false, R"({"other":1})", kNow);
    const auto details = output.TakeDetails();
    ASSERT_EQ(details.size(), 3u);
    EXPECT_EQ(details[0].log_type, "ErrorOutput");
    EXPECT_EQ(details[1].log_type, "Output");
    EXPECT_EQ(details[2].log_type, "Output");
}

TEST(RunOutput, OutputBeyondTheLimitIsDroppedOnceWithANote) {
    RunOutput output(20);
    output.OnLine(false, "0123456789", kNow);  // 10 + "Output" = 16 bytes
    output.OnLine(false, "0123456789", kNow);  // over the limit
    output.OnLine(false, "more", kNow);
    const auto details = output.TakeDetails();
    ASSERT_EQ(details.size(), 2u);
    EXPECT_FALSE(details[0].own_message.has_value());  // process output: no message of jobd's
    EXPECT_EQ(details[1].log_type, "OutputTruncated");
    // jobd's own note: English text for logs and old readers, its message for the API to render.
    EXPECT_EQ(details[1].message, "output beyond runs.output_limit_bytes (20 bytes) was dropped");
    ASSERT_TRUE(details[1].own_message);
    EXPECT_EQ(details[1].own_message->id(), MessageId::OutputTruncated);
    EXPECT_EQ(Render(*details[1].own_message, Language::German),
              "Ausgabe jenseits von runs.output_limit_bytes (20 Bytes) wurde verworfen");
}

TEST(RunOutput, InvalidUtf8IsReplaced) {
    RunOutput output(1024);
    output.OnLine(false, std::string("bad\xff", 4), kNow);
    EXPECT_EQ(output.TakeDetails().at(0).message, "bad\xEF\xBF\xBD");
}

}  // namespace
}  // namespace jobd::engine
