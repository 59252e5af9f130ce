// End to end: every role of contract §6 against every operation (issue #4). Allowed calls must
// get past authorization (any answer but 401/403); refused ones must be fault 20003.

#include <map>
#include <set>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "e2e/jobd/daemon_fixture.hpp"

namespace jobd::test {
namespace {

namespace json = boost::json;

const std::set<std::string> kJobOperations{"submitJob",
                                           "executeJob",
                                           "stopJob",
                                           "pauseJob",
                                           "resumeJob",
                                           "deleteJob",
                                           "getActiveJobs",
                                           "getScheduledJobs",
                                           "getJobLogs",
                                           "getJobLogDetails"};

// ips-jobs-api §7 with the contract's two fixes (IpsCompanyAdmin may submit and execute,
// TrialSiteAdmin may read log details); written out here, not derived from the code.
std::map<std::string, std::set<std::string>> Expected() {
    std::set<std::string> all = kJobOperations;
    all.insert({"addCompany", "addUser"});
    return {
        {"IpsAdmin", all},
        {"IpsCompanyAdmin", kJobOperations},
        {"IpsUser", kJobOperations},
        {"TrialSiteAdmin", kJobOperations},
        {"TrialSiteUser", kJobOperations},
        {"ImagePortalAdmin", kJobOperations},
        {"ImagePortalContrib", kJobOperations},
        {"ImagePortalContribUser", kJobOperations},
        {"ImagePortalUser", {"getJobLogs", "getJobLogDetails"}},
        {"WebServiceUser", {}},
    };
}

// The order runs deleteJob last, so the job each role works on exists until then.
const std::vector<std::string> kOrder{"submitJob",
                                      "executeJob",
                                      "stopJob",
                                      "pauseJob",
                                      "resumeJob",
                                      "getActiveJobs",
                                      "getScheduledJobs",
                                      "getJobLogs",
                                      "getJobLogDetails",
                                      "addCompany",
                                      "addUser",
                                      "deleteJob"};

std::string Body(const std::string& operation, const std::string& role) {
    const std::string job = R"("companyHandle":"47","jobHandle":"47|matrix-)" + role + R"(|")";
    if (operation == "submitJob") {
        return R"({"companyHandle":"47","jobName":"new-)" + role +
               R"(","execSchedule":"0 0 0 1 1 ?","imageServingPublishJob":{"publishType":"Full","emailSetting":"None"}})";
    }
    if (operation == "addCompany") {
        return R"({"companyName":"company-)" + role + R"("})";
    }
    if (operation == "addUser") {
        return R"({"email":"added-)" + role +
               R"(@example.com","password":"long-enough","defaultRole":"IpsUser","companyHandle":"47"})";
    }
    if (operation.starts_with("get") && operation != "getJobLogDetails") {
        return R"({"companyHandle":"47"})";
    }
    return "{" + job + "}";
}

TEST(RoleMatrix, EveryRoleAgainstEveryOperation) {
    JobdProcess daemon;
    AddDemoCompany(daemon);
    for (const auto& [role, allowed] : Expected()) {
        daemon.AddUser(role + "@example.com", 47, role);
    }
    daemon.Start();
    for (const auto& [role, allowed] : Expected()) {
        const auto created = daemon.Json(
            "submitJob",
            R"({"companyHandle":"47","jobName":"matrix-)" + role +
                R"(","execSchedule":"0 0 0 1 1 ?","overlap":"Allow","commandJob":{"argv":["/bin/true"]}})",
            "admin@example.com");
        ASSERT_EQ(created.status, 200) << created.body;
        for (const auto& operation : kOrder) {
            const auto answer =
                daemon.Json(operation, Body(operation, role), role + "@example.com");
            if (allowed.count(operation) > 0) {
                EXPECT_NE(answer.status, 401) << role << " " << operation << ": " << answer.body;
                EXPECT_NE(answer.status, 403) << role << " " << operation << ": " << answer.body;
            } else {
                EXPECT_EQ(answer.status, 403) << role << " " << operation << ": " << answer.body;
                EXPECT_EQ(json::parse(answer.body).at("code").as_int64(), 20003)
                    << role << " " << operation;
            }
        }
    }
}

}  // namespace
}  // namespace jobd::test
