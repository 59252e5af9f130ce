// fuzz_datetime: the wire parsers of lib/jobd/model (xsd:dateTime and the IPS handles), which
// return nullopt for bad text and never throw. What parses must survive a format-parse round trip.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz/fuzz_check.hpp"
#include "jobd/model/handles.hpp"
#include "jobd/model/time.hpp"

namespace {

using namespace std::chrono;
using jobd::fuzz::Check;

// FormatUtc writes four-digit years, which ParseDateTime reads back; an offset can move an
// instant just outside years 1-9999, where the round trip does not apply.
bool HasFourDigitYear(jobd::TimePoint t) {
    const year_month_day ymd(floor<days>(t));
    return ymd.year() >= year(1) && ymd.year() <= year(9999);
}

void CheckDateTime(std::string_view text) {
    const auto parsed = jobd::ParseDateTime(text);
    if (!parsed) {
        return;
    }
    const auto instant = parsed->Instant();
    Check(instant.has_value() == parsed->offset.has_value(), "Instant() exactly when offset");
    if (!instant || !HasFourDigitYear(*instant)) {
        return;
    }
    const auto again = jobd::ParseDateTime(jobd::FormatUtc(*instant));
    Check(again && again->offset == minutes(0), "FormatUtc output parses as UTC");
    Check(again->wall == floor<milliseconds>(*instant), "FormatUtc keeps the millisecond");
}

void CheckHandles(std::string_view text) {
    if (const auto job = jobd::ParseJobHandle(text)) {
        Check(jobd::ParseJobHandle(jobd::ToString(*job)) == job, "a job handle round-trips");
        Check(jobd::IsValidJobName(job->name), "a parsed job handle has a valid name");
    }
    if (const auto run = jobd::ParseRunHandle(text)) {
        Check(jobd::ParseRunHandle(jobd::ToString(*run)) == run, "a run handle round-trips");
        Check(run->company >= 0 && run->run >= 0, "run handle numbers are not negative");
    }
    if (const auto company = jobd::ParseCompanyHandle(text)) {
        Check(*company >= 0, "a company handle is not negative");
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text = jobd::fuzz::AsText(data, size);
    CheckDateTime(text);
    CheckHandles(text);
    return 0;
}
