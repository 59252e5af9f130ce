#pragma once
// Runs the real build/bin/jobd for end-to-end tests (STYLE.md "Tests"): a temp directory with
// its config, a fresh database from the test cluster, readiness and the bound port learned from
// sd_notify (READY=1, STATUS=listening on host:port) through a NOTIFY_SOCKET the test owns.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

#include "support/test_database.hpp"

namespace jobd::test {

struct HttpAnswer {
    int status = 0;
    std::string body;
    std::map<std::string, std::string> headers;  // lower-case names
};

// Output of a jobd subcommand.
struct CommandResult {
    int exit_code = -1;
    std::string out;
};

// A node of a cluster (issue #6): several JobdProcess share one database, each with its own
// node.name, directory and listeners.
struct ClusterNode {
    std::string database_url;  // e.g. a TestDatabase's, or the first node's database_url()
    std::string name;          // node.name
};

class JobdProcess {
public:
    // `extra_yaml` is appended to the generated config (e.g. "runs:\n  stop_grace: 1s\n"),
    // `api_yaml` to its api section (e.g. "  max_body_bytes: 4KiB\n"); an api_yaml with its own
    // "  listen:" replaces the default 127.0.0.1:0. The last listener the daemon reports is the
    // one Post, Get and HostPort() use (an https:// one only through a test's own TLS client).
    // `cluster_url`: the database is made on that cluster (a PgCluster) instead of the shared one.
    explicit JobdProcess(std::string extra_yaml = {},
                         std::string api_yaml = {},
                         const std::string& cluster_url = {});
    // A node on a database it does not own (nor drop); otherwise the same.
    explicit JobdProcess(ClusterNode node, std::string extra_yaml = {});
    ~JobdProcess();  // SIGKILLs a daemon still running

    JobdProcess(const JobdProcess&) = delete;
    JobdProcess& operator=(const JobdProcess&) = delete;

    // Starts the daemon and waits for READY=1 (deadline 30 s); throws on failure. A daemon
    // stopped by Terminate() may be started again (its log goes on in the same file).
    void Start();
    // SIGTERM, then waits for the exit (deadline); returns the exit code, -1 on a signal death
    // or when the daemon never started (no signal is sent then).
    int Terminate(std::chrono::seconds deadline = std::chrono::seconds(30));
    void SendSignal(int signal) const;
    // SIGKILL (a crash), and waits for the death; the daemon may be started again.
    void Kill();

    // The URL the daemon (not its admin subcommands) is given from the next Start() on, e.g.
    // through a TcpProxy; database_url() stays the direct one for the test's own checks.
    void SetDaemonDatabaseUrl(std::string url) { daemon_database_url_ = std::move(url); }

    // An environment variable for the daemon from the next Start() on (WATCHDOG_USEC=…).
    void SetEnv(std::string name, std::string value) { env_[std::move(name)] = std::move(value); }

    // Waits for a datagram on the daemon's NOTIFY_SOCKET holding `line` (e.g. "WATCHDOG=1").
    bool WaitForNotify(const std::string& line, std::chrono::milliseconds deadline) const;

    // `jobd <args…> --config <this config>` with `stdin_text` on stdin.
    CommandResult Jobd(const std::vector<std::string>& args,
                       const std::string& stdin_text = {}) const;

    // Creates company `company` and a user with `role` in it (password "secret-password").
    void AddUser(const std::string& email, std::int64_t company, const std::string& role) const;
    void AddCompany(std::int64_t company, const std::string& name) const;

    HttpAnswer Post(const std::string& target,
                    const std::string& body,
                    const std::map<std::string, std::string>& headers = {}) const;
    HttpAnswer Get(const std::string& target) const;
    // JSON API call with HTTP Basic credentials.
    HttpAnswer Json(const std::string& operation,
                    const std::string& body,
                    const std::string& user,
                    const std::string& password = "secret-password") const;
    HttpAnswer PostUnix(const std::string& target, const std::string& body) const;

    const std::filesystem::path& dir() const { return dir_; }

    std::string HostPort() const { return host_ + ":" + port_; }

    const std::string& port() const { return port_; }

    const std::filesystem::path& config_path() const { return config_; }

    const std::string& database_url() const { return database_url_; }

    const std::string& node_name() const { return node_name_; }

    pid_t pid() const { return pid_; }

    // The daemon's stderr so far (its log).
    std::string Log() const;

private:
    std::string WaitForReady(std::chrono::seconds deadline);
    void WriteConfig(const std::string& extra_yaml, const std::string& api_yaml) const;

    std::unique_ptr<TestDatabase> own_database_;  // null for a ClusterNode
    std::string database_url_;
    std::string node_name_;
    std::filesystem::path dir_;
    std::filesystem::path config_;
    std::string daemon_database_url_;  // empty: database_url_
    std::map<std::string, std::string> env_;
    int notify_fd_ = -1;
    pid_t pid_ = 0;
    std::string host_;
    std::string port_;
};

// The setup most e2e tests share: company 47 "Demo" with admin@example.com, an IpsAdmin.
inline constexpr std::int64_t kDemoCompany = 47;
inline constexpr const char* kDemoAdmin = "admin@example.com";

// Adds the demo company and its admin to `daemon`'s database; starts nothing, so a test may add
// more before Start().
void AddDemoCompany(const JobdProcess& daemon);
// AddDemoCompany, then Start().
void StartDemoDaemon(JobdProcess& daemon);
// A new daemon (the JobdProcess constructor's arguments) with the demo company, started.
std::unique_ptr<JobdProcess> StartDemoDaemon(std::string extra_yaml = {},
                                             std::string api_yaml = {});

// Polls `condition` every 20 ms until it is true or `deadline` passes; returns its last value.
bool WaitFor(const std::function<bool()>& condition,
             std::chrono::milliseconds deadline = std::chrono::seconds(20));

std::string BasicAuth(const std::string& user, const std::string& password);

// The value of one series of a /metrics exposition (`name{labels}` exactly as written), or
// nullopt when not written.
std::optional<double> MetricSample(const std::string& exposition, const std::string& series);

// The <code> of a SOAP fault in `body`, -1 when it holds none.
int SoapFaultCode(const std::string& body);

}  // namespace jobd::test
