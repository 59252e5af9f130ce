#pragma once
// CronExpression: the field sets of one cron string and the calendar search over them.
// Pure and zone-free: it works on wall-clock (local) times; schedule.cpp maps them to instants
// in a zone. Immutable after Parse, so any thread may use a shared one. Parse throws
// jobd::Error(InvalidParameter, "execSchedule: <sub-field> ...", "execSchedule").

#include <array>
#include <bitset>
#include <chrono>
#include <optional>
#include <span>
#include <string_view>

namespace jobd::schedule {

// The first and last year a cron string may name or fire in (Quartz's year range).
inline constexpr int kFirstYear = 1970;
inline constexpr int kLastYear = 2199;

// Which field layout, and which day-of-week numbering, a cron string uses.
enum class CronDialect {
    Quartz,        // sec min hour dom mon dow [year]; day-of-week 1=SUN..7=SAT
    Crontab,       // min hour dom mon dow; day-of-week 0-7, 0 and 7 = SUN
    SecondsFirst,  // sec min hour dom mon (the IPS sample "00 00 00 * * "); any day of week
};

class CronExpression {
public:
    // `fields` are the whitespace-separated fields; their count must suit `dialect`.
    static CronExpression Parse(std::span<const std::string_view> fields, CronDialect dialect);

    // The first matching wall time strictly after `after`, or nullopt when none is left by the
    // end of kLastYear.
    std::optional<std::chrono::local_seconds> NextAfter(std::chrono::local_seconds after) const;

    // True when the hour field matches all 24 hours, so the schedule fires at least once in
    // every hour: such schedules are "second/minute-granular" (contract §8) and follow
    // absolute time across DST changes instead of wall-clock time.
    bool MatchesEveryHour() const { return hours_.all(); }

    // Day-of-month: plain days plus Quartz's L, L-n, LW and nW.
    struct MonthDays {
        std::bitset<32> days;             // bit d: day d (1-31)
        std::bitset<31> before_last;      // bit n: n days before the month's last day (L-n)
        std::bitset<32> nearest_weekday;  // bit d: the weekday nearest day d (dW)
        bool last_weekday = false;        // LW
        bool restricted = false;          // false for `*` and `?`
    };

    // Day-of-week, 0=Sunday..6=Saturday whatever the dialect's numbering.
    struct WeekDays {
        std::bitset<7> days;
        std::bitset<7> last_in_month;       // nL
        std::array<std::bitset<7>, 5> nth;  // n#k: nth[k-1]
        bool restricted = false;            // false for `*` and `?`
    };

private:
    // The days of month `month` (1-12) of `year` this expression matches, bit d for day d.
    std::bitset<32> DaysIn(int year, unsigned month) const;

    // The first second of the day at or after `second_of_day` that matches, if any.
    std::optional<int> FirstTimeFrom(int second_of_day) const;

    std::bitset<60> seconds_;
    std::bitset<60> minutes_;
    std::bitset<24> hours_;
    MonthDays month_days_;
    std::bitset<13> months_;  // bit m: month m (1-12)
    WeekDays week_days_;
    std::bitset<kLastYear - kFirstYear + 1> years_;
};

}  // namespace jobd::schedule
