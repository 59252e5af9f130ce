// End to end: GET /metrics scraped from the real daemon while runs happen (issue #7, item 2;
// contract §5 "Other endpoints"; docs/metrics.md).

#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "e2e/jobd/daemon_fixture.hpp"

namespace jobd::test {
namespace {

constexpr const char* kExecuteSucceeded =
    R"(jobd_runs_finished_total{company="47",trigger="Execute",state="Succeeded"})";
constexpr const char* kExecuteFailed =
    R"(jobd_runs_finished_total{company="47",trigger="Execute",state="Failed"})";
constexpr const char* kExecuteStopped =
    R"(jobd_runs_finished_total{company="47",trigger="Execute",state="Stopped"})";
constexpr const char* kScheduleSucceeded =
    R"(jobd_runs_finished_total{company="47",trigger="Schedule",state="Succeeded"})";
constexpr const char* kExecuteOk =
    R"(jobd_http_requests_total{operation="executeJob",status="200"})";
constexpr const char* kOtherNotFound =
    R"(jobd_http_requests_total{operation="other",status="404"})";

class MetricsTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() { daemon_ = StartDemoDaemon("runs:\n  stop_grace: 1s\n"); }

    static void TearDownTestSuite() {
        EXPECT_EQ(daemon_->Terminate(), 0);
        daemon_.reset();
    }

    static std::string Scrape() {
        const HttpAnswer answer = daemon_->Get("/metrics");
        EXPECT_EQ(answer.status, 200) << answer.body;
        return answer.body;
    }

    // A series absent from the exposition has not happened yet: 0.
    static double Value(const std::string& series) {
        return MetricSample(Scrape(), series).value_or(0);
    }

    // Waits until the series reaches at least `target`; returns whether it did.
    static bool WaitForValue(const std::string& series, double target) {
        return WaitFor([&] { return Value(series) >= target; });
    }

    static HttpAnswer Call(const std::string& operation, const std::string& job) {
        return daemon_->Json(operation,
                             R"({"companyHandle":"47","jobHandle":"47|)" + job + R"(|"})",
                             "admin@example.com");
    }

    static void Submit(const std::string& name,
                       const std::string& schedule,
                       const std::string& argv) {
        const auto answer =
            daemon_->Json("submitJob",
                          R"({"companyHandle":"47","jobName":")" + name + R"(","execSchedule":")" +
                              schedule + R"(","commandJob":{"argv":)" + argv + "}}",
                          "admin@example.com");
        ASSERT_EQ(answer.status, 200) << answer.body;
    }

    static std::unique_ptr<JobdProcess> daemon_;
};

std::unique_ptr<JobdProcess> MetricsTest::daemon_;

TEST_F(MetricsTest, ServedWithoutCredentialsInTextFormat004) {
    const HttpAnswer answer = daemon_->Get("/metrics");
    ASSERT_EQ(answer.status, 200) << answer.body;
    EXPECT_EQ(answer.headers.at("content-type"), "text/plain; version=0.0.4; charset=utf-8");
    const std::string& text = answer.body;
    EXPECT_NE(text.find("# TYPE jobd_build_info gauge\njobd_build_info{version=\""),
              std::string::npos)
        << text;
    EXPECT_GT(MetricSample(text, "process_start_time_seconds").value_or(0), 1.7e9) << text;
    EXPECT_GT(MetricSample(text, "jobd_db_pool_size").value_or(0), 0) << text;
    for (const char* family : {"jobd_runs_finished_total counter",
                               "jobd_runs_running gauge",
                               "jobd_runs_queued gauge",
                               "jobd_execute_latency_seconds histogram",
                               "jobd_fire_lateness_seconds histogram",
                               "jobd_scheduler_fires_claimed_total counter",
                               "jobd_scheduler_fires_skipped_total counter",
                               "jobd_db_pool_in_use gauge",
                               "jobd_db_pool_waiting gauge",
                               "jobd_db_pool_waits_total counter",
                               "jobd_db_pool_errors_total counter",
                               "jobd_http_requests_total counter"}) {
        EXPECT_NE(text.find(std::string("\n# TYPE ") + family + "\n"), std::string::npos)
            << family << "\n"
            << text;
    }
    EXPECT_TRUE(MetricSample(text, R"(jobd_execute_latency_seconds_bucket{le="+Inf"})")) << text;
}

TEST_F(MetricsTest, ExecutedRunsMoveTheFinishedLatencyAndRequestCounters) {
    Submit("ok", "0 0 0 1 1 ?", R"(["/bin/true"])");
    Submit("fails", "0 0 0 1 1 ?", R"(["/bin/sh","-c","exit 3"])");
    const std::string before = Scrape();
    const double succeeded = MetricSample(before, kExecuteSucceeded).value_or(0);
    const double failed = MetricSample(before, kExecuteFailed).value_or(0);
    const double latencies = MetricSample(before, "jobd_execute_latency_seconds_count").value_or(0);
    const double requests = MetricSample(before, kExecuteOk).value_or(0);

    ASSERT_EQ(Call("executeJob", "ok").status, 200);
    ASSERT_EQ(Call("executeJob", "fails").status, 200);

    ASSERT_TRUE(WaitForValue(kExecuteSucceeded, succeeded + 1)) << Scrape();
    ASSERT_TRUE(WaitForValue(kExecuteFailed, failed + 1)) << Scrape();
    const std::string after = Scrape();
    EXPECT_EQ(MetricSample(after, kExecuteSucceeded), succeeded + 1);
    EXPECT_EQ(MetricSample(after, kExecuteFailed), failed + 1);
    EXPECT_EQ(MetricSample(after, "jobd_execute_latency_seconds_count"), latencies + 2) << after;
    EXPECT_EQ(MetricSample(after, R"(jobd_execute_latency_seconds_bucket{le="+Inf"})"),
              latencies + 2);
    EXPECT_GT(MetricSample(after, "jobd_execute_latency_seconds_sum").value_or(0), 0);
    EXPECT_EQ(MetricSample(after, kExecuteOk), requests + 2) << after;
}

TEST_F(MetricsTest, RunningGaugeFollowsARunUntilItIsStopped) {
    Submit("sleeper", "0 0 0 1 1 ?", R"(["/bin/sleep","60"])");
    const double stopped = Value(kExecuteStopped);
    ASSERT_EQ(Call("executeJob", "sleeper").status, 200);
    ASSERT_TRUE(WaitForValue("jobd_runs_running", 1)) << Scrape();
    // The gauge counts a run from its claim on; a stop that finds it still queued in the database
    // (a slow claim under load) cancels it before it starts, and such a run is never counted.
    ASSERT_TRUE(WaitFor([] {
        return Call("getActiveJobs", "sleeper").body.find(R"("state":"Running")") !=
               std::string::npos;
    }));

    ASSERT_EQ(Call("stopJob", "sleeper").status, 200);
    ASSERT_TRUE(WaitForValue(kExecuteStopped, stopped + 1)) << Scrape();
    EXPECT_TRUE(WaitFor([] { return Value("jobd_runs_running") == 0; })) << Scrape();
    EXPECT_EQ(Value("jobd_runs_queued"), 0);
}

// stopJob on a job with runs waiting (overlap Queue): the queued runs end Stopped without
// starting, and each gets its outcome line and its count once, like the run that was stopped.
TEST_F(MetricsTest, RunsCancelledWhileQueuedAreCountedAndLoggedOnce) {
    const auto submitted =
        daemon_->Json("submitJob",
                      R"({"companyHandle":"47","jobName":"backlog","execSchedule":"0 0 0 1 1 ?",
            "overlap":"Queue","commandJob":{"argv":["/bin/sleep","60"]}})",
                      "admin@example.com");
    ASSERT_EQ(submitted.status, 200) << submitted.body;
    const double stopped = Value(kExecuteStopped);
    std::vector<std::string> runs;
    for (int i = 0; i < 3; ++i) {
        const HttpAnswer executed = Call("executeJob", "backlog");
        ASSERT_EQ(executed.status, 200) << executed.body;
        runs.emplace_back(boost::json::parse(executed.body).at("runHandle").as_string());
    }
    ASSERT_TRUE(WaitFor([] {
        return Call("getActiveJobs", "backlog").body.find(R"("state":"Running")") !=
               std::string::npos;
    }));

    ASSERT_EQ(Call("stopJob", "backlog").status, 200);
    ASSERT_TRUE(WaitForValue(kExecuteStopped, stopped + 3)) << Scrape();
    const auto lines_of = [](const std::string& handle) {
        std::ifstream log(daemon_->dir() / "log" / "companies" / "47.log");
        int lines = 0;
        for (std::string line; std::getline(log, line);) {
            if (line.find("\"run\":\"" + handle + "\"") != std::string::npos) {
                EXPECT_NE(line.find(R"("state":"Stopped")"), std::string::npos) << line;
                ++lines;
            }
        }
        return lines;
    };
    for (const auto& run : runs) {
        EXPECT_EQ(lines_of(run), 1) << run;
    }
    EXPECT_EQ(Value(kExecuteStopped), stopped + 3) << Scrape();
}

TEST_F(MetricsTest, ScheduledFiresMoveClaimsAndLateness) {
    const std::string before = Scrape();
    const double claimed = MetricSample(before, "jobd_scheduler_fires_claimed_total").value_or(0);
    const double lateness = MetricSample(before, "jobd_fire_lateness_seconds_count").value_or(0);
    const double scheduled = MetricSample(before, kScheduleSucceeded).value_or(0);

    Submit("every-second", "* * * * * ?", R"(["/bin/true"])");
    ASSERT_TRUE(WaitForValue(kScheduleSucceeded, scheduled + 1)) << Scrape();
    ASSERT_EQ(Call("pauseJob", "every-second").status, 200);

    const std::string after = Scrape();
    EXPECT_GE(MetricSample(after, "jobd_scheduler_fires_claimed_total").value_or(0), claimed + 1);
    EXPECT_GE(MetricSample(after, "jobd_fire_lateness_seconds_count").value_or(0), lateness + 1);
    // A fire is claimed when due and started at once: well inside a minute on any machine.
    EXPECT_EQ(MetricSample(after, R"(jobd_fire_lateness_seconds_bucket{le="60"})"),
              MetricSample(after, "jobd_fire_lateness_seconds_count"))
        << after;
}

TEST_F(MetricsTest, RequestsOutsideTheOperationTableCountAsOther) {
    const double before = Value(kOtherNotFound);
    EXPECT_EQ(daemon_->Get("/no/such/path").status, 404);
    EXPECT_EQ(daemon_->Json("noSuchOperation", "{}", "admin@example.com").status, 404);
    const std::string text = Scrape();
    EXPECT_EQ(MetricSample(text, kOtherNotFound), before + 2) << text;
    EXPECT_EQ(text.find("noSuchOperation"), std::string::npos) << "labels stay bounded";
}

}  // namespace
}  // namespace jobd::test
