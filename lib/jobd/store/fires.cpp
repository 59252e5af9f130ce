#include "jobd/store/fires.hpp"

#include "jobd/store/detail/job_rows.hpp"
#include "jobd/store/detail/message_json.hpp"
#include "jobd/store/pqxx_support.hpp"

namespace jobd::store {
namespace {

// The scheduler's only scan, on jobs_next_fire_idx.
constexpr const char* kDueJobsWhere = R"sql(
    j.next_fire_at <= jobd_ts($1) AND j.trigger_state = 'Normal'
    ORDER BY j.next_fire_at LIMIT $2 FOR UPDATE OF j SKIP LOCKED)sql";

// ON CONFLICT on runs_job_fire_key: this key, not application logic, makes a fire run once.
constexpr const char* kInsertScheduledRun = R"sql(
    INSERT INTO runs (company_id, job_id, trigger, scheduled_for, holder)
    VALUES ($1, $2, 'Schedule', jobd_ts($3), $4)
    ON CONFLICT (job_id, scheduled_for) WHERE trigger = 'Schedule' DO NOTHING
    RETURNING id)sql";

constexpr const char* kInsertSkippedRun = R"sql(
    INSERT INTO runs (company_id, job_id, trigger, state, reason, reason_message, scheduled_for,
                      started_at, ended_at)
    VALUES ($1, $2, 'Schedule', 'Skipped', $3, $5::jsonb, jobd_ts($4), now(), now())
    ON CONFLICT (job_id, scheduled_for) WHERE trigger = 'Schedule' DO NOTHING)sql";

constexpr const char* kSetNextFire = R"sql(
    UPDATE jobs SET next_fire_at = jobd_ts($2), trigger_state = $3 WHERE id = $1)sql";

constexpr const char* kEarliestNextFire = R"sql(
    SELECT jobd_micros(min(next_fire_at)) FROM jobs
    WHERE next_fire_at IS NOT NULL AND deleted_at IS NULL AND trigger_state = 'Normal')sql";

}  // namespace

std::vector<Job> LockDueJobs(pqxx::work& tx, TimePoint now, int limit) {
    std::vector<Job> jobs;
    for (const auto& row : tx.exec_params(SelectJobs(kDueJobsWhere), ToMicros(now), limit)) {
        jobs.push_back(ReadJob(row));
    }
    return jobs;
}

std::optional<RunId> InsertScheduledRun(pqxx::work& tx,
                                        const Job& job,
                                        TimePoint scheduled_for,
                                        const std::string& holder) {
    const auto rows = tx.exec_params(
        kInsertScheduledRun, job.spec.company, job.id, ToMicros(scheduled_for), holder);
    if (rows.empty()) {
        return std::nullopt;
    }
    return rows[0][0].as<RunId>();
}

void InsertSkippedRun(pqxx::work& tx,
                      const Job& job,
                      TimePoint scheduled_for,
                      const Message& reason) {
    tx.exec_params0(kInsertSkippedRun,
                    job.spec.company,
                    job.id,
                    Render(reason, Language::English),
                    ToMicros(scheduled_for),
                    MessageToJson(reason));
}

void SetNextFire(pqxx::work& tx, JobId job, std::optional<TimePoint> next, TriggerState state) {
    tx.exec_params0(kSetNextFire, job, Micros(next), std::string(ToString(state)));
}

std::optional<TimePoint> EarliestNextFire(pqxx::work& tx) {
    return NullableTime(tx.exec1(kEarliestNextFire)[0]);
}

}  // namespace jobd::store
