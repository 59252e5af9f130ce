#include "jobd/engine/retry.hpp"

#include <algorithm>
#include <cmath>

namespace jobd::engine {
namespace {

constexpr double kMaxDelaySeconds = 24 * 3600;

}  // namespace

std::optional<std::chrono::milliseconds> RetryDelay(const JobSpec& job,
                                                    const Run& run,
                                                    RunState state,
                                                    double jitter) {
    // Lost: the run's node died under it (issue #6); the job asked for another attempt then too.
    const bool retryable =
        state == RunState::Failed || state == RunState::TimedOut || state == RunState::Lost;
    if (!retryable || run.attempt >= job.max_retries) {
        return std::nullopt;
    }
    const double base = job.retry_backoff_seconds * std::pow(2.0, run.attempt);
    const double seconds = std::min(base, kMaxDelaySeconds) * (1.0 + std::clamp(jitter, -0.2, 0.2));
    return std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000.0));
}

}  // namespace jobd::engine
