#include "jobd/engine/pruner.hpp"

#include <algorithm>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "jobd/log/logger.hpp"
#include "jobd/metrics/metrics.hpp"
#include "jobd/model/error.hpp"
#include "jobd/store/pool.hpp"

namespace jobd::engine {
namespace {

namespace asio = boost::asio;
using asio::use_awaitable;
using std::chrono::steady_clock;

// Between two full batches: at least this, and at least as long as the batch took.
constexpr auto kMinPause = std::chrono::milliseconds(100);
// With nothing to prune now: a run becoming prunable waits at most kIdleMin more to go (about a
// transaction per half minute for a per-second job), and an idle node looks every kIdleMax.
constexpr auto kIdleMin = std::chrono::seconds(30);
constexpr auto kIdleMax = std::chrono::minutes(5);
// The database unreachable or the batch failed (a deadlock, a statement timeout): try again.
constexpr auto kRetry = std::chrono::seconds(30);

spdlog::logger& Log() {
    return log::Get(log::Subsystem::Engine);
}

TimePoint Now() {
    return std::chrono::time_point_cast<std::chrono::microseconds>(
        std::chrono::system_clock::now());
}

// How long an unfinished batch lets the pruner sleep.
steady_clock::duration IdleWait(const store::PruneBatch& batch, TimePoint now) {
    if (batch.locked_out || !batch.next_due) {
        return kIdleMax;
    }
    return std::clamp<steady_clock::duration>(*batch.next_due - now, kIdleMin, kIdleMax);
}

}  // namespace

PrunerSettings PrunerSettingsFrom(const config::Config& config) {
    PrunerSettings settings;
    settings.retention = {config.runs.retention, config.runs.retention_failed};
    return settings;
}

Pruner::Pruner(asio::any_io_executor io,
               store::Pool& db,
               metrics::Metrics& metrics,
               PrunerSettings settings)
    : strand_(asio::make_strand(io)),
      db_(db),
      metrics_(metrics),
      settings_(settings),
      wake_(strand_) {}

void Pruner::Start() {
    // The owner keeps the pruner alive until io.run() returns, which waits for this loop.
    asio::co_spawn(strand_, Loop(), [](std::exception_ptr error) {
        if (error) {
            try {
                std::rethrow_exception(error);
            } catch (const std::exception& e) {
                Log().error("pruner stopped error=\"{}\"", e.what());
            }
        }
    });
}

void Pruner::Reload(PrunerSettings settings) {
    asio::dispatch(strand_, [this, settings] {
        settings_ = settings;
        // A shorter retention may make runs prunable now: the next pass starts at once, also
        // when this comes while a batch with the old settings is in flight.
        reload_pending_ = true;
        wake_.cancel();
    });
}

void Pruner::Stop() {
    asio::dispatch(strand_, [this] {
        stopping_ = true;
        wake_.cancel();
    });
}

asio::awaitable<void> Pruner::Loop() {
    while (!stopping_) {
        reload_pending_ = false;
        const steady_clock::duration wait = co_await PruneOnce();
        if (stopping_) {
            break;
        }
        if (reload_pending_) {
            continue;
        }
        wake_.expires_after(wait);
        co_await wake_.async_wait(asio::as_tuple(use_awaitable));  // Reload, Stop: at once
    }
}

asio::awaitable<steady_clock::duration> Pruner::PruneOnce() {
    const TimePoint now = Now();
    const PrunerSettings settings = settings_;
    auto prune = [now, settings](pqxx::work& tx) {
        return store::PruneRuns(tx, now, settings.retention, settings.limits);
    };
    const auto started = steady_clock::now();
    try {
        const store::PruneBatch batch = co_await db_.Run(std::move(prune));
        const auto took = steady_clock::now() - started;
        metrics_.RunsPruned(static_cast<std::size_t>(batch.runs), batch.details);
        if (batch.runs > 0) {
            Log().info("runs pruned runs={} details={} ms={}",
                       batch.runs,
                       batch.details,
                       std::chrono::duration_cast<std::chrono::milliseconds>(took).count());
        }
        co_return batch.full ? std::max<steady_clock::duration>(took, kMinPause)
                             : IdleWait(batch, now);
    } catch (const Error& e) {
        if (e.kind() != ErrorKind::Unavailable) {
            throw;
        }
        Log().warn("pruner cannot reach the database error=\"{}\"", e.what());
    } catch (const pqxx::failure& e) {
        Log().warn("prune batch failed error=\"{}\"", store::FirstLine(e.what()));
    }
    co_return kRetry;
}

}  // namespace jobd::engine
