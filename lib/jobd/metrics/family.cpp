#include "jobd/metrics/family.hpp"

namespace jobd::metrics {

void AppendInstrument(std::string& out,
                      std::string_view name,
                      const Labels& labels,
                      const Counter& counter) {
    AppendSample(out, name, labels, static_cast<double>(counter.Value()));
}

void AppendInstrument(std::string& out,
                      std::string_view name,
                      const Labels& labels,
                      const Gauge& gauge) {
    AppendSample(out, name, labels, gauge.Value());
}

void AppendInstrument(std::string& out,
                      std::string_view name,
                      const Labels& labels,
                      const Histogram& histogram) {
    const HistogramSnapshot snapshot = histogram.Snap();
    const std::string base(name);
    Labels bucket_labels = labels;
    bucket_labels.emplace_back("le", "");
    for (std::size_t i = 0; i < snapshot.cumulative.size(); ++i) {
        const bool last = i == snapshot.bounds.size();
        bucket_labels.back().second = last ? "+Inf" : FormatValue(snapshot.bounds[i]);
        AppendSample(
            out, base + "_bucket", bucket_labels, static_cast<double>(snapshot.cumulative[i]));
    }
    AppendSample(out, base + "_sum", labels, snapshot.sum);
    AppendSample(out, base + "_count", labels, static_cast<double>(snapshot.count));
}

}  // namespace jobd::metrics
