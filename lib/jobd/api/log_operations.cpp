// The read operations: getActiveJobs, getScheduledJobs, getJobLogs, getJobLogDetails
// (contract §5 "Queries", ips-jobs-api §3.4-3.7, §5).

#include <boost/json.hpp>

#include "jobd/api/operations.hpp"
#include "jobd/model/error.hpp"
#include "jobd/model/job_types.hpp"
#include "jobd/schedule/schedule.hpp"
#include "jobd/store/jobs.hpp"
#include "jobd/store/runs.hpp"

namespace jobd::api {
namespace {

namespace json = boost::json;

constexpr int kDefaultLogRows = 100;
constexpr int kMaxLogRows = 10000;
constexpr int kMaxDetailsPerPage = 1000;

json::value OptionalTime(const std::optional<TimePoint>& t) {
    return t ? json::value(FormatUtc(*t)) : json::value(nullptr);
}

// JobLog/logType: IPS encodes a run's outcome in the log type (ips-jobs-api §5).
std::string_view LogTypeOf(RunState state) {
    switch (state) {
        case RunState::Queued:
        case RunState::Running: return "BeginJob";
        case RunState::Succeeded:
        case RunState::Stopped: return "EndJob";
        case RunState::Failed:
        case RunState::TimedOut:
        case RunState::Lost: return "FatalError";
        case RunState::Skipped: return "JobSkipped";
    }
    std::abort();  // unreachable: every state returns above
}

bool IsFatal(RunState state) {
    return state == RunState::Failed || state == RunState::TimedOut || state == RunState::Lost;
}

// jobd's own texts (the reason, its log details) are shown in `language`, the reader's; see
// RenderStored for rows without a message.
json::object JobLogOf(const Run& run, Language language) {
    std::int64_t duration_ms = 0;
    if (run.started_at && run.ended_at) {
        duration_ms =
            std::chrono::duration_cast<std::chrono::milliseconds>(*run.ended_at - *run.started_at)
                .count();
    }
    return {
        {"companyHandle", std::to_string(run.company)},
        {"jobHandle", ToString(run.Handle())},
        {"jobName", run.job_name},
        {"originalJobName", run.job_name},
        {"submitUserEmail", run.submit_user_email},
        {"logType", LogTypeOf(run.state)},
        {"jobSubType", ""},
        {"startDate", OptionalTime(run.started_at)},
        {"endDate", OptionalTime(run.ended_at)},
        {"description", run.description},
        {"fileSuccessCount", run.file_success_count},
        {"fileErrorCount", run.file_error_count},
        {"fileWarningCount", run.file_warning_count},
        {"fileDuplicateCount", run.file_duplicate_count},
        {"fileUpdateCount", run.file_update_count},
        {"totalFileCount", run.total_file_count},
        {"transferSuccessCount", 0},
        {"transferErrorCount", 0},
        {"transferWarningCount", 0},
        {"fatalError", IsFatal(run.state)},
        {"state", ToString(run.state)},
        {"trigger", ToString(run.trigger)},
        {"exitCode", run.exit_code ? json::value(*run.exit_code) : json::value(nullptr)},
        {"reason", RenderStored(run.reason_message, run.reason, language)},
        {"serverName", run.node},
        {"scheduledAt", FormatUtc(run.scheduled_for)},
        {"durationMs", duration_ms},
    };
}

json::object ActiveJobOf(const Run& run) {
    return {
        {"companyHandle", std::to_string(run.company)},
        {"jobHandle", ToString(run.Handle())},
        {"name", run.job_name},
        {"originalName", run.job_name},
        {"type", JobTypeConstant(run.job_type)},
        // Contract §5: New / WaitingCoordinator = queued, Running, Stopping.
        {"state", run.state == RunState::Queued ? "WaitingCoordinator" : "Running"},
        {"submitUserEmail", run.submit_user_email},
        {"locale", run.locale},
        {"description", run.description},
        {"serverName", run.node},
        {"startDate", FormatUtc(run.started_at.value_or(run.queued_at))},
        {"triggerTime", FormatUtc(run.scheduled_for)},
        {"totalSize", 0},
        {"progress", run.progress},
        {"progressMessage", run.progress_message},
        {"lastProgressUpdate", FormatUtc(run.progress_at.value_or(run.queued_at))},
        {"trigger", ToString(run.trigger)},
    };
}

// Blocked is derived: a Forbid job with a run going is not fired by its schedule.
TriggerState ReportedTriggerState(const Job& job) {
    if (job.trigger_state == TriggerState::Normal && job.spec.overlap == Overlap::Forbid &&
        job.active_runs > 0) {
        return TriggerState::Blocked;
    }
    return job.trigger_state;
}

json::value NextFireTime(const Job& job) {
    const auto* zone = schedule::FindZone(job.spec.time_zone);
    if (!job.spec.next_fire_at || zone == nullptr) {
        return nullptr;
    }
    return json::value(schedule::FormatWithOffset(
        std::chrono::time_point_cast<std::chrono::milliseconds>(*job.spec.next_fire_at), *zone));
}

json::object ScheduledJobOf(const Job& job) {
    boost::system::error_code ec;
    json::value payload = json::parse(job.spec.payload_json, ec);
    json::object entry{
        {"companyHandle", std::to_string(job.spec.company)},
        {"jobHandle", ToString(job.Handle())},
        {"name", job.spec.name},
        {"originalName", job.spec.name},
        {"type", JobTypeConstant(job.spec.job_type)},
        {"submitUserEmail", job.submit_user_email},
        {"locale", job.spec.locale},
        {"description", job.spec.description},
        {"execSchedule",
         job.spec.exec_schedule ? json::value(*job.spec.exec_schedule)
                                : OptionalTime(job.spec.exec_time)},
        {"nextFireTime", NextFireTime(job)},
        {"timeZone", job.spec.time_zone},
        {"triggerState", ToString(ReportedTriggerState(job))},
        {"overlap", ToString(job.spec.overlap)},
        {"misfire", ToString(job.spec.misfire)},
    };
    entry[job.spec.job_type] = ec ? json::value(json::object{}) : std::move(payload);
    return entry;
}

std::optional<JobHandle> OptionalJobHandle(const Params& params) {
    const auto text = params.OptionalString("jobHandle");
    if (!text || text->empty()) {
        return std::nullopt;
    }
    if (const auto job = ParseJobHandle(*text)) {
        return job;
    }
    if (const auto run = ParseRunHandle(*text)) {
        return run->Job();
    }
    throw Error(ErrorKind::InvalidParameter,
                Message(MessageId::NotJobHandle, {{"value", *text}}),
                "jobHandle");
}

bool Ascending(const Params& params, bool default_ascending) {
    const auto direction = params.OptionalString("sortDirection");
    if (!direction || direction->empty()) {
        return default_ascending;
    }
    if (*direction != "Ascending" && *direction != "Descending") {
        throw Error(ErrorKind::InvalidParameter,
                    Message(MessageId::SortDirectionValue, {{"value", *direction}}),
                    "sortDirection");
    }
    return *direction == "Ascending";
}

std::optional<TimePoint> Instant(const Params& params, const std::string& field) {
    const auto text = params.OptionalDateTime(field);
    if (!text) {
        return std::nullopt;
    }
    // Filters without an offset are read as UTC: there is no job zone to read them in.
    return text->Instant().value_or(text->wall);
}

// The run a getJobLogDetails request names: a run handle, else the latest run of a job handle
// or of the job named originalName.
Run RunOfRequest(const Params& params, pqxx::work& tx, CompanyId company) {
    const auto text = params.OptionalString("jobHandle");
    std::optional<Run> run;
    if (text && !text->empty()) {
        if (const auto handle = ParseRunHandle(*text)) {
            run = store::FindRun(tx, *handle);
        } else if (const auto job = ParseJobHandle(*text)) {
            run = store::LatestRun(tx, *job);
        } else {
            throw Error(ErrorKind::InvalidParameter,
                        Message(MessageId::NotJobOrRunHandle, {{"value", *text}}),
                        "jobHandle");
        }
    } else if (const auto name = params.OptionalString("originalName"); name && !name->empty()) {
        run = store::LatestRun(tx, {company, *name});
    } else {
        throw Error(ErrorKind::MissingParameter, Message(MessageId::NoJobOrRunHandle), "jobHandle");
    }
    if (!run) {
        throw Error(ErrorKind::NotFound, Message(MessageId::NoSuchJobLog), "jobHandle");
    }
    if (run->company != company) {
        throw Error(
            ErrorKind::NotMember,
            Message(MessageId::RunOfOtherCompany, {{"owner", std::to_string(run->company)}}),
            "jobHandle");
    }
    return *run;
}

store::DetailFilter DetailFilterOf(const Params& params) {
    store::DetailFilter filter;
    filter.log_types = params.StringArray("logTypeArray");
    filter.per_page = static_cast<int>(
        params.OptionalInt("recordsPerPage", 1, kMaxDetailsPerPage).value_or(kMaxDetailsPerPage));
    filter.page = static_cast<int>(params.OptionalInt("resultsPage", 1, 1000000).value_or(1));
    const auto sort = params.OptionalString("sortBy").value_or("Date");
    if (sort != "Date" && sort != "LogType" && !sort.empty()) {
        throw Error(ErrorKind::InvalidParameter,
                    Message(MessageId::DetailSortValue, {{"value", sort}}),
                    "sortBy");
    }
    filter.sort_by_log_type = sort == "LogType";
    filter.ascending = Ascending(params, true);
    return filter;
}

}  // namespace

json::object GetActiveJobs(OperationContext& ctx, pqxx::work& tx) {
    store::ActiveRunFilter filter;
    filter.companies = ctx.VisibleCompanies(tx);
    filter.job = OptionalJobHandle(ctx.params);
    filter.name = ctx.params.OptionalString("originalName");
    if (filter.name && filter.name->empty()) {
        filter.name.reset();
    }
    json::array jobs;
    for (const Run& run : store::ActiveRuns(tx, filter)) {
        jobs.push_back(ActiveJobOf(run));
    }
    return {{"jobArray", std::move(jobs)}};
}

json::object GetScheduledJobs(OperationContext& ctx, pqxx::work& tx) {
    store::ScheduledJobFilter filter;
    filter.companies = ctx.VisibleCompanies(tx);
    filter.job = OptionalJobHandle(ctx.params);
    filter.name = ctx.params.OptionalString("originalName");
    if (filter.name && filter.name->empty()) {
        filter.name.reset();
    }
    json::array jobs;
    for (const Job& job : store::ListScheduledJobs(tx, filter)) {
        jobs.push_back(ScheduledJobOf(job));
    }
    return {{"jobArray", std::move(jobs)}};
}

json::object GetJobLogs(OperationContext& ctx, pqxx::work& tx) {
    const Params& params = ctx.params;
    store::JobLogFilter filter;
    filter.companies = ctx.VisibleCompanies(tx);
    if (const auto user = params.OptionalString("userHandle"); user && !user->empty()) {
        filter.submit_user = params.OptionalInt("userHandle", 1, INT64_MAX);
    }
    filter.sort_column = params.OptionalString("sortBy").value_or("StartDate");
    if (filter.sort_column.empty()) {
        filter.sort_column = "StartDate";
    }
    filter.ascending = Ascending(params, false);
    filter.start = Instant(params, "startDate");
    filter.end = Instant(params, "endDate");
    filter.limit =
        static_cast<int>(params.OptionalInt("numRows", 1, kMaxLogRows).value_or(kDefaultLogRows));
    json::array logs;
    for (const Run& run : store::JobLogs(tx, filter)) {
        logs.push_back(JobLogOf(run, ctx.language));
    }
    return {{"jobLogArray", std::move(logs)}};
}

json::object GetJobLogDetails(OperationContext& ctx, pqxx::work& tx) {
    const CompanyId company = ctx.params.RequireCompany();
    ctx.Authorize(tx, company);
    const Run run = RunOfRequest(ctx.params, tx, company);
    const auto page = store::RunDetails(tx, run.id, DetailFilterOf(ctx.params));
    json::array details;
    for (const RunDetail& detail : page.details) {
        json::object item{
            {"logMessage", RenderStored(detail.own_message, detail.message, ctx.language)},
            {"logType", detail.log_type},
            {"dateCreated", FormatUtc(detail.created_at)},
        };
        if (!detail.asset_name.empty()) {
            item["assetName"] = detail.asset_name;
        }
        if (!detail.asset_type.empty()) {
            item["assetType"] = detail.asset_type;
        }
        if (!detail.asset_handle.empty()) {
            item["assetHandle"] = detail.asset_handle;
        }
        details.push_back(std::move(item));
    }
    json::object log = JobLogOf(run, ctx.language);
    log["detailTotalRows"] = page.total_rows;
    log["detailArray"] = std::move(details);
    return {{"jobLogArray", json::array{std::move(log)}}};
}

}  // namespace jobd::api
