// store::PruneRuns against a real PostgreSQL (contract §9 "Bounded history", issue #8): which
// finished runs a batch deletes at a given instant, by state and company, within its limits, with
// their details, never a Queued or Running run, and without breaking retry chains. Time is an
// argument: runs are inserted with old timestamps relative to a fixed `kNow`.

#include "jobd/store/retention.hpp"

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "jobd/model/error.hpp"
#include "jobd/store/accounts.hpp"
#include "jobd/store/jobs.hpp"
#include "support/test_database.hpp"

namespace jobd::store {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;
using test::TestDatabase;

const TimePoint kNow{seconds(1'800'000'000)};
// runs.retention 1h, runs.retention_failed 3h.
const Retention kRetention{hours(1), hours(3)};
constexpr PruneLimits kLarge{1000, 100000};

// A run to insert: Row(state, ended) and the setters below.
struct RunRow {
    CompanyId company = 47;
    std::string state;
    // When the run ended; nullopt: it never did (Queued, Running, or stopped before it started,
    // whose age counts from queued_at).
    std::optional<TimePoint> ended;
    TimePoint queued = kNow - hours(100);
    int details = 0;
    std::optional<RunId> first_run;
    int attempt = 0;

    RunRow& Company(CompanyId id) {
        company = id;
        return *this;
    }

    RunRow& Queued(TimePoint at) {
        queued = at;
        return *this;
    }

    RunRow& Details(int rows) {
        details = rows;
        return *this;
    }

    RunRow& RetryOf(RunId original, int attempt_number) {
        first_run = original;
        attempt = attempt_number;
        return *this;
    }
};

RunRow Row(std::string state, std::optional<TimePoint> ended = std::nullopt) {
    RunRow row;
    row.state = std::move(state);
    row.ended = ended;
    return row;
}

class PruneRunsTest : public ::testing::Test {
protected:
    template <typename Fn>
    auto Write(Fn fn) {
        pqxx::work tx{connection_};
        if constexpr (std::is_void_v<decltype(fn(tx))>) {
            fn(tx);
            tx.commit();
        } else {
            auto result = fn(tx);
            tx.commit();
            return result;
        }
    }

    void SetUp() override {
        Write([this](pqxx::work& tx) {
            AddCompany(tx, "Demo", 47);
            AddCompany(tx, "Other", 48);
            job47_ = AddJob(tx, 47);
            job48_ = AddJob(tx, 48);
        });
    }

    static JobId AddJob(pqxx::work& tx, CompanyId company) {
        JobSpec spec;
        spec.company = company;
        spec.name = "history";
        spec.job_type = "commandJob";
        spec.payload_json = "{}";
        spec.time_zone = "UTC";
        return InsertJob(tx, spec);
    }

    // A run as the engine leaves it, with `details` log details.
    RunId Insert(const RunRow& row) {
        return Write([&](pqxx::work& tx) {
            const bool started = row.state != "Queued" && row.ended.has_value();
            const auto id = tx.exec_params1(
                                  "INSERT INTO runs (company_id, job_id, trigger, state, "
                                  "scheduled_for, queued_at, started_at, ended_at, detail_rows, "
                                  "first_run_id, attempt) "
                                  "VALUES ($1, $2, 'Execute', $3, jobd_ts($4), jobd_ts($4), "
                                  "CASE WHEN $5 THEN jobd_ts($4) END, jobd_ts($6), $7, $8, $9) "
                                  "RETURNING id",
                                  row.company,
                                  row.company == 47 ? job47_ : job48_,
                                  row.state,
                                  ToMicros(row.queued),
                                  started || row.state == "Running",
                                  row.ended ? std::optional(ToMicros(*row.ended)) : std::nullopt,
                                  row.details,
                                  row.first_run,
                                  row.attempt)[0]
                                .as<RunId>();
            tx.exec_params0(
                "INSERT INTO run_details (run_id, log_type, message) "
                "SELECT $1, 'Output', 'line ' || n FROM generate_series(1, $2) n",
                id,
                row.details);
            return id;
        });
    }

    PruneBatch Prune(PruneLimits limits = kLarge, Retention retention = kRetention) {
        return Write([&](pqxx::work& tx) { return PruneRuns(tx, kNow, retention, limits); });
    }

    bool Exists(RunId id) {
        return Count("SELECT count(*) FROM runs WHERE id = " + std::to_string(id)) == 1;
    }

    int Count(const std::string& sql) {
        pqxx::work tx{connection_};
        return tx.exec1(sql)[0].as<int>();
    }

    TestDatabase db_;
    pqxx::connection connection_{db_.url()};
    JobId job47_ = 0;
    JobId job48_ = 0;
};

TEST_F(PruneRunsTest, EachFinishedStateIsKeptItsOwnRetention) {
    // Ended 2 h ago: past runs.retention (1 h), within runs.retention_failed (3 h).
    std::map<std::string, RunId> two_hours;
    for (const char* state : {"Succeeded", "Stopped", "Skipped", "Failed", "TimedOut", "Lost"}) {
        two_hours[state] = Insert(Row(state, kNow - hours(2)));
    }
    const PruneBatch batch = Prune();
    EXPECT_FALSE(batch.locked_out);
    EXPECT_EQ(batch.runs, 3);
    EXPECT_FALSE(batch.full);
    for (const char* state : {"Succeeded", "Stopped", "Skipped"}) {
        EXPECT_FALSE(Exists(two_hours[state])) << state;
    }
    for (const char* state : {"Failed", "TimedOut", "Lost"}) {
        EXPECT_TRUE(Exists(two_hours[state])) << state;
    }
    // The failed ones go 3 h after their end.
    EXPECT_EQ(Prune({}, {hours(1), minutes(119)}).runs, 3);
    EXPECT_EQ(Count("SELECT count(*) FROM runs"), 0);
}

TEST_F(PruneRunsTest, RunsWithinTheirRetentionStay) {
    const RunId recent = Insert(Row("Succeeded", kNow - minutes(59)));
    const RunId failed = Insert(Row("Failed", kNow - minutes(179)));
    EXPECT_EQ(Prune().runs, 0);
    EXPECT_TRUE(Exists(recent));
    EXPECT_TRUE(Exists(failed));
}

TEST_F(PruneRunsTest, QueuedAndRunningRunsAreNeverPruned) {
    const RunId queued = Insert(Row("Queued").Queued(kNow - hours(24 * 400)));
    const RunId running = Insert(Row("Running").Queued(kNow - hours(24 * 400)));
    EXPECT_EQ(Prune({}, {minutes(1), minutes(1)}).runs, 0);
    EXPECT_TRUE(Exists(queued));
    EXPECT_TRUE(Exists(running));
}

TEST_F(PruneRunsTest, ARunThatNeverStartedAgesFromItsQueuedTime) {
    // stopJob before the run started: Stopped, no ended_at.
    const RunId old = Insert(Row("Stopped").Queued(kNow - hours(2)));
    const RunId fresh = Insert(Row("Stopped").Queued(kNow - minutes(30)));
    EXPECT_EQ(Prune().runs, 1);
    EXPECT_FALSE(Exists(old));
    EXPECT_TRUE(Exists(fresh));
}

TEST_F(PruneRunsTest, ACompanysOwnRetentionOverridesTheConfig) {
    Write([](pqxx::work& tx) { SetCompanyRetention(tx, 48, {minutes(10), hours(24 * 5)}); });
    const RunId ok47 = Insert(Row("Succeeded", kNow - minutes(30)).Company(47));
    const RunId ok48 = Insert(Row("Succeeded", kNow - minutes(30)).Company(48));
    const RunId failed47 = Insert(Row("Failed", kNow - hours(4)).Company(47));
    const RunId failed48 = Insert(Row("Failed", kNow - hours(4)).Company(48));
    EXPECT_EQ(Prune().runs, 2);
    EXPECT_TRUE(Exists(ok47));
    EXPECT_FALSE(Exists(ok48));
    EXPECT_FALSE(Exists(failed47));
    EXPECT_TRUE(Exists(failed48));

    // Back to the config's (NULL), company 48's failed run goes too once it is past 3 h.
    Write([](pqxx::work& tx) { SetCompanyRetention(tx, 48, {}); });
    EXPECT_EQ(Write([](pqxx::work& tx) { return FindCompanyRetention(tx, 48).kept; }),
              std::nullopt);
    EXPECT_EQ(Prune().runs, 1);
    EXPECT_FALSE(Exists(failed48));
}

TEST_F(PruneRunsTest, CompanyRetentionReadsBackAsSetAndUnknownCompaniesAreNotFound) {
    Write([](pqxx::work& tx) { SetCompanyRetention(tx, 47, {std::nullopt, hours(24 * 7)}); });
    const CompanyRetention read =
        Write([](pqxx::work& tx) { return FindCompanyRetention(tx, 47); });
    EXPECT_EQ(read.kept, std::nullopt);
    EXPECT_EQ(read.kept_failed, hours(24 * 7));
    EXPECT_THROW(Write([](pqxx::work& tx) { return FindCompanyRetention(tx, 99); }), Error);
    EXPECT_THROW(Write([](pqxx::work& tx) { SetCompanyRetention(tx, 99, {}); }), Error);
}

TEST_F(PruneRunsTest, ABatchDeletesAtMostItsRunLimitOldestFirst) {
    std::vector<RunId> runs;
    for (int i = 0; i < 25; ++i) {
        runs.push_back(Insert(Row("Succeeded", kNow - hours(2) - minutes(25 - i))));
    }
    const PruneLimits ten{10, 100000};
    const PruneBatch first = Prune(ten);
    EXPECT_EQ(first.runs, 10);
    EXPECT_TRUE(first.full);
    EXPECT_FALSE(Exists(runs[9]));
    EXPECT_TRUE(Exists(runs[10]));
    EXPECT_EQ(Prune(ten).runs, 10);
    const PruneBatch last = Prune(ten);
    EXPECT_EQ(last.runs, 5);
    EXPECT_FALSE(last.full);
    EXPECT_EQ(Prune(ten).runs, 0);
}

TEST_F(PruneRunsTest, DetailsGoWithTheirRunAndBoundTheBatch) {
    const RunId a = Insert(Row("Succeeded", kNow - hours(5)).Details(4));
    const RunId b = Insert(Row("Succeeded", kNow - hours(4)).Details(4));
    const RunId c = Insert(Row("Succeeded", kNow - hours(3)).Details(4));
    const RunId kept = Insert(Row("Succeeded", kNow).Details(3));
    // 10 detail rows per batch: a and b (8); c would make 12.
    const PruneBatch first = Prune({100, 10});
    EXPECT_EQ(first.runs, 2);
    EXPECT_EQ(first.details, 8);
    EXPECT_TRUE(first.full);
    EXPECT_FALSE(Exists(a));
    EXPECT_FALSE(Exists(b));
    EXPECT_EQ(Count("SELECT count(*) FROM run_details WHERE run_id IN (" + std::to_string(a) +
                    ", " + std::to_string(b) + ")"),
              0);
    // A run with more details than the limit still goes, alone.
    const PruneBatch second = Prune({100, 2});
    EXPECT_EQ(second.runs, 1);
    EXPECT_EQ(second.details, 4);
    EXPECT_FALSE(Exists(c));
    EXPECT_EQ(Count("SELECT count(*) FROM run_details"), 3);
    EXPECT_TRUE(Exists(kept));
}

TEST_F(PruneRunsTest, PruningARetrysOriginalKeepsTheRetryAndItsAttempt) {
    // Migration 0006: first_run_id ON DELETE SET NULL. The original failed long ago; its retry
    // ended recently (still kept), a second chain's retry is still queued.
    const RunId original = Insert(Row("Failed", kNow - hours(10)));
    const RunId retry = Insert(Row("Succeeded", kNow - minutes(5)).RetryOf(original, 1));
    const RunId original2 = Insert(Row("Lost", kNow - hours(10)));
    const RunId queued_retry = Insert(Row("Queued").RetryOf(original2, 2));
    EXPECT_EQ(Prune().runs, 2);
    EXPECT_FALSE(Exists(original));
    EXPECT_FALSE(Exists(original2));
    EXPECT_EQ(Count("SELECT count(*) FROM runs WHERE first_run_id IS NULL AND id IN (" +
                    std::to_string(retry) + ", " + std::to_string(queued_retry) + ")"),
              2);
    EXPECT_EQ(Count("SELECT attempt FROM runs WHERE id = " + std::to_string(queued_retry)), 2);
}

TEST_F(PruneRunsTest, AnOriginalAndItsRetryPrunedInOneBatch) {
    const RunId original = Insert(Row("Failed", kNow - hours(10)));
    Insert(Row("Failed", kNow - hours(9)).RetryOf(original, 1));
    EXPECT_EQ(Prune().runs, 2);
    EXPECT_EQ(Count("SELECT count(*) FROM runs"), 0);
}

TEST_F(PruneRunsTest, NextDueIsWhenTheOldestKeptRunBecomesPrunable) {
    Insert(Row("Succeeded", kNow - minutes(40)));  // due in 20 min
    Insert(Row("Failed", kNow - hours(2)));        // due in 1 h
    Insert(Row("Running"));
    const PruneBatch batch = Prune();
    EXPECT_EQ(batch.runs, 0);
    EXPECT_EQ(batch.next_due, kNow + minutes(20));
}

TEST_F(PruneRunsTest, WithNothingFinishedARunEndingNowIsTheNextDue) {
    Insert(Row("Queued"));
    EXPECT_EQ(Prune().next_due, kNow + hours(1));
    // A company keeping its runs a shorter time brings it forward.
    Write([](pqxx::work& tx) { SetCompanyRetention(tx, 48, {std::nullopt, minutes(10)}); });
    EXPECT_EQ(Prune().next_due, kNow + minutes(10));
}

TEST_F(PruneRunsTest, OnePrunerAtATimeTheOtherIsLockedOutWithoutWaiting) {
    const RunId old = Insert(Row("Succeeded", kNow - hours(2)));
    pqxx::connection other{db_.url()};
    pqxx::work holding{other};
    EXPECT_EQ(PruneRuns(holding, kNow, kRetention, kLarge).runs, 1);  // lock held until commit
    const PruneBatch blocked = Prune();
    EXPECT_TRUE(blocked.locked_out);
    EXPECT_EQ(blocked.runs, 0);
    holding.commit();
    EXPECT_FALSE(Exists(old));
    EXPECT_FALSE(Prune().locked_out);
}

}  // namespace
}  // namespace jobd::store
