#include "jobd/auth/credential_cache.hpp"

#include <gtest/gtest.h>

namespace jobd::auth {
namespace {

using namespace std::chrono_literals;
using TimePoint = CredentialCache::Clock::time_point;

const TimePoint kStart{};

TEST(CredentialCache, KeyChangesWithEveryPart) {
    const CredentialCache cache;
    const std::string key = cache.KeyFor("a@example.com", "pw");
    EXPECT_EQ(cache.KeyFor("a@example.com", "pw"), key);
    EXPECT_NE(cache.KeyFor("b@example.com", "pw"), key);
    EXPECT_NE(cache.KeyFor("a@example.com", "pW"), key);
    // Field boundaries count: moving a character from one field to the next is another key.
    EXPECT_NE(cache.KeyFor("a@example.co", "mpw"), key);
}

// The random HMAC key makes keys useless outside the cache that made them.
TEST(CredentialCache, KeysDifferBetweenCaches) {
    const CredentialCache a;
    const CredentialCache b;
    EXPECT_NE(a.KeyFor("u", "p"), b.KeyFor("u", "p"));
}

TEST(CredentialCache, EntryLivesForTheTtl) {
    CredentialCache cache(5min, 10);
    EXPECT_FALSE(cache.VerifiedHash("k", kStart));
    cache.Insert("k", "h", kStart);
    EXPECT_EQ(cache.VerifiedHash("k", kStart), "h");
    EXPECT_EQ(cache.VerifiedHash("k", kStart + 5min - 1ms), "h");
    EXPECT_FALSE(cache.VerifiedHash("k", kStart + 5min));
    EXPECT_FALSE(cache.VerifiedHash("k", kStart + 1min));  // gone for good once expired
}

// A check against another stored hash (the password was changed, then verified again) replaces
// the one before.
TEST(CredentialCache, TheLatestCheckNamesTheHash) {
    CredentialCache cache(5min, 10);
    cache.Insert("k", "old", kStart);
    cache.Insert("k", "new", kStart + 1s);
    EXPECT_EQ(cache.VerifiedHash("k", kStart + 1s), "new");
}

TEST(CredentialCache, ReinsertRenewsTheTtl) {
    CredentialCache cache(5min, 10);
    cache.Insert("k", "h", kStart);
    cache.Insert("k", "h", kStart + 4min);
    EXPECT_TRUE(cache.VerifiedHash("k", kStart + 8min));
    EXPECT_FALSE(cache.VerifiedHash("k", kStart + 9min));
}

TEST(CredentialCache, FullCacheEvictsTheOldest) {
    CredentialCache cache(5min, 3);
    cache.Insert("a", "h", kStart);
    cache.Insert("b", "h", kStart + 1s);
    cache.Insert("c", "h", kStart + 2s);
    cache.Insert("d", "h", kStart + 3s);
    EXPECT_FALSE(cache.VerifiedHash("a", kStart + 3s));
    EXPECT_TRUE(cache.VerifiedHash("b", kStart + 3s));
    EXPECT_TRUE(cache.VerifiedHash("c", kStart + 3s));
    EXPECT_TRUE(cache.VerifiedHash("d", kStart + 3s));
}

TEST(CredentialCache, ExpiredEntriesMakeRoomBeforeLiveOnesAreEvicted) {
    CredentialCache cache(1min, 2);
    cache.Insert("old", "h", kStart);
    cache.Insert("live", "h", kStart + 50s);
    cache.Insert("new", "h", kStart + 61s);  // "old" has expired: "live" must stay
    EXPECT_TRUE(cache.VerifiedHash("live", kStart + 61s));
    EXPECT_TRUE(cache.VerifiedHash("new", kStart + 61s));
}

TEST(CredentialCache, ZeroMaxEntriesStillHoldsOne) {
    CredentialCache cache(1min, 0);
    cache.Insert("a", "h", kStart);
    cache.Insert("b", "h", kStart);
    EXPECT_FALSE(cache.VerifiedHash("a", kStart));
    EXPECT_TRUE(cache.VerifiedHash("b", kStart));
}

}  // namespace
}  // namespace jobd::auth
