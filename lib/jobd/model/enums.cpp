#include "jobd/model/enums.hpp"

#include <array>
#include <cstdlib>
#include <utility>

namespace jobd {
namespace {

template <typename E, std::size_t N>
using Names = std::array<std::pair<E, std::string_view>, N>;

constexpr Names<RunState, 8> kRunStates{{
    {RunState::Queued, "Queued"},
    {RunState::Running, "Running"},
    {RunState::Succeeded, "Succeeded"},
    {RunState::Failed, "Failed"},
    {RunState::TimedOut, "TimedOut"},
    {RunState::Stopped, "Stopped"},
    {RunState::Lost, "Lost"},
    {RunState::Skipped, "Skipped"},
}};

constexpr Names<Trigger, 4> kTriggers{{
    {Trigger::Schedule, "Schedule"},
    {Trigger::Execute, "Execute"},
    {Trigger::Submit, "Submit"},
    {Trigger::Retry, "Retry"},
}};

constexpr Names<Overlap, 3> kOverlaps{{
    {Overlap::Forbid, "Forbid"},
    {Overlap::Allow, "Allow"},
    {Overlap::Queue, "Queue"},
}};

constexpr Names<Misfire, 2> kMisfires{{
    {Misfire::FireOnce, "FireOnce"},
    {Misfire::Skip, "Skip"},
}};

constexpr Names<TriggerState, 5> kTriggerStates{{
    {TriggerState::Normal, "Normal"},
    {TriggerState::Paused, "Paused"},
    {TriggerState::Blocked, "Blocked"},
    {TriggerState::Complete, "Complete"},
    {TriggerState::Error, "Error"},
}};

constexpr Names<Role, 10> kRoles{{
    {Role::IpsAdmin, "IpsAdmin"},
    {Role::IpsCompanyAdmin, "IpsCompanyAdmin"},
    {Role::IpsUser, "IpsUser"},
    {Role::WebServiceUser, "WebServiceUser"},
    {Role::TrialSiteAdmin, "TrialSiteAdmin"},
    {Role::TrialSiteUser, "TrialSiteUser"},
    {Role::ImagePortalAdmin, "ImagePortalAdmin"},
    {Role::ImagePortalUser, "ImagePortalUser"},
    {Role::ImagePortalContrib, "ImagePortalContrib"},
    {Role::ImagePortalContribUser, "ImagePortalContribUser"},
}};

template <typename E, std::size_t N>
std::string_view NameOf(const Names<E, N>& names, E value) {
    for (const auto& [v, name] : names) {
        if (v == value) {
            return name;
        }
    }
    std::abort();  // unreachable: every enumerator has a name above
}

template <typename E, std::size_t N>
std::optional<E> ValueOf(const Names<E, N>& names, std::string_view text) {
    for (const auto& [v, name] : names) {
        if (name == text) {
            return v;
        }
    }
    return std::nullopt;
}

}  // namespace

std::string_view ToString(RunState value) {
    return NameOf(kRunStates, value);
}

std::string_view ToString(Trigger value) {
    return NameOf(kTriggers, value);
}

std::string_view ToString(Overlap value) {
    return NameOf(kOverlaps, value);
}

std::string_view ToString(Misfire value) {
    return NameOf(kMisfires, value);
}

std::string_view ToString(TriggerState value) {
    return NameOf(kTriggerStates, value);
}

std::string_view ToString(Role value) {
    return NameOf(kRoles, value);
}

std::vector<Role> AllRoles() {
    std::vector<Role> roles;
    for (const auto& [role, name] : kRoles) {
        roles.push_back(role);
    }
    return roles;
}

template <>
std::optional<RunState> Parse<RunState>(std::string_view text) {
    return ValueOf(kRunStates, text);
}

template <>
std::optional<Trigger> Parse<Trigger>(std::string_view text) {
    return ValueOf(kTriggers, text);
}

template <>
std::optional<Overlap> Parse<Overlap>(std::string_view text) {
    return ValueOf(kOverlaps, text);
}

template <>
std::optional<Misfire> Parse<Misfire>(std::string_view text) {
    return ValueOf(kMisfires, text);
}

template <>
std::optional<TriggerState> Parse<TriggerState>(std::string_view text) {
    return ValueOf(kTriggerStates, text);
}

template <>
std::optional<Role> Parse<Role>(std::string_view text) {
    return ValueOf(kRoles, text);
}

bool IsFinished(RunState state) {
    return state != RunState::Queued && state != RunState::Running;
}

}  // namespace jobd
