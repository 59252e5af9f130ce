#include "jobd/model/handles.hpp"

#include <charconv>

namespace jobd {
namespace {

std::optional<std::int64_t> ParsePositiveDecimal(std::string_view text) {
    if (text.empty() || text.size() > 18 || (text.size() > 1 && text.front() == '0')) {
        return std::nullopt;
    }
    std::int64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size() || value < 0) {
        return std::nullopt;
    }
    return value;
}

// Splits "a|b|c" into exactly three fields; nullopt for any other count.
struct ThreeFields {
    std::string_view first, second, third;
};

std::optional<ThreeFields> SplitThree(std::string_view text) {
    const auto bar1 = text.find('|');
    if (bar1 == std::string_view::npos) {
        return std::nullopt;
    }
    const auto bar2 = text.find('|', bar1 + 1);
    if (bar2 == std::string_view::npos || text.find('|', bar2 + 1) != std::string_view::npos) {
        return std::nullopt;
    }
    return ThreeFields{
        text.substr(0, bar1), text.substr(bar1 + 1, bar2 - bar1 - 1), text.substr(bar2 + 1)};
}

}  // namespace

std::optional<CompanyId> ParseCompanyHandle(std::string_view text) {
    return ParsePositiveDecimal(text);
}

std::optional<JobHandle> ParseJobHandle(std::string_view text) {
    const auto fields = SplitThree(text);
    if (!fields || !fields->third.empty() || !IsValidJobName(fields->second)) {
        return std::nullopt;
    }
    const auto company = ParsePositiveDecimal(fields->first);
    if (!company) {
        return std::nullopt;
    }
    return JobHandle{*company, std::string(fields->second)};
}

std::optional<RunHandle> ParseRunHandle(std::string_view text) {
    const auto fields = SplitThree(text);
    if (!fields || !IsValidJobName(fields->second)) {
        return std::nullopt;
    }
    const auto company = ParsePositiveDecimal(fields->first);
    const auto run = ParsePositiveDecimal(fields->third);
    if (!company || !run) {
        return std::nullopt;
    }
    return RunHandle{*company, std::string(fields->second), *run};
}

std::string ToString(const JobHandle& handle) {
    return std::to_string(handle.company) + "|" + handle.name + "|";
}

std::string ToString(const RunHandle& handle) {
    return std::to_string(handle.company) + "|" + handle.job_name + "|" +
           std::to_string(handle.run);
}

bool IsValidJobName(std::string_view name) {
    if (name.empty() || name.size() > 255) {
        return false;
    }
    for (const char c : name) {
        if (c == '|' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
            return false;
        }
    }
    return true;
}

}  // namespace jobd
