#include "jobd/metrics/metrics.hpp"

namespace jobd::metrics {
namespace {

double Seconds(std::chrono::duration<double> duration) {
    return duration.count();
}

}  // namespace

Metrics::Metrics(std::string_view version, std::chrono::system_clock::time_point process_start)
    : runs_finished_(registry_.AddCounter("jobd_runs_finished_total",
                                          "Runs this node ran that reached a finished state.",
                                          {"company", "trigger", "state"})),
      runs_running_(registry_.AddGauge(
          "jobd_runs_running", "Runs this node has taken from its queue and not finished.")),
      runs_queued_(registry_.AddGauge("jobd_runs_queued",
                                      "Committed runs waiting for a worker of this node.")),
      execute_latency_(
          registry_.AddHistogram("jobd_execute_latency_seconds",
                                 "executeJob: from the API call to the run's process start.",
                                 {},
                                 kLatencyBuckets)),
      fire_lateness_(registry_.AddHistogram(
          "jobd_fire_lateness_seconds",
          "Schedule-triggered runs: process start minus the scheduled fire time.",
          {},
          kLatenessBuckets)),
      fires_claimed_(registry_.AddCounter(
          "jobd_scheduler_fires_claimed_total",
          "Due fires this node's scheduler claimed (each became a run or a Skipped entry).")),
      fires_skipped_(registry_.AddCounter("jobd_scheduler_fires_skipped_total",
                                          "Claimed fires recorded as Skipped instead of running.")),
      runs_released_(registry_.AddCounter(
          "jobd_runs_released_total",
          "Queued runs this node released for a node with a free worker to take.")),
      runs_taken_(registry_.AddCounter("jobd_runs_taken_total",
                                       "Released runs (of any node) this node took to run.")),
      runs_pruned_(registry_.AddCounter(
          "jobd_runs_pruned_total",
          "Finished runs this node deleted as older than their retention (runs.retention).")),
      run_details_pruned_(registry_.AddCounter("jobd_run_details_pruned_total",
                                               "Log details deleted with the pruned runs.")),
      pool_size_(registry_.AddGauge("jobd_db_pool_size", "Database pool threads (connections).")),
      pool_in_use_(
          registry_.AddGauge("jobd_db_pool_in_use", "Database calls holding a connection now.")),
      pool_waiting_(registry_.AddGauge("jobd_db_pool_waiting",
                                       "Database calls queued for a pool thread now.")),
      pool_waits_(registry_.AddCounter("jobd_db_pool_waits_total",
                                       "Database calls that found every pool thread busy.")),
      pool_errors_(registry_.AddCounter(
          "jobd_db_pool_errors_total",
          "Database calls ended by a database failure (unreachable, broken, SQL error).")),
      http_requests_(registry_.AddCounter("jobd_http_requests_total",
                                          "Answered HTTP requests by API operation and status.",
                                          {"operation", "status"})) {
    registry_.AddGauge("jobd_build_info", "jobd's version; the value is always 1.", {"version"})
        .WithLabels({std::string(version)})
        .Set(1);
    registry_
        .AddGauge("process_start_time_seconds", "Start time of the process since the Unix epoch.")
        .Get()
        .Set(Seconds(process_start.time_since_epoch()));
}

void Metrics::RunFinished(CompanyId company, Trigger trigger, RunState state) {
    runs_finished_
        .WithLabels(
            {std::to_string(company), std::string(ToString(trigger)), std::string(ToString(state))})
        .Inc();
}

void Metrics::ExecuteLatency(std::chrono::steady_clock::duration latency) {
    execute_latency_.Get().Observe(Seconds(latency));
}

void Metrics::FireLateness(std::chrono::system_clock::duration lateness) {
    fire_lateness_.Get().Observe(Seconds(lateness));
}

void Metrics::FiresClaimed(std::size_t runs, std::size_t skipped) {
    fires_claimed_.Get().Inc(runs + skipped);
    fires_skipped_.Get().Inc(skipped);
}

void Metrics::RunsReleased(std::size_t runs) {
    runs_released_.Get().Inc(runs);
}

void Metrics::RunsTaken(std::size_t runs) {
    runs_taken_.Get().Inc(runs);
}

void Metrics::RunsPruned(std::size_t runs, std::int64_t details) {
    runs_pruned_.Get().Inc(runs);
    run_details_pruned_.Get().Inc(static_cast<std::uint64_t>(details));
}

void Metrics::HttpRequest(std::string_view operation, int status) {
    http_requests_.WithLabels({std::string(operation), std::to_string(status)}).Inc();
}

std::string Metrics::Write(const EngineSample& engine, const PoolSample& pool) {
    runs_running_.Get().Set(static_cast<double>(engine.running));
    runs_queued_.Get().Set(static_cast<double>(engine.queued));
    pool_size_.Get().Set(pool.size);
    pool_in_use_.Get().Set(pool.in_use);
    pool_waiting_.Get().Set(pool.waiting);
    pool_waits_.Get().SetTotal(pool.waits);
    pool_errors_.Get().SetTotal(pool.errors);
    return registry_.Write();
}

}  // namespace jobd::metrics
