#include "jobd/model/enums.hpp"

#include <gtest/gtest.h>

namespace jobd {
namespace {

TEST(Enums, RoundTripWireSpellings) {
    for (const auto state : {RunState::Queued,
                             RunState::Running,
                             RunState::Succeeded,
                             RunState::Failed,
                             RunState::TimedOut,
                             RunState::Stopped,
                             RunState::Lost,
                             RunState::Skipped}) {
        EXPECT_EQ(Parse<RunState>(ToString(state)), state);
    }
    EXPECT_EQ(Parse<Role>("ImagePortalContribUser"), Role::ImagePortalContribUser);
    EXPECT_EQ(ToString(Trigger::Execute), "Execute");
}

TEST(Enums, ParsingIsExact) {
    EXPECT_FALSE(Parse<RunState>("succeeded"));
    EXPECT_FALSE(Parse<Overlap>(""));
    EXPECT_FALSE(Parse<Role>("IpsAdmin "));
}

TEST(Enums, OnlyQueuedAndRunningAreUnfinished) {
    EXPECT_FALSE(IsFinished(RunState::Queued));
    EXPECT_FALSE(IsFinished(RunState::Running));
    EXPECT_TRUE(IsFinished(RunState::Skipped));
    EXPECT_TRUE(IsFinished(RunState::Lost));
}

}  // namespace
}  // namespace jobd
