#include "jobd/client/table.hpp"

#include <gtest/gtest.h>

namespace jobd::client {
namespace {

TEST(FormatTable, AlignsColumnsToTheWidestCell) {
    const std::string table = FormatTable(
        {{"JOB"}, {"STATE"}, {"NOTE"}}, {{"47|Nightly|", "Running", "x"}, {"47|A|", "Queued", ""}});
    EXPECT_EQ(table,
              "JOB          STATE    NOTE\n"
              "47|Nightly|  Running  x\n"
              "47|A|        Queued\n");
}

TEST(FormatTable, RightAlignsNumericColumns) {
    const std::string table =
        FormatTable({{"EXIT", Align::Right}, {"RUN"}}, {{"0", "a"}, {"137", "b"}});
    EXPECT_EQ(table,
              "EXIT  RUN\n"
              "   0  a\n"
              " 137  b\n");
}

TEST(FormatTable, WithoutRowsPrintsTheHeader) {
    EXPECT_EQ(FormatTable({{"RUN"}, {"STATE"}}, {}), "RUN  STATE\n");
}

TEST(FormatTable, CountsUtf8CodePointsNotBytes) {
    const std::string table = FormatTable({{"NAME"}, {"X"}}, {{"Größe", "1"}, {"ab", "2"}});
    EXPECT_EQ(table,
              "NAME   X\n"
              "Größe  1\n"
              "ab     2\n");
}

// A job's output line may hold tabs or a stray newline; a row must stay one line.
TEST(FormatTable, ReplacesControlCharactersSoARowStaysOneLine) {
    EXPECT_EQ(FormatTable({{"MESSAGE"}}, {{"a\tb\nc\r"}}), "MESSAGE\na b c\n");
}

TEST(FormatTable, PadsShortRowsAndDropsExtraCells) {
    EXPECT_EQ(FormatTable({{"A"}, {"B"}}, {{"1"}, {"2", "3", "4"}}),
              "A  B\n"
              "1\n"
              "2  3\n");
}

struct WidthCase {
    std::string text;
    std::size_t width;
};

TEST(DisplayWidth, CountsCodePoints) {
    const WidthCase cases[] = {{"", 0}, {"abc", 3}, {"é", 1}, {"日本", 2}, {"😀x", 2}};
    for (const WidthCase& c : cases) {
        EXPECT_EQ(DisplayWidth(c.text), c.width) << c.text;
    }
}

}  // namespace
}  // namespace jobd::client
