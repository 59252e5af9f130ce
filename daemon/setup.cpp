#include "setup.hpp"

#include <iostream>

#include <pqxx/pqxx>
#include <spdlog/spdlog.h>

#include "jobd/api/tls_context.hpp"
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

std::optional<std::shared_ptr<boost::asio::ssl::context>> LoadTls(const std::filesystem::path& path,
                                                                  const config::Config& config) {
    if (!config.api.tls) {
        return std::shared_ptr<boost::asio::ssl::context>();
    }
    try {
        return api::MakeTlsContext(*config.api.tls);
    } catch (const config::ConfigError& e) {
        std::cerr << "jobd: " << path.string() << ": " << e.what() << "\n";
        return std::nullopt;
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
