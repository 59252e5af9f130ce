#pragma once
// Start-up steps shared by the subcommands: the config, the database URL, migrations.

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "jobd/config/config.hpp"

namespace boost::asio::ssl {
class context;
}

namespace jobd::daemon {

// Loads the config; on a ConfigError prints it to stderr and returns nullptr (exit 2).
std::shared_ptr<const config::Config> LoadConfig(const std::filesystem::path& path);

// The HTTPS context of api.tls (a null pointer when unset). On a bad certificate or key prints
// "jobd: <path>: api.tls.key_file: ..." to stderr and returns nullopt (exit 2).
std::optional<std::shared_ptr<boost::asio::ssl::context>> LoadTls(const std::filesystem::path& path,
                                                                  const config::Config& config);

// database.url (JOBD_DATABASE_URL wins, as config::Load applied); throws ConfigError when unset.
std::string DatabaseUrl(const config::Config& config);

// Applies pending migrations under the advisory lock; prints what it applied.
void ApplyMigrations(const std::string& url);

}  // namespace jobd::daemon
