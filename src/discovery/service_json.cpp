#include "gquic/discovery/service_json.h"

#include <exception>

#include <nlohmann/json.hpp>

namespace gquic::discovery {
namespace {

using nlohmann::json;

json metadata_json(const Metadata& m) {
  json j = json::object();
  for (const auto& [k, v] : m) j[k] = v;
  return j;
}

json service_json(const ServiceInfo& s) {
  json j;
  j["id"] = {{"name", s.id.name}, {"namespace", s.id.ns}, {"version", s.id.version}};
  j["service_type"] = s.service_type;
  j["description"] = s.description;
  json eps = json::array();
  for (const Endpoint& e : s.endpoints) {
    eps.push_back({{"address", e.address},
                   {"protocol", e.protocol},
                   {"weight", e.weight},
                   {"health", std::string(to_string(e.health))},
                   {"metadata", metadata_json(e.metadata)}});
  }
  j["endpoints"] = std::move(eps);
  const HealthCheckSpec& h = s.health_check;
  j["health_check"] = {{"kind", std::string(to_string(h.kind))},
                       {"path", h.path},
                       {"expected_status", h.expected_status},
                       {"alpn", h.alpn},
                       {"interval", h.interval.count()},
                       {"timeout", h.timeout.count()},
                       {"healthy_threshold", h.healthy_threshold},
                       {"unhealthy_threshold", h.unhealthy_threshold}};
  j["registered_at"] =
      std::chrono::duration_cast<std::chrono::milliseconds>(s.registered_at.time_since_epoch())
          .count();
  j["ttl"] = s.ttl.count();
  j["metadata"] = metadata_json(s.metadata);
  j["tags"] = s.tags;
  j["source"] = std::string(to_string(s.source));
  j["origin_node"] = s.origin_node;
  return j;
}

struct Bad {
  std::string why;
};

const json* member(const json& j, const char* key) {
  auto it = j.find(key);
  return it == j.end() || it->is_null() ? nullptr : &*it;
}

std::string get_string(const json& j, const char* key, std::string def = {}) {
  const json* v = member(j, key);
  if (v == nullptr) return def;
  if (!v->is_string()) throw Bad{std::string("'") + key + "' must be a string"};
  return v->get<std::string>();
}

std::int64_t get_int(const json& j, const char* key, std::int64_t def, std::int64_t lo,
                     std::int64_t hi) {
  const json* v = member(j, key);
  if (v == nullptr) return def;
  if (!v->is_number_integer()) throw Bad{std::string("'") + key + "' must be an integer"};
  const auto n = v->get<std::int64_t>();
  if (n < lo || n > hi) {
    throw Bad{std::string("'") + key + "' is out of range [" + std::to_string(lo) + ", " +
              std::to_string(hi) + "]"};
  }
  return n;
}

Metadata get_metadata(const json& j, const char* key) {
  Metadata m;
  const json* v = member(j, key);
  if (v == nullptr) return m;
  if (!v->is_object()) throw Bad{std::string("'") + key + "' must be an object of strings"};
  for (auto it = v->begin(); it != v->end(); ++it) {
    if (!it->is_string()) throw Bad{std::string("'") + key + "." + it.key() + "' must be a string"};
    m[it.key()] = it->get<std::string>();
  }
  return m;
}

ServiceInfo parse_service(const json& j) {
  if (!j.is_object()) throw Bad{"a service must be a JSON object"};
  ServiceInfo s;
  const json* id = member(j, "id");
  if (id == nullptr || !id->is_object()) throw Bad{"'id' must be an object {name, namespace, version}"};
  s.id.name = get_string(*id, "name");
  s.id.ns = get_string(*id, "namespace", "default");
  s.id.version = get_string(*id, "version", "latest");
  s.service_type = get_string(j, "service_type");
  s.description = get_string(j, "description");
  if (const json* eps = member(j, "endpoints")) {
    if (!eps->is_array()) throw Bad{"'endpoints' must be an array"};
    for (const json& e : *eps) {
      if (!e.is_object()) throw Bad{"an endpoint must be an object"};
      Endpoint ep;
      ep.address = get_string(e, "address");
      ep.protocol = get_string(e, "protocol", "tcp");
      ep.weight = static_cast<std::uint16_t>(get_int(e, "weight", 100, 0, 65535));
      auto h = parse_health(get_string(e, "health", "healthy"));
      if (!h) throw Bad{"'health' must be healthy, unhealthy or unknown"};
      ep.health = *h;
      ep.metadata = get_metadata(e, "metadata");
      s.endpoints.push_back(std::move(ep));
    }
  }
  if (const json* h = member(j, "health_check")) {
    if (!h->is_object()) throw Bad{"'health_check' must be an object"};
    HealthCheckSpec& c = s.health_check;
    const std::string kind = get_string(*h, "kind", "none");
    if (kind == "none") c.kind = HealthCheckKind::none;
    else if (kind == "http") c.kind = HealthCheckKind::http;
    else if (kind == "tcp") c.kind = HealthCheckKind::tcp;
    else if (kind == "quic") c.kind = HealthCheckKind::quic;
    else throw Bad{"'health_check.kind' must be none, http, tcp or quic"};
    c.path = get_string(*h, "path", c.path);
    c.expected_status = static_cast<unsigned>(get_int(*h, "expected_status", 200, 100, 599));
    c.alpn = get_string(*h, "alpn", c.alpn);
    c.interval = std::chrono::milliseconds(get_int(*h, "interval", 10'000, 1, 86'400'000));
    c.timeout = std::chrono::milliseconds(get_int(*h, "timeout", 2'000, 1, 3'600'000));
    c.healthy_threshold = static_cast<unsigned>(get_int(*h, "healthy_threshold", 2, 1, 100));
    c.unhealthy_threshold = static_cast<unsigned>(get_int(*h, "unhealthy_threshold", 3, 1, 100));
  }
  s.ttl = std::chrono::seconds(get_int(j, "ttl", 0, INT32_MIN, 10 * 365 * 86400));
  s.metadata = get_metadata(j, "metadata");
  if (const json* t = member(j, "tags")) {
    if (!t->is_array()) throw Bad{"'tags' must be an array of strings"};
    for (const json& tag : *t) {
      if (!tag.is_string()) throw Bad{"'tags' must be an array of strings"};
      s.tags.push_back(tag.get<std::string>());
    }
  }
  auto src = parse_source(get_string(j, "source", "local"));
  if (!src) throw Bad{"'source' must be local, etcd, mdns, gossip or dns_sd"};
  s.source = *src;
  s.origin_node = get_string(j, "origin_node");
  normalize(s);
  return s;
}

template <typename T, typename F>
Result<T> guarded(std::string_view text, std::string* why, F&& f) {
  json j = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    if (why != nullptr) *why = "not valid JSON";
    return Errc::malformed;
  }
  try {
    return f(j);
  } catch (const Bad& b) {
    if (why != nullptr) *why = b.why;
  } catch (const std::exception& e) {
    if (why != nullptr) *why = e.what();
  }
  return Errc::malformed;
}

}  // namespace

// Strings that are not UTF-8 (possible through the C++ API) are written with U+FFFD instead
// of making dump() throw.
static std::string dump(const json& j, int indent) {
  return j.dump(indent, ' ', false, json::error_handler_t::replace);
}

std::string to_json(const ServiceInfo& s, int indent) { return dump(service_json(s), indent); }

std::string to_json(const std::vector<const ServiceInfo*>& services, int indent) {
  json a = json::array();
  for (const ServiceInfo* s : services) a.push_back(service_json(*s));
  return dump(a, indent);
}

std::string events_to_json(const std::vector<WatchEvent>& events, std::uint64_t index, bool reset) {
  json j;
  j["index"] = index;
  if (reset) j["reset"] = true;
  json a = json::array();
  for (const WatchEvent& e : events) {
    a.push_back({{"sequence", e.sequence},
                 {"kind", std::string(to_string(e.kind))},
                 {"service", service_json(e.service)}});
  }
  j["events"] = std::move(a);
  return dump(j, -1);
}

Result<ServiceInfo> service_from_json(std::string_view text, std::string* why) {
  auto r = guarded<ServiceInfo>(text, why, [](const json& j) { return parse_service(j); });
  if (!r) return r;
  if (auto v = validate(*r, why); !v) return v.error();
  return r;
}

Result<std::vector<ServiceInfo>> services_from_json(std::string_view text, std::string* why) {
  return guarded<std::vector<ServiceInfo>>(text, why, [](const json& j) {
    if (!j.is_array()) throw Bad{"expected a JSON array of services"};
    std::vector<ServiceInfo> out;
    for (const json& s : j) out.push_back(parse_service(s));
    return out;
  });
}

}  // namespace gquic::discovery
