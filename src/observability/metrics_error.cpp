#include "gquic/observability/metrics_error.h"

#include <string>

namespace gquic::observability {
namespace {

class MetricsCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "gquic.metrics"; }
  std::string message(int code) const override {
    switch (static_cast<MetricsErrc>(code)) {
      case MetricsErrc::ok: return "success";
      case MetricsErrc::invalid_metric_name: return "invalid metric name";
      case MetricsErrc::invalid_label_name: return "invalid label name";
      case MetricsErrc::naming_convention: return "metric name breaks gquic naming conventions";
      case MetricsErrc::conflicting_registration:
        return "metric already registered with another type or labels";
      case MetricsErrc::label_count_mismatch: return "wrong number of label values";
      case MetricsErrc::invalid_label_value: return "label value is not valid UTF-8";
      case MetricsErrc::invalid_help: return "help text is not valid UTF-8";
      case MetricsErrc::invalid_buckets:
        return "histogram bounds must be finite and strictly increasing";
    }
    return "unknown metrics error " + std::to_string(code);
  }
};

}  // namespace

const std::error_category& metrics_category() noexcept {
  static const MetricsCategory category;
  return category;
}

}  // namespace gquic::observability
