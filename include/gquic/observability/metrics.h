#pragma once
// gquic's metrics registry: families of counters, gauges and histograms, exported in the
// Prometheus text format.
//
// Model (the Prometheus data model, restricted to what gquic needs):
//   * a *family* has a name, a help text, a type and a fixed list of label names;
//   * a *child* is one time series of the family, chosen by one value per label name:
//       auto fam = collector.counter("gquic_udp_datagrams_sent_total", "Datagrams sent",
//                                    {"socket"});        // Result<reference_wrapper<...>>
//       if (!fam) { log the error and go on without the metric }
//       Counter& sent = *fam->get().with({"0"});   // look up once, keep the reference
//       sent.inc();                                // hot path: one relaxed atomic add
//   * children live as long as the collector and never move, so handles are plain references.
//     There is no removal: label values must come from a bounded set (socket index, drop
//     reason, status code) — never from peer addresses or connection ids.
//
// Concurrency: updates through handles are lock-free (metric.h). Registering a family takes the
// registry lock; creating or finding a child takes that family's lock; an export takes both in
// turn. All of it is thread-safe.
//
// Errors are values (MetricsErrc in a Result): a bad or conflicting name, a wrong number of
// label values. Registering a name again with the same type, label names (and, for histograms,
// bounds) returns the existing family — so two instances of a module can share a family — while
// a different type or label list is a conflict. The first help text wins.
//
// Collect hooks let a module publish state it already keeps (pool occupancy, the UDP mux's
// stats()) at scrape time instead of on every change: add_collect_hook() registers a callback
// that export_prometheus_metrics() runs just before rendering. A module removes its hook before
// it dies (remove_collect_hook(), or hold a ScopedCollectHook); once removal returns, the hook
// is not running and will not run again. Hooks run one at a time, in registration order, on
// the exporting thread; a hook may register metrics or add/remove hooks (including itself).

#include <algorithm>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gquic/core/error.h"
#include "gquic/observability/metric.h"
#include "gquic/observability/metric_names.h"
#include "gquic/observability/metrics_error.h"

namespace gquic::observability {

class MetricsCollector;

namespace detail {

// Orders children by label values; transparent so a lookup with string_views does not allocate.
struct LabelValuesLess {
  using is_transparent = void;
  template <typename A, typename B>
  bool operator()(const A& a, const B& b) const noexcept {
    return std::lexicographical_compare(
        a.begin(), a.end(), b.begin(), b.end(),
        [](std::string_view x, std::string_view y) { return x < y; });
  }
};

// What every family shares: identity, the lock over its children, and rendering.
class FamilyBase {
 public:
  virtual ~FamilyBase() = default;
  FamilyBase(const FamilyBase&) = delete;
  FamilyBase& operator=(const FamilyBase&) = delete;

  const std::string& name() const noexcept { return name_; }
  const std::string& help() const noexcept { return help_; }
  MetricType type() const noexcept { return type_; }
  const std::vector<std::string>& label_names() const noexcept { return label_names_; }
  // Histogram bucket upper bounds (without +Inf); empty for other types.
  const std::vector<double>& bounds() const noexcept { return bounds_; }

  // Appends `# HELP`, `# TYPE` and every sample; nothing if the family has no children.
  virtual void write_prometheus(std::string& out) const = 0;
  virtual std::size_t size() const = 0;

 protected:
  FamilyBase(std::string name, std::string help, MetricType type,
             std::vector<std::string> label_names, std::vector<double> bounds);
  // Rejects a wrong number of values and values that are not UTF-8.
  Result<void> check_values(std::span<const std::string_view> values) const;
  void write_header(std::string& out) const;
  // `name{l1="v1",...,extra_name="extra_value"} ` (or `name ` without labels).
  void write_series_prefix(std::string& out, std::string_view sample_name,
                           const std::vector<std::string>& values,
                           std::string_view extra_name = {},
                           std::string_view extra_value = {}) const;

  mutable std::mutex mu_;

 private:
  std::string name_;
  std::string help_;
  MetricType type_;
  std::vector<std::string> label_names_;
  std::vector<double> bounds_;
};

}  // namespace detail

// A family of metrics of type M (Counter, Gauge or Histogram), made by MetricsCollector.
template <typename M>
class Family final : public detail::FamilyBase {
 public:
  using Handle = std::reference_wrapper<M>;

  // The child for these label values (one per label name, in order), created on first use.
  // `Counter& c = *family.with({"0"});` — an error if the count is wrong or a value is not UTF-8.
  Result<Handle> with(std::initializer_list<std::string_view> values = {});
  Result<Handle> with(std::span<const std::string> values);

  void write_prometheus(std::string& out) const override;
  std::size_t size() const override;

 private:
  friend class MetricsCollector;
  using FamilyBase::FamilyBase;
  Result<Handle> with_views(std::span<const std::string_view> values);

  std::map<std::vector<std::string>, std::unique_ptr<M>, detail::LabelValuesLess> children_;
};

extern template class Family<Counter>;
extern template class Family<Gauge>;
extern template class Family<Histogram>;

using CounterFamily = Family<Counter>;
using GaugeFamily = Family<Gauge>;
using HistogramFamily = Family<Histogram>;

// Bucket bounds helpers: start, start*factor, ... (count bounds); start, start+width, ...
std::vector<double> exponential_buckets(double start, double factor, std::size_t count);
std::vector<double> linear_buckets(double start, double width, std::size_t count);

class MetricsCollector {
 public:
  using CollectHookId = std::uint64_t;

  MetricsCollector();
  ~MetricsCollector();
  MetricsCollector(const MetricsCollector&) = delete;
  MetricsCollector& operator=(const MetricsCollector&) = delete;

  // Registers (or finds) a family. A family without labels gets its single child at once, so
  // it is exported as 0 before its first update.
  Result<std::reference_wrapper<CounterFamily>> counter(
      std::string_view name, std::string_view help,
      std::initializer_list<std::string_view> label_names = {});
  Result<std::reference_wrapper<GaugeFamily>> gauge(
      std::string_view name, std::string_view help,
      std::initializer_list<std::string_view> label_names = {});
  // `bounds`: finite, strictly increasing upper bounds; a trailing +Inf is accepted and dropped.
  Result<std::reference_wrapper<HistogramFamily>> histogram(
      std::string_view name, std::string_view help,
      std::initializer_list<std::string_view> label_names, std::vector<double> bounds);

  // Collect hooks (see the header comment). remove_collect_hook() returns false for an unknown
  // id (already removed, or never added).
  CollectHookId add_collect_hook(std::function<void()> hook);
  bool remove_collect_hook(CollectHookId id);

  // Runs the collect hooks, then renders every family in the Prometheus text format 0.0.4,
  // families sorted by name and children by label values.
  std::string export_prometheus_metrics();
  // Renders without running the hooks.
  std::string render_prometheus_metrics() const;

  std::size_t family_count() const;

 private:
  template <typename F>
  Result<std::reference_wrapper<F>> register_family(std::string_view name, std::string_view help,
                                                    MetricType type,
                                                    std::initializer_list<std::string_view> labels,
                                                    std::vector<double> bounds);
  void run_collect_hooks();

  mutable std::mutex registry_mu_;
  std::map<std::string, std::unique_ptr<detail::FamilyBase>, std::less<>> families_;
  // Every sample name a family emits (a histogram emits four) -> the family's name. The naming
  // conventions already keep them apart; this keeps the output valid if they are relaxed.
  std::map<std::string, std::string, std::less<>> sample_names_;

  // Recursive so a hook may add or remove hooks on the exporting thread.
  std::recursive_mutex hooks_mu_;
  std::map<CollectHookId, std::function<void()>> hooks_;
  CollectHookId next_hook_id_ = 1;
  CollectHookId running_hook_ = 0;        // the hook being run, 0 outside of run_collect_hooks
  bool remove_running_hook_ = false;       // it asked to remove itself
};

// Removes its hook when destroyed. The collector must outlive it.
class ScopedCollectHook {
 public:
  ScopedCollectHook() noexcept = default;
  ScopedCollectHook(MetricsCollector& collector, std::function<void()> hook)
      : collector_(&collector), id_(collector.add_collect_hook(std::move(hook))) {}
  ~ScopedCollectHook() { reset(); }
  ScopedCollectHook(ScopedCollectHook&& o) noexcept
      : collector_(std::exchange(o.collector_, nullptr)), id_(std::exchange(o.id_, 0)) {}
  ScopedCollectHook& operator=(ScopedCollectHook&& o) noexcept {
    if (this != &o) {
      reset();
      collector_ = std::exchange(o.collector_, nullptr);
      id_ = std::exchange(o.id_, 0);
    }
    return *this;
  }
  void reset() {
    if (collector_ != nullptr) collector_->remove_collect_hook(id_);
    collector_ = nullptr;
    id_ = 0;
  }
  MetricsCollector::CollectHookId id() const noexcept { return id_; }

 private:
  MetricsCollector* collector_ = nullptr;
  MetricsCollector::CollectHookId id_ = 0;
};

}  // namespace gquic::observability
