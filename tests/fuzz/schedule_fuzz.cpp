// fuzz_schedule: Schedule::Parse on any text, and for what parses, NextAfter from instants
// around DST changes, a half-hour DST zone and the 2199 horizon (contract §8). Parse may only
// throw jobd::Error(InvalidParameter) naming execSchedule; a fire is strictly after its input.

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz/fuzz_check.hpp"
#include "jobd/model/error.hpp"
#include "jobd/schedule/schedule.hpp"

namespace {

using namespace std::chrono;
using jobd::fuzz::Check;
using jobd::schedule::Schedule;
using jobd::schedule::Seconds;

constexpr std::array<std::string_view, 3> kZones = {"UTC", "America/New_York",
                                                    "Australia/Lord_Howe"};

// The epoch, a New York spring-forward and fall-back night, a Lord Howe fall-back (30 minutes),
// a leap day, and the last second before the 2199 horizon.
constexpr std::array<Seconds, 6> kInstants = {
    Seconds(seconds(0)),
    sys_days(year(2026) / March / 8) + hours(6),
    sys_days(year(2026) / November / 1) + hours(5) + minutes(30),
    sys_days(year(2026) / April / 4) + hours(14) + minutes(45),
    sys_days(year(2028) / February / 29) + hours(23) + minutes(59) + seconds(59),
    sys_days(year(2199) / December / 31) + hours(23) + minutes(59) + seconds(59),
};

void CheckNextFires(const Schedule& schedule) {
    for (const std::string_view name : kZones) {
        const date::time_zone* zone = jobd::schedule::FindZone(name);
        Check(zone != nullptr, "the tz database has the fuzzed zones");
        for (const Seconds after : kInstants) {
            const auto next = schedule.NextAfter(after, *zone);
            Check(!next || *next > after, "NextAfter is strictly after its input");
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text = jobd::fuzz::AsText(data, size);
    try {
        const Schedule schedule = Schedule::Parse(text);
        Check(schedule.text() == text, "text() is the schedule exactly as given");
        CheckNextFires(schedule);
    } catch (const jobd::Error& error) {
        Check(error.kind() == jobd::ErrorKind::InvalidParameter, "Parse throws InvalidParameter");
        Check(error.field() == "execSchedule", "Parse names execSchedule");
    }
    return 0;
}
