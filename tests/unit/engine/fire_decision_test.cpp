#include "jobd/engine/fire_decision.hpp"

#include <gtest/gtest.h>

namespace jobd::engine {
namespace {

using namespace std::chrono;

TimePoint At(int h, int m, int s) {
    return sys_days(year(2026) / 11 / 23) + hours(h) + minutes(m) + seconds(s);
}

Job Scheduled(std::string schedule, TimePoint next, Misfire misfire = Misfire::FireOnce) {
    Job job;
    job.id = 1;
    job.spec.exec_schedule = std::move(schedule);
    job.spec.time_zone = "UTC";
    job.spec.next_fire_at = next;
    job.spec.misfire = misfire;
    return job;
}

constexpr auto kGrace = seconds(60);

TEST(DecideFire, OnTimeFireRunsAndMovesToTheNextSlot) {
    const auto decision = DecideFire(Scheduled("0 * * * * ?", At(12, 0, 0)), At(12, 0, 0), kGrace);
    EXPECT_EQ(decision.action, FireDecision::Action::Run);
    EXPECT_EQ(decision.scheduled_for, At(12, 0, 0));
    EXPECT_EQ(decision.next_fire, At(12, 1, 0));
    EXPECT_EQ(decision.next_state, TriggerState::Normal);
}

TEST(DecideFire, LateWithinGraceKeepsEveryFire) {
    const auto decision = DecideFire(Scheduled("* * * * * ?", At(12, 0, 0)), At(12, 0, 30), kGrace);
    EXPECT_EQ(decision.action, FireDecision::Action::Run);
    EXPECT_EQ(decision.next_fire, At(12, 0, 1));
}

// Contract §8: after downtime FireOnce runs one catch-up run, never a burst.
TEST(DecideFire, MisfireFireOnceRunsOnceAndResumesFromNow) {
    const auto decision = DecideFire(Scheduled("0 * * * * ?", At(9, 0, 0)), At(12, 0, 30), kGrace);
    EXPECT_EQ(decision.action, FireDecision::Action::Run);
    EXPECT_EQ(decision.scheduled_for, At(9, 0, 0));
    EXPECT_EQ(decision.next_fire, At(12, 1, 0));
}

TEST(DecideFire, MisfireSkipRecordsASkip) {
    const auto decision =
        DecideFire(Scheduled("0 * * * * ?", At(9, 0, 0), Misfire::Skip), At(12, 0, 30), kGrace);
    EXPECT_EQ(decision.action, FireDecision::Action::Skip);
    ASSERT_TRUE(decision.skip_reason);
    EXPECT_EQ(decision.skip_reason->id(), MessageId::SkippedMisfire);
    EXPECT_EQ(decision.next_fire, At(12, 1, 0));
}

TEST(DecideFire, ForbidSkipsWhileARunIsGoing) {
    Job job = Scheduled("0 * * * * ?", At(12, 0, 0));
    job.active_runs = 1;
    const auto skipped = DecideFire(job, At(12, 0, 0), kGrace);
    EXPECT_EQ(skipped.action, FireDecision::Action::Skip);
    ASSERT_TRUE(skipped.skip_reason);
    EXPECT_EQ(skipped.skip_reason->id(), MessageId::SkippedOverlap);
    job.spec.overlap = Overlap::Allow;
    EXPECT_EQ(DecideFire(job, At(12, 0, 0), kGrace).action, FireDecision::Action::Run);
}

TEST(DecideFire, OneShotCompletesAfterItsFire) {
    Job job;
    job.spec.exec_time = At(12, 0, 0);
    job.spec.next_fire_at = At(12, 0, 0);
    job.spec.time_zone = "UTC";
    const auto decision = DecideFire(job, At(12, 0, 0), kGrace);
    EXPECT_EQ(decision.action, FireDecision::Action::Run);
    EXPECT_FALSE(decision.next_fire);
    EXPECT_EQ(decision.next_state, TriggerState::Complete);
}

TEST(DecideFire, UnreadableScheduleIsError) {
    Job job = Scheduled("0 * * * * ?", At(12, 0, 0));
    job.spec.time_zone = "Nowhere/Atlantis";
    EXPECT_EQ(DecideFire(job, At(12, 0, 0), kGrace).next_state, TriggerState::Error);
}

}  // namespace
}  // namespace jobd::engine
