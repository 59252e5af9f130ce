#pragma once
// The migration runner (contract §9, STYLE.md "SQL and migrations"): numbered plain SQL files,
// applied in order under an advisory lock, each once in its own transaction, recorded with a
// checksum in schema_migrations. Blocking: call from a thread that may wait on the database
// (`jobd migrate`, start-up, tests), never from the io thread. The caller owns the connection.
// Throws jobd::Error: Internal for a schema this binary must not touch (newer, changed, unknown)
// or a migration that fails to apply, Unavailable when the database cannot be reached.

#include <string>
#include <vector>

#include <pqxx/pqxx>

namespace jobd::store {

struct Migration {
    int version = 0;
    std::string name;  // the file name, "0001_initial.sql"
    std::string sql;
    std::string checksum;  // hex SHA-256 of sql
};

// A migration from its file name (NNNN_description.sql) and contents; computes the checksum.
Migration MakeMigration(std::string name, std::string sql);

struct MigrationReport {
    std::vector<int> applied;  // versions this call applied, ascending
};

// Brings the database up to the newest of `migrations` (ascending, unique versions). Concurrent
// callers on one database serialize on the advisory lock; each migration is applied once.
MigrationReport Migrate(pqxx::connection& conn, const std::vector<Migration>& migrations);

// For start-up without migrating: throws as Migrate would for a newer, changed or unknown schema;
// returns the versions not yet applied, ascending. Reads only, takes no lock.
std::vector<int> CheckSchema(pqxx::connection& conn, const std::vector<Migration>& migrations);

}  // namespace jobd::store
