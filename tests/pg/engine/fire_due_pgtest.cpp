// The scheduler's fire step against a real PostgreSQL in simulated time (contract §8, §9;
// issue #5): every fire of a per-second schedule runs exactly once however time is stepped,
// two nodes firing at the same instant never make two runs of one fire, and misfires follow the
// job's policy. Each step is its own transaction, as Engine::ScheduleLoop makes them.

#include <algorithm>
#include <barrier>
#include <map>
#include <random>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "jobd/engine/fire_due.hpp"
#include "jobd/store/accounts.hpp"
#include "jobd/store/jobs.hpp"
#include "jobd/store/nodes.hpp"
#include "support/test_database.hpp"

namespace jobd::engine {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using test::TestDatabase;

const TimePoint kStart{seconds(1'767'225'600)};  // 2026-01-01T00:00:00Z
constexpr milliseconds kGrace = seconds(60);
constexpr int kBatch = 500;

struct FireRow {
    TimePoint scheduled_for;
    std::string state;
    std::string trigger;
};

class FireDueTest : public ::testing::Test {
protected:
    // A per-second job ("* * * * * ?") in UTC whose first fire is kStart + 1 s. Overlap Allow:
    // nothing runs the queued runs here, and Forbid would skip every fire after the first.
    JobId AddJob(Misfire misfire = Misfire::FireOnce, Overlap overlap = Overlap::Allow) {
        pqxx::connection connection{db_.url()};
        pqxx::work tx{connection};
        store::AddCompany(tx, "Demo", 47);
        JobSpec spec;
        spec.company = 47;
        spec.name = "tick";
        spec.job_type = "commandJob";
        spec.payload_json = R"({"argv":["/bin/true"]})";
        spec.exec_schedule = "* * * * * ?";
        spec.time_zone = "UTC";
        spec.overlap = overlap;
        spec.misfire = misfire;
        spec.next_fire_at = kStart + seconds(1);
        const JobId id = store::InsertJob(tx, spec);
        tx.commit();
        return id;
    }

    // `count` more per-second jobs like AddJob's, in a company of their own (48).
    std::vector<JobId> AddJobs(int count) {
        pqxx::connection connection{db_.url()};
        pqxx::work tx{connection};
        store::AddCompany(tx, "Many", 48);
        std::vector<JobId> jobs;
        for (int i = 0; i < count; ++i) {
            JobSpec spec;
            spec.company = 48;
            spec.name = "tick-" + std::to_string(i);
            spec.job_type = "commandJob";
            spec.payload_json = R"({"argv":["/bin/true"]})";
            spec.exec_schedule = "* * * * * ?";
            spec.time_zone = "UTC";
            spec.overlap = Overlap::Allow;
            spec.next_fire_at = kStart + seconds(1);
            jobs.push_back(store::InsertJob(tx, spec));
        }
        tx.commit();
        return jobs;
    }

    // What the scheduler does when it wakes at `now`: fire steps until nothing more is due
    // (a job with several due fires within the grace is fired once per step). Returns the runs.
    static std::size_t FireAt(pqxx::connection& connection, TimePoint now) {
        std::size_t runs = 0;
        while (true) {
            pqxx::work tx{connection};
            const FiredBatch batch = FireDue(tx, now, kGrace, kBatch, "node-a");
            tx.commit();
            runs += batch.runs.size();
            if (batch.jobs == 0) {
                return runs;
            }
        }
    }

    std::vector<FireRow> Fires(JobId job) {
        pqxx::connection connection{db_.url()};
        pqxx::work tx{connection};
        std::vector<FireRow> rows;
        for (const auto& row : tx.exec_params(
                 "SELECT jobd_micros(scheduled_for), state, trigger FROM runs WHERE job_id = $1 "
                 "ORDER BY scheduled_for, id",
                 job)) {
            rows.push_back({FromMicros(row[0].as<std::int64_t>()),
                            row[1].as<std::string>(),
                            row[2].as<std::string>()});
        }
        return rows;
    }

    std::optional<TimePoint> NextFire(JobId job) {
        pqxx::connection connection{db_.url()};
        pqxx::work tx{connection};
        const auto field =
            tx.exec_params1("SELECT jobd_micros(next_fire_at) FROM jobs WHERE id = $1", job)[0];
        return field.is_null() ? std::nullopt
                               : std::optional<TimePoint>(FromMicros(field.as<std::int64_t>()));
    }

    // Exactly one Queued Schedule run for each second in (kStart, kStart + seconds], nothing else.
    void ExpectOneRunPerSecond(JobId job, int seconds_count) {
        const auto fires = Fires(job);
        ASSERT_EQ(fires.size(), static_cast<std::size_t>(seconds_count));
        for (int i = 0; i < seconds_count; ++i) {
            EXPECT_EQ(fires[i].scheduled_for, kStart + seconds(i + 1)) << "fire " << i;
            EXPECT_EQ(fires[i].state, "Queued");
            EXPECT_EQ(fires[i].trigger, "Schedule");
        }
    }

    TestDatabase db_;
};

TEST_F(FireDueTest, SteppingEvery250MsFiresEachSecondOnceForAMinute) {
    const JobId job = AddJob();
    pqxx::connection connection{db_.url()};
    for (TimePoint now = kStart; now <= kStart + seconds(60); now += milliseconds(250)) {
        const bool on_a_second = (now - kStart) % seconds(1) == milliseconds(0) && now > kStart;
        EXPECT_EQ(FireAt(connection, now), on_a_second ? 1U : 0U) << FormatUtc(now);
    }
    ExpectOneRunPerSecond(job, 60);
    EXPECT_EQ(NextFire(job), kStart + seconds(61));
}

// Late wake-ups (a busy node, a slow database) within the misfire grace lose no fire and
// double none: each due second runs once, with its nominal time.
TEST_F(FireDueTest, IrregularJumpsWithinTheGraceFireEachSecondOnce) {
    const JobId job = AddJob();
    pqxx::connection connection{db_.url()};
    std::mt19937 random(5);  // fixed: a failure reproduces
    const std::vector<milliseconds> jumps = {milliseconds(0),
                                             milliseconds(1),
                                             milliseconds(999),
                                             milliseconds(1000),
                                             milliseconds(1001),
                                             milliseconds(1500),
                                             milliseconds(3700),
                                             milliseconds(9999)};
    TimePoint now = kStart;
    std::size_t runs = 0;
    while (now < kStart + seconds(60)) {
        now = std::min(now + jumps[random() % jumps.size()], kStart + seconds(60));
        runs += FireAt(connection, now);
    }
    EXPECT_EQ(runs, 60U);
    ExpectOneRunPerSecond(job, 60);
}

// Two nodes wake at the same simulated instants and fire concurrently: SKIP LOCKED leaves a job
// one node is firing to it, and the (job, scheduled_for) key stops a second run of a fire.
TEST_F(FireDueTest, TwoNodesFiringAtTheSameInstantsMakeOneRunPerFire) {
    const JobId job = AddJob();
    std::barrier step(2);
    std::vector<std::size_t> runs(2, 0);
    auto node = [&](int index) {
        pqxx::connection connection{db_.url()};
        for (TimePoint now = kStart; now <= kStart + seconds(20); now += milliseconds(250)) {
            step.arrive_and_wait();
            runs[index] += FireAt(connection, now);
        }
    };
    std::thread first(node, 0);
    std::thread second(node, 1);
    first.join();
    second.join();
    EXPECT_EQ(runs[0] + runs[1], 20U);
    ExpectOneRunPerSecond(job, 20);
}

// The same race made explicit: node B fires while node A's claim is not yet committed, then
// again after it committed, at the same instant.
TEST_F(FireDueTest, AClaimInFlightIsSkippedAndACommittedOneIsNotDueAgain) {
    const JobId job = AddJob();
    const TimePoint now = kStart + seconds(1);
    pqxx::connection a{db_.url()};
    pqxx::connection b{db_.url()};
    pqxx::work claim{a};
    EXPECT_EQ(FireDue(claim, now, kGrace, kBatch, "node-a").runs.size(), 1U);
    {
        pqxx::work meanwhile{b};
        const FiredBatch batch = FireDue(meanwhile, now, kGrace, kBatch, "node-a");
        EXPECT_EQ(batch.jobs, 0U);  // locked by A: skipped, not waited for
        meanwhile.commit();
    }
    claim.commit();
    EXPECT_EQ(FireAt(b, now), 0U);
    ExpectOneRunPerSecond(job, 1);
}

// Should a node ever fire from a stale next fire (here: set back by hand), the unique key still
// refuses the fire's second run.
TEST_F(FireDueTest, AFireThatAlreadyRanIsNotRunAgain) {
    const JobId job = AddJob();
    pqxx::connection connection{db_.url()};
    EXPECT_EQ(FireAt(connection, kStart + seconds(1)), 1U);
    {
        pqxx::work tx{connection};
        tx.exec_params0("UPDATE jobs SET next_fire_at = jobd_ts($2) WHERE id = $1",
                        job,
                        ToMicros(kStart + seconds(1)));
        tx.commit();
    }
    EXPECT_EQ(FireAt(connection, kStart + seconds(1)), 0U);
    ExpectOneRunPerSecond(job, 1);
    EXPECT_EQ(NextFire(job), kStart + seconds(2));
}

// Contract §8: after an outage longer than the grace, FireOnce runs one catch-up run however many
// fires were missed, then continues from now.
TEST_F(FireDueTest, MisfireFireOnceRunsOneCatchUpRun) {
    const JobId job = AddJob(Misfire::FireOnce);
    pqxx::connection connection{db_.url()};
    const TimePoint back = kStart + seconds(300) + milliseconds(500);  // 300 fires missed
    EXPECT_EQ(FireAt(connection, back), 1U);
    EXPECT_EQ(FireAt(connection, back), 0U);
    EXPECT_EQ(NextFire(job), kStart + seconds(301));
    EXPECT_EQ(FireAt(connection, kStart + seconds(301)), 1U);
    const auto fires = Fires(job);
    ASSERT_EQ(fires.size(), 2U);
    EXPECT_EQ(fires[0].scheduled_for, kStart + seconds(1));  // the catch-up: its nominal time
    EXPECT_EQ(fires[0].state, "Queued");
    EXPECT_EQ(fires[1].scheduled_for, kStart + seconds(301));
    EXPECT_EQ(fires[1].state, "Queued");
}

// Skip records the missed fire as Skipped (no run) and fires normally from the next one.
TEST_F(FireDueTest, MisfireSkipRecordsSkippedThenFiresTheNextFire) {
    const JobId job = AddJob(Misfire::Skip);
    pqxx::connection connection{db_.url()};
    const TimePoint back = kStart + seconds(300) + milliseconds(500);
    EXPECT_EQ(FireAt(connection, back), 0U);
    EXPECT_EQ(NextFire(job), kStart + seconds(301));
    EXPECT_EQ(FireAt(connection, kStart + seconds(301)), 1U);
    const auto fires = Fires(job);
    ASSERT_EQ(fires.size(), 2U);
    EXPECT_EQ(fires[0].scheduled_for, kStart + seconds(1));
    EXPECT_EQ(fires[0].state, "Skipped");
    EXPECT_EQ(fires[1].scheduled_for, kStart + seconds(301));
    EXPECT_EQ(fires[1].state, "Queued");
}

// jobd_scheduler_fires_skipped_total counts what the batch reports.
TEST_F(FireDueTest, ABatchCountsTheFiresItRecordedAsSkipped) {
    AddJob(Misfire::Skip);
    pqxx::connection connection{db_.url()};
    pqxx::work tx{connection};
    const FiredBatch batch =
        FireDue(tx, kStart + seconds(300) + milliseconds(500), kGrace, kBatch, "node-a");
    tx.commit();
    EXPECT_EQ(batch.jobs, 1U);
    EXPECT_EQ(batch.skipped, 1U);
    EXPECT_TRUE(batch.runs.empty());
}

// A batch of many jobs is written in one statement (store::RecordFires): each fire that runs
// gets its own run, handed to the engine with its own job, and each job moves to its next fire,
// a skipped fire in the same batch included.
TEST_F(FireDueTest, ABatchOfManyJobsGivesEachItsRunAndItsNextFire) {
    const JobId skipping = AddJob(Misfire::Skip);
    const std::vector<JobId> jobs = AddJobs(40);
    pqxx::connection connection{db_.url()};
    pqxx::work tx{connection};
    // Late by more than the grace: the Skip job's fire is skipped, the FireOnce jobs' run once.
    const TimePoint now = kStart + seconds(1) + kGrace + milliseconds(500);
    const FiredBatch batch = FireDue(tx, now, kGrace, kBatch, "node-a");
    tx.commit();
    EXPECT_EQ(batch.jobs, jobs.size() + 1);
    EXPECT_EQ(batch.skipped, 1U);
    ASSERT_EQ(batch.runs.size(), jobs.size());
    pqxx::work check{connection};
    std::map<JobId, int> runs_of_job;
    for (const QueuedRun& run : batch.runs) {
        const auto row = check.exec_params1(
            "SELECT job_id, company_id, state, trigger, holder FROM runs WHERE id = $1", run.run);
        EXPECT_EQ(row[0].as<JobId>(), run.job);
        EXPECT_EQ(row[1].as<CompanyId>(), run.company);
        EXPECT_EQ(row[2].as<std::string>(), "Queued");
        EXPECT_EQ(row[3].as<std::string>(), "Schedule");
        EXPECT_EQ(row[4].as<std::string>(), "node-a");
        ++runs_of_job[run.job];
    }
    check.commit();
    for (const JobId job : jobs) {
        EXPECT_EQ(runs_of_job[job], 1) << "job " << job;
        EXPECT_EQ(NextFire(job), std::chrono::floor<seconds>(now) + seconds(1)) << "job " << job;
    }
    EXPECT_EQ(Fires(skipping).size(), 1U);
    EXPECT_EQ(Fires(skipping).front().state, "Skipped");
    EXPECT_TRUE(NextFire(skipping) > now);
}

// Under a company limit the pass inserts Running only as many of a company's runs as the limit
// leaves room for across the nodes (one runs elsewhere here); the others wait Queued for claims.
TEST_F(FireDueTest, UnderACompanyLimitRunsAreInsertedRunningOnlyWithinItsRoom) {
    const std::vector<JobId> jobs = AddJobs(4);
    pqxx::connection connection{db_.url()};
    const TimePoint now = kStart + seconds(1);
    pqxx::work tx{connection};
    store::RegisterNode(tx, "node-a", 1, "test", seconds(30));
    tx.exec_params0(
        "INSERT INTO runs (company_id, job_id, trigger, scheduled_for, state, node, started_at) "
        "VALUES (48, $1, 'Execute', now(), 'Running', 'node-b', now())",
        jobs[0]);
    const FiredBatch batch = FireDue(tx, now, kGrace, kBatch, "node-a", 4, {.per_company = 2});
    tx.commit();

    EXPECT_EQ(batch.started.size(), 1U);
    EXPECT_EQ(batch.runs.size(), 3U);
}

// Free workers reserved by the node: that many runs of the pass are inserted Running on it, ready
// to start without a claim; the others wait Queued, as does a run of an overlap Queue job. A node
// without a lease (declared lost) starts nothing.
TEST_F(FireDueTest, RunsForReservedWorkersAreInsertedRunningOnTheNode) {
    const JobId queue_job = AddJob(Misfire::FireOnce, Overlap::Queue);
    const std::vector<JobId> jobs = AddJobs(4);
    pqxx::connection connection{db_.url()};
    const TimePoint now = kStart + seconds(1);
    {
        pqxx::work tx{connection};
        EXPECT_TRUE(FireDue(tx, now, kGrace, kBatch, "unregistered", 5).started.empty());
    }  // rolled back
    pqxx::work tx{connection};
    store::RegisterNode(tx, "node-a", 1, "test", seconds(30));
    const FiredBatch batch = FireDue(tx, now, kGrace, kBatch, "node-a", 3);
    tx.commit();

    ASSERT_EQ(batch.started.size(), 3U);
    ASSERT_EQ(batch.runs.size(), 2U);
    for (const store::RunLaunch& launch : batch.started) {
        EXPECT_NE(launch.run.job_id, queue_job);
        EXPECT_EQ(launch.run.state, RunState::Running);
        EXPECT_EQ(launch.run.node, "node-a");
        EXPECT_EQ(launch.run.trigger, Trigger::Schedule);
        EXPECT_EQ(launch.run.scheduled_for, now);
        EXPECT_TRUE(launch.run.started_at.has_value());
        EXPECT_EQ(launch.job.payload_json, R"({"argv": ["/bin/true"]})");
    }
    pqxx::work check{connection};
    for (const QueuedRun& run : batch.runs) {
        const auto row =
            check.exec_params1("SELECT state, holder, node FROM runs WHERE id = $1", run.run);
        EXPECT_EQ(row[0].as<std::string>(), "Queued");
        EXPECT_EQ(row[1].as<std::string>(), "node-a");
        EXPECT_TRUE(row[2].is_null());
    }
    EXPECT_TRUE(std::any_of(batch.runs.begin(), batch.runs.end(), [&](const QueuedRun& run) {
        return run.job == queue_job;
    }));
}

// A jump of exactly the grace is still "late", not a misfire: every fire runs.
TEST_F(FireDueTest, AJumpOfExactlyTheGraceCatchesUpEveryFire) {
    const JobId job = AddJob(Misfire::Skip);
    pqxx::connection connection{db_.url()};
    EXPECT_EQ(FireAt(connection, kStart + seconds(1) + kGrace), 61U);
    ExpectOneRunPerSecond(job, 61);
}

}  // namespace
}  // namespace jobd::engine
