#pragma once
// Recently verified passwords. Argon2id costs ~50-100 ms and 64 MiB per check (password.hpp),
// far too much for clients that send user and password with every request, so a success is
// remembered for a while with the stored hash it matched: the next request with the same
// credentials skips the check while that hash is still the user's (the caller compares it with
// the stored one, in C++ or in executeJob's statement), so a changed password misses at once.
// Thread-safe: every method may be called from any thread (one mutex). Time is an argument.

#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
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

    // The key of one check: HMAC-SHA-256 over email (as the caller wrote it) and password under
    // a random key of this cache, which makes the keys worthless to anyone reading memory or a
    // core dump, since they cannot be tested offline.
    std::string KeyFor(std::string_view email, std::string_view password) const;

    // The stored hash `key`'s password matched, when that check was inserted less than ttl
    // before `now`.
    std::optional<std::string> VerifiedHash(const std::string& key, Clock::time_point now);

    // Remembers a successful check against `stored_hash` made at `now`.
    void Insert(const std::string& key, std::string stored_hash, Clock::time_point now);

private:
    void DropExpired(Clock::time_point now);  // mutex_ held
    void DropOldest();                        // mutex_ held, by_expiry_ not empty

    const Clock::duration ttl_;
    const std::size_t max_entries_;
    std::string hmac_key_;  // random, set once in the constructor

    struct Check {
        Clock::time_point expiry;
        std::string stored_hash;
    };

    std::mutex mutex_;  // guards the two members below, which always hold the same entries
    std::map<std::string, Check> checks_;
    std::set<std::pair<Clock::time_point, std::string>> by_expiry_;
};

}  // namespace jobd::auth
