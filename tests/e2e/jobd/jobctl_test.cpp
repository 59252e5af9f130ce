// End to end: jobctl against the real daemon, over HTTP and the unix socket (contract §3).

#include <cstdlib>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <sys/wait.h>

#include "e2e/jobd/daemon_fixture.hpp"

namespace jobd::test {
namespace {

class JobctlTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        daemon_ = new JobdProcess();
        daemon_->AddCompany(47, "Demo");
        daemon_->AddUser("admin@example.com", 47, "IpsAdmin");
        daemon_->Start();
    }

    static void TearDownTestSuite() {
        delete daemon_;
        daemon_ = nullptr;
    }

    // `jobctl --socket <daemon socket> <args>`; stdout and stderr together.
    static CommandResult Jobctl(const std::string& args, const std::string& env = {}) {
        const auto out = daemon_->dir() / "jobctl.out";
        const std::string command = env + " '" + std::string(std::getenv("JOBD_BIN_DIR")) +
                                    "/jobctl' " + args + " >'" + out.string() + "' 2>&1";
        const int status = std::system(command.c_str());
        std::ifstream in(out);
        std::stringstream text;
        text << in.rdbuf();
        return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, text.str()};
    }

    static std::string Socket() {
        return "--socket '" + (daemon_->dir() / "jobd.sock").string() + "'";
    }

    static JobdProcess* daemon_;
};

JobdProcess* JobctlTest::daemon_ = nullptr;

TEST_F(JobctlTest, SubmitExecuteAndReadTheLogOverTheSocket) {
    const auto submitted = Jobctl(
        Socket() + " submit 47 'Hello Job' --schedule '0 0 0 1 1 ?' --command /bin/echo hello");
    ASSERT_EQ(submitted.exit_code, 0) << submitted.out;
    EXPECT_NE(submitted.out.find("47|Hello Job|"), std::string::npos) << submitted.out;
    const auto executed = Jobctl(Socket() + " execute 47 'Hello Job'");
    ASSERT_EQ(executed.exit_code, 0) << executed.out;
    EXPECT_TRUE(WaitFor(
        [&] { return Jobctl(Socket() + " logs 47").out.find("Succeeded") != std::string::npos; }));
    const auto details = Jobctl(Socket() + " --json log-details 47 'Hello Job'");
    EXPECT_EQ(details.exit_code, 0) << details.out;
    EXPECT_NE(details.out.find("hello"), std::string::npos) << details.out;
}

TEST_F(JobctlTest, FaultsExitNonZeroWithTheCode) {
    const auto missing = Jobctl(Socket() + " execute 47 'No Such Job'");
    EXPECT_EQ(missing.exit_code, 1);
    EXPECT_NE(missing.out.find("30001"), std::string::npos) << missing.out;
}

TEST_F(JobctlTest, HttpWithBasicCredentials) {
    const std::string url = "--url http://" + daemon_->HostPort();
    const auto denied = Jobctl(url + " logs 47", "JOBD_USER=admin@example.com JOBD_PASSWORD=wrong");
    EXPECT_EQ(denied.exit_code, 1);
    EXPECT_NE(denied.out.find("10001"), std::string::npos) << denied.out;
    const auto allowed =
        Jobctl(url + " logs 47", "JOBD_USER=admin@example.com JOBD_PASSWORD=secret-password");
    EXPECT_EQ(allowed.exit_code, 0) << allowed.out;
}

}  // namespace
}  // namespace jobd::test
