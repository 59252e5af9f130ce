#include "jobd/auth/operation.hpp"

#include <array>
#include <cstdlib>
#include <utility>

namespace jobd::auth {
namespace {

constexpr std::array<std::pair<Operation, std::string_view>, 12> kOperations{{
    {Operation::submitJob, "submitJob"},
    {Operation::executeJob, "executeJob"},
    {Operation::stopJob, "stopJob"},
    {Operation::pauseJob, "pauseJob"},
    {Operation::resumeJob, "resumeJob"},
    {Operation::deleteJob, "deleteJob"},
    {Operation::getActiveJobs, "getActiveJobs"},
    {Operation::getScheduledJobs, "getScheduledJobs"},
    {Operation::getJobLogs, "getJobLogs"},
    {Operation::getJobLogDetails, "getJobLogDetails"},
    {Operation::addCompany, "addCompany"},
    {Operation::addUser, "addUser"},
}};

}  // namespace

std::string_view ToString(Operation operation) {
    for (const auto& [value, name] : kOperations) {
        if (value == operation) {
            return name;
        }
    }
    std::abort();  // unreachable: kOperations lists every enumerator
}

std::optional<Operation> ParseOperation(std::string_view text) {
    for (const auto& [value, name] : kOperations) {
        if (name == text) {
            return value;
        }
    }
    return std::nullopt;
}

}  // namespace jobd::auth
