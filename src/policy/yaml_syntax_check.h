#pragma once
// A first pass over manifest text with libyaml's event parser, before yaml-cpp builds nodes.
// yaml-cpp 0.7 (Debian 12's) loops allocating without bound on some malformed input — a lone
// ',' is enough (found by tests/fuzz/policy_manifest) — while libyaml rejects it cleanly. This
// pass also bounds how much work a document may ask for: events and alias references.

#include <string>
#include <string_view>

namespace gquic::policy::detail {

struct YamlSyntaxError {
  std::size_t line = 0;  // 1-based; 0 when unknown
  std::string message;
};

// True when libyaml parses the whole stream within the bounds; otherwise fills `error`.
bool check_yaml_syntax(std::string_view text, YamlSyntaxError& error);

}  // namespace gquic::policy::detail
