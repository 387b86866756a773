#pragma once
// A server-side QUIC endpoint core, sans-IO like Connection: one UDP socket's worth of
// connections behind the same five calls.
//
//   handle_datagram(now, path, bytes)  decode version and destination connection ID; route to
//                                      the connection that owns the ID, accept a new one from
//                                      a client Initial, answer an unknown version with Version
//                                      Negotiation, or drop (counted by DropReason)
//   poll_transmit(now, buf)            stateless replies first, then connections round-robin
//   next_deadline()/handle_timeout()   the earliest deadline of all connections
//   poll_event()                       connection events tagged with the connection's handle
//
// Routing keys are every source connection ID a connection currently owns (refreshed after
// each call into it) plus the client's original destination ID, so retransmitted Initials
// find the same connection. Closed connections are removed once their closing or draining
// period ends.

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "gquic/quic/connection.h"

namespace gquic::quic {

struct EndpointConfig {
  ConnectionConfig connection;        // for every accepted connection (random shared)
  std::size_t max_connections = 10'000;
  // Address validation: answer every Initial without a valid token with a Retry.
  bool require_retry = false;
  Duration retry_token_lifetime = std::chrono::seconds(10);
  // Keys Retry tokens and stateless reset tokens. Endpoints that must recognise each other's
  // tokens (a restart, a cluster) share it; empty: 32 random bytes at construction.
  std::vector<std::uint8_t> static_secret;
  bool send_stateless_reset = true;   // answer short-header packets of unknown connections
};

enum class DropReason : std::uint8_t {
  malformed,             // no decodable QUIC header
  unknown_connection,    // not an Initial and no connection owns the destination ID
  too_many_connections,  // max_connections reached
  accept_failed,         // an Initial that ngtcp2 or TLS setup refused
  connection_error,      // the owning connection rejected the packet
  invalid_token,         // an Initial whose Retry token did not verify (or expired)
  count_,
};

struct EndpointEvent {
  std::uint64_t connection = 0;  // handle for connection()
  Event event;
};

class Endpoint {
 public:
  Endpoint(std::shared_ptr<TlsContext> server_tls, EndpointConfig config);
  ~Endpoint();
  Endpoint(const Endpoint&) = delete;
  Endpoint& operator=(const Endpoint&) = delete;

  Result<void> handle_datagram(TimePoint now, const Path& path,
                               std::span<const std::uint8_t> data, Ecn ecn = Ecn::not_ect);
  std::optional<Transmit> poll_transmit(TimePoint now, std::span<std::uint8_t> buf);
  std::optional<TimePoint> next_deadline() const;
  void handle_timeout(TimePoint now);
  std::optional<EndpointEvent> poll_event();

  // The connection with this handle, or nullptr once it is gone.
  Connection* connection(std::uint64_t handle);
  std::size_t connection_count() const noexcept { return conns_.size(); }
  std::uint64_t drops(DropReason reason) const noexcept {
    return drops_[static_cast<std::size_t>(reason)];
  }
  std::uint64_t retries_sent() const noexcept { return retries_sent_; }
  std::uint64_t stateless_resets_sent() const noexcept { return resets_sent_; }

 private:
  struct Entry {
    std::unique_ptr<Connection> conn;
    std::vector<std::string> keys;  // routing keys currently registered
    std::string original_dcid;
  };
  struct Stateless {
    Transmit transmit;
    std::vector<std::uint8_t> bytes;
  };

  void drop(DropReason r) { ++drops_[static_cast<std::size_t>(r)]; }
  void after_call(std::uint64_t handle, Entry& e);  // refresh routes, collect events
  void remove(std::map<std::uint64_t, Entry>::iterator it);
  void queue_stateless(const Path& path, std::vector<std::uint8_t> bytes);
  void send_retry(TimePoint now, const Path& path, const void* hd);
  void send_stateless_reset(const Path& path, const std::uint8_t* dcid, std::size_t dcidlen,
                            std::size_t received_size);

  std::shared_ptr<TlsContext> tls_;
  EndpointConfig config_;
  std::map<std::uint64_t, Entry> conns_;
  std::unordered_map<std::string, std::uint64_t> routes_;
  std::deque<Stateless> stateless_;
  std::deque<EndpointEvent> events_;
  std::uint64_t next_handle_ = 1;
  std::uint64_t rr_cursor_ = 0;
  std::uint64_t retries_sent_ = 0;
  std::uint64_t resets_sent_ = 0;
  std::array<std::uint64_t, static_cast<std::size_t>(DropReason::count_)> drops_{};
};

}  // namespace gquic::quic
