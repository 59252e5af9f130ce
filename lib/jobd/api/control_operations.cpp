// stopJob, pauseJob, resumeJob, deleteJob (contract §5): a transition that makes no sense now is
// a Conflict (30001 / 409) whose reason names the state.

#include <boost/json.hpp>

#include "jobd/api/job_lookup.hpp"
#include "jobd/api/operations.hpp"
#include "jobd/model/error.hpp"
#include "jobd/schedule/schedule.hpp"
#include "jobd/store/jobs.hpp"
#include "jobd/store/runs.hpp"

namespace jobd::api {
namespace {

[[noreturn]] void Conflict(Message what) {
    throw Error(ErrorKind::Conflict, std::move(what), "jobHandle");
}

// Resuming fires nothing missed (contract §5): the next fire is the first one after now.
std::optional<TimePoint> NextFireFromNow(const Job& job, TimePoint now) {
    if (job.spec.exec_time) {
        return *job.spec.exec_time > now ? job.spec.exec_time : std::nullopt;
    }
    const auto* zone = schedule::FindZone(job.spec.time_zone);
    if (!job.spec.exec_schedule || zone == nullptr) {
        return std::nullopt;
    }
    const auto next = schedule::Schedule::Parse(*job.spec.exec_schedule)
                          .NextAfter(std::chrono::floor<std::chrono::seconds>(now), *zone);
    return next ? std::optional<TimePoint>(*next) : std::nullopt;
}

}  // namespace

Job JobOfRequest(const OperationContext& ctx, pqxx::transaction_base& tx, store::JobLock lock) {
    const CompanyId company = ctx.params.RequireCompany();
    const JobHandle handle = ctx.params.RequireJobHandle();
    // The job's row proves its company exists: a caller allowed in the company finds a live job
    // without the company's own lookup (issue #8).
    if (handle.company == company && ctx.MayCallIfCompanyExists(company)) {
        if (auto job = store::FindJob(tx, handle, lock)) {
            return std::move(*job);
        }
    }
    // Why not, in the order that picks the fault.
    ctx.Authorize(tx, company);
    if (handle.company != company) {
        throw Error(ErrorKind::NotMember,
                    Message(MessageId::JobOfOtherCompany,
                            {{"owner", std::to_string(handle.company)},
                             {"company", std::to_string(company)}}),
                    "jobHandle");
    }
    throw Error(ErrorKind::NotFound,
                Message(MessageId::NoSuchJob, {{"job", ToString(handle)}}),
                "jobHandle");
}

boost::json::object StopJob(OperationContext& ctx, pqxx::work& tx) {
    const Job job = JobOfRequest(ctx, tx, store::JobLock::Exclusive);
    const auto request = store::StopJobRuns(tx, job.id, Message(MessageId::RunStoppedByStopJob));
    if (request.cancelled.empty() && request.running.empty()) {
        Conflict(Message(MessageId::NothingToStop));
    }
    ctx.effects.stop = request.running;
    ctx.effects.cancelled = request.cancelled;
    return {};
}

boost::json::object PauseJob(OperationContext& ctx, pqxx::work& tx) {
    const Job job = JobOfRequest(ctx, tx, store::JobLock::Exclusive);
    if (job.trigger_state != TriggerState::Normal) {
        Conflict(
            Message(MessageId::CannotPause, {{"state", std::string(ToString(job.trigger_state))}}));
    }
    store::SetTrigger(tx, job.id, TriggerState::Paused, job.spec.next_fire_at);
    return {};
}

boost::json::object ResumeJob(OperationContext& ctx, pqxx::work& tx) {
    const Job job = JobOfRequest(ctx, tx, store::JobLock::Exclusive);
    if (job.trigger_state != TriggerState::Paused) {
        Conflict(
            Message(MessageId::NotPaused, {{"state", std::string(ToString(job.trigger_state))}}));
    }
    const auto next = NextFireFromNow(job, ctx.now);
    store::SetTrigger(tx, job.id, next ? TriggerState::Normal : TriggerState::Complete, next);
    ctx.effects.wake_at = next;
    return {};
}

boost::json::object DeleteJob(OperationContext& ctx, pqxx::work& tx) {
    const Job job = JobOfRequest(ctx, tx, store::JobLock::Exclusive);
    auto request = store::StopJobRuns(tx, job.id, Message(MessageId::RunJobDeleted));
    ctx.effects.stop = std::move(request.running);
    ctx.effects.cancelled = std::move(request.cancelled);
    store::MarkDeleted(tx, job.id);
    return {};
}

}  // namespace jobd::api
