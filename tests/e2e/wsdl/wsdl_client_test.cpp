// End to end: a client that the stock `soap` npm package generates from GET /IpsApi.wsdl calls
// every operation of the real daemon (issue #4, contract §5). The Node.js script asserts each
// answer as it goes; this test starts the daemon, runs it, and checks what it reports.

#include <cstdlib>
#include <fstream>
#include <sstream>

#include <boost/json.hpp>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include "e2e/jobd/daemon_fixture.hpp"

namespace jobd::test {
namespace {

namespace json = boost::json;

std::string ReadFile(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

TEST(WsdlClient, SoapPackageCallsEveryOperation) {
    JobdProcess daemon;
    StartDemoDaemon(daemon);

    const auto out = daemon.dir() / "client.out";
    const auto err = daemon.dir() / "client.err";
    const std::string command =
        std::string("node '") + std::getenv("JOBD_WSDL_CLIENT") + "' http://" + daemon.HostPort() +
        " admin@example.com secret-password >'" + out.string() + "' 2>'" + err.string() + "'";
    const int status = std::system(command.c_str());
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
        << "the client failed:\n"
        << ReadFile(err) << "\nits answers so far: " << ReadFile(out) << "\njobd's log:\n"
        << daemon.Log();

    const json::object answers = json::parse(ReadFile(out)).as_object();
    for (const char* operation : {"submitJob",
                                  "executeJob",
                                  "stopJob",
                                  "pauseJob",
                                  "resumeJob",
                                  "deleteJob",
                                  "getActiveJobs",
                                  "getScheduledJobs",
                                  "getJobLogs",
                                  "getJobLogDetails",
                                  "addCompany",
                                  "addUser"}) {
        EXPECT_TRUE(answers.contains(operation)) << operation << " was not called";
    }
    EXPECT_EQ(answers.at("submitJob").at("jobHandle"), "47|wsdl-client-job|");
    EXPECT_EQ(answers.at("fault").at("code"), 30001);
    EXPECT_EQ(daemon.Terminate(), 0);
}

}  // namespace
}  // namespace jobd::test
