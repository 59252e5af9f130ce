#pragma once
// The job-type elements a submitJob may carry (contract §7, ips-jobs-api §4) and the IPS "Job
// Types" constant each is reported as. Pure.

#include <optional>
#include <string_view>
#include <vector>

namespace jobd {

inline constexpr std::string_view kCommandJob = "commandJob";

// The 14 IPS job-type elements (the 13 of submitJob plus uploadPostJob), not commandJob.
const std::vector<std::string_view>& IpsJobTypes();

bool IsJobType(std::string_view element);  // an IPS type or commandJob

// ActiveJob/ScheduledJob `type`: "ImageServingPublish", "UrlUpload", ..., "Command".
std::string_view JobTypeConstant(std::string_view element);

}  // namespace jobd
