#pragma once
// Nodes and their leases (contract §9, issue #6). A node's row is its lease: RegisterNode makes
// it, Heartbeat renews it every runs.lease/3, and ExpireNodes deletes the rows of nodes silent
// for longer than their own lease by the database clock. Runs that refer to a node without a
// row are the lost node's (runs.hpp: LoseOrphanedRuns, ReleaseOrphanedRuns). Blocking.

#include <chrono>
#include <string>
#include <vector>

#include <pqxx/pqxx>

namespace jobd::store {

// Inserts or refreshes this node's row with a fresh heartbeat, after the job changes under way
// that were not announced (no other node was registered: migration 0013) have committed. (The
// newcomer's peers learn of it once it listens: Engine::Listening.)
void RegisterNode(pqxx::work& tx,
                  const std::string& name,
                  int pid,
                  const std::string& version,
                  std::chrono::milliseconds lease);

// Renews this node's lease; false when its row is gone: another node found it silent for longer
// than its lease and declared it lost (the caller must then fence itself, docs/guarantees.md).
bool Heartbeat(pqxx::work& tx, const std::string& name);

// How many other nodes hold a lease (expired ones included until a reaper deletes them).
int OtherNodes(pqxx::work& tx, const std::string& self);

// Deletes the rows of the other nodes whose heartbeat is older than their lease (now() of the
// database: node clocks do not matter) and returns their names. Rows another transaction holds
// are skipped (FOR UPDATE SKIP LOCKED): one reaper acts on a node, the others pass it over.
std::vector<std::string> ExpireNodes(pqxx::work& tx, const std::string& self);

// SIGTERM, once the node runs nothing (issue #6): releases the Queued runs it holds and NOTIFYs
// kRunsReleasedChannel when there were any, so nodes with a free worker take them at once, and
// deletes its row. Retries not due yet stay held by it: with its row gone they are orphans, which
// another node's reaper adopts and arms (ReleaseOrphanedRuns). Returns the runs released.
int LeaveCluster(pqxx::work& tx, const std::string& name);

}  // namespace jobd::store
