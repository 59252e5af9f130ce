// jobd-bench-start COUNT PROBE: the floor under the trigger latency figure. COUNT times, one at a
// time, posix_spawn PROBE (jobd-bench-ping, given this program's UDP port) and read its datagram:
// the probe's own start (its CLOCK_MONOTONIC, the datagram's last field) minus the time just
// before posix_spawn is what starting that program costs this machine before any scheduler is
// involved. Prints `{"start_ms": [...]}`, one figure per spawn.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>

extern char** environ;

namespace {

constexpr int kReceiveTimeoutSeconds = 10;

long long MonotonicNs() {
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC, &now);
    return static_cast<long long>(now.tv_sec) * 1000000000LL + now.tv_nsec;
}

// A UDP socket on 127.0.0.1 that gives up on a datagram after kReceiveTimeoutSeconds; -1 on error.
int OpenReceiver(int& port) {
    const int fd = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    const timeval timeout{kReceiveTimeoutSeconds, 0};
    if (fd < 0 || bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0 ||
        getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout) != 0) {
        return -1;
    }
    port = ntohs(address.sin_port);
    return fd;
}

// One spawn: the probe's start minus the time before posix_spawn, in ns; -1 on failure.
long long StartOnce(const char* probe, const std::string& port, int receiver) {
    char* argv[] = {const_cast<char*>(probe), const_cast<char*>(port.c_str()), nullptr};
    pid_t pid = 0;
    const long long before = MonotonicNs();
    if (posix_spawn(&pid, probe, nullptr, nullptr, argv, environ) != 0) {
        return -1;
    }
    char datagram[512];
    const ssize_t size = recv(receiver, datagram, sizeof datagram - 1, 0);
    int status = 0;
    const bool succeeded =
        waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (size <= 0 || !succeeded) {
        return -1;
    }
    datagram[size] = '\0';
    const char* last = std::strrchr(datagram, ' ');
    return last == nullptr ? -1 : std::atoll(last + 1) - before;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fputs("usage: jobd-bench-start COUNT PROBE\n", stderr);
        return 2;
    }
    const long count = std::atol(argv[1]);
    if (count < 1) {
        std::fputs("jobd-bench-start: COUNT must be at least 1\n", stderr);
        return 2;
    }
    int port = 0;
    const int receiver = OpenReceiver(port);
    if (receiver < 0) {
        std::perror("jobd-bench-start: UDP socket");
        return 1;
    }
    const std::string port_argument = std::to_string(port);
    std::vector<long long> starts;
    for (long i = 0; i < count; ++i) {
        const long long start = StartOnce(argv[2], port_argument, receiver);
        if (start < 0) {
            std::fprintf(stderr, "jobd-bench-start: spawn %ld of %s failed\n", i + 1, argv[2]);
            return 1;
        }
        starts.push_back(start);
    }
    std::fputs("{\"start_ms\": [", stdout);
    for (std::size_t i = 0; i < starts.size(); ++i) {
        std::printf("%s%.6f", i == 0 ? "" : ", ", static_cast<double>(starts[i]) / 1e6);
    }
    std::fputs("]}\n", stdout);
    return 0;
}
