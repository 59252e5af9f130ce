#include "jobd/engine/engine.hpp"

#include <algorithm>
#include <map>
#include <random>
#include <tuple>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include "jobd/engine/fire_due.hpp"
#include "jobd/engine/group_commit.hpp"
#include "jobd/engine/retry.hpp"
#include "jobd/engine/run_output.hpp"
#include "jobd/log/logger.hpp"
#include "jobd/metrics/metrics.hpp"
#include "jobd/model/error.hpp"
#include "jobd/schedule/schedule.hpp"
#include "jobd/store/job_changes.hpp"
#include "jobd/store/nodes.hpp"
#include "jobd/store/pool.hpp"
#include "jobd/store/runs.hpp"

namespace jobd::engine {
namespace {

namespace asio = boost::asio;
using asio::use_awaitable;

// Claims, and ends, of runs committed in one transaction at most (a longer backlog takes
// several, back to back).
constexpr std::size_t kBatchMax = 128;

// Output is written to the database in batches this often while a run goes on, so
// getJobLogDetails and progress stay fresh without a write per line.
constexpr auto kFlushInterval = std::chrono::milliseconds(250);
// Backoff while the database is unreachable at a run's end (contract §9: nothing is lost).
constexpr auto kRetryFirst = std::chrono::milliseconds(200);
constexpr auto kRetryMax = std::chrono::seconds(5);
// Due jobs claimed per transaction; a full batch is followed at once by the next.
constexpr int kFireBatch = 500;
constexpr auto kSchedulerRetry = std::chrono::seconds(1);
// A due job whose row another transaction holds (another node firing it, an API call on it):
// look again this soon, as that transaction may roll back, which announces nothing.
constexpr auto kLockedRetry = std::chrono::milliseconds(250);
// Lease renewals in a row (one every lease/3) before a node declares others lost: a whole lease.
constexpr int kRenewalsBeforeReaping = 3;
// The longest single timer wait: the timer runs on the steady clock while fires are wall-clock
// instants, so a long wait is cut to notice a stepped system clock. No database work.
constexpr auto kMaxTimerWait = std::chrono::seconds(30);

// When the scheduler must look again after a batch fired at `now` (nullopt: only on a change).
std::optional<TimePoint> NextScan(const FiredBatch& batch, TimePoint now) {
    if (batch.jobs == 0 && batch.next_due && *batch.next_due <= now) {
        return now + kLockedRetry;
    }
    return batch.next_due;  // at or before now after a batch: at once (catching up, full batch)
}

TimePoint Now() {
    return std::chrono::time_point_cast<std::chrono::microseconds>(
        std::chrono::system_clock::now());
}

spdlog::logger& Log() {
    return log::Get(log::Subsystem::Engine);
}

std::string ScheduledAt(const Run& run, const std::string& zone_name) {
    const auto* zone = schedule::FindZone(zone_name);
    const auto at = std::chrono::time_point_cast<std::chrono::milliseconds>(run.scheduled_for);
    return zone != nullptr ? schedule::FormatWithOffset(at, *zone) : FormatUtc(run.scheduled_for);
}

// How a finished process becomes a run's end state (contract §7), its reason a message (stored
// with its English text, shown in each reader's language). `failure` replaces exec's text for a
// SpawnFailed outcome jobd made itself (a job it could not launch, a process it lost track of).
store::RunEnd EndOf(const exec::Outcome& outcome, const std::optional<Message>& failure) {
    switch (outcome.ending) {
        case exec::Ending::Exited:
            return {outcome.exit_code == 0 ? RunState::Succeeded : RunState::Failed,
                    outcome.exit_code,
                    outcome.exit_code == 0
                        ? std::nullopt
                        : std::optional(Message(MessageId::RunExited,
                                                {{"code", std::to_string(outcome.exit_code)}}))};
        case exec::Ending::Signaled:
            return {RunState::Failed,
                    128 + outcome.signal,
                    Message(MessageId::RunKilledBySignal,
                            {{"signal", std::to_string(outcome.signal)}})};
        case exec::Ending::TimedOut:
            return {RunState::TimedOut, std::nullopt, Message(MessageId::RunTimedOut)};
        case exec::Ending::Stopped:
            return {RunState::Stopped, std::nullopt, Message(MessageId::RunStopped)};
        case exec::Ending::SpawnFailed:
            return {
                RunState::Failed,
                std::nullopt,
                failure.value_or(Message(MessageId::RunSpawnFailed, {{"problem", outcome.error}}))};
    }
    std::abort();  // unreachable: every ending returns above
}

// Why a run's command could not be built (no handler, an unusable payload), as a message.
Message NotLaunched(const Error& error) {
    if (error.field().empty()) {
        return Message(MessageId::RunSpawnFailed).With("problem", error.message());
    }
    return Message(MessageId::RunNotLaunched, {{"field", error.field()}})
        .With("problem", error.message());
}

// Active runs per key; absent keys are 0 (and stay absent: the maps only hold busy keys).
int CountOf(const std::map<std::int64_t, int>& counts, std::int64_t key) {
    const auto it = counts.find(key);
    return it == counts.end() ? 0 : it->second;
}

// Spreads retries of runs that failed together (RetryDelay takes it in [-0.2, 0.2]).
double Jitter() {
    thread_local std::mt19937 generator{std::random_device{}()};
    return std::uniform_real_distribution<double>(-0.2, 0.2)(generator);
}

}  // namespace

EngineSettings SettingsFrom(const config::Config& config) {
    EngineSettings settings;
    settings.node = config.node.name;
    settings.max_concurrent_runs = config.workers.max_concurrent_runs;
    settings.per_company_max_concurrent_runs = config.workers.per_company_max_concurrent_runs;
    settings.misfire_grace = config.scheduler.misfire_grace;
    settings.output_limit_bytes = config.runs.output_limit_bytes;
    settings.lease = std::chrono::duration_cast<std::chrono::milliseconds>(config.runs.lease);
    settings.launch.handlers = config.handlers;
    settings.launch.default_timeout = config.runs.default_timeout;
    settings.launch.stop_grace = config.runs.stop_grace;
    return settings;
}

// One run in progress: its process, its buffered output, and the wake-up for the flush loop.
class Engine::Supervisor {
public:
    Supervisor(asio::any_io_executor executor, std::size_t output_limit)
        : output(output_limit), wake(executor) {}

    // Moves the output gathered since the last write to `unsaved`; returns new progress.
    std::optional<Progress> TakePending() {
        auto details = output.TakeDetails();
        unsaved.insert(unsaved.end(),
                       std::make_move_iterator(details.begin()),
                       std::make_move_iterator(details.end()));
        return output.TakeProgress();
    }

    RunOutput output;
    std::vector<RunDetail> unsaved;  // taken from output, not yet committed
    int committed = 0;               // details known committed (store::AppendDetailsOnce)
    std::shared_ptr<exec::ChildProcess> child;
    std::optional<exec::Outcome> outcome;
    std::optional<Message> failure;  // for a SpawnFailed outcome jobd made: why, as a message
    asio::steady_timer wake;
};

// What a run's final transaction committed (Engine::Finish).
struct Engine::Finished {
    Run run;
    std::optional<RunId> retry;
    bool ended_elsewhere = false;  // not this node's end: nothing more to report
};

// What a run's end writes: its last output, its end, and its retry when the job asks for one.
struct Engine::EndRecord {
    RunId id = 0;
    std::vector<RunDetail> details;  // not committed yet, after the first `committed`
    int committed = 0;
    std::optional<Progress> progress;
    store::RunEnd end;
    std::optional<TimePoint> retry_due;
};

struct Engine::ClaimRequest {
    RunId id = 0;
    bool resuming = false;       // EnqueueInDoubt: its run may be Running on this node already
    bool one_at_a_time = false;  // overlap Queue: claimed under its job's lock
};

// The ends of a batch in one transaction. Each run's end commits with its retry: a failed run is
// never left without the retry its job asks for. Repeated after a commit in doubt, it finds the
// runs ended by its first attempt and writes nothing twice (details, end, retry).
std::vector<Engine::Finished> Engine::RecordEnds(pqxx::work& tx,
                                                 const std::vector<EndRecord>& records,
                                                 const std::string& node,
                                                 const store::ClaimLimits& limits) {
    for (const EndRecord& record : records) {
        if (!record.details.empty()) {
            store::AppendDetailsOnce(tx, record.id, record.details, record.committed);
        }
        if (record.progress) {
            store::UpdateProgress(
                tx, record.id, record.progress->percent, record.progress->message);
        }
    }
    auto finished = EndRuns(tx, records, node, limits);
    for (std::size_t i = 0; i < records.size(); ++i) {
        // Not ended elsewhere, nor with its retry by an attempt in doubt: ended now.
        if (records[i].retry_due && !finished[i].ended_elsewhere && !finished[i].retry) {
            finished[i].retry =
                store::InsertRetry(tx, finished[i].run, *records[i].retry_due, node);
        }
    }
    return finished;
}

// The runs' ends in one statement (then a look at each run it did not end), and what each
// committed, without the retries of the runs ended now (RecordEnds writes those).
std::vector<Engine::Finished> Engine::EndRuns(pqxx::transaction_base& tx,
                                              const std::vector<EndRecord>& records,
                                              const std::string& node,
                                              const store::ClaimLimits& limits) {
    std::vector<store::RunEnding> endings;
    endings.reserve(records.size());
    for (const EndRecord& record : records) {
        endings.push_back({record.id, record.end});
    }
    std::map<RunId, Run> ended;
    for (Run& run : store::FinishRuns(tx, endings, node, limits)) {
        ended.emplace(run.id, std::move(run));
    }
    std::vector<Finished> finished;
    finished.reserve(records.size());
    for (const EndRecord& record : records) {
        const auto it = ended.find(record.id);
        if (it != ended.end()) {
            finished.push_back({std::move(it->second), std::nullopt, false});
            continue;
        }
        Run stored = store::RunById(tx, record.id);
        // Lost is never this node's own end: the node was declared lost meanwhile, and the run's
        // outcome and retry were written by the node that declared it (fencing).
        if (stored.state == RunState::Lost || stored.node != node) {
            finished.push_back({std::move(stored), std::nullopt, true});
            continue;
        }
        const auto retry = store::RetryOf(tx, stored);  // ended by an attempt in doubt
        finished.push_back({std::move(stored), retry, false});
    }
    return finished;
}

// The claims of a batch in one transaction, each as store::ClaimRun decides it. `repeated`: the
// batch runs again after a commit in doubt, so a run already Running on this node is its own.
std::vector<std::optional<store::RunLaunch>> Engine::ClaimRuns(
    pqxx::work& tx,
    const std::vector<ClaimRequest>& requests,
    const std::string& node,
    const store::ClaimLimits& limits,
    bool repeated) {
    // A repeated or resuming claim may find its run Running here already (its own): one by one.
    const auto fresh = [repeated](const ClaimRequest& request) {
        return !repeated && !request.resuming;
    };
    std::vector<RunId> fresh_ids;
    for (const ClaimRequest& request : requests) {
        if (fresh(request)) {
            fresh_ids.push_back(request.id);
        }
    }
    auto fresh_launches = store::ClaimRuns(tx, fresh_ids, node, limits);
    auto next_fresh = fresh_launches.begin();
    std::vector<std::optional<store::RunLaunch>> launches;
    launches.reserve(requests.size());
    for (const ClaimRequest& request : requests) {
        launches.push_back(fresh(request) ? std::move(*next_fresh++)
                                          : store::ClaimRun(tx, request.id, node, limits, true));
    }
    return launches;
}

Engine::Engine(asio::any_io_executor io,
               store::Pool& db,
               const log::OutcomeLog& outcomes,
               metrics::Metrics& metrics,
               EngineSettings settings)
    : strand_(asio::make_strand(io)),
      db_(db),
      outcomes_(outcomes),
      metrics_(metrics),
      settings_(std::move(settings)),
      workers_max_(settings_.max_concurrent_runs),
      idle_(strand_),
      scheduler_wake_(strand_),
      heartbeat_(strand_),
      claims_(std::make_unique<GroupCommit<ClaimRequest, std::optional<store::RunLaunch>>>(
          strand_,
          kBatchMax,
          [this](std::vector<ClaimRequest> requests) { return CommitClaims(std::move(requests)); },
          [this](asio::awaitable<void> batch) {
              SpawnBackground(std::move(batch), "claim of runs");
          })),
      ends_(std::make_unique<GroupCommit<EndRecord, Finished>>(
          strand_,
          kBatchMax,
          [this](std::vector<EndRecord> records) { return CommitEnds(std::move(records)); },
          [this](asio::awaitable<void> batch) {
              SpawnBackground(std::move(batch), "record of run ends");
          })) {}

Engine::~Engine() = default;

asio::awaitable<void> Engine::Start() {
    // Runs on the caller's executor; the results are handed to the strand below.
    const std::string node = settings_.node;
    const auto lease = settings_.lease;
    auto recover = [node, lease](pqxx::work& tx) {
        store::RegisterNode(tx, node, static_cast<int>(::getpid()), JOBD_VERSION, lease);
        auto recovery = store::RecoverNode(tx, node);
        return std::tuple(RetryLost(tx, recovery.lost, node),
                          std::move(recovery.queued),
                          store::OtherNodes(tx, node) > 0);
    };
    auto recovered = co_await db_.Run(std::move(recover));
    asio::dispatch(strand_, [this, recovered = std::move(recovered)] {
        auto& [lost, held, peers] = recovered;
        peers_ = peers;
        OnLost(lost);
        QueueHeld(held);
        scheduling_ = true;
        // The engine outlives the loop: Drain() waits for scheduling_ to clear.
        asio::co_spawn(strand_, ScheduleLoop(), [this](std::exception_ptr error) {
            if (error) {
                try {
                    std::rethrow_exception(error);
                } catch (const std::exception& e) {
                    Log().critical("scheduler stopped error=\"{}\"", e.what());
                }
            }
            scheduling_ = false;
            if (draining_ && Idle()) {
                idle_.cancel();
            }
        });
        SpawnBackground(HeartbeatLoop(), "heartbeat");
    });
}

// Runs on a pool thread, inside the transaction that marked the runs Lost: each retry commits
// with its run's loss (contract §7), held by `node`.
std::vector<Engine::LostRun> Engine::RetryLost(pqxx::work& tx,
                                               const std::vector<store::RunLaunch>& lost,
                                               const std::string& node) {
    std::vector<LostRun> runs;
    for (const auto& launch : lost) {
        LostRun entry{launch.run, std::nullopt, {}};
        if (const auto delay = RetryDelay(launch.job, launch.run, RunState::Lost, Jitter())) {
            entry.retry_due = Now() + *delay;
            const RunId retry = store::InsertRetry(tx, launch.run, entry.retry_due, node);
            entry.retry = QueuedRun{
                retry, launch.run.company, launch.run.job_id, launch.job.overlap == Overlap::Queue};
        }
        runs.push_back(std::move(entry));
    }
    return runs;
}

// Strand only. The outcome of a lost run is written by the node that marked it (once).
void Engine::OnLost(const std::vector<LostRun>& lost) {
    for (const auto& [run, retry, due] : lost) {
        Log().warn("run lost company={} job=\"{}\" run={} reason=\"{}\"",
                   run.company,
                   run.job_name,
                   run.id,
                   run.reason);
        AppendOutcome(run);
        if (retry) {
            Log().info("run retry queued company={} run={} retry_run={} attempt={}",
                       run.company,
                       run.id,
                       retry->run,
                       run.attempt + 1);
            EnqueueAt(*retry, due);
        }
    }
}

// Strand only: runs this node holds in the database, back into its queue (or timers).
void Engine::QueueHeld(const std::vector<Run>& held) {
    const TimePoint now = Now();
    for (const Run& run : held) {
        if (run.trigger == Trigger::Retry && run.scheduled_for > now) {
            EnqueueAt(QueuedRunOf(run), run.scheduled_for);
        } else {
            queue_.push_back(QueuedRunOf(run));
        }
    }
    Pump();
}

// Strand only. `work` captures `this`: Drain() waits until background_ is back to 0.
void Engine::SpawnBackground(asio::awaitable<void> work, const char* what) {
    ++background_;
    asio::co_spawn(strand_, std::move(work), [this, what](std::exception_ptr error) {
        if (error) {
            try {
                std::rethrow_exception(error);
            } catch (const std::exception& e) {
                Log().error("{} failed error=\"{}\"", what, e.what());
            }
        }
        --background_;
        if (draining_ && Idle()) {
            idle_.cancel();
        }
    });
}

// The lease is renewed while the node runs anything, including a drain's last runs.
asio::awaitable<void> Engine::HeartbeatLoop() {
    while (!(draining_ && active_.empty())) {
        heartbeat_.expires_after(settings_.lease / 3);
        co_await heartbeat_.async_wait(asio::as_tuple(use_awaitable));
        if (draining_ && active_.empty()) {
            break;
        }
        co_await RenewLease();
    }
}

// One transaction (the idle cost of a node: one per runs.lease/3): renew this node's lease, and
// reap the nodes silent past theirs, by the database clock. A node that finds its own row gone
// was declared lost while alive (stalled, cut off): it fences itself (docs/guarantees.md).
asio::awaitable<void> Engine::RenewLease() {
    const std::string node = settings_.node;
    const auto lease = settings_.lease;
    // Only a node that has renewed its own lease for a whole lease in a row declares others lost:
    // after an outage of the database itself (or this node's start) every live node has had the
    // time to renew its lease, so none of them is mistaken for a lost one.
    const bool reap = renewals_in_a_row_ >= kRenewalsBeforeReaping;
    auto renew = [node, lease, reap](pqxx::work& tx) {
        LeaseRenewal renewal;
        renewal.fenced = !store::Heartbeat(tx, node);
        renewal.peers = store::OtherNodes(tx, node) > 0;
        if (renewal.fenced) {
            store::RegisterNode(tx, node, static_cast<int>(::getpid()), JOBD_VERSION, lease);
            auto recovery = store::RecoverNode(tx, node);
            renewal.lost = RetryLost(tx, recovery.lost, node);
            renewal.held = std::move(recovery.queued);
        }
        if (!reap) {
            return renewal;
        }
        renewal.expired = store::ExpireNodes(tx, node);
        auto orphans = RetryLost(tx, store::LoseOrphanedRuns(tx), node);
        renewal.lost.insert(renewal.lost.end(), orphans.begin(), orphans.end());
        renewal.adopted = store::ReleaseOrphanedRuns(tx, node);
        return renewal;
    };
    LeaseRenewal renewal;
    try {
        renewal = co_await db_.Run(std::move(renew));
    } catch (const Error& e) {
        if (e.kind() != ErrorKind::Unavailable) {
            throw;
        }
        Log().warn("lease not renewed, the database is unreachable error=\"{}\"", e.what());
        renewals_in_a_row_ = 0;
        co_return;
    }
    renewals_in_a_row_ = renewal.fenced ? 0 : renewals_in_a_row_ + 1;
    const bool peer_joined = renewal.peers && !peers_;
    peers_ = renewal.peers;
    for (const auto& name : renewal.expired) {
        Log().warn("node lost node={} reason=\"not heard from for its lease\"", name);
        work_wanted_.erase(name);
    }
    if (!renewal.expired.empty()) {
        WakeAt(std::nullopt);  // the lost node may have committed job changes it never announced
    }
    if (renewal.fenced) {
        Fence(renewal.held);
    }
    OnLost(renewal.lost);
    for (const Run& run : renewal.adopted) {
        EnqueueAt(QueuedRunOf(run), run.scheduled_for);
    }
    if (peer_joined) {
        Pump();  // a backlog held here while alone goes to the newcomer
    }
}

// This node was declared lost while it lived: its runs are Lost (and retried) by another node
// and its queued runs released, so it stops what it still runs and forgets what it queued; its
// own ends of those runs are refused by the database (FinishRun). Registered again, it goes on
// with the runs it holds now, and looks for due fires as a newcomer does: a job change made while
// it was out may have been announced to no one (the only node registered made it: migration
// 0013).
void Engine::Fence(const std::vector<Run>& held) {
    Log().error("this node was declared lost (its lease ran out), stopping its runs node={}",
                settings_.node);
    for (auto& [id, active] : active_) {
        StopActive(active);
    }
    queue_.clear();
    requested_at_.clear();
    pending_retries_.clear();
    maybe_released_ = true;
    QueueHeld(held);
    WakeAt(std::nullopt);
}

void Engine::RunsReleased() {
    asio::dispatch(strand_, [this] {
        maybe_released_ = true;
        ++released_generation_;
        asked_for_work_ = false;  // still idle after taking: ask again
        if (!peers_) {
            SpawnBackground(CountPeers(), "count of other nodes");
        }
        Pump();
    });
}

void Engine::WorkWanted(store::WorkWanted want) {
    asio::dispatch(strand_, [this, want = std::move(want)] {
        if (want.node == settings_.node) {
            return;
        }
        peers_ = true;
        work_wanted_[want.node] = want.workers;
        Pump();
    });
}

void Engine::Listening() {
    asio::dispatch(strand_, [this] { SpawnBackground(RollCall(), "roll call of the nodes"); });
    RunsReleased();
}

void Engine::JobChanged(TimePoint next_fire) {
    WakeAt(next_fire);
    asio::dispatch(strand_, [this, next_fire] {
        // Alone, nothing to send, and no statement for it (bench/README.md): a newcomer's roll
        // call makes this node count its peers within milliseconds (CountPeers), and the
        // newcomer's first scan finds what came before.
        if (!peers_) {
            return;
        }
        KeepUnannounced(next_fire);
        if (!announcing_) {
            SpawnBackground(Announce(), "announcement of job changes");
        }
    });
}

void Engine::KeepUnannounced(TimePoint next_fire) {
    unannounced_ = std::min(unannounced_.value_or(next_fire), next_fire);
}

// One announcement at a time: the changes made while one is under way go in the next, as one.
// Unsent (the database unreachable), they go again after a backoff, unless the node is draining
// (its reaper looks at every job once its lease runs out); sent twice (a commit in doubt), a node
// only looks once more.
asio::awaitable<void> Engine::Announce() {
    announcing_ = true;
    auto backoff = std::chrono::duration_cast<std::chrono::milliseconds>(kRetryFirst);
    asio::steady_timer retry(strand_);
    while (unannounced_) {
        const TimePoint earliest = *std::exchange(unannounced_, std::nullopt);
        auto announce = [node = settings_.node, earliest](pqxx::nontransaction& tx) {
            store::AnnounceJobChanges(tx, node, earliest);
        };
        try {
            co_await db_.RunAutocommit(std::move(announce));
            continue;
        } catch (const Error& e) {
            KeepUnannounced(earliest);
            if (e.kind() != ErrorKind::Unavailable) {
                announcing_ = false;
                throw;
            }
        }
        if (draining_) {
            break;
        }
        retry.expires_after(backoff);
        co_await retry.async_wait(asio::as_tuple(use_awaitable));
        backoff = std::min<std::chrono::milliseconds>(backoff * 2, kRetryMax);
    }
    announcing_ = false;
}

asio::awaitable<void> Engine::RollCall() {
    auto notify = [](pqxx::work& tx) { store::NotifyRunsReleased(tx); };
    try {
        co_await db_.Run(std::move(notify));
    } catch (const Error& e) {
        if (e.kind() != ErrorKind::Unavailable) {
            throw;
        }
        // The watch's connection breaks too, and the next connect calls again.
    }
}

// A node alone hears a notification: maybe a node joined (its roll call, Listening), maybe
// it only heard its own. One read tells; a newcomer then gets the backlog held here at once.
asio::awaitable<void> Engine::CountPeers() {
    if (counting_peers_) {
        co_return;
    }
    counting_peers_ = true;
    const std::string node = settings_.node;
    auto count = [node](pqxx::work& tx) { return store::OtherNodes(tx, node); };
    int others = 0;
    try {
        others = co_await db_.Run(std::move(count));
    } catch (const Error& e) {
        counting_peers_ = false;
        if (e.kind() != ErrorKind::Unavailable) {
            throw;
        }
        co_return;  // the next lease renewal counts them
    }
    counting_peers_ = false;
    if (others > 0 && !peers_) {
        peers_ = true;
        Pump();
    }
}

void Engine::WakeAt(std::optional<TimePoint> next_fire) {
    asio::dispatch(strand_, [this, next_fire] {
        const TimePoint at = next_fire.value_or(TimePoint::min());
        if (at < wake_at_) {
            wake_at_ = at;
            scheduler_wake_.cancel();  // no effect while a scan is in flight: it reads wake_at_
        }
    });
}

asio::awaitable<void> Engine::ScheduleLoop() {
    // A pass whose commit was in doubt may have queued runs this node never heard of: the next
    // pass also picks up the Queued runs it holds or that were released meanwhile (the claim
    // makes a duplicate harmless); runs other nodes hold are left to them.
    bool adopt = false;
    while (!draining_) {
        // Changes reported while the scan runs lower wake_at_ again; the scan may not see them.
        wake_at_ = TimePoint::max();
        const auto grace = settings_.misfire_grace;
        const std::string node = settings_.node;
        const int reserved = ReserveForFires();
        // The runs the pass inserted Running, known before its commit: if that is in doubt, they
        // are resumed like an API call's.
        auto started = std::make_shared<std::vector<store::RunLaunch>>();
        const store::ClaimLimits limits{settings_.per_company_max_concurrent_runs};
        auto fire = [grace, node, adopt, reserved, started, limits](pqxx::work& tx) {
            const TimePoint now = Now();
            FiredBatch batch = FireDue(tx, now, grace, kFireBatch, node, reserved, limits);
            *started = batch.started;
            return std::pair(std::move(batch),
                             adopt ? store::QueuedRuns(tx, now, node) : std::vector<Run>{});
        };
        std::optional<TimePoint> next;
        try {
            std::pair<FiredBatch, std::vector<Run>> fired;
            try {
                fired = co_await db_.Run(std::move(fire));
            } catch (...) {
                workers_busy_ -= reserved;  // whatever failed: no reservation outlives the pass
                reserved_for_fires_ = 0;
                Pump();  // what came meanwhile starts on the workers given back, as after a pass
                throw;
            }
            const auto& [batch, waiting] = fired;
            adopt = false;
            workers_busy_ -= reserved - static_cast<int>(batch.started.size());
            reserved_for_fires_ = 0;
            metrics_.FiresClaimed(batch.runs.size() + batch.started.size(), batch.skipped);
            for (const store::RunLaunch& launch : batch.started) {
                StartClaimed(launch, std::nullopt);
            }
            queue_.insert(queue_.end(), batch.runs.begin(), batch.runs.end());
            for (const Run& run : waiting) {
                Adopt(QueuedRunOf(run));
            }
            Pump();
            next = NextScan(batch, Now());
        } catch (const Error& e) {
            if (e.kind() != ErrorKind::Unavailable) {
                throw;
            }
            if (store::CommitInDoubt(e)) {
                for (const store::RunLaunch& launch : *started) {
                    EnqueueInDoubt(QueuedRunOf(launch.run));
                }
            }
            adopt = adopt || store::CommitInDoubt(e);
            // Not Persist: a shutdown must not wait for the database to come back to fire.
            Log().warn("scheduler cannot reach the database error=\"{}\"", e.what());
            next = Now() + kSchedulerRetry;
        }
        if (next) {
            wake_at_ = std::min(wake_at_, *next);
        }
        co_await SleepUntilWake();
    }
}

// Free workers for the runs of a scheduler pass, which then start without a claim (FireDue
// inserts them Running here, within a company limit's room). None while runs wait in the queue
// (they are older).
int Engine::ReserveForFires() {
    if (!queue_.empty()) {
        return 0;
    }
    int reserved = 0;
    while (reserved < kFireBatch && TakeWorker()) {
        ++reserved;
    }
    reserved_for_fires_ = reserved;
    return reserved;
}

// Waits on the timer until wake_at_, which WakeAt may move earlier meanwhile; with nothing to
// fire (wake_at_ max) it waits for a change, touching no database.
asio::awaitable<void> Engine::SleepUntilWake() {
    while (!draining_) {
        const TimePoint now = Now();
        if (wake_at_ <= now) {
            co_return;
        }
        scheduler_wake_.expires_after(
            std::min<std::chrono::microseconds>(wake_at_ - now, kMaxTimerWait));
        co_await scheduler_wake_.async_wait(asio::as_tuple(use_awaitable));
    }
}

void Engine::EnqueueInDoubt(QueuedRun run) {
    asio::dispatch(strand_, [this, run] {
        resume_claims_.insert(run.run);
        queue_.push_front(run);
        Pump();
    });
}

void Engine::Adopt(QueuedRun run) {
    const bool queued = std::any_of(
        queue_.begin(), queue_.end(), [&](const QueuedRun& q) { return q.run == run.run; });
    if (!queued && !active_.contains(run.run) && !pending_retries_.contains(run.run)) {
        Log().info("queued run picked up company={} run={}", run.company, run.run);
        queue_.push_back(run);
    }
}

bool Engine::Idle() const {
    // A reserved worker is a run about to start (StartClaimed) or a reservation given back.
    return active_.empty() && !scheduling_ && workers_busy_.load() == 0 && background_ == 0;
}

bool Engine::HasFreeWorker() const {
    return workers_busy_.load() < workers_max_.load();
}

void Engine::Enqueue(QueuedRun run,
                     bool front,
                     std::optional<std::chrono::steady_clock::time_point> requested_at) {
    // `this` outlives the strand's work (Drain).
    asio::dispatch(strand_, [this, run, front, requested_at] {
        if (requested_at) {
            requested_at_[run.run] = *requested_at;
        }
        if (front) {
            queue_.push_front(run);
        } else {
            queue_.push_back(run);
        }
        Pump();
    });
}

void Engine::EnqueueAt(QueuedRun run, TimePoint due) {
    asio::dispatch(strand_, [this, run, due] {
        auto timer = std::make_unique<asio::steady_timer>(strand_, due - Now());
        // The timer lives in pending_retries_, which Drain() empties before the engine goes.
        timer->async_wait([this, run](const boost::system::error_code& ec) {
            if (ec) {
                return;  // cancelled by emptying pending_retries_ (drain, fencing)
            }
            pending_retries_.erase(run.run);
            queue_.push_back(run);
            Pump();
        });
        pending_retries_[run.run] = std::move(timer);
    });
}

void Engine::Stop(RunId run) {
    asio::dispatch(strand_, [this, run] {
        const auto it = active_.find(run);
        if (it != active_.end()) {
            StopActive(it->second);
        }
    });
}

void Engine::RecordCancelled(std::vector<Run> runs) {
    asio::dispatch(strand_, [this, runs = std::move(runs)] {
        for (const Run& run : runs) {
            AppendOutcome(run);
            Log().info("run cancelled while queued company={} job=\"{}\" run={} state={}",
                       run.company,
                       run.job_name,
                       run.id,
                       ToString(run.state));
        }
    });
}

// A run between its claim and its spawn has no process yet; it is stopped once it has one, so a
// stop never misses it (the run would otherwise go on to its end or timeout).
void Engine::StopActive(Active& active) {
    if (active.supervisor && active.supervisor->child) {
        active.supervisor->child->Stop();
    } else {
        active.stop_requested = true;
    }
}

void Engine::Reload(EngineSettings settings) {
    asio::dispatch(strand_, [this, settings = std::move(settings)]() mutable {
        settings_ = std::move(settings);
        if (!draining_) {
            workers_max_ = settings_.max_concurrent_runs;
        }
        Pump();
    });
}

asio::awaitable<EngineStats> Engine::Stats() {
    auto read = [this]() -> asio::awaitable<EngineStats> {
        const auto holding_a_worker =
            std::count_if(active_.begin(), active_.end(), [](const auto& entry) {
                return !entry.second.worker_freed;
            });
        co_return EngineStats{
            queue_.size(), static_cast<std::size_t>(holding_a_worker), scheduling_ && !draining_};
    };
    co_return co_await asio::co_spawn(strand_, std::move(read), use_awaitable);
}

bool Engine::TakeWorker() {
    int busy = workers_busy_.load();
    while (busy < workers_max_.load()) {
        if (workers_busy_.compare_exchange_weak(busy, busy + 1)) {
            return true;
        }
    }
    return false;
}

bool Engine::ReserveWorker() {
    return TakeWorker();
}

void Engine::ReleaseWorker() {
    --workers_busy_;
    asio::dispatch(strand_, [this] {
        if (draining_ && Idle()) {
            idle_.cancel();  // Drain waited for this reservation
        }
        Pump();
    });
}

void Engine::StartClaimed(store::RunLaunch launch,
                          std::optional<std::chrono::steady_clock::time_point> requested_at) {
    asio::dispatch(strand_, [this, launch = std::move(launch), requested_at]() mutable {
        const QueuedRun run = QueuedRunOf(launch.run);
        // Committed Running here before the drain began: it starts, and is stopped at once as
        // Drain stops the others (Drain waited for its reservation).
        Activate(run, requested_at, std::move(launch), /*stop_at_once=*/draining_);
    });
}

void Engine::Pump() {
    while (!draining_ && TakeWorker()) {
        const auto next = TakeNext();
        if (!next) {
            --workers_busy_;
            break;
        }
        if (active_.contains(next->run)) {
            --workers_busy_;
            continue;  // queued twice (announced twice): one supervision per run
        }
        const auto requested = requested_at_.extract(next->run);
        Activate(*next,
                 requested ? std::optional(requested.mapped()) : std::nullopt,
                 std::nullopt,
                 /*stop_at_once=*/false);
    }
    if (draining_) {
        return;
    }
    if (HasFreeWorker()) {
        SeekWork();
    } else if (reserved_for_fires_ == 0) {
        // Full, not only lent to a scheduler pass: what the pass does not use comes back after
        // it, and then starts what came meanwhile (an executeJob call), here.
        asked_for_work_ = false;
        ReleaseQueued();
    }
}

void Engine::SeekWork() {
    if (maybe_released_) {
        TakeReleased();
    } else if (peers_ && !asked_for_work_) {
        asked_for_work_ = true;
        SpawnBackground(AskForWork(workers_max_.load() - workers_busy_.load()), "ask for work");
    }
}

asio::awaitable<void> Engine::AskForWork(int workers) {
    auto ask = [want = store::WorkWanted{settings_.node, workers}](pqxx::work& tx) {
        store::AskForWork(tx, want);
    };
    try {
        co_await db_.Run(std::move(ask));
    } catch (const Error& e) {
        if (e.kind() != ErrorKind::Unavailable) {
            throw;
        }
        asked_for_work_ = false;  // unheard: asked again once the watch reconnects (Listening)
    }
}

void Engine::Activate(QueuedRun next,
                      std::optional<std::chrono::steady_clock::time_point> requested_at,
                      std::optional<store::RunLaunch> launch,
                      bool stop_at_once) {
    const RunId run = next.run;
    active_.emplace(
        run,
        Active{next.company, next.job, next.one_at_a_time, requested_at, nullptr, stop_at_once});
    ++company_active_[next.company];
    ++job_active_[next.job];
    // The engine outlives every spawned supervision: Drain() waits for all of them.
    asio::co_spawn(
        strand_, Supervise(run, std::move(launch)), [this, run](std::exception_ptr error) {
            if (error) {
                try {
                    std::rethrow_exception(error);
                } catch (const std::exception& e) {
                    Log().error("run supervision failed run={} error=\"{}\"", run, e.what());
                }
            }
            OnRunDone(run);
        });
}

// Issue #6: a run waits for a worker of the node that holds it only while no node has one: with
// every worker busy here, the oldest queued runs go to the nodes that asked for work, as many as
// they have free workers. One transaction, and a NOTIFY that wakes them.
void Engine::ReleaseQueued() {
    std::size_t wanted = 0;
    for (const auto& [node, workers] : work_wanted_) {
        wanted += static_cast<std::size_t>(workers);
    }
    const auto count = static_cast<std::ptrdiff_t>(std::min(queue_.size(), wanted));
    if (count == 0) {
        return;
    }
    std::vector<QueuedRun> runs(queue_.begin(), queue_.begin() + count);
    queue_.erase(queue_.begin(), queue_.begin() + count);
    for (auto left = static_cast<int>(count); left > 0;) {
        const auto ask = work_wanted_.begin();
        const int spent = std::min(ask->second, left);
        left -= spent;
        if ((ask->second -= spent) == 0) {
            work_wanted_.erase(ask);
        }
    }
    for (const auto& run : runs) {
        requested_at_.erase(run.run);
    }
    SpawnBackground(Release(std::move(runs)), "release of queued runs");
}

asio::awaitable<void> Engine::Release(std::vector<QueuedRun> runs) {
    std::vector<RunId> ids;
    for (const auto& run : runs) {
        ids.push_back(run.run);
    }
    const std::string node = settings_.node;
    // A named lambda: GCC 12 destroys a lambda temporary in a co_await twice.
    auto release = [ids, node](pqxx::work& tx) { store::ReleaseRuns(tx, ids, node); };
    try {
        co_await db_.Run(std::move(release));
        metrics_.RunsReleased(ids.size());
        Log().debug("queued runs released runs={}", ids.size());
    } catch (const Error& e) {
        if (e.kind() != ErrorKind::Unavailable) {
            throw;
        }
        // Still held here: they wait for a worker of this node (no Pump: it would retry at once).
        queue_.insert(queue_.begin(), runs.begin(), runs.end());
    }
}

void Engine::TakeReleased() {
    if (!maybe_released_ || taking_) {
        return;
    }
    taking_ = true;
    const int count = workers_max_.load() - workers_busy_.load();
    SpawnBackground(Take(count, released_generation_), "take of released runs");
}

// Oldest released runs (executeJob's first), as many as this node has free workers; they then
// go through the queue and ClaimRun like the node's own.
asio::awaitable<void> Engine::Take(int count, std::uint64_t generation) {
    const std::string node = settings_.node;
    const store::ClaimLimits limits{settings_.per_company_max_concurrent_runs};
    auto take = [node, count, limits](pqxx::work& tx) {
        return store::TakeReleasedRuns(tx, node, count, limits);
    };
    std::vector<Run> runs;
    try {
        runs = co_await db_.Run(std::move(take));
    } catch (const Error& e) {
        taking_ = false;
        if (e.kind() != ErrorKind::Unavailable) {
            throw;
        }
        co_return;  // maybe_released_ stays set: the next run end or notification tries again
    }
    taking_ = false;
    if (static_cast<int>(runs.size()) < count && generation == released_generation_) {
        maybe_released_ = false;
    }
    metrics_.RunsTaken(runs.size());
    for (const Run& run : runs) {
        queue_.push_back(QueuedRunOf(run));
    }
    Pump();  // or, still idle, ask for work
}

// The first queued run whose company is under workers.per_company_max_concurrent_runs (so one
// tenant's backlog cannot starve the others) and, for overlap Queue, whose job has no run going.
std::optional<QueuedRun> Engine::TakeNext() {
    const auto limit = settings_.per_company_max_concurrent_runs;
    for (auto it = queue_.begin(); it != queue_.end(); ++it) {
        const bool company_free = !limit || CountOf(company_active_, it->company) < *limit;
        const bool job_free = !it->one_at_a_time || CountOf(job_active_, it->job) == 0;
        if (company_free && job_free) {
            const QueuedRun run = *it;
            queue_.erase(it);
            return run;
        }
    }
    return std::nullopt;
}

void Engine::FreeWorker(RunId run) {
    const auto it = active_.find(run);
    if (it == active_.end() || it->second.worker_freed) {
        return;
    }
    it->second.worker_freed = true;
    --workers_busy_;
    Pump();
}

void Engine::OnRunDone(RunId run) {
    const auto it = active_.find(run);
    if (it != active_.end()) {
        if (--company_active_[it->second.company] == 0) {
            company_active_.erase(it->second.company);
        }
        if (--job_active_[it->second.job] == 0) {
            job_active_.erase(it->second.job);
        }
        if (!it->second.worker_freed) {
            --workers_busy_;
        }
        active_.erase(it);
    }
    if (draining_ && active_.empty()) {
        heartbeat_.cancel();  // nothing runs any more: the lease may lapse
    }
    if (draining_ && Idle()) {
        idle_.cancel();
    }
    Pump();
}

asio::awaitable<void> Engine::Supervise(RunId id, std::optional<store::RunLaunch> launch) {
    if (!launch) {
        // Claimed with the other runs that take a worker meanwhile (group commit).
        ClaimRequest claim{id, resume_claims_.erase(id) > 0, active_[id].one_at_a_time};
        launch = co_await claims_->Submit(claim);
    }
    if (!launch) {
        // Another node took it, it was stopped while queued, or a limit across the nodes
        // refused it for now (then it was released: a run end of its company wakes the nodes).
        co_return;
    }
    auto supervisor = std::make_shared<Supervisor>(strand_, settings_.output_limit_bytes);
    active_[id].supervisor = supervisor;
    const Run& run = launch->run;
    Log().debug("run started company={} job=\"{}\" run={} trigger={}",
                run.company,
                run.job_name,
                id,
                ToString(run.trigger));
    try {
        exec::Command command =
            BuildCommand(*launch, settings_.launch, ScheduledAt(run, launch->job.time_zone));
        // The handler runs on the strand while the child lives; the supervisor owns the child.
        std::weak_ptr<Supervisor> weak = supervisor;
        supervisor->child = exec::ChildProcess::Start(
            strand_, std::move(command), [weak](exec::Stream stream, std::string_view line) {
                if (const auto s = weak.lock()) {
                    s->output.OnLine(stream == exec::Stream::Stderr, line, Now());
                }
            });
        RecordStart(id, run, *supervisor->child);
        if (active_[id].stop_requested) {
            supervisor->child->Stop();
        }
        co_await Follow(id, supervisor);
    } catch (const Error& e) {
        supervisor->outcome = exec::Outcome{exec::Ending::SpawnFailed, -1, 0, e.what(), {}};
        supervisor->failure = NotLaunched(e);
    }
    // Only the end's commit is left: the commits of a busy node (group commit) no longer hold
    // its workers, so the next run starts while this one's end waits for its batch (issue #8).
    FreeWorker(id);
    co_await Finish(*launch, supervisor);
}

asio::awaitable<void> Engine::Follow(RunId id, std::shared_ptr<Supervisor> supervisor) {
    asio::co_spawn(
        strand_,
        supervisor->child->Wait(),
        [supervisor](std::exception_ptr error, exec::Outcome outcome) {
            if (error) {
                outcome = {exec::Ending::SpawnFailed, -1, 0, "lost track of the process", {}};
                supervisor->failure = Message(MessageId::RunLostTrack);
            }
            supervisor->outcome = std::move(outcome);
            supervisor->wake.cancel();
        });
    while (!supervisor->outcome) {
        supervisor->wake.expires_after(kFlushInterval);
        co_await supervisor->wake.async_wait(asio::as_tuple(use_awaitable));
        if (!supervisor->outcome && supervisor->output.HasPending()) {
            co_await Flush(id, supervisor);
        }
    }
}

asio::awaitable<void> Engine::Flush(RunId id, std::shared_ptr<Supervisor> supervisor) {
    const auto progress = supervisor->TakePending();
    try {
        auto write = [id, batch = supervisor->unsaved, committed = supervisor->committed, progress](
                         pqxx::work& tx) {
            const int now_committed = store::AppendDetailsOnce(tx, id, batch, committed);
            if (progress) {
                store::UpdateProgress(tx, id, progress->percent, progress->message);
            }
            return now_committed;
        };
        supervisor->committed = co_await db_.Run(std::move(write));
        supervisor->unsaved.clear();
    } catch (const Error& e) {
        // Kept in `unsaved` and written with the run's end (contract §9: nothing is lost).
        Log().warn("run output not saved yet run={} error=\"{}\"", id, e.what());
    }
}

asio::awaitable<void> Engine::Finish(store::RunLaunch launch,
                                     std::shared_ptr<Supervisor> supervisor) {
    const RunId id = launch.run.id;
    const store::RunEnd end = EndOf(*supervisor->outcome, supervisor->failure);
    // A run that did not end by its own exit says why in its log (a Stopped run was asked to).
    const auto ending = supervisor->outcome->ending;
    if (ending != exec::Ending::Exited && ending != exec::Ending::Stopped) {
        supervisor->output.AddOwnDetail("FatalError", *end.reason, Now());
    }
    const auto progress = supervisor->TakePending();
    const auto retry_delay = RetryDelay(launch.job, launch.run, end.state, Jitter());
    const std::optional<TimePoint> retry_due =
        retry_delay ? std::optional<TimePoint>(Now() + *retry_delay) : std::nullopt;
    // Recorded with the other runs that end meanwhile (group commit); the outcome line and the
    // metrics follow the commit.
    // Named, not a temporary in the co_await: GCC 12 destroys such a temporary twice.
    EndRecord record{
        id, std::move(supervisor->unsaved), supervisor->committed, progress, end, retry_due};
    const auto [finished, retry, ended_elsewhere] = co_await ends_->Submit(std::move(record));
    if (ended_elsewhere) {
        Log().warn("run end not recorded, the run was declared lost run={} state={}",
                   id,
                   ToString(end.state));
        co_return;
    }
    if (retry) {
        Log().info("run retry queued company={} run={} retry_run={} attempt={} in_ms={}",
                   finished.company,
                   id,
                   *retry,
                   finished.attempt + 1,
                   retry_delay->count());
        EnqueueAt({*retry, finished.company, finished.job_id, finished.overlap == Overlap::Queue},
                  *retry_due);
    }
    const auto duration = AppendOutcome(finished);
    Log().info(
        "run finished company={} job=\"{}\" run={} trigger={} state={} exit_code={} "
        "duration_ms={}",
        finished.company,
        finished.job_name,
        id,
        ToString(finished.trigger),
        ToString(finished.state),
        finished.exit_code ? std::to_string(*finished.exit_code) : "none",
        duration.count());
}

// A batch goes without a transaction of jobd's: one round trip between a free worker and its
// process (issue #8). With no limit to check it is one statement; with a limit (a company's,
// or an overlap-Queue job's turn) the locks and the claims go in one message. A batch with a
// claim resumed after a commit in doubt, or one whose message failed to reach the database,
// takes a transaction. A run the statement leaves unclaimed is no longer Queued, or its node
// has no lease: the locked path would not claim it either (a job's overlap, hence
// one_at_a_time, is fixed when it is submitted).
asio::awaitable<std::vector<std::optional<store::RunLaunch>>> Engine::CommitClaims(
    std::vector<ClaimRequest> requests) {
    const std::string node = settings_.node;
    const store::ClaimLimits limits{settings_.per_company_max_concurrent_runs};
    // Persist repeats the transaction after a lost connection: a repeated claim may find its
    // first attempt committed, the run Running on this node (its own, not another's).
    auto attempts = std::make_shared<int>(0);
    const bool resuming = std::any_of(
        requests.begin(), requests.end(), [](const auto& request) { return request.resuming; });
    if (!resuming) {
        std::vector<RunId> ids;
        for (const ClaimRequest& request : requests) {
            ids.push_back(request.id);
        }
        const bool unlimited =
            !limits.per_company &&
            std::none_of(requests.begin(), requests.end(), [](const ClaimRequest& request) {
                return request.one_at_a_time;
            });
        auto claim = [ids, node, limits, unlimited](pqxx::nontransaction& tx) {
            return unlimited ? store::ClaimUnlimitedRuns(tx, ids, node)
                             : store::ClaimRunsAtOnce(tx, ids, node, limits);
        };
        try {
            co_return co_await db_.RunAutocommit(std::move(claim));
        } catch (const Error& e) {
            if (e.kind() != ErrorKind::Unavailable) {
                throw;
            }
            Log().warn("database unavailable, retrying error=\"{}\"", e.what());
            ++*attempts;  // it may have committed
        }
    }
    auto claim = [requests = std::move(requests), node, limits, attempts](pqxx::work& tx) {
        return ClaimRuns(tx, requests, node, limits, (*attempts)++ > 0);
    };
    co_return co_await Persist(std::move(claim));
}

// Likewise an end that writes nothing but the run's row (no output or progress left, no retry).
asio::awaitable<std::vector<Engine::Finished>> Engine::CommitEnds(std::vector<EndRecord> records) {
    const std::string node = settings_.node;
    const store::ClaimLimits limits{settings_.per_company_max_concurrent_runs};
    const bool one_statement =
        std::all_of(records.begin(), records.end(), [](const EndRecord& record) {
            return record.details.empty() && !record.progress && !record.retry_due;
        });
    if (one_statement) {
        // Repeated after a commit in doubt, it finds the runs ended by its first attempt.
        auto end = [records = std::move(records), node, limits](pqxx::nontransaction& tx) {
            return EndRuns(tx, records, node, limits);
        };
        co_return co_await Persist(std::move(end));
    }
    auto record = [records = std::move(records), node, limits](pqxx::work& tx) {
        return RecordEnds(tx, records, node, limits);
    };
    co_return co_await Persist(std::move(record));
}

void Engine::RecordStart(RunId id, const Run& run, const exec::ChildProcess& child) const {
    if (child.pid() == 0) {
        return;  // the spawn failed: no process started
    }
    const auto started = child.started_at();
    const auto it = active_.find(id);
    if (it != active_.end() && it->second.requested_at) {
        metrics_.ExecuteLatency(started - *it->second.requested_at);
    }
    if (run.trigger == Trigger::Schedule) {
        // Fork time is on the steady clock, the fire time on the wall clock: carried over now.
        const auto started_wall =
            std::chrono::system_clock::now() - (std::chrono::steady_clock::now() - started);
        // Never below zero: another node whose clock runs ahead may have claimed the fire.
        metrics_.FireLateness(std::max<std::chrono::system_clock::duration>(
            started_wall - run.scheduled_for, std::chrono::system_clock::duration::zero()));
    }
}

std::chrono::milliseconds Engine::AppendOutcome(const Run& run) const {
    metrics_.RunFinished(run.company, run.trigger, run.state);
    const auto duration =
        run.ended_at && run.started_at
            ? std::chrono::duration_cast<std::chrono::milliseconds>(*run.ended_at - *run.started_at)
            : std::chrono::milliseconds(0);
    if (!outcomes_.Append({FormatUtc(run.ended_at.value_or(Now())),
                           run.company,
                           run.job_name,
                           ToString(run.Handle()),
                           std::string(ToString(run.trigger)),
                           std::string(ToString(run.state)),
                           run.exit_code,
                           duration.count(),
                           run.node})) {
        Log().error("outcome log not written company={} run={}", run.company, run.id);
    }
    return duration;
}

template <typename Fn>
auto Engine::Persist(Fn fn) -> asio::awaitable<PersistResult<Fn>> {
    auto backoff = std::chrono::duration_cast<std::chrono::milliseconds>(kRetryFirst);
    asio::steady_timer retry(strand_);
    while (true) {
        try {
            if constexpr (std::is_invocable_v<Fn&, pqxx::nontransaction&>) {
                co_return co_await db_.RunAutocommit(fn);
            } else {
                co_return co_await db_.Run(fn);
            }
        } catch (const Error& e) {
            if (e.kind() != ErrorKind::Unavailable) {
                throw;
            }
            Log().warn(
                "database unavailable, retrying in_ms={} error=\"{}\"", backoff.count(), e.what());
        }
        retry.expires_after(backoff);
        co_await retry.async_wait(use_awaitable);
        backoff = std::min<std::chrono::milliseconds>(backoff * 2, kRetryMax);
    }
}

asio::awaitable<void> Engine::Drain() {
    auto drain = [this]() -> asio::awaitable<void> {
        draining_ = true;
        workers_max_ = 0;  // executeJob reserves no more workers
        scheduler_wake_.cancel();
        // Still Queued in the database, held by this node: once it has left (LeaveCluster),
        // another node's reaper adopts them, or this node's next start arms them.
        pending_retries_.clear();
        Log().info("draining queued={} running={}", queue_.size(), active_.size());
        if (active_.empty()) {
            heartbeat_.cancel();
        }
        if (!active_.empty()) {
            idle_.expires_after(settings_.launch.stop_grace);
            co_await idle_.async_wait(asio::as_tuple(use_awaitable));
        }
        for (auto& [id, active] : active_) {
            Log().info("stopping run at shutdown run={}", id);
            StopActive(active);
        }
        while (!Idle()) {
            idle_.expires_at(asio::steady_timer::time_point::max());
            co_await idle_.async_wait(asio::as_tuple(use_awaitable));
        }
        co_await LeaveCluster();
    };
    co_await asio::co_spawn(strand_, std::move(drain), use_awaitable);
}

// Issue #6: other nodes take the queued runs at once instead of after this node's lease. Not
// Persist: a shutdown must not wait for the database to come back; if it is down, the reaper of
// another node releases the runs once the lease has run out, as for a crashed node.
asio::awaitable<void> Engine::LeaveCluster() {
    const std::string node = settings_.node;
    auto leave = [node](pqxx::work& tx) { return store::LeaveCluster(tx, node); };
    try {
        const int released = co_await db_.Run(std::move(leave));
        Log().info("left the cluster, queued runs released runs={}", released);
    } catch (const Error& e) {
        Log().warn(
            "queued runs not released at shutdown, other nodes take them after runs.lease "
            "error=\"{}\"",
            e.what());
    }
}

}  // namespace jobd::engine
