#include "jobd/model/text.hpp"

#include <gtest/gtest.h>

namespace jobd {
namespace {

TEST(SanitizeUtf8, KeepsValidText) {
    EXPECT_EQ(SanitizeUtf8("Körning klar ✓ 🚀"), "Körning klar ✓ 🚀");
}

TEST(SanitizeUtf8, ReplacesInvalidBytesAndNul) {
    const std::string replacement = "\xEF\xBF\xBD";
    EXPECT_EQ(SanitizeUtf8(std::string("a\xFF"
                                       "b",
                                       3)),
              "a" + replacement + "b");
    EXPECT_EQ(SanitizeUtf8(std::string("a\0b", 3)), "a" + replacement + "b");
    EXPECT_EQ(SanitizeUtf8("\xC0\xAF"), replacement + replacement);  // overlong '/'
    EXPECT_EQ(SanitizeUtf8("\xED\xA0\x80"), replacement + replacement + replacement);  // surrogate
    EXPECT_EQ(SanitizeUtf8("\xE2\x9C"), replacement + replacement);                    // truncated
}

}  // namespace
}  // namespace jobd
