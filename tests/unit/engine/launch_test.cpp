#include "jobd/engine/launch.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "jobd/model/error.hpp"

namespace jobd::engine {
namespace {

using namespace std::chrono_literals;

store::RunLaunch Launch(std::string type, std::string payload, std::optional<int> timeout = {}) {
    store::RunLaunch launch;
    launch.run.id = 812;
    launch.run.company = 47;
    launch.run.job_name = "My Test Job";
    launch.run.trigger = Trigger::Execute;
    launch.job.job_type = std::move(type);
    launch.job.payload_json = std::move(payload);
    launch.job.timeout_seconds = timeout;
    return launch;
}

LaunchSettings Settings() {
    LaunchSettings settings;
    settings.handlers["exportJob"] = {{"libexec/ips-demo-handler", "--fast"}, 30min, {{"A", "1"}}};
    settings.default_timeout = 1h;
    settings.stop_grace = 10s;
    return settings;
}

TEST(BuildCommand, IpsJobTypeUsesItsHandler) {
    const auto command = BuildCommand(
        Launch("exportJob", R"({"fmt":"orig"})"), Settings(), "2026-11-23T12:00:00.000+01:00");
    EXPECT_EQ(command.argv, (std::vector<std::string>{"libexec/ips-demo-handler", "--fast"}));
    EXPECT_EQ(command.timeout, 30min);
    EXPECT_EQ(command.kill_grace, 10s);
    EXPECT_EQ(command.env.at("A"), "1");
    EXPECT_EQ(command.env.at("JOBD_COMPANY"), "47");
    EXPECT_EQ(command.env.at("JOBD_JOB_HANDLE"), "47|My Test Job|");
    EXPECT_EQ(command.env.at("JOBD_RUN_HANDLE"), "47|My Test Job|812");
    EXPECT_EQ(command.env.at("JOBD_TRIGGER"), "Execute");
    EXPECT_EQ(command.env.at("JOBD_SCHEDULED_AT"), "2026-11-23T12:00:00.000+01:00");
    // The payload goes to stdin as the job-type element.
    EXPECT_EQ(boost::json::parse(command.stdin_data).at("exportJob").at("fmt").as_string(), "orig");
}

TEST(BuildCommand, CommandJobRunsItsArgvAndTimeoutPrecedence) {
    const auto command = BuildCommand(
        Launch(
            "commandJob",
            R"({"argv":["/bin/echo","hi"],"env":{"X":"y"},"workingDir":"/tmp","timeoutSeconds":5})"),
        Settings(),
        "t");
    EXPECT_EQ(command.argv, (std::vector<std::string>{"/bin/echo", "hi"}));
    EXPECT_EQ(command.env.at("X"), "y");
    EXPECT_EQ(command.working_dir, "/tmp");
    EXPECT_EQ(command.timeout, 5s);
    // The job's own timeoutSeconds wins over the commandJob's.
    EXPECT_EQ(BuildCommand(
                  Launch("commandJob", R"({"argv":["x"],"timeoutSeconds":5})", 7), Settings(), "t")
                  .timeout,
              7s);
    EXPECT_EQ(BuildCommand(Launch("commandJob", R"({"argv":["x"]})"), Settings(), "t").timeout, 1h);
}

TEST(BuildCommand, RefusesWhatCannotRun) {
    const auto kind = [](const store::RunLaunch& launch) {
        try {
            BuildCommand(launch, Settings(), "t");
        } catch (const Error& e) {
            return e.kind();
        }
        return ErrorKind::Internal;
    };
    EXPECT_EQ(kind(Launch("videoPublishJob", "{}")), ErrorKind::InvalidParameter);
    EXPECT_EQ(kind(Launch("commandJob", R"({"argv":[]})")), ErrorKind::InvalidParameter);
    EXPECT_EQ(kind(Launch("commandJob", "not json")), ErrorKind::InvalidParameter);
}

}  // namespace
}  // namespace jobd::engine
