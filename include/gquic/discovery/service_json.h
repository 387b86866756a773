#pragma once
// JSON form of the discovery model (the agent's HTTP API and `gquic discovery register`).
// Field names are those of the model: {"id": {"name", "namespace", "version"}, "service_type",
// "description", "endpoints": [{"address", "protocol", "weight", "health", "metadata"}],
// "health_check": {"kind", "path", "expected_status", "interval", "timeout",
// "healthy_threshold", "unhealthy_threshold"}, "registered_at", "ttl", "metadata", "tags",
// "source", "origin_node"}. Units: ttl in seconds, interval/timeout in milliseconds,
// registered_at in milliseconds of the registering node's monotonic clock (informational,
// ignored on input). Missing fields take the model's defaults; version defaults to "latest".

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "gquic/core/error.h"
#include "gquic/discovery/registry.h"
#include "gquic/discovery/service.h"

namespace gquic::discovery {

std::string to_json(const ServiceInfo& s, int indent = -1);
std::string to_json(const std::vector<const ServiceInfo*>& services, int indent = -1);
// {"index": N, "events": [{"sequence", "kind", "service"}...]}; "reset": true when the
// watcher fell behind the log and must re-query.
std::string events_to_json(const std::vector<WatchEvent>& events, std::uint64_t index,
                           bool reset = false);

// Parses one service; Errc::malformed (not JSON, wrong types) or Errc::invalid_argument
// (fails validate()) with `why` set.
Result<ServiceInfo> service_from_json(std::string_view text, std::string* why = nullptr);
// Parses an array of services (the answer of GET /v1/services).
Result<std::vector<ServiceInfo>> services_from_json(std::string_view text,
                                                    std::string* why = nullptr);

}  // namespace gquic::discovery
