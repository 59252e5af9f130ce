#include "jobd/exec/child_process.hpp"

#include <array>
#include <exception>
#include <optional>
#include <system_error>
#include <utility>
#include <variant>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <signal.h>
#include <sys/wait.h>

#include "jobd/exec/detail/spawn.hpp"
#include "jobd/exec/line_splitter.hpp"

namespace jobd::exec {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;

// How long output may stay open after the leader exits. The group is SIGKILLed then, so only a
// descendant that escaped it with setsid can still hold the pipes; it must not hold the run.
constexpr std::chrono::seconds kDrainAfterExit{2};

constexpr std::size_t kReadChunkBytes = 16 * 1024;

void CloseQuietly(asio::posix::stream_descriptor& descriptor) {
    error_code ignored;
    descriptor.close(ignored);  // closing also cancels its pending operation
}

}  // namespace

// All members are touched only on executor_ (header contract). Every pending operation's handler
// holds a shared_ptr to the Impl, so `this` outlives each of them.
class ChildProcess::Impl : public std::enable_shared_from_this<Impl> {
public:
    Impl(asio::any_io_executor executor, Command command, LineHandler on_line)
        : executor_(executor),
          command_(std::move(command)),
          on_line_(std::move(on_line)),
          stdin_(executor),
          stdout_(executor),
          stderr_(executor),
          pidfd_(executor),
          timeout_timer_(executor),
          kill_timer_(executor),
          drain_timer_(executor),
          done_signal_(executor, asio::steady_timer::time_point::max()) {}

    Impl(const Impl&) = delete;
    Impl& operator=(const Impl&) = delete;

    // Only reached with the child unreaped when the io_context was destroyed with operations
    // pending. The unreaped leader keeps its group id from reuse, so the kill is safe.
    ~Impl() {
        if (pid_ > 0 && !reaped_) {
            ::kill(-pid_, SIGKILL);
        }
    }

    void Begin();

    static asio::awaitable<Outcome> Wait(std::shared_ptr<Impl> self);

    void Terminate(Ending reason);

    int pid() const { return pid_; }

    std::chrono::steady_clock::time_point started_at() const { return started_at_; }

private:
    void Watch(detail::SpawnedProcess& process);
    void WriteStdin();
    void StartReader(Stream stream);
    asio::awaitable<void> ReadLines(Stream stream);
    void OnReaderDone(Stream stream, std::exception_ptr error);
    void AwaitExit();
    void OnLeaderExited();
    void StartDrainTimer();
    void ArmTimeout();
    void SignalGroup(int signal_number) const;
    Outcome ExitOutcome(const siginfo_t& info) const;
    void MaybeFinish();

    asio::posix::stream_descriptor& PipeFor(Stream stream) {
        return stream == Stream::Stdout ? stdout_ : stderr_;
    }

    asio::any_io_executor executor_;
    Command command_;
    LineHandler on_line_;
    int pid_ = 0;
    std::chrono::steady_clock::time_point started_at_;
    asio::posix::stream_descriptor stdin_;
    asio::posix::stream_descriptor stdout_;
    asio::posix::stream_descriptor stderr_;
    asio::posix::stream_descriptor pidfd_;
    asio::steady_timer timeout_timer_;
    asio::steady_timer kill_timer_;
    asio::steady_timer drain_timer_;
    asio::steady_timer done_signal_;     // never expires; cancelled to wake Wait() callers
    std::optional<Ending> termination_;  // TimedOut or Stopped, whichever asked first
    bool reaped_ = false;
    int open_readers_ = 2;
    std::optional<Outcome> exit_outcome_;  // once reaped (or the spawn failed)
    std::optional<Outcome> outcome_;       // once everything is done: what Wait() returns
    std::exception_ptr handler_error_;
};

void ChildProcess::Impl::Begin() {
    auto spawned = detail::Spawn(command_);
    if (auto* failure = std::get_if<detail::SpawnFailure>(&spawned)) {
        started_at_ = std::chrono::steady_clock::now();
        exit_outcome_ =
            Outcome{.ending = Ending::SpawnFailed, .error = std::move(failure->message)};
        open_readers_ = 0;
        MaybeFinish();
        return;
    }
    Watch(std::get<detail::SpawnedProcess>(spawned));
    WriteStdin();
    StartReader(Stream::Stdout);
    StartReader(Stream::Stderr);
    AwaitExit();
    ArmTimeout();
}

// Hands each descriptor to Asio only once registered, so a failing assign leaves it owned by
// `process` and closed; pid_ is set first so that the destructor then kills the child.
void ChildProcess::Impl::Watch(detail::SpawnedProcess& process) {
    pid_ = process.pid;
    started_at_ = process.started_at;
    const std::pair<asio::posix::stream_descriptor*, detail::UniqueFd*> pairs[] = {
        {&pidfd_, &process.pidfd},
        {&stdin_, &process.stdin_pipe},
        {&stdout_, &process.stdout_pipe},
        {&stderr_, &process.stderr_pipe},
    };
    for (const auto& [descriptor, fd] : pairs) {
        descriptor->assign(fd->get());
        fd->Release();
    }
}

void ChildProcess::Impl::WriteStdin() {
    if (command_.stdin_data.empty()) {
        CloseQuietly(stdin_);
        return;
    }
    // The handler's self keeps command_.stdin_data, the buffer being written, alive.
    asio::async_write(stdin_,
                      asio::buffer(command_.stdin_data),
                      [self = shared_from_this()](error_code, std::size_t) {
                          // EPIPE only means the child did not read all of its stdin, as it may.
                          CloseQuietly(self->stdin_);
                      });
}

void ChildProcess::Impl::StartReader(Stream stream) {
    asio::co_spawn(executor_,
                   ReadLines(stream),
                   [self = shared_from_this(), stream](std::exception_ptr error) {
                       self->OnReaderDone(stream, std::move(error));
                   });
}

// Ends at EOF, on a read error, or when the drain timer closes the pipe; a line handler's
// exception ends it too and reaches OnReaderDone.
asio::awaitable<void> ChildProcess::Impl::ReadLines(Stream stream) {
    asio::posix::stream_descriptor& pipe = PipeFor(stream);
    LineSplitter splitter;
    const LineSplitter::LineSink deliver = [this, stream](std::string_view line) {
        on_line_(stream, line);
    };
    std::array<char, kReadChunkBytes> chunk;
    for (;;) {
        const auto [error, size] =
            co_await pipe.async_read_some(asio::buffer(chunk), asio::as_tuple(asio::use_awaitable));
        splitter.Feed(std::string_view(chunk.data(), size), deliver);
        if (error) {
            break;
        }
    }
    splitter.Finish(deliver);
}

void ChildProcess::Impl::OnReaderDone(Stream stream, std::exception_ptr error) {
    if (error && !handler_error_) {
        handler_error_ = std::move(error);
    }
    CloseQuietly(PipeFor(stream));
    --open_readers_;
    MaybeFinish();
}

void ChildProcess::Impl::AwaitExit() {
    pidfd_.async_wait(asio::posix::stream_descriptor::wait_read,
                      [self = shared_from_this()](error_code error) {
                          if (error != asio::error::operation_aborted) {
                              self->OnLeaderExited();
                          }
                      });
}

void ChildProcess::Impl::OnLeaderExited() {
    siginfo_t info{};
    // WNOWAIT: look without reaping. While the leader is an unreaped zombie its pid, which is
    // also the group id, cannot be reused, so killing the group cannot hit a stranger.
    const int peeked = ::waitid(P_PID, pid_, &info, WEXITED | WNOHANG | WNOWAIT);
    if (peeked == 0 && info.si_pid == 0) {
        AwaitExit();  // readable without an exit: wait again
        return;
    }
    if (peeked == 0) {
        SignalGroup(SIGKILL);  // no grandchild outlives the run (contract §7)
        ::waitid(P_PID, pid_, &info, WEXITED | WNOHANG);  // reaps: the peek saw it exited
        exit_outcome_ = ExitOutcome(info);
    } else {
        // Only if other code reaped our child, which the header forbids; no kill then.
        exit_outcome_ =
            Outcome{.error = "exec: exit status lost: " + std::generic_category().message(errno)};
    }
    reaped_ = true;
    CloseQuietly(pidfd_);
    timeout_timer_.cancel();
    kill_timer_.cancel();
    StartDrainTimer();
    MaybeFinish();
}

void ChildProcess::Impl::StartDrainTimer() {
    drain_timer_.expires_after(kDrainAfterExit);
    drain_timer_.async_wait([self = shared_from_this()](error_code error) {
        if (!error) {
            CloseQuietly(self->stdout_);
            CloseQuietly(self->stderr_);
            CloseQuietly(self->stdin_);
        }
    });
}

Outcome ChildProcess::Impl::ExitOutcome(const siginfo_t& info) const {
    Outcome outcome;
    const bool exited = info.si_code == CLD_EXITED;
    if (exited) {
        outcome.exit_code = info.si_status;
    } else {
        outcome.signal = info.si_status;
    }
    outcome.ending = termination_ ? *termination_ : exited ? Ending::Exited : Ending::Signaled;
    outcome.duration = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started_at_);
    return outcome;
}

void ChildProcess::Impl::ArmTimeout() {
    if (command_.timeout <= std::chrono::milliseconds::zero()) {
        return;
    }
    timeout_timer_.expires_after(command_.timeout);
    timeout_timer_.async_wait([self = shared_from_this()](error_code error) {
        if (!error) {
            self->Terminate(Ending::TimedOut);
        }
    });
}

void ChildProcess::Impl::Terminate(Ending reason) {
    if (pid_ == 0 || reaped_ || termination_) {
        return;  // never started, already over, or already being ended: the first reason stays
    }
    termination_ = reason;
    SignalGroup(SIGTERM);
    kill_timer_.expires_after(command_.kill_grace);
    kill_timer_.async_wait([self = shared_from_this()](error_code) {
        if (!self->reaped_) {
            self->SignalGroup(SIGKILL);
        }
    });
}

// Safe only before the leader is reaped: until then pid_ names our group and no other.
void ChildProcess::Impl::SignalGroup(int signal_number) const {
    ::kill(-pid_, signal_number);
}

void ChildProcess::Impl::MaybeFinish() {
    if (outcome_ || !exit_outcome_ || open_readers_ > 0) {
        return;
    }
    drain_timer_.cancel();
    CloseQuietly(stdin_);
    outcome_ = std::move(exit_outcome_);
    done_signal_.cancel();
}

asio::awaitable<Outcome> ChildProcess::Impl::Wait(std::shared_ptr<Impl> self) {
    while (!self->outcome_) {
        co_await self->done_signal_.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    if (self->handler_error_) {
        std::rethrow_exception(self->handler_error_);
    }
    co_return *self->outcome_;
}

std::shared_ptr<ChildProcess> ChildProcess::Start(asio::any_io_executor executor,
                                                  Command command,
                                                  LineHandler on_line) {
    auto impl = std::make_shared<Impl>(std::move(executor), std::move(command), std::move(on_line));
    impl->Begin();
    return std::shared_ptr<ChildProcess>(new ChildProcess(std::move(impl)));
}

ChildProcess::ChildProcess(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

asio::awaitable<Outcome> ChildProcess::Wait() {
    return Impl::Wait(impl_);
}

void ChildProcess::Stop() {
    impl_->Terminate(Ending::Stopped);
}

int ChildProcess::pid() const {
    return impl_->pid();
}

std::chrono::steady_clock::time_point ChildProcess::started_at() const {
    return impl_->started_at();
}

}  // namespace jobd::exec
