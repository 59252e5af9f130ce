#include "jobd/model/time.hpp"

#include <gtest/gtest.h>

namespace jobd {
namespace {

using namespace std::chrono;

TimePoint At(int y, unsigned mo, unsigned d, int h, int mi, int s, int micros = 0) {
    return sys_days(year(y) / month(mo) / day(d)) + hours(h) + minutes(mi) + seconds(s) +
           microseconds(micros);
}

TEST(DateTime, FormatsUtcWithMilliseconds) {
    EXPECT_EQ(FormatUtc(At(2026, 11, 23, 9, 5, 7, 123456)), "2026-11-23T09:05:07.123Z");
}

TEST(DateTime, ParsesOffsetsAndFractions) {
    struct Case {
        const char* text;
        TimePoint instant;
    };

    const Case cases[] = {
        {"2026-11-23T12:00:00Z", At(2026, 11, 23, 12, 0, 0)},
        {"2026-11-23T12:00:00.5Z", At(2026, 11, 23, 12, 0, 0, 500000)},
        {"2007-10-13T00:00:00.000-07:00", At(2007, 10, 13, 7, 0, 0)},
        {"2026-11-23T12:00:00+0130", At(2026, 11, 23, 10, 30, 0)},
        {"2026-11-23 12:00:00z", At(2026, 11, 23, 12, 0, 0)},
    };
    for (const auto& c : cases) {
        const auto parsed = ParseDateTime(c.text);
        ASSERT_TRUE(parsed) << c.text;
        EXPECT_EQ(parsed->Instant(), c.instant) << c.text;
    }
}

TEST(DateTime, WithoutOffsetIsAWallTime) {
    const auto parsed = ParseDateTime("2026-11-23T12:00:00");
    ASSERT_TRUE(parsed);
    EXPECT_FALSE(parsed->Instant());
    EXPECT_EQ(parsed->wall, At(2026, 11, 23, 12, 0, 0));
}

TEST(DateTime, RejectsMalformedText) {
    for (const char* text : {"",
                             "2026-11-23",
                             "2026-13-01T00:00:00Z",
                             "2026-02-30T00:00:00Z",
                             "2026-11-23T24:00:00Z",
                             "2026-11-23T12:00Z",
                             "2026-11-23T12:00:00+",
                             "2026-11-23T12:00:00.Z",
                             "2026-11-23T12:00:00Zjunk",
                             "tomorrow"}) {
        EXPECT_FALSE(ParseDateTime(text)) << text;
    }
}

}  // namespace
}  // namespace jobd
