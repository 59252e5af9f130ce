// End to end: retries of failed runs, the per-company concurrency limit (contract §7, §4;
// issue #5) and what a worker is: a run executing (issue #8).

#include <algorithm>
#include <chrono>
#include <filesystem>

#include <boost/json.hpp>
#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "e2e/jobd/daemon_fixture.hpp"
#include "jobd/model/time.hpp"

namespace jobd::test {
namespace {

namespace json = boost::json;

class RetriesLimitsTest : public ::testing::Test {
protected:
    explicit RetriesLimitsTest(
        const std::string& config = "workers:\n  per_company_max_concurrent_runs: 1\n")
        : daemon_(config) {}

    void SetUp() override {
        AddDemoCompany(daemon_);
        daemon_.AddCompany(48, "Other");
        daemon_.Start();
    }

    void Submit(const std::string& company,
                const std::string& name,
                const std::string& argv,
                const std::string& extra = "") {
        const auto answer = daemon_.Json(
            "submitJob",
            R"({"companyHandle":")" + company + R"(","jobName":")" + name +
                R"(","execSchedule":"0 0 0 1 1 ?","overlap":"Allow","commandJob":{"argv":)" + argv +
                "}" + extra + "}",
            "admin@example.com");
        ASSERT_EQ(answer.status, 200) << answer.body;
    }

    // The run's id.
    std::int64_t Execute(const std::string& company, const std::string& name) {
        const auto answer = daemon_.Json("executeJob",
                                         R"({"companyHandle":")" + company + R"(","jobHandle":")" +
                                             company + "|" + name + R"(|"})",
                                         "admin@example.com");
        EXPECT_EQ(answer.status, 200) << answer.body;
        const std::string handle(json::parse(answer.body).at("runHandle").as_string());
        return std::stoll(handle.substr(handle.rfind('|') + 1));
    }

    std::string StateOf(std::int64_t run) const {
        pqxx::connection connection{daemon_.database_url()};
        pqxx::nontransaction tx{connection};
        return tx.exec_params1("SELECT state FROM runs WHERE id = $1", run)[0].as<std::string>();
    }

    // Finished runs of the job, oldest first.
    std::vector<json::object> Finished(const std::string& name) {
        const auto answer =
            daemon_.Json("getJobLogs",
                         R"({"numRows":1000,"sortBy":"StartDate","sortDirection":"Ascending"})",
                         "admin@example.com");
        const json::object logs = json::parse(answer.body).as_object();
        std::vector<json::object> runs;
        for (const auto& log : logs.at("jobLogArray").as_array()) {
            const auto& entry = log.as_object();
            const auto state = entry.at("state").as_string();
            if (entry.at("jobName").as_string() == name && state != "Queued" &&
                state != "Running") {
                runs.push_back(entry);
            }
        }
        return runs;
    }

    JobdProcess daemon_;
};

class OneWorkerTest : public RetriesLimitsTest {
protected:
    OneWorkerTest() : RetriesLimitsTest("workers:\n  max_concurrent_runs: 1\n") {}
};

TEST_F(RetriesLimitsTest, FailedRunIsRetriedUpToMaxRetries) {
    Submit("47",
           "flaky",
           R"(["/bin/sh","-c","exit 3"])",
           R"(,"maxRetries":2,"retryBackoffSeconds":0)");
    Execute("47", "flaky");
    ASSERT_TRUE(WaitFor([&] { return Finished("flaky").size() == 3; })) << daemon_.Log();
    const auto runs = Finished("flaky");
    EXPECT_EQ(runs[0].at("trigger").as_string(), "Execute");
    EXPECT_EQ(runs[1].at("trigger").as_string(), "Retry");
    EXPECT_EQ(runs[2].at("trigger").as_string(), "Retry");
    for (const auto& run : runs) {
        EXPECT_EQ(run.at("state").as_string(), "Failed");
    }
}

// Two runs of one company never overlap under a limit of 1, while another company's run goes
// on beside them.
TEST_F(RetriesLimitsTest, PerCompanyLimitSerializesATenant) {
    Submit("47", "a", R"(["/bin/sh","-c","sleep 0.5"])");
    Submit("47", "b", R"(["/bin/sh","-c","sleep 0.5"])");
    Submit("48", "c", R"(["/bin/sh","-c","sleep 0.5"])");
    Execute("47", "a");
    Execute("47", "b");
    Execute("48", "c");
    ASSERT_TRUE(WaitFor([&] {
        return Finished("a").size() == 1 && Finished("b").size() == 1 && Finished("c").size() == 1;
    })) << daemon_.Log();
    const auto a = Finished("a")[0];
    const auto b = Finished("b")[0];
    const auto c = Finished("c")[0];
    // ISO 8601 UTC strings of one format compare as the instants they name.
    const auto starts = [](const json::object& run) {
        return std::string(run.at("startDate").as_string());
    };
    const auto ends = [](const json::object& run) {
        return std::string(run.at("endDate").as_string());
    };
    EXPECT_TRUE(ends(a) <= starts(b) || ends(b) <= starts(a));
    EXPECT_LT(starts(c), std::max(ends(a), ends(b)));
}

// The same for runs that fire together (issue #8): a scheduler pass inserts no more of a
// company's runs Running on its free workers than the company's room; the others wait Queued and
// start one after another, while the other company's run goes on beside them.
TEST_F(RetriesLimitsTest, PerCompanyLimitHoldsForRunsFiredTogether) {
    const auto at = std::chrono::time_point_cast<std::chrono::microseconds>(
        std::chrono::ceil<std::chrono::seconds>(std::chrono::system_clock::now()) +
        std::chrono::seconds(2));
    const std::vector<std::pair<std::string, std::string>> jobs{
        {"47", "a"}, {"47", "b"}, {"47", "c"}, {"48", "d"}};
    for (const auto& [company, name] : jobs) {
        const auto answer = daemon_.Json(
            "submitJob",
            R"({"companyHandle":")" + company + R"(","jobName":")" + name + R"(","execTime":")" +
                FormatUtc(at) +
                R"(","overlap":"Allow","commandJob":{"argv":["/bin/sh","-c","sleep 0.5"]}})",
            "admin@example.com");
        ASSERT_EQ(answer.status, 200) << answer.body;
    }
    ASSERT_TRUE(WaitFor([&] {
        return Finished("a").size() == 1 && Finished("b").size() == 1 &&
               Finished("c").size() == 1 && Finished("d").size() == 1;
    })) << daemon_.Log();
    // ISO 8601 UTC strings of one format compare as the instants they name.
    std::vector<std::pair<std::string, std::string>> tenant;  // start, end
    for (const std::string name : {"a", "b", "c"}) {
        const auto run = Finished(name)[0];
        EXPECT_EQ(run.at("trigger").as_string(), "Schedule");
        tenant.emplace_back(run.at("startDate").as_string(), run.at("endDate").as_string());
    }
    std::sort(tenant.begin(), tenant.end());
    EXPECT_LE(tenant[0].second, tenant[1].first);
    EXPECT_LE(tenant[1].second, tenant[2].first);
    const auto other = Finished("d")[0];
    EXPECT_LT(std::string(other.at("startDate").as_string()), tenant[0].second);
}

// A worker is a run executing (contract §4): once a process has ended, the next run starts on
// its worker while the ended run waits for its end's commit, held back here by a row lock.
TEST_F(OneWorkerTest, TheNextRunStartsWhileAnEndedRunsCommitWaits) {
    const auto marker = daemon_.dir() / "second-started";
    Submit("47", "first", R"(["/bin/sh","-c","sleep 0.3"])");
    Submit("47", "second", R"(["/bin/sh","-c","touch )" + marker.string() + R"("])");
    const auto first = Execute("47", "first");
    ASSERT_TRUE(WaitFor([&] { return StateOf(first) == "Running"; })) << daemon_.Log();
    pqxx::connection connection{daemon_.database_url()};
    pqxx::work hold{connection};
    hold.exec_params("SELECT 1 FROM runs WHERE id = $1 FOR UPDATE", first);
    const auto second = Execute("47", "second");

    EXPECT_TRUE(WaitFor([&] { return std::filesystem::exists(marker); })) << daemon_.Log();
    EXPECT_EQ(StateOf(first), "Running");  // its end is still waiting for the lock
    hold.abort();
    EXPECT_TRUE(WaitFor([&] { return StateOf(first) == "Succeeded"; })) << daemon_.Log();
    EXPECT_TRUE(WaitFor([&] { return StateOf(second) == "Succeeded"; })) << daemon_.Log();
}

}  // namespace
}  // namespace jobd::test
