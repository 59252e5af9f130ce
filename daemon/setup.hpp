#pragma once
// Start-up steps shared by the subcommands: the config, the database URL, migrations.

#include <filesystem>
#include <memory>
#include <string>

#include "jobd/config/config.hpp"

namespace jobd::daemon {

// Loads the config; on a ConfigError prints it to stderr and returns nullptr (exit 2).
std::shared_ptr<const config::Config> LoadConfig(const std::filesystem::path& path);

// database.url (JOBD_DATABASE_URL wins, as config::Load applied); throws ConfigError when unset.
std::string DatabaseUrl(const config::Config& config);

// Applies pending migrations under the advisory lock; prints what it applied.
void ApplyMigrations(const std::string& url);

}  // namespace jobd::daemon
