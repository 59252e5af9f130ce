#include "jobd/metrics/histogram.hpp"

#include <algorithm>
#include <cassert>

namespace jobd::metrics {

Histogram::Histogram(std::span<const double> bounds)
    : bounds_(bounds.begin(), bounds.end()),
      counts_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds.size() + 1)) {
    assert(!bounds_.empty());
    assert(std::adjacent_find(bounds_.begin(), bounds_.end(), std::greater_equal<>()) ==
           bounds_.end());
}

void Histogram::Observe(double value) {
    // le is inclusive: a value equal to a bound belongs to that bound's bucket.
    const auto bucket = std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin();
    counts_[bucket].fetch_add(1, std::memory_order_relaxed);
    sum_.fetch_add(value, std::memory_order_relaxed);
}

HistogramSnapshot Histogram::Snap() const {
    HistogramSnapshot snapshot;
    snapshot.bounds = bounds_;
    snapshot.cumulative.reserve(bounds_.size() + 1);
    std::uint64_t total = 0;
    for (std::size_t i = 0; i <= bounds_.size(); ++i) {
        total += counts_[i].load(std::memory_order_relaxed);
        snapshot.cumulative.push_back(total);
    }
    snapshot.count = total;
    snapshot.sum = sum_.load(std::memory_order_relaxed);
    return snapshot;
}

}  // namespace jobd::metrics
