#include "jobd/model/handles.hpp"

#include <gtest/gtest.h>

namespace jobd {
namespace {

TEST(Handles, ParsesTheSeedJobHandle) {
    const auto handle = ParseJobHandle("47|My Test Job|");
    ASSERT_TRUE(handle);
    EXPECT_EQ(handle->company, 47);
    EXPECT_EQ(handle->name, "My Test Job");
    EXPECT_EQ(ToString(*handle), "47|My Test Job|");
}

TEST(Handles, ParsesARunHandle) {
    const auto handle = ParseRunHandle("47|My Test Job|812");
    ASSERT_TRUE(handle);
    EXPECT_EQ(handle->run, 812);
    EXPECT_EQ(handle->Job(), (JobHandle{47, "My Test Job"}));
    EXPECT_EQ(ToString(*handle), "47|My Test Job|812");
}

TEST(Handles, RejectsMalformedJobHandles) {
    for (const char* text : {"",
                             "47",
                             "47|",
                             "47||",
                             "|Job|",
                             "x|Job|",
                             "047|Job|",
                             "-1|Job|",
                             "47|Job",
                             "47|Job|1",
                             "47|a|b|",
                             "99999999999999999999|Job|",
                             "47|bad\nname|"}) {
        EXPECT_FALSE(ParseJobHandle(text)) << text;
    }
}

TEST(Handles, RejectsMalformedRunHandles) {
    for (const char* text : {"47|Job|", "47|Job|x", "47|Job|-3", "47||3", "47|Job|3|"}) {
        EXPECT_FALSE(ParseRunHandle(text)) << text;
    }
}

TEST(Handles, CompanyHandleIsADecimalId) {
    EXPECT_EQ(ParseCompanyHandle("47"), 47);
    EXPECT_EQ(ParseCompanyHandle("0"), 0);
    EXPECT_FALSE(ParseCompanyHandle("c|6"));
    EXPECT_FALSE(ParseCompanyHandle(" 47"));
    EXPECT_FALSE(ParseCompanyHandle("4.7"));
}

TEST(Handles, JobNamesExcludeBarsAndControls) {
    EXPECT_TRUE(IsValidJobName("Nightly publish (EU)"));
    EXPECT_FALSE(IsValidJobName(""));
    EXPECT_FALSE(IsValidJobName("a|b"));
    EXPECT_FALSE(IsValidJobName(std::string(256, 'x')));
}

}  // namespace
}  // namespace jobd
