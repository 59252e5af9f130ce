// End to end: stopJob, pauseJob, resumeJob, deleteJob (contract §5; issue #4).

#include <memory>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "e2e/jobd/daemon_fixture.hpp"

namespace jobd::test {
namespace {

namespace json = boost::json;

class ControlTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() { daemon_ = StartDemoDaemon("runs:\n  stop_grace: 1s\n"); }

    static void TearDownTestSuite() { daemon_.reset(); }

    static HttpAnswer Call(const std::string& operation, const std::string& job) {
        return daemon_->Json(operation,
                             R"({"companyHandle":"47","jobHandle":"47|)" + job + R"(|"})",
                             "admin@example.com");
    }

    static void Submit(const std::string& name, const std::string& argv) {
        const auto answer = daemon_->Json(
            "submitJob",
            R"({"companyHandle":"47","jobName":")" + name +
                R"(","execSchedule":"0 0 0 1 1 ?","commandJob":{"argv":)" + argv + "}}",
            "admin@example.com");
        ASSERT_EQ(answer.status, 200) << answer.body;
    }

    static std::string TriggerState(const std::string& job) {
        const auto answer = Call("getScheduledJobs", job);
        const json::object jobs = json::parse(answer.body).as_object();
        return jobs.at("jobArray").as_array().at(0).at("triggerState").as_string().c_str();
    }

    // The state of the job's latest run, once it is no longer Queued or Running.
    static std::string FinalState(const std::string& job) {
        std::string state;
        WaitFor([&] {
            const auto answer = Call("getJobLogDetails", job);
            const json::object logs = json::parse(answer.body).as_object();
            state = logs.at("jobLogArray").as_array().at(0).at("state").as_string().c_str();
            return state != "Queued" && state != "Running";
        });
        return state;
    }

    static std::unique_ptr<JobdProcess> daemon_;
};

std::unique_ptr<JobdProcess> ControlTest::daemon_;

TEST_F(ControlTest, StopEndsARunningRunStopped) {
    Submit("stoppable", R"(["/bin/sh","-c","sleep 60"])");
    ASSERT_EQ(Call("executeJob", "stoppable").status, 200);
    ASSERT_TRUE(WaitFor([&] {
        const auto active =
            daemon_->Json("getActiveJobs", R"({"companyHandle":"47"})", "admin@example.com");
        return active.body.find("\"state\":\"Running\"") != std::string::npos;
    }));
    EXPECT_EQ(Call("stopJob", "stoppable").status, 200);
    EXPECT_EQ(FinalState("stoppable"), "Stopped");
    // Nothing left to stop: a state conflict.
    const auto again = Call("stopJob", "stoppable");
    EXPECT_EQ(again.status, 409) << again.body;
}

TEST_F(ControlTest, PauseAndResumeSetTheTriggerState) {
    Submit("pausable", R"(["/bin/true"])");
    EXPECT_EQ(Call("resumeJob", "pausable").status, 409);  // not paused
    EXPECT_EQ(Call("pauseJob", "pausable").status, 200);
    EXPECT_EQ(TriggerState("pausable"), "Paused");
    EXPECT_EQ(Call("pauseJob", "pausable").status, 409);  // already paused
    // executeJob still runs a paused job, and leaves it paused.
    EXPECT_EQ(Call("executeJob", "pausable").status, 200);
    EXPECT_EQ(FinalState("pausable"), "Succeeded");
    EXPECT_EQ(TriggerState("pausable"), "Paused");
    EXPECT_EQ(Call("resumeJob", "pausable").status, 200);
    EXPECT_EQ(TriggerState("pausable"), "Normal");
}

TEST_F(ControlTest, DeleteKeepsTheHistoryReadable) {
    Submit("deletable", R"(["/bin/sh","-c","echo kept"])");
    ASSERT_EQ(Call("executeJob", "deletable").status, 200);
    EXPECT_EQ(FinalState("deletable"), "Succeeded");
    EXPECT_EQ(Call("deleteJob", "deletable").status, 200);
    EXPECT_EQ(Call("executeJob", "deletable").status, 404);
    const auto history = Call("getJobLogDetails", "deletable");
    EXPECT_EQ(history.status, 200) << history.body;
    EXPECT_NE(history.body.find("kept"), std::string::npos);
    // The name can be used again.
    Submit("deletable", R"(["/bin/true"])");
}

// Overlap Queue: a second run of the job waits for the first, then runs (contract §5).
TEST_F(ControlTest, QueueOverlapRunsOneAfterAnother) {
    const auto answer = daemon_->Json("submitJob",
                                      R"({"companyHandle":"47","jobName":"serial",
        "execSchedule":"0 0 0 1 1 ?","overlap":"Queue",
        "commandJob":{"argv":["/bin/sh","-c","sleep 0.3"]}})",
                                      "admin@example.com");
    ASSERT_EQ(answer.status, 200) << answer.body;
    ASSERT_EQ(Call("executeJob", "serial").status, 200);
    ASSERT_EQ(Call("executeJob", "serial").status, 200);
    std::vector<json::object> runs;
    ASSERT_TRUE(WaitFor([&] {
        const auto logs = daemon_->Json(
            "getJobLogs", R"({"numRows":100,"sortDirection":"Ascending"})", "admin@example.com");
        const json::object all = json::parse(logs.body).as_object();
        runs.clear();
        for (const auto& log : all.at("jobLogArray").as_array()) {
            if (log.at("jobName").as_string() == "serial" &&
                log.at("state").as_string() == "Succeeded") {
                runs.push_back(log.as_object());
            }
        }
        return runs.size() == 2;
    }));
    EXPECT_LE(std::string(runs[0].at("endDate").as_string()),
              std::string(runs[1].at("startDate").as_string()));
}

}  // namespace
}  // namespace jobd::test
