#include "jobd/log/outcome_log.hpp"

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <boost/json.hpp>
#include <fcntl.h>
#include <unistd.h>

namespace jobd::log {

OutcomeLog::OutcomeLog(std::filesystem::path dir) : companies_dir_(std::move(dir) / "companies") {
    std::error_code ec;
    std::filesystem::create_directories(companies_dir_, ec);
    if (ec) {
        throw std::runtime_error("log.dir: cannot create " + companies_dir_.string() + ": " +
                                 ec.message());
    }
    if (const auto problem = Problem()) {
        throw std::runtime_error("log.dir: " + *problem);
    }
}

std::optional<std::string> OutcomeLog::Problem() const {
    std::error_code ec;
    if (!std::filesystem::is_directory(companies_dir_, ec)) {
        return companies_dir_.string() + " is not a directory" +
               (ec ? ": " + ec.message() : std::string());
    }
    if (::access(companies_dir_.c_str(), W_OK | X_OK) != 0) {
        return companies_dir_.string() + " is not writable: " + std::strerror(errno);
    }
    return std::nullopt;
}

std::filesystem::path OutcomeLog::FileFor(std::int64_t company) const {
    return companies_dir_ / (std::to_string(company) + ".log");
}

bool OutcomeLog::Append(const Outcome& outcome) const {
    const std::string line = FormatOutcome(outcome) + "\n";
    const int fd =
        ::open(FileFor(outcome.company).c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0) {
        return false;
    }
    const ssize_t written = ::write(fd, line.data(), line.size());
    ::close(fd);
    return written == static_cast<ssize_t>(line.size());
}

std::string FormatOutcome(const Outcome& outcome) {
    boost::json::object line{
        {"ts", outcome.ts},
        {"company", std::to_string(outcome.company)},
        {"job", outcome.job},
        {"run", outcome.run},
        {"trigger", outcome.trigger},
        {"state", outcome.state},
        {"exitCode", nullptr},
        {"durationMs", outcome.duration_ms},
        {"node", outcome.node},
    };
    if (outcome.exit_code) {
        line["exitCode"] = *outcome.exit_code;
    }
    return boost::json::serialize(line);
}

}  // namespace jobd::log
