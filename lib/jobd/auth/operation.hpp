#pragma once
// The API operations that authorization decides on (contract §5, §6), spelled as on the wire.
// Pure; any thread.

#include <optional>
#include <string_view>

namespace jobd::auth {

enum class Operation {
    submitJob,
    executeJob,
    stopJob,
    pauseJob,
    resumeJob,
    deleteJob,
    getActiveJobs,
    getScheduledJobs,
    getJobLogs,
    getJobLogDetails,
    addCompany,
    addUser,
};

std::string_view ToString(Operation operation);

// The wire name back to the operation (exact, case-sensitive); nullopt for any other text.
std::optional<Operation> ParseOperation(std::string_view text);

}  // namespace jobd::auth
