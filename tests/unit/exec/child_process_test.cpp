#include "jobd/exec/child_process.hpp"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "jobd/exec/line_splitter.hpp"

namespace jobd::exec {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

// Every test waits on the io_context for at most this long instead of sleeping.
constexpr auto kDeadline = 10s;

struct Finished {
    std::optional<Outcome> outcome;
    std::exception_ptr error;  // what Wait() threw
    std::vector<std::string> out;
    std::vector<std::string> err;
    int pid = 0;
};

// Lets a test act on the running child when it prints a line (it is then known to be ready).
using OnStdout = std::function<void(ChildProcess&, std::string_view)>;

Finished RunToEnd(Command command, const OnStdout& on_stdout = {}) {
    asio::io_context ioc;
    Finished finished;
    std::shared_ptr<ChildProcess> child;
    // Lines only arrive once ioc runs, after `child` is set.
    child = ChildProcess::Start(
        ioc.get_executor(), std::move(command), [&](Stream stream, std::string_view line) {
            if (stream == Stream::Stderr) {
                finished.err.emplace_back(line);
                return;
            }
            finished.out.emplace_back(line);
            if (on_stdout) {
                on_stdout(*child, line);
            }
        });
    finished.pid = child->pid();
    asio::co_spawn(ioc, child->Wait(), [&finished](std::exception_ptr error, Outcome outcome) {
        finished.error = error;
        if (!error) {
            finished.outcome = std::move(outcome);
        }
    });
    ioc.run_for(kDeadline);
    return finished;
}

Command Shell(std::string script) {
    return Command{.argv = {"sh", "-c", std::move(script)}};
}

// True once no process is left in the group, not even an unreaped one.
bool GroupGone(int pgid) {
    return ::kill(-pgid, 0) != 0 && errno == ESRCH;
}

// Live (not zombie) processes in the group. A killed grandchild stays a zombie until init reaps
// it, which kill(-pgid, 0) cannot tell from a live process.
int LiveMembers(int pgid) {
    int live = 0;
    for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
        std::ifstream stat_file(entry.path() / "stat");
        std::string stat;
        std::getline(stat_file, stat);
        const std::size_t name_end = stat.rfind(')');  // the command name may hold spaces
        if (name_end == std::string::npos) {
            continue;
        }
        std::istringstream fields(stat.substr(name_end + 1));
        char state = 0;
        int parent = 0;
        int group = 0;
        if (fields >> state >> parent >> group && group == pgid && state != 'Z' && state != 'X') {
            ++live;
        }
    }
    return live;
}

// Whether the group has no live member within `deadline`: SIGKILL is delivered at once, but a
// killed grandchild leaves the live states only when the kernel next schedules it, which on a
// busy machine can be after the run's outcome is reported.
bool MembersGoneWithin(int pgid, std::chrono::milliseconds deadline = std::chrono::seconds(5)) {
    const auto until = std::chrono::steady_clock::now() + deadline;
    while (LiveMembers(pgid) != 0) {
        if (std::chrono::steady_clock::now() > until) {
            return false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
}

long OpenFdCount() {
    return std::distance(std::filesystem::directory_iterator("/proc/self/fd"),
                         std::filesystem::directory_iterator());
}

class ChildProcessTest : public testing::Test {
protected:
    // As jobd's main does (header contract): a child that skips its stdin must not kill us.
    static void SetUpTestSuite() { std::signal(SIGPIPE, SIG_IGN); }
};

struct ExitCase {
    const char* name;
    std::vector<std::string> argv;
    int exit_code;
};

const ExitCase kExitCases[] = {
    {"TrueExitsZero", {"/bin/true"}, 0},
    {"ShellExitsThree", {"sh", "-c", "exit 3"}, 3},
    {"FalseFoundOnPathExitsOne", {"false"}, 1},
};

class ExitCodes : public ChildProcessTest, public testing::WithParamInterface<ExitCase> {};

TEST_P(ExitCodes, ReportsExitCode) {
    const Finished finished = RunToEnd(Command{.argv = GetParam().argv});
    ASSERT_TRUE(finished.outcome);
    EXPECT_EQ(finished.outcome->ending, Ending::Exited);
    EXPECT_EQ(finished.outcome->exit_code, GetParam().exit_code);
    EXPECT_EQ(finished.outcome->signal, 0);
    EXPECT_GT(finished.pid, 0);
}

INSTANTIATE_TEST_SUITE_P(Table,
                         ExitCodes,
                         testing::ValuesIn(kExitCases),
                         [](const testing::TestParamInfo<ExitCase>& param_info) {
                             return std::string(param_info.param.name);
                         });

TEST_F(ChildProcessTest, SignalEndingTheChildIsReported) {
    const Finished finished = RunToEnd(Shell("kill -KILL $$"));
    ASSERT_TRUE(finished.outcome);
    EXPECT_EQ(finished.outcome->ending, Ending::Signaled);
    EXPECT_EQ(finished.outcome->signal, SIGKILL);
    EXPECT_EQ(finished.outcome->exit_code, -1);
}

TEST_F(ChildProcessTest, LinesArriveInOrderPerStreamWithUnterminatedLast) {
    const Finished finished =
        RunToEnd(Shell("echo a; echo x >&2; printf 'b\\r\\n'; echo y >&2; printf c; printf z >&2"));
    ASSERT_TRUE(finished.outcome);
    EXPECT_EQ(finished.out, (std::vector<std::string>{"a", "b", "c"}));
    EXPECT_EQ(finished.err, (std::vector<std::string>{"x", "y", "z"}));
}

TEST_F(ChildProcessTest, OverlongLineIsSplitAtCap) {
    const Finished finished = RunToEnd(Shell("head -c 200000 /dev/zero | tr '\\0' x; echo"));
    ASSERT_TRUE(finished.outcome);
    ASSERT_EQ(finished.out.size(), 4U);
    std::size_t total = 0;
    for (const std::string& line : finished.out) {
        EXPECT_LE(line.size(), kMaxLineBytes);
        total += line.size();
    }
    EXPECT_EQ(total, 200000U);
}

TEST_F(ChildProcessTest, StdinPayloadLargerThanPipeBufferReachesChild) {
    const std::string line(63, 'p');
    std::string payload;
    for (int i = 0; i < 16384; ++i) {  // 1 MiB, far over the 64 KiB pipe buffer
        payload += line + "\n";
    }
    const Finished finished = RunToEnd(Command{.argv = {"cat"}, .stdin_data = payload});
    ASSERT_TRUE(finished.outcome);
    EXPECT_EQ(finished.outcome->exit_code, 0);
    EXPECT_EQ(finished.out.size(), 16384U);
    EXPECT_EQ(finished.out.back(), line);
}

TEST_F(ChildProcessTest, ChildNotReadingStdinStillSucceeds) {
    const Finished finished =
        RunToEnd(Command{.argv = {"/bin/true"}, .stdin_data = std::string(1 << 20, 'p')});
    ASSERT_TRUE(finished.outcome);
    EXPECT_EQ(finished.outcome->ending, Ending::Exited);
    EXPECT_EQ(finished.outcome->exit_code, 0);
}

struct SpawnFailureCase {
    const char* name;
    Command command;
    std::string field;  // what the message starts with
};

const SpawnFailureCase kSpawnFailureCases[] = {
    {"MissingAbsoluteProgram", {.argv = {"/no/such"}}, "exec: "},
    {"MissingProgramOnPath", {.argv = {"jobd-no-such-program"}}, "exec: "},
    {"PathComesFromOverlay", {.argv = {"true"}, .env = {{"PATH", "/no/such"}}}, "exec: "},
    {"NotExecutable", {.argv = {"/etc/passwd"}}, "exec: "},
    {"Directory", {.argv = {"/"}}, "exec: "},
    {"MissingWorkingDir", {.argv = {"/bin/true"}, .working_dir = "/no/such/dir"}, "workingDir: "},
    {"EmptyArgv", {.argv = {}}, "argv: "},
    {"EmptyProgram", {.argv = {""}}, "argv: "},
    {"BadVariableName", {.argv = {"/bin/true"}, .env = {{"A=B", "x"}}}, "env: "},
};

class SpawnFailures : public ChildProcessTest,
                      public testing::WithParamInterface<SpawnFailureCase> {};

TEST_P(SpawnFailures, AreOutcomesNamingTheField) {
    const Finished finished = RunToEnd(GetParam().command);
    ASSERT_TRUE(finished.outcome);
    EXPECT_EQ(finished.outcome->ending, Ending::SpawnFailed);
    EXPECT_EQ(finished.outcome->error.rfind(GetParam().field, 0), 0U) << finished.outcome->error;
    EXPECT_EQ(finished.pid, 0);
}

INSTANTIATE_TEST_SUITE_P(Table,
                         SpawnFailures,
                         testing::ValuesIn(kSpawnFailureCases),
                         [](const testing::TestParamInfo<SpawnFailureCase>& param_info) {
                             return std::string(param_info.param.name);
                         });

TEST_F(ChildProcessTest, TimeoutTerminatesGroup) {
    const Finished finished = RunToEnd(Command{.argv = {"sleep", "60"}, .timeout = 200ms});
    ASSERT_TRUE(finished.outcome);
    EXPECT_EQ(finished.outcome->ending, Ending::TimedOut);
    EXPECT_EQ(finished.outcome->signal, SIGTERM);
    EXPECT_GE(finished.outcome->duration, 200ms);
    EXPECT_TRUE(GroupGone(finished.pid));
}

TEST_F(ChildProcessTest, StopTerminatesGroup) {
    const Finished finished = RunToEnd(Shell("echo ready; sleep 60"),
                                       [](ChildProcess& child, std::string_view) { child.Stop(); });
    ASSERT_TRUE(finished.outcome);
    EXPECT_EQ(finished.outcome->ending, Ending::Stopped);
    EXPECT_TRUE(MembersGoneWithin(finished.pid));
}

TEST_F(ChildProcessTest, ChildIgnoringTermIsKilledAfterGrace) {
    Command command = Shell("trap '' TERM; echo ready; sleep 60");
    command.kill_grace = 300ms;
    const Finished finished =
        RunToEnd(std::move(command), [](ChildProcess& child, std::string_view) { child.Stop(); });
    ASSERT_TRUE(finished.outcome);
    EXPECT_EQ(finished.outcome->ending, Ending::Stopped);
    EXPECT_EQ(finished.outcome->signal, SIGKILL);
    EXPECT_GE(finished.outcome->duration, 300ms);
    EXPECT_TRUE(MembersGoneWithin(finished.pid));
}

// The shell prints "term" only after the timeout's SIGTERM, so Stop() lands inside the grace.
TEST_F(ChildProcessTest, StopDuringTimeoutGraceKeepsTimedOut) {
    Command command = Shell("trap 'echo term' TERM; echo ready; sleep 60; sleep 60");
    command.timeout = 500ms;
    command.kill_grace = 300ms;
    bool stopped_in_grace = false;
    const Finished finished =
        RunToEnd(std::move(command), [&](ChildProcess& child, std::string_view line) {
            if (line == "term") {
                stopped_in_grace = true;
                child.Stop();
            }
        });
    ASSERT_TRUE(finished.outcome);
    EXPECT_TRUE(stopped_in_grace);
    EXPECT_EQ(finished.outcome->ending, Ending::TimedOut);
    EXPECT_EQ(finished.outcome->signal, SIGKILL);
}

TEST_F(ChildProcessTest, StopAfterExitChangesNothing) {
    asio::io_context ioc;
    const auto child = ChildProcess::Start(ioc.get_executor(), Command{.argv = {"/bin/true"}}, {});
    std::vector<Outcome> outcomes;
    const auto collect = [&outcomes](std::exception_ptr, Outcome outcome) {
        outcomes.push_back(std::move(outcome));
    };
    asio::co_spawn(ioc, child->Wait(), collect);
    ioc.run_for(kDeadline);
    child->Stop();
    ioc.restart();
    asio::co_spawn(ioc, child->Wait(), collect);
    ioc.run_for(kDeadline);
    ASSERT_EQ(outcomes.size(), 2U);
    EXPECT_EQ(outcomes[1].ending, Ending::Exited);
    EXPECT_EQ(outcomes[1].exit_code, 0);
}

TEST_F(ChildProcessTest, BackgroundGrandchildDiesWithRun) {
    const Finished finished = RunToEnd(Shell("sleep 60 & echo started"));
    ASSERT_TRUE(finished.outcome);
    EXPECT_EQ(finished.outcome->exit_code, 0);
    EXPECT_EQ(finished.out, std::vector<std::string>{"started"});
    EXPECT_TRUE(MembersGoneWithin(finished.pid));
}

// A descendant that left the group with setsid keeps the output pipes open; the run must still
// end, after the bounded drain, rather than wait for it.
TEST_F(ChildProcessTest, EscapedGrandchildDoesNotHoldRunOpen) {
    // The loop waits until the escape happened (its session id, field 6, is its own pid);
    // otherwise the group kill could catch it before setsid.
    const Finished finished =
        RunToEnd(Shell("setsid sleep 60 & p=$!; "
                       "while [ \"$(cut -d' ' -f6 /proc/$p/stat)\" != $p ]; do :; done; echo $p"));
    ASSERT_TRUE(finished.outcome);
    ASSERT_EQ(finished.out.size(), 1U);
    ::kill(std::stoi(finished.out.front()), SIGKILL);
    EXPECT_EQ(finished.outcome->ending, Ending::Exited);
    EXPECT_EQ(finished.outcome->exit_code, 0);
}

TEST_F(ChildProcessTest, EnvironmentIsOverlaidOnDaemons) {
    const Finished finished = RunToEnd(Command{
        .argv = {"sh", "-c", "echo \"$JOBD_TEST_VALUE\"; echo \"$HOME\"; echo \"${PATH:+kept}\""},
        .env = {{"JOBD_TEST_VALUE", "overlaid"}, {"HOME", "/overridden"}}});
    ASSERT_TRUE(finished.outcome);
    EXPECT_EQ(finished.out, (std::vector<std::string>{"overlaid", "/overridden", "kept"}));
}

TEST_F(ChildProcessTest, WorkingDirIsHonoured) {
    std::string dir_template = (std::filesystem::temp_directory_path() / "jobd-exec-XXXXXX");
    ASSERT_NE(::mkdtemp(dir_template.data()), nullptr);
    const std::filesystem::path dir = std::filesystem::canonical(dir_template);
    const Finished finished = RunToEnd(Command{.argv = {"pwd", "-P"}, .working_dir = dir});
    std::filesystem::remove(dir);
    ASSERT_TRUE(finished.outcome);
    EXPECT_EQ(finished.out, std::vector<std::string>{dir.string()});
}

TEST_F(ChildProcessTest, ChildStartsWithDefaultSignalsAndNoInheritedFds) {
    const int leaked = ::dup(STDERR_FILENO);  // no O_CLOEXEC: a child would inherit it
    ASSERT_GE(leaked, 0);
    const std::string fd_path = "/proc/self/fd/" + std::to_string(leaked);
    const Finished finished =
        RunToEnd(Shell("test -e " + fd_path + " && echo open || echo closed; " +
                       "grep -E '^Sig(Blk|Ign)' /proc/self/status"));
    ::close(leaked);
    ASSERT_TRUE(finished.outcome);
    EXPECT_EQ(finished.out,
              (std::vector<std::string>{
                  "closed", "SigBlk:\t0000000000000000", "SigIgn:\t0000000000000000"}));
}

TEST_F(ChildProcessTest, LineHandlerExceptionComesOutOfWait) {
    asio::io_context ioc;
    const auto child = ChildProcess::Start(
        ioc.get_executor(), Shell("echo a; echo b"), [](Stream, std::string_view) {
            throw std::runtime_error("handler failed");
        });
    std::exception_ptr error;
    asio::co_spawn(
        ioc, child->Wait(), [&error](std::exception_ptr thrown, Outcome) { error = thrown; });
    ioc.run_for(kDeadline);
    ASSERT_TRUE(error);
    EXPECT_THROW(std::rethrow_exception(error), std::runtime_error);
}

TEST_F(ChildProcessTest, FiftyConcurrentChildrenCompleteWithoutLeakingFds) {
    constexpr int kChildren = 50;
    asio::io_context ioc;
    // A first run sets up the reactor's own descriptors, so the count below sees only ours.
    const auto warm_up = ChildProcess::Start(ioc.get_executor(), Command{.argv = {"true"}}, {});
    asio::co_spawn(ioc, warm_up->Wait(), [](std::exception_ptr, Outcome) {});
    ioc.run_for(kDeadline);
    ioc.restart();
    const long fds_before = OpenFdCount();

    std::vector<std::shared_ptr<ChildProcess>> children;
    std::vector<Outcome> outcomes;
    int lines = 0;
    for (int i = 0; i < kChildren; ++i) {
        children.push_back(ChildProcess::Start(ioc.get_executor(),
                                               Shell("echo $$; exit 7"),
                                               [&lines](Stream, std::string_view) { ++lines; }));
        asio::co_spawn(ioc, children.back()->Wait(), [&outcomes](std::exception_ptr, Outcome o) {
            outcomes.push_back(std::move(o));
        });
    }
    ioc.run_for(kDeadline);

    ASSERT_EQ(outcomes.size(), static_cast<std::size_t>(kChildren));
    for (const Outcome& outcome : outcomes) {
        EXPECT_EQ(outcome.ending, Ending::Exited);
        EXPECT_EQ(outcome.exit_code, 7);
    }
    EXPECT_EQ(lines, kChildren);
    EXPECT_EQ(OpenFdCount(), fds_before);  // the handles are still alive: finishing closed all
}

}  // namespace
}  // namespace jobd::exec
