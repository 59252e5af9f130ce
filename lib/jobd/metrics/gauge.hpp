#pragma once
// A Prometheus gauge: a value that goes up and down (exposition type `gauge`).
//
// Threads: any thread; every member is one relaxed atomic operation.
// Ownership: a Family owns its gauges; the reference it hands out lives as long as the Registry.

#include <atomic>

namespace jobd::metrics {

class Gauge {
public:
    void Set(double value) { value_.store(value, std::memory_order_relaxed); }

    double Value() const { return value_.load(std::memory_order_relaxed); }

private:
    std::atomic<double> value_{0};
};

}  // namespace jobd::metrics
