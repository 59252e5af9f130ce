# Writes OUTPUT, a C++ file holding the migration files INPUTS ('|'-separated paths) byte for byte
# as string literals of hex escapes: no delimiter or encoding in the SQL can break them.
# Run at build time by lib/jobd/store/CMakeLists.txt whenever a migration changes.
string(REPLACE "|" ";" inputs "${INPUTS}")
set(entries "")
foreach(path IN LISTS inputs)
    get_filename_component(name "${path}" NAME)
    file(READ "${path}" hex HEX)
    string(LENGTH "${hex}" hex_length)
    math(EXPR size "${hex_length} / 2")
    # 32 bytes per line as adjacent literals; the explicit size keeps any NUL byte.
    string(REPEAT "[0-9a-f]" 64 line_pattern)
    string(REGEX REPLACE "(${line_pattern})" "\\1|" lines "${hex}")
    string(REGEX REPLACE "([0-9a-f][0-9a-f])" "\\\\x\\1" escaped "${lines}")
    string(REPLACE "|" "\"\n        \"" escaped "${escaped}")
    string(APPEND entries "    {\"${name}\",\n     std::string_view(\n        \"${escaped}\",\n        ${size})},\n")
endforeach()
list(LENGTH inputs count)
file(WRITE "${OUTPUT}.tmp"
"// Generated from migrations/*.sql by lib/jobd/store/embedded_migrations.cmake; do not edit.
#include <array>

#include \"jobd/store/embedded_migrations.hpp\"

namespace jobd::store::detail {

namespace {

const std::array<EmbeddedFile, ${count}> kFiles{{
${entries}}};

}  // namespace

std::span<const EmbeddedFile> EmbeddedMigrationFiles() {
    return kFiles;
}

}  // namespace jobd::store::detail
")
# Rewriting only on change spares a rebuild when nothing did.
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
