#include "setup.hpp"

#include <iostream>

#include <pqxx/pqxx>
#include <spdlog/spdlog.h>

#include "jobd/log/logger.hpp"
#include "jobd/store/embedded_migrations.hpp"
#include "jobd/store/migrator.hpp"

namespace jobd::daemon {

std::shared_ptr<const config::Config> LoadConfig(const std::filesystem::path& path) {
    try {
        return std::make_shared<const config::Config>(
            config::Load(path, config::ProcessEnvironment()));
    } catch (const config::ConfigError& e) {
        std::cerr << "jobd: " << e.what() << "\n";
        return nullptr;
    }
}

std::string DatabaseUrl(const config::Config& config) {
    if (!config.database.url || config.database.url->empty()) {
        throw config::ConfigError(
            "database.url",
            "database.url: not set (set it or JOBD_DATABASE_URL; scripts/run starts an embedded "
            "cluster and sets it)");
    }
    return *config.database.url;
}

void ApplyMigrations(const std::string& url) {
    pqxx::connection connection{url};
    const auto report = store::Migrate(connection, store::EmbeddedMigrations());
    for (const int version : report.applied) {
        log::Get(log::Subsystem::Store).info("migration applied version={}", version);
    }
}

}  // namespace jobd::daemon
