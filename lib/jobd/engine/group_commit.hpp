#pragma once
// GroupCommit: requests that each need a transaction (a run's claim, a run's end) share one, so
// one commit — one WAL flush — serves many runs (issue #8). With no transaction in flight a
// request goes at once: an idle node adds no delay. While one is in flight, the requests that
// come meanwhile wait for it and go together in the next, at most `max_batch` at a time.
//
// Threads: Submit, and everything else, on one strand (the engine's); the commit function's
// awaitable runs there too and does its database work on store::Pool.
// Ownership: the owner keeps the GroupCommit alive until every batch has completed (the engine
// counts them as background work, which Drain waits for).
// Throws: Submit rethrows what committing its request failed with. When a batch fails, each of
// its requests is committed again alone, so one request's failure fails no other.

#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace jobd::engine {

template <typename Request, typename Result>
class GroupCommit {
public:
    // One result per request, in order. Retrying while the database is away is its own business.
    using Commit = std::function<boost::asio::awaitable<std::vector<Result>>(std::vector<Request>)>;
    // Starts a batch's coroutine as background work of the owner.
    using Spawn = std::function<void(boost::asio::awaitable<void>)>;

    GroupCommit(boost::asio::any_io_executor strand,
                std::size_t max_batch,
                Commit commit,
                Spawn spawn)
        : strand_(std::move(strand)),
          max_batch_(max_batch),
          commit_(std::move(commit)),
          spawn_(std::move(spawn)) {}

    // Completes once the transaction holding `request` committed, with its result.
    boost::asio::awaitable<Result> Submit(Request request) {
        auto slot = std::make_shared<Slot>(strand_, std::move(request));
        pending_.push_back(slot);
        Next();
        while (!slot->result && !slot->error) {
            co_await slot->done.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
        }
        if (slot->error) {
            std::rethrow_exception(slot->error);
        }
        co_return std::move(*slot->result);
    }

    bool InFlight() const { return in_flight_; }

private:
    struct Slot {
        Slot(boost::asio::any_io_executor executor, Request r)
            : request(std::move(r)), done(executor) {
            done.expires_at(boost::asio::steady_timer::time_point::max());
        }

        Request request;
        std::optional<Result> result;
        std::exception_ptr error;
        boost::asio::steady_timer done;  // cancelled once `result` or `error` is set
    };

    using Batch = std::vector<std::shared_ptr<Slot>>;

    void Next() {
        if (in_flight_ || pending_.empty()) {
            return;
        }
        in_flight_ = true;
        const auto count = std::min(pending_.size(), max_batch_);
        Batch batch(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(count));
        pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(count));
        spawn_(CommitBatch(std::move(batch)));
    }

    boost::asio::awaitable<void> CommitBatch(Batch batch) {
        std::vector<Request> requests;
        requests.reserve(batch.size());
        for (const auto& slot : batch) {
            requests.push_back(slot->request);
        }
        std::exception_ptr failure;
        try {
            auto results = co_await commit_(std::move(requests));
            for (std::size_t i = 0; i < batch.size(); ++i) {
                batch[i]->result = std::move(results.at(i));
            }
        } catch (const std::exception&) {
            failure = std::current_exception();  // no co_await in a handler: handled below
        }
        if (failure && batch.size() == 1) {
            batch.front()->error = failure;
        } else if (failure) {
            co_await CommitOneByOne(batch);
        }
        for (const auto& slot : batch) {
            slot->done.cancel();
        }
        in_flight_ = false;
        Next();
    }

    boost::asio::awaitable<void> CommitOneByOne(const Batch& batch) {
        for (const auto& slot : batch) {
            try {
                std::vector<Request> alone{slot->request};  // named: GCC 12 and co_await
                auto results = co_await commit_(std::move(alone));
                slot->result = std::move(results.at(0));
            } catch (const std::exception&) {
                slot->error = std::current_exception();
            }
        }
    }

    boost::asio::any_io_executor strand_;
    std::size_t max_batch_;
    Commit commit_;
    Spawn spawn_;
    Batch pending_;
    bool in_flight_ = false;
};

}  // namespace jobd::engine
