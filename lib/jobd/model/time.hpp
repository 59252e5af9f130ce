#pragma once
// Instants on the wire (xsd:dateTime) — pure: no clock reads.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace jobd {

using TimePoint = std::chrono::sys_time<std::chrono::microseconds>;

// "2026-11-23T12:00:00.123Z" (UTC, milliseconds).
std::string FormatUtc(TimePoint t);

// An xsd:dateTime as read: the wall time and, when given, its UTC offset. A value without an
// offset is a wall time in the server's zone (IPS: "adjusted to the time zone of the server").
struct DateTimeText {
    TimePoint wall;  // the wall time's fields, as if they were UTC
    std::optional<std::chrono::minutes> offset;

    // The instant, when the offset is known.
    std::optional<TimePoint> Instant() const;
};

// "2026-11-23T12:00:00", fractional seconds, "Z" or "+01:00"/"-0700"; nullopt when malformed.
std::optional<DateTimeText> ParseDateTime(std::string_view text);

// Microseconds since the Unix epoch (how the store exchanges timestamptz with PostgreSQL).
inline std::int64_t ToMicros(TimePoint t) {
    return t.time_since_epoch().count();
}

inline TimePoint FromMicros(std::int64_t micros) {
    return TimePoint(std::chrono::microseconds(micros));
}

}  // namespace jobd
