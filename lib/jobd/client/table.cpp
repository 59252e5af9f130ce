#include "jobd/client/table.hpp"

#include <algorithm>

namespace jobd::client {
namespace {

constexpr std::string_view kGap = "  ";

std::string Sanitize(const std::string& text) {
    std::string clean = text;
    std::replace_if(
        clean.begin(),
        clean.end(),
        [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == '\x7f'; },
        ' ');
    return clean;
}

std::vector<Row> SanitizedCells(const std::vector<Column>& columns, const std::vector<Row>& rows) {
    std::vector<Row> cells;
    cells.reserve(rows.size() + 1);
    Row header;
    for (const Column& column : columns) {
        header.push_back(Sanitize(column.header));
    }
    cells.push_back(std::move(header));
    for (const Row& row : rows) {
        Row clean(columns.size());
        for (std::size_t i = 0; i < columns.size() && i < row.size(); ++i) {
            clean[i] = Sanitize(row[i]);
        }
        cells.push_back(std::move(clean));
    }
    return cells;
}

std::vector<std::size_t> ColumnWidths(const std::vector<Row>& cells, std::size_t count) {
    std::vector<std::size_t> widths(count, 0);
    for (const Row& row : cells) {
        for (std::size_t i = 0; i < count; ++i) {
            widths[i] = std::max(widths[i], DisplayWidth(row[i]));
        }
    }
    return widths;
}

void AppendLine(std::string& out,
                const std::vector<Column>& columns,
                const std::vector<std::size_t>& widths,
                const Row& row) {
    std::string line;
    for (std::size_t i = 0; i < columns.size(); ++i) {
        const std::string padding(widths[i] - DisplayWidth(row[i]), ' ');
        if (i > 0) {
            line += kGap;
        }
        line += columns[i].align == Align::Right ? padding + row[i] : row[i] + padding;
    }
    // The last column is padded too when left-aligned; trailing blanks help nobody.
    line.erase(line.find_last_not_of(' ') + 1);
    out += line;
    out += '\n';
}

}  // namespace

std::size_t DisplayWidth(const std::string& text) {
    // Continuation bytes are 10xxxxxx; every other byte starts a code point.
    return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
        return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    }));
}

std::string FormatTable(const std::vector<Column>& columns, const std::vector<Row>& rows) {
    const std::vector<Row> cells = SanitizedCells(columns, rows);
    const std::vector<std::size_t> widths = ColumnWidths(cells, columns.size());
    std::string out;
    for (const Row& row : cells) {
        AppendLine(out, columns, widths, row);
    }
    return out;
}

}  // namespace jobd::client
