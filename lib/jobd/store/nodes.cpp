#include "jobd/store/nodes.hpp"

namespace jobd::store {
namespace {

constexpr const char* kUpsertNode = R"sql(
    INSERT INTO nodes (name, pid, version) VALUES ($1, $2, $3)
    ON CONFLICT (name) DO UPDATE
        SET pid = EXCLUDED.pid, version = EXCLUDED.version, started_at = now(),
            heartbeat_at = now())sql";

constexpr const char* kHeartbeat = "UPDATE nodes SET heartbeat_at = now() WHERE name = $1";

}  // namespace

void RegisterNode(pqxx::work& tx, const std::string& name, int pid, const std::string& version) {
    tx.exec_params0(kUpsertNode, name, pid, version);
}

void Heartbeat(pqxx::work& tx, const std::string& name) {
    tx.exec_params0(kHeartbeat, name);
}

}  // namespace jobd::store
