#include "gquic/policy/labels.h"

#include <algorithm>

namespace gquic::policy {

namespace {

bool requirement_holds(const LabelRequirement& r, const Labels& labels) {
  auto it = labels.find(r.key);
  const bool present = it != labels.end();
  auto in_values = [&] {
    return std::find(r.values.begin(), r.values.end(), it->second) != r.values.end();
  };
  switch (r.op) {
    case SelectorOp::in: return present && in_values();
    case SelectorOp::not_in: return !present || !in_values();
    case SelectorOp::exists: return present;
    case SelectorOp::does_not_exist: return !present;
  }
  return false;
}

const char* op_text(SelectorOp op) {
  switch (op) {
    case SelectorOp::in: return "In";
    case SelectorOp::not_in: return "NotIn";
    case SelectorOp::exists: return "Exists";
    case SelectorOp::does_not_exist: return "DoesNotExist";
  }
  return "?";
}

}  // namespace

bool LabelSelector::matches(const Labels& labels) const {
  for (const auto& [k, v] : match_labels) {
    auto it = labels.find(k);
    if (it == labels.end() || it->second != v) return false;
  }
  for (const auto& r : match_expressions) {
    if (!requirement_holds(r, labels)) return false;
  }
  return true;
}

std::string LabelSelector::canonical() const {
  // Length-prefixed fields, so no label text can make two selectors collide.
  auto field = [](std::string& out, const std::string& s) {
    out += std::to_string(s.size());
    out += ':';
    out += s;
  };
  std::string out = "L";
  for (const auto& [k, v] : match_labels) {
    field(out, k);
    field(out, v);
  }
  std::vector<std::string> exprs;
  for (const auto& r : match_expressions) {
    std::vector<std::string> vals = r.values;
    std::sort(vals.begin(), vals.end());
    vals.erase(std::unique(vals.begin(), vals.end()), vals.end());
    std::string e;
    field(e, r.key);
    e += op_text(r.op);
    e += std::to_string(vals.size());
    for (const auto& v : vals) field(e, v);
    exprs.push_back(std::move(e));
  }
  std::sort(exprs.begin(), exprs.end());
  out += "E";
  for (const auto& e : exprs) field(out, e);
  return out;
}

LabelSelector match_labels(Labels labels) {
  LabelSelector s;
  s.match_labels = std::move(labels);
  return s;
}

}  // namespace gquic::policy
