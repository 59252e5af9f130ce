#pragma once
// jobctl's command-line values turned into the JSON request objects of the API (contract §5,
// ips-jobs-api §3). Pure. What the client can tell is wrong (a malformed --field, an unknown
// --overlap value, a job name with '|') throws jobd::Error naming the flag or argument first;
// everything else (schedules, dates, whether a job exists) is the daemon's to judge.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

namespace jobd::client {

// `--field key=value` gives a string; `--field key:=JSON` a JSON value (true, 3, [...], {...}),
// for the IPS job types' booleans, numbers and arrays.
struct Field {
    std::string key;
    boost::json::value value;
};

Field ParseField(std::string_view text, std::string_view flag);

// A job handle for `text`: a job handle ("47|Nightly|") as given, a bare job name turned into
// "<company>|<name>|".
std::string ResolveJobHandle(std::string_view company, std::string_view text);

// Like ResolveJobHandle, but a run handle ("47|Nightly|812") is kept too (getJobLogDetails).
std::string ResolveLogHandle(std::string_view company, std::string_view text);

struct SubmitOptions {
    std::string company;
    std::string name;
    std::vector<std::string> command;  // argv of a commandJob
    std::string job_type;              // an IPS job-type element, e.g. imageServingPublishJob
    std::vector<std::string> fields;   // --field for job_type
    std::vector<std::string> env;      // --env K=V for commandJob
    std::optional<std::string> working_dir;
    std::optional<std::string> schedule;  // execSchedule
    std::optional<std::string> at;        // execTime
    std::optional<std::string> time_zone;
    std::optional<std::string> overlap;
    std::optional<std::string> misfire;
    std::optional<std::string> description;
    std::optional<int> timeout_seconds;
    std::optional<int> max_retries;
    std::optional<int> backoff_seconds;
};

boost::json::object BuildSubmitJob(const SubmitOptions& options);

// executeJob, stopJob, pauseJob, resumeJob, deleteJob.
boost::json::object BuildJobAction(std::string_view company, std::string_view job);

// getActiveJobs, getScheduledJobs: every job the caller may see, or one company's.
boost::json::object BuildJobQuery(const std::optional<std::string>& company);

struct LogsOptions {
    std::optional<std::string> company;
    std::optional<int> rows;
    std::optional<std::string> sort_by;
    bool descending = false;
    std::optional<std::string> since;
    std::optional<std::string> until;
};

boost::json::object BuildGetJobLogs(const LogsOptions& options);

struct LogDetailsOptions {
    std::string company;
    std::string handle;  // run handle, job handle or job name
    std::optional<int> page;
    std::optional<int> per_page;
    std::vector<std::string> log_types;
};

boost::json::object BuildGetJobLogDetails(const LogDetailsOptions& options);

boost::json::object BuildAddCompany(std::string_view name);

struct AddUserOptions {
    std::string email;
    std::string password;
    std::string company;
    std::string role;
};

boost::json::object BuildAddUser(const AddUserOptions& options);

}  // namespace jobd::client
