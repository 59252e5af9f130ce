// submitJob and executeJob (contract §5, §7, §8).

#include <boost/json.hpp>
#include <date/tz.h>

#include "jobd/api/job_lookup.hpp"
#include "jobd/api/operations.hpp"
#include "jobd/auth/permissions.hpp"
#include "jobd/model/error.hpp"
#include "jobd/model/job_types.hpp"
#include "jobd/schedule/schedule.hpp"
#include "jobd/store/jobs.hpp"
#include "jobd/store/runs.hpp"

namespace jobd::api {
namespace {

namespace json = boost::json;

constexpr std::int64_t kMaxTimeoutSeconds = 366LL * 24 * 3600;
constexpr std::int64_t kMaxRetries = 100;

[[noreturn]] void Invalid(const std::string& field, Message what) {
    throw Error(ErrorKind::InvalidParameter, std::move(what), field);
}

const date::time_zone& Zone(const std::string& name) {
    const auto* zone = schedule::FindZone(name);
    if (zone == nullptr) {
        Invalid("timeZone", Message(MessageId::NotTimeZone, {{"value", name}}));
    }
    return *zone;
}

std::string ServerZone(const config::Config& config) {
    return config.scheduler.time_zone.empty() ? schedule::SystemZoneName()
                                              : config.scheduler.time_zone;
}

// The one job-type element of the request (contract §5: exactly one).
std::pair<std::string, json::object> JobPayload(const Params& params) {
    std::optional<std::pair<std::string, json::object>> found;
    for (const auto& [key, value] : params.object()) {
        if (!IsJobType(key)) {
            continue;
        }
        if (found) {
            Invalid(std::string(key),
                    Message(MessageId::TwoJobTypes,
                            {{"first", found->first}, {"second", std::string(key)}}));
        }
        if (!value.is_object() && !(value.is_string() && value.as_string().empty())) {
            Invalid(std::string(key), Message(MessageId::JobTypeNotElement));
        }
        found.emplace(std::string(key), value.is_object() ? value.as_object() : json::object{});
    }
    if (!found) {
        throw Error(ErrorKind::MissingParameter, Message(MessageId::NoJobType), "jobType");
    }
    return *found;
}

void CheckCommandJob(const json::object& payload) {
    const auto* argv = payload.if_contains("argv");
    // SOAP gives a single-item array as a string when not wrapped in <items>: accept both.
    if (argv != nullptr && argv->is_string() && !argv->as_string().empty()) {
        return;
    }
    if (argv == nullptr || !argv->is_array() || argv->as_array().empty()) {
        Invalid("commandJob.argv", Message(MessageId::ArgvNotStrings));
    }
    for (const auto& arg : argv->as_array()) {
        if (!arg.is_string()) {
            Invalid("commandJob.argv", Message(MessageId::ArgvNotStrings));
        }
    }
}

// SOAP sends a one-element argv as a plain string; store the array form handlers expect.
json::object NormalizeCommandJob(json::object payload) {
    if (auto* argv = payload.if_contains("argv"); argv && argv->is_string()) {
        *argv = json::array{argv->as_string()};
    }
    return payload;
}

void CheckJobType(const OperationContext& ctx,
                  Role role,
                  const std::string& type,
                  const json::object& payload) {
    if (type == kCommandJob) {
        if (!auth::RoleMaySubmitCommandJob(role)) {
            throw Error(ErrorKind::NoPermission, Message(MessageId::CommandJobRoles), "commandJob");
        }
        CheckCommandJob(payload);
    } else if (ctx.config.handlers.find(type) == ctx.config.handlers.end()) {
        Invalid(type, Message(MessageId::NoHandler, {{"type", type}}));
    }
}

TimePoint ExecTime(const DateTimeText& text, const date::time_zone& zone) {
    if (const auto instant = text.Instant()) {
        return *instant;
    }
    // No offset: a wall time in the job's zone; an ambiguous one is its first occurrence.
    const date::local_time<std::chrono::microseconds> local{text.wall.time_since_epoch()};
    try {
        return zone.to_sys(local, date::choose::earliest);
    } catch (const date::nonexistent_local_time&) {
        Invalid("execTime", Message(MessageId::ExecTimeInGap, {{"zone", zone.name()}}));
    }
}

void ReadTiming(const OperationContext& ctx, JobSpec& spec) {
    const auto exec_time = ctx.params.OptionalDateTime("execTime");
    auto exec_schedule = ctx.params.OptionalString("execSchedule");
    if (exec_schedule && exec_schedule->empty()) {
        exec_schedule.reset();
    }
    if (exec_time && exec_schedule) {
        Invalid("execSchedule", Message(MessageId::TimeAndSchedule));
    }
    const date::time_zone& zone = Zone(spec.time_zone);
    if (exec_time) {
        spec.exec_time = ExecTime(*exec_time, zone);
        spec.next_fire_at = spec.exec_time;
    }
    if (exec_schedule) {
        const auto schedule = schedule::Schedule::Parse(*exec_schedule);
        const auto now = std::chrono::floor<std::chrono::seconds>(ctx.now);
        const auto next = schedule.NextAfter(now, zone);
        if (!next) {
            Invalid("execSchedule", Message(MessageId::NeverFiresAfterNow));
        }
        spec.exec_schedule = exec_schedule;
        spec.next_fire_at = *next;
    }
}

void ReadPolicies(const Params& params, JobSpec& spec) {
    if (const auto overlap = params.OptionalString("overlap")) {
        const auto parsed = Parse<Overlap>(*overlap);
        if (!parsed) {
            Invalid("overlap", Message(MessageId::OverlapValue, {{"value", *overlap}}));
        }
        spec.overlap = *parsed;
    }
    if (const auto misfire = params.OptionalString("misfire")) {
        const auto parsed = Parse<Misfire>(*misfire);
        if (!parsed) {
            Invalid("misfire", Message(MessageId::MisfireValue, {{"value", *misfire}}));
        }
        spec.misfire = *parsed;
    }
    if (const auto timeout = params.OptionalInt("timeoutSeconds", 1, kMaxTimeoutSeconds)) {
        spec.timeout_seconds = static_cast<int>(*timeout);
    }
    spec.max_retries =
        static_cast<int>(params.OptionalInt("maxRetries", 0, kMaxRetries).value_or(0));
    spec.retry_backoff_seconds = static_cast<int>(
        params.OptionalInt("retryBackoffSeconds", 0, kMaxTimeoutSeconds).value_or(10));
}

}  // namespace

json::object SubmitJob(OperationContext& ctx, pqxx::work& tx) {
    const Params& params = ctx.params;
    JobSpec spec;
    spec.company = params.RequireCompany();
    const Role role = ctx.Authorize(tx, spec.company);
    spec.name = params.RequireString("jobName");
    if (!IsValidJobName(spec.name)) {
        Invalid("jobName", Message(MessageId::JobNameInvalid));
    }
    spec.description = params.OptionalString("description").value_or("");
    spec.locale = params.OptionalString("locale").value_or("");
    spec.time_zone = params.OptionalString("timeZone").value_or(ServerZone(ctx.config));
    auto [type, payload] = JobPayload(params);
    CheckJobType(ctx, role, type, payload);
    spec.job_type = type;
    spec.payload_json =
        json::serialize(type == kCommandJob ? NormalizeCommandJob(payload) : payload);
    ReadTiming(ctx, spec);
    ReadPolicies(params, spec);
    spec.submit_user = ctx.principal.user;
    const bool run_now = !spec.exec_time && !spec.exec_schedule;
    const JobId id = store::InsertJob(tx, spec);
    ctx.effects.wake_at = spec.next_fire_at;
    if (run_now) {
        // Contract §5: with neither execTime nor execSchedule the job runs now and stays as a
        // one-shot record (trigger state Complete).
        store::CompleteJob(tx, id);
        const RunId run = store::InsertRun(tx,
                                           {.job = id,
                                            .company = spec.company,
                                            .trigger = Trigger::Submit,
                                            .scheduled_for = ctx.now,
                                            .submit_user = spec.submit_user,
                                            .holder = ctx.config.node.name});
        ctx.effects.run_now.push_back({run, spec.company, id, spec.overlap == Overlap::Queue});
    }
    return {{"jobHandle", ToString(JobHandle{spec.company, spec.name})}};
}

namespace {

// The run's statement for a call from ctx on the job `handle`.
store::ExecuteRequest ExecuteRequestOf(const OperationContext& ctx, const JobHandle& handle) {
    return {.id = ctx.reserved_run,
            .job = handle,
            .asked_at = ctx.now,
            .submit_user = ctx.principal.user,
            .node = ctx.config.node.name,
            .worker_free = ctx.worker_reserved,
            .limits = {ctx.config.workers.per_company_max_concurrent_runs}};
}

// The answer to a call whose run was inserted: Running on the reserved worker, to start now,
// or Queued, held by this node, for the engine to start when it may.
json::object Executed(OperationContext& ctx, store::RunLaunch launch) {
    const JobHandle handle = ctx.params.RequireJobHandle();
    const RunHandle run{handle.company, handle.name, launch.run.id};
    if (launch.run.state == RunState::Running) {
        ctx.effects.start_claimed = std::move(launch);
    } else {
        ctx.effects.run_now.push_back(engine::QueuedRunOf(launch.run));
    }
    return {{"runHandle", ToString(run)}};
}

}  // namespace

json::object ExecuteJob(OperationContext& ctx, pqxx::transaction_base& tx) {
    const CompanyId company = ctx.params.RequireCompany();
    const JobHandle handle = ctx.params.RequireJobHandle();
    // A caller allowed in the company who names one of its jobs: the run's statement finds the
    // job, checks its overlap and the company's room, and inserts the run. Running at once on
    // a worker reserved here, unless the engine must decide when (a queue of one job's runs, a
    // company at its limit of runs): then Queued, held by this node, which starts it or, with no
    // free worker, releases it to the others. executeJob never touches the job's schedule, retry
    // count or trigger state (contract §9).
    if (handle.company == company && ctx.MayCallIfCompanyExists(company)) {
        if (ctx.reserved_run) {
            ctx.effects.unconfirmed = engine::QueuedRun{*ctx.reserved_run, company};
        }
        auto launch = store::ExecuteRun(tx, ExecuteRequestOf(ctx, handle));
        ctx.effects.unconfirmed.reset();
        if (launch) {
            return Executed(ctx, std::move(*launch));
        }
    }
    // No run: why not, in the order that picks the fault. Unknown company or job, or a caller
    // not allowed, throw here; a job found is one with overlap Forbid that has a run active, or
    // one deleted while the statement ran (the job found now replaced it).
    const Job job = JobOfRequest(ctx, tx, store::JobLock::None);
    if (job.spec.overlap == Overlap::Forbid) {
        throw Error(ErrorKind::Conflict, Message(MessageId::AlreadyRunning), "jobHandle");
    }
    throw Error(ErrorKind::NotFound,
                Message(MessageId::NoSuchJob, {{"job", ToString(handle)}}),
                "jobHandle");
}

std::optional<json::object> ExecuteJobForCaller(OperationContext& ctx,
                                                pqxx::transaction_base& tx,
                                                const KnownCaller& caller,
                                                std::optional<RunId>& next_run) {
    const CompanyId company = ctx.params.RequireCompany();
    const JobHandle handle = ctx.params.RequireJobHandle();
    if (handle.company != company || !ctx.reserved_run) {
        return std::nullopt;
    }
    static const std::vector<Role> kMayExecute =
        auth::RolesThatMayCall(auth::Operation::executeJob);
    const store::ExecuteRequest request = ExecuteRequestOf(ctx, handle);
    ctx.effects.unconfirmed = engine::QueuedRun{*ctx.reserved_run, company};
    const auto* token = std::get_if<TokenCaller>(&caller);
    const auto* password = std::get_if<PasswordCaller>(&caller);
    auto execution = token
                         ? store::ExecuteRunForToken(tx, token->digest, kMayExecute, request)
                         : store::ExecuteRunForPassword(
                               tx, password->email, password->verified_hash, kMayExecute, request);
    ctx.effects.unconfirmed.reset();
    if (!execution.launch) {
        return std::nullopt;
    }
    next_run = execution.next_run;
    return Executed(ctx, std::move(*execution.launch));
}

}  // namespace jobd::api
