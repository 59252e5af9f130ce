// Issue #7 item 4: under systemd the daemon log reaches journald with COMPANY, JOB_HANDLE,
// RUN_HANDLE and STATE taken from the line's key=value fields.

#include "jobd/log/journal_fields.hpp"

#include <map>
#include <optional>
#include <string>

#include <gtest/gtest.h>

namespace jobd::log {
namespace {

std::map<std::string, std::string> AsMap(const std::vector<JournalField>& fields) {
    std::map<std::string, std::string> map;
    for (const auto& field : fields) {
        EXPECT_TRUE(map.emplace(field.name, field.value).second) << "twice: " << field.name;
    }
    return map;
}

std::optional<std::string> Field(const std::vector<JournalField>& fields, const std::string& name) {
    const auto map = AsMap(fields);
    const auto it = map.find(name);
    return it == map.end() ? std::nullopt : std::optional(it->second);
}

TEST(JournalFields, FinishedRunCarriesEveryRunField) {
    const auto fields = JournalFields("info",
                                      "engine",
                                      "run finished company=47 job=\"My Test Job\" run=812 "
                                      "trigger=Execute state=Failed exit_code=3 duration_ms=40");
    EXPECT_EQ(AsMap(fields),
              (std::map<std::string, std::string>{
                  {"MESSAGE",
                   "run finished company=47 job=\"My Test Job\" run=812 trigger=Execute "
                   "state=Failed exit_code=3 duration_ms=40"},
                  {"PRIORITY", "6"},
                  {"SYSLOG_IDENTIFIER", "jobd"},
                  {"JOBD_SUBSYSTEM", "engine"},
                  {"COMPANY", "47"},
                  {"JOB_HANDLE", "47|My Test Job|"},
                  {"RUN_HANDLE", "47|My Test Job|812"},
                  {"STATE", "Failed"},
              }));
}

// Data table: which run fields a line yields (std::nullopt: the field is absent).
struct Case {
    std::string message;
    std::optional<std::string> company, job_handle, run_handle, state;
};

TEST(JournalFields, TakesWhatTheLineNames) {
    const Case cases[] = {
        {"jobd started version=0.1.0 node=a listen=\"127.0.0.1:8780\"", {}, {}, {}, {}},
        {"run retry queued company=47 run=812 retry_run=813 attempt=2", "47", {}, {}, {}},
        {"run lost company=9 job=\"Nightly\" run=5 reason=\"node a lost\"",
         "9",
         "9|Nightly|",
         "9|Nightly|5",
         {}},
        {"run started company=47 job=\"a\" b\" run=7 trigger=Schedule",
         "47",
         "47|a\" b|",
         "47|a\" b|7",
         {}},
        {"run finished company=47 job=\"x=1 y\" run=3 state=Succeeded",
         "47",
         "47|x=1 y|",
         "47|x=1 y|3",
         "Succeeded"},
        // Not a field: `subcompany=` and a company that is no handle.
        {"note subcompany=47 run=1", {}, {}, {}, {}},
        {"bad company=abc job=\"J\" run=1", {}, {}, {}, {}},
        // A job name a handle cannot carry gives no handle.
        {"run finished company=47 job=\"a|b\" run=2 state=Failed", "47", {}, {}, "Failed"},
        {"run finished company=47 job=\"J\" run=x state=Failed", "47", "47|J|", {}, "Failed"},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(c.message);
        const auto fields = JournalFields("debug", "engine", c.message);
        EXPECT_EQ(Field(fields, "COMPANY"), c.company);
        EXPECT_EQ(Field(fields, "JOB_HANDLE"), c.job_handle);
        EXPECT_EQ(Field(fields, "RUN_HANDLE"), c.run_handle);
        EXPECT_EQ(Field(fields, "STATE"), c.state);
    }
}

TEST(JournalFields, PriorityFollowsSyslogLevels) {
    const std::map<std::string, std::string> priorities{{"trace", "7"},
                                                        {"debug", "7"},
                                                        {"info", "6"},
                                                        {"warning", "4"},
                                                        {"error", "3"},
                                                        {"critical", "2"}};
    for (const auto& [level, priority] : priorities) {
        EXPECT_EQ(Field(JournalFields(level, "main", "x"), "PRIORITY"), priority) << level;
    }
}

}  // namespace
}  // namespace jobd::log
