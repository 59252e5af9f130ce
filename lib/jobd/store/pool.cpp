#include "jobd/store/pool.hpp"

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

Pool::Pool(std::string url, int size)
    : url_(std::move(url)), size_(CheckedSize(size)), threads_(size_) {}

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
        return std::make_unique<pqxx::connection>(url_);
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
    lease.Discard();
    ++errors_;
    throw Error(
        ErrorKind::Unavailable,
        Message(MessageId::DatabaseCommitInDoubt, {{"problem", FirstLine(failure.what())}}));
}

Pool::Lease::Lease(Pool& pool) : pool_(pool), connection_(pool.Acquire(reused_)) {
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
