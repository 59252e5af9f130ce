#pragma once
// The migrations compiled into this binary (contract §9), so `jobd migrate` works from any
// directory and a binary always knows the schema it was built for. Built once, on first use, from
// the migrations/NNNN_*.sql files that CMake embeds; thread-safe; throws jobd::Error(Internal)
// only for a badly named file, which is a build bug (Migrate refuses duplicated versions).

#include <span>
#include <string_view>
#include <vector>

#include "jobd/store/migrator.hpp"

namespace jobd::store {

// Ascending by version.
const std::vector<Migration>& EmbeddedMigrations();

namespace detail {

struct EmbeddedFile {
    std::string_view name;  // "0001_initial.sql"
    std::string_view sql;   // the file, byte for byte
};

// Defined in the generated embedded_migrations_data.cpp, in file name order.
std::span<const EmbeddedFile> EmbeddedMigrationFiles();

}  // namespace detail

}  // namespace jobd::store
