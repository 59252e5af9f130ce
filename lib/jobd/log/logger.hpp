#pragma once
// Named spdlog loggers, one per subsystem (STYLE.md "Logging"). Setup() once in main before
// threads start; Get() is then safe from any thread. Lines are a lowercase event plus key=value
// fields: `run finished company=47 job="My Test Job" run=812 state=Failed exit_code=3`.

#include <string_view>

namespace spdlog {
class logger;
}

namespace jobd::log {

enum class Subsystem { Main, Api, Engine, Store, Exec };

// Creates the loggers; `level` as in config (info, debug, ...). They write to journald with
// structured fields (journal_fields.hpp) when systemd connected stderr to the journal
// (JOURNAL_STREAM), and lines with a time stamp to stderr otherwise.
void Setup(std::string_view level);

// Changes the level of every subsystem logger (SIGHUP).
void SetLevel(std::string_view level);

spdlog::logger& Get(Subsystem subsystem);

}  // namespace jobd::log
