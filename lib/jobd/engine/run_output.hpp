#pragma once
// Turns a run's output lines into job log details and progress (contract §7). Pure: the caller
// passes the time. Engine strand only.
//   stdout line that is a JSON object with "logType"  -> a detail as sent (FileBegin, ...)
//   stdout JSON object with "progress"/"progressMessage" -> progress of the active job
//   any other line -> a detail "Output" (stdout) or "ErrorOutput" (stderr)
// Stored text is capped at runs.output_limit_bytes; past it one "OutputTruncated" detail says so.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "jobd/model/job.hpp"

namespace jobd::engine {

struct Progress {
    int percent = 0;
    std::string message;
};

class RunOutput {
public:
    explicit RunOutput(std::size_t limit_bytes) : limit_bytes_(limit_bytes) {}

    void OnLine(bool is_stderr, std::string_view line, TimePoint now);

    // A detail jobd itself writes (spawn failure, timeout); not counted against the limit. Stored
    // in English with its message, which the API renders in the reader's language.
    void AddOwnDetail(std::string log_type, Message message, TimePoint now);

    // Details and progress gathered since the last Take*; the caller writes them.
    std::vector<RunDetail> TakeDetails();
    std::optional<Progress> TakeProgress();

    bool HasPending() const { return !pending_.empty() || progress_changed_; }

private:
    void Add(RunDetail detail);
    bool ParseJsonLine(std::string_view line, TimePoint now);

    std::size_t limit_bytes_;
    std::size_t stored_bytes_ = 0;
    bool truncated_ = false;
    std::vector<RunDetail> pending_;
    Progress progress_;
    bool progress_changed_ = false;
};

}  // namespace jobd::engine
