#pragma once
// The etcd v3 JSON gateway's messages for the discovery backend, sans-IO.
//
// Layout: every registration is one key `<prefix>/services/<namespace>/<name>/<version>` whose
// value is the service's JSON (service_json.h), put with the registering agent's lease, so the
// key disappears when that agent stops renewing. Keys and values travel base64-encoded
// (the gateway's encoding of `bytes`); 64-bit ids and revisions travel as decimal strings.
//
//   POST /v3/lease/grant      {"TTL": s}                      -> {"ID": "n", "TTL": "s"}
//   POST /v3/lease/keepalive  {"ID": "n"}                     -> {"result": {"TTL": "s"}} (TTL
//                                                                absent or 0: lease gone)
//   POST /v3/kv/put           {"key", "value", "lease": "n"}
//   POST /v3/kv/deleterange   {"key"}
//   POST /v3/kv/range         {"key", "range_end"}            -> {"header": {"revision"}, "kvs": [...]}
//   POST /v3/watch            {"create_request": {"key", "range_end", "start_revision"}}
//                             -> a stream of {"result": {"header", "events": [{"type", "kv"}]}}

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gquic/core/error.h"
#include "gquic/discovery/service.h"

namespace gquic::discovery::etcd {

std::string base64_encode(std::string_view in);
Result<std::string> base64_decode(std::string_view in);

std::string service_key(std::string_view prefix, const ServiceId& id);
// The end of the range of keys starting with `prefix` (prefix with its last byte + 1).
std::string range_end(std::string_view prefix);

std::string lease_grant_request(std::int64_t ttl_seconds);
std::string keepalive_request(std::int64_t lease);
std::string put_request(std::string_view key, std::string_view value, std::int64_t lease);
std::string delete_request(std::string_view key);
std::string range_request(std::string_view prefix);
std::string watch_request(std::string_view prefix, std::int64_t start_revision);

struct KeyValue {
  std::string key;
  std::string value;
};

struct RangeResponse {
  std::int64_t revision = 0;
  std::vector<KeyValue> kvs;
};

struct WatchEventMsg {
  bool deleted = false;
  KeyValue kv;
};

struct WatchMessage {
  std::int64_t revision = 0;
  bool created = false;
  bool canceled = false;
  std::vector<WatchEventMsg> events;
};

Result<std::int64_t> parse_lease_grant(std::string_view body);
// The TTL left (0: the lease is gone).
Result<std::int64_t> parse_keepalive(std::string_view body);
Result<RangeResponse> parse_range(std::string_view body);
Result<WatchMessage> parse_watch_message(std::string_view line);

// The id of a service key under `prefix`, if it is one.
std::optional<ServiceId> id_from_key(std::string_view prefix, std::string_view key);

}  // namespace gquic::discovery::etcd
