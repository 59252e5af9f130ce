// jobd-bench-spawn CONCURRENCY COUNT [PROGRAM]: the machine's own limit for running a process.
// CONCURRENCY threads posix_spawn PROGRAM (default /bin/true) and wait for it, COUNT times in all;
// prints `{"runs": N, "seconds": S, "runs_per_second": R}`. jobd's runs/s is reported as a
// fraction of this: no scheduler can start and reap processes faster than the kernel does.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

#include <spawn.h>
#include <sys/wait.h>

extern char** environ;

namespace {

bool SpawnAndWait(const char* program) {
    char* argv[] = {const_cast<char*>(program), nullptr};
    pid_t pid = 0;
    if (posix_spawn(&pid, program, nullptr, nullptr, argv, environ) != 0) {
        return false;
    }
    int status = 0;
    return waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3 || argc > 4) {
        std::fputs("usage: jobd-bench-spawn CONCURRENCY COUNT [PROGRAM]\n", stderr);
        return 2;
    }
    const int concurrency = std::atoi(argv[1]);
    const long count = std::atol(argv[2]);
    const char* program = argc == 4 ? argv[3] : "/bin/true";
    if (concurrency < 1 || count < 1) {
        std::fputs("jobd-bench-spawn: CONCURRENCY and COUNT must be at least 1\n", stderr);
        return 2;
    }
    std::atomic<long> next{0};
    std::atomic<long> failed{0};
    const auto start = std::chrono::steady_clock::now();
    {
        std::vector<std::jthread> threads;
        for (int i = 0; i < concurrency; ++i) {
            threads.emplace_back([&] {
                while (next.fetch_add(1) < count) {
                    if (!SpawnAndWait(program)) {
                        failed.fetch_add(1);
                    }
                }
            });
        }
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (failed.load() != 0) {
        std::fprintf(stderr, "jobd-bench-spawn: %ld of %ld runs failed\n", failed.load(), count);
        return 1;
    }
    std::printf("{\"runs\": %ld, \"seconds\": %.6f, \"runs_per_second\": %.1f}\n",
                count,
                seconds,
                static_cast<double>(count) / seconds);
    return 0;
}
