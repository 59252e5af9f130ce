// Histogram bucket math: `le` is inclusive, counts are cumulative, +Inf catches the rest.

#include "jobd/metrics/histogram.hpp"

#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace jobd::metrics {
namespace {

constexpr double kBounds[] = {0.1, 1, 10};

TEST(Histogram, StartsEmpty) {
    const HistogramSnapshot snap = Histogram(kBounds).Snap();
    EXPECT_EQ(snap.bounds, (std::vector<double>{0.1, 1, 10}));
    EXPECT_EQ(snap.cumulative, (std::vector<std::uint64_t>{0, 0, 0, 0}));
    EXPECT_EQ(snap.count, 0U);
    EXPECT_EQ(snap.sum, 0);
}

TEST(Histogram, ValueEqualToABoundCountsInThatBucket) {
    Histogram histogram(kBounds);
    histogram.Observe(1);
    EXPECT_EQ(histogram.Snap().cumulative, (std::vector<std::uint64_t>{0, 1, 1, 1}));
}

TEST(Histogram, CountsAreCumulativeAndInfCatchesValuesAboveTheLastBound) {
    Histogram histogram(kBounds);
    for (const double value : {0.0, 0.05, 0.1, 0.5, 2.0, 10.0, 11.0, 1e9}) {
        histogram.Observe(value);
    }
    const HistogramSnapshot snap = histogram.Snap();
    // <=0.1: 0, 0.05, 0.1; <=1: +0.5; <=10: +2, 10; +Inf: +11, 1e9
    EXPECT_EQ(snap.cumulative, (std::vector<std::uint64_t>{3, 4, 6, 8}));
    EXPECT_EQ(snap.count, 8U);
    EXPECT_DOUBLE_EQ(snap.sum, 0.05 + 0.1 + 0.5 + 2 + 10 + 11 + 1e9);
}

TEST(Histogram, NegativeValuesCountInTheFirstBucket) {
    Histogram histogram(kBounds);
    histogram.Observe(-3);
    const HistogramSnapshot snap = histogram.Snap();
    EXPECT_EQ(snap.cumulative.front(), 1U);
    EXPECT_EQ(snap.sum, -3);
}

// The engine and every connection strand observe at once: nothing may be lost.
TEST(Histogram, ConcurrentObservationsAreAllCounted) {
    Histogram histogram(kLatencyBuckets);
    constexpr int kThreads = 4;
    constexpr int kEach = 10000;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&histogram] {
            for (int i = 0; i < kEach; ++i) {
                histogram.Observe(0.5);
            }
        });
    }
    for (auto& thread : threads) {
        thread.join();
    }
    const HistogramSnapshot snap = histogram.Snap();
    EXPECT_EQ(snap.count, static_cast<std::uint64_t>(kThreads * kEach));
    EXPECT_DOUBLE_EQ(snap.sum, 0.5 * kThreads * kEach);
}

TEST(HistogramBuckets, AreStrictlyIncreasingAndSpanMillisecondsToSeconds) {
    for (const auto& bounds :
         {std::span<const double>(kLatencyBuckets), std::span<const double>(kLatenessBuckets)}) {
        EXPECT_TRUE(std::is_sorted(bounds.begin(), bounds.end()));
        EXPECT_EQ(std::adjacent_find(bounds.begin(), bounds.end()), bounds.end());
        EXPECT_LE(bounds.front(), 0.005);
        EXPECT_GE(bounds.back(), 10);
    }
}

}  // namespace
}  // namespace jobd::metrics
