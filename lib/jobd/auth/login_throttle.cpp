#include "jobd/auth/login_throttle.hpp"

#include <algorithm>

namespace jobd::auth {

LoginThrottle::LoginThrottle(ThrottleLimits limits) : limits_(limits) {}

std::string LoginThrottle::KeyFor(std::string_view user, std::string_view source_address) {
    // NUL cannot occur in an address, so no (user, address) pair can pose as another.
    std::string key(user);
    key += '\0';
    key += source_address;
    return key;
}

bool LoginThrottle::Allowed(const std::string& key, Clock::time_point now) {
    const std::lock_guard lock(mutex_);
    const auto found = pairs_.find(key);
    return found == pairs_.end() || now >= found->second.blocked_until;
}

void LoginThrottle::RecordFailure(const std::string& key, Clock::time_point now) {
    const std::lock_guard lock(mutex_);
    auto found = pairs_.find(key);
    if (found == pairs_.end()) {
        MakeRoom(now);
        found =
            pairs_.emplace(key, Pair{.window_start = now, .last_failure = now, .blocked_until = {}})
                .first;
    }
    Pair& pair = found->second;
    if (now - pair.window_start >= limits_.window) {
        pair.failures = 0;
        pair.window_start = now;
    }
    pair.last_failure = now;
    if (++pair.failures >= limits_.max_failures) {
        pair.blocked_until = now + limits_.backoff;
        pair.failures = 0;  // after the backoff, another full round of attempts
        pair.window_start = now;
    }
}

void LoginThrottle::RecordSuccess(const std::string& key) {
    const std::lock_guard lock(mutex_);
    pairs_.erase(key);
}

void LoginThrottle::MakeRoom(Clock::time_point now) {
    if (pairs_.size() < limits_.max_entries) {
        return;
    }
    std::erase_if(pairs_, [&](const auto& entry) {
        const Pair& pair = entry.second;
        return now >= pair.blocked_until && now - pair.window_start >= limits_.window;
    });
    while (!pairs_.empty() && pairs_.size() >= limits_.max_entries) {
        pairs_.erase(
            std::min_element(pairs_.begin(), pairs_.end(), [](const auto& a, const auto& b) {
                return a.second.last_failure < b.second.last_failure;
            }));
    }
}

}  // namespace jobd::auth
