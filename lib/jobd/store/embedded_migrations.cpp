#include "jobd/store/embedded_migrations.hpp"

#include <string>

namespace jobd::store {

namespace {

std::vector<Migration> Load() {
    std::vector<Migration> migrations;
    for (const detail::EmbeddedFile& file : detail::EmbeddedMigrationFiles()) {
        migrations.push_back(MakeMigration(std::string(file.name), std::string(file.sql)));
    }
    return migrations;
}

}  // namespace

const std::vector<Migration>& EmbeddedMigrations() {
    static const std::vector<Migration> migrations = Load();
    return migrations;
}

}  // namespace jobd::store
