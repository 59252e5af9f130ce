#pragma once
// Text parsers behind the config key table: pure, any thread, never throw. Each returns nullopt
// for text it does not accept, so the caller can name the key and say what it got.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "jobd/config/config.hpp"

namespace jobd::config::detail {

// The inverse of ParseDuration for duration >= 0, in the largest exact unit: 1000ms -> "1s".
std::string FormatDuration(Duration duration);

// A whole decimal integer ("-3", "42"); no sign other than '-', no spaces, no overflow.
std::optional<std::int64_t> ParseInteger(std::string_view text);

// "1048576", "64KiB", "1MiB", "1GiB" -> bytes.
std::optional<std::size_t> ParseSize(std::string_view text);

// "127.0.0.1:8780", "localhost:0", "[::1]:8780" (IPv6 needs the brackets), each optionally
// prefixed by "http://" or "https://" (the scheme; tls is left false for Load to settle).
std::optional<ListenAddress> ParseListenAddress(std::string_view text);

}  // namespace jobd::config::detail
