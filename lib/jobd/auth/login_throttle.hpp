#pragma once
// Rate limit on failed logins per (user, source address): after `max_failures` failures within
// `window`, that pair is refused for `backoff`, which makes online password guessing slow without
// locking the user out from everywhere. Memory is bounded by `max_entries`; when full, stale
// entries go first, then the least recently failing one (so a flood of other pairs can lift a
// block early: the bound on memory wins over the block).
// Thread-safe: every method may be called from any thread (one mutex). Time is an argument.

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace jobd::auth {

struct ThrottleLimits {
    int max_failures = 5;
    std::chrono::steady_clock::duration window = std::chrono::minutes(1);
    std::chrono::steady_clock::duration backoff = std::chrono::minutes(5);
    std::size_t max_entries = 10'000;
};

class LoginThrottle {
public:
    using Clock = std::chrono::steady_clock;

    explicit LoginThrottle(ThrottleLimits limits = {});

    // The key of one (user, source address) pair.
    static std::string KeyFor(std::string_view user, std::string_view source_address);

    // False while the pair is blocked: refuse the attempt without checking the password.
    bool Allowed(const std::string& key, Clock::time_point now);

    void RecordFailure(const std::string& key, Clock::time_point now);

    // A successful login forgets the pair's failures.
    void RecordSuccess(const std::string& key);

private:
    struct Pair {
        int failures = 0;  // within the window starting at window_start
        Clock::time_point window_start;
        Clock::time_point last_failure;
        Clock::time_point blocked_until;
    };

    void MakeRoom(Clock::time_point now);  // mutex_ held

    const ThrottleLimits limits_;

    std::mutex mutex_;  // guards pairs_
    std::unordered_map<std::string, Pair> pairs_;
};

}  // namespace jobd::auth
