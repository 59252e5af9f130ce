// Leases, lost nodes and runs handed between nodes, against a real PostgreSQL (issue #6). Time
// is the database's: a silent node is made by moving its heartbeat back, not by waiting.

#include <chrono>
#include <cstdint>
#include <future>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "jobd/store/accounts.hpp"
#include "jobd/store/jobs.hpp"
#include "jobd/store/nodes.hpp"
#include "jobd/store/runs.hpp"
#include "support/test_database.hpp"

namespace jobd::store {
namespace {

using std::chrono::seconds;
using test::TestDatabase;

// Rows of runs the database read for the statements of `fn`, run on a connection of its own:
// heap rows fetched by any scan, as pg_stat_user_tables counts them.
template <typename Fn>
std::int64_t RunRowsRead(const std::string& url, Fn fn) {
    const auto read = [&url] {
        pqxx::connection connection{url};
        pqxx::nontransaction tx{connection};
        return tx
            .exec1(
                "SELECT seq_tup_read + coalesce(idx_tup_fetch, 0) FROM pg_stat_user_tables "
                "WHERE relname = 'runs'")[0]
            .as<std::int64_t>();
    };
    const std::int64_t before = read();
    pqxx::connection connection{url};
    fn(connection);
    pqxx::nontransaction flush{connection};
    flush.exec1("SELECT pg_stat_force_next_flush()");  // flushed before the next command returns
    flush.exec1("SELECT 1");
    return read() - before;
}

class LeasesTest : public ::testing::Test {
protected:
    void SetUp() override {
        pqxx::work tx{connection_};
        AddCompany(tx, "Demo", 47);
        AddCompany(tx, "Other", 48);
        job_ = AddJob(tx, 47, "a", Overlap::Allow);
        queue_job_ = AddJob(tx, 47, "q", Overlap::Queue);
        other_job_ = AddJob(tx, 48, "b", Overlap::Allow);
        RegisterNode(tx, "node-a", 1, "test", seconds(2));
        RegisterNode(tx, "node-b", 2, "test", seconds(2));
        tx.commit();
    }

    static JobId AddJob(pqxx::work& tx, CompanyId company, const std::string& name, Overlap o) {
        JobSpec spec;
        spec.company = company;
        spec.name = name;
        spec.job_type = "commandJob";
        spec.payload_json = R"({"argv":["/bin/true"]})";
        spec.time_zone = "UTC";
        spec.overlap = o;
        spec.max_retries = 1;
        return InsertJob(tx, spec);
    }

    RunId Queue(JobId job,
                CompanyId company,
                std::optional<std::string> holder,
                Trigger trigger = Trigger::Execute,
                std::chrono::seconds due_in = seconds(0)) {
        pqxx::work tx{connection_};
        const RunId id = InsertRun(tx,
                                   {job,
                                    company,
                                    trigger,
                                    std::chrono::time_point_cast<std::chrono::microseconds>(
                                        std::chrono::system_clock::now() + due_in),
                                    std::nullopt,
                                    0,
                                    std::nullopt,
                                    std::move(holder)});
        tx.commit();
        return id;
    }

    template <typename Fn>
    auto InTx(Fn fn) {
        pqxx::work tx{connection_};
        auto result = fn(tx);
        tx.commit();
        return result;
    }

    // Under a company limit of 2 with one of company 47's runs Running on node-b, node-a claims
    // a batch (`claim` of the ids, in this order): company 48's run, then 47's newer, its
    // overlap-Queue job's newest and its oldest. Checks that, in the order asked, only the room
    // left (one run of 47) was taken, and that the refused runs were released.
    template <typename Claim>
    void ExpectABatchClaimsOnlyTheRoomLeft(Claim claim) {
        const ClaimLimits two{2};
        const RunId elsewhere = Queue(job_, 47, "node-b");
        ASSERT_TRUE(InTx([&](pqxx::work& tx) { return ClaimRun(tx, elsewhere, "node-b", two); }));
        const RunId oldest = Queue(job_, 47, "node-a");
        const RunId newer = Queue(job_, 47, "node-a");
        const RunId newest = Queue(queue_job_, 47, "node-a");
        const RunId other = Queue(other_job_, 48, "node-a");

        const auto launches = claim(std::vector<RunId>{other, newer, newest, oldest}, two);

        ASSERT_EQ(launches.size(), 4u);
        ASSERT_TRUE(launches[0] && launches[1]);
        EXPECT_EQ(launches[0]->run.id, other);
        EXPECT_EQ(launches[1]->run.id, newer);
        EXPECT_EQ(launches[1]->run.job_name, "a");
        EXPECT_FALSE(launches[2]);
        EXPECT_FALSE(launches[3]);
        EXPECT_EQ(StateOf(oldest), "Queued");
        EXPECT_EQ(HolderOf(oldest), std::nullopt);  // released: taken again after a run end
        EXPECT_EQ(StateOf(newest), "Queued");
        EXPECT_EQ(HolderOf(newest), std::nullopt);
    }

    // `node` has not heartbeated for an hour by the database clock.
    void Silence(const std::string& node) {
        pqxx::work tx{connection_};
        tx.exec_params0("UPDATE nodes SET heartbeat_at = now() - interval '1 hour' WHERE name = $1",
                        node);
        tx.commit();
    }

    std::string StateOf(RunId id) {
        pqxx::work tx{connection_};
        return tx.exec_params1("SELECT state FROM runs WHERE id = $1", id)[0].as<std::string>();
    }

    std::optional<std::string> HolderOf(RunId id) {
        pqxx::work tx{connection_};
        const auto field = tx.exec_params1("SELECT holder FROM runs WHERE id = $1", id)[0];
        return field.is_null() ? std::nullopt : std::optional(field.as<std::string>());
    }

    // 3,000 runs held by node-a behind `finished` finished ones, the statistics taken before the
    // backlog: Queued runs look rare to the planner (and with none finished, runs looks tiny).
    std::vector<RunId> HeldBacklogBehindStaleStatistics(int finished = 2000) {
        std::vector<RunId> backlog;
        InTx([&](pqxx::work& tx) {
            tx.exec0(
                "INSERT INTO runs (company_id, job_id, trigger, scheduled_for, state) "
                "SELECT 47, " +
                std::to_string(job_) +
                ", 'Execute', now(), 'Succeeded' "
                "FROM generate_series(1, " +
                std::to_string(finished) + ")");
            tx.exec0("ANALYZE runs");
            for (const auto& row :
                 tx.exec("INSERT INTO runs (company_id, job_id, trigger, scheduled_for, holder) "
                         "SELECT 47, " +
                         std::to_string(job_) +
                         ", 'Execute', now(), 'node-a' "
                         "FROM generate_series(1, 3000) RETURNING id")) {
                backlog.push_back(row[0].as<RunId>());
            }
            return 0;
        });
        InTx([](pqxx::work& tx) { return tx.exec1("SELECT pg_stat_force_next_flush()"); });
        return backlog;
    }

    // Rows of runs read to claim and end the backlog's first runs, two per transaction, past the
    // five custom plans of a prepared statement.
    std::int64_t RowsReadByClaimsAndEnds(const std::vector<RunId>& backlog,
                                         const ClaimLimits& limits) {
        return RunRowsRead(db_.url(), [&](pqxx::connection& connection) {
            for (int batch = 0; batch < kBatches; ++batch) {
                const std::vector<RunId> ids{backlog[2 * batch], backlog[2 * batch + 1]};
                pqxx::work tx{connection};
                const auto launches = ClaimRuns(tx, ids, "node-a", limits);
                ASSERT_TRUE(launches[0] && launches[1]);
                FinishRuns(tx,
                           {{ids[0], {RunState::Succeeded, 0, std::nullopt}},
                            {ids[1], {RunState::Succeeded, 0, std::nullopt}}},
                           "node-a",
                           limits);
                tx.commit();
            }
        });
    }

    static constexpr int kBatches = 8;

    TestDatabase db_;
    pqxx::connection connection_{db_.url()};
    JobId job_ = 0;
    JobId queue_job_ = 0;
    JobId other_job_ = 0;
};

TEST_F(LeasesTest, ALiveNodeIsNotExpired) {
    EXPECT_TRUE(InTx([](pqxx::work& tx) { return ExpireNodes(tx, "node-b"); }).empty());
    EXPECT_TRUE(InTx([](pqxx::work& tx) { return Heartbeat(tx, "node-a"); }));
}

// A node learns whether it is alone (then it keeps its backlog instead of releasing it).
TEST_F(LeasesTest, ANodeCountsTheOtherNodes) {
    EXPECT_EQ(InTx([](pqxx::work& tx) { return OtherNodes(tx, "node-a"); }), 1);
    InTx([](pqxx::work& tx) { return LeaveCluster(tx, "node-b"); });
    EXPECT_EQ(InTx([](pqxx::work& tx) { return OtherNodes(tx, "node-a"); }), 0);
}

// The reaper's whole pass on a node silent past its lease: its running run is Lost with a
// reason, its queued run goes to any node, its retry not yet due to the reaper, and the lost
// node, should it still live, can neither renew, start nor finish anything.
TEST_F(LeasesTest, ASilentNodeLosesItsRunsAndIsFenced) {
    const RunId running = Queue(job_, 47, "node-a");
    ASSERT_TRUE(InTx([&](pqxx::work& tx) { return ClaimRun(tx, running, "node-a", {}); }));
    const RunId queued = Queue(job_, 47, "node-a");
    const RunId retry = Queue(job_, 47, "node-a", Trigger::Retry, seconds(600));
    Silence("node-a");

    EXPECT_EQ(InTx([](pqxx::work& tx) { return ExpireNodes(tx, "node-b"); }),
              std::vector<std::string>{"node-a"});
    const auto lost = InTx([](pqxx::work& tx) { return LoseOrphanedRuns(tx); });
    ASSERT_EQ(lost.size(), 1u);
    EXPECT_EQ(lost[0].run.id, running);
    EXPECT_EQ(lost[0].run.state, RunState::Lost);
    EXPECT_NE(lost[0].run.reason.find("node-a"), std::string::npos);
    EXPECT_EQ(lost[0].job.max_retries, 1);
    const auto adopted = InTx([](pqxx::work& tx) { return ReleaseOrphanedRuns(tx, "node-b"); });
    ASSERT_EQ(adopted.size(), 1u);
    EXPECT_EQ(adopted[0].id, retry);
    EXPECT_EQ(HolderOf(retry), "node-b");
    EXPECT_EQ(HolderOf(queued), std::nullopt);

    // A second pass finds nothing left to do.
    EXPECT_TRUE(InTx([](pqxx::work& tx) { return LoseOrphanedRuns(tx); }).empty());

    EXPECT_FALSE(InTx([](pqxx::work& tx) { return Heartbeat(tx, "node-a"); }));
    EXPECT_FALSE(InTx([&](pqxx::work& tx) {
        return FinishRun(tx, running, {RunState::Succeeded, 0, std::nullopt}, "node-a", {});
    }));
    EXPECT_EQ(StateOf(running), "Lost");
    EXPECT_FALSE(InTx([&](pqxx::work& tx) { return ClaimRun(tx, queued, "node-a", {}); }));
    EXPECT_EQ(StateOf(queued), "Queued");
    EXPECT_TRUE(InTx([&](pqxx::work& tx) { return ClaimRun(tx, queued, "node-b", {}); }));
}

// Two reapers at once: the one holding the node row acts, the other passes it over.
TEST_F(LeasesTest, OneReaperActsOnALostNode) {
    Silence("node-a");
    pqxx::connection other{db_.url()};
    pqxx::work first{connection_};
    EXPECT_EQ(ExpireNodes(first, "node-b").size(), 1u);
    {
        pqxx::work second{other};
        EXPECT_TRUE(ExpireNodes(second, "node-c").empty());
    }
    first.commit();
}

TEST_F(LeasesTest, ReleasedRunsAreTakenOnceExecuteFirst) {
    const RunId scheduled = Queue(job_, 47, std::nullopt, Trigger::Schedule);
    const RunId executed = Queue(job_, 47, std::nullopt, Trigger::Execute);
    Queue(job_, 47, std::nullopt, Trigger::Retry, seconds(600));  // not due: left alone
    const auto first = InTx([](pqxx::work& tx) { return TakeReleasedRuns(tx, "node-a", 1, {}); });
    ASSERT_EQ(first.size(), 1u);
    EXPECT_EQ(first[0].id, executed);
    const auto rest = InTx([](pqxx::work& tx) { return TakeReleasedRuns(tx, "node-b", 5, {}); });
    ASSERT_EQ(rest.size(), 1u);
    EXPECT_EQ(rest[0].id, scheduled);
    EXPECT_EQ(HolderOf(scheduled), "node-b");
}

// workers.per_company_max_concurrent_runs across nodes: a claim over the limit is refused and
// its run released; another company is not held up.
TEST_F(LeasesTest, PerCompanyLimitHoldsAcrossNodes) {
    const ClaimLimits one{1};
    const RunId a = Queue(job_, 47, "node-a");
    const RunId b = Queue(job_, 47, "node-b");
    const RunId other = Queue(other_job_, 48, "node-b");
    ASSERT_TRUE(InTx([&](pqxx::work& tx) { return ClaimRun(tx, a, "node-a", one); }));
    EXPECT_FALSE(InTx([&](pqxx::work& tx) { return ClaimRun(tx, b, "node-b", one); }));
    EXPECT_EQ(StateOf(b), "Queued");
    EXPECT_EQ(HolderOf(b), std::nullopt);
    EXPECT_TRUE(InTx([&](pqxx::work& tx) { return ClaimRun(tx, other, "node-b", one); }));
    // Not taken while its company is at the limit; taken once the running run ended.
    EXPECT_TRUE(
        InTx([&](pqxx::work& tx) { return TakeReleasedRuns(tx, "node-b", 5, one); }).empty());
    ASSERT_TRUE(InTx([&](pqxx::work& tx) {
        return FinishRun(tx, a, {RunState::Succeeded, 0, std::nullopt}, "node-a", one);
    }));
    const auto taken = InTx([&](pqxx::work& tx) { return TakeReleasedRuns(tx, "node-b", 5, one); });
    ASSERT_EQ(taken.size(), 1u);
    EXPECT_TRUE(InTx([&](pqxx::work& tx) { return ClaimRun(tx, b, "node-b", one); }));
}

// A batch of claims under a company limit starts, in the order asked, only as many of a
// company's runs as the limit leaves room for across the nodes, releases the others to wait for a
// run end, and leaves other companies' runs their own room.
TEST_F(LeasesTest, UnderACompanyLimitABatchClaimsOnlyTheRoomLeft) {
    ExpectABatchClaimsOnlyTheRoomLeft([&](const std::vector<RunId>& ids, const ClaimLimits& l) {
        return InTx([&](pqxx::work& tx) { return ClaimRuns(tx, ids, "node-a", l); });
    });
}

// The same claims as one message without a transaction of jobd's (the engine's usual way): the
// locks and the claims commit together, the claims counted after the locks.
TEST_F(LeasesTest, UnderACompanyLimitABatchInOneMessageClaimsOnlyTheRoomLeft) {
    ExpectABatchClaimsOnlyTheRoomLeft([&](const std::vector<RunId>& ids, const ClaimLimits& l) {
        pqxx::nontransaction tx{connection_};
        return ClaimRunsAtOnce(tx, ids, "node-a", l);
    });
}

// A claim in one message that waits for another node's claim of the same company: its count is
// taken after that claim committed, so the limit holds (one snapshot for both statements would
// count the company as it was before the wait).
TEST_F(LeasesTest, AClaimInOneMessageCountsAfterTheLockItWaitedFor) {
    const ClaimLimits one{1};
    const RunId first = Queue(job_, 47, "node-b");
    const RunId second = Queue(job_, 47, "node-a");
    pqxx::connection other{db_.url()};
    pqxx::work holding{other};
    ASSERT_TRUE(ClaimRuns(holding, {first}, "node-b", one)[0]);
    auto waiting = std::async(std::launch::async, [&] {
        pqxx::connection connection{db_.url()};
        pqxx::nontransaction tx{connection};
        return ClaimRunsAtOnce(tx, {second}, "node-a", one);
    });
    const auto deadline = std::chrono::steady_clock::now() + seconds(20);
    while (std::chrono::steady_clock::now() < deadline &&
           InTx([](pqxx::work& tx) {
               return tx
                   .exec1(
                       "SELECT count(*) FROM pg_stat_activity WHERE wait_event = "
                       "'advisory'")[0]
                   .as<int>();
           }) == 0) {
        std::this_thread::yield();
    }
    holding.commit();
    const auto launches = waiting.get();
    ASSERT_EQ(launches.size(), 1u);
    EXPECT_FALSE(launches[0]);
    EXPECT_EQ(StateOf(second), "Queued");
    EXPECT_EQ(HolderOf(second), std::nullopt);
}

// Overlap Queue across nodes: a job's second run does not start while its first runs elsewhere.
TEST_F(LeasesTest, OverlapQueueHoldsAcrossNodes) {
    const RunId first = Queue(queue_job_, 47, "node-a");
    const RunId second = Queue(queue_job_, 47, "node-b");
    ASSERT_TRUE(InTx([&](pqxx::work& tx) { return ClaimRun(tx, first, "node-a", {}); }));
    EXPECT_FALSE(InTx([&](pqxx::work& tx) { return ClaimRun(tx, second, "node-b", {}); }));
    EXPECT_EQ(StateOf(second), "Queued");
}

// Claims made together (the engine's group commit): the runs without a limit to check in one
// statement, a queue job's run under its lock, a run another node took not at all; each answer
// in the order asked, each with its own run and job.
TEST_F(LeasesTest, ClaimsOfABatchEachGetTheirOwnAnswer) {
    const RunId first = Queue(job_, 47, "node-a");
    const RunId queued = Queue(queue_job_, 47, "node-a");
    const RunId taken = Queue(job_, 47, "node-b");
    const RunId other = Queue(other_job_, 48, "node-a");
    const RunId waiting = Queue(queue_job_, 47, "node-a");
    ASSERT_TRUE(InTx([&](pqxx::work& tx) { return ClaimRun(tx, taken, "node-b", {}); }));

    const auto launches = InTx([&](pqxx::work& tx) {
        return ClaimRuns(tx, {other, taken, queued, first, waiting}, "node-a", {});
    });
    ASSERT_EQ(launches.size(), 5u);
    ASSERT_TRUE(launches[0]);
    EXPECT_EQ(launches[0]->run.id, other);
    EXPECT_EQ(launches[0]->job.name, "b");
    EXPECT_FALSE(launches[1]);  // Running on node-b already
    ASSERT_TRUE(launches[2]);
    EXPECT_EQ(launches[2]->run.id, queued);
    EXPECT_EQ(launches[2]->job.name, "q");
    ASSERT_TRUE(launches[3]);
    EXPECT_EQ(launches[3]->run.id, first);
    EXPECT_EQ(launches[3]->run.node, "node-a");
    EXPECT_FALSE(launches[4]);  // its queue job has a run Running now
    EXPECT_EQ(StateOf(taken), "Running");
    EXPECT_EQ(StateOf(waiting), "Queued");
    EXPECT_EQ(StateOf(first), "Running");
}

// Claims and ends name their runs by id and find them by primary key, whatever the statistics
// say: with statistics taken while the queue was empty, a cached plan once reached a backlog
// through the partial indexes on state and read every Queued run for each claim (issue #8).
TEST_F(LeasesTest, ClaimsAndEndsInABacklogReadOnlyTheirOwnRuns) {
    const auto backlog = HeldBacklogBehindStaleStatistics();
    EXPECT_LT(RowsReadByClaimsAndEnds(backlog, {}), 200)
        << "rows of runs read for " << 2 * kBatches << " claims and ends";
}

// The same under a company limit: a claim counts its company's Running runs, and a run end looks
// for released runs of its company to wake the nodes; neither reads the held backlog.
TEST_F(LeasesTest, UnderACompanyLimitClaimsAndEndsInABacklogReadOnlyTheirOwnRuns) {
    const auto backlog = HeldBacklogBehindStaleStatistics();
    EXPECT_LT(RowsReadByClaimsAndEnds(backlog, {.per_company = 100}), 200)
        << "rows of runs read for " << 2 * kBatches << " claims and ends";
}

// The same with statistics from when runs was nearly empty: a claim's plan still reaches its runs
// by primary key, not by reading the table (the joins it once had made it a hash join).
TEST_F(LeasesTest, UnderACompanyLimitClaimsReadOnlyTheirOwnRunsWhateverTheTablesSizeWas) {
    const auto backlog = HeldBacklogBehindStaleStatistics(0);
    EXPECT_LT(RowsReadByClaimsAndEnds(backlog, {.per_company = 100}), 200)
        << "rows of runs read for " << 2 * kBatches << " claims and ends";
}

// A claim's statements are planned for their first five calls on a connection, as PostgreSQL
// does for any prepared statement, and then keep one generic plan: planned afresh at each call
// (a custom plan for each batch's length), a claim cost more to plan than to run (issue #8).
TEST_F(LeasesTest, ClaimsKeepTheirGenericPlans) {
    const auto backlog = HeldBacklogBehindStaleStatistics(0);
    pqxx::connection connection{db_.url()};
    std::size_t next = 0;
    for (const ClaimLimits& limits : {ClaimLimits{}, ClaimLimits{.per_company = 100}}) {
        for (int size = 1; size <= kBatches; ++size) {  // a batch of each length
            const auto first = backlog.begin() + static_cast<std::ptrdiff_t>(next);
            const std::vector<RunId> ids(first, first + size);
            next += static_cast<std::size_t>(size);
            pqxx::work tx{connection};
            const auto launches = limits.per_company ? ClaimRuns(tx, ids, "node-a", limits)
                                                     : ClaimUnlimitedRuns(tx, ids, "node-a");
            ASSERT_EQ(launches.size(), static_cast<std::size_t>(size));
            ASSERT_TRUE(launches.back());
            tx.commit();
        }
    }
    pqxx::nontransaction tx{connection};
    const auto plans = tx.exec(
        "SELECT name, custom_plans, generic_plans FROM pg_prepared_statements "
        "WHERE name IN ('claim_unlimited', 'lock_claims', 'claim_locked') ORDER BY name");
    ASSERT_EQ(plans.size(), 3u);
    for (const auto& row : plans) {
        EXPECT_LE(row[1].as<int>(), 5) << row[0].c_str() << ": custom plans";
        EXPECT_EQ(row[1].as<int>() + row[2].as<int>(), kBatches) << row[0].c_str();
    }
}

// A take reads the released runs it takes, in runs_take_idx's order, not every released run: a
// company limit's backlog, a stopped node's queue or a lost node's can leave thousands (issue #8).
// The executeJob runs released last are still taken first.
TEST_F(LeasesTest, TakesFromABacklogOfReleasedRunsReadOnlyWhatTheyTake) {
    const std::string job = std::to_string(job_);
    InTx([&](pqxx::work& tx) {
        tx.exec0(
            "INSERT INTO runs (company_id, job_id, trigger, scheduled_for, state) "
            "SELECT 47, " +
            job +
            ", 'Execute', now(), 'Succeeded' "
            "FROM generate_series(1, 2000)");
        tx.exec0("ANALYZE runs");  // history only: released runs look rare
        tx.exec0(
            "INSERT INTO runs (company_id, job_id, trigger, scheduled_for) "
            "SELECT 47, " +
            job +
            ", 'Schedule', now() - i * interval '1 second' "
            "FROM generate_series(1, 3000) AS i");
        tx.exec0(
            "INSERT INTO runs (company_id, job_id, trigger, scheduled_for) "
            "SELECT 47, " +
            job + ", 'Execute', now() FROM generate_series(1, 10)");
        return 0;
    });
    InTx([](pqxx::work& tx) { return tx.exec1("SELECT pg_stat_force_next_flush()"); });

    constexpr int kTakes = 8;  // past the five custom plans of a prepared statement
    std::vector<jobd::Run> taken;
    const std::int64_t rows = RunRowsRead(db_.url(), [&](pqxx::connection& connection) {
        for (int take = 0; take < kTakes; ++take) {
            pqxx::work tx{connection};
            for (jobd::Run& run : TakeReleasedRuns(tx, "node-a", 1, {})) {
                taken.push_back(std::move(run));
            }
            tx.commit();
        }
    });
    ASSERT_EQ(taken.size(), static_cast<std::size_t>(kTakes));
    for (const jobd::Run& run : taken) {
        EXPECT_EQ(run.trigger, Trigger::Execute) << run.id;
    }
    EXPECT_LT(rows, 200) << "rows of runs read for " << kTakes << " takes";
}

// Notifications on kRunsReleasedChannel, counted up to a marker the test sends itself: those of
// transactions committed before the marker's are delivered before it.
class Wakes : public pqxx::notification_receiver {
public:
    explicit Wakes(pqxx::connection_base& connection)
        : pqxx::notification_receiver(connection, kRunsReleasedChannel) {}

    void operator()(const std::string& payload, int /*backend_pid*/) override {
        if (payload == kMarker) {
            marked = true;
        } else {
            ++count;
        }
    }

    // The wakes since the last call.
    int Since(pqxx::connection& sender) {
        pqxx::work tx{sender};
        tx.exec_params1("SELECT pg_notify($1, $2)", kRunsReleasedChannel, kMarker);
        tx.commit();
        while (!marked) {
            conn().await_notification();
        }
        marked = false;
        return std::exchange(count, 0);
    }

    static constexpr const char* kMarker = "test-marker";
    int count = 0;
    bool marked = false;
};

// A run end wakes the nodes (kRunsReleasedChannel) when a released run of its company may have
// been refused for a limit: under a company limit, or after a run of an overlap Queue job.
TEST_F(LeasesTest, AnEndWakesTheNodesWhenARefusedRunMayWait) {
    Queue(job_, 47, std::nullopt);  // released: waits for any node
    pqxx::connection listening{db_.url()};
    Wakes wakes{listening};
    const auto end_one = [&](JobId job, const ClaimLimits& limits) {
        const RunId run = Queue(job, 47, "node-a");
        ASSERT_TRUE(InTx([&](pqxx::work& tx) { return ClaimRun(tx, run, "node-a", limits); }));
        ASSERT_TRUE(InTx([&](pqxx::work& tx) {
            return FinishRun(tx, run, {RunState::Succeeded, 0, std::nullopt}, "node-a", limits);
        }));
    };
    end_one(job_, {});
    EXPECT_EQ(wakes.Since(connection_), 0);
    end_one(job_, ClaimLimits{2});
    EXPECT_EQ(wakes.Since(connection_), 1);
    end_one(queue_job_, {});
    EXPECT_EQ(wakes.Since(connection_), 1);
}

// Run ends recorded together (the engine's group commit): each is fenced on its own, a run of a
// lost node does not stop the others, and the batch repeated (a commit in doubt) changes nothing.
TEST_F(LeasesTest, EndsOfABatchAreFencedOneByOne) {
    const RunId mine = Queue(job_, 47, "node-a");
    const RunId failed = Queue(other_job_, 48, "node-a");
    const RunId elsewhere = Queue(job_, 47, "node-b");
    ASSERT_TRUE(InTx([&](pqxx::work& tx) { return ClaimRun(tx, mine, "node-a", {}); }));
    ASSERT_TRUE(InTx([&](pqxx::work& tx) { return ClaimRun(tx, failed, "node-a", {}); }));
    ASSERT_TRUE(InTx([&](pqxx::work& tx) { return ClaimRun(tx, elsewhere, "node-b", {}); }));
    const Message exited(MessageId::RunExited, {{"code", "3"}});
    const std::vector<RunEnding> ends{{mine, {RunState::Succeeded, 0, std::nullopt}},
                                      {elsewhere, {RunState::Succeeded, 0, std::nullopt}},
                                      {failed, {RunState::Failed, 3, exited}}};

    const auto finished = InTx([&](pqxx::work& tx) { return FinishRuns(tx, ends, "node-a", {}); });
    ASSERT_EQ(finished.size(), 2u);
    EXPECT_EQ(finished[0].id, mine);
    EXPECT_EQ(finished[0].state, RunState::Succeeded);
    EXPECT_EQ(finished[0].job_name, "a");
    EXPECT_TRUE(finished[0].ended_at);
    EXPECT_EQ(finished[1].id, failed);
    EXPECT_EQ(finished[1].state, RunState::Failed);
    EXPECT_EQ(finished[1].exit_code, 3);
    ASSERT_TRUE(finished[1].reason_message);
    EXPECT_EQ(finished[1].reason_message->id(), MessageId::RunExited);
    EXPECT_EQ(finished[1].job_name, "b");
    EXPECT_EQ(StateOf(elsewhere), "Running");

    EXPECT_TRUE(InTx([&](pqxx::work& tx) { return FinishRuns(tx, ends, "node-a", {}); }).empty());
    EXPECT_EQ(StateOf(mine), "Succeeded");
}

// SIGTERM's last transaction: the node's due queued runs go to any node, its retry not yet due
// stays held by it until a reaper adopts it, the other node's runs are untouched, and its lease
// row is gone.
TEST_F(LeasesTest, ALeavingNodeReleasesItsQueuedRunsAndItsLease) {
    const RunId queued = Queue(job_, 47, "node-a");
    const RunId retry = Queue(job_, 47, "node-a", Trigger::Retry, seconds(600));
    const RunId others = Queue(job_, 47, "node-b");

    EXPECT_EQ(InTx([](pqxx::work& tx) { return LeaveCluster(tx, "node-a"); }), 1);
    EXPECT_EQ(HolderOf(queued), std::nullopt);
    EXPECT_EQ(HolderOf(retry), "node-a");
    EXPECT_EQ(HolderOf(others), "node-b");
    EXPECT_FALSE(InTx([](pqxx::work& tx) { return Heartbeat(tx, "node-a"); }));
    const auto adopted = InTx([](pqxx::work& tx) { return ReleaseOrphanedRuns(tx, "node-b"); });
    ASSERT_EQ(adopted.size(), 1u);
    EXPECT_EQ(adopted[0].id, retry);
    const auto taken = InTx([](pqxx::work& tx) { return TakeReleasedRuns(tx, "node-b", 5, {}); });
    ASSERT_EQ(taken.size(), 1u);
    EXPECT_EQ(taken[0].id, queued);
}

// The pick-up after a scheduler pass in doubt: the runs this node holds and released ones, not
// those another node holds (nor retries not yet due).
TEST_F(LeasesTest, PickUpAfterAPassInDoubtLeavesOtherNodesRuns) {
    const RunId own = Queue(job_, 47, "node-a", Trigger::Schedule);
    const RunId released = Queue(job_, 47, std::nullopt, Trigger::Schedule);
    Queue(other_job_, 48, "node-b", Trigger::Schedule);
    Queue(job_, 47, "node-a", Trigger::Retry, seconds(600));
    const auto now =
        std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
    const auto runs = InTx([&](pqxx::work& tx) { return QueuedRuns(tx, now, "node-a"); });
    std::vector<RunId> ids;
    for (const jobd::Run& run : runs) {
        ids.push_back(run.id);
    }
    EXPECT_EQ(ids, (std::vector<RunId>{own, released}));
}

}  // namespace
}  // namespace jobd::store
