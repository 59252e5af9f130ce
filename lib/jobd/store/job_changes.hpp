#pragma once
// JobChangeListener — a dedicated connection LISTENing to channel jobd_job_changes, where
// migration 0002's trigger announces job changes that can make a job fire earlier (a submit, a
// resume, a next fire moved earlier), with the job's new next fire as payload (contract §8:
// wake-ups by LISTEN/NOTIFY, no periodic scanning).
//
// The same connection LISTENs to kRunsReleasedChannel (issue #6) and kWorkWantedChannel (issue
// #8), read with TakeRunsReleased() and TakeWorkWanted().
//
// Blocking: the constructor connects and LISTENs, so call it off the io thread (engine's
// JobChangeWatch uses a thread of its own). Socket() and Take() do not block: watch Socket()
// for reading on an event loop, then Take(). One thread at a time; not pooled.
// Ownership: the listener owns its connection; Socket() is valid while it lives. A broken
// connection is not repaired: Take() throws and the owner makes a new listener (with a new
// socket).
// Throws: Error(Unavailable, "database: ...") when the database cannot be reached or the
// connection broke.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "jobd/model/time.hpp"
#include "jobd/store/runs.hpp"

namespace jobd::store {

// The channel migration 0002's trigger notifies.
inline constexpr const char* kJobChangesChannel = "jobd_job_changes";

// Tells the other nodes of job changes `node` committed (Engine::JobChanged, after the commits;
// migration 0015), the earliest next fire among them as one notification on kJobChangesChannel,
// sent only when another node is registered. One statement: without a transaction it commits by
// itself.
void AnnounceJobChanges(pqxx::transaction_base& tx, const std::string& node, TimePoint earliest);

class JobChangeListener {
public:
    explicit JobChangeListener(const std::string& url);
    ~JobChangeListener();

    JobChangeListener(const JobChangeListener&) = delete;
    JobChangeListener& operator=(const JobChangeListener&) = delete;

    // The connection's socket, to wait on for reading; do not close it.
    int Socket() const;

    // The notifications that arrived since the last call, each the next fire of a changed job
    // (nullopt: a payload that is not a time, so any job may have changed). Reads what the
    // socket has without waiting.
    std::vector<std::optional<TimePoint>> Take();

    // Whether a notification on kRunsReleasedChannel (store/runs.hpp: queued runs released for
    // any node to take) arrived since the last call; read after Take(), which receives it.
    bool TakeRunsReleased();

    // The notifications on kWorkWantedChannel (store/runs.hpp: a node with free workers and
    // nothing to start) since the last call, this node's own included; read after Take().
    std::vector<WorkWanted> TakeWorkWanted();

private:
    class Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace jobd::store
