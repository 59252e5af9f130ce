// End to end: SIGTERM drains (contract §9; issue #3): exit 0, and no run is left Running.

#include <csignal>
#include <fstream>

#include <boost/json.hpp>
#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "e2e/jobd/daemon_fixture.hpp"

namespace jobd::test {
namespace {

namespace json = boost::json;

std::string SubmitAndExecute(const JobdProcess& daemon,
                             const std::string& name,
                             const std::string& argv) {
    const auto submitted =
        daemon.Json("submitJob",
                    R"({"companyHandle":"47","jobName":")" + name +
                        R"(","execSchedule":"0 0 0 1 1 ?","commandJob":{"argv":)" + argv + "}}",
                    "admin@example.com");
    EXPECT_EQ(submitted.status, 200) << submitted.body;
    const auto executed = daemon.Json("executeJob",
                                      R"({"companyHandle":"47","jobHandle":"47|)" + name + R"(|"})",
                                      "admin@example.com");
    EXPECT_EQ(executed.status, 200) << executed.body;
    return json::parse(executed.body).at("runHandle").as_string().c_str();
}

std::string StateOf(const std::string& url, const std::string& run_handle) {
    pqxx::connection connection{url};
    pqxx::work tx{connection};
    const auto id = run_handle.substr(run_handle.rfind('|') + 1);
    return tx.exec_params1("SELECT state FROM runs WHERE id = $1", std::stoll(id))[0]
        .as<std::string>();
}

class ShutdownTest : public ::testing::Test {
protected:
    void SetUp() override {
        daemon_.AddCompany(47, "Demo");
        daemon_.AddUser("admin@example.com", 47, "IpsAdmin");
        daemon_.Start();
    }

    JobdProcess daemon_{"runs:\n  stop_grace: 1s\n"};
};

TEST_F(ShutdownTest, RunPastTheGraceIsStoppedAndTheExitIsClean) {
    const std::string run =
        SubmitAndExecute(daemon_, "stubborn", R"(["/bin/sh","-c","trap '' TERM; sleep 60"])");
    ASSERT_TRUE(WaitFor([&] { return StateOf(daemon_.database_url(), run) == "Running"; }));
    EXPECT_EQ(daemon_.Terminate(), 0) << daemon_.Log();
    EXPECT_EQ(StateOf(daemon_.database_url(), run), "Stopped");
}

TEST_F(ShutdownTest, RunWithinTheGraceFinishes) {
    const std::string run =
        SubmitAndExecute(daemon_, "quick", R"(["/bin/sh","-c","sleep 0.3; echo done"])");
    ASSERT_TRUE(WaitFor([&] { return StateOf(daemon_.database_url(), run) != "Queued"; }));
    EXPECT_EQ(daemon_.Terminate(), 0) << daemon_.Log();
    EXPECT_EQ(StateOf(daemon_.database_url(), run), "Succeeded");
}

// SIGHUP validates the file in full; a bad one is refused and the running config kept.
TEST_F(ShutdownTest, ReloadWithABadConfigKeepsRunning) {
    const auto config = daemon_.dir() / "jobd.yaml";
    std::ofstream(config, std::ios::app) << "workers:\n  max_concurrent_runs: 0\n";
    daemon_.SendSignal(SIGHUP);
    EXPECT_TRUE(WaitFor([&] { return daemon_.Log().find("reload refused") != std::string::npos; }));
    EXPECT_EQ(daemon_.Get("/healthz").status, 200);
    const std::string run = SubmitAndExecute(daemon_, "after-reload", R"(["/bin/true"])");
    EXPECT_TRUE(WaitFor([&] { return StateOf(daemon_.database_url(), run) == "Succeeded"; }));
    EXPECT_EQ(daemon_.Terminate(), 0);
}

}  // namespace
}  // namespace jobd::test
