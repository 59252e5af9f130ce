// The operations against a real PostgreSQL: what concurrency and the store guarantee (issue #3).

#include <functional>
#include <future>
#include <map>
#include <thread>

#include <gtest/gtest.h>

#include "jobd/api/operations.hpp"
#include "jobd/model/error.hpp"
#include "jobd/store/accounts.hpp"
#include "jobd/store/jobs.hpp"
#include "jobd/store/nodes.hpp"
#include "jobd/store/runs.hpp"
#include "support/test_database.hpp"

namespace jobd::api {
namespace {

using jobd::test::TestDatabase;

const TimePoint kNow{std::chrono::seconds(1'800'000'000)};

class OperationsTest : public ::testing::Test {
protected:
    void SetUp() override {
        pqxx::connection connection{db_.url()};
        pqxx::work tx{connection};
        store::AddCompany(tx, "Demo", 47);
        for (const auto overlap : {Overlap::Forbid, Overlap::Allow, Overlap::Queue}) {
            JobSpec spec;
            spec.company = 47;
            spec.name = std::string(ToString(overlap));
            spec.job_type = "commandJob";
            spec.payload_json = R"({"argv":["/bin/true"]})";
            spec.time_zone = "UTC";
            spec.overlap = overlap;
            store::InsertJob(tx, spec);
        }
        // Runs executeJob queues are held by this node (issue #6); a claim needs a lease.
        config_.node.name = "node-a";
        store::RegisterNode(tx, "node-a", 1, "test", std::chrono::seconds(30));
        store::RegisterNode(tx, "node-b", 2, "test", std::chrono::seconds(30));
        tx.commit();
    }

    // executeJob of `job` as IpsAdmin on `tx`.
    boost::json::object ExecuteOn(pqxx::transaction_base& tx,
                                  const std::string& job,
                                  bool worker_reserved,
                                  std::optional<RunId> reserved_run = std::nullopt) {
        const boost::json::object params{{"companyHandle", "47"}, {"jobHandle", "47|" + job + "|"}};
        OperationContext ctx{auth::Operation::executeJob,
                             admin_,
                             Params(params),
                             config_,
                             kNow,
                             Language::English,
                             {},
                             worker_reserved,
                             reserved_run};
        auto result = ExecuteJob(ctx, tx);
        EXPECT_FALSE(ctx.effects.unconfirmed);  // the statement's commit is known
        return result;
    }

    // executeJob in its own transaction. With `hold`: signals `executed` once the operation ran
    // (the job row locked, the run inserted) and commits only when `commit` is set.
    boost::json::object Execute(const std::string& job,
                                std::promise<void>* executed = nullptr,
                                std::shared_future<void> commit = {},
                                bool worker_reserved = false) {
        pqxx::connection connection{db_.url()};
        pqxx::work tx{connection};
        auto result = ExecuteOn(tx, job, worker_reserved);
        if (executed != nullptr) {
            executed->set_value();
            commit.wait();
        }
        tx.commit();
        return result;
    }

    // executeJob as the daemon calls it with credentials: without a transaction, its run's id
    // reserved beforehand (Service::Handle).
    boost::json::object ExecuteAutocommit(const std::string& job, RunId reserved_run) {
        pqxx::connection connection{db_.url()};
        pqxx::nontransaction tx{connection};
        return ExecuteOn(tx, job, /*worker_reserved=*/true, reserved_run);
    }

    // executeJob in one statement by `caller` (Service::ExecuteForCaller) under an id reserved
    // here, with a worker reserved.
    struct CallerExecution {
        RunId id = 0;
        std::optional<boost::json::object> answer;
        std::optional<RunId> next_run;
        std::optional<store::RunLaunch> started;
    };

    CallerExecution ExecuteForCallerOn(pqxx::nontransaction& tx,
                                       const KnownCaller& caller,
                                       const std::string& job) {
        CallerExecution execution;
        execution.id =
            tx.exec1("SELECT nextval(pg_get_serial_sequence('runs', 'id'))")[0].as<RunId>();
        const boost::json::object params{{"companyHandle", "47"}, {"jobHandle", "47|" + job + "|"}};
        OperationContext ctx{auth::Operation::executeJob,
                             {},
                             Params(params),
                             config_,
                             kNow,
                             Language::English,
                             {},
                             /*worker_reserved=*/true,
                             execution.id};
        execution.answer = ExecuteJobForCaller(ctx, tx, caller, execution.next_run);
        execution.started = ctx.effects.start_claimed;
        return execution;
    }

    static UserId SubmitUserOf(pqxx::transaction_base& tx, RunId run) {
        return tx.exec1("SELECT submit_user_id FROM runs WHERE id = " + std::to_string(run))[0]
            .as<UserId>();
    }

    static int RunCount(pqxx::transaction_base& tx) {
        return tx.exec1("SELECT count(*) FROM runs")[0].as<int>();
    }

    // A first executeJob of the Forbid job holds its transaction open while `second` calls
    // executeJob on the same job; returns the fault the second call got, if any.
    std::optional<ErrorKind> SecondCallOnAForbidJobWhileTheFirstIsOpen(
        const std::function<void()>& second) {
        std::promise<void> executed;
        std::promise<void> release;
        const std::shared_future<void> commit = release.get_future().share();
        auto first =
            std::async(std::launch::async, [&] { return Execute("Forbid", &executed, commit); });
        executed.get_future().wait();
        auto fault = std::async(std::launch::async, [&]() -> std::optional<ErrorKind> {
            try {
                second();
                return std::nullopt;
            } catch (const Error& e) {
                return e.kind();
            }
        });
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        while (!SomeoneWaitsForALock() && std::chrono::steady_clock::now() < deadline) {
            std::this_thread::yield();
        }
        release.set_value();
        EXPECT_TRUE(first.get().contains("runHandle"));
        return fault.get();
    }

    // True once some session waits for a row lock (the second executeJob on the job row).
    bool SomeoneWaitsForALock() {
        pqxx::connection connection{db_.url()};
        pqxx::work tx{connection};
        return tx.exec1("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")[0]
                   .as<int>() > 0;
    }

    TestDatabase db_;
    Principal admin_{std::nullopt, "root", true, {}};
    config::Config config_;
};

// Two clients executing one Forbid job at once: the job row lock serializes them, so exactly
// one run is queued and the other caller gets "already running".
TEST_F(OperationsTest, ConcurrentExecuteUnderForbidRunsOnce) {
    EXPECT_EQ(SecondCallOnAForbidJobWhileTheFirstIsOpen([&] { Execute("Forbid"); }),
              ErrorKind::Conflict);
}

// The same when the second call runs without a transaction, its checks and insert one statement
// (store::ExecuteRun): the job's active runs are counted after its row lock was granted, so they
// include the first call's run, committed meanwhile.
TEST_F(OperationsTest, ConcurrentExecuteUnderForbidRunsOnceWithoutATransaction) {
    EXPECT_EQ(
        SecondCallOnAForbidJobWhileTheFirstIsOpen([&] { ExecuteAutocommit("Forbid", 1'000'000); }),
        ErrorKind::Conflict);
    pqxx::connection connection{db_.url()};
    pqxx::work tx{connection};
    EXPECT_EQ(tx.exec1("SELECT count(*) FROM runs")[0].as<int>(), 1);
}

// Without a transaction the run gets the id reserved before (so that a call whose commit is in
// doubt can look for it); Running on this node's reserved worker, or Queued for overlap Queue.
TEST_F(OperationsTest, ExecuteWithoutATransactionInsertsTheRunUnderItsReservedId) {
    const std::map<std::string, RunState> expected{
        {"Allow", RunState::Running}, {"Forbid", RunState::Running}, {"Queue", RunState::Queued}};
    RunId reserved = 500;
    for (const auto& [job, state] : expected) {
        const auto handle =
            ParseRunHandle(ExecuteAutocommit(job, ++reserved).at("runHandle").as_string());
        ASSERT_TRUE(handle) << job;
        EXPECT_EQ(handle->run, reserved) << job;
        pqxx::connection connection{db_.url()};
        pqxx::work tx{connection};
        EXPECT_EQ(store::FindRun(tx, *handle)->state, state) << job;
    }
}

// The lookup of an executeJob caller reserves its run's id in the same round trip: one id per
// lookup, whatever the user's memberships, one more when asked for a spare, none when not asked.
TEST_F(OperationsTest, AUserLookupReservesTheRunIdsAskedFor) {
    pqxx::connection connection{db_.url()};
    pqxx::work tx{connection};
    store::AddCompany(tx, "Other", 48);
    const UserId user =
        store::AddUser(tx, "ops@example.com", std::nullopt, 47, Role::IpsCompanyAdmin);
    store::AddUser(tx, "ops@example.com", std::nullopt, 48, Role::IpsCompanyAdmin);
    store::AddToken(tx, user, "ci", "digest");
    const auto first = store::FindUserByToken(tx, "digest", store::Reserve::RunId);
    const auto second = store::FindUserByEmail(tx, "OPS@example.com", store::Reserve::RunId);
    const auto spare = store::FindUserByToken(tx, "digest", store::Reserve::RunIdAndSpare);
    const auto plain = store::FindUserByToken(tx, "digest");
    ASSERT_TRUE(first && second && spare && plain);
    EXPECT_EQ(first->roles.size(), 2u);
    ASSERT_TRUE(first->reserved_run && second->reserved_run);
    EXPECT_EQ(*second->reserved_run, *first->reserved_run + 1);
    EXPECT_FALSE(first->spare_run);
    ASSERT_TRUE(spare->reserved_run && spare->spare_run);
    EXPECT_EQ(*spare->reserved_run, *second->reserved_run + 1);
    EXPECT_EQ(*spare->spare_run, *spare->reserved_run + 1);
    EXPECT_FALSE(plain->reserved_run);
    EXPECT_FALSE(plain->spare_run);
    const auto next = tx.exec1("SELECT nextval(pg_get_serial_sequence('runs', 'id'))")[0];
    EXPECT_EQ(next.as<RunId>(), *spare->spare_run + 1);
}

// executeJob by token in one statement: the run under the id given, Running on the reserved
// worker, and one more id for the next call; no run (nothing written) for an unknown token, a
// member whose role may not execute, or a job that may not start now (Forbid with a run active).
TEST_F(OperationsTest, ExecuteForTokenChecksTheCallerAndInsertsUnderTheIdGiven) {
    pqxx::connection connection{db_.url()};
    UserId member = 0;
    {
        pqxx::work setup{connection};
        member = store::AddUser(setup, "member@example.com", std::nullopt, 47, Role::IpsUser);
        const UserId viewer =
            store::AddUser(setup, "viewer@example.com", std::nullopt, 47, Role::ImagePortalUser);
        const UserId admin =
            store::AddUser(setup, "root@example.com", std::nullopt, std::nullopt, Role::IpsAdmin);
        store::AddToken(setup, member, "m", "member-digest");
        store::AddToken(setup, viewer, "v", "viewer-digest");
        store::AddToken(setup, admin, "a", "admin-digest");
        setup.commit();
    }
    pqxx::nontransaction tx{connection};
    const auto execute = [&](const std::string& digest, const std::string& job) {
        return ExecuteForCallerOn(tx, TokenCaller{digest}, job);
    };

    const auto [id, answer, next_run, started] = execute("member-digest", "Forbid");
    ASSERT_TRUE(answer);
    EXPECT_EQ(answer->at("runHandle").as_string(), "47|Forbid|" + std::to_string(id));
    ASSERT_TRUE(started);
    EXPECT_EQ(started->run.id, id);
    EXPECT_EQ(started->run.state, RunState::Running);
    EXPECT_EQ(SubmitUserOf(tx, id), member);
    ASSERT_TRUE(next_run);
    EXPECT_GT(*next_run, id);

    EXPECT_FALSE(execute("member-digest", "Forbid").answer);  // one active
    EXPECT_FALSE(execute("viewer-digest", "Allow").answer);
    EXPECT_FALSE(execute("no-such-digest", "Allow").answer);
    EXPECT_EQ(RunCount(tx), 1);
    EXPECT_TRUE(execute("admin-digest", "Allow").answer);  // global IpsAdmin
    EXPECT_EQ(RunCount(tx), 2);
}

// The same by a password verified against a stored hash: the email matches whatever its case,
// and the hash must still be the user's, so a password changed since the check runs nothing.
TEST_F(OperationsTest, ExecuteForPasswordRunsOnlyWhileTheVerifiedHashIsStored) {
    pqxx::connection connection{db_.url()};
    UserId member = 0;
    {
        pqxx::work setup{connection};
        member = store::AddUser(setup, "member@example.com", "hash-1", 47, Role::IpsUser);
        store::AddUser(setup, "viewer@example.com", "hash-v", 47, Role::ImagePortalUser);
        store::AddUser(setup, "root@example.com", "hash-r", std::nullopt, Role::IpsAdmin);
        setup.commit();
    }
    pqxx::nontransaction tx{connection};
    const auto execute = [&](const std::string& email, const std::string& hash) {
        return ExecuteForCallerOn(tx, PasswordCaller{email, hash}, "Allow");
    };

    const auto executed = execute("Member@Example.com", "hash-1");
    ASSERT_TRUE(executed.answer);
    EXPECT_EQ(SubmitUserOf(tx, executed.id), member);
    EXPECT_TRUE(executed.next_run);

    EXPECT_FALSE(execute("member@example.com", "hash-r").answer);  // another user's hash
    EXPECT_FALSE(execute("viewer@example.com", "hash-v").answer);  // its role may not execute
    EXPECT_FALSE(execute("nobody@example.com", "hash-1").answer);
    tx.exec0("UPDATE users SET password_hash = 'hash-2' WHERE email = 'member@example.com'");
    EXPECT_FALSE(execute("member@example.com", "hash-1").answer);
    EXPECT_EQ(RunCount(tx), 1);
    EXPECT_TRUE(execute("member@example.com", "hash-2").answer);
    EXPECT_TRUE(execute("root@example.com", "hash-r").answer);  // global IpsAdmin
    EXPECT_EQ(RunCount(tx), 3);
}

TEST_F(OperationsTest, AllowLetsEveryExecuteQueueARun) {
    const auto a = Execute("Allow");
    const auto b = Execute("Allow");
    EXPECT_NE(a.at("runHandle"), b.at("runHandle"));
}

// Runs of an Allow job may go on together, so executeJob calls on it do not queue behind each
// other's transaction (issue #8: they used to take the job row FOR UPDATE, one commit at a time).
TEST_F(OperationsTest, ConcurrentExecuteUnderAllowDoesNotWait) {
    std::promise<void> executed;
    std::promise<void> release;
    const std::shared_future<void> commit = release.get_future().share();
    auto first =
        std::async(std::launch::async, [&] { return Execute("Allow", &executed, commit); });
    executed.get_future().wait();
    auto second = std::async(std::launch::async, [&] { return Execute("Allow"); });
    const auto status = second.wait_for(std::chrono::seconds(20));
    release.set_value();
    ASSERT_EQ(status, std::future_status::ready);
    EXPECT_NE(first.get().at("runHandle"), second.get().at("runHandle"));
}

// With a worker of this node reserved, executeJob commits the run already claimed: Running on
// this node, started, so the engine starts it without a claim of its own.
TEST_F(OperationsTest, ExecuteOnAReservedWorkerInsertsTheRunClaimed) {
    config_.node.name = "node-a";
    for (const std::string job : {"Forbid", "Allow"}) {
        const auto answer = Execute(job, nullptr, {}, /*worker_reserved=*/true);
        const auto handle = ParseRunHandle(answer.at("runHandle").as_string());
        ASSERT_TRUE(handle);
        pqxx::connection connection{db_.url()};
        pqxx::work tx{connection};
        const auto run = store::FindRun(tx, *handle);
        ASSERT_TRUE(run);
        EXPECT_EQ(run->state, RunState::Running) << job;
        EXPECT_EQ(run->node, "node-a") << job;
        EXPECT_TRUE(run->started_at) << job;
        EXPECT_FALSE(store::ClaimRun(tx, handle->run, "node-b", {})) << job;
    }
}

// Under a company limit the same holds while the company has room across the nodes (counted
// under the lock its claims take); at the limit the run waits Queued for the engine's claim.
TEST_F(OperationsTest, ExecuteOnAReservedWorkerUnderACompanyLimitIsClaimedWhileThereIsRoom) {
    config_.workers.per_company_max_concurrent_runs = 2;
    std::vector<RunState> states;
    for (int call = 0; call < 3; ++call) {
        const auto answer = Execute("Allow", nullptr, {}, /*worker_reserved=*/true);
        const auto handle = ParseRunHandle(answer.at("runHandle").as_string());
        ASSERT_TRUE(handle);
        pqxx::connection connection{db_.url()};
        pqxx::work tx{connection};
        states.push_back(store::FindRun(tx, *handle)->state);
    }
    EXPECT_EQ(states, (std::vector{RunState::Running, RunState::Running, RunState::Queued}));
}

TEST_F(OperationsTest, ARunIsClaimedOnce) {
    const auto handle = ParseRunHandle(Execute("Allow").at("runHandle").as_string());
    ASSERT_TRUE(handle);
    pqxx::connection connection{db_.url()};
    pqxx::work tx{connection};
    EXPECT_TRUE(store::ClaimRun(tx, handle->run, "node-a", {}));
    EXPECT_FALSE(store::ClaimRun(tx, handle->run, "node-b", {}));
}

TEST_F(OperationsTest, RestartMarksRunningRunsLostAndReturnsQueuedOnes) {
    const auto running = ParseRunHandle(Execute("Allow").at("runHandle").as_string());
    const auto queued = ParseRunHandle(Execute("Allow").at("runHandle").as_string());
    pqxx::connection connection{db_.url()};
    pqxx::work tx{connection};
    ASSERT_TRUE(store::ClaimRun(tx, running->run, "node-a", {}));
    const auto recovery = store::RecoverNode(tx, "node-a");
    ASSERT_EQ(recovery.lost.size(), 1u);
    EXPECT_EQ(recovery.lost[0].run.id, running->run);
    EXPECT_EQ(recovery.lost[0].run.state, RunState::Lost);
    EXPECT_EQ(recovery.lost[0].run.reason, "node node-a restarted while the run was going");
    ASSERT_TRUE(recovery.lost[0].run.reason_message);
    EXPECT_EQ(Render(*recovery.lost[0].run.reason_message, Language::German),
              "Knoten node-a wurde während des Laufs neu gestartet");
    ASSERT_EQ(recovery.queued.size(), 1u);
    EXPECT_EQ(recovery.queued[0].id, queued->run);
}

TEST_F(OperationsTest, DetailsPageAndFilterByLogType) {
    const auto run = ParseRunHandle(Execute("Allow").at("runHandle").as_string());
    pqxx::connection connection{db_.url()};
    pqxx::work tx{connection};
    std::vector<RunDetail> details;
    for (int i = 0; i < 5; ++i) {
        details.push_back(
            {kNow, i % 2 == 0 ? "Output" : "FileBegin", std::to_string(i), {}, {}, {}, {}});
    }
    store::AppendDetails(tx, run->run, details);
    const auto page = store::RunDetails(tx, run->run, {{"Output"}, false, true, 2, 2});
    EXPECT_EQ(page.total_rows, 3);
    ASSERT_EQ(page.details.size(), 1u);
    EXPECT_EQ(page.details[0].message, "4");
    ASSERT_TRUE(store::ClaimRun(tx, run->run, "node-a", {}));
    const auto finished =
        store::FinishRun(tx, run->run, {RunState::Succeeded, 0, std::nullopt}, "node-a", {});
    ASSERT_TRUE(finished);
    EXPECT_EQ(finished->detail_rows, 5);
}

// A write repeated after its commit was in doubt (issue #6): nothing is written twice.
TEST_F(OperationsTest, WritesRepeatedAfterAnUnknownCommitApplyOnce) {
    const auto run = ParseRunHandle(Execute("Allow").at("runHandle").as_string());
    pqxx::connection connection{db_.url()};
    pqxx::work tx{connection};
    ASSERT_TRUE(store::ClaimRun(tx, run->run, "node-a", {}));
    EXPECT_FALSE(store::ClaimRun(tx, run->run, "node-a", {}));
    EXPECT_FALSE(store::ClaimRun(tx, run->run, "node-b", {}, /*resuming=*/true));
    EXPECT_TRUE(store::ClaimRun(tx, run->run, "node-a", {}, /*resuming=*/true));
    const std::vector<RunDetail> first{{kNow, "Output", "1", {}, {}, {}, std::nullopt},
                                       {kNow, "Output", "2", {}, {}, {}, std::nullopt}};
    EXPECT_EQ(store::AppendDetailsOnce(tx, run->run, first, 0), 2);
    // The same batch again with one more line, as after a lost acknowledgement.
    auto again = first;
    again.push_back({kNow, "Output", "3", {}, {}, {}, std::nullopt});
    EXPECT_EQ(store::AppendDetailsOnce(tx, run->run, again, 0), 3);
    EXPECT_EQ(store::AppendDetailsOnce(tx, run->run, {}, 3), 3);
    const auto page = store::RunDetails(tx, run->run, {});
    ASSERT_EQ(page.total_rows, 3);
    EXPECT_EQ(page.details[2].message, "3");
    const auto failed =
        store::FinishRun(tx, run->run, {RunState::Failed, 1, std::nullopt}, "node-a", {});
    ASSERT_TRUE(failed);
    EXPECT_FALSE(store::FinishRun(tx, run->run, {RunState::Failed, 1, std::nullopt}, "node-a", {}));
    EXPECT_FALSE(store::RetryOf(tx, *failed));
    const RunId retry = store::InsertRetry(tx, *failed, kNow, "node-a");
    EXPECT_EQ(store::RetryOf(tx, *failed), retry);
}

// Contract §5 "Locale": jobd's own reason and details keep their message beside the English text;
// a row without one (older jobd) or with an id this jobd does not know reads back without one.
TEST_F(OperationsTest, OwnReasonAndDetailsKeepTheirMessage) {
    const auto run = ParseRunHandle(Execute("Allow").at("runHandle").as_string());
    pqxx::connection connection{db_.url()};
    pqxx::work tx{connection};
    const Message launch_failed =
        Message(MessageId::RunNotLaunched, {{"field", "exportJob"}})
            .With("problem", Message(MessageId::NoHandler, {{"type", "exportJob"}}));
    store::AppendDetails(tx,
                         run->run,
                         {{kNow, "Output", "plain output", {}, {}, {}, std::nullopt},
                          {kNow,
                           "FatalError",
                           Render(launch_failed, Language::English),
                           {},
                           {},
                           {},
                           launch_failed}});
    ASSERT_TRUE(store::ClaimRun(tx, run->run, "node-a", {}));
    const auto finished =
        store::FinishRun(tx,
                         run->run,
                         {RunState::Failed, 3, Message(MessageId::RunExited, {{"code", "3"}})},
                         "node-a",
                         {});
    ASSERT_TRUE(finished);
    EXPECT_EQ(finished->reason, "exited with 3");
    ASSERT_TRUE(finished->reason_message);
    EXPECT_EQ(Render(*finished->reason_message, Language::Swedish),
              Render(Message(MessageId::RunExited, {{"code", "3"}}), Language::Swedish));

    const auto page = store::RunDetails(tx, run->run, {});
    ASSERT_EQ(page.details.size(), 2u);
    EXPECT_FALSE(page.details[0].own_message);
    ASSERT_TRUE(page.details[1].own_message);
    EXPECT_EQ(page.details[1].message, Render(launch_failed, Language::English));
    EXPECT_EQ(Render(*page.details[1].own_message, Language::Italian),
              Render(launch_failed, Language::Italian));

    tx.exec_params0("UPDATE runs SET reason_message = NULL WHERE id = $1", run->run);
    EXPECT_FALSE(store::FindRun(tx, *run)->reason_message);
    tx.exec_params0(
        R"(UPDATE runs SET reason_message = '{"id":"FromANewerJobd","args":{}}' WHERE id = $1)",
        run->run);
    const auto newer = store::FindRun(tx, *run);
    EXPECT_FALSE(newer->reason_message);
    EXPECT_EQ(newer->reason, "exited with 3");
}

TEST_F(OperationsTest, JobLogsRefuseAnUnknownSortField) {
    pqxx::connection connection{db_.url()};
    pqxx::work tx{connection};
    store::JobLogFilter filter;
    filter.sort_column = "id; DROP TABLE runs";
    EXPECT_THROW(store::JobLogs(tx, filter), Error);
}

}  // namespace
}  // namespace jobd::api
