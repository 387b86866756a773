#include "gquic/observability/metric_names.h"

#include <array>
#include <cstdint>

#include "gquic/observability/metrics_error.h"

namespace gquic::observability {
namespace {

constexpr std::string_view kPrefix = "gquic_";
constexpr std::string_view kTotal = "_total";

bool is_alpha(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

// Unit words that have a base-unit replacement (seconds, bytes, ratio).
constexpr std::array<std::string_view, 27> kNonBaseUnits = {
    "millisecond", "milliseconds", "ms",       "millis",    "microsecond", "microseconds",
    "us",          "micros",       "nanosecond", "nanoseconds", "ns",      "nanos",
    "minute",      "minutes",      "hour",     "hours",     "day",         "days",
    "second",      "byte",         "kilobytes", "kb",       "kib",         "megabytes",
    "mb",          "mib",          "percent"};

Result<void> error(MetricsErrc e) { return make_error_code(e); }

// The word in the unit position: the last one, or the one before a trailing "_total".
std::string_view unit_word(std::string_view name) noexcept {
  if (name.ends_with(kTotal)) name.remove_suffix(kTotal.size());
  auto us = name.rfind('_');
  return us == std::string_view::npos ? name : name.substr(us + 1);
}

}  // namespace

std::string_view to_string(MetricType t) noexcept {
  switch (t) {
    case MetricType::counter: return "counter";
    case MetricType::gauge: return "gauge";
    case MetricType::histogram: return "histogram";
  }
  return "untyped";
}

bool is_valid_metric_name(std::string_view name) noexcept {
  if (name.empty()) return false;
  if (!(is_alpha(name[0]) || name[0] == '_' || name[0] == ':')) return false;
  for (char c : name.substr(1)) {
    if (!(is_alpha(c) || is_digit(c) || c == '_' || c == ':')) return false;
  }
  return true;
}

bool is_valid_label_name(std::string_view name) noexcept {
  if (name.empty() || name.starts_with("__")) return false;
  if (!(is_alpha(name[0]) || name[0] == '_')) return false;
  for (char c : name.substr(1)) {
    if (!(is_alpha(c) || is_digit(c) || c == '_')) return false;
  }
  return true;
}

Result<void> check_metric_name(std::string_view name, MetricType type) {
  if (!is_valid_metric_name(name)) return error(MetricsErrc::invalid_metric_name);
  if (!name.starts_with(kPrefix) || name.size() == kPrefix.size()) {
    return error(MetricsErrc::naming_convention);
  }
  const bool total = name.ends_with(kTotal);
  if (type == MetricType::counter) {
    if (!total || name.size() <= kPrefix.size() + kTotal.size()) {
      return error(MetricsErrc::naming_convention);
    }
  } else if (total) {
    return error(MetricsErrc::naming_convention);  // "_total" is for counters only
  }
  // Histogram sample suffixes: a histogram would emit clashing samples, and on a counter or
  // gauge they mislead readers (promtool's linter rejects them too).
  if (name.ends_with("_bucket") || name.ends_with("_sum") || name.ends_with("_count")) {
    return error(MetricsErrc::naming_convention);
  }
  const std::string_view unit = unit_word(name);
  for (std::string_view bad : kNonBaseUnits) {
    if (unit == bad) return error(MetricsErrc::naming_convention);
  }
  return {};
}

Result<void> check_label_name(std::string_view name, MetricType type) {
  if (!is_valid_label_name(name)) return error(MetricsErrc::invalid_label_name);
  if (type == MetricType::histogram && name == "le") return error(MetricsErrc::invalid_label_name);
  return {};
}


}  // namespace gquic::observability
