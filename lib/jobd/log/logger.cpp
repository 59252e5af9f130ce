#include "jobd/log/logger.hpp"

#include <array>
#include <memory>
#include <mutex>

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "jobd/log/detail/journal_sink.hpp"

namespace jobd::log {
namespace {

constexpr std::array<std::string_view, 5> kNames{"main", "api", "engine", "store", "exec"};

std::array<std::shared_ptr<spdlog::logger>, kNames.size()>& Loggers() {
    static std::array<std::shared_ptr<spdlog::logger>, kNames.size()> loggers;
    return loggers;
}

void CreateOnce() {
    static std::once_flag once;
    std::call_once(once, [] {
        // One sink for all subsystems keeps lines from different threads whole and ordered.
        // Under systemd the journal gets structured fields (it keeps its own time stamps, so
        // the journal sink sends the bare message and ignores the pattern).
        spdlog::sink_ptr sink;
        if (detail::StderrIsJournal()) {
            sink = std::make_shared<detail::JournalSink>();
        } else {
            sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
        }
        for (std::size_t i = 0; i < kNames.size(); ++i) {
            auto logger = std::make_shared<spdlog::logger>(std::string(kNames[i]), sink);
            logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %^%l%$ %n: %v");
            Loggers()[i] = logger;
        }
    });
}

}  // namespace

void Setup(std::string_view level) {
    CreateOnce();
    SetLevel(level);
}

void SetLevel(std::string_view level) {
    CreateOnce();
    const auto parsed = spdlog::level::from_str(std::string(level));
    for (auto& logger : Loggers()) {
        logger->set_level(parsed);
        logger->flush_on(spdlog::level::warn);
    }
}

spdlog::logger& Get(Subsystem subsystem) {
    CreateOnce();  // tests may log without Setup()
    return *Loggers()[static_cast<std::size_t>(subsystem)];
}

}  // namespace jobd::log
