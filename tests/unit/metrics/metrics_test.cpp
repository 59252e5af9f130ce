// jobd's own metrics: names, labels and how recordings show in the exposition (docs/metrics.md).

#include "jobd/metrics/metrics.hpp"

#include <chrono>

#include <gtest/gtest.h>

namespace jobd::metrics {
namespace {

using std::chrono::milliseconds;

const auto kStart = std::chrono::system_clock::time_point(std::chrono::seconds(1784000000));

bool Has(const std::string& text, const std::string& line) {
    return text.find("\n" + line + "\n") != std::string::npos;
}

TEST(Metrics, BuildInfoAndProcessStartTime) {
    Metrics metrics("1.2.3", kStart);
    const std::string text = metrics.Write({}, {});
    EXPECT_TRUE(Has(text, "jobd_build_info{version=\"1.2.3\"} 1")) << text;
    EXPECT_TRUE(Has(text, "process_start_time_seconds 1784000000")) << text;
    EXPECT_TRUE(Has(text, "# TYPE jobd_runs_finished_total counter")) << text;
}

TEST(Metrics, RunsFinishedByCompanyTriggerAndState) {
    Metrics metrics("1", kStart);
    metrics.RunFinished(47, Trigger::Execute, RunState::Succeeded);
    metrics.RunFinished(47, Trigger::Execute, RunState::Succeeded);
    metrics.RunFinished(47, Trigger::Schedule, RunState::Failed);
    const std::string text = metrics.Write({}, {});
    EXPECT_TRUE(Has(
        text, "jobd_runs_finished_total{company=\"47\",trigger=\"Execute\",state=\"Succeeded\"} 2"))
        << text;
    EXPECT_TRUE(Has(
        text, "jobd_runs_finished_total{company=\"47\",trigger=\"Schedule\",state=\"Failed\"} 1"))
        << text;
}

TEST(Metrics, LatenciesAreInSeconds) {
    Metrics metrics("1", kStart);
    metrics.ExecuteLatency(milliseconds(20));
    metrics.FireLateness(milliseconds(1500));
    const std::string text = metrics.Write({}, {});
    EXPECT_TRUE(Has(text, "jobd_execute_latency_seconds_bucket{le=\"0.01\"} 0")) << text;
    EXPECT_TRUE(Has(text, "jobd_execute_latency_seconds_bucket{le=\"0.025\"} 1")) << text;
    EXPECT_TRUE(Has(text, "jobd_execute_latency_seconds_sum 0.02")) << text;
    EXPECT_TRUE(Has(text, "jobd_execute_latency_seconds_count 1")) << text;
    EXPECT_TRUE(Has(text, "jobd_fire_lateness_seconds_bucket{le=\"1\"} 0")) << text;
    EXPECT_TRUE(Has(text, "jobd_fire_lateness_seconds_bucket{le=\"2.5\"} 1")) << text;
    EXPECT_TRUE(Has(text, "jobd_fire_lateness_seconds_sum 1.5")) << text;
}

TEST(Metrics, FiresClaimedCountSkippedOnesToo) {
    Metrics metrics("1", kStart);
    metrics.FiresClaimed(3, 1);
    metrics.FiresClaimed(0, 0);
    const std::string text = metrics.Write({}, {});
    EXPECT_TRUE(Has(text, "jobd_scheduler_fires_claimed_total 4")) << text;
    EXPECT_TRUE(Has(text, "jobd_scheduler_fires_skipped_total 1")) << text;
}

TEST(Metrics, RunsReleasedAndTakenAreCountedApart) {
    Metrics metrics("1", kStart);
    metrics.RunsReleased(5);
    metrics.RunsTaken(2);
    metrics.RunsTaken(1);
    const std::string text = metrics.Write({}, {});
    EXPECT_TRUE(Has(text, "jobd_runs_released_total 5")) << text;
    EXPECT_TRUE(Has(text, "jobd_runs_taken_total 3")) << text;
}

TEST(Metrics, RunsPrunedCountRunsAndTheirDetails) {
    Metrics metrics("1", kStart);
    metrics.RunsPruned(500, 1200);
    metrics.RunsPruned(0, 0);
    metrics.RunsPruned(3, 0);
    const std::string text = metrics.Write({}, {});
    EXPECT_TRUE(Has(text, "jobd_runs_pruned_total 503")) << text;
    EXPECT_TRUE(Has(text, "jobd_run_details_pruned_total 1200")) << text;
}

TEST(Metrics, HttpRequestsByOperationAndStatus) {
    Metrics metrics("1", kStart);
    metrics.HttpRequest("executeJob", 200);
    metrics.HttpRequest("executeJob", 200);
    metrics.HttpRequest("other", 404);
    const std::string text = metrics.Write({}, {});
    EXPECT_TRUE(Has(text, "jobd_http_requests_total{operation=\"executeJob\",status=\"200\"} 2"))
        << text;
    EXPECT_TRUE(Has(text, "jobd_http_requests_total{operation=\"other\",status=\"404\"} 1"))
        << text;
}

TEST(Metrics, WriteTakesTheSampledEngineAndPoolValues) {
    Metrics metrics("1", kStart);
    const std::string text = metrics.Write({5, 2}, {4, 3, 1, 7, 9});
    EXPECT_TRUE(Has(text, "jobd_runs_queued 5")) << text;
    EXPECT_TRUE(Has(text, "jobd_runs_running 2")) << text;
    EXPECT_TRUE(Has(text, "jobd_db_pool_size 4")) << text;
    EXPECT_TRUE(Has(text, "jobd_db_pool_in_use 3")) << text;
    EXPECT_TRUE(Has(text, "jobd_db_pool_waiting 1")) << text;
    EXPECT_TRUE(Has(text, "jobd_db_pool_waits_total 7")) << text;
    EXPECT_TRUE(Has(text, "jobd_db_pool_errors_total 9")) << text;
}

}  // namespace
}  // namespace jobd::metrics
