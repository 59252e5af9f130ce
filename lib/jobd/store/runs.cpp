#include "jobd/store/runs.hpp"

#include <algorithm>
#include <charconv>
#include <map>

#include <boost/json.hpp>

#include "jobd/model/error.hpp"
#include "jobd/store/detail/message_json.hpp"
#include "jobd/store/pqxx_support.hpp"

namespace jobd::store {
namespace {

constexpr const char* kInsertRun = R"sql(
    INSERT INTO runs (company_id, job_id, trigger, scheduled_for, submit_user_id, attempt,
                      first_run_id, holder)
    VALUES ($1, $2, $3, jobd_ts($4), $5, $6, $7, $8)
    RETURNING id)sql";

// Columns read by ReadRun, in order; `r` runs, `j` jobs, `u` submitting users.
constexpr const char* kRunColumns = R"sql(
    r.id, r.company_id, r.job_id, j.name, j.job_type, j.description, j.locale, r.trigger,
    r.state, r.reason, coalesce(r.node, ''), jobd_micros(r.scheduled_for),
    jobd_micros(r.queued_at), jobd_micros(r.started_at), jobd_micros(r.ended_at), r.exit_code,
    r.attempt, coalesce(u.email, ''), r.progress, r.progress_message,
    jobd_micros(r.progress_at), r.detail_rows, r.file_success_count, r.file_error_count,
    r.file_warning_count, r.file_duplicate_count, r.file_update_count, r.total_file_count,
    r.first_run_id, j.overlap, r.reason_message::text)sql";

constexpr const char* kRunJoins = R"sql(
    FROM runs r JOIN jobs j ON j.id = r.job_id LEFT JOIN users u ON u.id = r.submit_user_id)sql";

std::string SelectRuns(const std::string& where) {
    return std::string("SELECT ") + kRunColumns + kRunJoins + " WHERE " + where;
}

// Statements that name their runs by id compare the state with an InitPlan's value, as in
// `state = (SELECT 'Queued')`, never with a literal, so that they find the runs by primary key.
// A literal lets the planner reach them through the partial indexes on state instead, estimated
// from statistics that lag behind a backlog: a plan cached while Queued runs were rare read every
// Queued run for each claim (issue #8; test ClaimsAndEndsInABacklogReadOnlyTheirOwnRuns).
//
// They name the runs as `id = ANY (ARRAY(SELECT unnest(<the ids of $1>)))`, which the planner
// does not look into: every call's estimate is then the same, and PostgreSQL keeps a prepared
// statement's generic plan after its first five calls. With the array in sight, each list's
// length made a custom plan look cheaper, and each call was planned afresh: planning a claim cost
// more than running it (0.23 ms against 0.14 ms; pg test ClaimsKeepTheirGenericPlans).
//
// Statements that list active runs say `ended_at IS NULL` besides the state: the indexes of active
// runs are partial on that (migration 0010), so only such statements reach them.
//
// Claims that check a limit take turns on transaction locks, taken by the first statement of a
// claim (kLockClaims) before the second counts (kClaimLocked, whose snapshot is taken after the
// locks): the counts cannot change before the claims commit, so the limits hold across nodes.
// Class 1 locks a company (under a per-company limit: $2), class 2 an overlap-Queue job; every
// claim takes them in one order (companies, then jobs, each by id), so claims never deadlock
// (jobd_claim_lock, migration 0011).
constexpr const char* kLockClaims = R"sql(
    SELECT jobd_claim_lock(k.class, k.key)
    FROM (SELECT 1 AS class, r.company_id AS key
          FROM runs r
          WHERE r.id = ANY (ARRAY(SELECT unnest(string_to_array($1, ',')::bigint[])))
            AND r.state = (SELECT 'Queued')
            AND $2
          UNION
          SELECT 2, r.job_id
          FROM runs r
          WHERE r.id = ANY (ARRAY(SELECT unnest(string_to_array($1, ',')::bigint[])))
            AND r.state = (SELECT 'Queued')
            AND (SELECT overlap FROM jobs WHERE id = r.job_id) = 'Queue'
          ORDER BY 1, 2) k)sql";

// RoomForRuns': each company's room ($1, comma-separated companies; $2 the limit), its lock taken
// in kLockClaims' order (by id).
constexpr const char* kRoomOfCompanies = R"sql(
    SELECT k.company, jobd_company_room(k.company, $2)
    FROM (SELECT DISTINCT c AS company FROM unnest(string_to_array($1, ',')::bigint[]) AS c
          ORDER BY 1) k)sql";

// The claims of a batch under the locks of kLockClaims, in one statement, in the order asked
// (the engine's: executeJob's runs first). A run of an overlap-Queue job starts only when its
// job has no run Running, and only the batch's first run of that job; under a per-company limit
// ($3) a company's runs start while the company has fewer than $3 Running on any node. A refused
// run is released (holder NULL) and taken again when a run of its company ends (FinishRuns'
// notification).
//
// The state check makes a claim happen once; the node row (its lease) must exist, so a node
// declared lost starts nothing until it has registered again. KEY SHARE does not wait for the
// node's own heartbeat, but makes a reaper deleting the row wait for (or skip) this claim.
// started_at is taken after the locks (clock_timestamp, not the transaction's start), so a run
// that waited for another's end never appears to start before that end. The runs are named by
// `id = ANY (array)` throughout, never joined: statistics from a nearly empty table made a join
// a hash join over all of runs (pg test ...WhateverTheTablesSizeWas: 9,058 rows read, now < 200).
constexpr const char* kClaimLocked = R"sql(
    WITH queued AS (
        SELECT r.id, r.company_id,
               array_position(string_to_array($1, ',')::bigint[], r.id) AS asked,
               (SELECT overlap FROM jobs WHERE id = r.job_id) <> 'Queue'
               OR (row_number() OVER (PARTITION BY r.job_id
                                      ORDER BY array_position(string_to_array($1, ',')::bigint[],
                                                              r.id)) = 1
                   AND NOT EXISTS (SELECT 1 FROM runs x
                                   WHERE x.job_id = r.job_id AND x.state = 'Running'
                                     AND x.ended_at IS NULL)) AS job_free
        FROM runs r
        WHERE r.id = ANY (ARRAY(SELECT unnest(string_to_array($1, ',')::bigint[])))
          AND r.state = (SELECT 'Queued')),
    running AS (
        SELECT x.company_id, count(*) AS runs FROM runs x
        WHERE $3::int IS NOT NULL AND x.state = 'Running'
          AND x.company_id = ANY (ARRAY(SELECT company_id FROM queued))
        GROUP BY x.company_id),
    decided AS (
        SELECT q.id, q.job_free AND ($3::int IS NULL OR
               row_number() OVER (PARTITION BY q.company_id, q.job_free ORDER BY q.asked)
                   <= $3 - coalesce((SELECT runs FROM running WHERE running.company_id = q.company_id), 0))
               AS claim
        FROM queued q),
    released AS (
        UPDATE runs SET holder = NULL
        WHERE runs.id = ANY (ARRAY(SELECT id FROM decided WHERE NOT claim))
          AND runs.state = (SELECT 'Queued')),
    claimed AS (
        UPDATE runs SET state = 'Running', node = $2, holder = NULL, started_at = clock_timestamp()
        WHERE runs.id = ANY (ARRAY(SELECT id FROM decided WHERE claim))
          AND runs.state = (SELECT 'Queued')
          AND EXISTS (SELECT 1 FROM nodes WHERE name = $2 FOR KEY SHARE)
        RETURNING runs.*))sql";

// The common claim, of a whole batch in one round trip and without locks: no company limit
// configured and a job that is not overlap Queue (its runs are left Queued here). $1: the run
// ids, comma-separated.
constexpr const char* kClaimUnlimited = R"sql(
    UPDATE runs SET state = 'Running', node = $2, holder = NULL, started_at = clock_timestamp()
    WHERE id = ANY (ARRAY(SELECT unnest(string_to_array($1, ',')::bigint[])))
      AND state = (SELECT 'Queued')
      AND (SELECT overlap FROM jobs WHERE id = runs.job_id) <> 'Queue'
      AND EXISTS (SELECT 1 FROM nodes WHERE name = $2 FOR KEY SHARE)
    RETURNING runs.*)sql";

constexpr const char* kReleaseHeld = R"sql(
    UPDATE runs SET holder = NULL
    WHERE id = ANY (ARRAY(SELECT unnest(string_to_array($1, ',')::bigint[])))
      AND state = (SELECT 'Queued')
      AND holder = $2)sql";

constexpr const char* kNotify = "SELECT pg_notify($1, $2)";

// SKIP LOCKED: nodes taking released runs at once each get different ones. The limit filters
// only spare a claim that would be refused; ClaimRun decides under its locks. The order is
// runs_take_idx's (migration 0009): a take reads the runs it takes, not every released run.
constexpr const char* kTakeReleased = R"sql(
    WITH taken AS (
        SELECT r.id FROM runs r JOIN jobs j ON j.id = r.job_id
        WHERE r.state = 'Queued' AND r.holder IS NULL
          AND (r.trigger <> 'Retry' OR r.scheduled_for <= now())
          AND ($3::int IS NULL OR (SELECT count(*) FROM runs x
                                   WHERE x.company_id = r.company_id AND x.state = 'Running') < $3)
          AND (j.overlap <> 'Queue' OR NOT EXISTS (SELECT 1 FROM runs x
                                                   WHERE x.job_id = r.job_id
                                                     AND x.state = 'Running'
                                                     AND x.ended_at IS NULL))
        ORDER BY r.trigger <> 'Execute', r.id
        LIMIT $2
        FOR UPDATE OF r SKIP LOCKED)
    UPDATE runs SET holder = $1 FROM taken WHERE runs.id = taken.id
    RETURNING runs.id)sql";

// What starting a run needs besides the run (ReadLaunch): kRunColumns, then these.
constexpr const char* kJobSpecColumns = R"sql(,
    j.payload::text, j.timeout_seconds, j.time_zone, j.max_retries, j.retry_backoff_seconds)sql";

// The launch of the run(s) `rows` names (a CTE over runs, e.g. an UPDATE's RETURNING runs.*) in
// the statement that wrote them: a claim is one round trip, not an UPDATE then two SELECTs.
std::string SelectLaunches(const std::string& with, const std::string& rows) {
    return with + " SELECT " + kRunColumns + kJobSpecColumns + " FROM " + rows +
           " r JOIN jobs j ON j.id = r.job_id LEFT JOIN users u ON u.id = r.submit_user_id";
}

// The launch a function of executeJob returns (`call`, a row of run and job, as x): its run and
// job as they were written and read, since the statement's own snapshot, taken before the call,
// may not see a job created meanwhile. `extra`: more columns of x after the launch's.
std::string SelectLaunchOfCall(const std::string& extra, const std::string& call) {
    return std::string("SELECT ") + kRunColumns + kJobSpecColumns + extra + " FROM " + call +
           R"sql( x
    CROSS JOIN LATERAL (SELECT (x.run).*) r CROSS JOIN LATERAL (SELECT (x.job).*) j
    LEFT JOIN users u ON u.id = r.submit_user_id)sql";
}

std::string ClaimReturningLaunch(const char* claim) {
    return SelectLaunches(std::string("WITH claimed AS (") + claim + ")", "claimed");
}

// Details arrive as one JSON array: one round trip for a batch of any size.
constexpr const char* kInsertDetails = R"sql(
    WITH batch AS (
        INSERT INTO run_details (run_id, created_at, log_type, message, asset_name, asset_type,
                                 asset_handle, own_message)
        SELECT $1, jobd_ts(d.created_at), d.log_type, d.message, d.asset_name, d.asset_type,
               d.asset_handle, d.own_message::jsonb
        FROM jsonb_to_recordset($2::jsonb) AS d(created_at bigint, log_type text, message text,
                                               asset_name text, asset_type text,
                                               asset_handle text, own_message text)
        RETURNING 1)
    UPDATE runs SET detail_rows = detail_rows + (SELECT count(*) FROM batch) WHERE id = $1)sql";

constexpr const char* kUpdateProgress = R"sql(
    UPDATE runs SET progress = $2, progress_message = $3, progress_at = now() WHERE id = $1)sql";

// Every end of a batch in one statement (the ends arrive as one JSON array). Only the node that
// runs a run ends it: a node declared lost finds its runs Lost already, and those runs are just
// not returned (fencing per run: the others of the batch end all the same). A run refused for a
// limit waits released until a run of its company ends: `woken` NOTIFYs the nodes then, once per
// statement (a scalar subquery in the select list; no row ended, no notification). Only a company
// limit ($4) or an overlap Queue job refuses a claim: without either, no Queued run is looked
// for. The look names no ended_at, so it reaches released runs through their own indexes, never
// the index of all active runs (migration 0010). The ids
// are given again as an array, which the primary key serves whatever the batch's size.
constexpr const char* kFinishRuns = R"sql(
    WITH ended AS (
        UPDATE runs SET state = e.state, exit_code = e.exit_code, reason = e.reason,
                        reason_message = e.reason_message::jsonb, ended_at = now(),
                        started_at = coalesce(runs.started_at, now())
        FROM jsonb_to_recordset($1::jsonb) AS e(id bigint, state text, exit_code int,
                                                reason text, reason_message text)
        WHERE runs.id = e.id AND runs.state = (SELECT 'Running') AND runs.node = $2
          AND runs.id = ANY (ARRAY(SELECT (x ->> 'id')::bigint
                                   FROM jsonb_array_elements($1::jsonb) AS x))
        RETURNING runs.*),
    woken AS (
        SELECT pg_notify($3, '') WHERE CASE
            WHEN $4 OR EXISTS (SELECT 1 FROM ended JOIN jobs j ON j.id = ended.job_id
                               WHERE j.overlap = 'Queue')
            THEN EXISTS (SELECT 1 FROM runs q
                         WHERE q.company_id IN (SELECT company_id FROM ended)
                           AND q.state = 'Queued' AND q.holder IS NULL)
            ELSE false END)
    SELECT )sql";

constexpr const char* kRetryOf = R"sql(
    SELECT id FROM runs WHERE first_run_id = $1 AND attempt = $2 AND trigger = 'Retry')sql";

// A claim repeated after its commit was in doubt: the run is already Running here.
constexpr const char* kResumeClaim = "r.id = $1 AND r.state = 'Running' AND r.node = $2";

constexpr const char* kMarkLost = R"sql(
    UPDATE runs SET state = 'Lost', ended_at = now(), reason = $2, reason_message = $3::jsonb
    WHERE node = $1 AND state = 'Running' AND ended_at IS NULL
    RETURNING id)sql";

constexpr const char* kOrphanNodes = R"sql(
    SELECT DISTINCT r.node FROM runs r
    WHERE r.state = 'Running' AND r.ended_at IS NULL
      AND NOT EXISTS (SELECT 1 FROM nodes n WHERE n.name = r.node))sql";

// Two reapers at once: the second waits for the first's row locks, then finds the runs Lost and
// passes them over, so each lost run is marked (and its outcome written) once.
constexpr const char* kLoseOrphans = R"sql(
    UPDATE runs r SET state = 'Lost', ended_at = now(), reason = $2, reason_message = $3::jsonb
    WHERE r.node = $1 AND r.state = 'Running' AND r.ended_at IS NULL
      AND NOT EXISTS (SELECT 1 FROM nodes n WHERE n.name = r.node)
    RETURNING r.id)sql";

// A retry waiting for its time needs a node to arm its timer: the reaper adopts it.
constexpr const char* kReleaseOrphans = R"sql(
    UPDATE runs r SET holder = CASE WHEN r.trigger = 'Retry' AND r.scheduled_for > now()
                                    THEN $1 END
    WHERE r.state = 'Queued' AND r.ended_at IS NULL AND r.holder IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM nodes n WHERE n.name = r.holder)
    RETURNING r.id, r.holder IS NOT NULL)sql";

constexpr const char* kHeldBy =
    "r.state = 'Queued' AND r.ended_at IS NULL AND r.holder = $1 ORDER BY r.id";

constexpr const char* kCancelQueued = R"sql(
    UPDATE runs SET state = 'Stopped', reason = $2, reason_message = $3::jsonb, ended_at = now()
    WHERE job_id = $1 AND state = 'Queued' AND ended_at IS NULL
    RETURNING id)sql";

constexpr const char* kRunningOfJob = R"sql(
    SELECT id FROM runs WHERE job_id = $1 AND state = 'Running' AND ended_at IS NULL
    ORDER BY id)sql";

// A stored message column (jsonb as text); nullopt for NULL or one this jobd cannot read.
std::optional<Message> StoredMessage(const pqxx::field& field) {
    return field.is_null() ? std::nullopt : MessageFromJson(field.as<std::string>());
}

Run ReadRun(const pqxx::row& row) {
    Run run;
    run.id = row[0].as<RunId>();
    run.company = row[1].as<CompanyId>();
    run.job_id = row[2].as<JobId>();
    run.job_name = row[3].as<std::string>();
    run.job_type = row[4].as<std::string>();
    run.description = row[5].as<std::string>();
    run.locale = row[6].as<std::string>();
    run.trigger = Parse<Trigger>(row[7].as<std::string>()).value_or(Trigger::Execute);
    run.state = Parse<RunState>(row[8].as<std::string>()).value_or(RunState::Lost);
    run.reason = row[9].as<std::string>();
    run.node = row[10].as<std::string>();
    run.scheduled_for = FromMicros(row[11].as<std::int64_t>());
    run.queued_at = FromMicros(row[12].as<std::int64_t>());
    run.started_at = NullableTime(row[13]);
    run.ended_at = NullableTime(row[14]);
    run.exit_code = Nullable<int>(row[15]);
    run.attempt = row[16].as<int>();
    run.submit_user_email = row[17].as<std::string>();
    run.progress = row[18].as<int>();
    run.progress_message = row[19].as<std::string>();
    run.progress_at = NullableTime(row[20]);
    run.detail_rows = row[21].as<int>();
    run.file_success_count = row[22].as<int>();
    run.file_error_count = row[23].as<int>();
    run.file_warning_count = row[24].as<int>();
    run.file_duplicate_count = row[25].as<int>();
    run.file_update_count = row[26].as<int>();
    run.total_file_count = row[27].as<int>();
    run.first_run = Nullable<RunId>(row[28]);
    run.overlap = Parse<Overlap>(row[29].as<std::string>()).value_or(Overlap::Forbid);
    run.reason_message = StoredMessage(row[30]);
    return run;
}

std::vector<Run> ReadRuns(const pqxx::result& rows) {
    std::vector<Run> runs;
    runs.reserve(rows.size());
    for (const auto& row : rows) {
        runs.push_back(ReadRun(row));
    }
    return runs;
}

// A row of SelectLaunches: the run's columns, then kJobSpecColumns.
RunLaunch ReadLaunchRow(const pqxx::row& row) {
    constexpr int kSpec = 31;  // the columns of kRunColumns
    RunLaunch launch{ReadRun(row), {}};
    launch.job.company = launch.run.company;
    launch.job.name = launch.run.job_name;
    launch.job.job_type = launch.run.job_type;
    launch.job.payload_json = row[kSpec].as<std::string>();
    launch.job.timeout_seconds = Nullable<int>(row[kSpec + 1]);
    launch.job.time_zone = row[kSpec + 2].as<std::string>();
    launch.job.max_retries = row[kSpec + 3].as<int>();
    launch.job.retry_backoff_seconds = row[kSpec + 4].as<int>();
    launch.job.overlap = launch.run.overlap;
    return launch;
}

std::optional<RunLaunch> LaunchIn(const pqxx::result& rows) {
    if (rows.empty()) {
        return std::nullopt;
    }
    return ReadLaunchRow(rows[0]);
}

// Roles as a text[] parameter: "IpsUser,IpsCompanyAdmin" (string_to_array in the statement).
std::string RoleList(const std::vector<Role>& roles) {
    std::string list;
    for (const Role role : roles) {
        list += (list.empty() ? "" : ",") + std::string(ToString(role));
    }
    return list;
}

// A jobd_execute_for_* statement: the caller's proof and roles, then the request's parameters.
template <typename... Caller>
pqxx::result ExecuteForCaller(const Prepared& execute,
                              pqxx::transaction_base& tx,
                              const ExecuteRequest& request,
                              const Caller&... caller) {
    return execute.Exec(tx,
                        caller...,
                        request.id,
                        request.job.company,
                        request.job.name,
                        ToMicros(request.asked_at),
                        request.node,
                        request.worker_free,
                        request.limits.per_company);
}

// Its row: a launch, then the id the function reserved for the next call.
CallerExecution ExecutionIn(const pqxx::result& rows) {
    if (rows.empty()) {
        return {};
    }
    constexpr int kNextRunId = 36;  // after kRunColumns and kJobSpecColumns
    return {ReadLaunchRow(rows[0]), rows[0][kNextRunId].as<RunId>()};
}

Run SelectRun(pqxx::transaction_base& tx, RunId id) {
    static const Prepared select{"select_run", SelectRuns("r.id = $1")};
    return ReadRun(select.Exec1(tx, id));
}

// The launches a claim returned, one per id asked for, in the order asked (nullopt: not claimed).
std::vector<std::optional<RunLaunch>> LaunchesInOrder(const std::vector<RunId>& ids,
                                                      const pqxx::result& rows) {
    std::map<RunId, RunLaunch> claimed;
    for (const auto& row : rows) {
        RunLaunch launch = ReadLaunchRow(row);
        claimed.emplace(launch.run.id, std::move(launch));
    }
    std::vector<std::optional<RunLaunch>> launches;
    launches.reserve(ids.size());
    for (const RunId id : ids) {
        auto found = claimed.extract(id);
        launches.push_back(found ? std::optional(std::move(found.mapped())) : std::nullopt);
    }
    return launches;
}

// The launches of the runs whose ids are the first column of `ids`, in id order.
std::vector<RunLaunch> ReadLaunches(pqxx::work& tx, const pqxx::result& ids) {
    std::vector<RunId> list;
    list.reserve(ids.size());
    for (const auto& row : ids) {
        list.push_back(row[0].as<RunId>());
    }
    return LaunchesOf(tx, list);
}

std::optional<std::string> CompanyList(const std::optional<std::vector<CompanyId>>& companies) {
    if (!companies) {
        return std::nullopt;
    }
    return IdList(*companies);
}

constexpr const char* kCompanyFilter =
    "($1::text IS NULL OR r.company_id = ANY (string_to_array($1, ',')::bigint[]))";

// The same for a single company: compared with `=`, so that getJobLogs' default order is read
// from runs_company_start_idx (migration 0006) rather than sorted (`= ANY` makes PostgreSQL 15
// sort). $1 is then that company's id.
constexpr const char* kOneCompanyFilter = "r.company_id = $1::bigint";

// The IPS Job Log Sort Fields (ips-jobs-api §5) as SQL; anything else is refused upstream.
const std::map<std::string, std::string>& SortColumns() {
    static const std::map<std::string, std::string> columns{
        {"JobName", "j.name"},
        {"LogType", "r.state"},
        {"StartDate", "coalesce(r.started_at, r.queued_at)"},
        {"CompanyName", "(SELECT c.name FROM companies c WHERE c.id = r.company_id)"},
        {"UserId", "r.submit_user_id"},
        {"Email", "u.email"},
        {"FileErrorCount", "r.file_error_count"},
        {"FileWarningCount", "r.file_warning_count"},
        {"FileSuccessCount", "r.file_success_count"},
    };
    return columns;
}

}  // namespace

RunId InsertRun(pqxx::work& tx, const NewRun& run) {
    static const Prepared insert{"insert_run", kInsertRun};
    return insert
        .Exec1(tx,
               run.company,
               run.job,
               std::string(ToString(run.trigger)),
               ToMicros(run.scheduled_for),
               run.submit_user,
               run.attempt,
               run.first_run,
               run.holder)[0]
        .as<RunId>();
}

std::optional<RunLaunch> ExecuteRun(pqxx::transaction_base& tx, const ExecuteRequest& request) {
    static const Prepared execute{
        "execute_run",
        SelectLaunchOfCall("", "jobd_execute_run($1, $2, $3, jobd_ts($4), $5, $6, $7, $8)")};
    return LaunchIn(execute.Exec(tx,
                                 request.id,
                                 request.job.company,
                                 request.job.name,
                                 ToMicros(request.asked_at),
                                 request.submit_user,
                                 request.node,
                                 request.worker_free,
                                 request.limits.per_company));
}

CallerExecution ExecuteRunForToken(pqxx::transaction_base& tx,
                                   const std::string& token_digest,
                                   const std::vector<Role>& roles,
                                   const ExecuteRequest& request) {
    static const Prepared execute{
        "execute_for_token",
        SelectLaunchOfCall(", x.next_run_id",
                           "jobd_execute_for_token($1, string_to_array($2, ','), $3, $4, $5, "
                           "jobd_ts($6), $7, $8, $9)")};
    return ExecutionIn(ExecuteForCaller(execute, tx, request, token_digest, RoleList(roles)));
}

CallerExecution ExecuteRunForPassword(pqxx::transaction_base& tx,
                                      const std::string& email,
                                      const std::string& password_hash,
                                      const std::vector<Role>& roles,
                                      const ExecuteRequest& request) {
    static const Prepared execute{
        "execute_for_password",
        SelectLaunchOfCall(", x.next_run_id",
                           "jobd_execute_for_password($1, $2, string_to_array($3, ','), $4, $5, "
                           "$6, jobd_ts($7), $8, $9, $10)")};
    return ExecutionIn(
        ExecuteForCaller(execute, tx, request, email, password_hash, RoleList(roles)));
}

std::vector<RunLaunch> LaunchesOf(pqxx::work& tx, const std::vector<RunId>& ids) {
    if (ids.empty()) {
        return {};
    }
    static const Prepared select{
        "select_launches",
        SelectLaunches("", "runs") +
            " WHERE r.id = ANY (ARRAY(SELECT unnest(string_to_array($1, ',')::bigint[])))"
            " ORDER BY r.id"};
    std::vector<RunLaunch> launches;
    for (const auto& row : select.Exec(tx, IdList(ids))) {
        launches.push_back(ReadLaunchRow(row));
    }
    return launches;
}

std::optional<RunLaunch> ClaimRun(
    pqxx::work& tx, RunId id, const std::string& node, const ClaimLimits& limits, bool resuming) {
    if (resuming) {
        static const std::string resume = SelectLaunches("", "runs") + " WHERE " + kResumeClaim;
        if (auto launch = LaunchIn(tx.exec_params(resume, id, node))) {
            return launch;
        }
    }
    return std::move(ClaimRuns(tx, {id}, node, limits).front());
}

std::map<CompanyId, int> RoomForRuns(pqxx::work& tx,
                                     const std::vector<CompanyId>& companies,
                                     int limit) {
    std::map<CompanyId, int> room;
    if (companies.empty()) {
        return room;
    }
    static const Prepared select{"room_of_companies", kRoomOfCompanies};
    for (const auto& row : select.Exec(tx, IdList(companies), limit)) {
        room[row[0].as<CompanyId>()] = row[1].as<int>();
    }
    return room;
}

std::vector<std::optional<RunLaunch>> ClaimUnlimitedRuns(pqxx::transaction_base& tx,
                                                         const std::vector<RunId>& ids,
                                                         const std::string& node) {
    if (ids.empty()) {
        return {};
    }
    static const Prepared claim{"claim_unlimited", ClaimReturningLaunch(kClaimUnlimited)};
    return LaunchesInOrder(ids, claim.Exec(tx, IdList(ids), node));
}

namespace {

const Prepared kLockClaimsStatement{"lock_claims", kLockClaims};
const Prepared kClaimLockedStatement{"claim_locked", SelectLaunches(kClaimLocked, "claimed")};

}  // namespace

std::vector<std::optional<RunLaunch>> ClaimRuns(pqxx::work& tx,
                                                const std::vector<RunId>& ids,
                                                const std::string& node,
                                                const ClaimLimits& limits) {
    if (ids.empty()) {
        return {};
    }
    const std::string list = IdList(ids);
    kLockClaimsStatement.Exec(tx, list, limits.per_company.has_value());
    return LaunchesInOrder(ids, kClaimLockedStatement.Exec(tx, list, node, limits.per_company));
}

// Both statements in one query message: PostgreSQL runs them in one implicit transaction, each
// with its own snapshot (the claim's taken after the locks), and answers once. As prepared
// statements run by name (EXECUTE) their plans stay cached; the arguments are quoted literals.
std::vector<std::optional<RunLaunch>> ClaimRunsAtOnce(pqxx::nontransaction& tx,
                                                      const std::vector<RunId>& ids,
                                                      const std::string& node,
                                                      const ClaimLimits& limits) {
    if (ids.empty()) {
        return {};
    }
    kLockClaimsStatement.PrepareNow(tx);
    kClaimLockedStatement.PrepareNow(tx);
    const std::string list = tx.quote(IdList(ids));
    const std::string limit =
        limits.per_company ? std::to_string(*limits.per_company) : std::string("NULL");
    return LaunchesInOrder(ids,
                           tx.exec("EXECUTE " + kLockClaimsStatement.name() + "(" + list + ", " +
                                   (limits.per_company ? "true" : "false") + "); EXECUTE " +
                                   kClaimLockedStatement.name() + "(" + list + ", " +
                                   tx.quote(node) + ", " + limit + ")"));
}

std::vector<Run> TakeReleasedRuns(pqxx::work& tx,
                                  const std::string& node,
                                  int limit,
                                  const ClaimLimits& limits) {
    std::vector<Run> runs;
    // Statistics taken while few runs were released make sorting them all look cheaper than
    // reading runs_take_idx in order; with a backlog it is not (pg test
    // TakesFromABacklogOfReleasedRunsReadOnlyWhatTheyTake). Sorting off for this transaction
    // leaves the index the only plan (a take is the whole of its transaction: Engine::Take).
    tx.exec0("SET LOCAL enable_sort = off");
    static const Prepared take{"take_released", kTakeReleased};
    for (const auto& row : take.Exec(tx, node, limit, limits.per_company)) {
        runs.push_back(SelectRun(tx, row[0].as<RunId>()));
    }
    std::sort(runs.begin(), runs.end(), [](const Run& a, const Run& b) {
        return std::pair(a.trigger != Trigger::Execute, a.id) <
               std::pair(b.trigger != Trigger::Execute, b.id);
    });
    return runs;
}

void NotifyRunsReleased(pqxx::work& tx) {
    tx.exec_params(kNotify, kRunsReleasedChannel, "");
}

std::string WorkWantedPayload(const WorkWanted& want) {
    return std::to_string(want.workers) + " " + want.node;
}

std::optional<WorkWanted> ParseWorkWanted(std::string_view payload) {
    WorkWanted want;
    const char* end = payload.data() + payload.size();
    const auto [ptr, ec] = std::from_chars(payload.data(), end, want.workers);
    if (ec != std::errc() || ptr == end || *ptr != ' ' || ptr + 1 == end || want.workers < 1) {
        return std::nullopt;
    }
    want.node.assign(ptr + 1, end);
    return want;
}

void AskForWork(pqxx::work& tx, const WorkWanted& want) {
    tx.exec_params(kNotify, kWorkWantedChannel, WorkWantedPayload(want));
}

void ReleaseRuns(pqxx::work& tx, const std::vector<RunId>& runs, const std::string& node) {
    tx.exec_params0(kReleaseHeld, IdList(runs), node);
    NotifyRunsReleased(tx);
}

void AppendDetails(pqxx::work& tx, RunId id, const std::vector<RunDetail>& details) {
    if (details.empty()) {
        return;
    }
    boost::json::array batch;
    batch.reserve(details.size());
    const auto optional_text = [](const std::string& s) -> boost::json::value {
        return s.empty() ? boost::json::value(nullptr) : boost::json::value(s);
    };
    for (const auto& detail : details) {
        batch.push_back(boost::json::object{
            {"created_at", ToMicros(detail.created_at)},
            {"log_type", detail.log_type},
            {"message", detail.message},
            {"asset_name", optional_text(detail.asset_name)},
            {"asset_type", optional_text(detail.asset_type)},
            {"asset_handle", optional_text(detail.asset_handle)},
            {"own_message",
             detail.own_message ? boost::json::value(MessageToJson(*detail.own_message))
                                : boost::json::value(nullptr)},
        });
    }
    tx.exec_params0(kInsertDetails, id, boost::json::serialize(batch));
}

int AppendDetailsOnce(pqxx::work& tx,
                      RunId id,
                      const std::vector<RunDetail>& details,
                      int committed) {
    const int stored =
        tx.exec_params1("SELECT detail_rows FROM runs WHERE id = $1 FOR UPDATE", id)[0].as<int>();
    const auto done = static_cast<std::size_t>(std::max(0, stored - committed));
    if (done < details.size()) {
        AppendDetails(tx, id, std::vector<RunDetail>(details.begin() + done, details.end()));
    }
    return stored + static_cast<int>(details.size() - std::min(done, details.size()));
}

void UpdateProgress(pqxx::work& tx, RunId id, int progress, const std::string& message) {
    tx.exec_params0(kUpdateProgress, id, progress, message);
}

std::optional<Run> FinishRun(pqxx::work& tx,
                             RunId id,
                             const RunEnd& end,
                             const std::string& node,
                             const ClaimLimits& limits) {
    auto runs = FinishRuns(tx, {{id, end}}, node, limits);
    if (runs.empty()) {
        return std::nullopt;
    }
    return std::move(runs.front());
}

std::vector<Run> FinishRuns(pqxx::transaction_base& tx,
                            const std::vector<RunEnding>& ends,
                            const std::string& node,
                            const ClaimLimits& limits) {
    if (ends.empty()) {
        return {};
    }
    boost::json::array batch;
    batch.reserve(ends.size());
    for (const auto& [id, end] : ends) {
        batch.push_back(boost::json::object{
            {"id", id},
            {"state", ToString(end.state)},
            {"exit_code",
             end.exit_code ? boost::json::value(*end.exit_code) : boost::json::value(nullptr)},
            {"reason", EnglishText(end.reason)},
            {"reason_message",
             end.reason ? boost::json::value(MessageToJson(*end.reason))
                        : boost::json::value(nullptr)},
        });
    }
    static const Prepared statement{"finish_runs",
                                    std::string(kFinishRuns) + kRunColumns +
                                        ", (SELECT count(*) FROM woken)" +
                                        " FROM ended r JOIN jobs j ON j.id = r.job_id"
                                        " LEFT JOIN users u ON u.id = r.submit_user_id"
                                        " ORDER BY r.id"};
    return ReadRuns(statement.Exec(tx,
                                   boost::json::serialize(batch),
                                   node,
                                   kRunsReleasedChannel,
                                   limits.per_company.has_value()));
}

Run RunById(pqxx::transaction_base& tx, RunId id) {
    return SelectRun(tx, id);
}

std::optional<RunId> RetryOf(pqxx::transaction_base& tx, const Run& failed) {
    const auto rows =
        tx.exec_params(kRetryOf, failed.first_run.value_or(failed.id), failed.attempt + 1);
    if (rows.empty()) {
        return std::nullopt;
    }
    return rows[0][0].as<RunId>();
}

StopRequest StopJobRuns(pqxx::work& tx, JobId job, const Message& reason) {
    StopRequest request;
    const auto rows = tx.exec_params(
        kCancelQueued, job, Render(reason, Language::English), MessageToJson(reason));
    for (const auto& row : rows) {
        request.cancelled.push_back(SelectRun(tx, row[0].as<RunId>()));
    }
    for (const auto& row : tx.exec_params(kRunningOfJob, job)) {
        request.running.push_back(row[0].as<RunId>());
    }
    return request;
}

RunId InsertRetry(pqxx::work& tx, const Run& failed, TimePoint due, const std::string& holder) {
    return InsertRun(tx,
                     {failed.job_id,
                      failed.company,
                      Trigger::Retry,
                      due,
                      std::nullopt,
                      failed.attempt + 1,
                      failed.first_run.value_or(failed.id),
                      holder});
}

Recovery RecoverNode(pqxx::work& tx, const std::string& node) {
    Recovery recovery;
    const Message reason(MessageId::RunNodeRestarted, {{"node", node}});
    recovery.lost = ReadLaunches(
        tx,
        tx.exec_params(kMarkLost, node, Render(reason, Language::English), MessageToJson(reason)));
    recovery.queued = ReadRuns(tx.exec_params(SelectRuns(kHeldBy), node));
    return recovery;
}

std::vector<RunLaunch> LoseOrphanedRuns(pqxx::work& tx) {
    std::vector<RunLaunch> lost;
    for (const auto& row : tx.exec(kOrphanNodes)) {
        const auto node = row[0].as<std::string>();
        const Message reason(MessageId::RunNodeLeaseExpired, {{"node", node}});
        auto runs = ReadLaunches(
            tx,
            tx.exec_params(
                kLoseOrphans, node, Render(reason, Language::English), MessageToJson(reason)));
        lost.insert(lost.end(), runs.begin(), runs.end());
    }
    return lost;
}

std::vector<Run> ReleaseOrphanedRuns(pqxx::work& tx, const std::string& self) {
    std::vector<Run> adopted;
    bool released = false;
    for (const auto& row : tx.exec_params(kReleaseOrphans, self)) {
        if (row[1].as<bool>()) {
            adopted.push_back(SelectRun(tx, row[0].as<RunId>()));
        } else {
            released = true;
        }
    }
    if (released) {
        NotifyRunsReleased(tx);
    }
    return adopted;
}

std::vector<Run> QueuedRuns(pqxx::work& tx, TimePoint due_by, const std::string& node) {
    return ReadRuns(tx.exec_params(
        SelectRuns(
            "r.state = 'Queued' AND r.ended_at IS NULL AND (r.holder = $2 OR r.holder IS NULL) AND "
            "(r.trigger <> 'Retry' OR r.scheduled_for <= jobd_ts($1)) ORDER BY r.id"),
        ToMicros(due_by),
        node));
}

std::optional<Run> FindRun(pqxx::work& tx, const RunHandle& handle) {
    const auto rows = tx.exec_params(SelectRuns("r.id = $1 AND r.company_id = $2 AND j.name = $3"),
                                     handle.run,
                                     handle.company,
                                     handle.job_name);
    if (rows.empty()) {
        return std::nullopt;
    }
    return ReadRun(rows[0]);
}

std::optional<Run> LatestRun(pqxx::work& tx, const JobHandle& handle) {
    // The live job of that name first, else the most recently deleted one: history stays readable.
    const auto rows = tx.exec_params(
        SelectRuns("r.company_id = $1 AND j.name = $2 "
                   "ORDER BY j.deleted_at IS NOT NULL, j.id DESC, r.id DESC LIMIT 1"),
        handle.company,
        handle.name);
    if (rows.empty()) {
        return std::nullopt;
    }
    return ReadRun(rows[0]);
}

std::vector<Run> ActiveRuns(pqxx::work& tx, const ActiveRunFilter& filter) {
    return ReadRuns(tx.exec_params(
        SelectRuns(std::string("r.state IN ('Queued', 'Running') AND r.ended_at IS NULL AND ") +
                   kCompanyFilter +
                   " AND ($2::bigint IS NULL OR (r.company_id = $2 AND j.name = $3)) "
                   " AND ($4::text IS NULL OR j.name = $4) "
                   "ORDER BY r.id LIMIT 10000"),
        CompanyList(filter.companies),
        filter.job ? std::optional<CompanyId>(filter.job->company) : std::nullopt,
        filter.job ? std::optional<std::string>(filter.job->name) : std::nullopt,
        filter.name));
}

std::vector<Run> JobLogs(pqxx::work& tx, const JobLogFilter& filter) {
    const auto column = SortColumns().find(filter.sort_column);
    if (column == SortColumns().end()) {
        throw Error(ErrorKind::InvalidParameter,
                    Message(MessageId::NotLogSortField, {{"value", filter.sort_column}}),
                    "sortBy");
    }
    const std::string direction = filter.ascending ? " ASC" : " DESC";
    const bool one_company = filter.companies && filter.companies->size() == 1;
    return ReadRuns(tx.exec_params(
        SelectRuns(std::string(one_company ? kOneCompanyFilter : kCompanyFilter) +
                   " AND ($2::bigint IS NULL OR r.submit_user_id = $2)"
                   " AND ($3::bigint IS NULL OR coalesce(r.started_at, r.queued_at) >= jobd_ts($3))"
                   " AND ($4::bigint IS NULL OR coalesce(r.started_at, r.queued_at) <= jobd_ts($4))"
                   " ORDER BY " +
                   column->second + direction + ", r.id" + direction + " LIMIT $5"),
        CompanyList(filter.companies),
        filter.submit_user,
        Micros(filter.start),
        Micros(filter.end),
        filter.limit));
}

DetailPage RunDetails(pqxx::work& tx, RunId id, const DetailFilter& filter) {
    std::string types;
    for (const auto& type : filter.log_types) {
        types += (types.empty() ? "" : "\x1f") + type;
    }
    const std::optional<std::string> type_list =
        filter.log_types.empty() ? std::nullopt : std::optional<std::string>(types);
    // Unit separator (0x1f) cannot occur in a log type, so it splits the list safely.
    constexpr const char* kTypeFilter =
        "run_id = $1 AND ($2::text IS NULL OR log_type = ANY (string_to_array($2, chr(31))))";
    DetailPage page;
    page.total_rows =
        tx.exec_params1(std::string("SELECT count(*) FROM run_details WHERE ") + kTypeFilter,
                        id,
                        type_list)[0]
            .as<int>();
    const std::string direction = filter.ascending ? " ASC" : " DESC";
    const std::string order =
        filter.sort_by_log_type ? "log_type" + direction + ", id" + direction : "id" + direction;
    const auto rows = tx.exec_params(
        std::string("SELECT jobd_micros(created_at), log_type, message, coalesce(asset_name, ''), "
                    "coalesce(asset_type, ''), coalesce(asset_handle, ''), own_message::text "
                    "FROM run_details WHERE ") +
            kTypeFilter + " ORDER BY " + order + " LIMIT $3 OFFSET $4",
        id,
        type_list,
        filter.per_page,
        static_cast<std::int64_t>(filter.page - 1) * filter.per_page);
    for (const auto& row : rows) {
        page.details.push_back({FromMicros(row[0].as<std::int64_t>()),
                                row[1].as<std::string>(),
                                row[2].as<std::string>(),
                                row[3].as<std::string>(),
                                row[4].as<std::string>(),
                                row[5].as<std::string>(),
                                StoredMessage(row[6])});
    }
    return page;
}

}  // namespace jobd::store
