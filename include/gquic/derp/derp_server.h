#pragma once
// DerpServer: the DERP relay on a boost::asio::io_context. It accepts TCP (TLS unless `dev`),
// reads a bounded HTTP request head (http_upgrade.h), answers /derp/probe, /generate_204 and
// errors itself, upgrades /derp to a DERP byte stream fed to a ServerCore (server_core.h), and
// writes what the core queues. It also serves STUN on UDP, dials the mesh peers of its region
// with the mesh key, keeps its private key in the state dir and publishes metrics.
//
// Threading: everything runs on the io_context's thread; start() and stop() must be called
// there too (or before the context runs). stats() likewise.
//
// Bounds: at most `max_connections` TCP connections (beyond: closed at accept, counted); the
// request head must arrive within `header_timeout` and fit `max_header_bytes` (slowloris);
// TLS handshakes have the same deadline; writes to a client that stops reading time out after
// `write_timeout` and close it. Per-client queues, rate limit and max_clients are the core's.

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gquic/core/clock.h"
#include "gquic/core/error.h"
#include "gquic/core/socket_address.h"
#include "gquic/derp/server_core.h"

namespace boost::asio {
class io_context;
}

namespace gquic::observability {
class MetricsCollector;
}

namespace gquic::derp {

struct DerpServerConfig {
  SocketAddress listen_addr = SocketAddress(IpAddress::v4_loopback(), 443);
  std::string region = "default";
  std::size_t max_clients = 10'000;
  Duration client_timeout = std::chrono::seconds(120);
  bool enable_persistence = true;          // keep the private key in state_dir/derp.key
  std::filesystem::path state_dir;         // required when enable_persistence
  std::optional<KeyPair> server_key;       // used when not persisting (tests); else generated
  std::optional<std::array<std::uint8_t, 32>> mesh_key;
  std::vector<std::string> mesh_peers;     // relay URLs of the other servers of the region
  std::optional<SocketAddress> stun_addr;  // UDP STUN listener (port 3478 by convention)
  std::string tls_cert;                    // PEM chain; with tls_key, required unless dev
  std::string tls_key;
  bool dev = false;                        // plain HTTP; only on a loopback listen address
  // Bounds.
  std::size_t max_connections = 20'000;
  std::size_t max_header_bytes = 8 * 1024;
  Duration header_timeout = std::chrono::seconds(10);
  Duration write_timeout = std::chrono::seconds(10);
  Duration mesh_retry = std::chrono::seconds(1);
  std::size_t queue_packets = 32;
  std::uint64_t rate_bytes_per_second = 0;
  std::uint64_t rate_burst_bytes = 1 << 20;
  Duration keepalive_interval = std::chrono::seconds(60);
};

// Checks a config without opening anything: TLS files named (or dev on loopback), a state dir
// when persisting, mesh peers only with a mesh key, parseable mesh URLs.
Result<void> validate(const DerpServerConfig& config);

// Why the driver (not the core) closed or refused a connection; counted.
enum class DriverDrop : std::uint8_t {
  connection_limit,
  tls_handshake,
  header_timeout,
  bad_request,        // malformed head, 4xx answered
  header_too_large,
  write_timeout,
  stun_malformed,
  count_
};
std::string_view to_string(DriverDrop d) noexcept;

struct DerpServerStats {
  ServerStats core;
  std::size_t tcp_connections = 0;
  std::size_t mesh_links_up = 0;
  std::uint64_t http_requests = 0;
  std::uint64_t stun_requests = 0;
  std::array<std::uint64_t, static_cast<std::size_t>(DriverDrop::count_)> drops{};
  std::uint64_t drops_by(DriverDrop d) const { return drops[static_cast<std::size_t>(d)]; }
};

class DerpServer {
 public:
  // Validates the config, loads or creates the key and the TLS context. Nothing is opened yet.
  static Result<std::unique_ptr<DerpServer>> create(boost::asio::io_context& io,
                                                    DerpServerConfig config,
                                                    observability::MetricsCollector* metrics = nullptr,
                                                    Clock& clock = SteadyClock::instance());
  ~DerpServer();
  DerpServer(const DerpServer&) = delete;
  DerpServer& operator=(const DerpServer&) = delete;

  // Binds the TCP listener (and the STUN socket) and starts serving.
  Result<void> start();
  // Closes the listener, every connection and link. Idempotent.
  void stop();

  SocketAddress local_address() const;                // after start(): the bound TCP address
  std::optional<SocketAddress> stun_address() const;  // after start(), when STUN is on
  const Key& public_key() const noexcept;
  DerpServerStats stats() const;

  struct State;

 private:
  explicit DerpServer(std::shared_ptr<State> state);
  std::shared_ptr<State> state_;
};

}  // namespace gquic::derp
