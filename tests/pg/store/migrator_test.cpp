// The migration runner against a real PostgreSQL (contract §9).

#include "jobd/store/migrator.hpp"

#include <algorithm>
#include <cstdint>
#include <exception>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "jobd/model/error.hpp"
#include "jobd/store/embedded_migrations.hpp"
#include "support/test_database.hpp"

namespace jobd::store {
namespace {

using test::Schema;
using test::TestDatabase;

std::vector<int> AllVersions() {
    std::vector<int> versions;
    for (const Migration& migration : EmbeddedMigrations()) {
        versions.push_back(migration.version);
    }
    return versions;
}

int Count(pqxx::connection& conn, const std::string& query) {
    pqxx::read_transaction tx{conn};
    return tx.exec1(query)[0].as<int>();
}

// Runs `body`, which must throw jobd::Error, and returns that error.
template <typename Body>
Error ErrorOf(Body body) {
    try {
        body();
    } catch (const Error& e) {
        return e;
    }
    ADD_FAILURE() << "no jobd::Error thrown";
    return Error(ErrorKind::Internal, Message(MessageId::InternalError));
}

TEST(MakeMigration, TakesTheVersionFromTheFileName) {
    struct Case {
        const char* name;
        int version;  // -1: refused
    };

    const Case cases[] = {
        {"0001_initial.sql", 1},
        {"0042_add_index.sql", 42},
        {"1_initial.sql", -1},
        {"0001initial.sql", -1},
        {"0001_initial.txt", -1},
        {"00a1_initial.sql", -1},
        {"0001_.sql", -1},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(c.name);
        if (c.version < 0) {
            EXPECT_EQ(ErrorOf([&] { MakeMigration(c.name, ""); }).field(),
                      std::string("migrations/") + c.name);
        } else {
            EXPECT_EQ(MakeMigration(c.name, "").version, c.version);
        }
    }
}

TEST(MakeMigration, ChecksumIsTheHexSha256OfTheSql) {
    EXPECT_EQ(MakeMigration("0001_a.sql", "SELECT 1").checksum,
              "e004ebd5b5532a4b85984a62f8ad48a81aa3460c1ca07701f386135d72cdecf5");
}

TEST(Migrate, AppliesEveryMigrationToAnEmptyDatabaseAndRecordsChecksums) {
    const TestDatabase db(Schema::Empty);
    pqxx::connection conn{db.url()};

    EXPECT_EQ(Migrate(conn, EmbeddedMigrations()).applied, AllVersions());

    pqxx::read_transaction tx{conn};
    const pqxx::result rows =
        tx.exec("SELECT version, name, checksum FROM schema_migrations ORDER BY version");
    ASSERT_EQ(rows.size(), EmbeddedMigrations().size());
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const Migration& migration = EmbeddedMigrations()[i];
        EXPECT_EQ(rows[i][0].as<int>(), migration.version);
        EXPECT_EQ(rows[i][1].as<std::string>(), migration.name);
        EXPECT_EQ(rows[i][2].as<std::string>(), migration.checksum);
    }
    EXPECT_TRUE(tx.exec1("SELECT to_regclass('runs') IS NOT NULL")[0].as<bool>());
}

TEST(Migrate, SecondRunAppliesNothing) {
    const TestDatabase db;
    pqxx::connection conn{db.url()};

    EXPECT_TRUE(Migrate(conn, EmbeddedMigrations()).applied.empty());
    EXPECT_EQ(Count(conn, "SELECT count(*) FROM schema_migrations"),
              static_cast<int>(EmbeddedMigrations().size()));
}

TEST(Migrate, AppliesOnlyTheNewMigration) {
    const TestDatabase db;
    pqxx::connection conn{db.url()};
    std::vector<Migration> migrations = EmbeddedMigrations();
    migrations.push_back(MakeMigration("9000_extra.sql", "CREATE TABLE extra_things (id int)"));

    EXPECT_EQ(Migrate(conn, migrations).applied, std::vector<int>{9000});
    EXPECT_EQ(Count(conn, "SELECT count(*) FROM extra_things"), 0);
}

TEST(Migrate, RefusesAMigrationChangedAfterItWasApplied) {
    const TestDatabase db;
    pqxx::connection conn{db.url()};
    std::vector<Migration> migrations = EmbeddedMigrations();
    const Migration& first = migrations.front();
    migrations.front() = MakeMigration(first.name, first.sql + "\n-- edited\n");

    const Error error = ErrorOf([&] { Migrate(conn, migrations); });
    EXPECT_EQ(error.kind(), ErrorKind::Internal);
    EXPECT_EQ(error.field(), "migrations/" + first.name);
    EXPECT_EQ(ErrorOf([&] { CheckSchema(conn, migrations); }).field(), "migrations/" + first.name);
}

TEST(Migrate, RefusesASchemaNewerThanTheBinary) {
    const TestDatabase db;
    pqxx::connection conn{db.url()};
    std::vector<Migration> newer = EmbeddedMigrations();
    newer.push_back(MakeMigration("9001_future.sql", "SELECT 1"));
    Migrate(conn, newer);

    const Error error = ErrorOf([&] { Migrate(conn, EmbeddedMigrations()); });
    EXPECT_EQ(error.kind(), ErrorKind::Internal);
    EXPECT_EQ(error.field(), "schema_migrations");
    EXPECT_NE(std::string(error.what()).find("9001"), std::string::npos);
    EXPECT_EQ(ErrorOf([&] { CheckSchema(conn, EmbeddedMigrations()); }).field(),
              "schema_migrations");
}

// A migration and its schema_migrations row commit together: a failure leaves neither.
TEST(Migrate, FailedMigrationLeavesNoTrace) {
    const TestDatabase db;
    pqxx::connection conn{db.url()};
    std::vector<Migration> migrations = EmbeddedMigrations();
    migrations.push_back(
        MakeMigration("9002_broken.sql", "CREATE TABLE half_done (id int); SELECT nonsense;"));

    const Error error = ErrorOf([&] { Migrate(conn, migrations); });
    EXPECT_EQ(error.field(), "migrations/9002_broken.sql");
    EXPECT_EQ(Count(conn, "SELECT count(*) FROM schema_migrations WHERE version = 9002"), 0);
    EXPECT_EQ(Count(conn, "SELECT count(*) FROM pg_class WHERE relname = 'half_done'"), 0);
}

TEST(Migrate, RefusesDuplicateVersions) {
    const TestDatabase db(Schema::Empty);
    pqxx::connection conn{db.url()};
    const std::vector<Migration> migrations = {MakeMigration("0001_a.sql", "SELECT 1"),
                                               MakeMigration("0001_b.sql", "SELECT 2")};

    EXPECT_EQ(ErrorOf([&] { Migrate(conn, migrations); }).field(), "migrations/0001_b.sql");
}

// Several nodes starting at once on a fresh database: the advisory lock serializes them.
TEST(Migrate, ConcurrentRunnersApplyEachMigrationOnce) {
    const TestDatabase db(Schema::Empty);
    std::vector<MigrationReport> reports(2);
    std::vector<std::exception_ptr> errors(2);
    std::vector<std::thread> runners;
    for (std::size_t i = 0; i < reports.size(); ++i) {
        runners.emplace_back([&, i] {
            try {
                pqxx::connection conn{db.url()};
                reports[i] = Migrate(conn, EmbeddedMigrations());
            } catch (...) {
                errors[i] = std::current_exception();  // rethrown on the test thread below
            }
        });
    }
    for (std::thread& runner : runners) {
        runner.join();
    }
    for (const std::exception_ptr& error : errors) {
        if (error) {
            std::rethrow_exception(error);
        }
    }

    std::vector<int> applied = reports[0].applied;
    applied.insert(applied.end(), reports[1].applied.begin(), reports[1].applied.end());
    std::sort(applied.begin(), applied.end());
    EXPECT_EQ(applied, AllVersions());
    pqxx::connection conn{db.url()};
    EXPECT_EQ(Count(conn, "SELECT count(*) FROM schema_migrations"),
              static_cast<int>(EmbeddedMigrations().size()));
}

TEST(CheckSchema, ReportsPendingMigrationsWithoutApplyingThem) {
    const TestDatabase db(Schema::Empty);
    pqxx::connection conn{db.url()};

    EXPECT_EQ(CheckSchema(conn, EmbeddedMigrations()), AllVersions());
    EXPECT_EQ(Count(conn, "SELECT count(*) FROM pg_class WHERE relname = 'schema_migrations'"), 0);
}

TEST(CheckSchema, AcceptsTheCurrentSchema) {
    const TestDatabase db;
    pqxx::connection conn{db.url()};

    EXPECT_TRUE(CheckSchema(conn, EmbeddedMigrations()).empty());
}

// jobd_micros and jobd_ts (migrations 0001, 0008): exact both ways in any session time zone, and
// inlined by the planner, not run as SQL functions per statement (issue #8).
TEST(Schema, TimeFunctionsAreExactAndInlined) {
    const TestDatabase db;
    pqxx::connection conn{db.url()};
    pqxx::work tx{conn};
    tx.exec0("SET TIME ZONE 'America/New_York'");
    const pqxx::row exact = tx.exec1(R"sql(
        SELECT bool_and(jobd_ts(jobd_micros(t)) = t),
               bool_and(jobd_micros(t) = (extract(epoch FROM t) * 1000000)::bigint)
        FROM (VALUES (timestamptz '1970-01-01 00:00:00+00'),
                     ('1969-12-31 23:59:59.999999+00'),
                     ('2026-03-08 02:30:00.123456-05'),
                     ('2026-11-01 01:30:00.000001-04'),
                     ('2099-12-31 23:59:59.999999+00')) AS v(t))sql");
    EXPECT_TRUE(exact[0].as<bool>());
    EXPECT_TRUE(exact[1].as<bool>());
    EXPECT_EQ(tx.exec1("SELECT jobd_micros(jobd_ts(1774744200123456))")[0].as<std::int64_t>(),
              1774744200123456);

    std::string plan;
    for (const auto& row : tx.exec("EXPLAIN VERBOSE SELECT jobd_micros(queued_at), jobd_ts(id) "
                                   "FROM runs")) {
        plan += row[0].as<std::string>() + "\n";
    }
    EXPECT_EQ(plan.find("jobd_micros("), std::string::npos) << plan;
    EXPECT_EQ(plan.find("jobd_ts("), std::string::npos) << plan;
}

}  // namespace
}  // namespace jobd::store
