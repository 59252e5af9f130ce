#pragma once
// One run's child process (contract §7) on Boost.Asio: spawned in its own process group,
// payload on stdin, stdout/stderr delivered as lines, exit awaited without blocking, stopped or
// timed out with SIGTERM then SIGKILL to the whole group.
//
// Threads: Start and every member function run on `executor` (the engine's strand; a plain
// io_context executor only if one thread runs it). Nothing here blocks beyond bounded syscalls
// (fork, kill, a read of the exec report pipe; see detail/spawn.hpp).
// Ownership: ChildProcess is a handle. The pending operations share its state, so dropping every
// handle does not stop the child: it runs to its end or timeout and is reaped. Stop() first to
// end it early.
// Daemon requirements: SIGPIPE ignored (`signal(SIGPIPE, SIG_IGN)`, so a child that does not read
// its stdin makes the write fail with EPIPE instead of killing jobd); no waitpid(-1) or
// SIGCHLD=SIG_IGN elsewhere (only this class reaps its children); the thread that calls Start
// lives as long as the daemon (PR_SET_PDEATHSIG fires when the forking thread exits).
// Throws: only boost::system::system_error when the reactor cannot watch a descriptor (out of
// memory or epoll watches); spawn failures are outcomes.

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "jobd/exec/command.hpp"

namespace jobd::exec {

enum class Stream { Stdout, Stderr };

enum class Ending {
    Exited,       // exit_code holds the status
    Signaled,     // signal holds the signal that ended it
    TimedOut,     // Command::timeout expired first; exit_code or signal as it ended
    Stopped,      // Stop() came first; exit_code or signal as it ended
    SpawnFailed,  // no program ran; error says why
};

struct Outcome {
    Ending ending = Ending::Exited;
    int exit_code = -1;  // -1 unless the leader exited normally
    int signal = 0;      // 0 unless the leader was killed by a signal
    std::string error;   // for SpawnFailed: `exec: /no/such: No such file or directory`
    std::chrono::milliseconds duration{0};  // spawn to exit of the leader
};

// Called on `executor`, in order per stream, once per line; no line is delivered after Wait()
// completes. If it throws, that stream is no longer read (the child sees a closed pipe) and
// Wait() rethrows the exception once the run is over.
using LineHandler = std::function<void(Stream, std::string_view)>;

class ChildProcess {
public:
    // Spawns the child now; returns once it has exec'd or failed to.
    static std::shared_ptr<ChildProcess> Start(boost::asio::any_io_executor executor,
                                               Command command,
                                               LineHandler on_line);

    // Completes once the leader is reaped, its group killed, both output pipes drained (or
    // closed 2 s after exit, in case a descendant left the group) and every line handled. May
    // be awaited again: the same outcome comes back at once.
    boost::asio::awaitable<Outcome> Wait();

    // SIGTERM to the group, SIGKILL after Command::kill_grace if the leader still runs. No-op
    // after exit, after a failed spawn, and during a timeout's grace (the run stays TimedOut).
    void Stop();

    // The leader's pid, which is also the group id; 0 if the spawn failed.
    int pid() const;

    // When fork returned (steady clock), for latency metrics.
    std::chrono::steady_clock::time_point started_at() const;

private:
    class Impl;

    explicit ChildProcess(std::shared_ptr<Impl> impl);

    std::shared_ptr<Impl> impl_;
};

}  // namespace jobd::exec
