#include "gquic/mdns/service.h"

#include <charconv>

namespace gquic::mdns {

bool is_udp_protocol(std::string_view p) noexcept { return p == "udp" || p == "quic"; }

Result<Name> service_type(const ServiceInstance& s) {
  if (s.name.empty() || s.name.size() > 62) return Errc::invalid_argument;
  if (s.name.find('.') != std::string::npos) return Errc::invalid_argument;
  return Name({"_" + s.name, is_udp_protocol(s.protocol) ? "_udp" : "_tcp", "local"});
}

std::string instance_label(const ServiceInstance& s) {
  std::string ns = s.namespace_.empty() ? std::string("default") : s.namespace_;
  std::string label = s.version.empty() ? ns : ns + "-" + s.version;
  if (label.size() > 63) label.resize(63);
  return label;
}

std::vector<std::string> txt_strings(const ServiceInstance& s) {
  std::vector<std::string> out;
  if (!s.namespace_.empty()) out.push_back("ns=" + s.namespace_);
  if (!s.version.empty()) out.push_back("ver=" + s.version);
  out.push_back("proto=" + s.protocol);
  if (!s.tags.empty()) {
    std::string t = "tags=";
    for (std::size_t i = 0; i < s.tags.size(); ++i) t += (i ? "," : "") + s.tags[i];
    out.push_back(t);
  }
  for (const auto& [k, v] : s.metadata) {
    std::string kv = k + "=" + v;
    if (kv.size() <= 255) out.push_back(std::move(kv));
  }
  for (auto& x : out) {
    if (x.size() > 255) x.resize(255);
  }
  return out;
}

void apply_txt(ServiceInstance& s, const std::vector<std::string>& txt) {
  s.namespace_.clear();
  s.metadata.clear();
  s.tags.clear();
  for (const auto& t : txt) {
    auto eq = t.find('=');
    std::string key = t.substr(0, eq);
    std::string value = eq == std::string::npos ? std::string() : t.substr(eq + 1);
    if (key.empty()) continue;
    if (key == "ns") {
      s.namespace_ = value;
    } else if (key == "ver") {
      s.version = value;
    } else if (key == "proto") {
      s.protocol = value;
    } else if (key == "tags") {
      std::size_t start = 0;
      while (start <= value.size() && !value.empty()) {
        auto comma = value.find(',', start);
        std::string tag = value.substr(start, comma - start);
        if (!tag.empty()) s.tags.push_back(tag);
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
    } else if (!s.metadata.count(key)) {  // RFC 6763 6.4: the first occurrence wins
      s.metadata[key] = value;
    }
  }
  if (s.namespace_.empty()) s.namespace_ = std::string(kLanNamespace);
}

std::string next_name(std::string_view label) {
  // "name (N)" -> "name (N+1)"
  if (label.size() > 4 && label.back() == ')') {
    auto open = label.rfind(" (");
    if (open != std::string_view::npos) {
      std::string_view digits = label.substr(open + 2, label.size() - open - 3);
      unsigned n = 0;
      auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
      if (ec == std::errc{} && p == digits.data() + digits.size() && n >= 2) {
        return std::string(label.substr(0, open)) + " (" + std::to_string(n + 1) + ")";
      }
    }
  }
  std::string base(label.substr(0, 58));
  return base + " (2)";
}

}  // namespace gquic::mdns
