#include "e2e/jobd/daemon_fixture.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/beast/core/detail/base64.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

namespace jobd::test {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;

std::string Env(const char* name) {
    const char* value = std::getenv(name);
    if (value == nullptr) {
        throw std::runtime_error(std::string("$") + name + " is not set: run through ctest");
    }
    return value;
}

std::filesystem::path MakeTempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "jobd-e2e-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
        throw std::runtime_error("mkdtemp failed");
    }
    return pattern;
}

std::string ReadFile(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

template <typename Stream>
HttpAnswer Exchange(Stream& stream,
                    const std::string& method,
                    const std::string& target,
                    const std::string& body,
                    const std::map<std::string, std::string>& headers) {
    http::request<http::string_body> request{
        method == "GET" ? http::verb::get : http::verb::post, target, 11};
    request.set(http::field::host, "localhost");
    for (const auto& [name, value] : headers) {
        request.set(name, value);
    }
    request.body() = body;
    request.prepare_payload();
    http::write(stream, request);
    boost::beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    http::read(stream, buffer, parser);
    auto& response = parser.get();
    HttpAnswer answer{static_cast<int>(response.result_int()), response.body(), {}};
    for (const auto& field : response) {
        std::string name(field.name_string());
        for (auto& c : name) {
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
        answer.headers[name] = std::string(field.value());
    }
    return answer;
}

}  // namespace

std::optional<double> MetricSample(const std::string& exposition, const std::string& series) {
    std::istringstream lines(exposition);
    for (std::string line; std::getline(lines, line);) {
        if (line.starts_with(series + " ")) {
            return std::stod(line.substr(series.size() + 1));
        }
    }
    return std::nullopt;
}

std::string BasicAuth(const std::string& user, const std::string& password) {
    const std::string plain = user + ":" + password;
    std::string encoded(boost::beast::detail::base64::encoded_size(plain.size()), '\0');
    encoded.resize(
        boost::beast::detail::base64::encode(encoded.data(), plain.data(), plain.size()));
    return "Basic " + encoded;
}

void AddDemoCompany(const JobdProcess& daemon) {
    daemon.AddCompany(kDemoCompany, "Demo");
    daemon.AddUser(kDemoAdmin, kDemoCompany, "IpsAdmin");
}

void StartDemoDaemon(JobdProcess& daemon) {
    AddDemoCompany(daemon);
    daemon.Start();
}

std::unique_ptr<JobdProcess> StartDemoDaemon(std::string extra_yaml, std::string api_yaml) {
    auto daemon = std::make_unique<JobdProcess>(std::move(extra_yaml), std::move(api_yaml));
    StartDemoDaemon(*daemon);
    return daemon;
}

int SoapFaultCode(const std::string& body) {
    const auto start = body.find("<code>");
    const auto end = body.find("</code>");
    if (start == std::string::npos || end == std::string::npos) {
        return -1;
    }
    return std::stoi(body.substr(start + 6, end - start - 6));
}

bool WaitFor(const std::function<bool()>& condition, std::chrono::milliseconds deadline) {
    const auto until = std::chrono::steady_clock::now() + deadline;
    while (!condition()) {
        if (std::chrono::steady_clock::now() > until) {
            return condition();
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return true;
}

JobdProcess::JobdProcess(std::string extra_yaml,
                         std::string api_yaml,
                         const std::string& cluster_url)
    : own_database_(std::make_unique<TestDatabase>(
          Schema::Migrated, cluster_url.empty() ? ClusterUrl() : cluster_url)),
      database_url_(own_database_->url()),
      node_name_("e2e-node"),
      dir_(MakeTempDir()),
      config_(dir_ / "jobd.yaml") {
    WriteConfig(extra_yaml, api_yaml);
}

JobdProcess::JobdProcess(ClusterNode node, std::string extra_yaml)
    : database_url_(std::move(node.database_url)),
      node_name_(std::move(node.name)),
      dir_(MakeTempDir()),
      config_(dir_ / "jobd.yaml") {
    WriteConfig(extra_yaml, {});
}

void JobdProcess::WriteConfig(const std::string& extra_yaml, const std::string& api_yaml) const {
    const std::string handler = Env("JOBD_SOURCE_DIR") + "/libexec/ips-demo-handler";
    std::ofstream config(config_);
    config << "node:\n  name: " << node_name_ << "\n"
           << "api:\n"
           << (api_yaml.find("  listen:") == std::string::npos ? "  listen: 127.0.0.1:0\n" : "")
           << "  unix_socket: " << (dir_ / "jobd.sock").string() << "\n"
           << api_yaml << "log:\n  dir: " << (dir_ / "log").string() << "\n  level: debug\n"
           << "workers:\n  max_concurrent_runs: 4\n"
           << "handlers:\n"
           << "  imageServingPublishJob:\n    command: [" << handler << "]\n"
           << "  exportJob:\n    command: [" << handler << "]\n"
           << extra_yaml;
}

JobdProcess::~JobdProcess() {
    if (pid_ > 0) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
    }
    if (notify_fd_ >= 0) {
        ::close(notify_fd_);
    }
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
}

void JobdProcess::Start() {
    const std::string notify_path = (dir_ / "notify.sock").string();
    if (notify_fd_ < 0) {  // made once: a stopped daemon may be started again
        notify_fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        std::snprintf(address.sun_path, sizeof address.sun_path, "%s", notify_path.c_str());
        if (::bind(notify_fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
            throw std::runtime_error("cannot bind NOTIFY_SOCKET " + notify_path);
        }
    }
    const std::string jobd = Env("JOBD_BIN_DIR") + "/jobd";
    const std::string config = config_.string();
    const std::string log = (dir_ / "jobd.stderr").string();
    const std::string url = daemon_database_url_.empty() ? database_url_ : daemon_database_url_;
    pid_ = ::fork();
    if (pid_ == 0) {
        // A test killed by ctest's timeout must not leave its daemon behind.
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        ::setenv("NOTIFY_SOCKET", notify_path.c_str(), 1);
        ::setenv("JOBD_DATABASE_URL", url.c_str(), 1);
        for (const auto& [name, value] : env_) {
            ::setenv(name.c_str(), value.c_str(), 1);
        }
        const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        ::dup2(fd, STDERR_FILENO);
        ::closefrom(STDERR_FILENO + 1);  // the test's sockets (a TcpProxy's) are not the daemon's
        ::chdir(dir_.c_str());
        ::execl(jobd.c_str(), jobd.c_str(), "--config", config.c_str(), nullptr);
        ::_exit(127);
    }
    const std::string status = WaitForReady(std::chrono::seconds(30));
    const auto colon = status.rfind(':');
    const auto space = status.rfind(' ', colon);
    host_ = status.substr(space + 1, colon - space - 1);
    if (host_.starts_with("https://")) {
        host_.erase(0, 8);
    }
    port_ = status.substr(colon + 1);
}

std::string JobdProcess::WaitForReady(std::chrono::seconds deadline) {
    const auto until = std::chrono::steady_clock::now() + deadline;
    std::string status;
    bool ready = false;
    while (!ready) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            until - std::chrono::steady_clock::now());
        int wait_status = 0;
        if (::waitpid(pid_, &wait_status, WNOHANG) == pid_) {
            pid_ = 0;
            throw std::runtime_error("jobd exited before READY=1; its log:\n" + Log());
        }
        pollfd fd{notify_fd_, POLLIN, 0};
        if (left.count() <= 0) {
            throw std::runtime_error("jobd did not report READY=1; its log:\n" + Log());
        }
        // Short polls so a daemon that dies at start-up is noticed at once.
        if (::poll(&fd, 1, 100) <= 0) {
            continue;
        }
        char buffer[4096];
        const auto size = ::recv(notify_fd_, buffer, sizeof buffer, 0);
        std::istringstream lines(std::string(buffer, size > 0 ? size : 0));
        for (std::string line; std::getline(lines, line);) {
            ready = ready || line == "READY=1";
            if (line.starts_with("STATUS=listening on ")) {
                status = line.substr(7);
            }
        }
    }
    return status;
}

bool JobdProcess::WaitForNotify(const std::string& line, std::chrono::milliseconds deadline) const {
    const auto until = std::chrono::steady_clock::now() + deadline;
    while (std::chrono::steady_clock::now() < until) {
        pollfd fd{notify_fd_, POLLIN, 0};
        if (::poll(&fd, 1, 100) <= 0) {
            continue;
        }
        char buffer[4096];
        const auto size = ::recv(notify_fd_, buffer, sizeof buffer, 0);
        std::istringstream lines(std::string(buffer, size > 0 ? size : 0));
        for (std::string got; std::getline(lines, got);) {
            if (got == line) {
                return true;
            }
        }
    }
    return false;
}

int JobdProcess::Terminate(std::chrono::seconds deadline) {
    if (pid_ <= 0) {
        return -1;  // never started: kill(0, …) would signal the test's own process group
    }
    SendSignal(SIGTERM);
    int status = 0;
    const bool exited = WaitFor([&] { return ::waitpid(pid_, &status, WNOHANG) == pid_; },
                                std::chrono::duration_cast<std::chrono::milliseconds>(deadline));
    if (!exited) {
        return -2;
    }
    pid_ = 0;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void JobdProcess::Kill() {
    if (pid_ > 0) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
        pid_ = 0;
    }
}

void JobdProcess::SendSignal(int signal) const {
    if (pid_ > 0) {
        ::kill(pid_, signal);
    }
}

CommandResult JobdProcess::Jobd(const std::vector<std::string>& args,
                                const std::string& stdin_text) const {
    const std::filesystem::path in = dir_ / "stdin.txt";
    const std::filesystem::path out = dir_ / "stdout.txt";
    std::ofstream(in) << stdin_text;
    std::string command =
        "JOBD_DATABASE_URL='" + database_url_ + "' '" + Env("JOBD_BIN_DIR") + "/jobd'";
    for (const auto& arg : args) {
        command += " '" + arg + "'";
    }
    command +=
        " --config '" + config_.string() + "' <'" + in.string() + "' >'" + out.string() + "' 2>&1";
    const int status = std::system(command.c_str());
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, ReadFile(out)};
}

void JobdProcess::AddCompany(std::int64_t company, const std::string& name) const {
    const auto result = Jobd({"admin", "add-company", name, "--handle", std::to_string(company)});
    if (result.exit_code != 0) {
        throw std::runtime_error("add-company failed: " + result.out);
    }
}

void JobdProcess::AddUser(const std::string& email,
                          std::int64_t company,
                          const std::string& role) const {
    const auto result = Jobd({"admin",
                              "add-user",
                              email,
                              "--company",
                              std::to_string(company),
                              "--role",
                              role,
                              "--password-stdin"},
                             "secret-password\n");
    if (result.exit_code != 0) {
        throw std::runtime_error("add-user failed: " + result.out);
    }
}

HttpAnswer JobdProcess::Post(const std::string& target,
                             const std::string& body,
                             const std::map<std::string, std::string>& headers) const {
    asio::io_context io;
    asio::ip::tcp::socket socket(io);
    asio::connect(socket, asio::ip::tcp::resolver(io).resolve(host_, port_));
    return Exchange(socket, "POST", target, body, headers);
}

HttpAnswer JobdProcess::Get(const std::string& target) const {
    asio::io_context io;
    asio::ip::tcp::socket socket(io);
    asio::connect(socket, asio::ip::tcp::resolver(io).resolve(host_, port_));
    return Exchange(socket, "GET", target, {}, {});
}

HttpAnswer JobdProcess::Json(const std::string& operation,
                             const std::string& body,
                             const std::string& user,
                             const std::string& password) const {
    return Post(
        "/api/v1/" + operation,
        body,
        {{"Authorization", BasicAuth(user, password)}, {"Content-Type", "application/json"}});
}

HttpAnswer JobdProcess::PostUnix(const std::string& target, const std::string& body) const {
    asio::io_context io;
    asio::local::stream_protocol::socket socket(io);
    socket.connect(asio::local::stream_protocol::endpoint((dir_ / "jobd.sock").string()));
    return Exchange(socket, "POST", target, body, {{"Content-Type", "application/json"}});
}

std::string JobdProcess::Log() const {
    return ReadFile(dir_ / "jobd.stderr");
}

}  // namespace jobd::test
