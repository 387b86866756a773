#pragma once
// Naming rules for metrics, checked once when a family is registered (never on the hot path).
//
// Two layers:
//   1. Prometheus syntax: metric names match [a-zA-Z_:][a-zA-Z0-9_:]*, label names match
//      [a-zA-Z_][a-zA-Z0-9_]* and must not start with "__" (reserved for Prometheus itself).
//   2. gquic conventions, so dashboards can rely on them:
//        * every metric name starts with "gquic_";
//        * counters, and only counters, end in "_total";
//        * quantities use base units: "_seconds", "_bytes" — never "_milliseconds", "_ms",
//          "_kilobytes" and the like (checked on the unit position: the last word of the name,
//          or the one before "_total");
//        * no name ends in "_bucket", "_sum" or "_count" (the sample suffixes of histograms;
//          promtool's linter rejects them on other types too), and histograms must not use the
//          label name "le".

#include <string_view>

#include "gquic/core/error.h"
#include "gquic/core/utf8.h"

namespace gquic::observability {

enum class MetricType { counter, gauge, histogram };

// "counter", "gauge" or "histogram": the word used in a `# TYPE` line.
std::string_view to_string(MetricType t) noexcept;

// Prometheus syntax only.
bool is_valid_metric_name(std::string_view name) noexcept;
bool is_valid_label_name(std::string_view name) noexcept;

// Whole check for a family about to be registered: syntax, then gquic conventions.
// Errors are MetricsErrc codes (metrics_error.h).
Result<void> check_metric_name(std::string_view name, MetricType type);
Result<void> check_label_name(std::string_view name, MetricType type);

// True if `s` is well-formed UTF-8 (no overlongs, surrogates or code points above U+10FFFF).
using gquic::is_valid_utf8;  // core/utf8.h

}  // namespace gquic::observability
