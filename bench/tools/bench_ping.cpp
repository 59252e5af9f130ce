// jobd-bench-ping PORT: the benchmark's job process. Its first action reads the clocks; then it
// sends them in one UDP datagram to 127.0.0.1:PORT and exits 0. The datagram is
// "<JOBD_RUN_HANDLE> <JOBD_SCHEDULED_AT> <CLOCK_REALTIME ns> <CLOCK_MONOTONIC ns>", both clocks
// read at start: the run names itself, punctuality is the realtime start minus the fire's nominal
// time, and trigger latency is the monotonic start minus the call's start in the driver (the same
// clock system-wide), so the driver's own delay in reading the datagram is not counted.
// Plain libc, no iostreams: its own start-up cost is part of every figure it takes part in.
#include <cstdio>
#include <cstdlib>
#include <ctime>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

int main(int argc, char** argv) {
    timespec monotonic{};
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC, &monotonic);
    clock_gettime(CLOCK_REALTIME, &now);
    if (argc != 2) {
        std::fputs("usage: jobd-bench-ping PORT\n", stderr);
        return 2;
    }
    const char* run = std::getenv("JOBD_RUN_HANDLE");
    const char* scheduled_at = std::getenv("JOBD_SCHEDULED_AT");
    char message[512];
    const int length =
        std::snprintf(message,
                      sizeof message,
                      "%s %s %lld %lld",
                      run != nullptr ? run : "-",
                      scheduled_at != nullptr ? scheduled_at : "-",
                      static_cast<long long>(now.tv_sec) * 1000000000LL + now.tv_nsec,
                      static_cast<long long>(monotonic.tv_sec) * 1000000000LL + monotonic.tv_nsec);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(static_cast<uint16_t>(std::atoi(argv[1])));
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0 || sendto(fd,
                         message,
                         static_cast<size_t>(length),
                         0,
                         reinterpret_cast<const sockaddr*>(&to),
                         sizeof to) != length) {
        std::perror("jobd-bench-ping: sendto");
        return 1;
    }
    return 0;
}
