#include "jobd/config/detail/parse.hpp"

#include <array>
#include <charconv>
#include <limits>
#include <utility>

namespace jobd::config {
namespace {

using Unit = std::pair<std::string_view, std::uint64_t>;

constexpr std::array<Unit, 5> kDurationUnits{{
    {"ms", 1},
    {"s", 1000},
    {"m", 60 * 1000},
    {"h", 60 * 60 * 1000},
    {"d", 24 * 60 * 60 * 1000},
}};

constexpr std::array<Unit, 4> kSizeUnits{{
    {"", 1},
    {"KiB", std::uint64_t{1} << 10},
    {"MiB", std::uint64_t{1} << 20},
    {"GiB", std::uint64_t{1} << 30},
}};

// Digits followed by one of `units`, scaled; nullopt on anything else or on overflow of `max`.
template <std::size_t N>
std::optional<std::uint64_t> ParseScaled(std::string_view text,
                                         const std::array<Unit, N>& units,
                                         std::uint64_t max) {
    const std::size_t digits_end = text.find_first_not_of("0123456789");
    const std::string_view digits = text.substr(0, digits_end);
    const std::string_view suffix =
        digits_end == std::string_view::npos ? std::string_view{} : text.substr(digits_end);
    std::uint64_t count = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), count);
    if (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size()) {
        return std::nullopt;
    }
    for (const auto& [name, factor] : units) {
        if (suffix == name) {
            if (count > max / factor) {
                return std::nullopt;
            }
            return count * factor;
        }
    }
    return std::nullopt;
}

}  // namespace

std::optional<Duration> ParseDuration(std::string_view text) {
    const auto max = static_cast<std::uint64_t>(std::numeric_limits<Duration::rep>::max());
    const std::optional<std::uint64_t> millis = ParseScaled(text, kDurationUnits, max);
    if (!millis) {
        return std::nullopt;
    }
    return Duration(static_cast<Duration::rep>(*millis));
}

namespace detail {

std::string FormatDuration(Duration duration) {
    const auto millis = static_cast<std::uint64_t>(duration.count());
    for (auto unit = kDurationUnits.rbegin(); unit != kDurationUnits.rend(); ++unit) {
        if (millis != 0 && millis % unit->second == 0) {
            return std::to_string(millis / unit->second) + std::string(unit->first);
        }
    }
    return std::to_string(millis) + "ms";
}

std::optional<std::int64_t> ParseInteger(std::string_view text) {
    std::int64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) {
        return std::nullopt;
    }
    return value;
}

std::optional<std::size_t> ParseSize(std::string_view text) {
    return ParseScaled(text, kSizeUnits, std::numeric_limits<std::size_t>::max());
}

std::optional<ListenAddress> ParseListenAddress(std::string_view text) {
    ListenAddress::Scheme scheme = ListenAddress::Scheme::Unspecified;
    if (text.starts_with("http://")) {
        scheme = ListenAddress::Scheme::Http;
        text.remove_prefix(7);
    } else if (text.starts_with("https://")) {
        scheme = ListenAddress::Scheme::Https;
        text.remove_prefix(8);
    }
    std::string_view host;
    std::string_view port_text;
    if (text.starts_with('[')) {
        const std::size_t close = text.find("]:");
        if (close == std::string_view::npos) {
            return std::nullopt;
        }
        host = text.substr(1, close - 1);
        port_text = text.substr(close + 2);
    } else {
        const std::size_t colon = text.rfind(':');
        if (colon == std::string_view::npos) {
            return std::nullopt;
        }
        host = text.substr(0, colon);
        port_text = text.substr(colon + 1);
        if (host.find(':') != std::string_view::npos) {
            return std::nullopt;  // a bare IPv6 address: which colon ends it is ambiguous
        }
    }
    const std::optional<std::int64_t> port = ParseInteger(port_text);
    if (host.empty() || !port || *port < 0 || *port > 65535 || port_text.starts_with('-')) {
        return std::nullopt;
    }
    return ListenAddress{std::string(host), static_cast<std::uint16_t>(*port), scheme};
}

}  // namespace detail
}  // namespace jobd::config
