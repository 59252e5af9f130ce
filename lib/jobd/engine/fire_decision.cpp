#include "jobd/engine/fire_decision.hpp"

#include "jobd/model/error.hpp"
#include "jobd/schedule/schedule.hpp"

namespace jobd::engine {
namespace {

using std::chrono::floor;
using std::chrono::seconds;

// The next fire after the one being decided, or nullopt when the job has no schedule.
// Starting from `now` after a misfire keeps a long outage from becoming a burst of fires; a
// fire still within the grace is kept (a busy second is late, not missed).
std::optional<TimePoint> NextFire(const schedule::Schedule& schedule,
                                  const date::time_zone& zone,
                                  TimePoint scheduled_for,
                                  TimePoint now,
                                  std::chrono::milliseconds grace,
                                  bool misfired) {
    const auto from = misfired ? now : scheduled_for;
    auto next = schedule.NextAfter(floor<seconds>(from), zone);
    if (next && *next + grace < now) {
        next = schedule.NextAfter(floor<seconds>(now), zone);
    }
    if (!next) {
        return std::nullopt;
    }
    return TimePoint(*next);
}

}  // namespace

FireDecision DecideFire(const Job& job, TimePoint now, std::chrono::milliseconds misfire_grace) {
    FireDecision decision;
    decision.scheduled_for = job.spec.next_fire_at.value_or(now);
    const bool misfired = now - decision.scheduled_for > misfire_grace;
    if (job.spec.exec_schedule) {
        const auto* zone = schedule::FindZone(job.spec.time_zone);
        try {
            if (zone == nullptr) {
                throw Error(ErrorKind::InvalidParameter,
                            Message(MessageId::NotTimeZone, {{"value", job.spec.time_zone}}),
                            "timeZone");
            }
            decision.next_fire = NextFire(schedule::Schedule::Parse(*job.spec.exec_schedule),
                                          *zone,
                                          decision.scheduled_for,
                                          now,
                                          misfire_grace,
                                          misfired);
        } catch (const Error&) {
            decision.next_state = TriggerState::Error;  // reported by getScheduledJobs
        }
    }
    if (!decision.next_fire && decision.next_state == TriggerState::Normal) {
        decision.next_state = TriggerState::Complete;  // one-shot done, or no fire after this
    }
    if (misfired && job.spec.misfire == Misfire::Skip) {
        decision.action = FireDecision::Action::Skip;
        decision.skip_reason = Message(MessageId::SkippedMisfire);
    } else if (job.spec.overlap == Overlap::Forbid && job.active_runs > 0) {
        decision.action = FireDecision::Action::Skip;
        decision.skip_reason = Message(MessageId::SkippedOverlap);
    }
    return decision;
}

}  // namespace jobd::engine
