#include "jobd/store/jobs.hpp"

#include "jobd/model/error.hpp"
#include "jobd/store/detail/job_rows.hpp"
#include "jobd/store/pqxx_support.hpp"

namespace jobd::store {
namespace {

constexpr const char* kInsertJob = R"sql(
    INSERT INTO jobs (company_id, name, description, locale, job_type, payload, exec_time,
                      exec_schedule, time_zone, overlap, misfire, timeout_seconds, max_retries,
                      retry_backoff_seconds, next_fire_at, submit_user_id)
    VALUES ($1, $2, $3, $4, $5, $6::jsonb, jobd_ts($7), $8, $9, $10, $11, $12, $13, $14,
            jobd_ts($15), $16)
    RETURNING id)sql";

// Columns read by ReadJob, in order.
constexpr const char* kJobColumns = R"sql(
    j.id, j.company_id, j.name, j.description, j.locale, j.job_type, j.payload::text,
    jobd_micros(j.exec_time), j.exec_schedule, j.time_zone, j.overlap, j.misfire,
    j.timeout_seconds, j.max_retries, j.retry_backoff_seconds, jobd_micros(j.next_fire_at),
    j.submit_user_id, j.trigger_state, coalesce(u.email, ''),
    CASE WHEN j.overlap = 'Forbid'
         THEN (SELECT count(*) FROM runs r
               WHERE r.job_id = j.id AND r.state IN ('Queued', 'Running')
                 AND r.ended_at IS NULL)::int
         ELSE 0 END)sql";

constexpr const char* kCompleteJob = R"sql(
    UPDATE jobs SET trigger_state = 'Complete', next_fire_at = NULL WHERE id = $1)sql";

constexpr const char* kSetTrigger = R"sql(
    UPDATE jobs SET trigger_state = $2, next_fire_at = jobd_ts($3) WHERE id = $1)sql";

constexpr const char* kMarkDeleted = R"sql(
    UPDATE jobs SET deleted_at = now(), next_fire_at = NULL WHERE id = $1)sql";

constexpr const char* kLockJob = R"sql(
    SELECT id FROM jobs WHERE company_id = $1 AND name = $2 AND deleted_at IS NULL FOR UPDATE)sql";

}  // namespace

std::string SelectJobs(const std::string& where) {
    return std::string("SELECT ") + kJobColumns +
           " FROM jobs j LEFT JOIN users u ON u.id = j.submit_user_id WHERE j.deleted_at IS NULL "
           "AND " +
           where;
}

Job ReadJob(const pqxx::row& row) {
    Job job;
    job.id = row[0].as<JobId>();
    JobSpec& spec = job.spec;
    spec.company = row[1].as<CompanyId>();
    spec.name = row[2].as<std::string>();
    spec.description = row[3].as<std::string>();
    spec.locale = row[4].as<std::string>();
    spec.job_type = row[5].as<std::string>();
    spec.payload_json = row[6].as<std::string>();
    spec.exec_time = NullableTime(row[7]);
    spec.exec_schedule = Nullable<std::string>(row[8]);
    spec.time_zone = row[9].as<std::string>();
    spec.overlap = Parse<Overlap>(row[10].as<std::string>()).value_or(Overlap::Forbid);
    spec.misfire = Parse<Misfire>(row[11].as<std::string>()).value_or(Misfire::FireOnce);
    spec.timeout_seconds = Nullable<int>(row[12]);
    spec.max_retries = row[13].as<int>();
    spec.retry_backoff_seconds = row[14].as<int>();
    spec.next_fire_at = NullableTime(row[15]);
    spec.submit_user = Nullable<UserId>(row[16]);
    job.trigger_state =
        Parse<TriggerState>(row[17].as<std::string>()).value_or(TriggerState::Error);
    job.submit_user_email = row[18].as<std::string>();
    job.active_runs = row[19].as<int>();
    return job;
}

JobId InsertJob(pqxx::work& tx, const JobSpec& spec) {
    try {
        pqxx::subtransaction insert(tx, "insert_job");
        const auto id = insert
                            .exec_params1(kInsertJob,
                                          spec.company,
                                          spec.name,
                                          spec.description,
                                          spec.locale,
                                          spec.job_type,
                                          spec.payload_json,
                                          Micros(spec.exec_time),
                                          spec.exec_schedule,
                                          spec.time_zone,
                                          std::string(ToString(spec.overlap)),
                                          std::string(ToString(spec.misfire)),
                                          spec.timeout_seconds,
                                          spec.max_retries,
                                          spec.retry_backoff_seconds,
                                          Micros(spec.next_fire_at),
                                          spec.submit_user)[0]
                            .as<JobId>();
        insert.commit();
        return id;
    } catch (const pqxx::unique_violation&) {
        throw Error(ErrorKind::Conflict,
                    Message(MessageId::JobNameTaken,
                            {{"company", std::to_string(spec.company)}, {"name", spec.name}}),
                    "jobName");
    }
}

void SetTrigger(pqxx::work& tx, JobId id, TriggerState state, std::optional<TimePoint> next_fire) {
    tx.exec_params0(kSetTrigger, id, std::string(ToString(state)), Micros(next_fire));
}

void MarkDeleted(pqxx::work& tx, JobId id) {
    tx.exec_params0(kMarkDeleted, id);
}

void CompleteJob(pqxx::work& tx, JobId id) {
    tx.exec_params0(kCompleteJob, id);
}

std::optional<Job> FindJob(pqxx::transaction_base& tx, const JobHandle& handle, JobLock lock) {
    // Locking is its own statement: in READ COMMITTED the next statement's snapshot then sees
    // the runs that the transaction we waited for committed (active_runs is counted fresh).
    if (lock == JobLock::Exclusive &&
        tx.exec_params(kLockJob, handle.company, handle.name).empty()) {
        return std::nullopt;
    }
    const auto rows = tx.exec_params(
        SelectJobs("j.company_id = $1 AND j.name = $2"), handle.company, handle.name);
    if (rows.empty()) {
        return std::nullopt;
    }
    return ReadJob(rows[0]);
}

std::vector<Job> ListScheduledJobs(pqxx::work& tx, const ScheduledJobFilter& filter) {
    const auto rows = tx.exec_params(
        SelectJobs(
            "(j.exec_schedule IS NOT NULL OR j.exec_time IS NOT NULL) "
            "AND ($1::text IS NULL OR j.company_id = ANY (string_to_array($1, ',')::bigint[])) "
            "AND ($2::bigint IS NULL OR j.company_id = $2) "
            "AND ($3::text IS NULL OR j.name = $3) "
            "AND ($4::text IS NULL OR j.name = $4) ORDER BY j.company_id, j.name LIMIT 10000"),
        filter.companies ? std::optional(IdList(*filter.companies)) : std::nullopt,
        filter.job ? std::optional<CompanyId>(filter.job->company) : std::nullopt,
        filter.job ? std::optional<std::string>(filter.job->name) : std::nullopt,
        filter.name);
    std::vector<Job> jobs;
    jobs.reserve(rows.size());
    for (const auto& row : rows) {
        jobs.push_back(ReadJob(row));
    }
    return jobs;
}

}  // namespace jobd::store
