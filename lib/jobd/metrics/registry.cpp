#include "jobd/metrics/registry.hpp"

namespace jobd::metrics {

template <typename T>
Family<T>& Registry::Add(std::unique_ptr<Family<T>> family, bool labelled) {
    Family<T>& added = *family;
    families_.push_back(std::move(family));
    if (!labelled) {
        added.Get();
    }
    return added;
}

Family<Counter>& Registry::AddCounter(std::string name,
                                      std::string help,
                                      std::vector<std::string> label_names) {
    const bool labelled = !label_names.empty();
    return Add(std::make_unique<Family<Counter>>(std::move(name),
                                                 std::move(help),
                                                 std::move(label_names),
                                                 [] { return std::make_unique<Counter>(); }),
               labelled);
}

Family<Gauge>& Registry::AddGauge(std::string name,
                                  std::string help,
                                  std::vector<std::string> label_names) {
    const bool labelled = !label_names.empty();
    return Add(std::make_unique<Family<Gauge>>(std::move(name),
                                               std::move(help),
                                               std::move(label_names),
                                               [] { return std::make_unique<Gauge>(); }),
               labelled);
}

Family<Histogram>& Registry::AddHistogram(std::string name,
                                          std::string help,
                                          std::vector<std::string> label_names,
                                          std::span<const double> bounds) {
    const bool labelled = !label_names.empty();
    std::vector<double> kept(bounds.begin(), bounds.end());
    return Add(
        std::make_unique<Family<Histogram>>(std::move(name),
                                            std::move(help),
                                            std::move(label_names),
                                            [kept] { return std::make_unique<Histogram>(kept); }),
        labelled);
}

std::string Registry::Write() const {
    std::string out;
    for (const auto& family : families_) {
        family->Write(out);
    }
    return out;
}

}  // namespace jobd::metrics
