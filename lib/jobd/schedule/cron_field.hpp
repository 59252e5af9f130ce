#pragma once
// Parsing of single cron fields into value sets (internal to jobd::schedule). Every function
// throws jobd::Error(InvalidParameter, "execSchedule: <sub-field> ...", "execSchedule") naming
// the sub-field and the bad token; none accepts `?` (CronExpression::Parse handles it).

#include <bitset>
#include <span>
#include <string_view>

#include "jobd/model/message.hpp"
#include "jobd/schedule/cron_expression.hpp"

namespace jobd::schedule::detail {

// One field's name (as in messages), value range and optional names (names[i] is min + i).
struct FieldSpec {
    std::string_view name;
    int min;
    int max;
    std::span<const std::string_view> names;
    bool wraps;  // a range a-b with a > b wraps past max; false for the year, where it is a slip
};

// Bit (value - spec.min) for each value the field matches; wide enough for the year range.
using ValueSet = std::bitset<kLastYear - kFirstYear + 1>;

// A plain field: `*`, values, names, ranges `a-b` (wrapping past max when a > b, except for
// the year), steps `/s`, and comma-separated lists of these.
ValueSet ParseValues(std::string_view text, const FieldSpec& spec);

// Day-of-month: a plain field over 1-31 plus L, L-n, LW and nW list elements.
CronExpression::MonthDays ParseMonthDays(std::string_view text);

// Day-of-week in `dialect`'s numbering: a plain field plus L (Saturday), nL and n#k elements.
CronExpression::WeekDays ParseWeekDays(std::string_view text, CronDialect dialect);

// Throws jobd::Error(InvalidParameter) on execSchedule: `id` with the cron field's name as
// argument "part" (day-of-month) and `element`, the text at fault, as "element".
[[noreturn]] void ThrowInvalid(MessageId id, std::string_view part, std::string_view element = {});

}  // namespace jobd::schedule::detail
