#include "jobd/store/fires.hpp"

#include <boost/json.hpp>

#include "jobd/store/detail/job_rows.hpp"
#include "jobd/store/detail/message_json.hpp"
#include "jobd/store/pqxx_support.hpp"

namespace jobd::store {
namespace {

// The scheduler's only scan, on jobs_next_fire_idx.
constexpr const char* kDueJobsWhere = R"sql(
    j.next_fire_at <= jobd_ts($1) AND j.trigger_state = 'Normal'
    ORDER BY j.next_fire_at LIMIT $2 FOR UPDATE OF j SKIP LOCKED)sql";

// The fires arrive as one JSON array. ON CONFLICT on runs_job_fire_key: this key, not
// application logic, makes a fire run once. A run started here needs the node's lease, as a
// claim does (runs.cpp).
constexpr const char* kRecordFires = R"sql(
    WITH fire AS (
        SELECT f.*, f.start AND EXISTS (SELECT 1 FROM nodes WHERE name = $2 FOR KEY SHARE)
                    AS running
        FROM jsonb_to_recordset($1::jsonb)
            AS f(job bigint, company bigint, scheduled_for bigint, run boolean, start boolean,
                 next_fire bigint, next_state text)),
    advanced AS (
        UPDATE jobs SET next_fire_at = jobd_ts(fire.next_fire), trigger_state = fire.next_state
        FROM fire WHERE jobs.id = fire.job)
    INSERT INTO runs (company_id, job_id, trigger, scheduled_for, state, node, started_at, holder)
    SELECT company, job, 'Schedule', jobd_ts(scheduled_for),
           CASE WHEN running THEN 'Running' ELSE 'Queued' END,
           CASE WHEN running THEN $2 END,
           CASE WHEN running THEN clock_timestamp() END,
           CASE WHEN running THEN NULL ELSE $2 END
    FROM fire WHERE run
    ON CONFLICT (job_id, scheduled_for) WHERE trigger = 'Schedule' DO NOTHING
    RETURNING job_id, id, state = 'Running')sql";

constexpr const char* kInsertSkippedRun = R"sql(
    INSERT INTO runs (company_id, job_id, trigger, state, reason, reason_message, scheduled_for,
                      started_at, ended_at)
    VALUES ($1, $2, 'Schedule', 'Skipped', $3, $5::jsonb, jobd_ts($4), now(), now())
    ON CONFLICT (job_id, scheduled_for) WHERE trigger = 'Schedule' DO NOTHING)sql";

constexpr const char* kEarliestNextFire = R"sql(
    SELECT jobd_micros(min(next_fire_at)) FROM jobs
    WHERE next_fire_at IS NOT NULL AND deleted_at IS NULL AND trigger_state = 'Normal')sql";

}  // namespace

std::vector<Job> LockDueJobs(pqxx::work& tx, TimePoint now, int limit) {
    static const Prepared lock{"lock_due_jobs", SelectJobs(kDueJobsWhere)};
    std::vector<Job> jobs;
    for (const auto& row : lock.Exec(tx, ToMicros(now), limit)) {
        jobs.push_back(ReadJob(row));
    }
    return jobs;
}

std::map<JobId, FiredRun> RecordFires(pqxx::work& tx,
                                      const std::vector<Fire>& fires,
                                      const std::string& holder) {
    if (fires.empty()) {
        return {};
    }
    boost::json::array batch;
    batch.reserve(fires.size());
    for (const Fire& fire : fires) {
        batch.push_back(boost::json::object{
            {"job", fire.job},
            {"company", fire.company},
            {"scheduled_for", ToMicros(fire.scheduled_for)},
            {"run", fire.run},
            {"start", fire.start},
            {"next_fire",
             fire.next_fire ? boost::json::value(ToMicros(*fire.next_fire))
                            : boost::json::value(nullptr)},
            {"next_state", ToString(fire.next_state)},
        });
    }
    static const Prepared record{"record_fires", kRecordFires};
    std::map<JobId, FiredRun> runs;
    for (const auto& row : record.Exec(tx, boost::json::serialize(batch), holder)) {
        runs.emplace(row[0].as<JobId>(), FiredRun{row[1].as<RunId>(), row[2].as<bool>()});
    }
    return runs;
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

std::optional<TimePoint> EarliestNextFire(pqxx::work& tx) {
    static const Prepared earliest{"earliest_next_fire", kEarliestNextFire};
    return NullableTime(earliest.Exec1(tx)[0]);
}

}  // namespace jobd::store
