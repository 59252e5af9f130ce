#include "jobd/metrics/text_format.hpp"

#include <charconv>
#include <cmath>
#include <system_error>

namespace jobd::metrics {

std::string EscapeLabelValue(std::string_view value) {
    std::string escaped;
    escaped.reserve(value.size());
    for (const char c : value) {
        switch (c) {
            case '\\': escaped += "\\\\"; break;
            case '"': escaped += "\\\""; break;
            case '\n': escaped += "\\n"; break;
            default: escaped += c;
        }
    }
    return escaped;
}

std::string EscapeHelp(std::string_view help) {
    std::string escaped;
    escaped.reserve(help.size());
    for (const char c : help) {
        switch (c) {
            case '\\': escaped += "\\\\"; break;
            case '\n': escaped += "\\n"; break;
            default: escaped += c;
        }
    }
    return escaped;
}

std::string FormatValue(double value) {
    if (std::isnan(value)) {
        return "NaN";
    }
    if (std::isinf(value)) {
        return value > 0 ? "+Inf" : "-Inf";
    }
    // Whole numbers (counts, epoch seconds) in full: the shortest form would be 1.784e+09.
    constexpr double kExactIntegers = 9007199254740992.0;  // 2^53
    if (std::trunc(value) == value && std::fabs(value) < kExactIntegers) {
        return std::to_string(static_cast<long long>(value));
    }
    char buffer[32];  // the shortest round-trip form of a double needs at most 24
    const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
    if (ec != std::errc()) {
        return "NaN";  // unreachable: the buffer is large enough for every double
    }
    return std::string(buffer, end);
}

void AppendSample(std::string& out, std::string_view name, const Labels& labels, double value) {
    out += name;
    if (!labels.empty()) {
        out += '{';
        for (std::size_t i = 0; i < labels.size(); ++i) {
            if (i > 0) {
                out += ',';
            }
            out += labels[i].first;
            out += "=\"";
            out += EscapeLabelValue(labels[i].second);
            out += '"';
        }
        out += '}';
    }
    out += ' ';
    out += FormatValue(value);
    out += '\n';
}

void AppendHeader(std::string& out,
                  std::string_view name,
                  std::string_view help,
                  std::string_view type) {
    out += "# HELP ";
    out += name;
    out += ' ';
    out += EscapeHelp(help);
    out += "\n# TYPE ";
    out += name;
    out += ' ';
    out += type;
    out += '\n';
}

}  // namespace jobd::metrics
