#include "jobd/client/views.hpp"

#include <span>
#include <vector>

#include <boost/json/serialize.hpp>

#include "jobd/client/table.hpp"

namespace jobd::client {
namespace {

namespace json = boost::json;

constexpr std::string_view kMissing = "-";

enum class CellFormat { Plain, Duration };

struct ColumnSpec {
    std::string_view header;
    std::string_view key;
    Align align = Align::Left;
    CellFormat format = CellFormat::Plain;
};

constexpr ColumnSpec kActiveColumns[] = {
    {"RUN", "jobHandle"},
    {"TYPE", "type"},
    {"STATE", "state"},
    {"STARTED", "startDate"},
    {"PROGRESS", "progress", Align::Right},
    {"SERVER", "serverName"},
    {"MESSAGE", "progressMessage"},
};

constexpr ColumnSpec kScheduledColumns[] = {
    {"JOB", "jobHandle"},
    {"TYPE", "type"},
    {"SCHEDULE", "execSchedule"},
    {"ZONE", "timeZone"},
    {"NEXT FIRE", "nextFireTime"},
    {"STATE", "triggerState"},
    {"DESCRIPTION", "description"},
};

constexpr ColumnSpec kLogColumns[] = {
    {"RUN", "jobHandle"},
    {"STATE", "state"},
    {"TRIGGER", "trigger"},
    {"STARTED", "startDate"},
    {"DURATION", "durationMs", Align::Right, CellFormat::Duration},
    {"EXIT", "exitCode", Align::Right},
    {"SERVER", "serverName"},
    {"LOG TYPE", "logType"},
};

constexpr ColumnSpec kDetailColumns[] = {
    {"TIME", "dateCreated"},
    {"TYPE", "logType"},
    {"ASSET", "assetName"},
    {"MESSAGE", "logMessage"},
};

std::string CellText(const json::value* value) {
    if (value == nullptr || value->is_null()) {
        return std::string(kMissing);
    }
    if (value->is_string()) {
        const json::string& text = value->get_string();
        return text.empty() ? std::string(kMissing) : std::string(text);
    }
    if (value->is_bool()) {
        return value->get_bool() ? "true" : "false";
    }
    return json::serialize(*value);
}

std::string Cell(const json::object& row, const ColumnSpec& spec) {
    const json::value* value = row.if_contains(spec.key);
    if (spec.format == CellFormat::Duration && value != nullptr && value->is_int64()) {
        return FormatDurationMs(value->get_int64());
    }
    return CellText(value);
}

// JSON arrays are plain (contract §5); an IPS-style {"items": [...]} wrapper is accepted too.
const json::array* ArrayIn(const json::object& answer, std::string_view key) {
    const json::value* value = answer.if_contains(key);
    if (value != nullptr && value->is_object()) {
        value = value->get_object().if_contains("items");
    }
    return value != nullptr ? value->if_array() : nullptr;
}

std::string RenderArray(const json::array* items, std::span<const ColumnSpec> specs) {
    std::vector<Column> columns;
    for (const ColumnSpec& spec : specs) {
        columns.push_back({std::string(spec.header), spec.align});
    }
    std::vector<Row> rows;
    if (items == nullptr) {
        return FormatTable(columns, rows);
    }
    for (const json::value& item : *items) {
        if (const json::object* object = item.if_object()) {
            Row row;
            for (const ColumnSpec& spec : specs) {
                row.push_back(Cell(*object, spec));
            }
            rows.push_back(std::move(row));
        }
    }
    return FormatTable(columns, rows);
}

void AppendPretty(std::string& out, const json::value& value, std::size_t indent);

template <typename Items, typename Each>
void AppendBlock(
    std::string& out, const Items& items, char open, char close, std::size_t indent, Each each) {
    if (items.empty()) {
        out += open;
        out += close;
        return;
    }
    out += open;
    bool first = true;
    for (const auto& item : items) {
        out += first ? "\n" : ",\n";
        first = false;
        out.append(indent + 2, ' ');
        each(item);
    }
    out += '\n';
    out.append(indent, ' ');
    out += close;
}

void AppendPretty(std::string& out, const json::value& value, std::size_t indent) {
    if (const json::object* object = value.if_object()) {
        AppendBlock(out, *object, '{', '}', indent, [&](const json::key_value_pair& member) {
            out += json::serialize(json::value(member.key()));
            out += ": ";
            AppendPretty(out, member.value(), indent + 2);
        });
    } else if (const json::array* array = value.if_array()) {
        AppendBlock(out, *array, '[', ']', indent, [&](const json::value& item) {
            AppendPretty(out, item, indent + 2);
        });
    } else {
        out += json::serialize(value);
    }
}

std::string TwoDigits(std::int64_t value) {
    return (value < 10 ? "0" : "") + std::to_string(value);
}

std::string LogHeading(const json::object& log, std::size_t shown) {
    const json::value* total = log.if_contains("detailTotalRows");
    return CellText(log.if_contains("jobHandle")) +
           "  state=" + CellText(log.if_contains("state")) +
           "  exit=" + CellText(log.if_contains("exitCode")) + "  details " +
           std::to_string(shown) + " of " + CellText(total) + "\n";
}

}  // namespace

std::string PrettyJson(const json::value& value) {
    std::string out;
    AppendPretty(out, value, 0);
    out += '\n';
    return out;
}

std::string RenderActiveJobs(const json::object& answer) {
    return RenderArray(ArrayIn(answer, "jobArray"), kActiveColumns);
}

std::string RenderScheduledJobs(const json::object& answer) {
    return RenderArray(ArrayIn(answer, "jobArray"), kScheduledColumns);
}

std::string RenderJobLogs(const json::object& answer) {
    return RenderArray(ArrayIn(answer, "jobLogArray"), kLogColumns);
}

std::string RenderJobLogDetails(const json::object& answer) {
    std::string out;
    const json::array* logs = ArrayIn(answer, "jobLogArray");
    if (logs == nullptr) {
        return out;
    }
    for (const json::value& item : *logs) {
        const json::object* log = item.if_object();
        if (log == nullptr) {
            continue;
        }
        const json::array* details = ArrayIn(*log, "detailArray");
        out += out.empty() ? "" : "\n";
        out += LogHeading(*log, details != nullptr ? details->size() : 0);
        out += RenderArray(details, kDetailColumns);
    }
    return out;
}

std::string RenderField(const json::object& answer, std::string_view key) {
    return CellText(answer.if_contains(key)) + "\n";
}

std::string FormatDurationMs(std::int64_t milliseconds) {
    if (milliseconds < 1000) {
        return std::to_string(milliseconds) + "ms";
    }
    if (milliseconds < 60'000) {
        const std::int64_t tenths = milliseconds / 100;
        return std::to_string(tenths / 10) + "." + std::to_string(tenths % 10) + "s";
    }
    const std::int64_t seconds = milliseconds / 1000;
    if (seconds < 3600) {
        return std::to_string(seconds / 60) + "m" + TwoDigits(seconds % 60) + "s";
    }
    return std::to_string(seconds / 3600) + "h" + TwoDigits(seconds / 60 % 60) + "m";
}

}  // namespace jobd::client
