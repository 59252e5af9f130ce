#pragma once
// Every metric jobd exports at GET /metrics (documented one by one in docs/metrics.md): the
// engine, the API and the scrape record into it; Write renders the Prometheus text. Pure: time is
// an argument, values sampled elsewhere (engine queue, database pool) are handed to Write.
//
// Threads: every member from any thread (atomics; label lookups take a family's mutex).
// Ownership: the daemon owns the Metrics and keeps it alive as long as the engine and the API
// that record into it.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "jobd/metrics/registry.hpp"
#include "jobd/model/enums.hpp"
#include "jobd/model/handles.hpp"

namespace jobd::metrics {

// Read on the engine strand at scrape time (Engine::Stats).
struct EngineSample {
    std::size_t queued = 0;
    std::size_t running = 0;
};

// store::Pool's counters at scrape time.
struct PoolSample {
    int size = 0;
    int in_use = 0;
    int waiting = 0;
    std::uint64_t waits = 0;
    std::uint64_t errors = 0;
};

class Metrics {
public:
    // `version` labels jobd_build_info; `process_start` is process_start_time_seconds.
    Metrics(std::string_view version, std::chrono::system_clock::time_point process_start);

    Metrics(const Metrics&) = delete;
    Metrics& operator=(const Metrics&) = delete;

    // A run this node ran reached a finished state (including Lost, found at start-up).
    void RunFinished(CompanyId company, Trigger trigger, RunState state);

    // executeJob: from the API call to the run's process start (fork returned).
    void ExecuteLatency(std::chrono::steady_clock::duration latency);

    // A Schedule-triggered run: its process start minus its scheduled time.
    void FireLateness(std::chrono::system_clock::duration lateness);

    // One claiming transaction of the scheduler: fires that became runs and fires recorded as
    // Skipped (misfire Skip, overlap Forbid).
    void FiresClaimed(std::size_t runs, std::size_t skipped);

    // Queued runs this node released for other nodes to take, and released runs it took.
    void RunsReleased(std::size_t runs);
    void RunsTaken(std::size_t runs);

    // One prune batch (engine::Pruner): runs deleted and the log details deleted with them.
    void RunsPruned(std::size_t runs, std::int64_t details);

    // An answered HTTP request; `operation` is an API operation's name or "other" (the caller
    // keeps it bounded).
    void HttpRequest(std::string_view operation, int status);

    // The exposition, after taking the sampled values.
    std::string Write(const EngineSample& engine, const PoolSample& pool);

private:
    Registry registry_;
    Family<Counter>& runs_finished_;
    Family<Gauge>& runs_running_;
    Family<Gauge>& runs_queued_;
    Family<Histogram>& execute_latency_;
    Family<Histogram>& fire_lateness_;
    Family<Counter>& fires_claimed_;
    Family<Counter>& fires_skipped_;
    Family<Counter>& runs_released_;
    Family<Counter>& runs_taken_;
    Family<Counter>& runs_pruned_;
    Family<Counter>& run_details_pruned_;
    Family<Gauge>& pool_size_;
    Family<Gauge>& pool_in_use_;
    Family<Gauge>& pool_waiting_;
    Family<Counter>& pool_waits_;
    Family<Counter>& pool_errors_;
    Family<Counter>& http_requests_;
};

}  // namespace jobd::metrics
