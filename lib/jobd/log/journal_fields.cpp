#include "jobd/log/journal_fields.hpp"

#include <cctype>
#include <optional>

#include "jobd/model/handles.hpp"

namespace jobd::log {
namespace {

// syslog(3) priorities, as journald's PRIORITY field wants them.
std::string_view Priority(std::string_view level) {
    if (level == "critical") {
        return "2";
    }
    if (level == "error") {
        return "3";
    }
    if (level == "warning" || level == "warn") {
        return "4";
    }
    if (level == "info") {
        return "6";
    }
    return "7";  // debug, trace
}

bool IsKeyChar(char c) {
    return std::islower(static_cast<unsigned char>(c)) != 0 || c == '_';
}

// Whether `text` starts with ` key=` for some lowercase key.
bool StartsWithField(std::string_view text) {
    if (text.empty() || text[0] != ' ') {
        return false;
    }
    std::size_t i = 1;
    while (i < text.size() && IsKeyChar(text[i])) {
        ++i;
    }
    return i > 1 && i < text.size() && text[i] == '=';
}

// The value of `key=` in `message`, where the key begins the message or follows a space.
std::optional<std::string> FieldValue(std::string_view message, std::string_view key) {
    const std::string needle = std::string(key) + "=";
    for (std::size_t at = message.find(needle); at != std::string_view::npos;
         at = message.find(needle, at + 1)) {
        if (at != 0 && message[at - 1] != ' ') {
            continue;
        }
        const std::string_view rest = message.substr(at + needle.size());
        if (!rest.starts_with('"')) {
            return std::string(rest.substr(0, rest.find(' ')));
        }
        for (std::size_t quote = rest.find('"', 1); quote != std::string_view::npos;
             quote = rest.find('"', quote + 1)) {
            const std::string_view after = rest.substr(quote + 1);
            if (after.empty() || StartsWithField(after)) {
                return std::string(rest.substr(1, quote - 1));
            }
        }
        return std::string(rest.substr(1));  // unterminated: the rest of the line
    }
    return std::nullopt;
}

}  // namespace

std::vector<JournalField> JournalFields(std::string_view level,
                                        std::string_view subsystem,
                                        std::string_view message) {
    std::vector<JournalField> fields{
        {"MESSAGE", std::string(message)},
        {"PRIORITY", std::string(Priority(level))},
        {"SYSLOG_IDENTIFIER", "jobd"},
        {"JOBD_SUBSYSTEM", std::string(subsystem)},
    };
    const auto company_text = FieldValue(message, "company");
    const auto company = company_text ? ParseCompanyHandle(*company_text) : std::nullopt;
    if (company) {
        fields.push_back({"COMPANY", *company_text});
        const auto job = FieldValue(message, "job");
        if (job && IsValidJobName(*job)) {
            fields.push_back({"JOB_HANDLE", ToString(JobHandle{*company, *job})});
            const auto run_text = FieldValue(message, "run");
            const auto run = run_text
                                 ? ParseRunHandle(ToString(JobHandle{*company, *job}) + *run_text)
                                 : std::nullopt;
            if (run) {
                fields.push_back({"RUN_HANDLE", ToString(*run)});
            }
        }
    }
    if (const auto state = FieldValue(message, "state")) {
        fields.push_back({"STATE", *state});
    }
    return fields;
}

}  // namespace jobd::log
