#pragma once
// The contract's enumerations, spelled as on the wire (contract §5, §7, §9; ips-jobs-api §5, §7).
// ToString gives the wire spelling; Parse<E> reads it back (exact, case-sensitive) or nullopt.

#include <optional>
#include <string_view>
#include <vector>

namespace jobd {

// A run's life (contract §9). Queued -> Running -> one of the finished states; Skipped is a
// fire that did not run, recorded with its reason.
enum class RunState { Queued, Running, Succeeded, Failed, TimedOut, Stopped, Lost, Skipped };

// Why a run exists (contract §9).
enum class Trigger { Schedule, Execute, Submit, Retry };

// What a fire does while the job's previous run is still going (contract §5).
enum class Overlap { Forbid, Allow, Queue };

// What a fire found later than scheduler.misfire_grace does (contract §8).
enum class Misfire { FireOnce, Skip };

// ScheduledJob/triggerState (ips-jobs-api §5): stored ones are Normal, Paused, Complete, Error;
// Blocked is derived (running under Forbid).
enum class TriggerState { Normal, Paused, Blocked, Complete, Error };

// IPS user roles (ips-jobs-api §7). IpsAdmin is global.
enum class Role {
    IpsAdmin,
    IpsCompanyAdmin,
    IpsUser,
    WebServiceUser,
    TrialSiteAdmin,
    TrialSiteUser,
    ImagePortalAdmin,
    ImagePortalUser,
    ImagePortalContrib,
    ImagePortalContribUser,
};

std::string_view ToString(RunState value);
std::string_view ToString(Trigger value);
std::string_view ToString(Overlap value);
std::string_view ToString(Misfire value);
std::string_view ToString(TriggerState value);
std::string_view ToString(Role value);

template <typename E>
std::optional<E> Parse(std::string_view text);

// Every role, in declaration order.
std::vector<Role> AllRoles();

// True for the states a run ends in.
bool IsFinished(RunState state);

}  // namespace jobd
