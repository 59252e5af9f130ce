#pragma once
// Several real jobd nodes on one database (issue #6): the database is the test's own, each node
// a JobdProcess with its own node.name, directory and port. Blocking; the test thread only.

#include <memory>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "e2e/jobd/daemon_fixture.hpp"
#include "support/test_database.hpp"

namespace jobd::test {

class Cluster {
public:
    Cluster() = default;

    // A node named `name` with `extra_yaml` appended to its config; not started yet.
    JobdProcess& Add(const std::string& name, const std::string& extra_yaml);

    // Company 47 and 48 and admin@example.com (IpsAdmin); call before starting nodes.
    void Seed() const;

    // Runs `sql` in its own transaction (committed) and returns the rows.
    pqxx::result Query(const std::string& sql) const;

    // submitJob through `node` as admin@example.com; `fields` are extra JSON members.
    void Submit(const JobdProcess& node,
                const std::string& company,
                const std::string& name,
                const std::string& fields) const;

    // executeJob through `node`; returns the run id.
    std::int64_t Execute(const JobdProcess& node,
                         const std::string& company,
                         const std::string& name) const;

    // The node that ran run `id` (empty until one claimed it) and its state.
    std::string NodeOf(std::int64_t id) const;
    std::string StateOf(std::int64_t id) const;

    const std::string& url() const { return database_.url(); }

private:
    TestDatabase database_;
    std::vector<std::unique_ptr<JobdProcess>> nodes_;
};

// A process is gone once it no longer exists or is a zombie nobody has reaped yet.
bool ProcessGone(int pid);

}  // namespace jobd::test
