#include "jobd/store/migrator.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <map>
#include <string_view>
#include <utility>

#include <sodium.h>

#include "jobd/model/error.hpp"
#include "jobd/store/pool.hpp"

namespace jobd::store {

namespace {

// Any fixed key serializes the runners, as long as every jobd uses the same one ("jobdmigr").
constexpr std::int64_t kMigrationLockKey = 0x6a6f62646d696772;

// The one DDL outside migrations/: the runner needs its table before any migration has run.
constexpr const char* kCreateTable = R"(
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    int PRIMARY KEY,
    name       text NOT NULL,
    checksum   text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
))";
constexpr const char* kTableExists = "SELECT to_regclass('schema_migrations') IS NOT NULL";
constexpr const char* kSelectApplied =
    "SELECT version, name, checksum FROM schema_migrations ORDER BY version";
constexpr const char* kInsertApplied =
    "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)";
constexpr const char* kLock = "SELECT pg_advisory_lock($1)";
constexpr const char* kUnlock = "SELECT pg_advisory_unlock($1)";

constexpr std::size_t kShownChecksumChars = 12;

struct Applied {
    std::string name;
    std::string checksum;
};

using AppliedMap = std::map<int, Applied>;

// Messages and fields name the file as it sits in the repository.
std::string PathOf(std::string_view name) {
    return "migrations/" + std::string(name);
}

std::string Sha256Hex(std::string_view data) {
    if (sodium_init() < 0) {
        throw Error(ErrorKind::Internal, Message(MessageId::SodiumInitFailed));
    }
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(data.data()), data.size());
    char hex[crypto_hash_sha256_BYTES * 2 + 1];
    sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
    return hex;
}

// "0001_initial.sql" -> 1
int ParseVersion(std::string_view name) {
    constexpr std::size_t kDigits = 4;
    const auto is_digit = [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; };
    const bool well_formed = name.size() > kDigits + 5 && name[kDigits] == '_' &&
                             name.ends_with(".sql") &&
                             std::all_of(name.begin(), name.begin() + kDigits, is_digit);
    if (!well_formed) {
        throw Error(ErrorKind::Internal, Message(MessageId::MigrationName), PathOf(name));
    }
    return std::stoi(std::string(name.substr(0, kDigits)));
}

void CheckOrder(const std::vector<Migration>& migrations) {
    for (std::size_t i = 1; i < migrations.size(); ++i) {
        if (migrations[i].version <= migrations[i - 1].version) {
            const std::string path = PathOf(migrations[i].name);
            throw Error(ErrorKind::Internal,
                        Message(MessageId::MigrationOrder,
                                {{"version", std::to_string(migrations[i].version)}}),
                        path);
        }
    }
}

const Migration* Find(const std::vector<Migration>& migrations, int version) {
    for (const Migration& migration : migrations) {
        if (migration.version == version) {
            return &migration;
        }
    }
    return nullptr;
}

AppliedMap ReadApplied(pqxx::transaction_base& tx) {
    AppliedMap applied;
    for (const pqxx::row& row : tx.exec(kSelectApplied)) {
        applied.emplace(row[0].as<int>(),
                        Applied{row[1].as<std::string>(), row[2].as<std::string>()});
    }
    return applied;
}

// Refuses a schema this binary did not write: newer, unknown or edited migrations.
void CheckApplied(const AppliedMap& applied, const std::vector<Migration>& migrations) {
    const int newest = migrations.empty() ? 0 : migrations.back().version;
    if (!applied.empty() && applied.rbegin()->first > newest) {
        throw Error(ErrorKind::Internal,
                    Message(MessageId::SchemaNewer,
                            {{"version", std::to_string(applied.rbegin()->first)},
                             {"newest", std::to_string(newest)}}),
                    "schema_migrations");
    }
    for (const auto& [version, row] : applied) {
        const Migration* migration = Find(migrations, version);
        if (migration == nullptr) {
            throw Error(ErrorKind::Internal,
                        Message(MessageId::MigrationUnknown,
                                {{"version", std::to_string(version)}, {"name", row.name}}),
                        "schema_migrations");
        }
        if (migration->checksum != row.checksum) {
            const std::string path = PathOf(migration->name);
            throw Error(ErrorKind::Internal,
                        Message(MessageId::MigrationChanged,
                                {{"stored", row.checksum.substr(0, kShownChecksumChars)},
                                 {"expected", migration->checksum.substr(0, kShownChecksumChars)}}),
                        path);
        }
    }
}

std::vector<const Migration*> Pending(const AppliedMap& applied,
                                      const std::vector<Migration>& migrations) {
    std::vector<const Migration*> pending;
    for (const Migration& migration : migrations) {
        if (!applied.contains(migration.version)) {
            pending.push_back(&migration);
        }
    }
    return pending;
}

// The migration and its record commit together, so a failed one leaves no trace to skip it by.
void Apply(pqxx::connection& conn, const Migration& migration) {
    try {
        pqxx::work tx{conn};
        tx.exec(migration.sql);
        tx.exec_params(kInsertApplied, migration.version, migration.name, migration.checksum);
        tx.commit();
    } catch (const pqxx::sql_error& e) {
        const std::string path = PathOf(migration.name);
        throw Error(ErrorKind::Internal,
                    Message(MessageId::MigrationFailed, {{"problem", FirstLine(e.what())}}),
                    path);
    }
}

// A session lock, so it spans the many transactions of one run.
class MigrationLock {
public:
    explicit MigrationLock(pqxx::connection& conn) : conn_(conn) { Execute(kLock); }

    ~MigrationLock() {
        try {
            Execute(kUnlock);
        } catch (const pqxx::failure&) {
            // Only a broken session fails here, and its end released the lock already.
        }
    }

    MigrationLock(const MigrationLock&) = delete;
    MigrationLock& operator=(const MigrationLock&) = delete;

private:
    void Execute(const char* sql) {
        pqxx::nontransaction tx{conn_};
        tx.exec_params(sql, kMigrationLockKey);
    }

    pqxx::connection& conn_;
};

MigrationReport MigrateLocked(pqxx::connection& conn, const std::vector<Migration>& migrations) {
    const MigrationLock lock(conn);
    AppliedMap applied;
    {
        pqxx::work tx{conn};
        tx.exec0(kCreateTable);
        applied = ReadApplied(tx);
        tx.commit();
    }
    CheckApplied(applied, migrations);
    MigrationReport report;
    for (const Migration* migration : Pending(applied, migrations)) {
        Apply(conn, *migration);
        report.applied.push_back(migration->version);
    }
    return report;
}

std::vector<int> PendingVersions(pqxx::connection& conn, const std::vector<Migration>& migrations) {
    pqxx::read_transaction tx{conn};
    AppliedMap applied;
    if (tx.exec1(kTableExists)[0].as<bool>()) {
        applied = ReadApplied(tx);
    }
    CheckApplied(applied, migrations);
    std::vector<int> pending;
    for (const Migration* migration : Pending(applied, migrations)) {
        pending.push_back(migration->version);
    }
    return pending;
}

// Runs `body`, translating what pqxx throws outside a migration into jobd's errors.
template <typename Body>
auto Translated(Body body) {
    try {
        return body();
    } catch (const pqxx::broken_connection& e) {
        throw UnavailableError(e);
    } catch (const pqxx::in_doubt_error& e) {
        throw UnavailableError(e);
    } catch (const pqxx::sql_error& e) {
        throw Error(ErrorKind::Internal,
                    Message(MessageId::MigrationFailed, {{"problem", FirstLine(e.what())}}),
                    "schema_migrations");
    }
}

}  // namespace

Migration MakeMigration(std::string name, std::string sql) {
    const int version = ParseVersion(name);
    std::string checksum = Sha256Hex(sql);
    return Migration{version, std::move(name), std::move(sql), std::move(checksum)};
}

MigrationReport Migrate(pqxx::connection& conn, const std::vector<Migration>& migrations) {
    CheckOrder(migrations);
    return Translated([&] { return MigrateLocked(conn, migrations); });
}

std::vector<int> CheckSchema(pqxx::connection& conn, const std::vector<Migration>& migrations) {
    CheckOrder(migrations);
    return Translated([&] { return PendingVersions(conn, migrations); });
}

}  // namespace jobd::store
