#include "jobd/store/pool.hpp"

#include <chrono>
#include <thread>

namespace jobd::store {

Error UnavailableError(const pqxx::failure& failure) {
    return Error(ErrorKind::Unavailable,
                 Message(MessageId::DatabaseUnavailable, {{"problem", FirstLine(failure.what())}}));
}

bool CommitInDoubt(const Error& error) {
    return error.kind() == ErrorKind::Unavailable &&
           error.message().id() == MessageId::DatabaseCommitInDoubt;
}

std::string FirstLine(std::string_view message) {
    const std::size_t end = message.find('\n');
    return std::string(message.substr(0, end));
}

namespace {

int CheckedSize(int size) {
    if (size < 1) {
        throw Error(
            ErrorKind::InvalidParameter,
            Message(MessageId::MustBeAtLeast, {{"min", "1"}, {"value", std::to_string(size)}}),
            "database.pool_size");
    }
    return size;
}

}  // namespace

Pool::Pool(std::string url, int size, std::string node)
    : url_(std::move(url)), node_(std::move(node)), size_(CheckedSize(size)), threads_(size_) {}

Pool::~Pool() {
    threads_.join();
}

std::unique_ptr<pqxx::connection> Pool::Acquire(bool& reused) {
    {
        const std::lock_guard lock(mutex_);
        reused = !idle_.empty();
        if (reused) {
            std::unique_ptr<pqxx::connection> connection = std::move(idle_.back());
            idle_.pop_back();
            return connection;
        }
    }
    try {
        auto connection = std::make_unique<pqxx::connection>(url_);
        if (!node_.empty()) {
            pqxx::nontransaction tx{*connection};
            // The node announces its own job changes (migration 0015).
            tx.exec_params(
                "SELECT set_config('jobd.node', $1, false), "
                "set_config('jobd.announces_changes', 'on', false)",
                node_);
        }
        return connection;
    } catch (const pqxx::broken_connection& e) {
        ++errors_;
        throw UnavailableError(e);
    }
}

void Pool::Return(std::unique_ptr<pqxx::connection> connection) {
    const std::lock_guard lock(mutex_);
    idle_.push_back(std::move(connection));
}

void Pool::Fail(Lease& lease, const pqxx::failure& failure) {
    lease.Discard();
    ++errors_;
    throw UnavailableError(failure);
}

void Pool::FailInDoubt(Lease& lease, const pqxx::failure& failure) {
    const int backend = lease.backend_pid();
    lease.Discard();
    ++errors_;
    AwaitBackendEnd(backend);
    throw Error(
        ErrorKind::Unavailable,
        Message(MessageId::DatabaseCommitInDoubt, {{"problem", FirstLine(failure.what())}}));
}

// The statement or COMMIT whose answer was lost may still be on its way to the server, or under
// way there, when the caller goes on to resume what it may have written (a claim of the runs it
// may have inserted, on another connection): that would miss a commit landing just after. So
// the connection's server process is waited for: it ends once it has run what it had received
// and found its client gone. Bounded, then ended (a commit under way completes); best effort: a
// server that cannot be reached ended it already (a restart).
void Pool::AwaitBackendEnd(int pid) {
    constexpr auto kPoll = std::chrono::milliseconds(5);
    constexpr int kPolls = 400;
    try {
        pqxx::connection connection{url_};
        pqxx::nontransaction tx{connection};
        for (int poll = 0; poll < kPolls; ++poll) {
            if (tx.exec_params1("SELECT count(*) FROM pg_stat_activity WHERE pid = $1", pid)[0]
                    .as<int>() == 0) {
                return;
            }
            std::this_thread::sleep_for(kPoll);
        }
        tx.exec_params("SELECT pg_terminate_backend($1, 5000)", pid);
    } catch (const std::exception&) {
        // Unreachable, or not allowed to end it: the caller learns the doubt all the same.
    }
}

Pool::Lease::Lease(Pool& pool)
    : pool_(pool), connection_(pool.Acquire(reused_)), backend_pid_(connection_->backendpid()) {
    ++pool_.in_use_;
}

Pool::Lease::~Lease() {
    --pool_.in_use_;
    // A connection that broke inside a call the work function translated is dropped here too.
    if (connection_ != nullptr && connection_->is_open()) {
        pool_.Return(std::move(connection_));
    }
}

}  // namespace jobd::store
