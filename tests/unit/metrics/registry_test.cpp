// The registry's exposition, byte for byte (Prometheus text format 0.0.4).

#include "jobd/metrics/registry.hpp"

#include <gtest/gtest.h>

namespace jobd::metrics {
namespace {

constexpr double kBounds[] = {0.005, 0.5, 2.5};

TEST(Registry, WritesEveryFamilyInTheOrderAdded) {
    Registry registry;
    auto& runs = registry.AddCounter("jobd_runs_total", "Runs.", {"company", "state"});
    auto& queued = registry.AddGauge("jobd_queued", "Queued runs.");
    auto& latency = registry.AddHistogram("jobd_latency_seconds", "Latency.", {}, kBounds);

    runs.WithLabels({"47", "Succeeded"}).Inc();
    runs.WithLabels({"47", "Succeeded"}).Inc(2);
    runs.WithLabels({"12", "Failed"}).Inc();
    queued.Get().Set(4);
    latency.Get().Observe(0.5);  // le is inclusive
    latency.Get().Observe(1);
    latency.Get().Observe(7);

    EXPECT_EQ(registry.Write(),
              "# HELP jobd_runs_total Runs.\n"
              "# TYPE jobd_runs_total counter\n"
              "jobd_runs_total{company=\"12\",state=\"Failed\"} 1\n"
              "jobd_runs_total{company=\"47\",state=\"Succeeded\"} 3\n"
              "# HELP jobd_queued Queued runs.\n"
              "# TYPE jobd_queued gauge\n"
              "jobd_queued 4\n"
              "# HELP jobd_latency_seconds Latency.\n"
              "# TYPE jobd_latency_seconds histogram\n"
              "jobd_latency_seconds_bucket{le=\"0.005\"} 0\n"
              "jobd_latency_seconds_bucket{le=\"0.5\"} 1\n"
              "jobd_latency_seconds_bucket{le=\"2.5\"} 2\n"
              "jobd_latency_seconds_bucket{le=\"+Inf\"} 3\n"
              "jobd_latency_seconds_sum 8.5\n"
              "jobd_latency_seconds_count 3\n");
}

TEST(Registry, UnlabelledFamiliesAreWrittenAsZeroBeforeAnyUse) {
    Registry registry;
    registry.AddCounter("c_total", "C.");
    registry.AddHistogram("h_seconds", "H.", {}, kBounds);
    registry.AddCounter("labelled_total", "L.", {"company"});

    EXPECT_EQ(registry.Write(),
              "# HELP c_total C.\n# TYPE c_total counter\nc_total 0\n"
              "# HELP h_seconds H.\n# TYPE h_seconds histogram\n"
              "h_seconds_bucket{le=\"0.005\"} 0\nh_seconds_bucket{le=\"0.5\"} 0\n"
              "h_seconds_bucket{le=\"2.5\"} 0\nh_seconds_bucket{le=\"+Inf\"} 0\n"
              "h_seconds_sum 0\nh_seconds_count 0\n"
              "# HELP labelled_total L.\n# TYPE labelled_total counter\n");
}

TEST(Registry, HistogramLabelsComeBeforeLe) {
    Registry registry;
    registry.AddHistogram("h", "H.", {"company"}, kBounds).WithLabels({"a\"b"}).Observe(0.1);

    const std::string text = registry.Write();
    EXPECT_NE(text.find("h_bucket{company=\"a\\\"b\",le=\"0.5\"} 1\n"), std::string::npos) << text;
    EXPECT_NE(text.find("h_sum{company=\"a\\\"b\"} 0.1\n"), std::string::npos) << text;
    EXPECT_NE(text.find("h_count{company=\"a\\\"b\"} 1\n"), std::string::npos) << text;
}

TEST(Family, SameLabelValuesGiveTheSameInstrument) {
    Registry registry;
    auto& family = registry.AddCounter("c_total", "C.", {"company"});
    Counter& first = family.WithLabels({"47"});
    Counter& again = family.WithLabels({"47"});
    Counter& other = family.WithLabels({"48"});
    EXPECT_EQ(&first, &again);
    EXPECT_NE(&first, &other);
}

TEST(Counter, SetTotalNeverGoesBack) {
    Counter counter;
    counter.SetTotal(5);
    EXPECT_EQ(counter.Value(), 5U);
    counter.SetTotal(3);
    EXPECT_EQ(counter.Value(), 5U);
    counter.Inc();
    EXPECT_EQ(counter.Value(), 6U);
}

}  // namespace
}  // namespace jobd::metrics
