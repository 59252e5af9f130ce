#include "jobd/engine/job_change_watch.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include "jobd/log/logger.hpp"
#include "jobd/model/error.hpp"

namespace jobd::engine {
namespace {

namespace asio = boost::asio;
using asio::use_awaitable;

constexpr auto kReconnectFirst = std::chrono::milliseconds(200);
constexpr auto kReconnectMax = std::chrono::seconds(10);

spdlog::logger& Log() {
    return log::Get(log::Subsystem::Engine);
}

}  // namespace

JobChangeWatch::JobChangeWatch(asio::any_io_executor io,
                               std::string database_url,
                               Handlers handlers)
    : strand_(asio::make_strand(io)),
      url_(std::move(database_url)),
      handlers_(std::move(handlers)),
      backoff_(strand_) {}

JobChangeWatch::~JobChangeWatch() = default;

void JobChangeWatch::Start() {
    // The owner keeps the watch alive until the loop has ended (see the header).
    asio::co_spawn(strand_, Loop(), [](std::exception_ptr error) {
        if (error) {
            try {
                std::rethrow_exception(error);
            } catch (const std::exception& e) {
                Log().critical("job change watch stopped error=\"{}\"", e.what());
            }
        }
    });
}

void JobChangeWatch::Stop() {
    asio::dispatch(strand_, [this] {
        stopping_ = true;
        backoff_.cancel();
        if (socket_) {
            socket_->cancel();
        }
    });
}

asio::awaitable<void> JobChangeWatch::Loop() {
    while (!stopping_) {
        auto listener = co_await Connect();
        if (!listener) {
            co_return;
        }
        Log().info("listening for job changes channel={}", store::kJobChangesChannel);
        // Changes committed while nobody listened were not announced to this node.
        handlers_.on_change(std::nullopt);
        handlers_.on_connected();
        co_await Follow(std::move(listener));
    }
}

asio::awaitable<std::unique_ptr<store::JobChangeListener>> JobChangeWatch::Connect() {
    auto backoff = std::chrono::duration_cast<std::chrono::milliseconds>(kReconnectFirst);
    while (!stopping_) {
        auto connect = [url =
                            url_]() -> asio::awaitable<std::unique_ptr<store::JobChangeListener>> {
            co_return std::make_unique<store::JobChangeListener>(url);
        };
        try {
            auto listener = co_await asio::co_spawn(connector_, std::move(connect), use_awaitable);
            if (!stopping_) {
                co_return listener;
            }
            break;
        } catch (const Error& e) {
            if (e.kind() != ErrorKind::Unavailable) {
                throw;
            }
            Log().warn("job change listener cannot connect, retrying in_ms={} error=\"{}\"",
                       backoff.count(),
                       e.what());
        }
        backoff_.expires_after(backoff);
        co_await backoff_.async_wait(asio::as_tuple(use_awaitable));
        backoff = std::min<std::chrono::milliseconds>(backoff * 2, kReconnectMax);
    }
    co_return nullptr;
}

asio::awaitable<void> JobChangeWatch::Follow(std::unique_ptr<store::JobChangeListener> listener) {
    // A dup: the descriptor closes its own copy, never libpq's socket.
    const int fd = ::dup(listener->Socket());
    if (fd < 0) {
        throw Error(ErrorKind::Internal, Message(MessageId::JobChangeSocketDup));
    }
    socket_.emplace(strand_, fd);
    while (!stopping_) {
        const auto [ec] = co_await socket_->async_wait(asio::posix::descriptor_base::wait_read,
                                                       asio::as_tuple(use_awaitable));
        if (ec || stopping_) {
            break;
        }
        try {
            for (const auto& next_fire : listener->Take()) {
                handlers_.on_change(next_fire);
            }
            if (listener->TakeRunsReleased()) {
                handlers_.on_released();
            }
            for (auto& want : listener->TakeWorkWanted()) {
                handlers_.on_work_wanted(std::move(want));
            }
        } catch (const Error& e) {
            if (e.kind() != ErrorKind::Unavailable) {
                throw;
            }
            Log().warn("job change listener lost its connection error=\"{}\"", e.what());
            break;
        }
    }
    socket_.reset();
}

}  // namespace jobd::engine
