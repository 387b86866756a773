#pragma once
// The data model of gquic service discovery: a service is identified by (name, namespace,
// version), has endpoints (address, protocol, weight, health, metadata), an optional health
// check, a TTL after which it disappears unless renewed, free-form metadata and tags.
//
// Names and namespaces are DNS labels (1-63 of [A-Za-z0-9_-], case-insensitive, stored
// lowercase) so every service is reachable as `<name>.<namespace>.svc.<domain>`; versions are
// 1-64 of [A-Za-z0-9._+-]. `validate()` reports the first problem as a readable message.

#include <chrono>
#include <compare>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "gquic/core/clock.h"
#include "gquic/core/error.h"

namespace gquic::discovery {

enum class Health : std::uint8_t { unknown, healthy, unhealthy };
std::string_view to_string(Health h) noexcept;
Result<Health> parse_health(std::string_view text);

// Where a service came from: registered on this node, or learned from a backend.
enum class ServiceSource : std::uint8_t { local, etcd, mdns, gossip, dns_sd };
std::string_view to_string(ServiceSource s) noexcept;
Result<ServiceSource> parse_source(std::string_view text);

struct ServiceId {
  std::string name;
  std::string ns;  // "namespace" in JSON and in the model
  std::string version;

  std::string to_string() const;  // "namespace/name/version"
  friend auto operator<=>(const ServiceId&, const ServiceId&) = default;
  friend bool operator==(const ServiceId&, const ServiceId&) = default;
};

using Metadata = std::map<std::string, std::string>;

struct Endpoint {
  std::string address;          // "192.0.2.1:8080" or "[2001:db8::1]:8080"
  std::string protocol = "tcp";  // tcp, udp, quic, http, https, ...
  std::uint16_t weight = 100;   // SRV weight
  Health health = Health::healthy;
  Metadata metadata;
  friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

enum class HealthCheckKind : std::uint8_t { none, http, tcp, quic };
std::string_view to_string(HealthCheckKind k) noexcept;

struct HealthCheckSpec {
  HealthCheckKind kind = HealthCheckKind::none;
  std::string path = "/health";        // http: request path
  unsigned expected_status = 200;      // http
  std::string alpn = "h3";             // quic: the protocol offered in the handshake
  std::chrono::milliseconds interval{10'000};
  std::chrono::milliseconds timeout{2'000};
  unsigned healthy_threshold = 2;      // consecutive successes to turn healthy
  unsigned unhealthy_threshold = 3;    // consecutive failures to turn unhealthy
  friend bool operator==(const HealthCheckSpec&, const HealthCheckSpec&) = default;
};

struct ServiceInfo {
  ServiceId id;
  std::string service_type;  // e.g. "http", "grpc"; free-form
  std::string description;
  std::vector<Endpoint> endpoints;
  HealthCheckSpec health_check;
  TimePoint registered_at{};            // set by the registry
  std::chrono::seconds ttl{0};          // 0: never expires; negative: invalid
  Metadata metadata;
  std::vector<std::string> tags;        // kept sorted and unique by normalize()
  ServiceSource source = ServiceSource::local;
  std::string origin_node;              // node that registered it (backends fill this in)

  friend bool operator==(const ServiceInfo&, const ServiceInfo&) = default;
};

// Lowercases name and namespace, sorts and dedups tags.
void normalize(ServiceInfo& s);
// Checks the id, every endpoint address, weights, TTL and the health check. Errc::invalid_argument
// with `why` set to a message naming the field.
Result<void> validate(const ServiceInfo& s, std::string* why = nullptr);
Result<void> validate_id(const ServiceId& id, std::string* why = nullptr);

// True when at least one endpoint is healthy.
bool has_healthy_endpoint(const ServiceInfo& s) noexcept;

// Shell-style glob over a name: `*` any run, `?` one character; everything else literal.
bool glob_match(std::string_view pattern, std::string_view text) noexcept;
// The literal prefix of a glob (up to the first wildcard).
std::string_view glob_prefix(std::string_view pattern) noexcept;

}  // namespace gquic::discovery
