#include "jobd/exec/detail/spawn.hpp"

#include <cerrno>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace jobd::exec::detail {
namespace {

// Where the child was when it failed; sent with errno through the report pipe.
enum class Stage : int { Setup, WorkingDir, Exec };

struct ChildReport {
    Stage stage;
    int error;
};

// The status of a child that failed before exec; callers see the report instead.
constexpr int kChildFailedExit = 127;

// glibc's execvp default when PATH is unset.
constexpr std::string_view kDefaultPath = "/bin:/usr/bin";

struct Pipe {
    UniqueFd read;
    UniqueFd write;
};

struct Pipes {
    Pipe in;
    Pipe out;
    Pipe err;
    Pipe report;  // child -> daemon, O_CLOEXEC: EOF means exec succeeded
};

// Everything the child needs, built before the clone: the daemon has other threads, one of which
// may hold the allocator's lock, and the child shares the daemon's memory until it execs, so it
// makes only async-signal-safe calls and writes nothing of the daemon's.
struct ExecPlan {
    std::vector<std::string> argv_storage;
    std::vector<std::string> env_storage;
    std::vector<std::string> candidates;  // paths for execve, tried in order
    std::vector<char*> argv;
    std::vector<char*> envp;
    const char* working_dir = nullptr;
};

bool HasNul(std::string_view text) {
    return text.find('\0') != std::string_view::npos;
}

std::optional<std::string> Validate(const Command& command) {
    if (command.argv.empty() || command.argv.front().empty()) {
        return "argv: the program name is missing";
    }
    for (const std::string& argument : command.argv) {
        if (HasNul(argument)) {
            return "argv: an argument contains a NUL byte";
        }
    }
    for (const auto& [name, value] : command.env) {
        if (name.empty() || name.find('=') != std::string::npos || HasNul(name)) {
            return "env: '" + name + "' is not a valid variable name";
        }
        if (HasNul(value)) {
            return "env: the value of " + name + " contains a NUL byte";
        }
    }
    if (HasNul(command.working_dir.native())) {
        return "workingDir: contains a NUL byte";
    }
    return std::nullopt;
}

std::map<std::string, std::string> MergedEnvironment(
    const std::map<std::string, std::string>& overlay) {
    std::map<std::string, std::string> merged;
    for (char** entry = environ; *entry != nullptr; ++entry) {
        const std::string_view variable(*entry);
        const std::size_t equals = variable.find('=');
        if (equals != std::string_view::npos) {
            merged.emplace(std::string(variable.substr(0, equals)),
                           std::string(variable.substr(equals + 1)));
        }
    }
    for (const auto& [name, value] : overlay) {
        merged.insert_or_assign(name, value);
    }
    return merged;
}

std::vector<std::string> ExecCandidates(const std::string& program, std::string_view path) {
    if (program.find('/') != std::string::npos) {
        return {program};
    }
    std::vector<std::string> candidates;
    for (;;) {
        const std::size_t colon = path.find(':');
        const std::string_view directory = path.substr(0, colon);
        // An empty PATH element means the working directory, as for execvp.
        candidates.push_back(directory.empty() ? program : std::string(directory) + "/" + program);
        if (colon == std::string_view::npos) {
            return candidates;
        }
        path.remove_prefix(colon + 1);
    }
}

std::vector<char*> CStrings(std::vector<std::string>& strings) {
    std::vector<char*> pointers;
    for (std::string& text : strings) {
        pointers.push_back(text.data());
    }
    pointers.push_back(nullptr);
    return pointers;
}

ExecPlan MakePlan(const Command& command) {
    ExecPlan plan;
    plan.argv_storage = command.argv;
    const std::map<std::string, std::string> env = MergedEnvironment(command.env);
    for (const auto& [name, value] : env) {
        plan.env_storage.push_back(name + "=" + value);
    }
    const auto path = env.find("PATH");
    plan.candidates =
        ExecCandidates(command.argv.front(), path == env.end() ? kDefaultPath : path->second);
    plan.argv = CStrings(plan.argv_storage);
    plan.envp = CStrings(plan.env_storage);
    if (!command.working_dir.empty()) {
        plan.working_dir = command.working_dir.c_str();
    }
    return plan;
}

// Keeps pipe ends off 0-2, so the child's dup2 onto 0-2 cannot clobber another pipe end (a
// daemon started with stdin closed would otherwise get fd 0 from pipe2). Returns 0 or errno.
int MoveAboveStdio(UniqueFd& fd) {
    if (fd.get() > STDERR_FILENO) {
        return 0;
    }
    const int moved = ::fcntl(fd.get(), F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
    if (moved < 0) {
        return errno;
    }
    fd.Reset(moved);
    return 0;
}

// Returns 0 or errno. O_CLOEXEC everywhere: no other child may inherit these.
int OpenPipe(Pipe& pipe) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
        return errno;
    }
    pipe.read.Reset(fds[0]);
    pipe.write.Reset(fds[1]);
    const int error = MoveAboveStdio(pipe.read);
    return error != 0 ? error : MoveAboveStdio(pipe.write);
}

int OpenPipes(Pipes& pipes) {
    for (Pipe* pipe : {&pipes.in, &pipes.out, &pipes.err, &pipes.report}) {
        if (const int error = OpenPipe(*pipe); error != 0) {
            return error;
        }
    }
    return 0;
}

// Blocks every signal in this thread across the clone, so no daemon signal handler runs in the
// child before it resets the dispositions (posix_spawn does the same).
class BlockAllSignals {
public:
    BlockAllSignals() {
        sigset_t all;
        ::sigfillset(&all);
        ::pthread_sigmask(SIG_SETMASK, &all, &saved_);
    }

    BlockAllSignals(const BlockAllSignals&) = delete;
    BlockAllSignals& operator=(const BlockAllSignals&) = delete;

    ~BlockAllSignals() { ::pthread_sigmask(SIG_SETMASK, &saved_, nullptr); }

private:
    sigset_t saved_;
};

[[noreturn]] void ReportAndExit(int report_fd, Stage stage, int error) {
    const ChildReport report{stage, error};
    // One write below PIPE_BUF is atomic; if it fails there is nobody left to tell.
    [[maybe_unused]] const ssize_t written = ::write(report_fd, &report, sizeof report);
    ::_exit(kChildFailedExit);
}

// Ignored signals survive exec; the child starts with every disposition at default and nothing
// blocked, whatever the daemon set (it ignores SIGPIPE, for one).
void ResetSignals() {
    struct sigaction default_action {};

    default_action.sa_handler = SIG_DFL;
    for (int signal_number = 1; signal_number < NSIG; ++signal_number) {
        // Fails harmlessly for SIGKILL, SIGSTOP and glibc's reserved signals.
        ::sigaction(signal_number, &default_action, nullptr);
    }
    sigset_t none;
    ::sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
}

// execvp's search without its /bin/sh fallback on ENOEXEC. Returns the errno to report.
int ExecFirstFound(const ExecPlan& plan) {
    int error = ENOENT;
    bool denied = false;
    for (const std::string& candidate : plan.candidates) {
        ::execve(candidate.c_str(), plan.argv.data(), plan.envp.data());
        error = errno;
        if (error == EACCES) {
            denied = true;
        } else if (error != ENOENT && error != ENOTDIR) {
            return error;
        }
    }
    return denied ? EACCES : error;
}

// Runs in the cloned child: async-signal-safe calls only (see ExecPlan).
[[noreturn]] void RunChild(const ExecPlan& plan, const Pipes& pipes, pid_t daemon_pid) {
    const int report_fd = pipes.report.write.get();
    if (::setpgid(0, 0) != 0 || ::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) {
        ReportAndExit(report_fd, Stage::Setup, errno);
    }
    // The daemon may have died before prctl, too early for the death signal to fire.
    if (::getppid() != daemon_pid) {
        ::_exit(kChildFailedExit);
    }
    ResetSignals();
    if (::dup2(pipes.in.read.get(), STDIN_FILENO) < 0 ||
        ::dup2(pipes.out.write.get(), STDOUT_FILENO) < 0 ||
        ::dup2(pipes.err.write.get(), STDERR_FILENO) < 0) {
        ReportAndExit(report_fd, Stage::Setup, errno);
    }
    // jobd's own descriptors are O_CLOEXEC; this catches any a library opened without it.
    // Marking instead of closing keeps the report pipe open until exec succeeds.
    ::close_range(STDERR_FILENO + 1, ~0U, CLOSE_RANGE_CLOEXEC);
    if (plan.working_dir != nullptr && ::chdir(plan.working_dir) != 0) {
        ReportAndExit(report_fd, Stage::WorkingDir, errno);
    }
    ReportAndExit(report_fd, Stage::Exec, ExecFirstFound(plan));
}

struct ChildArgs {
    const ExecPlan* plan;
    const Pipes* pipes;
    pid_t daemon_pid;
};

int ChildMain(void* raw) {
    const auto* args = static_cast<const ChildArgs*>(raw);
    RunChild(*args->plan, *args->pipes, args->daemon_pid);
}

// The child's stack while it shares the daemon's memory (until exec); RunChild needs little.
constexpr std::size_t kChildStackBytes = 64 * 1024;

// Like posix_spawn: the child shares the daemon's memory until it execs (CLONE_VM) on a stack
// of its own, and this thread waits meanwhile (CLONE_VFORK). fork() instead copied the page
// tables of the whole multi-threaded daemon and made every later write to a page fault and
// flush the other cores' TLBs: most of jobd's CPU per run of a short process (bench/README.md).
// Returns the pid, or -1 with errno.
pid_t CloneChild(ChildArgs& args) {
    void* stack = ::mmap(nullptr,
                         kChildStackBytes,
                         PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK,
                         -1,
                         0);
    if (stack == MAP_FAILED) {
        return -1;
    }
    void* top = static_cast<char*>(stack) + kChildStackBytes;  // stacks grow down
    const pid_t pid = ::clone(&ChildMain, top, CLONE_VM | CLONE_VFORK | SIGCHLD, &args);
    const int error = errno;
    ::munmap(stack, kChildStackBytes);  // the child has exec'd or exited: its stack is free
    errno = error;
    return pid;
}

// Blocks until EOF (exec succeeded: the write end was O_CLOEXEC) or the child's report. This
// runs on the io thread, which is acceptable because it is bounded: the child makes a handful
// of syscalls before exec (the exception: chdir into a hung network mount).
std::optional<ChildReport> ReadReport(int fd) {
    ChildReport report{};
    ssize_t got = 0;
    do {
        got = ::read(fd, &report, sizeof report);
    } while (got < 0 && errno == EINTR);
    if (got != static_cast<ssize_t>(sizeof report)) {
        return std::nullopt;
    }
    return report;
}

// Only for a child that is exiting already (it reported, or was SIGKILLed), so it is bounded.
void ReapExiting(pid_t pid) {
    while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
}

SpawnFailure Failure(std::string_view what, int error) {
    return SpawnFailure{std::string(what) + ": " + std::generic_category().message(error)};
}

SpawnFailure Describe(const ChildReport& report, const Command& command) {
    const std::string& program = command.argv.front();
    switch (report.stage) {
        case Stage::Setup:
            return Failure("exec: " + program + ": preparing the child", report.error);
        case Stage::WorkingDir:
            return Failure("workingDir: " + command.working_dir.string(), report.error);
        case Stage::Exec: return Failure("exec: " + program, report.error);
    }
    std::abort();  // unreachable: the child sends only the stages above
}

}  // namespace

std::variant<SpawnedProcess, SpawnFailure> Spawn(const Command& command) {
    if (std::optional<std::string> invalid = Validate(command)) {
        return SpawnFailure{std::move(*invalid)};
    }
    const ExecPlan plan = MakePlan(command);
    Pipes pipes;
    if (const int error = OpenPipes(pipes); error != 0) {
        return Failure("exec: pipe", error);
    }
    ChildArgs args{&plan, &pipes, ::getpid()};
    pid_t pid = 0;
    int fork_error = 0;
    {
        const BlockAllSignals blocked;
        pid = CloneChild(args);
        fork_error = errno;
    }
    const auto started_at = std::chrono::steady_clock::now();
    if (pid < 0) {
        return Failure("exec: fork", fork_error);
    }
    // Without our copies of the child's ends, EOF means the child and its descendants are done.
    pipes.in.read.Reset();
    pipes.out.write.Reset();
    pipes.err.write.Reset();
    pipes.report.write.Reset();
    if (const std::optional<ChildReport> report = ReadReport(pipes.report.read.get())) {
        ReapExiting(pid);
        return Describe(*report, command);
    }
    // A raw syscall: glibc 2.36's <sys/pidfd.h> lacks extern "C", so C++ cannot link it.
    const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    if (pidfd < 0) {
        const int error = errno;
        ::kill(-pid, SIGKILL);
        ReapExiting(pid);
        return Failure("exec: pidfd_open", error);
    }
    return SpawnedProcess{pid,
                          UniqueFd(pidfd),
                          std::move(pipes.in.write),
                          std::move(pipes.out.read),
                          std::move(pipes.err.read),
                          started_at};
}

}  // namespace jobd::exec::detail
