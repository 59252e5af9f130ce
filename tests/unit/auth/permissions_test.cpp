#include "jobd/auth/permissions.hpp"

#include <array>
#include <string>

#include <gtest/gtest.h>

namespace jobd::auth {
namespace {

constexpr std::array<Operation, 12> kAllOperations{
    Operation::submitJob,
    Operation::executeJob,
    Operation::stopJob,
    Operation::pauseJob,
    Operation::resumeJob,
    Operation::deleteJob,
    Operation::getActiveJobs,
    Operation::getScheduledJobs,
    Operation::getJobLogs,
    Operation::getJobLogDetails,
    Operation::addCompany,
    Operation::addUser,
};

TEST(Operation, WireNamesRoundTrip) {
    for (const Operation operation : kAllOperations) {
        EXPECT_EQ(ParseOperation(ToString(operation)), operation) << ToString(operation);
    }
    EXPECT_EQ(ToString(Operation::getJobLogDetails), "getJobLogDetails");
}

TEST(Operation, ParseRefusesOtherSpellings) {
    for (const std::string_view text :
         {"", "SubmitJob", "submitjob", "submitJob ", "getAssetJobLogs"}) {
        EXPECT_EQ(ParseOperation(text), std::nullopt) << text;
    }
}

// One row per role: the operations it may call, in kAllOperations order (1 = may call).
// ips-jobs-api §7 as documented, plus contract §6: IpsCompanyAdmin submits and executes,
// TrialSiteAdmin reads log details; addCompany/addUser are IpsAdmin's alone.
struct RoleRow {
    Role role;
    std::string allowed;  // submit execute stop pause resume delete active scheduled logs
                          // details addCompany addUser
};

TEST(RoleMayCall, FollowsTheRoleTable) {
    const std::array<RoleRow, 10> table{{
        {Role::IpsAdmin, "111111111111"},
        {Role::IpsCompanyAdmin, "111111111100"},
        {Role::IpsUser, "111111111100"},
        {Role::WebServiceUser, "000000000000"},
        {Role::TrialSiteAdmin, "111111111100"},
        {Role::TrialSiteUser, "111111111100"},
        {Role::ImagePortalAdmin, "111111111100"},
        {Role::ImagePortalUser, "000000001100"},
        {Role::ImagePortalContrib, "111111111100"},
        {Role::ImagePortalContribUser, "111111111100"},
    }};
    for (const RoleRow& row : table) {
        for (std::size_t i = 0; i < kAllOperations.size(); ++i) {
            EXPECT_EQ(RoleMayCall(row.role, kAllOperations[i]), row.allowed[i] == '1')
                << ToString(row.role) << " " << ToString(kAllOperations[i]);
        }
    }
}

TEST(RoleMaySubmitCommandJob, OnlyAdministrators) {
    const std::array<std::pair<Role, bool>, 10> table{{
        {Role::IpsAdmin, true},
        {Role::IpsCompanyAdmin, true},
        {Role::IpsUser, false},
        {Role::WebServiceUser, false},
        {Role::TrialSiteAdmin, false},
        {Role::TrialSiteUser, false},
        {Role::ImagePortalAdmin, false},
        {Role::ImagePortalUser, false},
        {Role::ImagePortalContrib, false},
        {Role::ImagePortalContribUser, false},
    }};
    for (const auto& [role, allowed] : table) {
        EXPECT_EQ(RoleMaySubmitCommandJob(role), allowed) << ToString(role);
    }
}

}  // namespace
}  // namespace jobd::auth
