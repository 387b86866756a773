#include "gquic/observability/exposition.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>

#include "gquic/observability/metrics.h"

namespace gquic::observability {
namespace {

TEST(Exposition, FormatsValuesPrometheusCanParse) {
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(format_prometheus_value(0.0), "0");
  EXPECT_EQ(format_prometheus_value(1.0), "1");
  EXPECT_EQ(format_prometheus_value(-2.5), "-2.5");
  EXPECT_EQ(format_prometheus_value(0.1), "0.1");
  EXPECT_EQ(format_prometheus_value(1e21), "1e+21");
  EXPECT_EQ(format_prometheus_value(1.5e-7), "1.5e-07");
  EXPECT_EQ(format_prometheus_value(inf), "+Inf");
  EXPECT_EQ(format_prometheus_value(-inf), "-Inf");
  EXPECT_EQ(format_prometheus_value(std::numeric_limits<double>::quiet_NaN()), "NaN");
  EXPECT_EQ(std::stod(format_prometheus_value(0.30000000000000004)), 0.30000000000000004);

  std::string s;
  append_prometheus_value(s, std::uint64_t{18446744073709551615u});
  EXPECT_EQ(s, "18446744073709551615");
}

TEST(Exposition, EscapesHelpAndLabelValues) {
  std::string help;
  append_escaped_help(help, "a\\b\nc\"d");
  EXPECT_EQ(help, "a\\\\b\\nc\"d");  // quotes stay as they are in HELP
  std::string label;
  append_escaped_label_value(label, "a\\b\nc\"d");
  EXPECT_EQ(label, "a\\\\b\\nc\\\"d");
}

TEST(Exposition, SnapshotOfASmallRegistry) {
  MetricsCollector m;
  // Registered out of order: the output is sorted by family name, children by label values.
  auto h = m.histogram("gquic_rtt_seconds", "Smoothed RTT\nper path", {"path"}, {0.25, 0.5, 1});
  auto g = m.gauge("gquic_pool_free_buffers", "Free buffers", {});
  auto c = m.counter("gquic_drops_total", "Dropped \\ datagrams", {"socket", "reason"});
  auto empty = m.counter("gquic_unused_total", "Never updated", {"x"});
  ASSERT_TRUE(h && g && c && empty);

  c->get().with({"1", "short"})->get().inc(2);
  c->get().with({"0", "say \"hi\"\nback\\slash"})->get().inc();
  g->get().with()->get().set(12.5);
  Histogram& a = *h->get().with({"a"});
  a.observe(0.125);
  a.observe(0.5);  // le is inclusive
  a.observe(0.5);
  a.observe(4);
  (void)h->get().with({"b"});

  const std::string expected =
      "# HELP gquic_drops_total Dropped \\\\ datagrams\n"
      "# TYPE gquic_drops_total counter\n"
      "gquic_drops_total{socket=\"0\",reason=\"say \\\"hi\\\"\\nback\\\\slash\"} 1\n"
      "gquic_drops_total{socket=\"1\",reason=\"short\"} 2\n"
      "# HELP gquic_pool_free_buffers Free buffers\n"
      "# TYPE gquic_pool_free_buffers gauge\n"
      "gquic_pool_free_buffers 12.5\n"
      "# HELP gquic_rtt_seconds Smoothed RTT\\nper path\n"
      "# TYPE gquic_rtt_seconds histogram\n"
      "gquic_rtt_seconds_bucket{path=\"a\",le=\"0.25\"} 1\n"
      "gquic_rtt_seconds_bucket{path=\"a\",le=\"0.5\"} 3\n"
      "gquic_rtt_seconds_bucket{path=\"a\",le=\"1\"} 3\n"
      "gquic_rtt_seconds_bucket{path=\"a\",le=\"+Inf\"} 4\n"
      "gquic_rtt_seconds_sum{path=\"a\"} 5.125\n"
      "gquic_rtt_seconds_count{path=\"a\"} 4\n"
      "gquic_rtt_seconds_bucket{path=\"b\",le=\"0.25\"} 0\n"
      "gquic_rtt_seconds_bucket{path=\"b\",le=\"0.5\"} 0\n"
      "gquic_rtt_seconds_bucket{path=\"b\",le=\"1\"} 0\n"
      "gquic_rtt_seconds_bucket{path=\"b\",le=\"+Inf\"} 0\n"
      "gquic_rtt_seconds_sum{path=\"b\"} 0\n"
      "gquic_rtt_seconds_count{path=\"b\"} 0\n";
  EXPECT_EQ(m.export_prometheus_metrics(), expected);
}

TEST(Exposition, SpecialGaugeValues) {
  MetricsCollector m;
  auto g = m.gauge("gquic_g", "G", {"k"});
  ASSERT_TRUE(g);
  g->get().with({"inf"})->get().set(std::numeric_limits<double>::infinity());
  g->get().with({"nan"})->get().set(std::numeric_limits<double>::quiet_NaN());
  g->get().with({"ninf"})->get().set(-std::numeric_limits<double>::infinity());
  EXPECT_EQ(m.export_prometheus_metrics(),
            "# HELP gquic_g G\n# TYPE gquic_g gauge\n"
            "gquic_g{k=\"inf\"} +Inf\ngquic_g{k=\"nan\"} NaN\ngquic_g{k=\"ninf\"} -Inf\n");
}

TEST(Exposition, EmptyCollector) {
  MetricsCollector m;
  EXPECT_EQ(m.export_prometheus_metrics(), "");
}

}  // namespace
}  // namespace gquic::observability
