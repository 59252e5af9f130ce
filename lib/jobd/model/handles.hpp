#pragma once
// Parsed IPS handles (contract §5 "Handles"). Pure value types.
//   company  "47"
//   job      "47|My Test Job|"
//   run      "47|My Test Job|812"   (a job log handle)
// Parse* return std::nullopt for text that does not have the shape; callers turn that into
// fault 30001 naming their field.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace jobd {

using CompanyId = std::int64_t;
using RunId = std::int64_t;

struct JobHandle {
    CompanyId company = 0;
    std::string name;

    friend bool operator==(const JobHandle&, const JobHandle&) = default;
};

struct RunHandle {
    CompanyId company = 0;
    std::string job_name;
    RunId run = 0;

    JobHandle Job() const { return {company, job_name}; }

    friend bool operator==(const RunHandle&, const RunHandle&) = default;
};

std::optional<CompanyId> ParseCompanyHandle(std::string_view text);
std::optional<JobHandle> ParseJobHandle(std::string_view text);
std::optional<RunHandle> ParseRunHandle(std::string_view text);

std::string ToString(const JobHandle& handle);
std::string ToString(const RunHandle& handle);

// A job name a handle can carry: 1-255 bytes, no '|', no control characters.
bool IsValidJobName(std::string_view name);

}  // namespace jobd
