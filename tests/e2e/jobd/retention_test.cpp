// End to end: the daemon keeps history bounded (contract §9 "Bounded history", issue #8). Runs
// are inserted straight into the daemon's database with old end times, as a long-running
// daemon's history would hold them; the real jobd must delete those past their retention (the
// config's, or the company's own from `jobd admin set-retention`) and keep the others. Retention
// is minute-scale here (runs.retention: 1m); the pruner runs at start and on SIGHUP, so nothing
// waits for its idle interval.

#include <csignal>

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "e2e/jobd/committed_sql.hpp"
#include "e2e/jobd/daemon_fixture.hpp"

namespace jobd::test {
namespace {

constexpr const char* kRetentionYaml = "runs:\n  retention: 1m\n  retention_failed: 2m\n";

class RetentionTest : public ::testing::Test {
protected:
    void SetUp() override {
        daemon_.AddCompany(47, "Demo");
        daemon_.AddCompany(48, "Other");
    }

    // SQL on the daemon's database.
    template <typename Fn>
    auto Sql(Fn fn) {
        return CommittedSql(daemon_.database_url(), fn);
    }

    // `count` finished runs of a job of `company` that ended `age` ago (an SQL interval), each
    // with two log details; returns their ids as an SQL list "(1,2,3)".
    std::string InsertRuns(std::int64_t company,
                           const std::string& state,
                           const std::string& age,
                           int count) {
        return Sql([&](pqxx::work& tx) {
            tx.exec_params0(
                "INSERT INTO jobs (company_id, name, job_type, payload, time_zone) "
                "VALUES ($1, 'history', 'commandJob', '{}', 'UTC') ON CONFLICT DO NOTHING",
                company);
            const auto ids = tx.exec_params1(
                "WITH inserted AS ("
                "  INSERT INTO runs (company_id, job_id, trigger, state, scheduled_for, queued_at,"
                "                    started_at, ended_at, detail_rows)"
                "  SELECT $1, j.id, 'Schedule', $2, now() - $3::interval - n * interval '1 s',"
                "         now() - $3::interval, now() - $3::interval, now() - $3::interval, 2"
                "  FROM jobs j, generate_series(1, $4) n WHERE j.company_id = $1"
                "  RETURNING id),"
                " details AS ("
                "  INSERT INTO run_details (run_id, log_type, message)"
                "  SELECT id, 'Output', 'line' FROM inserted, generate_series(1, 2))"
                "SELECT '(' || string_agg(id::text, ',') || ')' FROM inserted",
                company,
                state,
                age,
                count)[0];
            return ids.as<std::string>();
        });
    }

    int Count(const std::string& sql) {
        return Sql([&](pqxx::work& tx) { return tx.exec1(sql)[0].as<int>(); });
    }

    int Remaining(const std::string& ids) {
        return Count("SELECT count(*) FROM runs WHERE id IN " + ids);
    }

    bool Gone(const std::string& ids) {
        return WaitFor([&] { return Remaining(ids) == 0; });
    }

    JobdProcess daemon_{kRetentionYaml};
};

TEST_F(RetentionTest, RunsPastTheirRetentionArePrunedAtStartWithTheirDetails) {
    const std::string old_ok = InsertRuns(47, "Succeeded", "10 minutes", 30);
    const std::string old_failed = InsertRuns(47, "Failed", "10 minutes", 5);
    const std::string failed_within = InsertRuns(47, "TimedOut", "90 seconds", 5);
    const std::string fresh = InsertRuns(47, "Succeeded", "0 s", 5);
    daemon_.Start();

    ASSERT_TRUE(Gone(old_ok)) << daemon_.Log();
    ASSERT_TRUE(Gone(old_failed)) << daemon_.Log();
    EXPECT_EQ(Remaining(fresh), 5);
    // Within runs.retention_failed (2m) at the pruning pass that removed the others.
    EXPECT_GT(Remaining(failed_within), 0);
    EXPECT_EQ(Count("SELECT count(*) FROM run_details WHERE run_id IN " + old_ok), 0);
    EXPECT_EQ(Count("SELECT count(*) FROM run_details WHERE run_id IN " + fresh), 10);

    const HttpAnswer metrics = daemon_.Get("/metrics");
    EXPECT_NE(metrics.body.find("\njobd_runs_pruned_total 35\n"), std::string::npos)
        << metrics.body;
    EXPECT_NE(metrics.body.find("\njobd_run_details_pruned_total 70\n"), std::string::npos)
        << metrics.body;
    EXPECT_EQ(daemon_.Terminate(), 0);
}

TEST_F(RetentionTest, ACompanysOwnRetentionIsHonouredAfterSighup) {
    const CommandResult set = daemon_.Jobd({"admin", "set-retention", "48", "--retention", "30d"});
    ASSERT_EQ(set.exit_code, 0) << set.out;
    EXPECT_NE(set.out.find("retention=30d retention_failed=default (2m)"), std::string::npos)
        << set.out;
    daemon_.Start();

    // Inserted after the start-up pass: SIGHUP starts the next pass at once.
    const std::string old47 = InsertRuns(47, "Succeeded", "10 minutes", 3);
    const std::string old48 = InsertRuns(48, "Succeeded", "10 minutes", 3);
    daemon_.SendSignal(SIGHUP);
    ASSERT_TRUE(Gone(old47)) << daemon_.Log();
    EXPECT_EQ(Remaining(old48), 3);  // the same pass looked at company 48's runs

    // Back to the config's retention: pruned at the next pass.
    ASSERT_EQ(daemon_.Jobd({"admin", "set-retention", "48", "--retention", "default"}).exit_code,
              0);
    daemon_.SendSignal(SIGHUP);
    EXPECT_TRUE(Gone(old48)) << daemon_.Log();
    EXPECT_EQ(daemon_.Terminate(), 0);
}

TEST_F(RetentionTest, SetRetentionRefusesBadInputWithExitCode2) {
    for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
             {"admin", "set-retention", "47"},                               // nothing to set
             {"admin", "set-retention", "47", "--retention", "soon"},        // not a duration
             {"admin", "set-retention", "47", "--retention-failed", "30s"},  // under 1m
             {"admin", "set-retention", "x47", "--retention", "7d"},         // not a handle
             {"admin", "set-retention", "99", "--retention", "7d"}}) {       // no such company
        const CommandResult result = daemon_.Jobd(args);
        EXPECT_EQ(result.exit_code, 2) << args.back() << ": " << result.out;
    }
    EXPECT_EQ(Count("SELECT count(*) FROM companies WHERE retention IS NOT NULL OR "
                    "retention_failed IS NOT NULL"),
              0);
}

}  // namespace
}  // namespace jobd::test
