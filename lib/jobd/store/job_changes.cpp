#include "jobd/store/job_changes.hpp"

#include <charconv>

#include <pqxx/pqxx>

#include "jobd/store/pool.hpp"
#include "jobd/store/pqxx_support.hpp"
#include "jobd/store/runs.hpp"

namespace jobd::store {
namespace {

std::optional<TimePoint> ParsePayload(const std::string& payload) {
    std::int64_t micros = 0;
    const char* end = payload.data() + payload.size();
    const auto [ptr, ec] = std::from_chars(payload.data(), end, micros);
    if (ec != std::errc() || ptr != end) {
        return std::nullopt;
    }
    return FromMicros(micros);
}

// pqxx hands notifications to receivers from inside get_notifs(); this one collects them.
class Receiver : public pqxx::notification_receiver {
public:
    explicit Receiver(pqxx::connection& connection)
        : pqxx::notification_receiver(connection, kJobChangesChannel) {}

    void operator()(const std::string& payload, int /*backend_pid*/) override {
        changes.push_back(ParsePayload(payload));
    }

    std::vector<std::optional<TimePoint>> changes;
};

// Counts notifications on kRunsReleasedChannel (their payload is empty).
class ReleaseReceiver : public pqxx::notification_receiver {
public:
    explicit ReleaseReceiver(pqxx::connection& connection)
        : pqxx::notification_receiver(connection, kRunsReleasedChannel) {}

    void operator()(const std::string& /*payload*/, int /*backend_pid*/) override {
        released = true;
    }

    bool released = false;
};

// Collects the asks on kWorkWantedChannel; a payload this jobd cannot read is dropped.
class WorkWantedReceiver : public pqxx::notification_receiver {
public:
    explicit WorkWantedReceiver(pqxx::connection& connection)
        : pqxx::notification_receiver(connection, kWorkWantedChannel) {}

    void operator()(const std::string& payload, int /*backend_pid*/) override {
        if (auto want = ParseWorkWanted(payload)) {
            wanted.push_back(std::move(*want));
        }
    }

    std::vector<WorkWanted> wanted;
};

}  // namespace

void AnnounceJobChanges(pqxx::transaction_base& tx, const std::string& node, TimePoint earliest) {
    static const Prepared announce{
        "announce_job_changes",
        "SELECT pg_notify($1, $2) WHERE EXISTS (SELECT 1 FROM nodes n WHERE n.name <> $3)"};
    announce.Exec(tx, kJobChangesChannel, std::to_string(ToMicros(earliest)), node);
}

class JobChangeListener::Impl {
public:
    explicit Impl(const std::string& url) : connection(std::make_unique<pqxx::connection>(url)) {
        receiver = std::make_unique<Receiver>(*connection);  // issues LISTEN
        releases = std::make_unique<ReleaseReceiver>(*connection);
        asks = std::make_unique<WorkWantedReceiver>(*connection);
    }

    // Declared first, destroyed last: the receivers unregister themselves from the connection.
    std::unique_ptr<pqxx::connection> connection;
    std::unique_ptr<Receiver> receiver;
    std::unique_ptr<ReleaseReceiver> releases;
    std::unique_ptr<WorkWantedReceiver> asks;
};

JobChangeListener::JobChangeListener(const std::string& url) {
    try {
        impl_ = std::make_unique<Impl>(url);
    } catch (const pqxx::failure& e) {
        // Not only broken_connection: a server shutting down fails the LISTEN itself (57P01),
        // which must be retried like a refused connection, not end the watch.
        throw UnavailableError(e);
    }
}

JobChangeListener::~JobChangeListener() = default;

int JobChangeListener::Socket() const {
    return impl_->connection->sock();
}

std::vector<std::optional<TimePoint>> JobChangeListener::Take() {
    try {
        // Consumes what the socket has (PQconsumeInput) and dispatches it; never waits.
        impl_->connection->get_notifs();
    } catch (const pqxx::failure& e) {
        throw UnavailableError(e);
    }
    // get_notifs() quietly does nothing on a connection already known to be bad; a readable
    // socket would then be read again and again.
    if (!impl_->connection->is_open()) {
        throw Error(ErrorKind::Unavailable, Message(MessageId::ListenConnectionClosed));
    }
    return std::exchange(impl_->receiver->changes, {});
}

bool JobChangeListener::TakeRunsReleased() {
    return std::exchange(impl_->releases->released, false);
}

std::vector<WorkWanted> JobChangeListener::TakeWorkWanted() {
    return std::exchange(impl_->asks->wanted, {});
}

}  // namespace jobd::store
