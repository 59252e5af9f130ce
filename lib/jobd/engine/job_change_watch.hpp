#pragma once
// JobChangeWatch — the scheduler's ear for job changes made by any node (contract §8): it keeps
// a store::JobChangeListener connected, watches its socket on the io loop and reports each
// change's next fire, each release of queued runs by a node (issue #6) and each node asking for
// work (issue #8). After every (re)connect it reports "look again" and "connected" once, since
// what was announced while it was not listening is lost. A lost connection is made again with
// backoff.
//
// Threads: everything runs on its own strand of the io executor; the blocking connect runs on a
// thread of the watch's own, so the io thread never waits for the database. Start() and Stop()
// may be called from any thread.
// Ownership: the owner keeps the watch alive until Stop() has been called and the io loop has
// finished the cancelled waits (the daemon stops it before io.run() returns).

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>

#include "jobd/model/time.hpp"
#include "jobd/store/job_changes.hpp"

namespace jobd::engine {

class JobChangeWatch {
public:
    // Each runs on the watch's strand.
    struct Handlers {
        // A job now fires at `next_fire`, or nullopt: anything may have changed, look again.
        std::function<void(std::optional<TimePoint>)> on_change;
        // A node released queued runs that a node with a free worker may take
        // (store::kRunsReleasedChannel).
        std::function<void()> on_released;
        // A node has free workers and nothing to start (store::kWorkWantedChannel), this one
        // included.
        std::function<void(store::WorkWanted)> on_work_wanted;
        // The watch (re)connected: what was announced while it did not listen is lost.
        std::function<void()> on_connected;
    };

    JobChangeWatch(boost::asio::any_io_executor io, std::string database_url, Handlers handlers);
    ~JobChangeWatch();

    JobChangeWatch(const JobChangeWatch&) = delete;
    JobChangeWatch& operator=(const JobChangeWatch&) = delete;

    void Start();
    // Stops listening; a connect in progress finishes on its thread and is dropped.
    void Stop();

private:
    boost::asio::awaitable<void> Loop();
    // A new listener, retrying with backoff; null once stopping.
    boost::asio::awaitable<std::unique_ptr<store::JobChangeListener>> Connect();
    // Reports the listener's notifications until its connection breaks or the watch stops.
    boost::asio::awaitable<void> Follow(std::unique_ptr<store::JobChangeListener> listener);

    // Strand only.
    boost::asio::strand<boost::asio::any_io_executor> strand_;
    const std::string url_;
    Handlers handlers_;
    bool stopping_ = false;
    std::optional<boost::asio::posix::stream_descriptor> socket_;  // a dup of the listener's
    boost::asio::steady_timer backoff_;

    boost::asio::thread_pool connector_{1};  // the blocking connect; last, joined first
};

}  // namespace jobd::engine
