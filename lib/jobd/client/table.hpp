#pragma once
// Aligned text tables for jobctl's default output. Pure: strings in, one string out.
// Widths count UTF-8 code points, not bytes, so accented names line up; East Asian wide
// characters are counted as one column. A cell's control characters (newlines from job output,
// tabs) become spaces so that one row stays one line.

#include <string>
#include <vector>

namespace jobd::client {

enum class Align { Left, Right };

struct Column {
    std::string header;
    Align align = Align::Left;
};

using Row = std::vector<std::string>;

// Header line, then one line per row; cells separated by two spaces, no trailing blanks.
// A row with fewer cells than columns gets empty cells; extra cells are dropped.
std::string FormatTable(const std::vector<Column>& columns, const std::vector<Row>& rows);

// Number of UTF-8 code points in `text` (the column width it takes in a terminal).
std::size_t DisplayWidth(const std::string& text);

}  // namespace jobd::client
