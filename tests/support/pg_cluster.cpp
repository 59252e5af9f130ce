#include "support/pg_cluster.hpp"

#include <cstdlib>
#include <fstream>
#include <stdexcept>

#include <sys/wait.h>
#include <unistd.h>

namespace jobd::test {
namespace {

std::string SourceDir() {
    const char* dir = std::getenv("JOBD_SOURCE_DIR");
    if (dir == nullptr) {
        throw std::runtime_error("$JOBD_SOURCE_DIR is not set: run through ctest");
    }
    return dir;
}

std::string EnvValue(const std::filesystem::path& file, const std::string& key) {
    std::ifstream in(file);
    for (std::string line; std::getline(in, line);) {
        if (line.starts_with(key + "=")) {
            return line.substr(key.size() + 1);
        }
    }
    throw std::runtime_error(file.string() + " lacks " + key);
}

}  // namespace

PgCluster::PgCluster() {
    std::string pattern = (std::filesystem::temp_directory_path() / "jobd-pgc-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
        throw std::runtime_error("mkdtemp failed");
    }
    dir_ = pattern;
    // As root the cluster belongs to `postgres`, which must reach it (mkdtemp makes it 0700).
    std::filesystem::permissions(dir_,
                                 std::filesystem::perms::owner_all |
                                     std::filesystem::perms::group_exec |
                                     std::filesystem::perms::others_exec);
    env_file_ = dir_.string() + ".env";
    Script("start '" + (dir_ / "cluster").string() + "' '" + env_file_.string() + "'");
    url_ = EnvValue(env_file_, "JOBD_TEST_PG_URL");
    const auto colon = url_.rfind(':');
    port_ = static_cast<std::uint16_t>(std::stoi(url_.substr(colon + 1)));
}

PgCluster::~PgCluster() {
    try {
        Script("stop --env '" + env_file_.string() + "'");
    } catch (const std::runtime_error&) {
        // A cluster left behind is a temporary directory; the test has already reported.
    }
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
}

void PgCluster::Restart() {
    Script("restart --env '" + env_file_.string() + "'");
}

void PgCluster::Script(const std::string& args) const {
    const std::string command =
        "bash '" + SourceDir() + "/tests/support/pg-cluster' " + args + " >/dev/null";
    const pid_t pid = ::fork();
    if (pid == 0) {
        // The server started here must not inherit the test's sockets (a TcpProxy's): a copy
        // held by postgres would keep a connection the proxy drops open.
        ::closefrom(STDERR_FILENO + 1);
        ::execl("/bin/sh", "sh", "-c", command.c_str(), nullptr);
        ::_exit(127);
    }
    int status = 0;
    if (pid < 0 || ::waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0) {
        throw std::runtime_error("pg-cluster " + args + " failed");
    }
}

}  // namespace jobd::test
