#pragma once
// A fresh PostgreSQL database per test (STYLE.md "Tests"), cloned from `jobd_template`, which the
// first TestDatabase of a ctest run creates and migrates. The cluster is the one the ctest fixture
// pg_cluster_start runs (tests/support/pg-cluster), found through $JOBD_TEST_PG_ENV; without it
// the constructor throws, which fails the test: pg tests never skip.
// Blocking; any thread. Parallel test processes may construct them at once.

#include <string>

namespace jobd::test {

// The URL of the test cluster's `postgres` database. Throws std::runtime_error without one.
std::string ClusterUrl();

enum class Schema {
    Migrated,  // every embedded migration applied: what the engine and the API expect
    Empty,     // nothing, not even schema_migrations: for the migration runner's own tests
};

class TestDatabase {
public:
    explicit TestDatabase(Schema schema = Schema::Migrated);
    // On another cluster than the shared one (a PgCluster of its own, for the outage tests).
    TestDatabase(Schema schema, std::string cluster_url);
    ~TestDatabase();  // drops the database, forcing out sessions a test left open

    TestDatabase(const TestDatabase&) = delete;
    TestDatabase& operator=(const TestDatabase&) = delete;

    const std::string& url() const { return url_; }

private:
    std::string cluster_url_;
    std::string name_;
    std::string url_;
};

}  // namespace jobd::test
