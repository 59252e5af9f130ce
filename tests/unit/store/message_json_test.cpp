// How jobd's own messages are stored beside their English text (runs.reason_message,
// run_details.own_message; contract §5 "Locale") and read back, including rows it cannot read.

#include "jobd/store/detail/message_json.hpp"

#include <gtest/gtest.h>

namespace jobd::store {
namespace {

TEST(MessageJson, RoundTripsArgumentsAndNestedMessages) {
    const Message message =
        Message(MessageId::RunNotLaunched, {{"field", "exportJob"}})
            .With("problem", Message(MessageId::NoHandler, {{"type", "exportJob"}}));
    const std::string json = MessageToJson(message);
    EXPECT_NE(json.find(R"("id":"RunNotLaunched")"), std::string::npos) << json;
    const auto back = MessageFromJson(json);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->id(), MessageId::RunNotLaunched);
    for (const Language language : kLanguages) {
        EXPECT_EQ(Render(*back, language), Render(message, language)) << LanguageCode(language);
    }
}

TEST(MessageJson, MessageWithoutArgumentsRoundTrips) {
    const auto back = MessageFromJson(MessageToJson(Message(MessageId::RunTimedOut)));
    ASSERT_TRUE(back);
    EXPECT_EQ(back->id(), MessageId::RunTimedOut);
    EXPECT_TRUE(back->args().empty());
    EXPECT_EQ(MessageFromJson(R"({"id":"RunStopped"})")->id(), MessageId::RunStopped);
}

// The reader then falls back to the stored English text (RenderStored).
TEST(MessageJson, WhatThisJobdCannotReadIsNoMessage) {
    EXPECT_FALSE(MessageFromJson(R"({"id":"FromANewerJobd","args":{}})"));
    EXPECT_FALSE(MessageFromJson(
        R"({"id":"RunNotLaunched","args":{"field":"x","problem":{"id":"FromANewerJobd"}}})"));
    EXPECT_FALSE(MessageFromJson(R"({"id":"RunExited","args":{"code":3}})"));
    EXPECT_FALSE(MessageFromJson(R"({"id":"RunExited","args":["3"]})"));
    EXPECT_FALSE(MessageFromJson(R"({"args":{}})"));
    EXPECT_FALSE(MessageFromJson(R"("RunExited")"));
    EXPECT_FALSE(MessageFromJson("not json"));
    EXPECT_FALSE(MessageFromJson(""));
    std::string deep = R"("x")";
    for (int i = 0; i < 50; ++i) {
        deep = R"({"id":"RunSpawnFailed","args":{"problem":)" + deep + "}}";
    }
    EXPECT_FALSE(MessageFromJson(deep));
}

TEST(MessageJson, OptionalMessageColumns) {
    EXPECT_EQ(EnglishText(std::nullopt), "");
    EXPECT_EQ(OptionalMessageJson(std::nullopt), std::nullopt);
    const Message exited(MessageId::RunExited, {{"code", "1"}});
    EXPECT_EQ(EnglishText(exited), "exited with 1");
    EXPECT_EQ(OptionalMessageJson(exited), MessageToJson(exited));
}

}  // namespace
}  // namespace jobd::store
