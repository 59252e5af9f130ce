// End to end (issue #6 item 1; contract §9): three jobd nodes on one database fire many
// per-second jobs for a minute; every fire has exactly one run, started once, and the runs are
// spread over the nodes (from the runs table and the outcome files).

#include <fstream>
#include <iostream>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "e2e/jobd/cluster_fixture.hpp"

namespace jobd::test {
namespace {

using std::chrono::seconds;

// Two workers per node and runs of 0.3 s: eight jobs a second need more workers than one node
// has, so every node's share is exercised, the released runs included.
constexpr int kJobs = 8;
constexpr auto kFiring = seconds(60);
constexpr const char* kConfig =
    "runs:\n  lease: 3s\n  stop_grace: 1s\n"
    "workers:\n  max_concurrent_runs: 2\n";

TEST(ClusterFires, ThreeNodesRunEveryFireExactlyOnce) {
    Cluster cluster;
    std::vector<JobdProcess*> nodes{&cluster.Add("node-a", kConfig),
                                    &cluster.Add("node-b", kConfig),
                                    &cluster.Add("node-c", kConfig)};
    cluster.Seed();
    for (auto* node : nodes) {
        node->Start();
    }
    for (int i = 0; i < kJobs; ++i) {
        cluster.Submit(*nodes[i % 3],
                       "47",
                       "tick" + std::to_string(i),
                       R"("execSchedule":"* * * * * ?","overlap":"Allow",)"
                       R"("commandJob":{"argv":["/bin/sleep","0.3"]})");
    }
    // Until every job has fired for a minute (checked each second: the minute is the test).
    const auto fired_a_minute = [&] {
        return cluster
                   .Query(
                       "SELECT count(*) FROM jobs j WHERE (SELECT count(*) FROM runs r "
                       "WHERE r.job_id = j.id AND r.state = 'Succeeded') >= " +
                       std::to_string(kFiring.count()))[0][0]
                   .as<int>() == kJobs;
    };
    const auto deadline = std::chrono::steady_clock::now() + kFiring + seconds(20);
    while (!fired_a_minute() && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(seconds(1));
    }
    ASSERT_TRUE(fired_a_minute());
    for (int i = 0; i < kJobs; ++i) {
        const auto paused = nodes[0]->Json(
            "pauseJob",
            R"({"companyHandle":"47","jobHandle":"47|tick)" + std::to_string(i) + R"(|"})",
            "admin@example.com");
        ASSERT_EQ(paused.status, 200) << paused.body;
    }
    ASSERT_TRUE(WaitFor(
        [&] {
            return cluster
                       .Query(
                           "SELECT count(*) FROM runs WHERE state IN ('Queued', 'Running')")[0][0]
                       .as<int>() == 0;
        },
        seconds(20)));
    for (auto* node : nodes) {
        EXPECT_EQ(node->Terminate(), 0);
    }

    // Every fire of each job, from its first to its last, has one run, and each succeeded (none
    // was started twice, lost or skipped).
    const auto per_job = cluster.Query(
        "SELECT job_id, count(*), count(DISTINCT scheduled_for), "
        "extract(epoch FROM max(scheduled_for) - min(scheduled_for))::int + 1, "
        "count(*) FILTER (WHERE state <> 'Succeeded') "
        "FROM runs WHERE trigger = 'Schedule' GROUP BY job_id");
    ASSERT_EQ(per_job.size(), static_cast<std::size_t>(kJobs));
    int total = 0;
    for (const auto& row : per_job) {
        const int runs = row[1].as<int>();
        EXPECT_EQ(runs, row[2].as<int>()) << "a fire with two runs";
        EXPECT_EQ(runs, row[3].as<int>()) << "a fire without a run";
        EXPECT_GE(runs, kFiring.count());
        EXPECT_EQ(row[4].as<int>(), 0) << "runs that did not succeed";
        total += runs;
    }
    EXPECT_EQ(cluster.Query("SELECT count(*) FROM runs")[0][0].as<int>(), total);

    // Spread over the three nodes.
    const auto per_node = cluster.Query("SELECT node, count(*) FROM runs GROUP BY node ORDER BY 1");
    ASSERT_EQ(per_node.size(), 3u);
    for (const auto& row : per_node) {
        std::cout << "runs node=" << row[0].as<std::string>() << " count=" << row[1].as<int>()
                  << "\n";
        EXPECT_GT(row[1].as<int>(), total / 10);
    }

    // One outcome line per run, across the nodes' files.
    std::set<std::string> lines;
    int line_count = 0;
    for (auto* node : nodes) {
        std::ifstream file(node->dir() / "log" / "companies" / "47.log");
        for (std::string line; std::getline(file, line); ++line_count) {
            const auto at = line.find("\"run\":");
            lines.insert(line.substr(at, line.find(',', at) - at));
        }
    }
    EXPECT_EQ(line_count, total);
    EXPECT_EQ(lines.size(), static_cast<std::size_t>(total));
}

}  // namespace
}  // namespace jobd::test
