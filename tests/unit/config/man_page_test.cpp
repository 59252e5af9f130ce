// jobd.yaml(5) is generated from the key table (docs/man/config_man_main.cpp); issue #7 item 3.

#include <string>

#include <gtest/gtest.h>

#include "jobd/config/config.hpp"

namespace jobd::config {
namespace {

TEST(DescribeKeysRoff, HasAParagraphPerKey) {
    const std::string roff = DescribeKeysRoff();
    for (const std::string key : {"node.name",
                                  "database.url",
                                  "api.tls.min_version",
                                  "workers.per_company_max_concurrent_runs",
                                  "handlers.<jobType>.env"}) {
        EXPECT_NE(roff.find(".TP\n\\&\\fB" + key + "\\fR (default: "), std::string::npos) << key;
    }
    EXPECT_NE(roff.find("\\fBautomatedSetGenerationJob\\fR."), std::string::npos);
}

// Every text line must be text to roff: a line starting with `.` or `'` would be a request.
TEST(DescribeKeysRoff, TextLinesCannotBeReadAsRequests) {
    const std::string roff = DescribeKeysRoff();
    std::size_t start = 0;
    while (start < roff.size()) {
        const std::size_t end = roff.find('\n', start);
        ASSERT_NE(end, std::string::npos) << "the last line ends with a newline";
        const std::string line = roff.substr(start, end - start);
        EXPECT_TRUE(line == ".TP" || line == ".PP" || line.starts_with("\\&") ||
                    line.starts_with("\\fI"))
            << line;
        start = end + 1;
    }
}

TEST(DescribeKeysRoff, SpellsMarkdownInRoff) {
    const std::string roff = DescribeKeysRoff();
    EXPECT_EQ(roff.find('`'), std::string::npos) << "code spans become bold";
    EXPECT_EQ(roff.find("×"), std::string::npos) << "non-ASCII signs become glyphs";
    EXPECT_NE(roff.find("2 \\(mu CPU cores"), std::string::npos);
}

}  // namespace
}  // namespace jobd::config
