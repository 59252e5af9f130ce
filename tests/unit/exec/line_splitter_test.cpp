#include "jobd/exec/line_splitter.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace jobd::exec {
namespace {

// A small cap keeps the over-long cases readable; the production cap is kMaxLineBytes.
constexpr std::size_t kCap = 4;

struct SplitCase {
    const char* name;
    std::vector<std::string> chunks;  // fed one after the other
    std::vector<std::string> lines;   // expected after Finish
};

std::vector<std::string> Split(const std::vector<std::string>& chunks) {
    std::vector<std::string> lines;
    const LineSplitter::LineSink collect = [&lines](std::string_view line) {
        lines.emplace_back(line);
    };
    LineSplitter splitter(kCap);
    for (const std::string& chunk : chunks) {
        splitter.Feed(chunk, collect);
    }
    splitter.Finish(collect);
    return lines;
}

const SplitCase kCases[] = {
    {"NothingGivesNoLines", {}, {}},
    {"EmptyChunkGivesNoLines", {""}, {}},
    {"NewlineEndsLine", {"ab\ncd\n"}, {"ab", "cd"}},
    {"CrLfEndsLine", {"ab\r\ncd\r\n"}, {"ab", "cd"}},
    {"LoneCrIsContent", {"a\rb\n"}, {"a\rb"}},
    {"EmptyLinesKept", {"\n\na\n"}, {"", "", "a"}},
    {"UnterminatedLastLineAtFinish", {"ab\ncd"}, {"ab", "cd"}},
    {"LineAcrossChunks", {"a", "b", "c\nd"}, {"abc", "d"}},
    {"CrLfAcrossChunks", {"ab\r", "\ncd"}, {"ab", "cd"}},
    {"LineAtCapIsWhole", {"abcd\n"}, {"abcd"}},
    {"LineAtCapWithCrLfIsWhole", {"abcd\r\n"}, {"abcd"}},
    {"LineAtCapWithCrLfAcrossChunks", {"abcd\r", "\n"}, {"abcd"}},
    {"LongLineSplitAtCap", {"abcdefghij\n"}, {"abcd", "efgh", "ij"}},
    {"LongLineAcrossChunksSplitAtCap", {"abc", "def", "ghi\n"}, {"abcd", "efgh", "i"}},
    {"CrAfterCapFollowedByContent", {"abcd\rx\n"}, {"abcd", "\rx"}},
    {"LongUnterminatedLineSplitAtFinish", {"abcd\r"}, {"abcd", "\r"}},
};

class LineSplitterCases : public testing::TestWithParam<SplitCase> {};

TEST_P(LineSplitterCases, SplitsAsExpected) {
    EXPECT_EQ(Split(GetParam().chunks), GetParam().lines);
}

INSTANTIATE_TEST_SUITE_P(Table,
                         LineSplitterCases,
                         testing::ValuesIn(kCases),
                         [](const testing::TestParamInfo<SplitCase>& param_info) {
                             return std::string(param_info.param.name);
                         });

}  // namespace
}  // namespace jobd::exec
