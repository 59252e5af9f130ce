#include "jobd/auth/login_throttle.hpp"

#include <gtest/gtest.h>

namespace jobd::auth {
namespace {

using namespace std::chrono_literals;
using TimePoint = LoginThrottle::Clock::time_point;

const TimePoint kStart{};
const ThrottleLimits kLimits{
    .max_failures = 5, .window = 1min, .backoff = 5min, .max_entries = 100};

void Fail(LoginThrottle& throttle, const std::string& key, int times, TimePoint at) {
    for (int i = 0; i < times; ++i) {
        throttle.RecordFailure(key, at);
    }
}

TEST(LoginThrottle, BlocksAfterMaxFailuresWithinTheWindow) {
    LoginThrottle throttle(kLimits);
    const std::string key = LoginThrottle::KeyFor("a@example.com", "10.0.0.1");
    Fail(throttle, key, 4, kStart);
    EXPECT_TRUE(throttle.Allowed(key, kStart + 1s));
    throttle.RecordFailure(key, kStart + 59s);
    EXPECT_FALSE(throttle.Allowed(key, kStart + 59s));
    EXPECT_FALSE(throttle.Allowed(key, kStart + 59s + 5min - 1ms));
    EXPECT_TRUE(throttle.Allowed(key, kStart + 59s + 5min));
}

TEST(LoginThrottle, FailuresSpreadBeyondTheWindowDoNotBlock) {
    LoginThrottle throttle(kLimits);
    const std::string key = LoginThrottle::KeyFor("a@example.com", "10.0.0.1");
    Fail(throttle, key, 4, kStart);
    Fail(throttle, key, 4, kStart + 1min);  // a new window: the count restarts
    EXPECT_TRUE(throttle.Allowed(key, kStart + 1min));
}

TEST(LoginThrottle, BlockIsPerUserAndAddress) {
    LoginThrottle throttle(kLimits);
    Fail(throttle, LoginThrottle::KeyFor("a@example.com", "10.0.0.1"), 5, kStart);
    EXPECT_FALSE(throttle.Allowed(LoginThrottle::KeyFor("a@example.com", "10.0.0.1"), kStart));
    EXPECT_TRUE(throttle.Allowed(LoginThrottle::KeyFor("a@example.com", "10.0.0.2"), kStart));
    EXPECT_TRUE(throttle.Allowed(LoginThrottle::KeyFor("b@example.com", "10.0.0.1"), kStart));
}

TEST(LoginThrottle, KeysDoNotCollideAcrossTheSeparator) {
    EXPECT_NE(LoginThrottle::KeyFor("a", "b:c"), LoginThrottle::KeyFor("a:b", "c"));
    EXPECT_NE(LoginThrottle::KeyFor("ab", "c"), LoginThrottle::KeyFor("a", "bc"));
}

TEST(LoginThrottle, SuccessForgetsFailures) {
    LoginThrottle throttle(kLimits);
    const std::string key = LoginThrottle::KeyFor("a@example.com", "10.0.0.1");
    Fail(throttle, key, 4, kStart);
    throttle.RecordSuccess(key);
    throttle.RecordFailure(key, kStart + 1s);
    EXPECT_TRUE(throttle.Allowed(key, kStart + 1s));
}

TEST(LoginThrottle, AfterTheBackoffAFullRoundOfAttemptsIsAllowed) {
    LoginThrottle throttle(kLimits);
    const std::string key = LoginThrottle::KeyFor("a@example.com", "10.0.0.1");
    Fail(throttle, key, 5, kStart);
    const TimePoint after = kStart + 5min;
    Fail(throttle, key, 4, after);
    EXPECT_TRUE(throttle.Allowed(key, after));
    throttle.RecordFailure(key, after);
    EXPECT_FALSE(throttle.Allowed(key, after));
}

TEST(LoginThrottle, MemoryIsBoundedDroppingStaleThenLeastRecent) {
    LoginThrottle throttle(
        ThrottleLimits{.max_failures = 2, .window = 1min, .backoff = 5min, .max_entries = 2});
    Fail(throttle, "blocked", 2, kStart);          // blocked until kStart + 5min
    Fail(throttle, "stale", 1, kStart);            // its window ends at kStart + 1min
    throttle.RecordFailure("new", kStart + 2min);  // full: "stale" goes, "blocked" stays
    EXPECT_FALSE(throttle.Allowed("blocked", kStart + 2min));
    throttle.RecordFailure("newer", kStart + 2min + 30s);  // none stale: least recent goes
    EXPECT_TRUE(throttle.Allowed("blocked", kStart + 2min + 30s));
}

}  // namespace
}  // namespace jobd::auth
