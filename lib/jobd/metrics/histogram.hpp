#pragma once
// A Prometheus histogram with fixed buckets (exposition type `histogram`): observations are
// counted in the first bucket whose upper bound is >= the value (Prometheus' `le`, inclusive),
// or in the implicit +Inf bucket.
//
// Threads: Observe and Snap from any thread; an observation is two relaxed atomic additions, so
// a Snap taken meanwhile may hold the bucket count of an observation whose value is not yet in
// the sum (Prometheus tolerates this; the count and the +Inf bucket always agree).
// Ownership: a Family owns its histograms.
// Throws: nothing; bounds that are empty or not strictly increasing are a programming error
// (assert).

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace jobd::metrics {

// Seconds: from a millisecond to ten seconds, 1-2.5-5 per decade (for latencies in ms, up to
// seconds: executeJob to process start).
inline constexpr double kLatencyBuckets[] = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

// Seconds: fire lateness reaches scheduler.misfire_grace (60 s by default) before a fire counts
// as misfired, so the latency buckets go on to a minute.
inline constexpr double kLatenessBuckets[] = {
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};

struct HistogramSnapshot {
    std::vector<double> bounds;             // upper bounds, without +Inf
    std::vector<std::uint64_t> cumulative;  // per bound, then +Inf: observations <= bound
    double sum = 0;
    std::uint64_t count = 0;  // == cumulative.back()
};

class Histogram {
public:
    explicit Histogram(std::span<const double> bounds);

    void Observe(double value);

    HistogramSnapshot Snap() const;

private:
    const std::vector<double> bounds_;
    // Per bucket, not cumulative: bounds_.size() + 1 (the last is +Inf).
    const std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;
    std::atomic<double> sum_{0};
};

}  // namespace jobd::metrics
