#pragma once
// clone/exec of one Command (contract §7), without Asio. Called on the io thread: every step is a
// bounded syscall (see Spawn). Thread-safe: touches no shared state but the environment, which it
// only reads.

#include <chrono>
#include <string>
#include <variant>

#include "jobd/exec/command.hpp"
#include "jobd/exec/detail/unique_fd.hpp"

namespace jobd::exec::detail {

// A running child: the leader of its own process group (pgid == pid), not yet reaped. The pipe
// ends are the daemon's: stdin's write end, stdout's and stderr's read ends, all O_CLOEXEC.
struct SpawnedProcess {
    int pid = 0;
    UniqueFd pidfd;
    UniqueFd stdin_pipe;
    UniqueFd stdout_pipe;
    UniqueFd stderr_pipe;
    std::chrono::steady_clock::time_point started_at;
};

// Why no process runs, for an administrator: `exec: /no/such: No such file or directory`. Any
// child forked on the way has been reaped.
struct SpawnFailure {
    std::string message;
};

// Returns once the child has exec'd (or failed to): its setpgid has then happened, so signalling
// -pid reaches the whole group from the first moment the caller holds the pid.
std::variant<SpawnedProcess, SpawnFailure> Spawn(const Command& command);

}  // namespace jobd::exec::detail
