#pragma once
// A job (a submitJob record) and a run (one execution of it, an IPS job log). Plain values.

#include <cstdint>
#include <optional>
#include <string>

#include "jobd/model/enums.hpp"
#include "jobd/model/handles.hpp"
#include "jobd/model/message.hpp"
#include "jobd/model/time.hpp"

namespace jobd {

using JobId = std::int64_t;
using UserId = std::int64_t;

// What submitJob stores (contract §5).
struct JobSpec {
    CompanyId company = 0;
    std::string name;
    std::string description;
    std::string locale;
    std::string job_type;      // the payload element: "commandJob", "exportJob", ...
    std::string payload_json;  // that element's fields as a JSON object
    std::optional<TimePoint> exec_time;
    std::optional<std::string> exec_schedule;
    std::string time_zone;  // IANA
    Overlap overlap = Overlap::Forbid;
    Misfire misfire = Misfire::FireOnce;
    std::optional<int> timeout_seconds;
    int max_retries = 0;
    int retry_backoff_seconds = 10;
    std::optional<TimePoint> next_fire_at;
    std::optional<UserId> submit_user;
};

struct Job {
    JobId id = 0;
    JobSpec spec;
    TriggerState trigger_state = TriggerState::Normal;
    std::string submit_user_email;
    // Runs of this job Queued or Running, counted under overlap Forbid only (the one policy that
    // asks: Skipped fires, Blocked, executeJob's conflict); 0 otherwise, since counting a
    // backlog of thousands on every executeJob and fire cost time in proportion to it (issue #8).
    int active_runs = 0;

    JobHandle Handle() const { return {spec.company, spec.name}; }
};

// A run as the job log shows it (contract §5 JobLog, §9).
struct Run {
    RunId id = 0;
    CompanyId company = 0;
    JobId job_id = 0;
    std::string job_name;
    std::string job_type;
    std::string description;
    std::string locale;
    Overlap overlap = Overlap::Forbid;  // the job's
    Trigger trigger = Trigger::Execute;
    RunState state = RunState::Queued;
    std::string reason;  // in English, as written (outcome files, logs, rows of an older jobd)
    // The reason's message when jobd wrote it (contract §5 "Locale"): getJobLogs renders it in
    // the reader's language (RenderStored). nullopt for an old row or an id this jobd lacks.
    std::optional<Message> reason_message;
    std::string node;
    TimePoint scheduled_for;
    TimePoint queued_at;
    std::optional<TimePoint> started_at;
    std::optional<TimePoint> ended_at;
    std::optional<int> exit_code;
    int attempt = 0;
    std::optional<RunId> first_run;  // a retry's original run
    std::string submit_user_email;
    int progress = 0;
    std::string progress_message;
    std::optional<TimePoint> progress_at;
    int detail_rows = 0;
    int file_success_count = 0;
    int file_error_count = 0;
    int file_warning_count = 0;
    int file_duplicate_count = 0;
    int file_update_count = 0;
    int total_file_count = 0;

    RunHandle Handle() const { return {company, job_name, id}; }
};

// One job log detail line (contract §7: a child's output line or a JSON line it sent).
struct RunDetail {
    TimePoint created_at;
    std::string log_type;  // Output, ErrorOutput, or as sent (FileBegin, ...)
    std::string message;
    std::string asset_name;
    std::string asset_type;
    std::string asset_handle;
    // For a detail jobd itself wrote (FatalError, OutputTruncated): its message, rendered in the
    // reader's language while `message` keeps the English text. nullopt for process output.
    std::optional<Message> own_message;
};

}  // namespace jobd
