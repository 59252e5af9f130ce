#pragma once
// Recently verified passwords. Argon2id costs ~50-100 ms and 64 MiB per check (password.hpp),
// far too much for clients that send user and password with every request, so a success is
// remembered for a while and the next request with the same credentials skips it.
// Thread-safe: every method may be called from any thread (one mutex). Time is an argument.

#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <utility>

namespace jobd::auth {

class CredentialCache {
public:
    using Clock = std::chrono::steady_clock;

    static constexpr std::chrono::seconds kDefaultTtl = std::chrono::minutes(5);
    static constexpr std::size_t kDefaultMaxEntries = 10'000;

    // Entries live `ttl` from their insertion; beyond `max_entries` (at least 1) the oldest go.
    explicit CredentialCache(Clock::duration ttl = kDefaultTtl,
                             std::size_t max_entries = kDefaultMaxEntries);

    // The key of one check: HMAC-SHA-256 over email, password and stored hash under a random
    // key of this cache. The stored hash makes a password change miss; the random key makes the
    // keys worthless to anyone reading memory or a core dump, since they cannot be tested offline.
    std::string KeyFor(std::string_view email,
                       std::string_view password,
                       std::string_view stored_hash) const;

    // True when `key` was inserted less than ttl before `now`.
    bool Contains(const std::string& key, Clock::time_point now);

    // Remembers a successful check made at `now`.
    void Insert(const std::string& key, Clock::time_point now);

private:
    void DropExpired(Clock::time_point now);  // mutex_ held

    const Clock::duration ttl_;
    const std::size_t max_entries_;
    std::string hmac_key_;  // random, set once in the constructor

    std::mutex mutex_;  // guards the two members below, which always hold the same entries
    std::map<std::string, Clock::time_point> expiry_;
    std::set<std::pair<Clock::time_point, std::string>> by_expiry_;
};

}  // namespace jobd::auth
