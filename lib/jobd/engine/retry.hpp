#pragma once
// Retries of failed runs (contract §7): Failed, TimedOut and Lost runs are retried up to the
// job's maxRetries with exponential backoff. Pure: the caller passes the jitter.

#include <chrono>
#include <optional>

#include "jobd/model/job.hpp"

namespace jobd::engine {

// The delay before the next attempt of `run`, which ended in `state`, or nullopt when there is
// none: retryBackoffSeconds x 2^attempt, capped at a day, scaled by 1 + jitter (jitter in
// [-0.2, 0.2] spreads retries of many runs that failed together).
std::optional<std::chrono::milliseconds> RetryDelay(const JobSpec& job,
                                                    const Run& run,
                                                    RunState state,
                                                    double jitter);

}  // namespace jobd::engine
