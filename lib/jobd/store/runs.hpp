#pragma once
// Runs (job logs) and their details. Blocking: functions take a store::Pool transaction.

#include <optional>
#include <string>
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
    std::optional<RunId> first_run;  // a retry's original run
    // executeJob on a node with a worker reserved for it: the run is inserted claimed (Running
    // on this node, started now) instead of Queued, saving the claim's own transaction.
    std::optional<std::string> running_on = std::nullopt;
};

// Inserts the run (Queued, or Running on `running_on`) and returns its id.
RunId InsertRun(pqxx::work& tx, const NewRun& run);

// What a node needs to start a run it claimed.
struct RunLaunch {
    Run run;
    JobSpec job;
};

// Queued -> Running on `node`; nullopt when the run is no longer Queued (another node took it,
// or it was stopped). The state check in the UPDATE makes a claim happen once.
std::optional<RunLaunch> ClaimRun(pqxx::work& tx, RunId id, const std::string& node);

// What starting the run needs, read in its transaction (a run just inserted Running).
RunLaunch ReadLaunch(pqxx::work& tx, RunId id);

void AppendDetails(pqxx::work& tx, RunId id, const std::vector<RunDetail>& details);

void UpdateProgress(pqxx::work& tx, RunId id, int progress, const std::string& message);

struct RunEnd {
    RunState state = RunState::Succeeded;
    std::optional<int> exit_code;
    std::optional<Message> reason;  // none for a clean exit
};

// Running -> finished: the reason is stored in English and as its message (RunDetail and Run
// carry both, see model/job.hpp). Returns the run as stored.
Run FinishRun(pqxx::work& tx, RunId id, const RunEnd& end);

// The next attempt of a failed run (trigger Retry), due at `due`; its attempt number and first
// run link it to the original.
RunId InsertRetry(pqxx::work& tx, const Run& failed, TimePoint due);

// stopJob / deleteJob: the job's queued runs end Stopped before they start (returned), and the
// ids of its Running runs, for the engine to stop.
struct StopRequest {
    std::vector<RunId> cancelled;
    std::vector<RunId> running;
};

StopRequest StopJobRuns(pqxx::work& tx, JobId job, const Message& reason);

// Start-up of `node`: its runs left Running by a previous life become Lost; returns the runs
// still Queued (committed but never started, or retries not yet due), oldest first.
struct Recovery {
    std::vector<Run> lost;
    std::vector<Run> queued;
};

Recovery RecoverNode(pqxx::work& tx, const std::string& node);

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
