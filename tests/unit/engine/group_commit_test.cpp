// GroupCommit without a database: the commit function is a coroutine the test completes by hand,
// so what is in flight, and what waits for the next batch, is observable.

#include "jobd/engine/group_commit.hpp"

#include <stdexcept>
#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <gtest/gtest.h>

namespace jobd::engine {
namespace {

namespace asio = boost::asio;

class GroupCommitTest : public ::testing::Test {
protected:
    // Each batch waits on `gate_` until Release(); a batch holding -1 fails.
    asio::awaitable<std::vector<int>> Commit(std::vector<int> requests) {
        batches_.push_back(requests);
        while (!released_) {
            gate_.expires_at(asio::steady_timer::time_point::max());
            co_await gate_.async_wait(asio::as_tuple(asio::use_awaitable));
        }
        for (const int request : requests) {
            if (request < 0) {
                throw std::runtime_error("refused");
            }
        }
        std::vector<int> results;
        for (const int request : requests) {
            results.push_back(request * 10);
        }
        co_return results;
    }

    void Submit(int request) {
        asio::co_spawn(
            strand_,
            [this, request]() -> asio::awaitable<void> {
                try {
                    results_.push_back(std::to_string(co_await group_.Submit(request)));
                } catch (const std::runtime_error& e) {
                    results_.push_back(e.what());
                }
            },
            asio::detached);
    }

    void Release() {
        released_ = true;
        gate_.cancel();
    }

    asio::io_context io_;
    asio::strand<asio::io_context::executor_type> strand_{asio::make_strand(io_)};
    asio::steady_timer gate_{strand_};
    bool released_ = false;
    std::vector<std::vector<int>> batches_;
    std::vector<std::string> results_;
    GroupCommit<int, int> group_{
        strand_,
        3,
        [this](std::vector<int> requests) { return Commit(std::move(requests)); },
        [this](asio::awaitable<void> batch) {
            asio::co_spawn(strand_, std::move(batch), asio::detached);
        }};
};

TEST_F(GroupCommitTest, ALoneRequestGoesAtOnce) {
    Release();
    Submit(1);
    io_.run();
    EXPECT_EQ(batches_, (std::vector<std::vector<int>>{{1}}));
    EXPECT_EQ(results_, std::vector<std::string>{"10"});
    EXPECT_FALSE(group_.InFlight());
}

// While the first batch is in flight the others wait, then go together, at most 3 at a time.
TEST_F(GroupCommitTest, RequestsThatComeMeanwhileGoTogether) {
    Submit(1);
    io_.poll();
    ASSERT_EQ(batches_.size(), 1u);
    EXPECT_TRUE(group_.InFlight());
    for (int request = 2; request <= 5; ++request) {
        Submit(request);
    }
    io_.poll();
    EXPECT_EQ(batches_.size(), 1u);  // nothing more before the first commits
    Release();
    io_.run();
    EXPECT_EQ(batches_, (std::vector<std::vector<int>>{{1}, {2, 3, 4}, {5}}));
    EXPECT_EQ(results_, (std::vector<std::string>{"10", "20", "30", "40", "50"}));
}

// A failed batch is committed again one request at a time: only the bad request fails.
TEST_F(GroupCommitTest, AFailureFailsOnlyItsOwnRequest) {
    Submit(1);
    io_.poll();
    Submit(2);
    Submit(-1);
    Submit(3);
    Release();
    io_.run();
    EXPECT_EQ(batches_, (std::vector<std::vector<int>>{{1}, {2, -1, 3}, {2}, {-1}, {3}}));
    EXPECT_EQ(results_, (std::vector<std::string>{"10", "20", "refused", "30"}));
}

}  // namespace
}  // namespace jobd::engine
