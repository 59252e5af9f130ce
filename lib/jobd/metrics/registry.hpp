#pragma once
// The metric families of one process and their text exposition (Prometheus 0.0.4). Pure: no I/O,
// no clock; what is written is what was recorded or set.
//
// Threads: Add* while setting up, before the registry is shared; Write and the families' members
// from any thread afterwards.
// Ownership: the Registry owns its families; the references Add* returns live as long as it.
// Names and label names must be valid Prometheus names (an invariant: they are constants).

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "jobd/metrics/family.hpp"

namespace jobd::metrics {

class Registry {
public:
    // A family without labels has its one instrument from the start, so it is written as 0
    // before anything happened; a labelled one shows each label combination once used.
    Family<Counter>& AddCounter(std::string name,
                                std::string help,
                                std::vector<std::string> label_names = {});
    Family<Gauge>& AddGauge(std::string name,
                            std::string help,
                            std::vector<std::string> label_names = {});
    Family<Histogram>& AddHistogram(std::string name,
                                    std::string help,
                                    std::vector<std::string> label_names,
                                    std::span<const double> bounds);

    // Every family in the order added, in text exposition format.
    std::string Write() const;

private:
    template <typename T>
    Family<T>& Add(std::unique_ptr<Family<T>> family, bool labelled);

    std::vector<std::unique_ptr<FamilyBase>> families_;
};

}  // namespace jobd::metrics
