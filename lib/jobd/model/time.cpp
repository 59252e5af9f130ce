#include "jobd/model/time.hpp"

#include <cctype>
#include <charconv>
#include <cstdio>

namespace jobd {
namespace {

using namespace std::chrono;

// Reads exactly `digits` decimal digits at text[pos]; advances pos.
std::optional<int> ReadDigits(std::string_view text, std::size_t& pos, int digits) {
    if (pos + digits > text.size()) {
        return std::nullopt;
    }
    int value = 0;
    for (int i = 0; i < digits; ++i) {
        const char c = text[pos + i];
        if (c < '0' || c > '9') {
            return std::nullopt;
        }
        value = value * 10 + (c - '0');
    }
    pos += digits;
    return value;
}

bool Expect(std::string_view text, std::size_t& pos, char c) {
    if (pos < text.size() && text[pos] == c) {
        ++pos;
        return true;
    }
    return false;
}

std::optional<microseconds> ReadFraction(std::string_view text, std::size_t& pos) {
    if (!Expect(text, pos, '.')) {
        return microseconds(0);
    }
    std::int64_t micros = 0;
    int digits = 0;
    while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) {
        if (digits < 6) {
            micros = micros * 10 + (text[pos] - '0');
        }
        ++digits;
        ++pos;
    }
    if (digits == 0) {
        return std::nullopt;
    }
    for (int i = digits; i < 6; ++i) {
        micros *= 10;
    }
    return microseconds(micros);
}

// "Z", "+01:00", "-0700", or nothing.
std::optional<std::optional<minutes>> ReadOffset(std::string_view text, std::size_t& pos) {
    if (pos == text.size()) {
        return std::optional<minutes>{};
    }
    if (Expect(text, pos, 'Z') || Expect(text, pos, 'z')) {
        return std::optional<minutes>{minutes(0)};
    }
    const char sign = text[pos];
    if (sign != '+' && sign != '-') {
        return std::nullopt;
    }
    ++pos;
    const auto hours = ReadDigits(text, pos, 2);
    Expect(text, pos, ':');
    const auto mins = ReadDigits(text, pos, 2);
    if (!hours || !mins || *hours > 14 || *mins > 59) {
        return std::nullopt;
    }
    const minutes offset = std::chrono::hours(*hours) + minutes(*mins);
    return std::optional<minutes>{sign == '-' ? -offset : offset};
}

}  // namespace

std::string FormatUtc(TimePoint t) {
    const auto day = floor<days>(t);
    const year_month_day ymd(day);
    const hh_mm_ss<milliseconds> hms(floor<milliseconds>(t - day));
    char buffer[40];
    std::snprintf(buffer,
                  sizeof buffer,
                  "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ",
                  static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()),
                  static_cast<unsigned>(ymd.day()),
                  static_cast<int>(hms.hours().count()),
                  static_cast<int>(hms.minutes().count()),
                  static_cast<int>(hms.seconds().count()),
                  static_cast<int>(hms.subseconds().count()));
    return buffer;
}

std::optional<TimePoint> DateTimeText::Instant() const {
    if (!offset) {
        return std::nullopt;
    }
    return wall - *offset;
}

std::optional<DateTimeText> ParseDateTime(std::string_view text) {
    std::size_t pos = 0;
    const auto y = ReadDigits(text, pos, 4);
    const bool date_ok = y && Expect(text, pos, '-');
    const auto mo = date_ok ? ReadDigits(text, pos, 2) : std::nullopt;
    const auto d = mo && Expect(text, pos, '-') ? ReadDigits(text, pos, 2) : std::nullopt;
    if (!d || !(Expect(text, pos, 'T') || Expect(text, pos, ' '))) {
        return std::nullopt;
    }
    const auto h = ReadDigits(text, pos, 2);
    const auto mi = h && Expect(text, pos, ':') ? ReadDigits(text, pos, 2) : std::nullopt;
    const auto s = mi && Expect(text, pos, ':') ? ReadDigits(text, pos, 2) : std::nullopt;
    if (!s || *h > 23 || *mi > 59 || *s > 59) {
        return std::nullopt;
    }
    const auto fraction = ReadFraction(text, pos);
    const auto offset = fraction ? ReadOffset(text, pos) : std::nullopt;
    if (!offset || pos != text.size()) {
        return std::nullopt;
    }
    const year_month_day ymd{
        year(*y), month(static_cast<unsigned>(*mo)), day(static_cast<unsigned>(*d))};
    if (!ymd.ok()) {
        return std::nullopt;
    }
    const TimePoint wall = sys_days(ymd) + hours(*h) + minutes(*mi) + seconds(*s) + *fraction;
    return DateTimeText{wall, *offset};
}

}  // namespace jobd
