#pragma once
// Per-company outcome files (contract §9): one JSON line per finished run appended to
// `<log.dir>/companies/<companyHandle>.log`. Each line is written with a single write(2) on an
// O_APPEND descriptor, so lines from several threads or jobd nodes sharing the directory never
// interleave. Thread-safe; a write is one bounded syscall, acceptable on the io thread.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace jobd::log {

struct Outcome {
    std::string ts;  // ISO 8601 UTC end time
    std::int64_t company = 0;
    std::string job;
    std::string run;  // run handle
    std::string trigger;
    std::string state;
    std::optional<int> exit_code;
    std::int64_t duration_ms = 0;
    std::string node;
};

class OutcomeLog {
public:
    // Creates `<dir>/companies` if missing; throws std::runtime_error naming the directory when
    // it cannot be created or written.
    explicit OutcomeLog(std::filesystem::path dir);

    // Appends one line; returns false (and the caller logs) when the write fails.
    bool Append(const Outcome& outcome) const;

    std::filesystem::path FileFor(std::int64_t company) const;

    // Why lines cannot be appended now (not a directory, not writable), nullopt when they can:
    // for /healthz. Two bounded syscalls.
    std::optional<std::string> Problem() const;

private:
    std::filesystem::path companies_dir_;
};

// The JSON line for an outcome, without the trailing newline.
std::string FormatOutcome(const Outcome& outcome);

}  // namespace jobd::log
