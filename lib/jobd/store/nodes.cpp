#include "jobd/store/nodes.hpp"

#include "jobd/store/runs.hpp"

namespace jobd::store {
namespace {

constexpr const char* kUpsertNode = R"sql(
    INSERT INTO nodes (name, pid, version, lease)
    VALUES ($1, $2, $3, $4 * interval '1 millisecond')
    ON CONFLICT (name) DO UPDATE
        SET pid = EXCLUDED.pid, version = EXCLUDED.version, lease = EXCLUDED.lease,
            started_at = now(), heartbeat_at = now())sql";

// Waits for the job changes under way that announced nothing because no other node was
// registered (migration 0013): the new node's first scan, after this commit, sees them.
constexpr const char* kAwaitUnannouncedChanges = "SELECT jobd_await_unannounced_changes()";

constexpr const char* kOtherNodes = "SELECT count(*) FROM nodes WHERE name <> $1";

constexpr const char* kHeartbeat =
    "UPDATE nodes SET heartbeat_at = now() WHERE name = $1 RETURNING name";

// SKIP LOCKED: a node row being renewed or reaped by another transaction is left alone, so one
// reaper handles a lost node and a renewal in flight is never mistaken for silence.
constexpr const char* kExpireNodes = R"sql(
    DELETE FROM nodes WHERE name IN (
        SELECT name FROM nodes
        WHERE name <> $1 AND heartbeat_at < now() - lease
        FOR UPDATE SKIP LOCKED)
    RETURNING name)sql";

// The same rule as the reaper's release of a lost node's runs (runs.cpp kReleaseOrphans): a retry
// waiting for its time keeps a holder, as released runs are only looked for when one is announced.
constexpr const char* kReleaseOwnRuns = R"sql(
    UPDATE runs SET holder = NULL
    WHERE state = 'Queued' AND ended_at IS NULL AND holder = $1
      AND NOT (trigger = 'Retry' AND scheduled_for > now())
    RETURNING id)sql";

constexpr const char* kDeleteNode = "DELETE FROM nodes WHERE name = $1";

}  // namespace

void RegisterNode(pqxx::work& tx,
                  const std::string& name,
                  int pid,
                  const std::string& version,
                  std::chrono::milliseconds lease) {
    tx.exec(kAwaitUnannouncedChanges);
    tx.exec_params0(kUpsertNode, name, pid, version, static_cast<std::int64_t>(lease.count()));
}

int OtherNodes(pqxx::work& tx, const std::string& self) {
    return tx.exec_params1(kOtherNodes, self)[0].as<int>();
}

bool Heartbeat(pqxx::work& tx, const std::string& name) {
    return !tx.exec_params(kHeartbeat, name).empty();
}

std::vector<std::string> ExpireNodes(pqxx::work& tx, const std::string& self) {
    std::vector<std::string> names;
    for (const auto& row : tx.exec_params(kExpireNodes, self)) {
        names.push_back(row[0].as<std::string>());
    }
    return names;
}

int LeaveCluster(pqxx::work& tx, const std::string& name) {
    const auto released = static_cast<int>(tx.exec_params(kReleaseOwnRuns, name).size());
    tx.exec_params0(kDeleteNode, name);
    if (released > 0) {
        NotifyRunsReleased(tx);
    }
    return released;
}

}  // namespace jobd::store
