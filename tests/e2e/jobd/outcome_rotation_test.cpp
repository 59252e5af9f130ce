// Issue #7 item 4: logrotate renames a company's outcome file and reloads jobd (SIGHUP). The
// next finished run must start a new file and the renamed one must never be written again, so
// no line is lost and copytruncate is not needed. jobd opens the file for each line it appends.

#include <csignal>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "e2e/jobd/daemon_fixture.hpp"

namespace jobd::test {
namespace {

namespace json = boost::json;

std::vector<std::string> Lines(const std::filesystem::path& file) {
    std::ifstream in(file);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) {
        lines.push_back(line);
    }
    return lines;
}

std::string Execute(const JobdProcess& daemon, const std::string& job_handle) {
    const auto answer = daemon.Json("executeJob",
                                    R"({"companyHandle":"47","jobHandle":")" + job_handle + R"("})",
                                    "admin@example.com");
    EXPECT_EQ(answer.status, 200) << answer.body;
    return json::parse(answer.body).at("runHandle").as_string().c_str();
}

bool HasRun(const std::vector<std::string>& lines, const std::string& run_handle) {
    for (const auto& line : lines) {
        if (json::parse(line).at("run").as_string() == run_handle) {
            return true;
        }
    }
    return false;
}

TEST(OutcomeRotation, RunAfterRenameAndReloadStartsANewFile) {
    JobdProcess daemon;
    StartDemoDaemon(daemon);
    const auto submitted = daemon.Json("submitJob",
                                       R"({"companyHandle":"47","jobName":"Rotated",
            "execSchedule":"0 0 0 1 1 ?","commandJob":{"argv":["/bin/true"]}})",
                                       "admin@example.com");
    ASSERT_EQ(submitted.status, 200) << submitted.body;
    const std::string job = json::parse(submitted.body).at("jobHandle").as_string().c_str();
    const auto file = daemon.dir() / "log" / "companies" / "47.log";
    const auto rotated = daemon.dir() / "log" / "companies" / "47.log.1";

    const std::string first = Execute(daemon, job);
    ASSERT_TRUE(WaitFor([&] { return HasRun(Lines(file), first); })) << daemon.Log();

    std::filesystem::rename(file, rotated);  // what logrotate does, then its postrotate:
    daemon.SendSignal(SIGHUP);
    ASSERT_TRUE(WaitFor([&] { return daemon.Log().find("config reloaded") != std::string::npos; }));

    const std::string second = Execute(daemon, job);
    ASSERT_TRUE(WaitFor([&] { return HasRun(Lines(file), second); })) << daemon.Log();
    EXPECT_EQ(Lines(file).size(), 1U);
    const auto old_lines = Lines(rotated);
    ASSERT_EQ(old_lines.size(), 1U);
    EXPECT_TRUE(HasRun(old_lines, first));
    EXPECT_EQ(daemon.Terminate(), 0);
}

}  // namespace
}  // namespace jobd::test
