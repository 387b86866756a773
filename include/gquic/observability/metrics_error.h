#pragma once
// Why the metrics registry refused a request. Registration mistakes are programming errors in
// the calling module, but they are still values: a bad metric name must never take a node down,
// so the caller gets a Result, logs it, and carries on without that metric.

#include <system_error>
#include <type_traits>

namespace gquic::observability {

enum class MetricsErrc {
  ok = 0,
  invalid_metric_name = 1,  // not [a-zA-Z_:][a-zA-Z0-9_:]*
  invalid_label_name,       // not [a-zA-Z_][a-zA-Z0-9_]*, starts with "__", duplicate, or "le"
  naming_convention,        // valid Prometheus, but breaks gquic's rules (prefix, suffix, unit)
  conflicting_registration, // same name (or sample name) registered with another type/shape
  label_count_mismatch,     // with(): the number of values differs from the label names
  invalid_label_value,      // a label value that is not valid UTF-8
  invalid_help,             // help text that is not valid UTF-8
  invalid_buckets,          // histogram bounds not strictly increasing or not finite
};

const std::error_category& metrics_category() noexcept;

inline std::error_code make_error_code(MetricsErrc e) noexcept {
  return {static_cast<int>(e), metrics_category()};
}

}  // namespace gquic::observability

template <>
struct std::is_error_code_enum<gquic::observability::MetricsErrc> : std::true_type {};
