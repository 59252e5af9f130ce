#include "support/test_database.hpp"

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <random>
#include <stdexcept>
#include <string_view>

#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>
#include <pqxx/pqxx>
#include <unistd.h>

#include "jobd/store/embedded_migrations.hpp"
#include "jobd/store/migrator.hpp"

namespace jobd::test {

namespace {

constexpr const char* kTemplate = "jobd_template";
constexpr const char* kTemplateBuilding = "jobd_template_building";
// Serializes template creation across the test processes ctest runs in parallel.
constexpr std::int64_t kTemplateLockKey = 0x6a6f626474706c;  // "jobdtpl"

std::string ReadEnvFile(std::string_view key) {
    const char* path = std::getenv("JOBD_TEST_PG_ENV");
    std::ifstream file(path == nullptr ? "" : path);
    if (!file) {
        throw std::runtime_error(
            "no test PostgreSQL: run through ctest, whose pg_cluster fixture writes the file "
            "$JOBD_TEST_PG_ENV names");
    }
    const std::string prefix = std::string(key) + "=";
    for (std::string line; std::getline(file, line);) {
        if (line.starts_with(prefix)) {
            return line.substr(prefix.size());
        }
    }
    throw std::runtime_error("no test PostgreSQL: " + std::string(path) + " lacks " +
                             std::string(key));
}

std::string DatabaseUrl(const std::string& cluster_url, const std::string& database) {
    boost::urls::url url = boost::urls::parse_uri(cluster_url).value();
    url.set_path("/" + database);
    return std::string(url.buffer());
}

// Unique across parallel processes and across tests of one process.
std::string UniqueName() {
    static std::atomic<int> counter{0};
    std::random_device random;
    return "jobd_test_" + std::to_string(::getpid()) + "_" + std::to_string(++counter) + "_" +
           std::to_string(random() % 1000000);
}

void EnsureTemplate(const std::string& cluster_url) {
    pqxx::connection admin{cluster_url};
    pqxx::nontransaction tx{admin};
    tx.exec_params("SELECT pg_advisory_lock($1)", kTemplateLockKey);  // held until disconnect
    if (!tx.exec_params("SELECT 1 FROM pg_database WHERE datname = $1", kTemplate).empty()) {
        return;
    }
    tx.exec0(std::string("DROP DATABASE IF EXISTS ") + kTemplateBuilding);  // a crashed attempt
    tx.exec0(std::string("CREATE DATABASE ") + kTemplateBuilding + " TEMPLATE template0");
    {
        pqxx::connection building{DatabaseUrl(cluster_url, kTemplateBuilding)};
        store::Migrate(building, store::EmbeddedMigrations());
    }
    // Renamed only once complete, so no test ever clones a half-migrated template.
    tx.exec0(std::string("ALTER DATABASE ") + kTemplateBuilding + " RENAME TO " + kTemplate);
}

}  // namespace

std::string ClusterUrl() {
    return ReadEnvFile("JOBD_TEST_PG_URL");
}

TestDatabase::TestDatabase(Schema schema) : TestDatabase(schema, ClusterUrl()) {}

TestDatabase::TestDatabase(Schema schema, std::string cluster_url)
    : cluster_url_(std::move(cluster_url)), name_(UniqueName()) {
    std::string source = "template0";
    if (schema == Schema::Migrated) {
        EnsureTemplate(cluster_url_);
        source = kTemplate;
    }
    pqxx::connection admin{cluster_url_};
    pqxx::nontransaction tx{admin};
    tx.exec0("CREATE DATABASE " + name_ + " TEMPLATE " + source);
    url_ = DatabaseUrl(cluster_url_, name_);
}

TestDatabase::~TestDatabase() {
    try {
        pqxx::connection admin{cluster_url_};
        pqxx::nontransaction tx{admin};
        tx.exec0("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
    } catch (const pqxx::failure& e) {
        // The cluster is thrown away after the run; a leftover database harms no test.
        std::cerr << "warning: could not drop test database " << name_ << ": " << e.what() << '\n';
    }
}

}  // namespace jobd::test
