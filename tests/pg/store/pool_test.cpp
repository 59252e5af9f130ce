// store::Pool against a real PostgreSQL: where calls run and resume, what they commit, and how a
// missing or broken database surfaces.

#include "jobd/store/pool.hpp"

#include <chrono>
#include <exception>
#include <future>
#include <optional>
#include <string>
#include <thread>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "jobd/model/error.hpp"
#include "support/test_database.hpp"

namespace jobd::store {
namespace {

namespace asio = boost::asio;
using Strand = asio::strand<asio::io_context::executor_type>;
using test::TestDatabase;

constexpr int kPoolSize = 2;
// Port 1 is privileged and unused: the connection is refused at once; connect_timeout bounds it
// should something drop packets instead.
constexpr const char* kDeadUrl = "postgresql://postgres@127.0.0.1:1/postgres?connect_timeout=2";

// What a coroutine saw after its co_await.
struct Observed {
    std::optional<int> value;
    std::optional<ErrorKind> error;
    bool resumed_on_strand = false;
    std::thread::id work_thread;
};

// Runs coroutine(strand) on a strand of a one-thread io_context until it finishes.
template <typename Coroutine>
void RunOnStrand(Coroutine coroutine) {
    asio::io_context io;
    const Strand strand = asio::make_strand(io);
    std::exception_ptr failure;
    asio::co_spawn(strand, coroutine(strand), [&failure](std::exception_ptr e) { failure = e; });
    io.run();
    if (failure) {
        std::rethrow_exception(failure);
    }
}

// Coroutines take pointers by value (STYLE.md): the test keeps pool and observed alive.
asio::awaitable<void> SelectAnswer(Pool* pool, Strand strand, Observed* observed) {
    observed->value = co_await pool->Run([observed](pqxx::work& tx) {
        observed->work_thread = std::this_thread::get_id();
        return tx.exec1("SELECT 40 + 2")[0].as<int>();
    });
    observed->resumed_on_strand = strand.running_in_this_thread();
}

asio::awaitable<void> ThrowConflict(Pool* pool, Strand strand, Observed* observed) {
    try {
        co_await pool->Run([](pqxx::work&) -> int {
            throw Error(ErrorKind::Conflict, Message(MessageId::AlreadyRunning), "jobHandle");
        });
    } catch (const Error& e) {
        observed->error = e.kind();
    }
    observed->resumed_on_strand = strand.running_in_this_thread();
}

asio::awaitable<void> InsertCompany(Pool* pool, Strand strand, Observed* observed) {
    co_await pool->Run(
        [](pqxx::work& tx) { tx.exec0("INSERT INTO companies (name) VALUES ('Acme')"); });
    observed->resumed_on_strand = strand.running_in_this_thread();
}

asio::awaitable<void> SelectFromDeadDatabase(Pool* pool, Strand, Observed* observed) {
    try {
        co_await pool->Run([](pqxx::work& tx) { tx.exec0("SELECT"); });
    } catch (const Error& e) {
        observed->error = e.kind();
    }
}

// What an autocommit call saw: its result, or the error it ended with.
struct AutocommitOutcome {
    std::optional<int> value;
    std::optional<Error> error;
};

// Inserts company `name`, then runs `then` (which may fail) without a transaction.
asio::awaitable<void> InsertCompanyThen(Pool* pool,
                                        std::string name,
                                        const char* then,
                                        AutocommitOutcome* outcome) {
    // A named lambda: GCC 12 destroys a lambda temporary in a co_await twice.
    auto insert = [name, then](pqxx::nontransaction& tx) {
        tx.exec_params0("INSERT INTO companies (name) VALUES ($1)", name);
        return tx.exec1(then)[0].as<int>();
    };
    try {
        outcome->value = co_await pool->RunAutocommit(std::move(insert));
    } catch (const Error& e) {
        outcome->error = e;
    }
}

int CountCompanies(Pool& pool) {
    return pool.RunSync(
        [](pqxx::work& tx) { return tx.exec1("SELECT count(*) FROM companies")[0].as<int>(); });
}

int BackendPid(Pool& pool) {
    return pool.RunSync(
        [](pqxx::work& tx) { return tx.exec1("SELECT pg_backend_pid()")[0].as<int>(); });
}

TEST(Pool, RunWorksOffTheIoThreadAndResumesOnTheCallersStrand) {
    const TestDatabase db;
    Pool pool(db.url(), kPoolSize);
    Observed observed;

    RunOnStrand([&](Strand strand) { return SelectAnswer(&pool, strand, &observed); });

    EXPECT_EQ(observed.value, 42);
    EXPECT_TRUE(observed.resumed_on_strand);
    EXPECT_NE(observed.work_thread, std::this_thread::get_id());  // the io thread ran io.run()
    EXPECT_EQ(pool.InUse(), 0);
    EXPECT_EQ(pool.Waiting(), 0);
}

TEST(Pool, RunPropagatesTheWorkFunctionsExceptionToTheAwaiter) {
    const TestDatabase db;
    Pool pool(db.url(), kPoolSize);
    Observed observed;

    RunOnStrand([&](Strand strand) { return ThrowConflict(&pool, strand, &observed); });

    EXPECT_EQ(observed.error, ErrorKind::Conflict);
    EXPECT_TRUE(observed.resumed_on_strand);
}

TEST(Pool, RunWithoutResultCommits) {
    const TestDatabase db;
    Pool pool(db.url(), kPoolSize);
    Observed observed;

    RunOnStrand([&](Strand strand) { return InsertCompany(&pool, strand, &observed); });

    EXPECT_TRUE(observed.resumed_on_strand);
    EXPECT_EQ(CountCompanies(pool), 1);
}

TEST(Pool, RunSyncRollsBackWhenTheWorkFunctionThrows) {
    const TestDatabase db;
    Pool pool(db.url(), kPoolSize);

    EXPECT_THROW(pool.RunSync([](pqxx::work& tx) {
        tx.exec0("INSERT INTO companies (name) VALUES ('Acme')");
        throw Error(ErrorKind::Conflict, Message(MessageId::CompanyNameTaken), "name");
    }),
                 Error);
    EXPECT_EQ(CountCompanies(pool), 0);
}

TEST(Pool, SqlErrorsReachTheCallerAndAreCounted) {
    const TestDatabase db;
    Pool pool(db.url(), kPoolSize);

    EXPECT_THROW(pool.RunSync([](pqxx::work& tx) { tx.exec("SELECT no_such_column"); }),
                 pqxx::sql_error);
    EXPECT_EQ(pool.Errors(), 1U);
    EXPECT_EQ(BackendPid(pool) > 0, true);  // the connection is still good for the next call
}

TEST(Pool, UnreachableDatabaseIsUnavailable) {
    Pool pool(kDeadUrl, 1);
    Observed observed;

    try {
        pool.RunSync([](pqxx::work& tx) { tx.exec0("SELECT"); });
        ADD_FAILURE() << "RunSync succeeded without a database";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Unavailable);
    }
    RunOnStrand([&](Strand strand) { return SelectFromDeadDatabase(&pool, strand, &observed); });

    EXPECT_EQ(observed.error, ErrorKind::Unavailable);
    EXPECT_EQ(pool.Errors(), 2U);
    EXPECT_EQ(pool.InUse(), 0);
}

// A database restart or a killed backend costs no call: the call that finds its idle connection
// cut runs again on a new one (nothing was sent, so nothing can be written twice).
TEST(Pool, ReconnectsAfterTheServerDropsTheConnection) {
    const TestDatabase db;
    Pool pool(db.url(), 1);
    const int old_pid = BackendPid(pool);
    {
        pqxx::connection admin{db.url()};
        pqxx::nontransaction tx{admin};
        // Waits (up to 10 s) until the backend is gone.
        ASSERT_TRUE(
            tx.exec_params1("SELECT pg_terminate_backend($1, 10000)", old_pid)[0].as<bool>());
    }

    const int new_pid = BackendPid(pool);
    EXPECT_NE(new_pid, old_pid);
    EXPECT_EQ(pool.Errors(), 0U);
}

// A connection made for the call itself that breaks is not tried again: the caller decides
// (the engine retries with backoff, the API answers 503).
TEST(Pool, ANewConnectionThatBreaksIsUnavailable) {
    const TestDatabase db;
    Pool pool(db.url(), 1);
    try {
        pool.RunSync(
            [](pqxx::work& tx) { tx.exec0("SELECT pg_terminate_backend(pg_backend_pid())"); });
        ADD_FAILURE() << "the call succeeded on a terminated backend";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Unavailable);
    }
    EXPECT_EQ(pool.Errors(), 1U);
}

TEST(Pool, RunAutocommitCommitsEachStatementByItself) {
    const TestDatabase db;
    Pool pool(db.url(), kPoolSize);
    AutocommitOutcome answered;
    AutocommitOutcome failed;

    RunOnStrand([&](Strand) { return InsertCompanyThen(&pool, "Acme", "SELECT 42", &answered); });
    EXPECT_THROW(RunOnStrand([&](Strand) {
                     return InsertCompanyThen(&pool, "Globex", "SELECT nothing", &failed);
                 }),
                 pqxx::sql_error);

    EXPECT_EQ(answered.value, 42);
    EXPECT_EQ(CountCompanies(pool), 2);  // the second insert stays: no transaction rolls it back
}

// Without a transaction, a statement cut short by a broken connection may have committed: the
// caller is told so (CommitInDoubt), and the call is not sent again, even on a reused connection.
TEST(Pool, RunAutocommitOnABrokenConnectionIsInDoubt) {
    const TestDatabase db;
    Pool pool(db.url(), 1);
    ASSERT_GT(BackendPid(pool), 0);  // the next call reuses this connection
    AutocommitOutcome outcome;

    RunOnStrand([&](Strand) {
        return InsertCompanyThen(
            &pool, "Acme", "SELECT pg_terminate_backend(pg_backend_pid())::int", &outcome);
    });

    ASSERT_TRUE(outcome.error.has_value());
    EXPECT_TRUE(CommitInDoubt(*outcome.error));
    EXPECT_EQ(CountCompanies(pool), 1);  // committed before the connection broke, and once
}

// jobd_db_pool_waits_total: a call that finds every thread busy waits, one that finds a free
// thread does not.
TEST(Pool, CountsCallsThatFindEveryThreadBusy) {
    const TestDatabase db;
    Pool pool(db.url(), 1);
    std::promise<void> entered;
    std::promise<void> release;
    std::shared_future<void> released = release.get_future().share();
    auto first = std::async(std::launch::async, [&] {
        pool.RunSync([&entered, released](pqxx::work&) {
            entered.set_value();
            released.wait();
        });
    });
    entered.get_future().wait();
    EXPECT_EQ(pool.Waits(), 0U);

    auto second = std::async(std::launch::async, [&] { return BackendPid(pool); });
    // The second call is queued behind the first before the first is let go.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (pool.Waiting() == 0 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::yield();
    }
    const bool queued = pool.Waiting() == 1;
    release.set_value();
    first.get();
    EXPECT_GT(second.get(), 0);
    EXPECT_TRUE(queued);
    EXPECT_EQ(pool.Waits(), 1U);
    EXPECT_EQ(pool.Size(), 1);
}

TEST(Pool, RefusesASizeBelowOne) {
    try {
        Pool pool(kDeadUrl, 0);
        ADD_FAILURE() << "a pool without threads was made";
    } catch (const Error& e) {
        EXPECT_EQ(e.field(), "database.pool_size");
    }
}

}  // namespace
}  // namespace jobd::store
