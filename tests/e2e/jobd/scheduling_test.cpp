// End to end: jobs fire from their schedules and execTime (contract §5, §8; issues #3, #5).

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "e2e/jobd/daemon_fixture.hpp"
#include "jobd/model/time.hpp"

namespace jobd::test {
namespace {

namespace json = boost::json;

class SchedulingTest : public ::testing::Test {
protected:
    void SetUp() override { StartDemoDaemon(daemon_); }

    json::object Call(const std::string& operation, const std::string& body) {
        const auto answer = daemon_.Json(operation, body, "admin@example.com");
        EXPECT_EQ(answer.status, 200) << operation << ": " << answer.body;
        return json::parse(answer.body).as_object();
    }

    // Finished runs of job `name` with trigger `trigger`.
    std::vector<json::object> Runs(const std::string& name, const std::string& trigger) {
        std::vector<json::object> runs;
        const auto logs = Call("getJobLogs", R"({"companyHandle":"47","numRows":1000})");
        for (const auto& log : logs.at("jobLogArray").as_array()) {
            const auto& entry = log.as_object();
            if (entry.at("jobName").as_string() == name &&
                entry.at("trigger").as_string() == trigger &&
                entry.at("state").as_string() == "Succeeded") {
                runs.push_back(entry);
            }
        }
        return runs;
    }

    json::object Scheduled(const std::string& name) {
        const auto jobs =
            Call("getScheduledJobs", R"({"companyHandle":"47","jobHandle":"47|)" + name + R"(|"})");
        return jobs.at("jobArray").as_array().at(0).as_object();
    }

    // submitJob of a commandJob on `schedule`, which must be refused as fault 30001 (a bad
    // parameter); returns the fault's reason.
    std::string RefusedScheduleReason(const std::string& name, const std::string& schedule) {
        const auto answer =
            daemon_.Json("submitJob",
                         R"({"companyHandle":"47","jobName":")" + name + R"(","execSchedule":")" +
                             schedule + R"(","commandJob":{"argv":["/bin/true"]}})",
                         "admin@example.com");
        EXPECT_EQ(answer.status, 400);
        const auto fault = json::parse(answer.body).as_object();
        EXPECT_EQ(fault.at("code").as_int64(), 30001);
        return fault.at("reason").as_string().c_str();
    }

    JobdProcess daemon_;
};

TEST_F(SchedulingTest, PerSecondScheduleFiresRepeatedly) {
    Call("submitJob", R"({"companyHandle":"47","jobName":"tick","execSchedule":"* * * * * ?",
        "timeZone":"Europe/Berlin","overlap":"Allow","commandJob":{"argv":["/bin/true"]}})");
    ASSERT_TRUE(WaitFor([&] { return Runs("tick", "Schedule").size() >= 2; })) << daemon_.Log();
    const auto job = Scheduled("tick");
    EXPECT_EQ(job.at("execSchedule").as_string(), "* * * * * ?");
    EXPECT_EQ(job.at("timeZone").as_string(), "Europe/Berlin");
    EXPECT_EQ(job.at("triggerState").as_string(), "Normal");
    // nextFireTime carries its offset (+01:00 in winter, +02:00 in summer).
    const std::string next = job.at("nextFireTime").as_string().c_str();
    EXPECT_TRUE(next.ends_with("+01:00") || next.ends_with("+02:00")) << next;
}

TEST_F(SchedulingTest, ExecTimeRunsOnceThenIsComplete) {
    const auto at = std::chrono::time_point_cast<std::chrono::microseconds>(
        std::chrono::system_clock::now() + std::chrono::seconds(2));
    Call("submitJob",
         R"({"companyHandle":"47","jobName":"once","execTime":")" + FormatUtc(at) +
             R"(","commandJob":{"argv":["/bin/true"]}})");
    ASSERT_TRUE(WaitFor([&] { return Runs("once", "Schedule").size() == 1; })) << daemon_.Log();
    EXPECT_EQ(Scheduled("once").at("triggerState").as_string(), "Complete");
}

TEST_F(SchedulingTest, SubmitWithoutTimeRunsNow) {
    Call("submitJob",
         R"({"companyHandle":"47","jobName":"now","commandJob":{"argv":["/bin/true"]}})");
    EXPECT_TRUE(WaitFor([&] { return Runs("now", "Submit").size() == 1; })) << daemon_.Log();
}

TEST_F(SchedulingTest, BadScheduleIsAFaultNamingTheField) {
    EXPECT_NE(RefusedScheduleReason("bad", "0 0 0 32 * ?").find("execSchedule"), std::string::npos);
}

// Contract §8 / issue #5: a schedule that can never fire is a submit-time error, not a job that
// silently never runs.
TEST_F(SchedulingTest, NeverFiringScheduleIsRejectedAtSubmit) {
    EXPECT_NE(RefusedScheduleReason("feb30", "0 0 0 30 2 ?").find("never fires"),
              std::string::npos);
}

}  // namespace
}  // namespace jobd::test
