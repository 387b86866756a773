#pragma once
// Labels and label selectors as Kubernetes defines them for pods and namespaces.
//
// A selector matches a label set when every matchLabels pair is present and every
// matchExpressions requirement holds:
//   In            the key is present and its value is one of `values`
//   NotIn         the key is absent, or its value is none of `values`
//   Exists        the key is present (any value)
//   DoesNotExist  the key is absent
// The empty selector (no pairs, no expressions) matches every label set.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace gquic::policy {

using Labels = std::map<std::string, std::string, std::less<>>;

enum class SelectorOp : std::uint8_t { in, not_in, exists, does_not_exist };

struct LabelRequirement {
  std::string key;
  SelectorOp op = SelectorOp::exists;
  std::vector<std::string> values;
};

struct LabelSelector {
  Labels match_labels;
  std::vector<LabelRequirement> match_expressions;

  bool empty() const noexcept { return match_labels.empty() && match_expressions.empty(); }
  bool matches(const Labels& labels) const;
  // A stable text form: equal selectors give equal strings (used as a memo key).
  std::string canonical() const;
};

// Shorthand for tests and code: a selector made of matchLabels pairs only.
LabelSelector match_labels(Labels labels);

}  // namespace gquic::policy
