#include "jobd/schedule/cron_expression.hpp"

#include <string>

#include "jobd/model/error.hpp"
#include "jobd/schedule/cron_field.hpp"

namespace jobd::schedule {

namespace {

using std::chrono::local_days;
using std::chrono::local_seconds;

constexpr std::string_view kMonthNames[] = {
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};

constexpr detail::FieldSpec kSecond{"second", 0, 59, {}, true};
constexpr detail::FieldSpec kMinute{"minute", 0, 59, {}, true};
constexpr detail::FieldSpec kHour{"hour", 0, 23, {}, true};
constexpr detail::FieldSpec kMonth{"month", 1, 12, {kMonthNames, 12}, true};
constexpr detail::FieldSpec kYear{"year", kFirstYear, kLastYear, {}, false};

constexpr int kSaturday = 6;
constexpr int kSunday = 0;

// The sub-field texts of a cron string, whatever its layout; absent fields are `*`.
struct FieldTexts {
    std::string_view second;
    std::string_view minute;
    std::string_view hour;
    std::string_view month_day;
    std::string_view month;
    std::string_view week_day;
    std::string_view year;
};

FieldTexts Layout(std::span<const std::string_view> fields, CronDialect dialect) {
    const std::size_t count = fields.size();
    if (dialect == CronDialect::Quartz && (count == 6 || count == 7)) {
        return {fields[0],
                fields[1],
                fields[2],
                fields[3],
                fields[4],
                fields[5],
                count == 7 ? fields[6] : "*"};
    }
    if (dialect == CronDialect::Crontab && count == 5) {
        return {"0", fields[0], fields[1], fields[2], fields[3], fields[4], "*"};
    }
    if (dialect == CronDialect::SecondsFirst && count == 5) {
        return {fields[0], fields[1], fields[2], fields[3], fields[4], "*", "*"};
    }
    throw Error(ErrorKind::InvalidParameter,
                Message(MessageId::ScheduleFieldCount, {{"count", std::to_string(count)}}),
                "execSchedule");
}

// Copies value bit i of a parsed field to bit first_bit + i.
template <std::size_t N>
std::bitset<N> Bits(const detail::ValueSet& values, std::size_t first_bit) {
    std::bitset<N> bits;
    for (std::size_t i = 0; i + first_bit < N; ++i) {
        bits[i + first_bit] = values[i];
    }
    return bits;
}

template <std::size_t N>
std::optional<std::size_t> NextBit(const std::bitset<N>& bits, std::size_t from) {
    for (std::size_t i = from; i < N; ++i) {
        if (bits[i]) {
            return i;
        }
    }
    return std::nullopt;
}

int WeekDayOf(unsigned day, unsigned first_week_day) {
    return static_cast<int>((first_week_day + day - 1) % 7);
}

// Quartz's nW: the weekday nearest `day` without leaving the month.
unsigned NearestWeekday(unsigned day, unsigned last, unsigned first_week_day) {
    const int week_day = WeekDayOf(day, first_week_day);
    if (week_day == kSaturday) {
        return day == 1 ? day + 2 : day - 1;
    }
    if (week_day == kSunday) {
        return day == last ? day - 2 : day + 1;
    }
    return day;
}

std::bitset<32> MonthDayMatches(const CronExpression::MonthDays& spec,
                                unsigned last,
                                unsigned first_week_day) {
    std::bitset<32> days = spec.days;
    for (unsigned before = 0; before < last; ++before) {
        if (spec.before_last[before]) {
            days.set(last - before);
        }
    }
    if (spec.last_weekday) {
        days.set(NearestWeekday(last, last, first_week_day));
    }
    for (unsigned day = 1; day <= last; ++day) {
        if (spec.nearest_weekday[day]) {
            days.set(NearestWeekday(day, last, first_week_day));
        }
    }
    return days;
}

std::bitset<32> WeekDayMatches(const CronExpression::WeekDays& spec,
                               unsigned last,
                               unsigned first_week_day) {
    std::bitset<32> days;
    for (unsigned day = 1; day <= last; ++day) {
        const auto week_day = static_cast<std::size_t>(WeekDayOf(day, first_week_day));
        const bool last_of_kind = day + 7 > last;
        days[day] = spec.days[week_day] || (spec.last_in_month[week_day] && last_of_kind) ||
                    spec.nth[(day - 1) / 7][week_day];
    }
    return days;
}

// A position in the calendar search: a day and a second within it.
struct Cursor {
    int year;
    unsigned month;
    unsigned day;
    int second;

    void StartOfNextMonth() {
        if (month == 12) {
            ++year;
            month = 0;
        }
        ++month;
        day = 1;
        second = 0;
    }

    void StartOfNextYear() {
        month = 12;
        StartOfNextMonth();
    }
};

}  // namespace

CronExpression CronExpression::Parse(std::span<const std::string_view> fields,
                                     CronDialect dialect) {
    const FieldTexts texts = Layout(fields, dialect);
    if (texts.month_day == "?" && texts.week_day == "?") {
        detail::ThrowInvalid(MessageId::CronBothQuestionMarks, "day-of-month");
    }
    CronExpression cron;
    cron.seconds_ = Bits<60>(detail::ParseValues(texts.second, kSecond), 0);
    cron.minutes_ = Bits<60>(detail::ParseValues(texts.minute, kMinute), 0);
    cron.hours_ = Bits<24>(detail::ParseValues(texts.hour, kHour), 0);
    // `?` is "no restriction from this field", the same as `*` for the day rule.
    cron.month_days_ = detail::ParseMonthDays(texts.month_day == "?" ? "*" : texts.month_day);
    cron.months_ = Bits<13>(detail::ParseValues(texts.month, kMonth), 1);
    cron.week_days_ = detail::ParseWeekDays(texts.week_day == "?" ? "*" : texts.week_day, dialect);
    cron.years_ = detail::ParseValues(texts.year, kYear);
    // A schedule with no fire in the whole supported range is a mistake ("0 0 0 30 2 ?"); the
    // search is on wall-clock time, so the answer does not depend on any zone.
    const local_seconds range_start = local_days{std::chrono::year{kFirstYear} / 1 / 1};
    if (!cron.NextAfter(range_start - std::chrono::seconds{1})) {
        throw Error(
            ErrorKind::InvalidParameter, Message(MessageId::ScheduleNeverFires), "execSchedule");
    }
    return cron;
}

std::optional<local_seconds> CronExpression::NextAfter(local_seconds after) const {
    using namespace std::chrono;
    const local_seconds range_start = local_days{year{kFirstYear} / 1 / 1};
    const local_seconds range_end = local_days{year{kLastYear + 1} / 1 / 1};
    if (after >= range_end) {
        return std::nullopt;
    }
    const local_seconds start = std::max(after + seconds{1}, range_start);
    const local_days start_day = floor<days>(start);
    const year_month_day start_date{start_day};
    Cursor at{static_cast<int>(start_date.year()),
              static_cast<unsigned>(start_date.month()),
              static_cast<unsigned>(start_date.day()),
              static_cast<int>((start - start_day).count())};
    while (at.year <= kLastYear) {
        if (!years_[static_cast<std::size_t>(at.year - kFirstYear)]) {
            at.StartOfNextYear();
            continue;
        }
        const std::optional<std::size_t> day =
            months_[at.month] ? NextBit(DaysIn(at.year, at.month), at.day) : std::nullopt;
        if (!day) {
            at.StartOfNextMonth();
            continue;
        }
        if (*day != at.day) {
            at.day = static_cast<unsigned>(*day);
            at.second = 0;
        }
        if (const std::optional<int> time = FirstTimeFrom(at.second)) {
            return local_days{year{at.year} / month{at.month} / at.day} + seconds{*time};
        }
        ++at.day;  // nothing left today; day 32 makes NextBit move on to the next month
        at.second = 0;
    }
    return std::nullopt;
}

std::bitset<32> CronExpression::DaysIn(int year, unsigned month) const {
    namespace chrono = std::chrono;
    const chrono::year_month in_month{chrono::year{year}, chrono::month{month}};
    const unsigned last = static_cast<unsigned>((in_month / chrono::last).day());
    const unsigned first_week_day = chrono::weekday{local_days{in_month / 1}}.c_encoding();
    const std::bitset<32> by_month = MonthDayMatches(month_days_, last, first_week_day);
    const std::bitset<32> by_week = WeekDayMatches(week_days_, last, first_week_day);
    // cron(8): when both day fields restrict, a day matching either one fires.
    std::bitset<32> days =
        month_days_.restricted && week_days_.restricted ? by_month | by_week : by_month & by_week;
    for (unsigned day = last + 1; day < 32; ++day) {
        days.reset(day);
    }
    return days;
}

std::optional<int> CronExpression::FirstTimeFrom(int second_of_day) const {
    const auto hour = static_cast<std::size_t>(second_of_day / 3600);
    const auto minute = static_cast<std::size_t>(second_of_day / 60 % 60);
    const auto second = static_cast<std::size_t>(second_of_day % 60);
    const auto at = [](std::size_t h, std::size_t m, std::size_t s) {
        return static_cast<int>(h * 3600 + m * 60 + s);
    };
    // Parse leaves no field empty, so the first minute and second always exist.
    const std::size_t first_minute = *NextBit(minutes_, 0);
    const std::size_t first_second = *NextBit(seconds_, 0);
    if (hours_[hour] && minutes_[minute]) {
        if (const auto next_second = NextBit(seconds_, second)) {
            return at(hour, minute, *next_second);
        }
    }
    if (hours_[hour]) {
        if (const auto next_minute = NextBit(minutes_, minute + 1)) {
            return at(hour, *next_minute, first_second);
        }
    }
    if (const auto next_hour = NextBit(hours_, hour + 1)) {
        return at(*next_hour, first_minute, first_second);
    }
    return std::nullopt;
}

}  // namespace jobd::schedule
