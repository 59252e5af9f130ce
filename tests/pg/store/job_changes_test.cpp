// store::JobChangeListener, the trigger of migrations 0002, 0013 and 0015 and a node's own
// announcements (AnnounceJobChanges) against a real PostgreSQL: which job changes are announced
// (those that can make a job fire earlier, made where another node may need to hear of them), with
// which payload, and how a lost connection surfaces (issue #5: wake-ups by LISTEN/NOTIFY, no
// periodic scanning).

#include "jobd/store/job_changes.hpp"

#include <future>
#include <thread>

#include <gtest/gtest.h>
#include <poll.h>
#include <pqxx/pqxx>

#include "jobd/model/error.hpp"
#include "jobd/store/accounts.hpp"
#include "jobd/store/fires.hpp"
#include "jobd/store/jobs.hpp"
#include "jobd/store/nodes.hpp"
#include "jobd/store/pool.hpp"
#include "support/test_database.hpp"

namespace jobd::store {
namespace {

using std::chrono::seconds;
using test::TestDatabase;
using Changes = std::vector<std::optional<TimePoint>>;

const TimePoint kFire{seconds(1'800'000'000)};

class JobChangesTest : public ::testing::Test {
protected:
    void SetUp() override {
        Write([](pqxx::work& tx) { AddCompany(tx, "Demo", 47); });
    }

    template <typename Fn>
    void Write(Fn fn) {
        pqxx::work tx{writer_};
        fn(tx);
        tx.commit();
    }

    JobId Insert(const std::string& name, std::optional<TimePoint> next_fire) {
        JobId id = 0;
        Write([&](pqxx::work& tx) { id = InsertScheduled(tx, name, next_fire); });
        return id;
    }

    static JobId InsertScheduled(pqxx::work& tx,
                                 const std::string& name,
                                 std::optional<TimePoint> next_fire) {
        JobSpec spec;
        spec.company = 47;
        spec.name = name;
        spec.job_type = "commandJob";
        spec.payload_json = "{}";
        spec.exec_schedule = "0 0 * * * ?";
        spec.time_zone = "UTC";
        spec.next_fire_at = next_fire;
        return InsertJob(tx, spec);
    }

    void Register(const std::string& node) {
        Write([&](pqxx::work& tx) { RegisterNode(tx, node, 1, "test", seconds(2)); });
    }

    // The scheduler's write of a fire that did not run: the job's next fire moves to `next`.
    static void AdvanceWithoutRun(pqxx::work& tx, JobId id, TimePoint next) {
        RecordFires(tx,
                    {{id, 47, kFire, /*run=*/false, /*start=*/false, next, TriggerState::Normal}},
                    "node-a");
    }

    // What arrives within `wait`: the socket is polled, never slept on. A change is committed
    // before this is called, so when nothing arrives the whole wait is spent; it stays short.
    Changes Receive(std::chrono::milliseconds wait = std::chrono::milliseconds(300)) {
        Changes changes;
        const auto deadline = std::chrono::steady_clock::now() + wait;
        while (true) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            pollfd fd{listener_.Socket(), POLLIN, 0};
            if (left.count() <= 0 || ::poll(&fd, 1, static_cast<int>(left.count())) <= 0) {
                return changes;
            }
            const auto taken = listener_.Take();
            changes.insert(changes.end(), taken.begin(), taken.end());
        }
    }

    TestDatabase db_;
    JobChangeListener listener_{db_.url()};
    pqxx::connection writer_{db_.url()};
};

TEST_F(JobChangesTest, NothingArrivedTakesNothing) {
    EXPECT_TRUE(listener_.Take().empty());
}

TEST_F(JobChangesTest, ASubmittedScheduledJobAnnouncesItsNextFire) {
    Insert("hourly", kFire);
    EXPECT_EQ(Receive(), Changes{kFire});
}

TEST_F(JobChangesTest, AJobWithNothingToFireAnnouncesNothing) {
    Insert("run now", std::nullopt);
    EXPECT_TRUE(Receive().empty());
}

TEST_F(JobChangesTest, AFireClaimedAndAdvancedAnnouncesNothing) {
    const JobId id = Insert("hourly", kFire);
    Receive();
    Write([&](pqxx::work& tx) { AdvanceWithoutRun(tx, id, kFire + std::chrono::hours(1)); });
    EXPECT_TRUE(Receive().empty());
}

TEST_F(JobChangesTest, ANextFireMovedEarlierIsAnnounced) {
    const JobId id = Insert("hourly", kFire);
    Receive();
    Write([&](pqxx::work& tx) { AdvanceWithoutRun(tx, id, kFire - std::chrono::hours(1)); });
    EXPECT_EQ(Receive(), Changes{kFire - std::chrono::hours(1)});
}

TEST_F(JobChangesTest, PauseIsSilentResumeIsAnnounced) {
    const JobId id = Insert("hourly", kFire);
    Receive();
    Write([&](pqxx::work& tx) { SetTrigger(tx, id, TriggerState::Paused, kFire); });
    EXPECT_TRUE(Receive().empty());
    Write([&](pqxx::work& tx) { SetTrigger(tx, id, TriggerState::Normal, kFire); });
    EXPECT_EQ(Receive(), Changes{kFire});
}

TEST_F(JobChangesTest, DeleteIsSilent) {
    const JobId id = Insert("hourly", kFire);
    Receive();
    Write([&](pqxx::work& tx) { MarkDeleted(tx, id); });
    EXPECT_TRUE(Receive().empty());
}

// A node wakes its own scheduler for its changes (Engine::JobChanged) and tells the other nodes
// itself, after the commit: its sessions announce nothing (migration 0015), so its concurrent
// commits do not take turns on NOTIFY's lock. The writer's change, announced, comes after the
// node's would have.
TEST_F(JobChangesTest, ANodesOwnSessionsAnnounceNothing) {
    Register("node-a");
    Register("node-b");
    Pool node_a{db_.url(), 1, "node-a"};
    node_a.RunSync([](pqxx::work& tx) { return InsertScheduled(tx, "hourly", kFire); });
    Insert("by psql", kFire + std::chrono::hours(1));
    EXPECT_EQ(Receive(), Changes{kFire + std::chrono::hours(1)});
}

// Its announcement reaches the listeners only while another node is registered to hear it.
TEST_F(JobChangesTest, ANodeAnnouncesItsChangesOnlyToOtherNodes) {
    Register("node-a");
    Pool node_a{db_.url(), 1, "node-a"};
    const auto announce = [&](TimePoint earliest) {
        node_a.RunSync([&](pqxx::work& tx) {
            AnnounceJobChanges(tx, "node-a", earliest);
            return 0;
        });
    };
    announce(kFire);
    EXPECT_TRUE(Receive().empty());
    Register("node-b");
    announce(kFire - std::chrono::hours(1));
    EXPECT_EQ(Receive(), Changes{kFire - std::chrono::hours(1)});
}

// A node that does not announce its own changes (one not yet upgraded: jobd.node only) keeps
// migration 0013's rules: a node registering while such a change that no one was told of is under
// way waits for its commit, so that its first scan, after registering, sees the job.
TEST_F(JobChangesTest, ARegistrationWaitsForAnUnannouncedChangeUnderWay) {
    Register("node-a");
    pqxx::connection node_a{db_.url()};
    pqxx::nontransaction{node_a}.exec("SELECT set_config('jobd.node', 'node-a', false)");
    pqxx::work change{node_a};
    InsertScheduled(change, "hourly", kFire);

    auto registered = std::async(std::launch::async, [this] { Register("node-b"); });
    pqxx::connection observer{db_.url()};
    bool waiting = false;
    for (int poll = 0; poll < 2000 && !waiting; ++poll) {  // 10 s at most
        pqxx::nontransaction tx{observer};
        waiting = tx.exec1(
                        "SELECT count(*) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND wait_event = 'advisory'")[0]
                      .as<int>() == 1;
        if (!waiting) {
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
    }
    ASSERT_TRUE(waiting) << "the registration never waited";
    EXPECT_EQ(registered.wait_for(std::chrono::seconds(0)), std::future_status::timeout);
    change.commit();
    registered.get();

    pqxx::work tx{node_a};  // with node-b registered, the next change is announced
    InsertScheduled(tx, "daily", kFire - std::chrono::hours(1));
    tx.commit();
    EXPECT_EQ(Receive(), Changes{kFire - std::chrono::hours(1)});
}

// A notification is sent on commit: a rolled-back submit announces nothing.
TEST_F(JobChangesTest, ARolledBackChangeAnnouncesNothing) {
    {
        pqxx::work tx{writer_};
        JobSpec spec;
        spec.company = 47;
        spec.name = "never";
        spec.job_type = "commandJob";
        spec.payload_json = "{}";
        spec.time_zone = "UTC";
        spec.next_fire_at = kFire;
        InsertJob(tx, spec);
    }
    EXPECT_TRUE(Receive().empty());
}

// The owner learns of a lost connection from Take() and makes a new listener.
TEST_F(JobChangesTest, ALostConnectionThrowsUnavailable) {
    Write([](pqxx::work& tx) {
        tx.exec(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND query ILIKE 'listen%'");
    });
    pollfd fd{listener_.Socket(), POLLIN, 0};
    ASSERT_EQ(::poll(&fd, 1, 10'000), 1);
    try {
        while (true) {
            listener_.Take();  // a pending error notice may come before the end of the stream
            ASSERT_EQ(::poll(&fd, 1, 10'000), 1);
        }
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Unavailable);
    }
    JobChangeListener again{db_.url()};
    Insert("hourly", kFire);
    pollfd next{again.Socket(), POLLIN, 0};
    ASSERT_EQ(::poll(&next, 1, 10'000), 1);
    EXPECT_EQ(again.Take(), Changes{kFire});
}

}  // namespace
}  // namespace jobd::store
