// End to end: jobctl against the real daemon, over HTTP and the unix socket (contract §3;
// issue #4 item 6): every subcommand works, prints a table or with --json the answer, has
// --help, and on a fault exits 1 with the fault on standard error.

#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>

#include <boost/json.hpp>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include "e2e/jobd/daemon_fixture.hpp"

namespace jobd::test {
namespace {

namespace json = boost::json;

const std::vector<std::string> kSubcommands{"submit",
                                            "execute",
                                            "stop",
                                            "pause",
                                            "resume",
                                            "delete",
                                            "active",
                                            "scheduled",
                                            "logs",
                                            "log-details",
                                            "add-company",
                                            "add-user"};

class JobctlTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        daemon_ = std::make_unique<JobdProcess>("runs:\n  stop_grace: 1s\n");
        AddDemoCompany(*daemon_);
        daemon_->AddUser("user@example.com", 47, "IpsUser");
        daemon_->Start();
    }

    static void TearDownTestSuite() { daemon_.reset(); }

    struct Output {
        int exit_code = -1;
        std::string out;  // standard output
        std::string err;  // standard error
    };

    static std::string ReadFile(const std::filesystem::path& path) {
        std::ifstream in(path);
        std::stringstream text;
        text << in.rdbuf();
        return text.str();
    }

    // `env jobctl <args>` with `stdin_text` on standard input.
    static Output Run(const std::string& args,
                      const std::string& env = {},
                      const std::string& stdin_text = {}) {
        const auto in = daemon_->dir() / "jobctl.in";
        const auto out = daemon_->dir() / "jobctl.out";
        const auto err = daemon_->dir() / "jobctl.err";
        std::ofstream(in) << stdin_text;
        const std::string command = "env -u JOBD_URL -u JOBD_SOCKET -u JOBD_TOKEN -u JOBD_USER " +
                                    env + " '" + std::string(std::getenv("JOBD_BIN_DIR")) +
                                    "/jobctl' " + args + " <'" + in.string() + "' >'" +
                                    out.string() + "' 2>'" + err.string() + "'";
        const int status = std::system(command.c_str());
        return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, ReadFile(out), ReadFile(err)};
    }

    static std::string Socket() {
        return "--socket '" + (daemon_->dir() / "jobd.sock").string() + "'";
    }

    static std::string Url() { return "--url http://" + daemon_->HostPort(); }

    // Over the socket: the daemon's own uid is IpsAdmin there.
    static Output Jobctl(const std::string& args, const std::string& stdin_text = {}) {
        return Run(Socket() + " " + args, {}, stdin_text);
    }

    static json::object JsonOf(const Output& output) {
        boost::system::error_code ec;
        const json::value value = json::parse(output.out, ec);
        EXPECT_FALSE(ec) << "not JSON: " << output.out << output.err;
        return !ec && value.is_object() ? value.as_object() : json::object();
    }

    static std::string LatestState(const std::string& job) {
        const auto details = Jobctl("--json log-details 47 '" + job + "'");
        const json::object answer = JsonOf(details);
        if (!answer.contains("jobLogArray")) {
            return {};
        }
        return answer.at("jobLogArray").at(0).at("state").as_string().c_str();
    }

    static std::unique_ptr<JobdProcess> daemon_;
};

std::unique_ptr<JobdProcess> JobctlTest::daemon_;

TEST_F(JobctlTest, SubmitExecuteAndReadTheLogOverTheSocket) {
    const auto submitted =
        Jobctl("submit 47 'Hello Job' --schedule '0 0 0 1 1 ?' --command /bin/echo hello");
    ASSERT_EQ(submitted.exit_code, 0) << submitted.err;
    EXPECT_EQ(submitted.out, "47|Hello Job|\n");
    const auto executed = Jobctl("execute 47 'Hello Job'");
    ASSERT_EQ(executed.exit_code, 0) << executed.err;
    EXPECT_TRUE(executed.out.starts_with("47|Hello Job|")) << executed.out;
    EXPECT_TRUE(WaitFor([&] { return LatestState("Hello Job") == "Succeeded"; }));
    const auto logs = Jobctl("logs 47");
    EXPECT_EQ(logs.exit_code, 0) << logs.err;
    EXPECT_TRUE(logs.out.starts_with("RUN ")) << logs.out;  // a table with a header
    EXPECT_NE(logs.out.find("Succeeded"), std::string::npos) << logs.out;
    const auto details = Jobctl("log-details 47 'Hello Job' --type Output");
    EXPECT_EQ(details.exit_code, 0) << details.err;
    EXPECT_NE(details.out.find("hello"), std::string::npos) << details.out;
}

// Every subcommand once, table and --json, in the order a job's life takes.
TEST_F(JobctlTest, EverySubcommandTableAndJson) {
    const auto typed = Jobctl(
        "--json submit 47 'Publish' --type imageServingPublishJob --field publishType=Full "
        "--field emailSetting=Error --schedule '0 30 2 * * ?' --tz Europe/Berlin "
        "--description nightly");
    ASSERT_EQ(typed.exit_code, 0) << typed.err;
    EXPECT_EQ(JsonOf(typed).at("jobHandle"), "47|Publish|");
    const auto at = Jobctl("submit 47 'Later' --command /bin/true --at 2030-01-01T00:00:00Z");
    EXPECT_EQ(at.exit_code, 0) << at.err;
    ASSERT_EQ(Jobctl("submit 47 Sleeper --schedule @yearly --timeout 60 -- /bin/sh -c 'sleep 60'")
                  .exit_code,
              0);

    const auto run = Jobctl("--json execute 47 Sleeper");
    ASSERT_EQ(run.exit_code, 0) << run.err;
    const std::string run_handle = JsonOf(run).at("runHandle").as_string().c_str();
    ASSERT_TRUE(WaitFor([&] { return LatestState("Sleeper") == "Running"; }));

    const auto active = Jobctl("active 47");
    EXPECT_EQ(active.exit_code, 0) << active.err;
    EXPECT_NE(active.out.find(run_handle), std::string::npos) << active.out;
    const auto active_json = Jobctl("active 47 --json");  // global options after the subcommand
    EXPECT_EQ(JsonOf(active_json).at("jobArray").as_array().size(), 1u) << active_json.out;

    const auto stopped = Jobctl("stop 47 Sleeper");
    EXPECT_EQ(stopped.exit_code, 0) << stopped.err;
    EXPECT_EQ(stopped.out, "stopped 47|Sleeper|\n");
    EXPECT_TRUE(WaitFor([&] { return LatestState("Sleeper") == "Stopped"; }));

    EXPECT_EQ(Jobctl("pause 47 '47|Publish|'").out, "paused 47|Publish|\n");
    const auto scheduled = Jobctl("scheduled 47");
    EXPECT_EQ(scheduled.exit_code, 0) << scheduled.err;
    EXPECT_NE(scheduled.out.find("Europe/Berlin"), std::string::npos) << scheduled.out;
    EXPECT_NE(scheduled.out.find("Paused"), std::string::npos) << scheduled.out;
    const auto scheduled_json = Jobctl("--json scheduled 47");
    EXPECT_GE(JsonOf(scheduled_json).at("jobArray").as_array().size(), 3u) << scheduled_json.out;
    EXPECT_EQ(Jobctl("resume 47 Publish").out, "resumed 47|Publish|\n");

    const auto logs = Jobctl("--json logs 47 --rows 1 --sort JobName --desc");
    EXPECT_EQ(logs.exit_code, 0) << logs.err;
    EXPECT_EQ(JsonOf(logs).at("jobLogArray").as_array().size(), 1u) << logs.out;
    const auto details = Jobctl("--json log-details 47 '" + run_handle + "' --per-page 1 --page 1");
    EXPECT_EQ(details.exit_code, 0) << details.err;
    EXPECT_EQ(JsonOf(details).at("jobLogArray").at(0).at("state"), "Stopped") << details.out;

    EXPECT_EQ(Jobctl("delete 47 Later").out, "deleted 47|Later|\n");

    const auto company = Jobctl("add-company 'Acme Images'");
    EXPECT_EQ(company.exit_code, 0) << company.err;
    const std::string handle = company.out.substr(0, company.out.find('\n'));
    EXPECT_GT(std::stoll(handle), 47) << company.out;
    const auto user = Jobctl(
        "--json add-user ops@example.com --company " + handle + " --role IpsUser --password-stdin",
        "long-enough\n");
    EXPECT_EQ(user.exit_code, 0) << user.err;
    EXPECT_TRUE(JsonOf(user).contains("userHandle")) << user.out;
    // The new user logs in with the password read from stdin.
    const auto as_user =
        Run(Url() + " logs " + handle, "JOBD_USER=ops@example.com JOBD_PASSWORD=long-enough");
    EXPECT_EQ(as_user.exit_code, 0) << as_user.err;
}

// Each subcommand's fault: exit 1, nothing on stdout, `jobctl: <fault> <code>: …` on stderr.
TEST_F(JobctlTest, FaultsExitOneWithTheFaultOnStderr) {
    ASSERT_EQ(Jobctl("submit 47 Idle --command /bin/true --schedule @daily").exit_code, 0);
    const std::pair<std::string, std::string> cases[] = {
        {"submit 47 Idle --command /bin/true", "ipsApiFault 30001"},  // the name is taken
        {"submit 47 Bad --command /bin/true --schedule '0 0 0 32 * ?'", "ipsApiFault 30001"},
        {"execute 47 'No Such Job'", "ipsApiFault 30001"},
        {"stop 47 Idle", "ipsApiFault 30001"},    // nothing running
        {"resume 47 Idle", "ipsApiFault 30001"},  // not paused
        {"pause 4711 Idle", "authorizationFault 20000"},
        {"delete 47 'No Such Job'", "ipsApiFault 30001"},
        {"active 4711", "authorizationFault 20000"},
        {"scheduled 4711", "authorizationFault 20000"},
        {"logs 47 --sort Nope", "ipsApiFault 30001"},
        {"log-details 47 'No Such Job'", "ipsApiFault 30001"},
        {"add-user new@example.com --company 4711 --role IpsUser --password-stdin",
         "authorizationFault 20000"},
    };
    for (const auto& [args, fault] : cases) {
        for (const std::string json : {"", "--json "}) {
            const auto output = Jobctl(json + args, "long-enough\n");
            EXPECT_EQ(output.exit_code, 1) << args << "\n" << output.out << output.err;
            EXPECT_TRUE(output.err.starts_with("jobctl: " + fault)) << args << "\n" << output.err;
            EXPECT_EQ(output.out, "") << args;
        }
    }
    // add-user as a non-admin over HTTP: the role may not.
    const auto refused = Run(Url() +
                                 " add-user x@example.com --company 47 --role IpsUser "
                                 "--password-stdin",
                             "JOBD_USER=user@example.com JOBD_PASSWORD=secret-password",
                             "long-enough\n");
    EXPECT_EQ(refused.exit_code, 1) << refused.err;
    EXPECT_TRUE(refused.err.starts_with("jobctl: authorizationFault 20003")) << refused.err;
}

TEST_F(JobctlTest, EverySubcommandHasHelp) {
    for (const auto& subcommand : kSubcommands) {
        const auto help = Run(subcommand + " --help");
        EXPECT_EQ(help.exit_code, 0) << subcommand << ": " << help.err;
        EXPECT_NE(help.out.find("Usage:"), std::string::npos) << subcommand << ": " << help.out;
        EXPECT_NE(help.out.find(subcommand), std::string::npos) << subcommand;
    }
    const auto top = Run("--help");
    EXPECT_EQ(top.exit_code, 0);
    for (const auto& subcommand : kSubcommands) {
        EXPECT_NE(top.out.find(subcommand), std::string::npos) << subcommand;
    }
}

TEST_F(JobctlTest, BadUsageExitsTwo) {
    for (const std::string args :
         {"", "frobnicate", "execute 47", "logs --rows 0", "add-company ''", "active x"}) {
        const auto output = Jobctl(args);
        EXPECT_EQ(output.exit_code, 2) << args << ": " << output.out << output.err;
    }
}

TEST_F(JobctlTest, HttpWithBasicCredentialsOrToken) {
    const auto denied = Run(Url() + " logs 47", "JOBD_USER=admin@example.com JOBD_PASSWORD=wrong");
    EXPECT_EQ(denied.exit_code, 1);
    EXPECT_TRUE(denied.err.starts_with("jobctl: authenticationFault 10001")) << denied.err;
    const auto allowed =
        Run(Url() + " logs 47", "JOBD_USER=admin@example.com JOBD_PASSWORD=secret-password");
    EXPECT_EQ(allowed.exit_code, 0) << allowed.err;

    const auto created = daemon_->Jobd({"admin", "add-token", "user@example.com", "--name", "ci"});
    ASSERT_EQ(created.exit_code, 0) << created.out;
    const std::string token = created.out.substr(0, created.out.find('\n'));
    const auto with_token = Run(Url() + " --json scheduled 47", "JOBD_TOKEN=" + token);
    EXPECT_EQ(with_token.exit_code, 0) << with_token.err;
    EXPECT_TRUE(JsonOf(with_token).contains("jobArray"));
    const auto no_credentials = Run(Url() + " scheduled 47");
    EXPECT_EQ(no_credentials.exit_code, 1);
    EXPECT_TRUE(no_credentials.err.starts_with("jobctl: authenticationFault 10000"))
        << no_credentials.err;
}

TEST_F(JobctlTest, UnreachableDaemonExitsOne) {
    const auto output = Run("--url http://127.0.0.1:1 --timeout 5 logs 47");
    EXPECT_EQ(output.exit_code, 1);
    EXPECT_NE(output.err.find("failed"), std::string::npos) << output.err;
}

}  // namespace
}  // namespace jobd::test
