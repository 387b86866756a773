#include "gquic/observability/metric_names.h"

#include <gtest/gtest.h>

#include "gquic/observability/metrics_error.h"

namespace gquic::observability {
namespace {

TEST(MetricNames, PrometheusSyntax) {
  EXPECT_TRUE(is_valid_metric_name("gquic_x"));
  EXPECT_TRUE(is_valid_metric_name("_x:y_1"));
  EXPECT_TRUE(is_valid_metric_name(":x"));
  EXPECT_FALSE(is_valid_metric_name(""));
  EXPECT_FALSE(is_valid_metric_name("1x"));
  EXPECT_FALSE(is_valid_metric_name("gquic-x"));
  EXPECT_FALSE(is_valid_metric_name("gquic x"));
  EXPECT_FALSE(is_valid_metric_name("gquic_\xc3\xa9"));

  EXPECT_TRUE(is_valid_label_name("socket"));
  EXPECT_TRUE(is_valid_label_name("_x1"));
  EXPECT_FALSE(is_valid_label_name(""));
  EXPECT_FALSE(is_valid_label_name("__name__"));
  EXPECT_FALSE(is_valid_label_name("__x"));
  EXPECT_FALSE(is_valid_label_name("a:b"));
  EXPECT_FALSE(is_valid_label_name("1a"));
  EXPECT_FALSE(is_valid_label_name("a-b"));
}

TEST(MetricNames, GquicConventions) {
  EXPECT_TRUE(check_metric_name("gquic_udp_datagrams_sent_total", MetricType::counter));
  EXPECT_TRUE(check_metric_name("gquic_udp_sent_bytes_total", MetricType::counter));
  EXPECT_TRUE(check_metric_name("gquic_pool_buffers", MetricType::gauge));
  EXPECT_TRUE(check_metric_name("gquic_peers", MetricType::gauge));
  EXPECT_TRUE(check_metric_name("gquic_handshake_duration_seconds", MetricType::histogram));

  auto convention = [](std::string_view n, MetricType t) {
    return check_metric_name(n, t).error() == MetricsErrc::naming_convention;
  };
  EXPECT_TRUE(convention("udp_sent_total", MetricType::counter));            // no prefix
  EXPECT_TRUE(convention("gquic_", MetricType::gauge));                      // prefix only
  EXPECT_TRUE(convention("gquic_udp_sent", MetricType::counter));            // no _total
  EXPECT_TRUE(convention("gquic__total", MetricType::counter));              // nothing named
  EXPECT_TRUE(convention("gquic_queue_total", MetricType::gauge));           // _total on gauge
  EXPECT_TRUE(convention("gquic_rtt_total", MetricType::histogram));
  EXPECT_TRUE(convention("gquic_rtt_ms", MetricType::histogram));            // non-base unit
  EXPECT_TRUE(convention("gquic_rtt_milliseconds", MetricType::gauge));
  EXPECT_TRUE(convention("gquic_busy_milliseconds_total", MetricType::counter));
  EXPECT_TRUE(convention("gquic_sent_kilobytes_total", MetricType::counter));
  EXPECT_TRUE(convention("gquic_rtt_bucket", MetricType::histogram));        // sample suffixes
  EXPECT_TRUE(convention("gquic_rtt_sum", MetricType::histogram));
  EXPECT_TRUE(convention("gquic_rtt_count", MetricType::histogram));
  EXPECT_TRUE(convention("gquic_peer_count", MetricType::gauge));
  EXPECT_TRUE(convention("gquic_rtt_seconds_sum", MetricType::gauge));

  EXPECT_EQ(check_metric_name("gquic-x_total", MetricType::counter).error(),
            MetricsErrc::invalid_metric_name);
  EXPECT_EQ(check_metric_name("", MetricType::gauge).error(), MetricsErrc::invalid_metric_name);
}

TEST(MetricNames, LabelRules) {
  EXPECT_TRUE(check_label_name("le", MetricType::counter));
  EXPECT_EQ(check_label_name("le", MetricType::histogram).error(),
            MetricsErrc::invalid_label_name);
  EXPECT_EQ(check_label_name("__reserved", MetricType::gauge).error(),
            MetricsErrc::invalid_label_name);
}

TEST(MetricNames, Utf8) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("plain"));
  EXPECT_TRUE(is_valid_utf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
  EXPECT_FALSE(is_valid_utf8("\xc3"));              // truncated
  EXPECT_FALSE(is_valid_utf8("\x80"));              // lone continuation
  EXPECT_FALSE(is_valid_utf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(is_valid_utf8("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(is_valid_utf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(is_valid_utf8("\xff"));
}

TEST(MetricsErrc, EveryCodeHasAMessage) {
  for (int c = 0; c <= static_cast<int>(MetricsErrc::invalid_buckets); ++c) {
    EXPECT_EQ(make_error_code(static_cast<MetricsErrc>(c)).message().find("unknown"),
              std::string::npos);
  }
  EXPECT_STREQ(make_error_code(MetricsErrc::ok).category().name(), "gquic.metrics");
}

}  // namespace
}  // namespace gquic::observability
