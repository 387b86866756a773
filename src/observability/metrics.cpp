#include "gquic/observability/metrics.h"

#include <cmath>
#include <exception>

#include "gquic/core/assert.h"
#include "gquic/core/log.h"
#include "gquic/observability/exposition.h"

namespace gquic::observability {
namespace detail {

FamilyBase::FamilyBase(std::string name, std::string help, MetricType type,
                       std::vector<std::string> label_names, std::vector<double> bounds)
    : name_(std::move(name)),
      help_(std::move(help)),
      type_(type),
      label_names_(std::move(label_names)),
      bounds_(std::move(bounds)) {}

Result<void> FamilyBase::check_values(std::span<const std::string_view> values) const {
  if (values.size() != label_names_.size()) {
    return make_error_code(MetricsErrc::label_count_mismatch);
  }
  for (std::string_view v : values) {
    if (!is_valid_utf8(v)) return make_error_code(MetricsErrc::invalid_label_value);
  }
  return {};
}

void FamilyBase::write_header(std::string& out) const {
  out += "# HELP ";
  out += name_;
  out += ' ';
  append_escaped_help(out, help_);
  out += "\n# TYPE ";
  out += name_;
  out += ' ';
  out += to_string(type_);
  out += '\n';
}

void FamilyBase::write_series_prefix(std::string& out, std::string_view sample_name,
                                     const std::vector<std::string>& values,
                                     std::string_view extra_name,
                                     std::string_view extra_value) const {
  out += sample_name;
  if (!label_names_.empty() || !extra_name.empty()) {
    out += '{';
    bool first = true;
    auto label = [&](std::string_view n, std::string_view v) {
      if (!first) out += ',';
      first = false;
      out += n;
      out += "=\"";
      append_escaped_label_value(out, v);
      out += '"';
    };
    for (std::size_t i = 0; i < label_names_.size(); ++i) label(label_names_[i], values[i]);
    if (!extra_name.empty()) label(extra_name, extra_value);
    out += '}';
  }
  out += ' ';
}

}  // namespace detail

// ---- Family<M> ----

template <typename M>
auto Family<M>::with(std::initializer_list<std::string_view> values) -> Result<Handle> {
  return with_views(std::span<const std::string_view>(values.begin(), values.size()));
}

template <typename M>
auto Family<M>::with(std::span<const std::string> values) -> Result<Handle> {
  std::vector<std::string_view> views(values.begin(), values.end());
  return with_views(views);
}

template <typename M>
auto Family<M>::with_views(std::span<const std::string_view> values) -> Result<Handle> {
  if (auto ok = check_values(values); !ok) return ok.error();
  std::lock_guard lock(mu_);
  auto it = children_.find(values);
  if (it == children_.end()) {
    std::unique_ptr<M> child;
    if constexpr (std::is_same_v<M, Histogram>) {
      child = std::make_unique<Histogram>(std::span<const double>(bounds()));
    } else {
      child = std::make_unique<M>();
    }
    it = children_.emplace(std::vector<std::string>(values.begin(), values.end()),
                           std::move(child)).first;
  }
  return std::ref(*it->second);
}

template <typename M>
std::size_t Family<M>::size() const {
  std::lock_guard lock(mu_);
  return children_.size();
}

template <typename M>
void Family<M>::write_prometheus(std::string& out) const {
  std::lock_guard lock(mu_);
  if (children_.empty()) return;
  write_header(out);
  if constexpr (std::is_same_v<M, Histogram>) {
    std::vector<std::string> le;
    le.reserve(bounds().size() + 1);
    for (double b : bounds()) le.push_back(format_prometheus_value(b));
    le.emplace_back("+Inf");
    const std::string bucket = name() + "_bucket";
    const std::string sum = name() + "_sum";
    const std::string count = name() + "_count";
    for (const auto& [values, h] : children_) {
      const std::vector<std::uint64_t> cumulative = h->cumulative_counts();
      for (std::size_t i = 0; i < cumulative.size(); ++i) {
        write_series_prefix(out, bucket, values, "le", le[i]);
        append_prometheus_value(out, cumulative[i]);
        out += '\n';
      }
      write_series_prefix(out, sum, values);
      append_prometheus_value(out, h->sum());
      out += '\n';
      write_series_prefix(out, count, values);
      append_prometheus_value(out, cumulative.back());
      out += '\n';
    }
  } else {
    for (const auto& [values, m] : children_) {
      write_series_prefix(out, name(), values);
      append_prometheus_value(out, m->value());
      out += '\n';
    }
  }
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

// ---- bucket helpers ----

std::vector<double> exponential_buckets(double start, double factor, std::size_t count) {
  std::vector<double> out;
  out.reserve(count);
  for (std::size_t i = 0; i < count; ++i, start *= factor) out.push_back(start);
  return out;
}

std::vector<double> linear_buckets(double start, double width, std::size_t count) {
  std::vector<double> out;
  out.reserve(count);
  for (std::size_t i = 0; i < count; ++i) out.push_back(start + width * static_cast<double>(i));
  return out;
}

// ---- MetricsCollector ----

MetricsCollector::MetricsCollector() = default;
MetricsCollector::~MetricsCollector() = default;

template <typename F>
Result<std::reference_wrapper<F>> MetricsCollector::register_family(
    std::string_view name, std::string_view help, MetricType type,
    std::initializer_list<std::string_view> labels, std::vector<double> bounds) {
  if (auto ok = check_metric_name(name, type); !ok) return ok.error();
  if (!is_valid_utf8(help)) return make_error_code(MetricsErrc::invalid_help);
  std::vector<std::string> label_names;
  label_names.reserve(labels.size());
  for (std::string_view l : labels) {
    if (auto ok = check_label_name(l, type); !ok) return ok.error();
    for (const auto& seen : label_names) {
      if (seen == l) return make_error_code(MetricsErrc::invalid_label_name);
    }
    label_names.emplace_back(l);
  }
  if (type == MetricType::histogram) {
    if (!bounds.empty() && std::isinf(bounds.back()) && bounds.back() > 0) bounds.pop_back();
    for (std::size_t i = 0; i < bounds.size(); ++i) {
      if (!std::isfinite(bounds[i]) || (i > 0 && !(bounds[i] > bounds[i - 1]))) {
        return make_error_code(MetricsErrc::invalid_buckets);
      }
    }
  }

  std::lock_guard lock(registry_mu_);
  if (auto it = families_.find(name); it != families_.end()) {
    detail::FamilyBase& existing = *it->second;
    if (existing.type() != type || existing.label_names() != label_names ||
        existing.bounds() != bounds) {
      return make_error_code(MetricsErrc::conflicting_registration);
    }
    return std::ref(static_cast<F&>(existing));
  }
  std::vector<std::string> samples{std::string(name)};
  if (type == MetricType::histogram) {
    for (std::string_view suffix : {"_bucket", "_sum", "_count"}) {
      samples.push_back(std::string(name).append(suffix));
    }
  }
  for (const auto& s : samples) {
    if (sample_names_.contains(s)) return make_error_code(MetricsErrc::conflicting_registration);
  }
  std::unique_ptr<F> family(new F(std::string(name), std::string(help), type,
                                  std::move(label_names), std::move(bounds)));
  F& ref = *family;
  if (ref.label_names().empty()) {
    // The single child of an unlabelled family exists from the start, so it exports 0.
    auto child = ref.with({});
    GQUIC_ASSERT(child.has_value());
  }
  for (auto& s : samples) sample_names_.emplace(std::move(s), std::string(name));
  families_.emplace(std::string(name), std::move(family));
  return std::ref(ref);
}

Result<std::reference_wrapper<CounterFamily>> MetricsCollector::counter(
    std::string_view name, std::string_view help,
    std::initializer_list<std::string_view> label_names) {
  return register_family<CounterFamily>(name, help, MetricType::counter, label_names, {});
}

Result<std::reference_wrapper<GaugeFamily>> MetricsCollector::gauge(
    std::string_view name, std::string_view help,
    std::initializer_list<std::string_view> label_names) {
  return register_family<GaugeFamily>(name, help, MetricType::gauge, label_names, {});
}

Result<std::reference_wrapper<HistogramFamily>> MetricsCollector::histogram(
    std::string_view name, std::string_view help,
    std::initializer_list<std::string_view> label_names, std::vector<double> bounds) {
  return register_family<HistogramFamily>(name, help, MetricType::histogram, label_names,
                                          std::move(bounds));
}

std::size_t MetricsCollector::family_count() const {
  std::lock_guard lock(registry_mu_);
  return families_.size();
}

MetricsCollector::CollectHookId MetricsCollector::add_collect_hook(std::function<void()> hook) {
  if (!hook) return 0;
  std::lock_guard lock(hooks_mu_);
  const CollectHookId id = next_hook_id_++;
  hooks_.emplace(id, std::move(hook));
  return id;
}

bool MetricsCollector::remove_collect_hook(CollectHookId id) {
  // Blocks while another thread runs the hooks, so after this returns the hook is not running.
  std::lock_guard lock(hooks_mu_);
  auto it = hooks_.find(id);
  if (it == hooks_.end()) return false;
  if (id == running_hook_) {
    // A hook removing itself: it is still on the stack; erase it once it returns.
    if (remove_running_hook_) return false;
    remove_running_hook_ = true;
    return true;
  }
  hooks_.erase(it);
  return true;
}

void MetricsCollector::run_collect_hooks() {
  std::lock_guard lock(hooks_mu_);
  if (running_hook_ != 0) return;  // an export from inside a hook: do not recurse
  for (auto it = hooks_.begin(); it != hooks_.end();) {
    running_hook_ = it->first;
    remove_running_hook_ = false;
    try {
      it->second();
    } catch (const std::exception& e) {
      log::get("observability")->warn("collect hook {} threw: {}", it->first, e.what());
    } catch (...) {
      log::get("observability")->warn("collect hook {} threw", it->first);
    }
    running_hook_ = 0;
    // Other hooks the hook erased are gone already; `it` itself was kept alive.
    it = remove_running_hook_ ? hooks_.erase(it) : std::next(it);
  }
  remove_running_hook_ = false;
}

std::string MetricsCollector::export_prometheus_metrics() {
  run_collect_hooks();
  return render_prometheus_metrics();
}

std::string MetricsCollector::render_prometheus_metrics() const {
  std::string out;
  std::lock_guard lock(registry_mu_);
  out.reserve(families_.size() * 128);
  for (const auto& [name, family] : families_) family->write_prometheus(out);
  return out;
}

}  // namespace gquic::observability
