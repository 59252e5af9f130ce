#pragma once
// The Asio core that runs runs (contract §7, §9): a run queue in front of a worker pool of
// workers.max_concurrent_runs, each run a supervised child process.
//
// Threads: every member runs on `strand_` (an io_context strand); the public methods may be
// called from any thread and post there. Database work goes to store::Pool and resumes on the
// strand; child processes are waited for asynchronously: nothing here blocks the io thread.
// Ownership: the daemon owns the Engine and keeps it alive until Drain() has completed.

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "jobd/engine/group_commit.hpp"
#include "jobd/engine/launch.hpp"
#include "jobd/engine/queued_run.hpp"
#include "jobd/log/outcome_log.hpp"
#include "jobd/model/job.hpp"
#include "jobd/store/runs.hpp"

namespace jobd::store {
class Pool;
}

namespace jobd::metrics {
class Metrics;
}

namespace jobd::engine {

struct EngineSettings {
    std::string node;
    int max_concurrent_runs = 1;
    std::optional<int> per_company_max_concurrent_runs;  // unset: no tenant limit
    std::chrono::milliseconds misfire_grace = std::chrono::seconds(60);
    std::size_t output_limit_bytes = 1024 * 1024;
    // runs.lease: heartbeats every lease/3; other nodes declare this one lost after a lease.
    std::chrono::milliseconds lease = std::chrono::seconds(30);
    LaunchSettings launch;
};

EngineSettings SettingsFrom(const config::Config& config);

// Counters for /metrics and /healthz; read on the strand.
struct EngineStats {
    std::size_t queued = 0;
    std::size_t running = 0;  // runs holding a worker: claiming or running their process
    bool scheduling = false;  // the scheduler loop runs (not stopped by an error or SIGTERM)
};

class Engine {
public:
    Engine(boost::asio::any_io_executor io,
           store::Pool& db,
           const log::OutcomeLog& outcomes,
           metrics::Metrics& metrics,
           EngineSettings settings);
    ~Engine();

    Engine(const Engine&) = delete;
    Engine& operator=(const Engine&) = delete;

    // Registers the node, marks runs a previous life left Running as Lost (retrying them where
    // the job allows), queues the runs it still holds, then heartbeats its lease (issue #6):
    // every runs.lease/3 one transaction renews it and reaps nodes silent past their lease.
    // Call once, before Enqueue.
    boost::asio::awaitable<void> Start();

    // Queues a committed run this node holds; `front`: executeJob overtakes scheduled runs
    // (contract §5). With no free worker, queued runs are released to the other nodes.
    // `requested_at`: when executeJob was called, for jobd_execute_latency_seconds.
    void Enqueue(QueuedRun run,
                 bool front,
                 std::optional<std::chrono::steady_clock::time_point> requested_at = {});

    // executeJob, any thread: takes a free worker for a run the caller will insert already
    // claimed (Running on this node), which then starts without a claim transaction of its own:
    // one commit between the call and the process instead of two. False when every worker is
    // busy or the engine drains. Each true is followed by exactly one StartClaimed or
    // ReleaseWorker.
    bool ReserveWorker();
    void ReleaseWorker();

    // A run an API call may have committed (its COMMIT in doubt), Queued or Running on this node
    // without a process: queued ahead, and its claim accepts it Running on this node. A run
    // whose row was not committed is found by no claim and dropped.
    void EnqueueInDoubt(QueuedRun run);

    // Starts, on the worker ReserveWorker took, a run committed Running on this node.
    void StartClaimed(store::RunLaunch launch,
                      std::optional<std::chrono::steady_clock::time_point> requested_at);

    // Some node released queued runs (from JobChangeWatch): take them while workers are free.
    void RunsReleased();

    // A node has free workers and nothing to start (from JobChangeWatch; this node's own asks
    // are ignored): while all of this node's workers are busy, as many of its queued runs are
    // released for it (issue #8). The latest ask of each node counts until runs are released.
    void WorkWanted(store::WorkWanted want);

    // The JobChangeWatch (re)connected: what was announced meanwhile went unheard, an ask for
    // work among it. The nodes are told to look again (a NOTIFY on store::kRunsReleasedChannel),
    // so that idle ones ask again, a newcomer's peers included.
    void Listening();

    // A job now fires at `next_fire` (a change this node made, or from JobChangeWatch: another
    // node's); the scheduler looks again then, unless it already would by that time. nullopt:
    // look again now.
    void WakeAt(std::optional<TimePoint> next_fire);

    // A job change this node committed, or may have (its commit in doubt), after which the job
    // fires at `next_fire`: the scheduler looks again then (WakeAt), and the other nodes are told,
    // after the commit, many changes in one notification (store::AnnounceJobChanges). The node's
    // own sessions send none (migration 0015), so that its commits do not take turns on NOTIFY's
    // lock.
    void JobChanged(TimePoint next_fire);

    // Runs a committed stopJob / deleteJob ended Stopped while Queued: one outcome line each and
    // the finished-runs metric (contract §9), like runs that ended here.
    void RecordCancelled(std::vector<Run> runs);

    // Asks the run's process group to stop (SIGTERM, SIGKILL after runs.stop_grace); the run
    // ends Stopped. No effect on a run this node is not running.
    void Stop(RunId run);

    // SIGTERM (contract §9): start nothing more; running runs get runs.stop_grace to finish,
    // then are stopped. Once no run is left (their ends committed), the node releases the runs
    // it holds to the other nodes and deletes its lease row (one attempt: a database that is
    // down leaves them to the reaper, after runs.lease). Completes then.
    boost::asio::awaitable<void> Drain();

    // SIGHUP: new limits and handlers for runs started from now on.
    void Reload(EngineSettings settings);

    boost::asio::awaitable<EngineStats> Stats();

private:
    class Supervisor;
    struct Finished;
    struct EndRecord;
    struct ClaimRequest;

    // A run this node has taken from the queue: claiming it, then running it.
    struct Active {
        CompanyId company = 0;
        JobId job = 0;
        bool one_at_a_time = false;                                         // overlap Queue
        std::optional<std::chrono::steady_clock::time_point> requested_at;  // executeJob
        std::shared_ptr<Supervisor> supervisor;  // null while the claim is in flight
        // Stop() or Drain() asked while the claim was in flight: stopped as soon as it starts.
        bool stop_requested = false;
        // The process has ended and its worker serves the next run while the end is committed;
        // the run still counts for its company and job (limits, overlap Queue) until then.
        bool worker_freed = false;
    };

    // A run marked Lost in a transaction of this node, with the retry inserted for it.
    struct LostRun {
        Run run;
        std::optional<QueuedRun> retry;
        TimePoint retry_due;
    };

    // What one heartbeat transaction did.
    struct LeaseRenewal {
        bool fenced = false;    // this node's row was gone: it had been declared lost
        std::vector<Run> held;  // fenced: the Queued runs it holds after registering again
        std::vector<std::string> expired;  // nodes this one declared lost
        std::vector<LostRun> lost;
        std::vector<Run> adopted;  // retries of lost nodes, not yet due, now held here
        bool peers = true;         // other nodes hold a lease
    };

    static std::vector<LostRun> RetryLost(pqxx::work& tx,
                                          const std::vector<store::RunLaunch>& lost,
                                          const std::string& node);
    void OnLost(const std::vector<LostRun>& lost);
    void QueueHeld(const std::vector<Run>& held);
    boost::asio::awaitable<void> HeartbeatLoop();
    boost::asio::awaitable<void> RenewLease();
    void Fence(const std::vector<Run>& held);
    // The end of a drain: hands this node's queued runs to the others and gives up its lease.
    boost::asio::awaitable<void> LeaveCluster();
    // With no free worker: releases as many queued runs as other nodes asked for.
    void ReleaseQueued();
    boost::asio::awaitable<void> Release(std::vector<QueuedRun> runs);
    // With a free worker and released runs about: takes some.
    void TakeReleased();
    boost::asio::awaitable<void> Take(int count, std::uint64_t generation);
    // With a free worker and nothing to start: takes released runs, or asks the other nodes for
    // work, once until this node is full again or runs are released.
    void SeekWork();
    boost::asio::awaitable<void> AskForWork(int workers);
    boost::asio::awaitable<void> RollCall();
    boost::asio::awaitable<void> CountPeers();
    boost::asio::awaitable<void> Announce();
    void KeepUnannounced(TimePoint next_fire);  // merged into unannounced_
    void SpawnBackground(boost::asio::awaitable<void> work, const char* what);
    bool HasFreeWorker() const;
    void StopActive(Active& active);
    void Pump();
    // A worker for a run: counted in workers_busy_ until OnRunDone. Any thread.
    bool TakeWorker();
    // Adds the run to active_ and supervises it; `launch`: already claimed.
    void Activate(QueuedRun run,
                  std::optional<std::chrono::steady_clock::time_point> requested_at,
                  std::optional<store::RunLaunch> launch,
                  bool stop_at_once);
    // Queues a run found Queued in the database unless this node already has it.
    void Adopt(QueuedRun run);
    std::optional<QueuedRun> TakeNext();
    // The run's process has ended: its worker is free for the next run (contract §4: a
    // worker is a run executing), before the end's commit.
    void FreeWorker(RunId run);
    void OnRunDone(RunId run);
    // Queues a retry when it is due; a pending retry stays Queued in the database meanwhile.
    void EnqueueAt(QueuedRun run, TimePoint due);
    bool Idle() const;
    // One line in the company's outcome file (contract §9) and the finished-runs metric; returns
    // the run's duration.
    std::chrono::milliseconds AppendOutcome(const Run& run) const;
    // jobd_execute_latency_seconds and jobd_fire_lateness_seconds, once the process started.
    void RecordStart(RunId id, const Run& run, const exec::ChildProcess& child) const;
    boost::asio::awaitable<void> ScheduleLoop();
    int ReserveForFires();
    boost::asio::awaitable<void> SleepUntilWake();
    boost::asio::awaitable<void> Supervise(RunId run, std::optional<store::RunLaunch> launch);
    boost::asio::awaitable<void> Follow(RunId run, std::shared_ptr<Supervisor> supervisor);
    boost::asio::awaitable<void> Flush(RunId run, std::shared_ptr<Supervisor> supervisor);
    boost::asio::awaitable<void> Finish(store::RunLaunch launch,
                                        std::shared_ptr<Supervisor> supervisor);
    // Claims and ends of runs go to the database in batches (claims_, ends_: group commit).
    static std::vector<std::optional<store::RunLaunch>> ClaimRuns(
        pqxx::work& tx,
        const std::vector<ClaimRequest>& requests,
        const std::string& node,
        const store::ClaimLimits& limits,
        bool repeated);
    static std::vector<Finished> RecordEnds(pqxx::work& tx,
                                            const std::vector<EndRecord>& records,
                                            const std::string& node,
                                            const store::ClaimLimits& limits);
    static std::vector<Finished> EndRuns(pqxx::transaction_base& tx,
                                         const std::vector<EndRecord>& records,
                                         const std::string& node,
                                         const store::ClaimLimits& limits);
    boost::asio::awaitable<std::vector<std::optional<store::RunLaunch>>> CommitClaims(
        std::vector<ClaimRequest> requests);
    boost::asio::awaitable<std::vector<Finished>> CommitEnds(std::vector<EndRecord> records);

    template <typename Fn>
    using PersistResult =
        typename std::conditional_t<std::is_invocable_v<Fn&, pqxx::nontransaction&>,
                                    std::invoke_result<Fn&, pqxx::nontransaction&>,
                                    std::invoke_result<Fn&, pqxx::work&>>::type;

    // Runs fn on the pool, retrying with backoff while the database is unavailable: a run's
    // claim and end must not be dropped (contract §9). fn takes a pqxx::work, or a
    // pqxx::nontransaction to run without a transaction (store::Pool::RunAutocommit).
    template <typename Fn>
    auto Persist(Fn fn) -> boost::asio::awaitable<PersistResult<Fn>>;

    // Engine strand only.
    boost::asio::strand<boost::asio::any_io_executor> strand_;
    store::Pool& db_;
    const log::OutcomeLog& outcomes_;
    metrics::Metrics& metrics_;  // thread-safe itself
    EngineSettings settings_;
    std::deque<QueuedRun> queue_;
    std::map<RunId, Active> active_;
    std::map<RunId, std::chrono::steady_clock::time_point> requested_at_;  // queued executeJob runs
    std::map<CompanyId, int> company_active_;  // workers.per_company_max_concurrent_runs
    std::map<JobId, int> job_active_;          // overlap Queue
    std::map<RunId, std::unique_ptr<boost::asio::steady_timer>> pending_retries_;
    std::set<RunId> resume_claims_;  // EnqueueInDoubt: claims that accept Running on this node
    bool draining_ = false;
    // Workers taken (active_ plus reservations) and their limit, shared with ReserveWorker's
    // callers; the limit follows settings_.max_concurrent_runs, and is 0 once draining.
    std::atomic<int> workers_busy_{0};
    std::atomic<int> workers_max_;
    bool scheduling_ = false;     // ScheduleLoop is running
    int reserved_for_fires_ = 0;  // workers a scheduler pass in flight holds (ReserveForFires)
    int background_ = 0;          // heartbeat, release and take coroutines running
    // Released runs may wait for a node (set by a notification or at start, cleared when a take
    // finds fewer than it asked for and no notification came meanwhile).
    bool maybe_released_ = true;
    std::uint64_t released_generation_ = 0;  // notifications so far
    bool taking_ = false;                    // a Take is in flight
    int renewals_in_a_row_ = 0;              // lease renewals since the last failed one
    // Another node may be alive to take a backlog this node releases (ReleaseQueued): counted at
    // start and every lease renewal, and again when a notification comes while alone (a node
    // joining sends one), so a newcomer gets the backlog at once.
    bool peers_ = true;
    bool counting_peers_ = false;  // a CountPeers is in flight
    // Free workers other nodes asked for (WorkWanted), by node; spent by ReleaseQueued. Without
    // an ask the backlog stays here: releasing it only for this node to take it back would cost
    // two commits a run (issue #8).
    std::map<std::string, int> work_wanted_;
    bool asked_for_work_ = false;  // since this node was last full, or runs were last released
    // The earliest next fire of the job changes not announced yet (JobChanged), and whether an
    // announcement is in flight.
    std::optional<TimePoint> unannounced_;
    bool announcing_ = false;
    boost::asio::steady_timer idle_;  // cancelled when the last run ends (Drain waits on it)
    boost::asio::steady_timer scheduler_wake_;  // until wake_at_; cancelled when it moves
    TimePoint wake_at_ = TimePoint::min();      // when the scheduler looks for due fires next
    boost::asio::steady_timer heartbeat_;       // until the next lease renewal
    std::unique_ptr<GroupCommit<ClaimRequest, std::optional<store::RunLaunch>>> claims_;
    std::unique_ptr<GroupCommit<EndRecord, Finished>> ends_;
};

}  // namespace jobd::engine
