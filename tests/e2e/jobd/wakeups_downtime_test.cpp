// End to end: what wakes the scheduler and what a stopped daemon catches up (contract §8;
// issue #5). The scheduler scans the jobs table only when a fire is due or a job change is
// announced (LISTEN/NOTIFY), so a change made behind this daemon's back (as another node makes
// it) must wake it; a daemon stopped across several fires follows the job's misfire policy.
// Jobs here fire monthly ("0 0 0 1 * ?"), so no fire of their own falls inside a test: every
// run seen comes from the change the test makes.

#include <boost/json.hpp>
#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "e2e/jobd/committed_sql.hpp"
#include "e2e/jobd/daemon_fixture.hpp"

namespace jobd::test {
namespace {

namespace json = boost::json;

struct FireRow {
    std::string state;
    std::string trigger;
    bool before_restart = false;
};

class WakeupsDowntimeTest : public ::testing::Test {
protected:
    void SetUp() override { StartDemoDaemon(daemon_); }

    void Submit(const std::string& name, const std::string& misfire) {
        const auto answer = daemon_.Json(
            "submitJob",
            R"({"companyHandle":"47","jobName":")" + name +
                R"(","execSchedule":"0 0 0 1 * ?","timeZone":"UTC","overlap":"Allow","misfire":")" +
                misfire + R"(","commandJob":{"argv":["/bin/true"]}})",
            "admin@example.com");
        ASSERT_EQ(answer.status, 200) << answer.body;
    }

    // SQL on the daemon's database, as another node (or an operator) would change it.
    template <typename Fn>
    auto Sql(Fn fn) {
        return CommittedSql(daemon_.database_url(), fn);
    }

    void MoveNextFire(const std::string& name, const std::string& to) {
        Sql([&](pqxx::work& tx) {
            return tx.exec_params("UPDATE jobs SET next_fire_at = " + to + " WHERE name = $1",
                                  name);
        });
    }

    // The job's fire records; before_restart: scheduled before `restart` (an SQL timestamptz).
    std::vector<FireRow> Fires(const std::string& name, const std::string& restart = "now()") {
        const auto rows = Sql([&](pqxx::work& tx) {
            return tx.exec_params(
                "SELECT r.state, r.trigger, r.scheduled_for < " + restart +
                    " FROM runs r JOIN jobs j ON j.id = r.job_id WHERE j.name = $1 ORDER BY r.id",
                name);
        });
        std::vector<FireRow> fires;
        for (const auto& row : rows) {
            fires.push_back(
                {row[0].as<std::string>(), row[1].as<std::string>(), row[2].as<bool>()});
        }
        return fires;
    }

    // True once the job's next fire lies ahead: the fire step that found it due has committed,
    // so nothing more of that fire can follow.
    bool NextFireAhead(const std::string& name) {
        return Sql([&](pqxx::work& tx) {
            return tx.exec_params1("SELECT next_fire_at > now() FROM jobs WHERE name = $1", name)[0]
                .as<bool>();
        });
    }

    // The backend of the daemon's LISTEN connection, 0 while there is none.
    int ListenerPid() {
        return Sql([](pqxx::work& tx) {
            return tx
                .exec1(
                    "SELECT coalesce(min(pid), 0) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND query ILIKE 'listen%'")[0]
                .as<int>();
        });
    }

    bool Finished(const std::string& name, std::size_t count) {
        const auto fires = Fires(name);
        return fires.size() == count &&
               std::all_of(fires.begin(), fires.end(), [](const FireRow& fire) {
                   return fire.state != "Queued" && fire.state != "Running";
               });
    }

    JobdProcess daemon_;
};

// The daemon's timer is set for the first of next month; only the NOTIFY of the change can make it
// fire now (there is no periodic re-scan).
TEST_F(WakeupsDowntimeTest, AChangeMadeElsewhereWakesTheScheduler) {
    Submit("moved", "FireOnce");
    MoveNextFire("moved", "now()");
    ASSERT_TRUE(WaitFor([&] { return Finished("moved", 1); })) << daemon_.Log();
    EXPECT_EQ(Fires("moved").at(0).state, "Succeeded");
    EXPECT_EQ(Fires("moved").at(0).trigger, "Schedule");
}

// A lost LISTEN connection is made again, and the scheduler looks again once it is back, so a
// change made meanwhile is not missed.
TEST_F(WakeupsDowntimeTest, AChangeWhileTheListenConnectionIsLostIsNotMissed) {
    Submit("moved", "FireOnce");
    int listener = 0;
    ASSERT_TRUE(WaitFor([&] { return (listener = ListenerPid()) != 0; })) << daemon_.Log();
    Sql([&](pqxx::work& tx) {
        return tx.exec_params("SELECT pg_terminate_backend($1)", listener);
    });
    MoveNextFire("moved", "now()");
    ASSERT_TRUE(WaitFor([&] { return Finished("moved", 1); })) << daemon_.Log();
    EXPECT_EQ(Fires("moved").at(0).state, "Succeeded");
    // It listens again, on a new connection.
    EXPECT_TRUE(WaitFor([&] {
        const int again = ListenerPid();
        return again != 0 && again != listener;
    })) << daemon_.Log();
}

// Contract §8: a daemon down across several fires runs one catch-up run for FireOnce.
TEST_F(WakeupsDowntimeTest, DowntimeAcrossSeveralFiresFireOnceRunsOneCatchUp) {
    Submit("catch-up", "FireOnce");
    ASSERT_EQ(daemon_.Terminate(), 0);
    // Five monthly fires passed while it was down (misfire_grace is 60 s).
    MoveNextFire("catch-up", "date_trunc('month', now()) - interval '4 months'");
    const auto restart =
        Sql([](pqxx::work& tx) { return tx.exec1("SELECT now()::text")[0].as<std::string>(); });
    daemon_.Start();
    ASSERT_TRUE(WaitFor([&] { return NextFireAhead("catch-up") && Finished("catch-up", 1); }))
        << daemon_.Log();
    const auto fires = Fires("catch-up", "'" + restart + "'::timestamptz");
    ASSERT_EQ(fires.size(), 1U);
    EXPECT_EQ(fires[0].state, "Succeeded");
    EXPECT_EQ(fires[0].trigger, "Schedule");
    EXPECT_TRUE(fires[0].before_restart);  // its nominal time: the first missed fire
}

// Skip records the missed fire as Skipped and runs nothing until the next fire.
TEST_F(WakeupsDowntimeTest, DowntimeAcrossSeveralFiresSkipRecordsSkippedAndRunsNothing) {
    Submit("skipper", "Skip");
    ASSERT_EQ(daemon_.Terminate(), 0);
    MoveNextFire("skipper", "date_trunc('month', now()) - interval '4 months'");
    daemon_.Start();
    ASSERT_TRUE(WaitFor([&] { return NextFireAhead("skipper") && Finished("skipper", 1); }))
        << daemon_.Log();
    const auto fires = Fires("skipper");
    ASSERT_EQ(fires.size(), 1U);
    EXPECT_EQ(fires[0].state, "Skipped");
    // The job log shows it as a skipped fire.
    const auto answer = daemon_.Json(
        "getJobLogs", R"({"companyHandle":"47","jobHandle":"47|skipper|"})", "admin@example.com");
    ASSERT_EQ(answer.status, 200) << answer.body;
    const auto logs = json::parse(answer.body).as_object().at("jobLogArray").as_array();
    ASSERT_EQ(logs.size(), 1U);
    EXPECT_EQ(logs[0].as_object().at("state").as_string(), "Skipped");
    EXPECT_EQ(logs[0].as_object().at("logType").as_string(), "JobSkipped");
}

}  // namespace
}  // namespace jobd::test
