// End to end: SIGTERM drains (contract §9; issues #3 and #6): exit 0, no run is left Running,
// queued runs are left to the next node. SIGHUP reloads without dropping runs or connections,
// or refuses a bad file. The watchdog is fed from the event loop under systemd's WATCHDOG_USEC.

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

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

std::string ReadAll(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

std::string Replace(std::string text, const std::string& from, const std::string& to) {
    const auto at = text.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return at == std::string::npos ? text : text.replace(at, from.size(), to);
}

template <typename Fn>
auto Sql(const std::string& url, Fn fn) {
    pqxx::connection connection{url};
    pqxx::work tx{connection};
    return fn(tx);
}

// The daemon's sessions on its database: the LISTEN connection's and the pool's.
std::set<int> Backends(const std::string& url, const std::string& which) {
    return Sql(url, [&](pqxx::work& tx) {
        std::set<int> pids;
        for (const auto& row : tx.exec("SELECT pid FROM pg_stat_activity WHERE datname = "
                                       "current_database() AND pid <> pg_backend_pid() AND " +
                                       which)) {
            pids.insert(row[0].as<int>());
        }
        return pids;
    });
}

class ShutdownTest : public ::testing::Test {
protected:
    void SetUp() override { StartDemoDaemon(daemon_); }

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
    ASSERT_TRUE(WaitFor([&] { return daemon_.Log().find("reload refused") != std::string::npos; }));
    // The refusal names the key at fault.
    const std::string log = daemon_.Log();
    const std::string refusal = log.substr(log.find("reload refused"));
    EXPECT_NE(refusal.substr(0, refusal.find('\n')).find("max_concurrent_runs"), std::string::npos)
        << log;
    EXPECT_EQ(daemon_.Get("/healthz").status, 200);
    const std::string run = SubmitAndExecute(daemon_, "after-reload", R"(["/bin/true"])");
    EXPECT_TRUE(WaitFor([&] { return StateOf(daemon_.database_url(), run) == "Succeeded"; }));
    EXPECT_EQ(daemon_.Terminate(), 0);
}

// SIGTERM with runs waiting for a worker: they stay Queued, claimed by no node (node unset), so
// any node takes them; here the same node's next start runs them.
TEST_F(ShutdownTest, QueuedRunsAreLeftForTheNextNode) {
    const auto fast = daemon_.dir() / "fast";
    const auto submitted =
        daemon_.Json("submitJob",
                     R"({"companyHandle":"47","jobName":"serial","execSchedule":"0 0 0 1 1 ?",
            "overlap":"Queue","commandJob":{"argv":["/bin/sh","-c",
            "test -e )" + fast.string() +
                         R"( && exit 0; trap '' TERM; sleep 60"]}})",
                     "admin@example.com");
    ASSERT_EQ(submitted.status, 200) << submitted.body;
    std::vector<std::string> runs;
    for (int i = 0; i < 3; ++i) {
        const auto executed = daemon_.Json("executeJob",
                                           R"({"companyHandle":"47","jobHandle":"47|serial|"})",
                                           "admin@example.com");
        ASSERT_EQ(executed.status, 200) << executed.body;
        runs.push_back(json::parse(executed.body).at("runHandle").as_string().c_str());
    }
    ASSERT_TRUE(WaitFor([&] { return StateOf(daemon_.database_url(), runs[0]) == "Running"; }))
        << daemon_.Log();
    EXPECT_EQ(daemon_.Terminate(), 0) << daemon_.Log();
    EXPECT_EQ(StateOf(daemon_.database_url(), runs[0]), "Stopped");
    for (int i = 1; i < 3; ++i) {
        EXPECT_EQ(StateOf(daemon_.database_url(), runs[i]), "Queued");
    }
    const int unclaimed = Sql(daemon_.database_url(), [](pqxx::work& tx) {
        return tx.exec1("SELECT count(*) FROM runs WHERE state = 'Queued' AND node IS NULL")[0]
            .as<int>();
    });
    EXPECT_EQ(unclaimed, 2);

    std::ofstream(fast) << "";
    daemon_.Start();
    for (int i = 1; i < 3; ++i) {
        EXPECT_TRUE(WaitFor([&] {
            return StateOf(daemon_.database_url(), runs[i]) == "Succeeded";
        })) << daemon_.Log();
    }
    EXPECT_EQ(daemon_.Terminate(), 0) << daemon_.Log();
}

// SIGHUP with a good file: a run going on finishes, the database sessions stay, and the new
// log level, limits and handlers apply.
TEST_F(ShutdownTest, ReloadWithAGoodConfigKeepsRunsAndConnections) {
    const std::string url = daemon_.database_url();
    const auto flag = daemon_.dir() / "finish";
    const std::string across = SubmitAndExecute(
        daemon_,
        "across",
        R"(["/bin/sh","-c","while ! test -e )" + flag.string() + R"(; do sleep 0.05; done"])");
    ASSERT_TRUE(WaitFor([&] { return StateOf(url, across) == "Running"; }));
    const std::string upload =
        R"({"companyHandle":"47","jobName":"upload","execSchedule":"0 0 0 1 1 ?",
            "uploadUrlsJob":{}})";
    const auto refused = daemon_.Json("submitJob", upload, "admin@example.com");
    EXPECT_NE(refused.status, 200) << refused.body;
    EXPECT_NE(refused.body.find("handlers.uploadUrlsJob"), std::string::npos) << refused.body;
    const auto listen_before = Backends(url, "query LIKE 'LISTEN%'");
    const auto pool_before = Backends(url, "query NOT LIKE 'LISTEN%'");
    ASSERT_EQ(listen_before.size(), 1u);

    const std::string handler =
        std::string(std::getenv("JOBD_SOURCE_DIR")) + "/libexec/ips-demo-handler";
    std::string config = ReadAll(daemon_.config_path());
    config = Replace(config, "level: debug", "level: info");
    config = Replace(config, "max_concurrent_runs: 4", "max_concurrent_runs: 2");
    config = Replace(
        config, "handlers:\n", "handlers:\n  uploadUrlsJob:\n    command: [" + handler + "]\n");
    std::ofstream(daemon_.config_path()) << config;
    daemon_.SendSignal(SIGHUP);
    ASSERT_TRUE(WaitFor([&] { return daemon_.Log().find("config reloaded") != std::string::npos; }))
        << daemon_.Log();

    std::ofstream(flag) << "";
    EXPECT_TRUE(WaitFor([&] { return StateOf(url, across) == "Succeeded"; })) << daemon_.Log();
    EXPECT_EQ(Backends(url, "query LIKE 'LISTEN%'"), listen_before);
    for (const int pid : pool_before) {
        EXPECT_TRUE(Backends(url, "true").contains(pid)) << "pool session " << pid << " dropped";
    }
    const auto accepted = daemon_.Json("submitJob", upload, "admin@example.com");
    EXPECT_EQ(accepted.status, 200) << accepted.body;
    // info now: a new run logs its end (info) but not its start (debug).
    const std::string after = SubmitAndExecute(daemon_, "after-level", R"(["/bin/true"])");
    ASSERT_TRUE(WaitFor([&] { return StateOf(url, after) == "Succeeded"; }));
    ASSERT_TRUE(
        WaitFor([&] { return daemon_.Log().find("job=\"after-level\"") != std::string::npos; }));
    const std::string log = daemon_.Log();
    EXPECT_EQ(log.find("run started company=47 job=\"after-level\""), std::string::npos) << log;
    EXPECT_NE(log.find("run finished company=47 job=\"after-level\""), std::string::npos) << log;
    EXPECT_EQ(daemon_.Terminate(), 0) << daemon_.Log();
}

// systemd's watchdog (Type=notify, WatchdogSec): WATCHDOG=1 arrives from the running loop at
// half the interval systemd announces in WATCHDOG_USEC.
TEST(Watchdog, PingsArriveWhenSystemdAsksForThem) {
    JobdProcess daemon;
    daemon.SetEnv("WATCHDOG_USEC", "400000");
    daemon.Start();
    for (int ping = 0; ping < 3; ++ping) {
        EXPECT_TRUE(daemon.WaitForNotify("WATCHDOG=1", std::chrono::seconds(2))) << ping;
    }
    EXPECT_EQ(daemon.Terminate(), 0) << daemon.Log();
}

}  // namespace
}  // namespace jobd::test
