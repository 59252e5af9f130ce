#pragma once
// jobd::schedule — parsing `execSchedule` strings and finding the next fire time in an IANA zone
// (contract §8; the grammar and DST rules are in docs/schedules.md).
//
// Pure: no I/O, clock reads or globals beyond the tz database that FindZone/SystemZoneName
// consult; the current time is always an argument. A Schedule is immutable after Parse, cheap to
// copy and safe to share between threads. Parse throws jobd::Error(InvalidParameter,
// "execSchedule: ...", "execSchedule") naming the sub-field; nothing else here throws for bad
// input.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "jobd/schedule/cron_expression.hpp"

namespace date {
class time_zone;
}  // namespace date

namespace jobd::schedule {

using Seconds = std::chrono::sys_seconds;  // UTC instants, second granularity

class Schedule {
public:
    // Accepts Quartz cron (6 or 7 fields), 5 fields (crontab, else seconds-first), @macros and
    // `@every <duration>`. Also throws for schedules that can never fire ("0 0 0 30 2 ?").
    static Schedule Parse(std::string_view text);

    // The first fire strictly after `after`, or nullopt when there is none (a year list in the
    // past, or after 2199).
    std::optional<Seconds> NextAfter(Seconds after, const date::time_zone& zone) const;

    // The schedule exactly as given to Parse (getScheduledJobs reports it so).
    const std::string& text() const { return text_; }

private:
    Schedule(std::string text, CronExpression cron)
        : text_(std::move(text)), rule_(std::move(cron)) {}

    Schedule(std::string text, std::chrono::seconds every) : text_(std::move(text)), rule_(every) {}

    std::string text_;
    std::variant<CronExpression, std::chrono::seconds> rule_;  // seconds: an @every period
};

// The zone named `iana_name` ("Europe/Berlin"), or nullptr when the tz database has no such zone.
const date::time_zone* FindZone(std::string_view iana_name);

// The host's zone name (for jobs submitted without timeZone); "UTC" when it cannot be found.
std::string SystemZoneName();

// `t` as wall time in `zone` with its offset, millisecond precision, as nextFireTime is reported:
// "2026-11-23T00:00:00.000-08:00".
std::string FormatWithOffset(std::chrono::sys_time<std::chrono::milliseconds> t,
                             const date::time_zone& zone);

}  // namespace jobd::schedule
