#pragma once
// Runs (job logs) and their details. Blocking: functions take a store::Pool transaction.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <pqxx/pqxx>

#include "jobd/model/job.hpp"

namespace jobd::store {

struct NewRun {
    JobId job = 0;
    CompanyId company = 0;
    Trigger trigger = Trigger::Execute;
    TimePoint scheduled_for;  // the fire's nominal time; for executeJob the time it was asked
    std::optional<UserId> submit_user;
    int attempt = 0;
    std::optional<RunId> first_run = std::nullopt;  // a retry's original run
    // The node that will start it (it holds the run in its memory queue); nullopt: released,
    // any node with a free worker takes it (TakeReleasedRuns).
    std::optional<std::string> holder = std::nullopt;
};

// Channel a node NOTIFYs when it releases queued runs another node may start (issue #6):
// nodes with a free worker then take them (TakeReleasedRuns). The payload is empty.
inline constexpr const char* kRunsReleasedChannel = "jobd_runs_released";

// NOTIFYs kRunsReleasedChannel (delivered at commit).
void NotifyRunsReleased(pqxx::work& tx);

// Channel a node NOTIFYs when it has free workers and nothing to start (issue #8): a node whose
// workers are all busy releases that many of its queued runs, and keeps its backlog otherwise.
// Payload: WorkWantedPayload.
inline constexpr const char* kWorkWantedChannel = "jobd_work_wanted";

struct WorkWanted {
    std::string node;
    int workers = 0;  // free, at the time of asking

    bool operator==(const WorkWanted&) const = default;
};

// "<workers> <node>"; ParseWorkWanted reads it back (nullopt for anything else).
std::string WorkWantedPayload(const WorkWanted& want);
std::optional<WorkWanted> ParseWorkWanted(std::string_view payload);

// NOTIFYs kWorkWantedChannel (delivered at commit).
void AskForWork(pqxx::work& tx, const WorkWanted& want);

// Inserts the run Queued and returns its id.
RunId InsertRun(pqxx::work& tx, const NewRun& run);

// What a node needs to start a run it claimed.
struct RunLaunch {
    Run run;
    JobSpec job;
};

// What starting each of the runs needs (runs a scheduler pass inserted Running), in id order, in
// one round trip.
std::vector<RunLaunch> LaunchesOf(pqxx::work& tx, const std::vector<RunId>& ids);

// Limits a claim enforces across every node on the database (issue #6).
struct ClaimLimits {
    std::optional<int> per_company;  // workers.per_company_max_concurrent_runs; nullopt: none
};

// How many more runs each of `companies` may start under a per-company limit of `limit`: the
// limit less its runs Running on any node (none below 0). Takes the companies' claim locks for
// the rest of `tx`, in the order ClaimRuns takes them, so the answer holds until `tx` commits the
// runs it allowed.
std::map<CompanyId, int> RoomForRuns(pqxx::work& tx,
                                     const std::vector<CompanyId>& companies,
                                     int limit);

// An executeJob call's run (contract §5), as the caller asked for it.
struct ExecuteRequest {
    std::optional<RunId> id;  // reserved beforehand (FindUserByToken); nullopt: the next one
    JobHandle job;
    TimePoint asked_at;  // the run's scheduled_for
    std::optional<UserId> submit_user;
    std::string node;          // this node: it holds the run, or runs it
    bool worker_free = false;  // a worker of `node` is reserved for the run
    ClaimLimits limits;
};

// Inserts the run of `request.job` if that job is alive and, under overlap Forbid, has no run
// Queued or Running: Running on `node` when a worker is free for it, its job does not queue its
// runs (overlap Queue) and its company has room under the limits, else Queued and held by
// `node`. Returns the run with what starting it needs; nullopt when nothing was inserted (the
// caller finds out why). One statement (jobd_execute_run, migration 0011): without a transaction
// it commits by itself, one round trip (issue #8).
std::optional<RunLaunch> ExecuteRun(pqxx::transaction_base& tx, const ExecuteRequest& request);

// executeJob by an API token in one statement (migrations 0012, 0014): the token's user, its
// right to call executeJob in the company (a global IpsAdmin, or a membership with one of
// `roles`), then ExecuteRun's statement under request.id, reserved before (never nullopt here: a
// statement whose answer is lost is resumed by it). No launch when any of them found nothing:
// the caller looks for the fault the usual way. next_run: an id reserved in the same statement
// for the next call, returned with a launch.
struct CallerExecution {
    std::optional<RunLaunch> launch;
    std::optional<RunId> next_run;
};

CallerExecution ExecuteRunForToken(pqxx::transaction_base& tx,
                                   const std::string& token_digest,
                                   const std::vector<Role>& roles,
                                   const ExecuteRequest& request);

// The same for the user with `email` (matched as FindUserByEmail does) whose password was
// verified against `password_hash`: no launch either when that is no longer the user's hash.
CallerExecution ExecuteRunForPassword(pqxx::transaction_base& tx,
                                      const std::string& email,
                                      const std::string& password_hash,
                                      const std::vector<Role>& roles,
                                      const ExecuteRequest& request);

// Queued -> Running on `node`; nullopt when the run is no longer Queued (another node took it,
// or it was stopped), when `node` has no lease (its row is gone: declared lost), or when
// starting it would break a limit: its company has `limits.per_company` runs Running on any
// node, or its job (overlap Queue) has a run Running. A run refused for a limit is released
// (holder NULL) and taken again when a run of its company ends (FinishRun's notification).
// The state check in the UPDATE makes a claim happen once. `resuming`: this claim repeats one
// whose commit was in doubt, so a run already Running on `node` is its own.
std::optional<RunLaunch> ClaimRun(pqxx::work& tx,
                                  RunId id,
                                  const std::string& node,
                                  const ClaimLimits& limits,
                                  bool resuming = false);

// ClaimRun (not resuming) of a batch of runs with no company limit configured, in one statement
// (so it needs no transaction of its own: issue #8); runs of overlap Queue jobs are left Queued
// (nullopt): ClaimRuns claims them under their job's lock. The claims in the order of `ids`.
std::vector<std::optional<RunLaunch>> ClaimUnlimitedRuns(pqxx::transaction_base& tx,
                                                         const std::vector<RunId>& ids,
                                                         const std::string& node);

// ClaimRun (not resuming) of a batch of runs in one transaction and two statements: the locks
// of the limits to check, then the claims (issue #8). The claims in the order of `ids`.
std::vector<std::optional<RunLaunch>> ClaimRuns(pqxx::work& tx,
                                                const std::vector<RunId>& ids,
                                                const std::string& node,
                                                const ClaimLimits& limits);

// The same without a transaction of jobd's: the two statements go in one round trip and commit
// together by themselves (instead of BEGIN, the locks, the claims, COMMIT).
std::vector<std::optional<RunLaunch>> ClaimRunsAtOnce(pqxx::nontransaction& tx,
                                                      const std::vector<RunId>& ids,
                                                      const std::string& node,
                                                      const ClaimLimits& limits);

// Up to `limit` released Queued runs (holder NULL; retries only once due), executeJob's first,
// then oldest first, now held by `node`; runs the limits would refuse at once are left alone.
// FOR UPDATE SKIP LOCKED: two nodes never take the same run. Turns enable_sort off for the rest
// of `tx` (SET LOCAL).
std::vector<Run> TakeReleasedRuns(pqxx::work& tx,
                                  const std::string& node,
                                  int limit,
                                  const ClaimLimits& limits);

// Gives up `node`'s hold on these Queued runs (it has no free worker) and NOTIFYs
// kRunsReleasedChannel so that nodes with one take them.
void ReleaseRuns(pqxx::work& tx, const std::vector<RunId>& runs, const std::string& node);

void AppendDetails(pqxx::work& tx, RunId id, const std::vector<RunDetail>& details);

// Appends the details a run's writer has not had committed yet, when `details` starts with the
// run's details after the first `committed` ones: a batch whose commit was in doubt and is sent
// again (with what came since) is not written twice. Returns the run's detail count now, the
// writer's next `committed`. Locks the run's row.
int AppendDetailsOnce(pqxx::work& tx,
                      RunId id,
                      const std::vector<RunDetail>& details,
                      int committed);

void UpdateProgress(pqxx::work& tx, RunId id, int progress, const std::string& message);

struct RunEnd {
    RunState state = RunState::Succeeded;
    std::optional<int> exit_code;
    std::optional<Message> reason;  // none for a clean exit
};

// Running on `node` -> finished: the reason is stored in English and as its message (RunDetail
// and Run carry both, see model/job.hpp). Returns the run as stored, or nullopt when it is not
// Running on `node` any more: the node was declared lost meanwhile and the run is Lost (fencing,
// issue #6). NOTIFYs kRunsReleasedChannel when released runs of its company wait and may have been
// refused for a limit, which may let them start now: `limits` has a company limit, or the run's
// job is overlap Queue.
std::optional<Run> FinishRun(pqxx::work& tx,
                             RunId id,
                             const RunEnd& end,
                             const std::string& node,
                             const ClaimLimits& limits);

struct RunEnding {
    RunId id = 0;
    RunEnd end;
};

// FinishRun for many runs in one statement (the engine records the runs that ended meanwhile
// together: one commit for all). Returns the runs it finished, by id; a run not Running on `node`
// (fenced off, or ended already by an earlier attempt of the same batch) is left alone and
// missing from the result, without failing the others. One statement: it needs no transaction.
std::vector<Run> FinishRuns(pqxx::transaction_base& tx,
                            const std::vector<RunEnding>& ends,
                            const std::string& node,
                            const ClaimLimits& limits);

// The run as stored now. Throws pqxx::unexpected_rows when there is no such run.
Run RunById(pqxx::transaction_base& tx, RunId id);

// The retry InsertRetry made for `failed`, if any.
std::optional<RunId> RetryOf(pqxx::transaction_base& tx, const Run& failed);

// The next attempt of a failed or lost run (trigger Retry), due at `due` and held by `holder`;
// its attempt number and first run link it to the original.
RunId InsertRetry(pqxx::work& tx, const Run& failed, TimePoint due, const std::string& holder);

// stopJob / deleteJob: the job's queued runs end Stopped before they start (returned as stored,
// for their outcome lines), and the ids of its Running runs, for the engine to stop.
struct StopRequest {
    std::vector<Run> cancelled;
    std::vector<RunId> running;
};

StopRequest StopJobRuns(pqxx::work& tx, JobId job, const Message& reason);

// Start-up of `node`, or its return after it was declared lost: its runs left Running (by a
// previous life, or marked Lost meanwhile by another node) become Lost; returns those it marked
// and the runs it still holds Queued (committed but never started, or retries not yet due),
// oldest first. Released runs are not included: the node takes them as it has free workers.
struct Recovery {
    std::vector<RunLaunch> lost;
    std::vector<Run> queued;
};

Recovery RecoverNode(pqxx::work& tx, const std::string& node);

// The reaper's part (issue #6): Running runs whose node has no row any more (ExpireNodes deleted
// it, or it was deleted while the claim committed) become Lost; returns them.
std::vector<RunLaunch> LoseOrphanedRuns(pqxx::work& tx);

// Queued runs held by a node that has no row any more: retries not yet due become held by `self`
// (returned: it arms them), the others are released and kRunsReleasedChannel is NOTIFYed.
std::vector<Run> ReleaseOrphanedRuns(pqxx::work& tx, const std::string& self);

// The Queued runs held by `node` or released (holder NULL) that may start by `due_by` (retries
// not due yet are left out), oldest first: what a scheduler pass of `node` whose commit was in
// doubt may have queued. Runs other nodes hold are theirs to start (or release).
std::vector<Run> QueuedRuns(pqxx::work& tx, TimePoint due_by, const std::string& node);

std::optional<Run> FindRun(pqxx::work& tx, const RunHandle& handle);

std::optional<Run> LatestRun(pqxx::work& tx, const JobHandle& handle);

struct ActiveRunFilter {
    std::optional<std::vector<CompanyId>> companies;  // nullopt: all (IpsAdmin)
    std::optional<JobHandle> job;
    std::optional<std::string> name;  // the job's name, in any of the companies
};

std::vector<Run> ActiveRuns(pqxx::work& tx, const ActiveRunFilter& filter);

struct JobLogFilter {
    std::optional<std::vector<CompanyId>> companies;  // nullopt: all (IpsAdmin)
    std::optional<UserId> submit_user;
    std::string sort_column = "StartDate";  // an IPS Job Log Sort Field
    bool ascending = false;
    std::optional<TimePoint> start;  // on the run's start (queued time for runs not started)
    std::optional<TimePoint> end;
    int limit = 100;
};

std::vector<Run> JobLogs(pqxx::work& tx, const JobLogFilter& filter);

struct DetailFilter {
    std::vector<std::string> log_types;  // empty: all
    bool sort_by_log_type = false;
    bool ascending = true;
    int per_page = 1000;
    int page = 1;
};

struct DetailPage {
    int total_rows = 0;
    std::vector<RunDetail> details;
};

DetailPage RunDetails(pqxx::work& tx, RunId id, const DetailFilter& filter);

}  // namespace jobd::store
