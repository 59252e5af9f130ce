#pragma once
// What a due fire does (contract §8 "Misfires", §5 overlap, §9 "Skipped"). Pure: the caller
// passes the time.

#include <chrono>
#include <optional>
#include <string>

#include "jobd/model/job.hpp"

namespace jobd::engine {

struct FireDecision {
    enum class Action { Run, Skip };
    Action action = Action::Run;
    TimePoint scheduled_for;             // the fire's nominal time (JOBD_SCHEDULED_AT, lateness)
    std::optional<Message> skip_reason;  // why, for Skip
    std::optional<TimePoint> next_fire;  // nullopt: nothing more to fire
    TriggerState next_state = TriggerState::Normal;
};

// For a job whose next_fire_at is due at `now`. A fire later than `misfire_grace` is a misfire:
// FireOnce runs it once and moves on from `now` (never a burst of catch-up runs); Skip records
// it skipped. Under overlap Forbid a fire while a run is going is skipped. A one-shot (execTime)
// job is Complete after its fire; a schedule or zone that cannot be read puts it in Error.
FireDecision DecideFire(const Job& job, TimePoint now, std::chrono::milliseconds misfire_grace);

}  // namespace jobd::engine
