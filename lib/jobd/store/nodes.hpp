#pragma once
// Nodes: each jobd process registers itself and heartbeats (contract §9). Blocking.

#include <string>

#include <pqxx/pqxx>

namespace jobd::store {

// Inserts or refreshes this node's row.
void RegisterNode(pqxx::work& tx, const std::string& name, int pid, const std::string& version);

void Heartbeat(pqxx::work& tx, const std::string& name);

}  // namespace jobd::store
