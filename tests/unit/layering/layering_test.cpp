// STYLE.md "Layout": modules depend one way,
//   model, schedule <- config, log, metrics, auth <- store, exec <- engine <- api <- daemon
// and client on model only. A new edge is a design change: make it here, visibly.

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <string>

#include <gtest/gtest.h>

namespace {

const std::map<std::string, std::set<std::string>>& AllowedIncludes() {
    static const std::set<std::string> base{"model"};
    static const std::set<std::string> pure{"model", "schedule"};
    static const std::set<std::string> middle{
        "model", "schedule", "config", "log", "metrics", "auth"};
    static const std::set<std::string> lower{
        "model", "schedule", "config", "log", "metrics", "auth", "store", "exec"};
    static const std::set<std::string> engine{
        "model", "schedule", "config", "log", "metrics", "auth", "store", "exec", "engine"};
    static const std::map<std::string, std::set<std::string>> allowed{
        {"model", base},
        {"schedule", pure},
        {"config", pure},
        {"log", pure},
        {"metrics", pure},
        {"auth", pure},
        {"store", middle},
        {"exec", middle},
        {"engine", lower},
        {"api", engine},
        {"client", base},
    };
    return allowed;
}

TEST(Layering, ModulesIncludeOnlyModulesToTheirLeft) {
    const std::filesystem::path lib = std::filesystem::path(JOBD_SOURCE_DIR) / "lib" / "jobd";
    const std::regex include(R"re(#include "jobd/([a-z]+)/)re");
    int files = 0;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(lib)) {
        const auto ext = entry.path().extension();
        if (ext != ".hpp" && ext != ".cpp") {
            continue;
        }
        const std::string module = std::filesystem::relative(entry.path(), lib).begin()->string();
        const auto allowed = AllowedIncludes().find(module);
        ASSERT_NE(allowed, AllowedIncludes().end()) << "unknown module " << module;
        ++files;
        std::ifstream in(entry.path());
        for (std::string line; std::getline(in, line);) {
            std::smatch match;
            if (std::regex_search(line, match, include)) {
                const std::string target = match[1];
                EXPECT_TRUE(target == module || allowed->second.count(target) > 0)
                    << entry.path().string() << " includes jobd/" << target;
            }
        }
    }
    EXPECT_GT(files, 50);
}

}  // namespace
