#include "gquic/discovery/service.h"

#include <algorithm>
#include <cctype>

#include "gquic/core/socket_address.h"

namespace gquic::discovery {
namespace {

Result<void> fail(std::string* why, std::string msg) {
  if (why != nullptr) *why = std::move(msg);
  return Errc::invalid_argument;
}

bool is_label(std::string_view s) noexcept {
  if (s.empty() || s.size() > 63) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_';
  });
}

bool is_version(std::string_view s) noexcept {
  if (s.empty() || s.size() > 64) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_' ||
           c == '.' || c == '+';
  });
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

std::string_view to_string(Health h) noexcept {
  switch (h) {
    case Health::healthy: return "healthy";
    case Health::unhealthy: return "unhealthy";
    case Health::unknown: break;
  }
  return "unknown";
}

Result<Health> parse_health(std::string_view t) {
  if (t == "healthy") return Health::healthy;
  if (t == "unhealthy") return Health::unhealthy;
  if (t == "unknown") return Health::unknown;
  return Errc::invalid_argument;
}

std::string_view to_string(ServiceSource s) noexcept {
  switch (s) {
    case ServiceSource::local: return "local";
    case ServiceSource::etcd: return "etcd";
    case ServiceSource::mdns: return "mdns";
    case ServiceSource::gossip: return "gossip";
    case ServiceSource::dns_sd: return "dns_sd";
  }
  return "local";
}

Result<ServiceSource> parse_source(std::string_view t) {
  for (auto s : {ServiceSource::local, ServiceSource::etcd, ServiceSource::mdns,
                 ServiceSource::gossip, ServiceSource::dns_sd}) {
    if (to_string(s) == t) return s;
  }
  return Errc::invalid_argument;
}

std::string_view to_string(HealthCheckKind k) noexcept {
  switch (k) {
    case HealthCheckKind::http: return "http";
    case HealthCheckKind::tcp: return "tcp";
    case HealthCheckKind::quic: return "quic";
    case HealthCheckKind::none: break;
  }
  return "none";
}

std::string ServiceId::to_string() const { return ns + "/" + name + "/" + version; }

void normalize(ServiceInfo& s) {
  s.id.name = lower(std::move(s.id.name));
  s.id.ns = lower(std::move(s.id.ns));
  std::sort(s.tags.begin(), s.tags.end());
  s.tags.erase(std::unique(s.tags.begin(), s.tags.end()), s.tags.end());
}

Result<void> validate_id(const ServiceId& id, std::string* why) {
  if (id.name.empty()) return fail(why, "name is empty");
  if (!is_label(id.name)) {
    return fail(why, "name '" + id.name + "' is not a DNS label (1-63 of A-Z a-z 0-9 - _)");
  }
  if (id.ns.empty()) return fail(why, "namespace is empty");
  if (!is_label(id.ns)) {
    return fail(why, "namespace '" + id.ns + "' is not a DNS label (1-63 of A-Z a-z 0-9 - _)");
  }
  if (!is_version(id.version)) {
    return fail(why, "version '" + id.version + "' must be 1-64 of A-Z a-z 0-9 . _ + -");
  }
  return {};
}

Result<void> validate(const ServiceInfo& s, std::string* why) {
  if (auto r = validate_id(s.id, why); !r) return r;
  if (s.ttl.count() < 0) return fail(why, "ttl is negative");
  if (s.endpoints.size() > 256) return fail(why, "more than 256 endpoints");
  for (std::size_t i = 0; i < s.endpoints.size(); ++i) {
    const Endpoint& e = s.endpoints[i];
    auto a = SocketAddress::parse(e.address);
    if (!a) {
      return fail(why, "endpoints[" + std::to_string(i) + "].address '" + e.address +
                           "' is not IP:PORT");
    }
    if (a->port() == 0) return fail(why, "endpoints[" + std::to_string(i) + "].address has port 0");
    if (e.protocol.empty()) return fail(why, "endpoints[" + std::to_string(i) + "].protocol is empty");
  }
  for (const auto& t : s.tags) {
    if (t.empty()) return fail(why, "a tag is empty");
  }
  const HealthCheckSpec& h = s.health_check;
  if (h.kind != HealthCheckKind::none) {
    if (h.interval.count() <= 0) return fail(why, "health_check.interval must be positive");
    if (h.timeout.count() <= 0) return fail(why, "health_check.timeout must be positive");
    if (h.healthy_threshold == 0 || h.unhealthy_threshold == 0) {
      return fail(why, "health_check thresholds must be at least 1");
    }
    if (h.kind == HealthCheckKind::http && (h.path.empty() || h.path[0] != '/')) {
      return fail(why, "health_check.path must start with '/'");
    }
    if (h.kind == HealthCheckKind::quic && (h.alpn.empty() || h.alpn.size() > 255)) {
      return fail(why, "health_check.alpn must be 1 to 255 bytes");
    }
  }
  return {};
}

bool has_healthy_endpoint(const ServiceInfo& s) noexcept {
  return std::any_of(s.endpoints.begin(), s.endpoints.end(),
                     [](const Endpoint& e) { return e.health == Health::healthy; });
}

bool glob_match(std::string_view p, std::string_view t) noexcept {
  // Iterative matcher with one backtrack point per '*': linear in practice, never recursive.
  std::size_t pi = 0, ti = 0, star = std::string_view::npos, mark = 0;
  while (ti < t.size()) {
    if (pi < p.size() && (p[pi] == '?' || p[pi] == t[ti])) {
      ++pi;
      ++ti;
    } else if (pi < p.size() && p[pi] == '*') {
      star = pi++;
      mark = ti;
    } else if (star != std::string_view::npos) {
      pi = star + 1;
      ti = ++mark;
    } else {
      return false;
    }
  }
  while (pi < p.size() && p[pi] == '*') ++pi;
  return pi == p.size();
}

std::string_view glob_prefix(std::string_view p) noexcept {
  return p.substr(0, std::min(p.find_first_of("*?"), p.size()));
}

}  // namespace gquic::discovery
