#include "jobd/schedule/cron_field.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <optional>
#include <string>

#include "jobd/model/error.hpp"

namespace jobd::schedule::detail {

namespace {

constexpr std::string_view kDayNames[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

// Quartz counts days of week 1=SUN..7=SAT; crontab 0-7 with both 0 and 7 meaning Sunday.
constexpr FieldSpec kQuartzWeekDay{"day-of-week", 1, 7, {kDayNames, 7}, true};
constexpr FieldSpec kCrontabWeekDay{"day-of-week", 0, 7, {kDayNames, 7}, true};
constexpr FieldSpec kMonthDay{"day-of-month", 1, 31, {}, true};

// Inclusive range with a step; first > last wraps past the field's max to its min.
struct Range {
    int first;
    int last;
    int step;
};

std::string Upper(std::string_view text) {
    std::string upper(text);
    std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) {
        return static_cast<char>(std::toupper(c));
    });
    return upper;
}

std::optional<int> ParseNumber(std::string_view text) {
    // from_chars alone would accept a leading '-'.
    if (text.empty() || !std::isdigit(static_cast<unsigned char>(text.front()))) {
        return std::nullopt;
    }
    int value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size()) {
        return std::nullopt;
    }
    return value;
}

[[noreturn]] void ThrowOutside(MessageId id, std::string_view part, int value, int min, int max) {
    throw Error(ErrorKind::InvalidParameter,
                Message(id,
                        {{"part", std::string(part)},
                         {"value", std::to_string(value)},
                         {"min", std::to_string(min)},
                         {"max", std::to_string(max)}}),
                "execSchedule");
}

// `element` is the list element `piece` came from, quoted when `piece` is empty.
int ParseValue(std::string_view piece, std::string_view element, const FieldSpec& spec) {
    if (piece.empty()) {
        ThrowInvalid(MessageId::CronPartMalformed, spec.name, element);
    }
    const auto name = std::find(spec.names.begin(), spec.names.end(), piece);
    if (name != spec.names.end()) {
        return spec.min + static_cast<int>(name - spec.names.begin());
    }
    const std::optional<int> value = ParseNumber(piece);
    if (!value) {
        ThrowInvalid(
            spec.names.empty() ? MessageId::CronPartNotNumber : MessageId::CronPartNotNumberOrName,
            spec.name,
            piece);
    }
    if (*value < spec.min || *value > spec.max) {
        ThrowOutside(MessageId::CronPartOutside, spec.name, *value, spec.min, spec.max);
    }
    return *value;
}

int ParseStep(std::string_view piece, std::string_view element, const FieldSpec& spec) {
    const std::optional<int> step = ParseNumber(piece);
    if (!step) {
        ThrowInvalid(MessageId::CronStepNotNumber, spec.name, element);
    }
    const int span = spec.max - spec.min + 1;
    if (*step < 1 || *step > span) {
        ThrowOutside(MessageId::CronStepOutside, spec.name, *step, 1, span);
    }
    return *step;
}

Range ParseRange(std::string_view element, const FieldSpec& spec) {
    const std::size_t slash = element.find('/');
    const std::string_view base = element.substr(0, slash);
    const bool has_step = slash != std::string_view::npos;
    const int step = has_step ? ParseStep(element.substr(slash + 1), element, spec) : 1;
    if (base == "*") {
        return {spec.min, spec.max, step};
    }
    const std::size_t dash = base.find('-');
    const int first = ParseValue(base.substr(0, dash), element, spec);
    if (dash != std::string_view::npos) {
        return {first, ParseValue(base.substr(dash + 1), element, spec), step};
    }
    // Quartz: "5/15" starts at 5 and runs to the field's max.
    return {first, has_step ? spec.max : first, step};
}

void AddRange(const Range& range, const FieldSpec& spec, ValueSet& set) {
    const int span = spec.max - spec.min + 1;
    const int length =
        range.last >= range.first ? range.last - range.first : span - (range.first - range.last);
    for (int offset = 0; offset <= length; offset += range.step) {
        set.set(static_cast<std::size_t>((range.first - spec.min + offset) % span));
    }
}

// Calls `add(element)` for each comma-separated element of `text`.
template <typename AddElement>
void ForEachElement(std::string_view text, const FieldSpec& spec, AddElement add) {
    if (text.empty()) {
        ThrowInvalid(MessageId::CronPartEmpty, spec.name);
    }
    std::size_t start = 0;
    while (true) {
        const std::size_t comma = text.find(',', start);
        const std::string_view element = text.substr(start, comma - start);
        if (element.empty()) {
            ThrowInvalid(MessageId::CronListEmptyElement, spec.name, text);
        }
        add(element);
        if (comma == std::string_view::npos) {
            return;
        }
        start = comma + 1;
    }
}

void AddPlainElement(std::string_view element, const FieldSpec& spec, ValueSet& set) {
    if (element == "?") {
        ThrowInvalid(MessageId::CronQuestionMarkAlone, spec.name);
    }
    const Range range = ParseRange(element, spec);
    if (!spec.wraps && range.first > range.last) {
        ThrowInvalid(MessageId::CronRangeReversed, spec.name, element);
    }
    AddRange(range, spec, set);
}

void AddMonthDayElement(std::string_view element, CronExpression::MonthDays& days) {
    if (element == "L") {
        days.before_last.set(0);
        return;
    }
    if (element == "LW") {
        days.last_weekday = true;
        return;
    }
    if (element.starts_with("L-")) {
        const std::optional<int> offset = ParseNumber(element.substr(2));
        if (!offset || *offset > 30) {
            ThrowInvalid(MessageId::CronLastOffset, kMonthDay.name, element);
        }
        days.before_last.set(static_cast<std::size_t>(*offset));
        return;
    }
    if (element.size() > 1 && element.back() == 'W') {
        const int day = ParseValue(element.substr(0, element.size() - 1), element, kMonthDay);
        days.nearest_weekday.set(static_cast<std::size_t>(day));
        return;
    }
    ValueSet set;
    AddPlainElement(element, kMonthDay, set);
    for (int day = 1; day <= 31; ++day) {  // added to the list's earlier elements
        if (set[static_cast<std::size_t>(day - 1)]) {
            days.days.set(static_cast<std::size_t>(day));
        }
    }
}

std::size_t WeekDayIndex(int value, CronDialect dialect) {
    return static_cast<std::size_t>(dialect == CronDialect::Quartz ? value - 1 : value % 7);
}

void AddWeekDayElement(std::string_view element,
                       CronDialect dialect,
                       CronExpression::WeekDays& days) {
    const FieldSpec& spec = dialect == CronDialect::Quartz ? kQuartzWeekDay : kCrontabWeekDay;
    if (element == "L") {  // Quartz: a lone L in day-of-week is its last day, Saturday
        days.days.set(6);
        return;
    }
    const std::size_t hash = element.find('#');
    if (hash != std::string_view::npos) {
        const int day = ParseValue(element.substr(0, hash), element, spec);
        const std::optional<int> nth = ParseNumber(element.substr(hash + 1));
        if (!nth || *nth < 1 || *nth > 5) {
            ThrowInvalid(MessageId::CronOccurrence, spec.name, element);
        }
        days.nth[static_cast<std::size_t>(*nth - 1)].set(WeekDayIndex(day, dialect));
        return;
    }
    if (element.size() > 1 && element.back() == 'L') {
        const int day = ParseValue(element.substr(0, element.size() - 1), element, spec);
        days.last_in_month.set(WeekDayIndex(day, dialect));
        return;
    }
    ValueSet set;
    AddPlainElement(element, spec, set);
    for (int value = spec.min; value <= spec.max; ++value) {
        if (set[static_cast<std::size_t>(value - spec.min)]) {
            days.days.set(WeekDayIndex(value, dialect));
        }
    }
}

}  // namespace

void ThrowInvalid(MessageId id, std::string_view part, std::string_view element) {
    throw Error(ErrorKind::InvalidParameter,
                Message(id, {{"part", std::string(part)}, {"element", std::string(element)}}),
                "execSchedule");
}

ValueSet ParseValues(std::string_view text, const FieldSpec& spec) {
    const std::string upper = Upper(text);
    ValueSet set;
    ForEachElement(
        upper, spec, [&](std::string_view element) { AddPlainElement(element, spec, set); });
    return set;
}

CronExpression::MonthDays ParseMonthDays(std::string_view text) {
    const std::string upper = Upper(text);
    CronExpression::MonthDays days;
    days.restricted = upper != "*";
    ForEachElement(
        upper, kMonthDay, [&](std::string_view element) { AddMonthDayElement(element, days); });
    return days;
}

CronExpression::WeekDays ParseWeekDays(std::string_view text, CronDialect dialect) {
    const std::string upper = Upper(text);
    CronExpression::WeekDays days;
    days.restricted = upper != "*";
    ForEachElement(upper, kQuartzWeekDay, [&](std::string_view element) {
        AddWeekDayElement(element, dialect, days);
    });
    return days;
}

}  // namespace jobd::schedule::detail
