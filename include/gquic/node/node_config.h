#pragma once
// The configuration of a gquic node: what `gquic node` runs. Read from a TOML file and/or set
// from command-line flags (flags win). Every key is optional; the built-in default is a node
// with one UDP socket on 127.0.0.1 (a free port) and /metrics on 127.0.0.1 (a free port).
//
//   [node]
//   log = "info"                      # or "warn,udp=debug": see core/log.h
//
//   [udp]
//   listen = "127.0.0.1:0"            # the primary socket
//   additional = ["127.0.0.1:0"]      # more sockets for load balancing and failover
//   strategy = "round-robin"          # least-loaded | consistent-hash
//   load_balancing = true
//   migration = true
//   multipath = false
//   batch_size = 32
//   gso = true
//   gro = true
//   recv_buffer_bytes = 4194304
//   send_buffer_bytes = 4194304
//   max_connections_per_socket = 4096
//   local_cid_length = 8
//
//   [metrics]
//   enabled = true
//   listen = "127.0.0.1:0"
//
// Parsing is sans-IO (text in, config or error out) so it is fuzzed directly. The text must be
// ASCII, comments included (checked before the TOML parser sees it: toml++ 3.3.0 misbehaves on
// some non-ASCII input, and no value here needs more). An unknown section or key, a value of
// the wrong type or out of range is an error naming the key and its line.

#include <string>
#include <string_view>

#include "gquic/core/error.h"
#include "gquic/core/socket_address.h"
#include "gquic/udp/load_balancer.h"

namespace gquic::node {

struct UdpSettings {
  SocketAddress listen{IpAddress::v4_loopback(), 0};
  std::vector<SocketAddress> additional;
  udp_mux_advanced::LoadBalanceStrategy strategy =
      udp_mux_advanced::LoadBalanceStrategy::round_robin;
  bool load_balancing = true;
  bool migration = true;
  bool multipath = false;
  std::size_t batch_size = 32;
  bool gso = true;
  bool gro = true;
  int recv_buffer_bytes = 4 << 20;
  int send_buffer_bytes = 4 << 20;
  std::size_t max_connections_per_socket = 4096;
  std::size_t local_cid_length = 8;
};

struct MetricsSettings {
  bool enabled = true;
  SocketAddress listen{IpAddress::v4_loopback(), 0};
};

struct NodeConfig {
  std::string log = "info";
  UdpSettings udp;
  MetricsSettings metrics;
};

// Parses TOML text. On failure `why` says what and where ("udp.batch_size (line 4): ...").
Result<NodeConfig> parse_node_config(std::string_view text, std::string* why);
// Reads and parses a file; a file that cannot be read, or is over 1 MiB, is an error too.
Result<NodeConfig> load_node_config(const std::string& path, std::string* why);

}  // namespace gquic::node
