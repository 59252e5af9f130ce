// End to end: several jobd nodes on one database hand runs to each other and survive the loss of
// one (issue #6 items 1 and 2; contract §9): a node killed with SIGKILL loses its runs to
// another within its lease, its children die with it, and it comes back cleanly; executeJob on a
// busy node runs on a free one; the per-company limit holds across nodes.

#include <csignal>
#include <fstream>
#include <iostream>
#include <map>

#include <gtest/gtest.h>
#include <poll.h>

#include "e2e/jobd/cluster_fixture.hpp"
#include "jobd/model/time.hpp"
#include "jobd/store/job_changes.hpp"

namespace jobd::test {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// Short leases so a lost node is noticed in seconds; quick stops so the test ends promptly.
constexpr const char* kRuns = "runs:\n  lease: 2s\n  stop_grace: 1s\n";
constexpr auto kLease = seconds(2);

std::vector<int> ReadPids(const std::filesystem::path& file) {
    std::ifstream in(file);
    std::vector<int> pids;
    for (int pid = 0; in >> pid;) {
        pids.push_back(pid);
    }
    return pids;
}

// The handler writes its pid, then becomes a long sleep (exec: the pid is the sleep's).
std::string LongRun(const std::filesystem::path& pids) {
    return R"("commandJob":{"argv":["/bin/sh","-c","echo $$ >> )" + pids.string() +
           R"(; exec sleep 60"]})";
}

struct TwoNodes {
    JobdProcess& a;
    JobdProcess& b;
};

// node-a and node-b with `config`, the cluster seeded, both started.
TwoNodes StartTwoNodes(Cluster& cluster, const std::string& config) {
    JobdProcess& a = cluster.Add("node-a", config);
    JobdProcess& b = cluster.Add("node-b", config);
    cluster.Seed();
    a.Start();
    b.Start();
    return {a, b};
}

// The runs of the job named `job` as "node state", comma-separated, in no particular order.
std::string RunsOf(const Cluster& cluster, const std::string& job) {
    return cluster
        .Query(
            "SELECT coalesce(string_agg(r.node || ' ' || r.state, ','), '') FROM runs r "
            "JOIN jobs j ON j.id = r.job_id WHERE j.name = '" +
            job + "'")[0][0]
        .as<std::string>();
}

// Waits until run `id` is in `state`; returns whether it got there within `deadline`.
bool WaitForState(const Cluster& cluster,
                  std::int64_t id,
                  const std::string& state,
                  std::chrono::milliseconds deadline = seconds(20)) {
    return WaitFor([&] { return cluster.StateOf(id) == state; }, deadline);
}

struct BusyNode {
    std::int64_t block;  // the long run that keeps the node's only worker busy
    std::int64_t quick;  // a run of /bin/true executed on the node meanwhile
};

// Keeps `node`'s only worker busy with a long run (checked Running on it), then executes a
// quick job on it.
BusyNode BusyThenExecute(Cluster& cluster, JobdProcess& node) {
    cluster.Submit(
        node, "47", "block", R"("execSchedule":"0 0 0 1 1 ?",)" + LongRun(node.dir() / "pids"));
    cluster.Submit(
        node, "47", "quick", R"("execSchedule":"0 0 0 1 1 ?","commandJob":{"argv":["/bin/true"]})");
    const std::int64_t block = cluster.Execute(node, "47", "block");
    EXPECT_TRUE(WaitForState(cluster, block, "Running")) << node.Log();
    EXPECT_EQ(cluster.NodeOf(block), node.node_name());
    return {block, cluster.Execute(node, "47", "quick")};
}

// The node holding Queued run `id`, "" once released to any node.
std::string HolderOf(const Cluster& cluster, std::int64_t id) {
    return cluster
        .Query("SELECT coalesce(holder, '') FROM runs WHERE id = " + std::to_string(id))[0][0]
        .as<std::string>();
}

int SucceededTicks(const Cluster& cluster) {
    return cluster
        .Query(
            "SELECT count(*) FROM runs r JOIN jobs j ON j.id = r.job_id "
            "WHERE j.name = 'tick' AND r.state = 'Succeeded'")[0][0]
        .as<int>();
}

TEST(ClusterFailover, AKilledNodesRunsAreLostAndRetriedElsewhereAndItComesBackCleanly) {
    Cluster cluster;
    auto [a, b] = StartTwoNodes(cluster, kRuns);
    const auto pids = a.dir() / "pids";
    cluster.Submit(a,
                   "47",
                   "long",
                   R"("execSchedule":"0 0 0 1 1 ?","overlap":"Allow","maxRetries":1,)"
                   R"("retryBackoffSeconds":0,)" +
                       LongRun(pids));
    cluster.Submit(
        a, "47", "tick", R"("execSchedule":"* * * * * ?","commandJob":{"argv":["/bin/true"]})");
    const std::int64_t lost = cluster.Execute(a, "47", "long");
    ASSERT_TRUE(WaitFor([&] { return ReadPids(pids).size() == 1; })) << a.Log();
    ASSERT_EQ(cluster.NodeOf(lost), "node-a");
    const int child = ReadPids(pids)[0];

    a.Kill();
    const auto killed_at = std::chrono::steady_clock::now();
    // PR_SET_PDEATHSIG: the run's process dies with its daemon.
    EXPECT_TRUE(WaitFor([&] { return ProcessGone(child); }, seconds(5))) << "pid " << child;
    const int ticks_before = SucceededTicks(cluster);
    // Within the lease plus one heartbeat of node-b and a margin.
    ASSERT_TRUE(WaitForState(cluster, lost, "Lost", kLease + seconds(4))) << b.Log();
    const auto noticed = std::chrono::steady_clock::now() - killed_at;
    std::cout << "lost after ms=" << std::chrono::duration_cast<milliseconds>(noticed).count()
              << "\n";
    const auto reason =
        cluster.Query("SELECT reason FROM runs WHERE id = " + std::to_string(lost))[0][0]
            .as<std::string>();
    EXPECT_NE(reason.find("node-a"), std::string::npos) << reason;

    // The retry runs on the node that is left, as a second process.
    const std::string retry_sql =
        "SELECT id FROM runs WHERE trigger = 'Retry' AND first_run_id = " + std::to_string(lost);
    ASSERT_TRUE(WaitFor([&] { return !cluster.Query(retry_sql).empty(); }, seconds(5)));
    const auto retry = cluster.Query(retry_sql)[0][0].as<std::int64_t>();
    ASSERT_TRUE(WaitForState(cluster, retry, "Running", seconds(5))) << b.Log();
    EXPECT_EQ(cluster.NodeOf(retry), "node-b");
    EXPECT_TRUE(WaitFor([&] { return ReadPids(pids).size() == 2; }));

    // node-b wrote the lost run's outcome line, once.
    std::ifstream outcomes(b.dir() / "log" / "companies" / "47.log");
    int lines_for_lost = 0;
    const std::string handle = "\"47|long|" + std::to_string(lost) + "\"";
    for (std::string line; std::getline(outcomes, line);) {
        lines_for_lost += line.find(handle) != std::string::npos ? 1 : 0;
    }
    EXPECT_EQ(lines_for_lost, 1);

    // The other node kept firing meanwhile.
    EXPECT_TRUE(WaitFor([&] { return SucceededTicks(cluster) >= ticks_before + 2; }));

    // Back with the same name: it registers again and runs what it is given.
    a.Start();
    cluster.Submit(
        a, "47", "quick", R"("execSchedule":"0 0 0 1 1 ?","commandJob":{"argv":["/bin/true"]})");
    const std::int64_t quick = cluster.Execute(a, "47", "quick");
    ASSERT_TRUE(WaitForState(cluster, quick, "Succeeded")) << a.Log();
    EXPECT_EQ(cluster.NodeOf(quick), "node-a");
    EXPECT_EQ(cluster.StateOf(retry), "Running");  // untouched by node-a's return
    EXPECT_EQ(a.Log().find("declared lost"), std::string::npos);

    EXPECT_EQ(a.Terminate(), 0);
    EXPECT_EQ(b.Terminate(), 0);
    EXPECT_TRUE(ProcessGone(ReadPids(pids)[1]));
}

// A node declared lost while it lived registers again as a newcomer does, and looks for due
// fires: a job submitted meanwhile on the only node registered was announced to no one
// (migration 0013), and must still fire once that node is gone.
TEST(ClusterFailover, ANodeRegisteredAgainFiresAJobSubmittedWhileItWasOut) {
    Cluster cluster;
    auto [a, b] = StartTwoNodes(cluster, kRuns);
    std::string job;
    for (int attempt = 0; attempt < 5 && job.empty(); ++attempt) {
        cluster.Query("DELETE FROM nodes WHERE name = 'node-a'");  // as a reaper does
        const std::string name = "later-" + std::to_string(attempt);
        const auto at = std::chrono::time_point_cast<std::chrono::microseconds>(
            std::chrono::system_clock::now() + seconds(4));
        cluster.Submit(
            b,
            "47",
            name,
            R"("execTime":")" + FormatUtc(at) + R"(","commandJob":{"argv":["/bin/true"]})");
        // Unannounced only if node-a had not registered again before the submission.
        if (cluster.Query("SELECT 1 FROM nodes WHERE name = 'node-a'").empty()) {
            job = name;
        }
    }
    ASSERT_FALSE(job.empty()) << "node-a registered again before every submission";
    b.Kill();
    EXPECT_TRUE(WaitFor([&] { return RunsOf(cluster, job) == "node-a Succeeded"; }, seconds(15)))
        << RunsOf(cluster, job) << a.Log();
    EXPECT_EQ(a.Terminate(), 0);
}

// A job submitted on one node is announced to the others after its commit (Engine::JobChanged):
// node-b fires it on time though node-a, which made the change, is stopped before it is due and
// declared lost only a lease later.
TEST(ClusterFailover, AJobSubmittedOnOneNodeIsFiredOnTimeByAnother) {
    Cluster cluster;
    auto [a, b] = StartTwoNodes(cluster, "runs:\n  lease: 20s\n  stop_grace: 1s\n");
    store::JobChangeListener heard{cluster.url()};
    const auto at = std::chrono::time_point_cast<std::chrono::microseconds>(
        std::chrono::system_clock::now() + seconds(3));
    cluster.Submit(a,
                   "47",
                   "announced",
                   R"("execTime":")" + FormatUtc(at) + R"(","commandJob":{"argv":["/bin/true"]})");
    bool announced = false;
    for (int poll = 0; poll < 100 && !announced; ++poll) {  // 5 s at most
        pollfd fd{heard.Socket(), POLLIN, 0};
        announced = ::poll(&fd, 1, 50) > 0 && !heard.Take().empty();  // no other job changes
    }
    ASSERT_TRUE(announced) << a.Log();
    a.SendSignal(SIGSTOP);
    const std::string fired =
        "SELECT r.node || ' ' || r.state, "
        "extract(epoch FROM r.started_at - r.scheduled_for) FROM runs r "
        "JOIN jobs j ON j.id = r.job_id WHERE j.name = 'announced'";
    EXPECT_TRUE(WaitFor(
        [&] {
            const auto rows = cluster.Query(fired);
            return !rows.empty() && rows[0][0].as<std::string>() == "node-b Succeeded";
        },
        seconds(15)))
        << b.Log();
    const auto rows = cluster.Query(fired);
    ASSERT_FALSE(rows.empty());
    EXPECT_LT(rows[0][1].as<double>(), 2.0);  // on time, not after node-a's lease
    a.SendSignal(SIGCONT);
    EXPECT_EQ(a.Terminate(), 0);
    EXPECT_EQ(b.Terminate(), 0);
}

// A node announces its job changes after they commit (migration 0015); one lost in between has
// told no one of its last changes. Its reaper looks at every job once it has declared the node
// lost, and fires them on time.
TEST(ClusterFailover, AJobChangeALostNodeNeverAnnouncedFiresOnItsReaper) {
    Cluster cluster;
    auto [a, b] = StartTwoNodes(cluster, kRuns);
    // Past node-b's look at every job when its listener connects, which would find the change.
    ASSERT_TRUE(
        WaitFor([&] { return b.Log().find("listening for job changes") != std::string::npos; }));
    const std::string at = FormatUtc(std::chrono::time_point_cast<std::chrono::microseconds>(
        std::chrono::system_clock::now() + seconds(8)));
    // node-a's change as its sessions make it, committed, its announcement never sent.
    cluster.Query(
        "SELECT set_config('jobd.announces_changes', 'on', true); "
        "INSERT INTO jobs (company_id, name, job_type, payload, exec_time, time_zone, "
        "next_fire_at) VALUES (47, 'unannounced', 'commandJob', '{\"argv\":[\"/bin/true\"]}', '" +
        at + "', 'UTC', '" + at + "')");
    a.Kill();
    EXPECT_TRUE(
        WaitFor([&] { return RunsOf(cluster, "unannounced") == "node-b Succeeded"; }, seconds(20)))
        << RunsOf(cluster, "unannounced") << b.Log();
    EXPECT_EQ(b.Terminate(), 0);
}

// executeJob on a node whose only worker is busy runs on the node with a free one, woken by
// NOTIFY.
TEST(ClusterFailover, ExecuteOnABusyNodeRunsOnAFreeOne) {
    Cluster cluster;
    const std::string config = std::string(kRuns) + "workers:\n  max_concurrent_runs: 1\n";
    auto [a, b] = StartTwoNodes(cluster, config);
    const auto [block, quick] = BusyThenExecute(cluster, a);
    ASSERT_TRUE(WaitForState(cluster, quick, "Succeeded", seconds(10))) << a.Log() << b.Log();
    EXPECT_EQ(cluster.NodeOf(quick), "node-b");
    // serverName through the API says the same.
    const auto logs = a.Json("getJobLogs", R"({"numRows":10})", "admin@example.com");
    EXPECT_NE(logs.body.find(R"("serverName":"node-b")"), std::string::npos) << logs.body;

    EXPECT_EQ(a.Terminate(), 0);
    EXPECT_EQ(b.Terminate(), 0);
}

// Busy nodes keep their backlogs (issue #8): a node releases queued runs only to nodes that asked
// for work, as many as they had free workers, so runs do not go back and forth while every node is
// busy. node-b asked when it started idle, before its worker was taken: of the four runs queued on
// node-a meanwhile at most one is released, and every one of them runs there once its worker is
// free (before issue #8 all four were released).
TEST(ClusterFailover, BusyNodesKeepTheirBacklogs) {
    Cluster cluster;
    const std::string config = std::string(kRuns) + "workers:\n  max_concurrent_runs: 1\n";
    auto [a, b] = StartTwoNodes(cluster, config);
    cluster.Submit(
        b, "47", "block-b", R"("execSchedule":"0 0 0 1 1 ?",)" + LongRun(b.dir() / "pids"));
    const std::int64_t block_b = cluster.Execute(b, "47", "block-b");
    ASSERT_TRUE(WaitForState(cluster, block_b, "Running")) << b.Log();
    ASSERT_EQ(cluster.NodeOf(block_b), "node-b");
    cluster.Submit(
        a, "47", "block-a", R"("execSchedule":"0 0 0 1 1 ?",)" + LongRun(a.dir() / "pids"));
    const std::int64_t block_a = cluster.Execute(a, "47", "block-a");
    ASSERT_TRUE(WaitForState(cluster, block_a, "Running")) << a.Log();
    ASSERT_EQ(cluster.NodeOf(block_a), "node-a");

    cluster.Submit(a,
                   "47",
                   "quick",
                   R"("execSchedule":"0 0 0 1 1 ?","overlap":"Allow",)"
                   R"("commandJob":{"argv":["/bin/true"]})");
    std::vector<std::int64_t> quick;
    for (int i = 0; i < 4; ++i) {
        quick.push_back(cluster.Execute(a, "47", "quick"));
    }
    EXPECT_EQ(
        a.Json(
             "stopJob", R"({"companyHandle":"47","jobHandle":"47|block-a|"})", "admin@example.com")
            .status,
        200);
    for (const std::int64_t id : quick) {
        ASSERT_TRUE(WaitForState(cluster, id, "Succeeded")) << a.Log() << b.Log();
        EXPECT_EQ(cluster.NodeOf(id), "node-a");
    }
    const auto released = MetricSample(a.Get("/metrics").body, "jobd_runs_released_total");
    ASSERT_TRUE(released);
    EXPECT_LE(*released, 1);
    EXPECT_EQ(cluster.StateOf(block_b), "Running");
    EXPECT_EQ(a.Terminate(), 0);
    EXPECT_EQ(b.Terminate(), 0);
}

// A busy node alone keeps its backlog (releasing it to no one costs two commits a run, issue #8)
// and hands it over as soon as another node joins: at the newcomer's registration, not at the
// next lease renewal (the lease is far longer than the wait).
TEST(ClusterFailover, ABusyNodeAloneKeepsItsBacklogUntilANodeJoins) {
    Cluster cluster;
    const std::string config =
        "runs:\n  lease: 60s\n  stop_grace: 1s\n"
        "workers:\n  max_concurrent_runs: 1\n";
    JobdProcess& a = cluster.Add("node-a", config);
    JobdProcess& b = cluster.Add("node-b", config);
    cluster.Seed();
    a.Start();
    const auto [block, quick] = BusyThenExecute(cluster, a);
    ASSERT_EQ(cluster.StateOf(quick), "Queued");
    EXPECT_EQ(HolderOf(cluster, quick), "node-a");

    b.Start();
    EXPECT_TRUE(WaitForState(cluster, quick, "Succeeded", seconds(10))) << a.Log() << b.Log();
    EXPECT_EQ(cluster.NodeOf(quick), "node-b");
    EXPECT_EQ(cluster.StateOf(block), "Running");
    EXPECT_EQ(a.Terminate(), 0);
    EXPECT_EQ(b.Terminate(), 0);
}

// workers.per_company_max_concurrent_runs: 1 on two nodes: runs of company 47 executed on both
// never overlap (from the runs table), and all of them run.
TEST(ClusterFailover, PerCompanyLimitHoldsAcrossNodes) {
    Cluster cluster;
    const std::string config =
        std::string(kRuns) + "workers:\n  per_company_max_concurrent_runs: 1\n";
    auto [a, b] = StartTwoNodes(cluster, config);
    constexpr int kJobs = 6;
    for (int i = 0; i < kJobs; ++i) {
        cluster.Submit(
            a,
            "47",
            "job" + std::to_string(i),
            R"("execSchedule":"0 0 0 1 1 ?","commandJob":{"argv":["/bin/sleep","0.3"]})");
    }
    // The first runs on node-b, so node-a's claims meet a run of the company on another node.
    const std::int64_t first = cluster.Execute(b, "47", "job0");
    ASSERT_TRUE(WaitFor([&] { return cluster.NodeOf(first) == "node-b"; })) << b.Log();
    for (int i = 1; i < kJobs; ++i) {
        cluster.Execute(i % 2 == 0 ? b : a, "47", "job" + std::to_string(i));
    }
    ASSERT_TRUE(WaitFor(
        [&] {
            return cluster.Query("SELECT count(*) FROM runs WHERE state = 'Succeeded'")[0][0]
                       .as<int>() == kJobs;
        },
        seconds(30)))
        << a.Log() << b.Log();
    // Each run starts after the previous one ended: never two Running at once.
    const auto runs = cluster.Query(
        "SELECT started_at <= lag(ended_at) OVER (ORDER BY started_at), node FROM runs "
        "WHERE company_id = 47 ORDER BY started_at");
    std::map<std::string, int> per_node;  // which node takes a waiting run is not determined
    for (const auto& row : runs) {
        EXPECT_FALSE(!row[0].is_null() && row[0].as<bool>()) << "overlapping runs of company 47";
        ++per_node[row[1].as<std::string>()];
    }
    for (const auto& [node, count] : per_node) {
        std::cout << "company 47 runs node=" << node << " count=" << count << "\n";
    }
    EXPECT_EQ(a.Terminate(), 0);
    EXPECT_EQ(b.Terminate(), 0);
}

// SIGTERM (issue #6 item 4): the node stops its run, then hands the runs it held queued to the
// other node at once, not after its lease, and gives its lease up.
TEST(ClusterFailover, ATerminatedNodesQueuedRunsStartElsewhereAtOnce) {
    Cluster cluster;
    // A lease far longer than the waits below: only the release at shutdown hands the runs over.
    const std::string config = "runs:\n  lease: 60s\n  stop_grace: 1s\n";
    JobdProcess& a = cluster.Add("node-a", config);
    JobdProcess& b = cluster.Add("node-b", config);
    cluster.Seed();
    a.Start();
    b.Start();
    const auto go = a.dir() / "go";
    // Overlap Queue: while the first run goes on node-a, the next ones wait there, held by
    // node-a (it has free workers, so it keeps them), and node-b may not start them either.
    cluster.Submit(a,
                   "47",
                   "serial",
                   R"("execSchedule":"0 0 0 1 1 ?","overlap":"Queue","commandJob":{"argv":)"
                   R"(["/bin/sh","-c","test -e )" +
                       go.string() + R"( && exit 0; trap '' TERM; exec sleep 60"]})");
    const std::int64_t first = cluster.Execute(a, "47", "serial");
    ASSERT_TRUE(WaitFor([&] { return cluster.StateOf(first) == "Running"; })) << a.Log();
    const std::vector<std::int64_t> queued{cluster.Execute(a, "47", "serial"),
                                           cluster.Execute(a, "47", "serial")};
    for (const std::int64_t id : queued) {
        ASSERT_EQ(cluster.StateOf(id), "Queued");
        ASSERT_EQ(HolderOf(cluster, id), "node-a");
    }
    std::ofstream(go) << "";  // the runs still to start exit at once; the first sleeps on

    ASSERT_EQ(a.Terminate(), 0) << a.Log();
    const auto exited_at = std::chrono::steady_clock::now();
    EXPECT_EQ(cluster.StateOf(first), "Stopped");
    EXPECT_EQ(cluster.NodeOf(first), "node-a");
    EXPECT_TRUE(cluster.Query("SELECT 1 FROM nodes WHERE name = 'node-a'").empty());
    for (const std::int64_t id : queued) {
        EXPECT_TRUE(WaitFor([&] { return cluster.StateOf(id) == "Succeeded"; }, seconds(10)))
            << id << " " << cluster.StateOf(id) << "\n"
            << b.Log();
        EXPECT_EQ(cluster.NodeOf(id), "node-b");
    }
    const auto handed_over = std::chrono::steady_clock::now() - exited_at;
    std::cout << "queued runs ran elsewhere after ms="
              << std::chrono::duration_cast<milliseconds>(handed_over).count() << "\n";
    EXPECT_LT(handed_over, seconds(10));
    EXPECT_EQ(b.Terminate(), 0);
}

}  // namespace
}  // namespace jobd::test
