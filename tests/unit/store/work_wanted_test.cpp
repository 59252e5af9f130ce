// The payload of an ask for work on store::kWorkWantedChannel (issue #8): written by one node,
// read by the others; anything else on the channel is not an ask.

#include <gtest/gtest.h>

#include "jobd/store/runs.hpp"

namespace jobd::store {
namespace {

TEST(WorkWanted, PayloadRoundTripsNodeNamesWithSpaces) {
    for (const WorkWanted& want : {WorkWanted{"node-a", 8}, WorkWanted{"rack 2 / node b", 1}}) {
        EXPECT_EQ(ParseWorkWanted(WorkWantedPayload(want)), want) << WorkWantedPayload(want);
    }
    EXPECT_EQ(WorkWantedPayload({"node-a", 8}), "8 node-a");
}

TEST(WorkWanted, AnythingElseIsNotAnAsk) {
    for (const char* payload : {"",
                                "8",
                                "8 ",
                                " node-a",
                                "x node-a",
                                "0 node-a",
                                "-1 node-a",
                                "8node-a",
                                "99999999999999999999 node-a"}) {
        EXPECT_EQ(ParseWorkWanted(payload), std::nullopt) << '"' << payload << '"';
    }
}

}  // namespace
}  // namespace jobd::store
