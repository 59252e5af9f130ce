#pragma once
// Splits a byte stream into lines for job log details (contract §7). Pure; one per stream.
// A line ends at '\n'; one '\r' before it is dropped; a line longer than the cap is delivered
// in cap-sized pieces so a child writing without newlines cannot grow the daemon's memory.

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace jobd::exec {

// 64 KiB: far above any sensible log line, small enough to hold per running child.
inline constexpr std::size_t kMaxLineBytes = 64 * 1024;

class LineSplitter {
public:
    using LineSink = std::function<void(std::string_view)>;

    explicit LineSplitter(std::size_t max_line_bytes = kMaxLineBytes);

    // Delivers every line `data` completes, in order; keeps the unterminated rest.
    void Feed(std::string_view data, const LineSink& sink);

    // At end of stream: delivers the unterminated rest, if any.
    void Finish(const LineSink& sink);

private:
    void Append(std::string_view piece, const LineSink& sink);

    std::size_t max_line_bytes_;
    std::string pending_;
};

}  // namespace jobd::exec
