// Properties of Schedule::NextAfter over random Quartz expressions and instants in several zones
// (issue #5): the next fire is strictly after the input, is a fire of the expression, and no
// fire lies in between. Expressions are generated from the grammar (every operator: lists,
// ranges incl. wrapping ones, steps, names, L, L-n, LW, nW, nL, n#k, years) together with a
// model of what they match, written here independently of the parser; the check walks the
// instants between input and result with that model under the DST rules of contract §8
// (docs/schedules.md). Fixed seeds: a failure reproduces, and its message shows the case.

#include <array>
#include <bitset>
#include <cctype>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <date/tz.h>
#include <gtest/gtest.h>

#include "jobd/model/error.hpp"
#include "jobd/schedule/schedule.hpp"

namespace jobd::schedule {
namespace {

using std::chrono::seconds;

constexpr int kFirstModelYear = 1970;
constexpr int kLastModelYear = 2199;

constexpr std::array<const char*, 12> kMonths = {
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr std::array<const char*, 7> kWeekDays = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

// What a generated expression matches, per field; built alongside its text.
struct Model {
    std::bitset<60> seconds;
    std::bitset<60> minutes;
    std::bitset<24> hours;
    std::bitset<13> months;  // 1-12
    std::bitset<kLastModelYear - kFirstModelYear + 1> years;
    // Day of month.
    bool dom_restricted = false;
    std::bitset<32> dom_days;
    bool dom_last = false;
    std::vector<int> dom_before_last;  // L-n
    bool dom_last_weekday = false;
    std::vector<int> dom_nearest;  // nW
    // Day of week, 0 = Sunday.
    bool dow_restricted = false;
    std::bitset<7> dow_days;
    std::bitset<7> dow_last;                   // nL
    std::vector<std::pair<int, int>> dow_nth;  // n#k as (weekday, k)

    bool Granular() const { return hours.all(); }
};

unsigned LastDay(int year, unsigned month) {
    return static_cast<unsigned>((date::year(year) / date::month(month) / date::last).day());
}

int WeekDay(int year, unsigned month, unsigned day) {
    return static_cast<int>(
        date::weekday(date::sys_days(date::year(year) / date::month(month) / date::day(day)))
            .c_encoding());
}

// Quartz's nW: the nearest Monday-Friday to day n, not leaving the month.
unsigned NearestWeekday(int year, unsigned month, unsigned n) {
    const unsigned last = LastDay(year, month);
    for (int distance = 0; distance <= 2; ++distance) {
        for (const int day : {static_cast<int>(n) - distance, static_cast<int>(n) + distance}) {
            if (day >= 1 && day <= static_cast<int>(last)) {
                const int week_day = WeekDay(year, month, static_cast<unsigned>(day));
                if (week_day != 0 && week_day != 6) {
                    return static_cast<unsigned>(day);
                }
            }
        }
    }
    return 0;
}

bool DayMatches(const Model& model, int year, unsigned month, unsigned day) {
    if (year < kFirstModelYear || year > kLastModelYear || !model.years[year - kFirstModelYear] ||
        !model.months[month]) {
        return false;
    }
    const unsigned last = LastDay(year, month);
    bool by_month = model.dom_days[day] || (model.dom_last && day == last) ||
                    (model.dom_last_weekday && day == NearestWeekday(year, month, last));
    for (const int n : model.dom_before_last) {
        by_month = by_month || static_cast<int>(day) == static_cast<int>(last) - n;
    }
    for (const int n : model.dom_nearest) {
        by_month = by_month || (n <= static_cast<int>(last) &&
                                day == NearestWeekday(year, month, static_cast<unsigned>(n)));
    }
    const int week_day = WeekDay(year, month, day);
    bool by_week = model.dow_days[week_day] || (model.dow_last[week_day] && day + 7 > last);
    for (const auto& [nth_day, k] : model.dow_nth) {
        by_week = by_week || (nth_day == week_day && (static_cast<int>(day) - 1) / 7 + 1 == k);
    }
    if (model.dom_restricted && model.dow_restricted) {
        return by_month || by_week;  // cron(8)'s OR rule
    }
    return (!model.dom_restricted || by_month) && (!model.dow_restricted || by_week);
}

// A wall time, as seconds since the epoch of the local calendar.
bool WallMatches(const Model& model, std::int64_t wall) {
    const auto time = date::sys_seconds(seconds(wall));
    const auto day = date::floor<date::days>(time);
    const date::year_month_day ymd(day);
    const auto second_of_day = (time - day).count();
    return model.hours[second_of_day / 3600] && model.minutes[second_of_day / 60 % 60] &&
           model.seconds[second_of_day % 60] &&
           DayMatches(model,
                      static_cast<int>(ymd.year()),
                      static_cast<unsigned>(ymd.month()),
                      static_cast<unsigned>(ymd.day()));
}

// Generates one field's text and model.
class Generator {
public:
    explicit Generator(std::uint32_t seed) : random_(seed) {}

    int Uniform(int low, int high) {
        return std::uniform_int_distribution<int>(low, high)(random_);
    }

    bool Chance(int percent) { return Uniform(1, 100) <= percent; }

    // Random case, as names and letters are case-insensitive.
    std::string Cased(std::string text) {
        for (char& c : text) {
            if (Chance(30)) {
                c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            }
        }
        return text;
    }

    // A plain field over [low, high]: lists of values, names, ranges (wrapping where `wraps`),
    // steps. `set(v)` records a matched value; `name(v)` gives a name or "".
    template <typename Set, typename Name>
    std::string Plain(int low, int high, bool wraps, Set set, Name name) {
        if (Chance(20)) {
            for (int v = low; v <= high; ++v) {
                set(v);
            }
            return "*";
        }
        std::string text;
        const int elements = Uniform(1, 3);
        for (int i = 0; i < elements; ++i) {
            text += (i == 0 ? "" : ",") + Element(low, high, wraps, set, name);
        }
        return text;
    }

    template <typename Set, typename Name>
    std::string Element(int low, int high, bool wraps, Set set, Name name) {
        const auto value = [&](int v) {
            const std::string named = name(v);
            return !named.empty() && Chance(50) ? Cased(named) : std::to_string(v);
        };
        const int kind = Uniform(0, 4);
        const int a = Uniform(low, high);
        const int step = Uniform(1, std::max(1, (high - low) / 2));
        switch (kind) {
            case 0: set(a); return value(a);
            case 1: {
                const int b = wraps ? Uniform(low, high) : Uniform(a, high);
                for (int v = a;; v = v == high ? low : v + 1) {  // a > b wraps past high
                    set(v);
                    if (v == b) {
                        break;
                    }
                }
                return value(a) + "-" + value(b);
            }
            case 2:
                for (int v = low; v <= high; v += step) {
                    set(v);
                }
                return "*/" + std::to_string(step);
            case 3:
                for (int v = a; v <= high; v += step) {
                    set(v);
                }
                return value(a) + "/" + std::to_string(step);
            default: {
                const int b = Uniform(a, high);
                for (int v = a; v <= b; v += step) {
                    set(v);
                }
                return value(a) + "-" + value(b) + "/" + std::to_string(step);
            }
        }
    }

    std::string DayOfMonth(Model& model) {
        model.dom_restricted = true;
        std::string text;
        const int elements = Uniform(1, 3);
        for (int i = 0; i < elements; ++i) {
            text += i == 0 ? "" : ",";
            switch (Uniform(0, 5)) {
                case 0:
                    model.dom_last = true;
                    text += "L";
                    break;
                case 1: {
                    const int n = Uniform(0, 30);
                    model.dom_before_last.push_back(n);
                    text += "L-" + std::to_string(n);
                    break;
                }
                case 2:
                    model.dom_last_weekday = true;
                    text += "LW";
                    break;
                case 3: {
                    const int n = Uniform(1, 31);
                    model.dom_nearest.push_back(n);
                    text += std::to_string(n) + "W";
                    break;
                }
                default:
                    text += Element(
                        1, 31, true, [&](int v) { model.dom_days.set(v); }, NoName);
            }
        }
        return text;
    }

    // Quartz numbering: 1 = SUN ... 7 = SAT.
    std::string DayOfWeek(Model& model) {
        model.dow_restricted = true;
        const auto name = [](int v) { return std::string(kWeekDays[v - 1]); };
        const auto day_text = [&](int v) {
            return Chance(50) ? Cased(name(v)) : std::to_string(v);
        };
        if (Chance(10)) {
            model.dow_days.set(6);
            return "L";  // alone: Saturday
        }
        std::string text;
        const int elements = Uniform(1, 3);
        for (int i = 0; i < elements; ++i) {
            text += i == 0 ? "" : ",";
            const int v = Uniform(1, 7);
            switch (Uniform(0, 3)) {
                case 0:
                    model.dow_last.set(v - 1);
                    text += std::to_string(v) + "L";
                    break;
                case 1: {
                    const int k = Uniform(1, 5);
                    model.dow_nth.emplace_back(v - 1, k);
                    text += day_text(v) + "#" + std::to_string(k);
                    break;
                }
                default:
                    text += Element(
                        1, 7, true, [&](int d) { model.dow_days.set(d - 1); }, name);
            }
        }
        return text;
    }

    // A whole 6- or 7-field Quartz expression.
    std::string Expression(Model& model) {
        std::ostringstream text;
        text << Plain(
                    0, 59, true, [&](int v) { model.seconds.set(v); }, NoName)
             << ' '
             << Plain(
                    0, 59, true, [&](int v) { model.minutes.set(v); }, NoName)
             << ' '
             << Plain(
                    0, 23, true, [&](int v) { model.hours.set(v); }, NoName)
             << ' ';
        // Not both day fields `?`; `*` or `?` leaves a field unrestricted.
        const int days = Uniform(0, 4);
        std::string dom = days == 0 ? "*" : days == 1 ? "?" : DayOfMonth(model);
        std::string dow = days == 1 || days == 2 ? (Chance(50) ? "*" : DayOfWeek(model)) : "?";
        if (days == 1 && dow == "*") {
            dow = DayOfWeek(model);
        }
        text << dom << ' '
             << Plain(
                    1,
                    12,
                    true,
                    [&](int v) { model.months.set(v); },
                    [](int v) { return std::string(kMonths[v - 1]); })
             << ' ' << dow;
        if (Chance(30)) {
            text << ' ' << Year(model);
        } else {
            model.years.set();
        }
        return text.str();
    }

    std::string Year(Model& model) {
        const auto set = [&](int v) { model.years.set(v - kFirstModelYear); };
        if (Chance(15)) {
            model.years.set();
            return "*";
        }
        std::string text;
        const int elements = Uniform(1, 2);
        for (int i = 0; i < elements; ++i) {
            text += i == 0 ? "" : ",";
            const int a = Uniform(2000, 2045);
            switch (Uniform(0, 2)) {
                case 0:
                    set(a);
                    text += std::to_string(a);
                    break;
                case 1: {
                    const int b = Uniform(a, 2050);
                    for (int v = a; v <= b; ++v) {
                        set(v);
                    }
                    text += std::to_string(a) + "-" + std::to_string(b);
                    break;
                }
                default: {
                    const int step = Uniform(1, 8);
                    for (int v = a; v <= kLastModelYear; v += step) {
                        set(v);
                    }
                    text += std::to_string(a) + "/" + std::to_string(step);
                }
            }
        }
        return text;
    }

    static std::string NoName(int) { return {}; }

private:
    std::mt19937 random_;
};

// Where an instant is on the wall clock, and what the zone did around it.
class Clock {
public:
    explicit Clock(const date::time_zone& zone) : zone_(zone) {}

    const date::sys_info& Info(date::sys_seconds at) {
        if (!(info_.begin <= at && at < info_.end)) {
            info_ = zone_.get_info(at);
        }
        return info_;
    }

    std::int64_t Wall(date::sys_seconds at) {
        return (at + Info(at).offset).time_since_epoch().count();
    }

    // The offset in force just before `at`.
    seconds OffsetBefore(date::sys_seconds at) { return zone_.get_info(at - seconds(1)).offset; }

    // True when `at`'s wall time already occurred earlier (the second pass of a fall-back).
    bool SecondPass(date::sys_seconds at) {
        const date::sys_info info = Info(at);
        const seconds before = OffsetBefore(info.begin);
        return before > info.offset && at - info.begin < before - info.offset;
    }

    // True when the wall clock jumped forward at `at` over a wall time that matches.
    bool SkippedMatchEndsAt(const Model& model, date::sys_seconds at) {
        const date::sys_info info = Info(at);
        const seconds before = OffsetBefore(at);
        if (info.begin != at || before >= info.offset) {
            return false;
        }
        const std::int64_t from = (at + before).time_since_epoch().count();
        const std::int64_t to = (at + info.offset).time_since_epoch().count();
        for (std::int64_t wall = from; wall < to; ++wall) {
            if (WallMatches(model, wall)) {
                return true;
            }
        }
        return false;
    }

private:
    const date::time_zone& zone_;
    date::sys_info info_{};
};

// Is `at` a fire of the model under contract §8's rules?
bool IsFire(const Model& model, Clock& clock, date::sys_seconds at) {
    if (model.Granular()) {
        return WallMatches(model, clock.Wall(at));  // absolute time: every matching instant
    }
    // Wall clock: a matching wall time's first occurrence, or the end of a gap that skipped one.
    return (WallMatches(model, clock.Wall(at)) && !clock.SecondPass(at)) ||
           clock.SkippedMatchEndsAt(model, at);
}

// The first instant in (after, before) that is a fire, if any. Skips whole wall-clock days,
// hours and minutes that cannot match, never across an offset change.
std::optional<date::sys_seconds> FireBetween(const Model& model,
                                             const date::time_zone& zone,
                                             date::sys_seconds after,
                                             date::sys_seconds before) {
    Clock clock(zone);
    date::sys_seconds at = after + seconds(1);
    while (at < before) {
        const date::sys_info& info = clock.Info(at);
        // A gap's end is checked at the instant it happens.
        if (info.begin == at && clock.SkippedMatchEndsAt(model, at) && !model.Granular()) {
            return at;
        }
        const std::int64_t wall = clock.Wall(at);
        const auto wall_time = date::sys_seconds(seconds(wall));
        const auto day = date::floor<date::days>(wall_time);
        const date::year_month_day ymd(day);
        const std::int64_t second_of_day = (wall_time - day).count();
        std::int64_t skip = 0;
        if (!DayMatches(model,
                        static_cast<int>(ymd.year()),
                        static_cast<unsigned>(ymd.month()),
                        static_cast<unsigned>(ymd.day()))) {
            skip = 86400 - second_of_day;
        } else if (!model.hours[second_of_day / 3600]) {
            skip = 3600 - second_of_day % 3600;
        } else if (!model.minutes[second_of_day / 60 % 60]) {
            skip = 60 - second_of_day % 60;
        } else if (IsFire(model, clock, at)) {
            return at;
        } else {
            skip = 1;
        }
        at = std::min(at + seconds(skip), std::max(info.end, at + seconds(1)));
    }
    return std::nullopt;
}

struct Case {
    std::string expression;
    std::string zone;
    date::sys_seconds after;
};

std::string Describe(const Case& c, std::optional<Seconds> next) {
    std::ostringstream text;
    text << '"' << c.expression << "\" in " << c.zone << " after "
         << date::format("%FT%TZ", c.after) << " -> "
         << (next ? date::format("%FT%TZ", *next) : std::string("none"));
    return text.str();
}

constexpr std::array<const char*, 7> kZones = {"UTC",
                                               "America/New_York",
                                               "Europe/Berlin",
                                               "Australia/Lord_Howe",
                                               "Europe/Moscow",  // offsets changed in 2011, 2014
                                               "Pacific/Apia",   // skipped 2011-12-30
                                               "Asia/Kolkata"};

// An instant between 2000 and 2040, half of them within two days of one of the zone's offset
// changes, where the DST rules act.
date::sys_seconds RandomInstant(Generator& random, const date::time_zone& zone) {
    const date::sys_seconds start = date::sys_days(date::year(2000) / 1 / 1);
    date::sys_seconds at =
        start + seconds(static_cast<std::int64_t>(random.Uniform(0, 40 * 365)) * 86400 +
                        random.Uniform(0, 86399));
    if (random.Chance(50)) {
        const date::sys_info info = zone.get_info(at);
        if (info.end < date::sys_days(date::year(2041) / 1 / 1)) {
            at = info.end + seconds(random.Uniform(-2 * 86400, 2 * 86400));
        }
    }
    return at;
}

TEST(NextFireProperty, IsTheFirstFireStrictlyAfterTheInstant) {
    Generator random(20261123);
    int checked = 0;
    int never = 0;
    for (int i = 0; i < 3000; ++i) {
        Model model;
        const std::string expression = random.Expression(model);
        std::optional<Schedule> schedule;
        try {
            schedule = Schedule::Parse(expression);
        } catch (const Error& e) {
            // Only "never fires" may refuse a generated expression (e.g. "30W" in February only).
            EXPECT_NE(std::string(e.what()).find("never fires"), std::string::npos)
                << expression << ": " << e.what();
            ++never;
            continue;
        }
        const char* zone_name = kZones[random.Uniform(0, static_cast<int>(kZones.size()) - 1)];
        const date::time_zone& zone = *FindZone(zone_name);
        const Case c{expression, zone_name, RandomInstant(random, zone)};
        const std::optional<Seconds> next = schedule->NextAfter(c.after, zone);
        ++checked;
        if (!next) {
            // No fire at all up to the end of the range (a schedule whose years are past).
            const date::sys_seconds end = date::sys_days(date::year(kLastModelYear + 1) / 1 / 1);
            ASSERT_FALSE(FireBetween(model, zone, c.after, end)) << Describe(c, next);
            continue;
        }
        ASSERT_GT(*next, c.after) << Describe(c, next);
        Clock clock(zone);
        ASSERT_TRUE(IsFire(model, clock, *next)) << Describe(c, next) << " is no fire";
        const auto earlier = FireBetween(model, zone, c.after, *next);
        ASSERT_FALSE(earlier) << Describe(c, next) << " misses "
                              << date::format("%FT%TZ", earlier.value_or(date::sys_seconds{}));
    }
    EXPECT_GT(checked, 2500);  // the generator mostly makes schedules that fire
    RecordProperty("never_fires", never);
}

// Next fires chained from a fire are themselves the first fires: stepping a schedule through
// a DST year fire by fire finds exactly the model's fires (no duplicate, no gap).
TEST(NextFireProperty, ChainedFiresAreExactlyTheModelsFires) {
    Generator random(5);
    for (int i = 0; i < 60; ++i) {
        Model model;
        const std::string expression = random.Expression(model);
        std::optional<Schedule> schedule;
        try {
            schedule = Schedule::Parse(expression);
        } catch (const Error&) {
            continue;
        }
        const char* zone_name = kZones[random.Uniform(0, static_cast<int>(kZones.size()) - 1)];
        const date::time_zone& zone = *FindZone(zone_name);
        date::sys_seconds at = RandomInstant(random, zone);
        for (int fire = 0; fire < 200; ++fire) {
            const auto next = schedule->NextAfter(at, zone);
            if (!next) {
                break;
            }
            const Case c{expression, zone_name, at};
            ASSERT_FALSE(FireBetween(model, zone, at, *next)) << Describe(c, next);
            Clock clock(zone);
            ASSERT_TRUE(IsFire(model, clock, *next)) << Describe(c, next);
            at = *next;
        }
    }
}

}  // namespace
}  // namespace jobd::schedule
