// The pieces of Prometheus' text exposition format 0.0.4: escaping and number spelling.

#include "jobd/metrics/text_format.hpp"

#include <cmath>
#include <limits>

#include <gtest/gtest.h>

namespace jobd::metrics {
namespace {

TEST(EscapeLabelValue, EscapesBackslashQuoteAndLineFeedOnly) {
    const struct {
        const char* raw;
        const char* escaped;
    } cases[] = {
        {"47", "47"},
        {R"(a\b)", R"(a\\b)"},
        {R"(say "hi")", R"(say \"hi\")"},
        {"two\nlines", R"(two\nlines)"},
        {"tab\there", "tab\there"},  // the format escapes nothing else
        {"Grüße", "Grüße"},          // UTF-8 passes as is
        {"", ""},
    };

    for (const auto& c : cases) {
        EXPECT_EQ(EscapeLabelValue(c.raw), c.escaped) << c.raw;
    }
}

TEST(EscapeHelp, EscapesBackslashAndLineFeedButNotQuotes) {
    EXPECT_EQ(EscapeHelp("a \"quoted\" \\ path\nnext"), R"(a "quoted" \\ path\nnext)");
}

TEST(FormatValue, SpellsNumbersAsPrometheusParsesThem) {
    const struct {
        double value;
        const char* text;
    } cases[] = {
        {0, "0"},
        {3, "3"},
        {0.25, "0.25"},
        {0.001, "0.001"},
        {-1.5, "-1.5"},
        {1784000000.5, "1784000000.5"},
        {1784000000, "1784000000"},  // not 1.784e+09
        {-7, "-7"},
        {1e20, "1e+20"},
        {std::numeric_limits<double>::infinity(), "+Inf"},
        {-std::numeric_limits<double>::infinity(), "-Inf"},
        {std::nan(""), "NaN"},
    };

    for (const auto& c : cases) {
        EXPECT_EQ(FormatValue(c.value), c.text) << c.value;
    }
}

TEST(FormatValue, ShortestTextReadsBackAsTheSameDouble) {
    for (const double value : {0.1, 1.0 / 3, 1e-5, 123456789.123, 2.5e300}) {
        EXPECT_EQ(std::stod(FormatValue(value)), value);
    }
}

TEST(AppendSample, WritesNameLabelsInOrderAndValue) {
    std::string out;
    AppendSample(out, "jobd_x_total", {{"company", "47"}, {"state", "Failed"}}, 2);
    AppendSample(out, "jobd_y", {}, 0.5);
    EXPECT_EQ(out, "jobd_x_total{company=\"47\",state=\"Failed\"} 2\njobd_y 0.5\n");
}

TEST(AppendSample, EscapesLabelValues) {
    std::string out;
    AppendSample(out, "m", {{"path", "C:\\x \"y\"\n"}}, 1);
    EXPECT_EQ(out, "m{path=\"C:\\\\x \\\"y\\\"\\n\"} 1\n");
}

TEST(AppendHeader, WritesHelpThenType) {
    std::string out;
    AppendHeader(out, "jobd_runs_queued", "Runs \\ waiting\nfor a worker.", "gauge");
    EXPECT_EQ(out,
              "# HELP jobd_runs_queued Runs \\\\ waiting\\nfor a worker.\n"
              "# TYPE jobd_runs_queued gauge\n");
}

}  // namespace
}  // namespace jobd::metrics
