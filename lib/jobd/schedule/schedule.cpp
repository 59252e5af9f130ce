#include "jobd/schedule/schedule.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <vector>

#include <date/tz.h>

#include "jobd/model/error.hpp"

namespace jobd::schedule {

namespace {

using namespace std::chrono_literals;

// Fire times end with kLastYear, like the cron search, so every kind of schedule agrees.
constexpr Seconds kEndOfRange{std::chrono::sys_days{std::chrono::year{kLastYear + 1} / 1 / 1}};

// A longer period is better written as a cron expression, and the cap keeps the arithmetic far
// from overflow.
constexpr std::chrono::seconds kMaxEvery = std::chrono::days{366};

struct Macro {
    std::string_view name;
    std::string_view quartz;
};

constexpr Macro kMacros[] = {
    {"@yearly", "0 0 0 1 1 ?"},
    {"@annually", "0 0 0 1 1 ?"},
    {"@monthly", "0 0 0 1 * ?"},
    {"@weekly", "0 0 0 ? * SUN"},
    {"@daily", "0 0 0 * * ?"},
    {"@midnight", "0 0 0 * * ?"},
    {"@hourly", "0 0 * * * ?"},
};

[[noreturn]] void ThrowInvalid(Message what) {
    throw Error(ErrorKind::InvalidParameter, std::move(what), "execSchedule");
}

[[noreturn]] void ThrowInvalidDuration(MessageId id, std::string_view duration) {
    ThrowInvalid(Message(id, {{"duration", std::string(duration)}}));
}

std::vector<std::string_view> SplitFields(std::string_view text) {
    std::vector<std::string_view> fields;
    std::size_t start = 0;
    while (start < text.size()) {
        const auto is_space = [](char c) { return std::isspace(static_cast<unsigned char>(c)); };
        const auto begin = std::find_if_not(
            text.begin() + static_cast<std::ptrdiff_t>(start), text.end(), is_space);
        const auto end = std::find_if(begin, text.end(), is_space);
        if (begin != end) {
            fields.emplace_back(begin, end);
        }
        start = static_cast<std::size_t>(end - text.begin());
    }
    return fields;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
        return std::tolower(static_cast<unsigned char>(x)) ==
               std::tolower(static_cast<unsigned char>(y));
    });
}

std::chrono::seconds UnitOf(char unit, std::string_view duration) {
    switch (std::tolower(static_cast<unsigned char>(unit))) {
        case 's': return 1s;
        case 'm': return 1min;
        case 'h': return 1h;
        case 'd': return std::chrono::days{1};
    }
    ThrowInvalidDuration(MessageId::ScheduleEveryUnit, duration);
}

// "30s", "5m", "1h30m": numbers each followed by a unit, added up.
std::chrono::seconds ParseEvery(std::string_view duration) {
    std::chrono::seconds total{0};
    const char* at = duration.data();
    const char* const end = at + duration.size();
    while (at != end) {
        std::int64_t count = 0;
        const auto [unit, ec] = std::from_chars(at, end, count);
        if (ec != std::errc() || unit == at || count < 0 || unit == end) {
            ThrowInvalidDuration(MessageId::ScheduleEveryMalformed, duration);
        }
        const std::chrono::seconds per = UnitOf(*unit, duration);
        if (count > kMaxEvery / per || total + count * per > kMaxEvery) {
            ThrowInvalidDuration(MessageId::ScheduleEveryTooLong, duration);
        }
        total += count * per;
        at = unit + 1;
    }
    if (total < 1s) {
        ThrowInvalidDuration(MessageId::ScheduleEveryTooShort, duration);
    }
    return total;
}

// Contract §8: crontab when that reading is valid, else the seconds-first IPS form.
CronExpression ParseFiveFields(std::span<const std::string_view> fields) {
    // Both readings fail on execSchedule, so their messages go in without the field.
    std::optional<Message> crontab_reason;
    try {
        return CronExpression::Parse(fields, CronDialect::Crontab);
    } catch (const Error& crontab_error) {
        crontab_reason = crontab_error.message();
    }
    try {
        return CronExpression::Parse(fields, CronDialect::SecondsFirst);
    } catch (const Error& seconds_first_error) {
        ThrowInvalid(Message(MessageId::ScheduleNeitherReading)
                         .With("crontab", std::move(*crontab_reason))
                         .With("seconds_first", seconds_first_error.message()));
    }
}

CronExpression ParseCron(std::span<const std::string_view> fields) {
    if (fields.size() == 5) {
        return ParseFiveFields(fields);
    }
    if (fields.size() == 6 || fields.size() == 7) {
        return CronExpression::Parse(fields, CronDialect::Quartz);
    }
    ThrowInvalid(
        Message(MessageId::ScheduleFieldCount, {{"count", std::to_string(fields.size())}}));
}

CronExpression ExpandMacro(std::span<const std::string_view> fields) {
    const auto macro = std::find_if(std::begin(kMacros), std::end(kMacros), [&](const Macro& m) {
        return EqualsIgnoreCase(m.name, fields[0]);
    });
    if (macro == std::end(kMacros)) {
        ThrowInvalid(Message(MessageId::ScheduleUnknownMacro, {{"macro", std::string(fields[0])}}));
    }
    if (fields.size() != 1) {
        ThrowInvalid(
            Message(MessageId::ScheduleMacroArguments, {{"macro", std::string(macro->name)}}));
    }
    const std::vector<std::string_view> expanded = SplitFields(macro->quartz);
    return CronExpression::Parse(expanded, CronDialect::Quartz);
}

date::local_seconds ToDate(std::chrono::local_seconds wall) {
    return date::local_seconds{wall.time_since_epoch()};
}

std::chrono::local_seconds FromDate(date::local_seconds wall) {
    return std::chrono::local_seconds{wall.time_since_epoch()};
}

// Absolute time: a fire at every instant whose wall time matches. Within one sys_info interval
// the offset is fixed, so the search runs interval by interval: a skipped hour has no instants
// and a repeated hour is met twice.
std::optional<Seconds> NextAbsoluteFire(const CronExpression& cron,
                                        Seconds after,
                                        const date::time_zone& zone) {
    while (true) {
        const date::sys_info interval = zone.get_info(after + 1s);
        const std::optional<std::chrono::local_seconds> wall = cron.NextAfter(
            std::chrono::local_seconds{(after + interval.offset).time_since_epoch()});
        if (!wall) {
            return std::nullopt;
        }
        const Seconds fire{wall->time_since_epoch() - interval.offset};
        if (fire < interval.end) {
            return fire;
        }
        after = interval.end - 1s;
    }
}

// Wall-clock time: each matching wall time fires once, a skipped one at the end of the gap and
// a repeated one at its first occurrence. That mapping never runs backwards, so the answer is
// the first matching wall time after `after`'s own whose instant is later than `after`.
std::optional<Seconds> NextWallClockFire(const CronExpression& cron,
                                         Seconds after,
                                         const date::time_zone& zone) {
    date::local_seconds from = zone.to_local(after);
    while (true) {
        const std::optional<std::chrono::local_seconds> wall = cron.NextAfter(FromDate(from));
        if (!wall) {
            return std::nullopt;
        }
        const date::local_info info = zone.get_info(ToDate(*wall));
        if (info.result == date::local_info::nonexistent) {
            return info.first.end;  // the gap's end: the first valid instant after the wall time
        }
        const Seconds first{wall->time_since_epoch() - info.first.offset};
        if (info.result == date::local_info::unique || first > after) {
            return first;
        }
        // `after` is in the second pass of a repeated hour, whose wall times fired in the first.
        from = date::local_seconds{(info.second.begin + info.first.offset - 1s).time_since_epoch()};
    }
}

// Floor division keeps the epoch anchor for instants before 1970 too.
Seconds NextMultiple(Seconds after, std::chrono::seconds period) {
    const std::int64_t since_epoch = after.time_since_epoch().count();
    std::int64_t periods = since_epoch / period.count();
    if (since_epoch % period.count() < 0) {
        --periods;
    }
    return Seconds{(periods + 1) * period};
}

}  // namespace

Schedule Schedule::Parse(std::string_view text) {
    const std::vector<std::string_view> fields = SplitFields(text);
    if (fields.empty()) {
        ThrowInvalid(Message(MessageId::ScheduleEmpty));
    }
    if (EqualsIgnoreCase(fields[0], "@every")) {
        if (fields.size() != 2) {
            ThrowInvalid(Message(MessageId::ScheduleEveryArguments));
        }
        return Schedule(std::string(text), ParseEvery(fields[1]));
    }
    if (fields[0].starts_with('@')) {
        return Schedule(std::string(text), ExpandMacro(fields));
    }
    return Schedule(std::string(text), ParseCron(fields));
}

std::optional<Seconds> Schedule::NextAfter(Seconds after, const date::time_zone& zone) const {
    if (after >= kEndOfRange) {
        return std::nullopt;
    }
    std::optional<Seconds> fire;
    if (const auto* every = std::get_if<std::chrono::seconds>(&rule_)) {
        fire = NextMultiple(after, *every);  // @every ignores the zone
    } else {
        const auto& cron = std::get<CronExpression>(rule_);
        fire = cron.MatchesEveryHour() ? NextAbsoluteFire(cron, after, zone)
                                       : NextWallClockFire(cron, after, zone);
    }
    if (fire && *fire >= kEndOfRange) {
        return std::nullopt;
    }
    return fire;
}

const date::time_zone* FindZone(std::string_view iana_name) {
    try {
        return date::locate_zone(std::string(iana_name));
    } catch (const std::runtime_error&) {
        return nullptr;  // date reports an unknown name only by throwing
    }
}

std::string SystemZoneName() {
    try {
        return std::string(date::current_zone()->name());
    } catch (const std::runtime_error&) {
        return "UTC";  // no /etc/localtime or an unknown target: UTC is the safe reading
    }
}

std::string FormatWithOffset(std::chrono::sys_time<std::chrono::milliseconds> t,
                             const date::time_zone& zone) {
    return date::format("%FT%T%Ez", date::make_zoned(&zone, t));
}

}  // namespace jobd::schedule
