#pragma once
// store::Pool — where jobd's PostgreSQL work runs (STYLE.md "Asio, threads and ownership"): an
// asio::thread_pool of `size` threads, each call leasing one pqxx::connection for one
// transaction. Connections are made lazily, at most one per thread; a broken one is dropped and
// the next call connects afresh.
//
// Threads: Run may be awaited from any coroutine and resumes it on the coroutine's own executor
// (its strand). RunSync blocks; call it from admin subcommands and tests, never from the io thread
// or a pool thread. The work function runs on a pool thread: capture by value.
// Ownership: the Pool outlives every call made through it; destruction finishes queued calls and
// joins the threads.
// Throws: whatever the work function throws reaches the caller; a connection that cannot be made
// or breaks becomes jobd::Error(Unavailable, "database: ..."); one that breaks during COMMIT is
// Unavailable with CommitInDoubt() true, thrown once its server process has ended (or cannot be
// reached): what it committed is visible by then. A call that found its idle connection cut
// runs again on another (see Execute).
// A LISTEN connection is not pooled: make it from the same URL and watch its socket on the io
// thread.

#include <atomic>
#include <cassert>
#include <cstdint>
#include <exception>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <pqxx/pqxx>

#include "jobd/model/error.hpp"

namespace jobd::store {

template <typename Fn, typename Tx = pqxx::work>
using TxResult = std::invoke_result_t<Fn&, Tx&>;

// A lost or unreachable database as jobd reports it: Unavailable, "database: <libpq's reason>".
Error UnavailableError(const pqxx::failure& failure);

// True for the Unavailable error of a call whose connection broke during COMMIT: its writes may
// or may not have been committed (message DatabaseCommitInDoubt).
bool CommitInDoubt(const Error& error);

// The first line of a (libpq) message: the rest repeats the query or hints at psql usage.
std::string FirstLine(std::string_view message);

class Pool {
public:
    // Connects to nothing yet. Throws Error(InvalidParameter) for a size below 1. `node`: the jobd
    // node whose connections these are, named in each session (setting jobd.node), which announces
    // the job changes it makes through them itself (setting jobd.announces_changes: migration
    // 0015's trigger sends nothing for them; Engine::JobChanged); empty for none.
    Pool(std::string url, int size, std::string node = {});
    ~Pool();

    Pool(const Pool&) = delete;
    Pool& operator=(const Pool&) = delete;

    // Runs fn(pqxx::work&) on a pool thread inside a transaction and commits it.
    template <typename Fn>
    boost::asio::awaitable<TxResult<Fn>> Run(Fn fn);

    // The same, blocking the calling thread until the transaction committed or failed.
    template <typename Fn>
    TxResult<Fn> RunSync(Fn fn);

    // Runs fn(pqxx::nontransaction&) on a pool thread: each statement commits by itself, so a
    // write that is one statement costs one round trip instead of three (BEGIN, it, COMMIT),
    // about half its server time (issue #8). A connection that breaks meanwhile is in doubt
    // (CommitInDoubt): the statement may have committed.
    template <typename Fn>
    boost::asio::awaitable<TxResult<Fn, pqxx::nontransaction>> RunAutocommit(Fn fn);

    // For metrics; any thread. Calls holding a connection now:
    int InUse() const { return in_use_.load(); }

    // Calls queued for a pool thread now:
    int Waiting() const { return waiting_.load(); }

    // Calls ended by a database failure (unreachable, broken, SQL error) so far:
    std::uint64_t Errors() const { return errors_.load(); }

    // Calls that found every pool thread busy and had to wait, so far:
    std::uint64_t Waits() const { return waits_.load(); }

    int Size() const { return size_; }

private:
    class Lease;

    template <typename Fn, typename Tx>
    using Value =
        std::conditional_t<std::is_void_v<TxResult<Fn, Tx>>, std::monostate, TxResult<Fn, Tx>>;

    template <typename Tx, typename Fn>
    boost::asio::awaitable<TxResult<Fn, Tx>> RunIn(Fn fn);

    template <typename Tx, typename Fn>
    TxResult<Fn, Tx> Execute(Fn& fn);

    template <typename Tx, typename Fn>
    TxResult<Fn, Tx> Transact(Lease& lease, Fn& fn);

    template <typename Tx, typename Fn>
    Value<Fn, Tx> ExecuteValue(Fn& fn);

    template <typename Tx, typename Fn, typename Handler>
    void Submit(Fn fn, Handler handler);

    template <typename Task>
    void Post(Task task);

    // An idle connection (reused = true) or a new one.
    std::unique_ptr<pqxx::connection> Acquire(bool& reused);
    void Return(std::unique_ptr<pqxx::connection> connection);
    [[noreturn]] void Fail(Lease& lease, const pqxx::failure& failure);
    // The connection broke while COMMIT was under way: the transaction may have committed.
    [[noreturn]] void FailInDoubt(Lease& lease, const pqxx::failure& failure);
    void AwaitBackendEnd(int pid);

    const std::string url_;
    const std::string node_;
    const int size_;
    std::atomic<int> in_use_{0};
    std::atomic<int> waiting_{0};
    std::atomic<int> running_{0};  // tasks on a pool thread now
    std::atomic<std::uint64_t> errors_{0};
    std::atomic<std::uint64_t> waits_{0};

    std::mutex mutex_;
    std::vector<std::unique_ptr<pqxx::connection>> idle_;  // guarded by mutex_

    boost::asio::thread_pool threads_;  // last, so its threads stop before the rest goes
};

// One connection for one call: back to idle_ afterwards, unless it broke.
class Pool::Lease {
public:
    explicit Lease(Pool& pool);  // blocking: may connect; throws Error(Unavailable)
    ~Lease();

    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;

    pqxx::connection& connection() { return *connection_; }

    // Taken from the idle connections rather than made for this call.
    bool reused() const { return reused_; }

    void Discard() { connection_.reset(); }

    // The server process of the connection (known while it was open).
    int backend_pid() const { return backend_pid_; }

private:
    Pool& pool_;
    bool reused_ = false;
    std::unique_ptr<pqxx::connection> connection_;
    int backend_pid_ = 0;
};

template <typename Tx, typename Fn>
TxResult<Fn, Tx> Pool::Transact(Lease& lease, Fn& fn) {
    Tx tx{lease.connection()};
    if constexpr (std::is_void_v<TxResult<Fn, Tx>>) {
        fn(tx);
        tx.commit();
    } else {
        TxResult<Fn, Tx> result = fn(tx);
        tx.commit();
        return result;
    }
}

// A connection that idled in the pool may have been cut meanwhile (a database restart): when it
// fails before COMMIT was sent, nothing was written, so the call runs again on the next idle
// connection or a new one instead of failing once per idle connection after every restart.
// Bounded: each round discards one idle connection; a new connection's failure is final.
// Without a transaction any statement may have committed before the connection broke.
template <typename Tx, typename Fn>
TxResult<Fn, Tx> Pool::Execute(Fn& fn) {
    while (true) {
        Lease lease(*this);
        try {
            return Transact<Tx>(lease, fn);
        } catch (const pqxx::in_doubt_error& e) {
            FailInDoubt(lease, e);
        } catch (const pqxx::failure& e) {
            // Any failure that left the connection closed (broken_connection, or a FATAL
            // admin_shutdown sql_error) is the database's absence, not the statement's fault.
            if (lease.connection().is_open()) {
                ++errors_;
                throw;
            }
            if constexpr (std::is_same_v<Tx, pqxx::nontransaction>) {
                FailInDoubt(lease, e);
            }
            if (!lease.reused()) {
                Fail(lease, e);
            }
            lease.Discard();
        }
    }
}

template <typename Tx, typename Fn>
Pool::Value<Fn, Tx> Pool::ExecuteValue(Fn& fn) {
    if constexpr (std::is_void_v<TxResult<Fn, Tx>>) {
        Execute<Tx>(fn);
        return std::monostate{};
    } else {
        return Execute<Tx>(fn);
    }
}

template <typename Task>
void Pool::Post(Task task) {
    if (waiting_.fetch_add(1) + running_.load() >= size_) {
        ++waits_;  // every thread is busy or already owed a call
    }
    // `this` outlives the task: ~Pool joins the threads after running what is queued.
    boost::asio::post(threads_, [this, task = std::move(task)]() mutable {
        --waiting_;
        ++running_;
        task();  // never throws: Submit and RunSync hand exceptions to the caller
        --running_;
    });
}

// Runs fn on a pool thread, then completes handler on handler's executor, which for
// use_awaitable is the awaiting coroutine's (its strand); the tracked executor keeps the
// caller's io_context from running out of work meanwhile.
template <typename Tx, typename Fn, typename Handler>
void Pool::Submit(Fn fn, Handler handler) {
    auto caller = boost::asio::prefer(boost::asio::get_associated_executor(handler),
                                      boost::asio::execution::outstanding_work.tracked);
    Post([this, fn = std::move(fn), handler = std::move(handler), caller]() mutable {
        std::exception_ptr error;
        std::optional<Value<Fn, Tx>> value;
        try {
            value.emplace(ExecuteValue<Tx>(fn));
        } catch (...) {
            error = std::current_exception();  // handed to the awaiter, which rethrows it
        }
        boost::asio::post(
            caller, [handler = std::move(handler), error, value = std::move(value)]() mutable {
                std::move(handler)(error, std::move(value));
            });
    });
}

template <typename Tx, typename Fn>
boost::asio::awaitable<TxResult<Fn, Tx>> Pool::RunIn(Fn fn) {
    using Signature = void(std::exception_ptr, std::optional<Value<Fn, Tx>>);
    [[maybe_unused]] std::optional<Value<Fn, Tx>> value =
        co_await boost::asio::async_initiate<const boost::asio::use_awaitable_t<>, Signature>(
            [this](auto handler, Fn body) { Submit<Tx>(std::move(body), std::move(handler)); },
            boost::asio::use_awaitable,
            std::move(fn));
    if constexpr (std::is_void_v<TxResult<Fn, Tx>>) {
        co_return;
    } else {
        co_return std::move(*value);
    }
}

template <typename Fn>
boost::asio::awaitable<TxResult<Fn>> Pool::Run(Fn fn) {
    return RunIn<pqxx::work>(std::move(fn));
}

template <typename Fn>
boost::asio::awaitable<TxResult<Fn, pqxx::nontransaction>> Pool::RunAutocommit(Fn fn) {
    return RunIn<pqxx::nontransaction>(std::move(fn));
}

template <typename Fn>
TxResult<Fn> Pool::RunSync(Fn fn) {
    // A pool thread waiting for the pool could wait for itself.
    assert(!threads_.get_executor().running_in_this_thread());
    std::packaged_task<TxResult<Fn>()> task([this, &fn] { return Execute<pqxx::work>(fn); });
    std::future<TxResult<Fn>> done = task.get_future();
    Post(std::move(task));
    return done.get();
}

}  // namespace jobd::store
