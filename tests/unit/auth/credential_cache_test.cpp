#include "jobd/auth/credential_cache.hpp"

#include <gtest/gtest.h>

namespace jobd::auth {
namespace {

using namespace std::chrono_literals;
using TimePoint = CredentialCache::Clock::time_point;

const TimePoint kStart{};

TEST(CredentialCache, KeyChangesWithEveryPart) {
    const CredentialCache cache;
    const std::string key = cache.KeyFor("a@example.com", "pw", "$argon2id$1");
    EXPECT_EQ(cache.KeyFor("a@example.com", "pw", "$argon2id$1"), key);
    EXPECT_NE(cache.KeyFor("b@example.com", "pw", "$argon2id$1"), key);
    EXPECT_NE(cache.KeyFor("a@example.com", "pW", "$argon2id$1"), key);
    EXPECT_NE(cache.KeyFor("a@example.com", "pw", "$argon2id$2"), key);  // password changed
    // Field boundaries count: moving a character from one field to the next is another key.
    EXPECT_NE(cache.KeyFor("a@example.co", "mpw", "$argon2id$1"), key);
}

// The random HMAC key makes keys useless outside the cache that made them.
TEST(CredentialCache, KeysDifferBetweenCaches) {
    const CredentialCache a;
    const CredentialCache b;
    EXPECT_NE(a.KeyFor("u", "p", "h"), b.KeyFor("u", "p", "h"));
}

TEST(CredentialCache, EntryLivesForTheTtl) {
    CredentialCache cache(5min, 10);
    EXPECT_FALSE(cache.Contains("k", kStart));
    cache.Insert("k", kStart);
    EXPECT_TRUE(cache.Contains("k", kStart));
    EXPECT_TRUE(cache.Contains("k", kStart + 5min - 1ms));
    EXPECT_FALSE(cache.Contains("k", kStart + 5min));
    EXPECT_FALSE(cache.Contains("k", kStart + 1min));  // gone for good once expired
}

TEST(CredentialCache, ReinsertRenewsTheTtl) {
    CredentialCache cache(5min, 10);
    cache.Insert("k", kStart);
    cache.Insert("k", kStart + 4min);
    EXPECT_TRUE(cache.Contains("k", kStart + 8min));
    EXPECT_FALSE(cache.Contains("k", kStart + 9min));
}

TEST(CredentialCache, FullCacheEvictsTheOldest) {
    CredentialCache cache(5min, 3);
    cache.Insert("a", kStart);
    cache.Insert("b", kStart + 1s);
    cache.Insert("c", kStart + 2s);
    cache.Insert("d", kStart + 3s);
    EXPECT_FALSE(cache.Contains("a", kStart + 3s));
    EXPECT_TRUE(cache.Contains("b", kStart + 3s));
    EXPECT_TRUE(cache.Contains("c", kStart + 3s));
    EXPECT_TRUE(cache.Contains("d", kStart + 3s));
}

TEST(CredentialCache, ExpiredEntriesMakeRoomBeforeLiveOnesAreEvicted) {
    CredentialCache cache(1min, 2);
    cache.Insert("old", kStart);
    cache.Insert("live", kStart + 50s);
    cache.Insert("new", kStart + 61s);  // "old" has expired: "live" must stay
    EXPECT_TRUE(cache.Contains("live", kStart + 61s));
    EXPECT_TRUE(cache.Contains("new", kStart + 61s));
}

TEST(CredentialCache, ZeroMaxEntriesStillHoldsOne) {
    CredentialCache cache(1min, 0);
    cache.Insert("a", kStart);
    cache.Insert("b", kStart);
    EXPECT_FALSE(cache.Contains("a", kStart));
    EXPECT_TRUE(cache.Contains("b", kStart));
}

}  // namespace
}  // namespace jobd::auth
