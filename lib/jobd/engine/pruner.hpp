#pragma once
// Pruner — bounded history in the background (contract §9, issue #8): deletes finished runs older
// than their retention (store::PruneRuns), one bounded batch per transaction. A full batch is
// followed by the next after a pause at least as long as the batch took, so pruning holds one
// pool connection at most half the time and fires and API calls always get a turn. With nothing
// left to prune it sleeps until a run can next expire (the oldest kept one, or one ending now), but
// at least kIdleMin and at most kIdleMax: a node's idle cost stays far below one transaction per
// second (issue #8). With several nodes, one prunes at a time (an advisory lock); the others look
// again later.
//
// Threads: everything runs on its own strand of the io executor; database work on store::Pool.
// Start(), Reload() and Stop() may be called from any thread.
// Ownership: the owner keeps the Pruner alive until io.run() has returned (Stop() lets a batch in
// flight finish; the loop then ends).

#include <chrono>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "jobd/config/config.hpp"
#include "jobd/store/retention.hpp"

namespace jobd::store {
class Pool;
}

namespace jobd::metrics {
class Metrics;
}

namespace jobd::engine {

struct PrunerSettings {
    store::Retention retention;
    store::PruneLimits limits;
};

PrunerSettings PrunerSettingsFrom(const config::Config& config);

class Pruner {
public:
    Pruner(boost::asio::any_io_executor io,
           store::Pool& db,
           metrics::Metrics& metrics,
           PrunerSettings settings);

    Pruner(const Pruner&) = delete;
    Pruner& operator=(const Pruner&) = delete;

    // Starts pruning now (runs a stopped daemon left behind go first).
    void Start();

    // SIGHUP: the new retention applies from the next batch, which starts at once.
    void Reload(PrunerSettings settings);

    // SIGTERM: no batch starts any more.
    void Stop();

private:
    boost::asio::awaitable<void> Loop();
    // One batch; returns how long to wait before the next.
    boost::asio::awaitable<std::chrono::steady_clock::duration> PruneOnce();

    // Strand only.
    boost::asio::strand<boost::asio::any_io_executor> strand_;
    store::Pool& db_;
    metrics::Metrics& metrics_;  // thread-safe itself
    PrunerSettings settings_;
    bool stopping_ = false;
    bool reload_pending_ = false;  // Reload() came since the current pass began
    boost::asio::steady_timer wake_;
};

}  // namespace jobd::engine
