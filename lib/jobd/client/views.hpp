#pragma once
// How jobctl shows the API's answers (contract §5 result types). Pure. Answers are read
// tolerantly: unknown fields are ignored, a missing field shows as "-", a missing array as no
// rows, so a newer daemon never breaks an older jobctl.

#include <cstdint>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

namespace jobd::client {

// Indented JSON, two spaces a level, one member per line, ending in a newline (for --json).
std::string PrettyJson(const boost::json::value& value);

// One table per query operation, columns chosen for an administrator's terminal.
std::string RenderActiveJobs(const boost::json::object& answer);
std::string RenderScheduledJobs(const boost::json::object& answer);
std::string RenderJobLogs(const boost::json::object& answer);
std::string RenderJobLogDetails(const boost::json::object& answer);

// A single field of a small answer (submitJob's jobHandle, executeJob's runHandle), with a
// newline; "-" when the daemon left it out.
std::string RenderField(const boost::json::object& answer, std::string_view key);

// 850 -> "850ms", 12345 -> "12.3s", 245000 -> "4m05s", 3725000 -> "1h02m".
std::string FormatDurationMs(std::int64_t milliseconds);

}  // namespace jobd::client
