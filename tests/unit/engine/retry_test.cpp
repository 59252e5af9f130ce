#include "jobd/engine/retry.hpp"

#include <gtest/gtest.h>

namespace jobd::engine {
namespace {

using std::chrono::milliseconds;

JobSpec WithRetries(int max_retries, int backoff_seconds) {
    JobSpec job;
    job.max_retries = max_retries;
    job.retry_backoff_seconds = backoff_seconds;
    return job;
}

Run Attempt(int attempt) {
    Run run;
    run.attempt = attempt;
    return run;
}

TEST(RetryDelay, BacksOffExponentially) {
    const JobSpec job = WithRetries(3, 10);
    EXPECT_EQ(RetryDelay(job, Attempt(0), RunState::Failed, 0.0), milliseconds(10000));
    EXPECT_EQ(RetryDelay(job, Attempt(1), RunState::TimedOut, 0.0), milliseconds(20000));
    EXPECT_EQ(RetryDelay(job, Attempt(2), RunState::Failed, 0.0), milliseconds(40000));
    EXPECT_FALSE(RetryDelay(job, Attempt(3), RunState::Failed, 0.0));  // maxRetries used up
}

TEST(RetryDelay, OnlyFailedTimedOutAndLostAreRetried) {
    const JobSpec job = WithRetries(3, 10);
    for (const auto state : {RunState::Succeeded, RunState::Stopped, RunState::Skipped}) {
        EXPECT_FALSE(RetryDelay(job, Attempt(0), state, 0.0));
    }
    EXPECT_FALSE(RetryDelay(WithRetries(0, 10), Attempt(0), RunState::Failed, 0.0));
    // Issue #6: a run whose node was lost is retried where the job allows it.
    EXPECT_EQ(RetryDelay(job, Attempt(0), RunState::Lost, 0.0), std::chrono::milliseconds(10000));
}

TEST(RetryDelay, JitterIsBoundedAndTheDelayCapped) {
    const JobSpec job = WithRetries(100, 10);
    EXPECT_EQ(RetryDelay(job, Attempt(0), RunState::Failed, 5.0), milliseconds(12000));
    EXPECT_EQ(RetryDelay(job, Attempt(0), RunState::Failed, -5.0), milliseconds(8000));
    EXPECT_EQ(RetryDelay(job, Attempt(60), RunState::Failed, 0.0), milliseconds(24 * 3600 * 1000));
}

}  // namespace
}  // namespace jobd::engine
