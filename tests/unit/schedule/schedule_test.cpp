#include "jobd/schedule/schedule.hpp"

#include <optional>
#include <sstream>
#include <string>
#include <string_view>

#include <date/tz.h>
#include <gtest/gtest.h>

#include "jobd/model/error.hpp"
#include "jobd/model/time.hpp"

namespace jobd::schedule {
namespace {

// "2026-03-08T06:00:00Z" as an instant.
Seconds Utc(std::string_view text) {
    const auto parsed = ParseDateTime(text);
    EXPECT_TRUE(parsed && parsed->Instant()) << text;
    return std::chrono::floor<std::chrono::seconds>(parsed->Instant().value_or(TimePoint{}));
}

const date::time_zone& Zone(std::string_view name) {
    const date::time_zone* zone = FindZone(name);
    EXPECT_NE(zone, nullptr) << name;
    return zone != nullptr ? *zone : *FindZone("UTC");
}

std::optional<Seconds> Next(std::string_view text, std::string_view zone, std::string_view after) {
    return Schedule::Parse(text).NextAfter(Utc(after), Zone(zone));
}

struct BadSchedule {
    std::string_view text;
    std::string_view mentions;  // the sub-field or problem the message must name
};

class ParseRejects : public testing::TestWithParam<BadSchedule> {};

TEST_P(ParseRejects, WithInvalidParameterNamingTheSubField) {
    try {
        Schedule::Parse(GetParam().text);
        FAIL() << "accepted '" << GetParam().text << "'";
    } catch (const Error& error) {
        EXPECT_EQ(error.kind(), ErrorKind::InvalidParameter);
        EXPECT_EQ(error.field(), "execSchedule");
        const std::string message = error.what();
        EXPECT_TRUE(message.starts_with("execSchedule: ")) << message;
        EXPECT_NE(message.find(GetParam().mentions), std::string::npos) << message;
    }
}

INSTANTIATE_TEST_SUITE_P(Schedule,
                         ParseRejects,
                         testing::Values(BadSchedule{"", "empty"},
                                         BadSchedule{"   ", "empty"},
                                         BadSchedule{"* * *", "fields"},
                                         BadSchedule{"0 0 0 1 1 ? 2030 9", "fields"},
                                         BadSchedule{"60 * * * * ?", "second"},
                                         BadSchedule{"0 60 * * * ?", "minute"},
                                         BadSchedule{"0 0 24 * * ?", "hour"},
                                         BadSchedule{"0 0 0 32 * ?", "day-of-month 32"},
                                         BadSchedule{"0 0 0 0 * ?", "day-of-month 0"},
                                         BadSchedule{"0 0 0 * 13 ?", "month 13"},
                                         BadSchedule{"0 0 0 * FOO ?", "month 'FOO'"},
                                         BadSchedule{"0 0 0 ? * 8", "day-of-week 8"},
                                         BadSchedule{"0 0 0 ? * FUNDAY", "day-of-week"},
                                         BadSchedule{"0 0 0 * * ? 1969", "year 1969"},
                                         BadSchedule{"0 0 0 * * ? 2030-2020", "year"},
                                         BadSchedule{"0 */0 * * * ?", "minute step 0"},
                                         BadSchedule{"0 -5 * * * ?", "minute"},
                                         BadSchedule{"0 ? * * * ?", "minute"},
                                         BadSchedule{"0 0 0 ? * ?", "day-of-month"},
                                         BadSchedule{"0 0 0 1,,2 * ?", "day-of-month"},
                                         BadSchedule{"0 0 0 L-31 * ?", "day-of-month"},
                                         BadSchedule{"0 0 0 ? * 2#6", "day-of-week"},
                                         BadSchedule{"0 0 0 99999999999 * ?", "day-of-month"},
                                         BadSchedule{"0 0 0 30 2 ?", "never fires"},
                                         BadSchedule{"0 0 0 31 4 ?", "never fires"},
                                         BadSchedule{"0 0 0 29 2 ? 2100", "never fires"},
                                         BadSchedule{"0 0 0 29 2 ? 2025-2027", "never fires"},
                                         BadSchedule{"0 0 0 30W 2 ?", "never fires"},
                                         BadSchedule{"0 0 0 31 4,6,9,11 ?", "never fires"},
                                         BadSchedule{"60 0 0 * *", "crontab"},
                                         BadSchedule{"@fortnightly", "macro"},
                                         BadSchedule{"@daily 5", "@daily"},
                                         BadSchedule{"@every", "@every"},
                                         BadSchedule{"@every 0s", "@every"},
                                         BadSchedule{"@every 5x", "@every"},
                                         BadSchedule{"@every 5", "@every"},
                                         BadSchedule{"@every -5s", "@every"},
                                         BadSchedule{"@every 400d", "@every"}));

struct Fire {
    std::string_view text;
    std::string_view after;
    std::string_view expected;
};

class NextFireInUtc : public testing::TestWithParam<Fire> {};

TEST_P(NextFireInUtc, IsTheFirstMatchStrictlyAfter) {
    const Fire& fire = GetParam();
    EXPECT_EQ(Next(fire.text, "UTC", fire.after), Utc(fire.expected)) << fire.text;
}

// 2026-11-23 is a Monday.
INSTANTIATE_TEST_SUITE_P(
    Features,
    NextFireInUtc,
    testing::Values(
        Fire{"0 0 12 * * ?", "2026-11-23T12:00:00Z", "2026-11-24T12:00:00Z"},
        Fire{"0 0/15 * * * ?", "2026-11-23T00:07:00Z", "2026-11-23T00:15:00Z"},
        Fire{"0 10-50/20 * * * ?", "2026-11-23T00:51:00Z", "2026-11-23T01:10:00Z"},
        Fire{"15,45 * * * * ?", "2026-11-23T00:00:15Z", "2026-11-23T00:00:45Z"},
        Fire{"0 0 22-2 * * ?", "2026-11-23T02:00:00Z", "2026-11-23T22:00:00Z"},
        Fire{"0 0 0 L * ?", "2026-02-01T00:00:00Z", "2026-02-28T00:00:00Z"},
        Fire{"0 0 0 L-2 * ?", "2026-02-01T00:00:00Z", "2026-02-26T00:00:00Z"},
        Fire{"0 0 0 LW * ?", "2026-05-01T00:00:00Z", "2026-05-29T00:00:00Z"},   // 31st: Sun
        Fire{"0 0 0 15W * ?", "2026-08-01T00:00:00Z", "2026-08-14T00:00:00Z"},  // 15th: Sat
        Fire{"0 0 0 1W * ?", "2026-07-15T00:00:00Z", "2026-08-03T00:00:00Z"},   // 1st: Sat
        Fire{"0 0 0 ? * 5L", "2026-11-01T00:00:00Z", "2026-11-26T00:00:00Z"},   // last Thu
        Fire{"0 0 0 ? * 2#1", "2026-11-30T01:00:00Z", "2026-12-07T00:00:00Z"},  // first Mon
        Fire{"0 0 0 ? * MON#2,FRI#1", "2026-11-30T00:00:00Z", "2026-12-04T00:00:00Z"},
        Fire{"0 0 0 ? * L", "2026-11-23T00:00:00Z", "2026-11-28T00:00:00Z"},
        Fire{"0 0 0 ? * MON-FRI", "2026-11-27T00:00:00Z", "2026-11-30T00:00:00Z"},
        Fire{"0 0 0 ? * fri-mon", "2026-11-23T00:00:00Z", "2026-11-27T00:00:00Z"},
        Fire{"0 0 0 1 JAN-MAR ?", "2026-03-01T00:00:00Z", "2027-01-01T00:00:00Z"},
        Fire{"0 0 0 1 1 ? 2027,2030", "2027-01-01T00:00:00Z", "2030-01-01T00:00:00Z"},
        Fire{"0 0 0 29 2 ?", "2026-01-01T00:00:00Z", "2028-02-29T00:00:00Z"},
        Fire{"0 0 0 13 * FRI", "2026-12-11T00:00:00Z", "2026-12-13T00:00:00Z"},  // OR rule
        Fire{"0 0 0 13 * ?", "2026-12-11T00:00:00Z", "2026-12-13T00:00:00Z"},
        Fire{"0 0 0 ? * FRI", "2026-12-11T00:00:00Z", "2026-12-18T00:00:00Z"},
        Fire{"*/5 * * * *", "2026-11-23T00:07:30Z", "2026-11-23T00:10:00Z"},
        Fire{"0 12 * * 1", "2026-11-23T12:00:00Z", "2026-11-30T12:00:00Z"},
        Fire{"0 0 13 * 5", "2026-12-11T00:00:00Z", "2026-12-13T00:00:00Z"},  // cron(8) OR
        Fire{"0 0 13 * 5", "2026-11-23T00:00:00Z", "2026-11-27T00:00:00Z"},
        Fire{"0 0 * * 7", "2026-11-23T00:00:00Z", "2026-11-29T00:00:00Z"},  // 7 = Sunday
        Fire{"0 0 * * 0", "2026-11-23T00:00:00Z", "2026-11-29T00:00:00Z"},
        Fire{"0 0 * * sun", "2026-11-23T00:00:00Z", "2026-11-29T00:00:00Z"},
        Fire{"00 00 00 * * ", "2026-11-22T13:00:00Z", "2026-11-23T00:00:00Z"},
        Fire{"  0   0 0 * * ?  ", "2026-11-22T13:00:00Z", "2026-11-23T00:00:00Z"},
        Fire{"@yearly", "2026-11-23T00:00:00Z", "2027-01-01T00:00:00Z"},
        Fire{"@annually", "2026-11-23T00:00:00Z", "2027-01-01T00:00:00Z"},
        Fire{"@monthly", "2026-11-23T00:00:00Z", "2026-12-01T00:00:00Z"},
        Fire{"@weekly", "2026-11-23T00:00:00Z", "2026-11-29T00:00:00Z"},
        Fire{"@daily", "2026-11-23T00:00:00Z", "2026-11-24T00:00:00Z"},
        Fire{"@MIDNIGHT", "2026-11-23T00:00:00Z", "2026-11-24T00:00:00Z"},
        Fire{"@hourly", "2026-11-23T12:00:00Z", "2026-11-23T13:00:00Z"},
        Fire{"@every 30s", "2026-11-23T12:00:10Z", "2026-11-23T12:00:30Z"},
        Fire{"@every 1h30m", "1970-01-01T00:00:00Z", "1970-01-01T01:30:00Z"},
        Fire{"@every 7m", "1969-12-31T23:59:00Z", "1970-01-01T00:00:00Z"}));

// Leap years, month ends, L/W/# edges, names, steps and years (weekdays checked against a
// calendar: 2026-02-01, 2026-11-01 and 2027-01-31 are Sundays).
INSTANTIATE_TEST_SUITE_P(
    CalendarEdges,
    NextFireInUtc,
    testing::Values(
        Fire{"0 0 0 29 2 ?", "2024-02-29T00:00:00Z", "2028-02-29T00:00:00Z"},
        Fire{"0 0 0 29 2 ?", "2096-03-01T00:00:00Z", "2104-02-29T00:00:00Z"},  // 2100: no leap
        Fire{"0 0 0 29 2 ?", "1999-06-01T00:00:00Z", "2000-02-29T00:00:00Z"},  // 2000: leap
        Fire{"0 0 0 L 2 ?", "2024-01-01T00:00:00Z", "2024-02-29T00:00:00Z"},
        Fire{"0 0 0 L 2 ?", "2025-01-01T00:00:00Z", "2025-02-28T00:00:00Z"},
        Fire{"0 0 0 L 2 ?", "2100-01-01T00:00:00Z", "2100-02-28T00:00:00Z"},
        Fire{"0 0 0 L-1 2 ?", "2024-01-01T00:00:00Z", "2024-02-28T00:00:00Z"},
        Fire{"0 0 12 29 2 ? 2028/4", "2026-01-01T00:00:00Z", "2028-02-29T12:00:00Z"},
        Fire{"0 0 0 29 2 MON", "2026-11-23T00:00:00Z", "2027-02-01T00:00:00Z"},  // OR rule
        // Found by the property test: a later list element must not drop earlier days.
        Fire{"0 0 0 14-13,22-8 * ?", "2033-03-17T00:00:00Z", "2033-03-18T00:00:00Z"},
        Fire{"0 0 0 5,L,1-2 * ?", "2026-11-02T00:00:00Z", "2026-11-05T00:00:00Z"},
        Fire{"0 0 0 31 * ?", "2026-04-01T00:00:00Z", "2026-05-31T00:00:00Z"},
        Fire{"0 0 0 30 * ?", "2026-02-01T00:00:00Z", "2026-03-30T00:00:00Z"},
        Fire{"0 0 0 L * ?", "2026-04-30T00:00:00Z", "2026-05-31T00:00:00Z"},
        Fire{"0 0 0 L-30 * ?", "2026-04-01T00:00:00Z", "2026-05-01T00:00:00Z"},
        Fire{"0 0 0 L-30 * ?", "2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z"},
        Fire{"0 0 0 L-0 * ?", "2026-02-01T00:00:00Z", "2026-02-28T00:00:00Z"},
        Fire{"59 59 23 L * ?", "2026-12-31T23:59:58Z", "2026-12-31T23:59:59Z"},
        Fire{"59 59 23 L * ?", "2026-12-31T23:59:59Z", "2027-01-31T23:59:59Z"},
        Fire{"0 0 0 LW * ?", "2026-02-01T00:00:00Z", "2026-02-27T00:00:00Z"},   // 28th: Sat
        Fire{"0 0 0 LW * ?", "2027-01-01T00:00:00Z", "2027-01-29T00:00:00Z"},   // 31st: Sun
        Fire{"0 0 0 31W * ?", "2026-04-01T00:00:00Z", "2026-05-29T00:00:00Z"},  // none in Apr
        Fire{"0 0 0 1W * ?", "2026-01-31T00:00:00Z", "2026-02-02T00:00:00Z"},   // 1st: Sun
        Fire{"0 0 0 30W * ?", "2027-01-01T00:00:00Z", "2027-01-29T00:00:00Z"},  // 30th: Sat
        Fire{"0 0 0 28W 2 ?", "2026-01-01T00:00:00Z", "2026-02-27T00:00:00Z"},
        Fire{"0 0 0 15W * ?", "2026-11-01T00:00:00Z", "2026-11-16T00:00:00Z"},  // 15th: Sun
        Fire{"0 0 0 ? * 6#5", "2026-11-01T00:00:00Z", "2027-01-29T00:00:00Z"},  // 5th Friday
        Fire{"0 0 0 ? * 1#1", "2026-11-30T00:00:00Z", "2026-12-06T00:00:00Z"},
        Fire{"0 0 0 ? * 7#4", "2026-11-01T00:00:00Z", "2026-11-28T00:00:00Z"},
        Fire{"0 0 0 ? * 2L", "2026-11-01T00:00:00Z", "2026-11-30T00:00:00Z"},
        Fire{"0 0 0 ? * 1L", "2026-02-01T00:00:00Z", "2026-02-22T00:00:00Z"},
        Fire{"0 0 0 ? * 3#5", "2026-11-01T00:00:00Z", "2026-12-29T00:00:00Z"},
        Fire{"0 0 0 ? * SAT,SUN", "2026-11-23T00:00:00Z", "2026-11-28T00:00:00Z"},
        Fire{"0 0 0 ? * MON-WED/2", "2026-11-23T00:00:00Z", "2026-11-25T00:00:00Z"},
        Fire{"0 0 0 1 NOV-FEB ?", "2026-12-01T00:00:00Z", "2027-01-01T00:00:00Z"},
        Fire{"0 0 0 1 jun ?", "2026-11-23T00:00:00Z", "2027-06-01T00:00:00Z"},
        Fire{"0 0 0 1 */4 ?", "2026-11-23T00:00:00Z", "2027-01-01T00:00:00Z"},
        Fire{"0 0 0 1 2/5 ?", "2026-11-23T00:00:00Z", "2026-12-01T00:00:00Z"},
        Fire{"0 0 0 25-5 * ?", "2026-11-05T00:00:00Z", "2026-11-25T00:00:00Z"},
        Fire{"0 0 0 25-5 * ?", "2026-11-30T00:00:00Z", "2026-12-01T00:00:00Z"},
        Fire{"0 0 0 1 1 ? 2030-2032", "2030-01-01T00:00:00Z", "2031-01-01T00:00:00Z"},
        Fire{"0 0 0 1 1 ? 2030/5", "2031-06-01T00:00:00Z", "2035-01-01T00:00:00Z"},
        Fire{"0 0 0 1 1 ? 2199", "2026-11-23T00:00:00Z", "2199-01-01T00:00:00Z"},
        Fire{"0 0 0 * * ? 2027", "2026-11-23T00:00:00Z", "2027-01-01T00:00:00Z"},
        Fire{"0 59 23 * * ?", "2026-12-31T23:59:00Z", "2027-01-01T23:59:00Z"},
        Fire{"*/10 * * * * ?", "2026-11-23T00:00:55Z", "2026-11-23T00:01:00Z"},
        Fire{"30 */20 * * * ?", "2026-11-23T00:40:30Z", "2026-11-23T01:00:30Z"},
        Fire{"0 0 23-1 * * ?", "2026-11-23T01:00:00Z", "2026-11-23T23:00:00Z"},
        Fire{"0 0 L * *", "2026-02-01T00:00:00Z", "2026-02-28T00:00:00Z"},    // crontab L
        Fire{"0 0 * * 5L", "2026-11-01T00:00:00Z", "2026-11-27T00:00:00Z"},   // crontab 5: Fri
        Fire{"0 0 * * 1#1", "2026-11-30T01:00:00Z", "2026-12-07T00:00:00Z"},  // crontab 1: Mon
        Fire{"15 10 * * 1-5", "2026-11-27T10:15:00Z", "2026-11-30T10:15:00Z"}));

// Contract §8: a 5-field string is crontab when that reading is valid.
TEST(FiveFieldReadingRule, CrontabWhenValid) {
    EXPECT_EQ(Next("*/5 * * * *", "UTC", "2026-11-23T00:00:00Z"), Utc("2026-11-23T00:05:00Z"));
    EXPECT_EQ(Next("0 12 * * 1", "UTC", "2026-11-22T00:00:00Z"), Utc("2026-11-23T12:00:00Z"));
    // Valid crontab, so the 12th of the month at midnight, not the seconds-first daily 12:00.
    EXPECT_EQ(Next("0 0 12 * *", "UTC", "2026-11-23T00:00:00Z"), Utc("2026-12-12T00:00:00Z"));
}

// The IPS sample: day-of-month 00 is no crontab, so it is seconds-first daily midnight.
TEST(FiveFieldReadingRule, SecondsFirstWhenCrontabIsInvalid) {
    const Schedule ips = Schedule::Parse("00 00 00 * * ");
    EXPECT_EQ(ips.text(), "00 00 00 * * ");
    const date::time_zone& utc = Zone("UTC");
    EXPECT_EQ(ips.NextAfter(Utc("2026-11-23T00:00:00Z"), utc), Utc("2026-11-24T00:00:00Z"));
    EXPECT_EQ(Next("30 0 0 * *", "UTC", "2026-11-23T00:00:00Z"), Utc("2026-11-23T00:00:30Z"));
}

TEST(NextFire, NoneWhenTheYearListIsPast) {
    EXPECT_EQ(Next("0 0 0 1 1 ? 2020", "UTC", "2026-11-23T00:00:00Z"), std::nullopt);
}

TEST(NextFire, NoneAfterTheLastSupportedYear) {
    EXPECT_EQ(Next("0 0 0 * * ?", "UTC", "2199-12-31T00:00:00Z"), std::nullopt);
    EXPECT_EQ(Next("@every 1s", "UTC", "2300-01-01T00:00:00Z"), std::nullopt);
}

// The search is bounded however sparse the schedule: these search to the end of the range.
TEST(NextFire, SparseSchedulesAreFoundOrEndAtTheLastYear) {
    EXPECT_EQ(Next("59 59 23 29 2 ? 2196", "UTC", "1970-01-01T00:00:00Z"),
              Utc("2196-02-29T23:59:59Z"));
    EXPECT_EQ(Next("0 0 0 ? * 6#5 2199", "Europe/Berlin", "1970-01-01T00:00:00Z"),
              Utc("2199-03-28T23:00:00Z"));  // 2199's first fifth Friday, 00:00 CET
    EXPECT_EQ(Next("0 0 0 29 2 ? 2196", "UTC", "2196-02-29T00:00:00Z"), std::nullopt);
}

// @every is anchored at the Unix epoch, whatever the zone.
TEST(NextFire, EveryIgnoresTheZone) {
    EXPECT_EQ(Next("@every 1d", "Australia/Lord_Howe", "2026-11-23T05:00:00Z"),
              Utc("2026-11-24T00:00:00Z"));
}

struct ZonedFire {
    std::string_view text;
    std::string_view zone;
    std::string_view after;
    std::string_view expected;
    std::string_view why;
};

class NextFireAcrossDst : public testing::TestWithParam<ZonedFire> {};

TEST_P(NextFireAcrossDst, FollowsContractSection8) {
    const ZonedFire& fire = GetParam();
    EXPECT_EQ(Next(fire.text, fire.zone, fire.after), Utc(fire.expected)) << fire.why;
}

INSTANTIATE_TEST_SUITE_P(Zones,
                         NextFireAcrossDst,
                         testing::Values(ZonedFire{"0 30 2 * * ?",
                                                   "America/New_York",
                                                   "2026-03-08T06:00:00Z",
                                                   "2026-03-08T07:00:00Z",
                                                   "02:30 skipped: fires at 03:00 EDT"},
                                         ZonedFire{"0 30 2 * * ?",
                                                   "America/New_York",
                                                   "2026-03-08T07:00:00Z",
                                                   "2026-03-09T06:30:00Z",
                                                   "skipped wall time fires only once"},
                                         ZonedFire{"0 0,30 2 * * ?",
                                                   "America/New_York",
                                                   "2026-03-08T07:00:00Z",
                                                   "2026-03-09T06:00:00Z",
                                                   "two skipped wall times fire once together"},
                                         ZonedFire{"0 30 1 * * ?",
                                                   "America/New_York",
                                                   "2026-11-01T04:00:00Z",
                                                   "2026-11-01T05:30:00Z",
                                                   "repeated 01:30 fires at its first occurrence"},
                                         ZonedFire{"0 30 1 * * ?",
                                                   "America/New_York",
                                                   "2026-11-01T05:30:00Z",
                                                   "2026-11-02T06:30:00Z",
                                                   "and not again at 01:30 EST"},
                                         ZonedFire{"0 30 1 * * ?",
                                                   "America/New_York",
                                                   "2026-11-01T06:10:00Z",
                                                   "2026-11-02T06:30:00Z",
                                                   "not from inside the second pass either"},
                                         ZonedFire{"0 30 * * * ?",
                                                   "America/New_York",
                                                   "2026-11-01T05:30:00Z",
                                                   "2026-11-01T06:30:00Z",
                                                   "hourly follows absolute time: 01:30 EST too"},
                                         ZonedFire{"0 */15 * * * ?",
                                                   "America/New_York",
                                                   "2026-11-01T05:45:00Z",
                                                   "2026-11-01T06:00:00Z",
                                                   "minute-granular enters the repeated hour"},
                                         ZonedFire{"0 30 * * * ?",
                                                   "America/New_York",
                                                   "2026-03-08T06:30:00Z",
                                                   "2026-03-08T07:30:00Z",
                                                   "hourly has no fire in the skipped hour"},
                                         ZonedFire{
                                             "0 0 */2 * * ?",
                                             "America/New_York",
                                             "2026-11-01T05:00:00Z",
                                             "2026-11-01T07:00:00Z",
                                             "every 2 hours is wall-clock: 01:00 EST is no fire"},
                                         ZonedFire{"0 15 2 * * ?",
                                                   "Australia/Lord_Howe",
                                                   "2026-10-03T15:00:00Z",
                                                   "2026-10-03T15:30:00Z",
                                                   "30-minute gap: 02:15 fires at 02:30 +11"},
                                         ZonedFire{"0 45 1 * * ?",
                                                   "Australia/Lord_Howe",
                                                   "2026-04-04T14:00:00Z",
                                                   "2026-04-04T14:45:00Z",
                                                   "30-minute repeat: first 01:45 (+11)"},
                                         ZonedFire{"0 45 1 * * ?",
                                                   "Australia/Lord_Howe",
                                                   "2026-04-04T14:45:00Z",
                                                   "2026-04-05T15:15:00Z",
                                                   "then the next day's 01:45 (+10:30)"},
                                         ZonedFire{"0 30 2 * * ?",
                                                   "Europe/Berlin",
                                                   "2026-03-28T12:00:00Z",
                                                   "2026-03-29T01:00:00Z",
                                                   "02:30 skipped: fires at 03:00 CEST"},
                                         ZonedFire{"0 30 2 * * ?",
                                                   "Europe/Berlin",
                                                   "2026-10-24T12:00:00Z",
                                                   "2026-10-25T00:30:00Z",
                                                   "repeated 02:30: first occurrence, CEST"},
                                         ZonedFire{"0 30 2 * * ?",
                                                   "Europe/Berlin",
                                                   "2026-10-25T00:30:00Z",
                                                   "2026-10-26T01:30:00Z",
                                                   "not again at 02:30 CET"},
                                         ZonedFire{"0 0 9 * * ?",
                                                   "Pacific/Apia",
                                                   "2011-12-29T19:00:00Z",
                                                   "2011-12-30T10:00:00Z",
                                                   "2011-12-30 never existed: first valid instant"},
                                         ZonedFire{"0 0 9 * * ?",
                                                   "Pacific/Apia",
                                                   "2011-12-30T10:00:00Z",
                                                   "2011-12-30T19:00:00Z",
                                                   "then 09:00 +14 on 2011-12-31"},
                                         ZonedFire{"0 30 1 * * ?",
                                                   "Europe/Moscow",
                                                   "2014-10-25T20:00:00Z",
                                                   "2014-10-25T21:30:00Z",
                                                   "2014 offset change +4 to +3: first 01:30"},
                                         ZonedFire{"0 30 1 * * ?",
                                                   "Europe/Moscow",
                                                   "2014-10-25T21:30:00Z",
                                                   "2014-10-26T22:30:00Z",
                                                   "then 01:30 +3 the next day"},
                                         ZonedFire{"0 0 2 * * ?",
                                                   "America/New_York",
                                                   "2026-03-08T06:00:00Z",
                                                   "2026-03-08T07:00:00Z",
                                                   "02:00 skipped: fires at 03:00 EDT"},
                                         ZonedFire{"0 0/30 * * * ?",
                                                   "America/New_York",
                                                   "2026-03-08T06:30:00Z",
                                                   "2026-03-08T07:00:00Z",
                                                   "granular: nothing in the gap, then 03:00"},
                                         ZonedFire{"0 30 1 ? * SUN",
                                                   "America/New_York",
                                                   "2026-10-31T12:00:00Z",
                                                   "2026-11-01T05:30:00Z",
                                                   "weekly on the fall-back day: first 01:30"},
                                         ZonedFire{"0 0 * * * ?",
                                                   "Europe/Berlin",
                                                   "2026-10-25T00:00:00Z",
                                                   "2026-10-25T01:00:00Z",
                                                   "hourly: 02:00 CET after 02:00 CEST"},
                                         ZonedFire{"0 0 * * * ?",
                                                   "Australia/Lord_Howe",
                                                   "2026-10-03T15:00:00Z",
                                                   "2026-10-03T16:00:00Z",
                                                   "hourly: no 02:00 in the half-hour gap"},
                                         ZonedFire{"0 0 0 * * ?",
                                                   "America/Sao_Paulo",
                                                   "2018-11-03T12:00:00Z",
                                                   "2018-11-04T03:00:00Z",
                                                   "midnight skipped (2018): fires at 01:00 -02"},
                                         ZonedFire{"0 30 2 * * ?",
                                                   "Europe/Moscow",
                                                   "2011-03-26T12:00:00Z",
                                                   "2011-03-26T23:00:00Z",
                                                   "2011 change to +4: 02:30 skipped, 03:00"},
                                         ZonedFire{"0 30 5 * * ?",
                                                   "Asia/Kolkata",
                                                   "2026-11-23T00:00:00Z",
                                                   "2026-11-24T00:00:00Z",
                                                   "strictly after: 05:30 IST is the input"}));

TEST(FormatWithOffset, GivesWallTimeWithOffset) {
    using std::chrono::milliseconds;
    const auto at = [](std::string_view text) {
        return std::chrono::time_point_cast<milliseconds>(Utc(text)) + milliseconds{250};
    };
    EXPECT_EQ(FormatWithOffset(at("2026-11-23T08:00:00Z"), Zone("America/Los_Angeles")),
              "2026-11-23T00:00:00.250-08:00");
    EXPECT_EQ(FormatWithOffset(at("2026-11-23T08:00:00Z"), Zone("Australia/Lord_Howe")),
              "2026-11-23T19:00:00.250+11:00");
    EXPECT_EQ(FormatWithOffset(at("2026-07-01T00:00:00Z"), Zone("Australia/Lord_Howe")),
              "2026-07-01T10:30:00.250+10:30");
    EXPECT_EQ(FormatWithOffset(at("2026-11-23T08:00:00Z"), Zone("UTC")),
              "2026-11-23T08:00:00.250+00:00");
}

TEST(FindZone, NullForUnknownNames) {
    EXPECT_NE(FindZone("Europe/Berlin"), nullptr);
    EXPECT_EQ(FindZone("Mars/Olympus_Mons"), nullptr);
    EXPECT_EQ(FindZone(""), nullptr);
    EXPECT_EQ(FindZone("../../etc/passwd"), nullptr);
}

TEST(SystemZoneName, IsAKnownZone) {
    EXPECT_NE(FindZone(SystemZoneName()), nullptr);
}

// Replayed fuzz-style inputs: Parse may only accept or throw jobd::Error, and an accepted
// schedule's NextAfter must return (bounded search) without throwing.
TEST(Parse, OddInputsOnlyEverThrowError) {
    constexpr std::string_view kInputs[] = {"\t\n",
                                            "@",
                                            "@every 1h30",
                                            "@every 366d",
                                            "@every 99999999999999999999d",
                                            "* * * * * * * ",
                                            "L L L L L L",
                                            "0 0 0 LW,L-3,15W * ?",
                                            "0 0 0 ? * 1#5,7L",
                                            "0 0 0 31 2,4,6,9,11 ?",
                                            "0 0 0 31 * 2#5",
                                            "0 0 0 ? * #",
                                            "0 0 0 ? * 1#",
                                            "0 0 0 W * ?",
                                            "0 0 0 L- * ?",
                                            "*/ * * * *",
                                            "1-/2 * * * *",
                                            "0 0 0 * * ? 2199",
                                            ",",
                                            "0 0 0 ? * 0",
                                            std::string_view("0 0 0 \0 * ?", 11)};
    for (const std::string_view input : kInputs) {
        try {
            const Schedule schedule = Schedule::Parse(input);
            const auto next = schedule.NextAfter(Utc("2026-01-01T00:00:00Z"), Zone("UTC"));
            static_cast<void>(next);
        } catch (const Error& error) {
            EXPECT_EQ(error.kind(), ErrorKind::InvalidParameter) << input;
        }
    }
}

}  // namespace
}  // namespace jobd::schedule
