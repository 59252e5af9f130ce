#pragma once
// A metric family: one name, help text, type and label names, and one instrument (Counter,
// Gauge or Histogram) per combination of label values, created at zero on first use.
//
// Threads: WithLabels and Write from any thread (a mutex guards the map of instruments; the
// instruments themselves are atomics, so hot paths may keep the reference WithLabels returns).
// Ownership: the Registry owns its families; a family owns its instruments, which stay at the
// same address until the Registry goes.

#include <cassert>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "jobd/metrics/counter.hpp"
#include "jobd/metrics/gauge.hpp"
#include "jobd/metrics/histogram.hpp"
#include "jobd/metrics/text_format.hpp"

namespace jobd::metrics {

// The samples of one instrument in text exposition format.
void AppendInstrument(std::string& out,
                      std::string_view name,
                      const Labels& labels,
                      const Counter& counter);
void AppendInstrument(std::string& out,
                      std::string_view name,
                      const Labels& labels,
                      const Gauge& gauge);
void AppendInstrument(std::string& out,
                      std::string_view name,
                      const Labels& labels,
                      const Histogram& histogram);

class FamilyBase {
public:
    virtual ~FamilyBase() = default;

    // `# HELP`, `# TYPE` and every instrument's samples, in the order of their label values.
    virtual void Write(std::string& out) const = 0;
};

template <typename T>
constexpr std::string_view kTypeName = "counter";
template <>
inline constexpr std::string_view kTypeName<Gauge> = "gauge";
template <>
inline constexpr std::string_view kTypeName<Histogram> = "histogram";

template <typename T>
class Family final : public FamilyBase {
public:
    Family(std::string name,
           std::string help,
           std::vector<std::string> label_names,
           std::function<std::unique_ptr<T>()> make)
        : name_(std::move(name)),
          help_(std::move(help)),
          label_names_(std::move(label_names)),
          make_(std::move(make)) {}

    // `values` in the order of the family's label names; as many as there are names.
    T& WithLabels(const std::vector<std::string>& values) {
        assert(values.size() == label_names_.size());
        const std::lock_guard lock(mutex_);
        auto& instrument = instruments_[values];
        if (instrument == nullptr) {
            instrument = make_();
        }
        return *instrument;
    }

    // The one instrument of a family without labels.
    T& Get() { return WithLabels({}); }

    void Write(std::string& out) const override {
        AppendHeader(out, name_, help_, kTypeName<T>);
        const std::lock_guard lock(mutex_);
        for (const auto& [values, instrument] : instruments_) {
            Labels labels;
            for (std::size_t i = 0; i < values.size(); ++i) {
                labels.emplace_back(label_names_[i], values[i]);
            }
            AppendInstrument(out, name_, labels, *instrument);
        }
    }

private:
    const std::string name_;
    const std::string help_;
    const std::vector<std::string> label_names_;
    const std::function<std::unique_ptr<T>()> make_;
    mutable std::mutex mutex_;
    std::map<std::vector<std::string>, std::unique_ptr<T>> instruments_;  // guarded by mutex_
};

}  // namespace jobd::metrics
