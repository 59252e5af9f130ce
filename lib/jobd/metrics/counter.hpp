#pragma once
// A Prometheus counter: a total that only grows (exposition type `counter`).
//
// Threads: any thread; every member is one relaxed atomic operation, cheap on hot paths.
// Ownership: a Family owns its counters; the reference it hands out lives as long as the
// Registry.

#include <atomic>
#include <cstdint>

namespace jobd::metrics {

class Counter {
public:
    void Inc(std::uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }

    // For a total kept elsewhere (store::Pool's error count) and copied at scrape time: takes
    // `total` unless the counter is already past it, so the counter never goes back.
    void SetTotal(std::uint64_t total) {
        std::uint64_t current = value_.load(std::memory_order_relaxed);
        while (current < total &&
               !value_.compare_exchange_weak(current, total, std::memory_order_relaxed)) {
        }
    }

    std::uint64_t Value() const { return value_.load(std::memory_order_relaxed); }

private:
    std::atomic<std::uint64_t> value_{0};
};

}  // namespace jobd::metrics
