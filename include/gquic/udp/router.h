#pragma once
// Decides which receiver gets an incoming datagram. Receivers (a QUIC endpoint, a WireGuard
// device, a STUN responder...) register routes:
//   * by QUIC destination connection ID — the IDs a receiver issued to its peers;
//   * by remote address — for flows that are not QUIC, or QUIC from a known peer;
//   * as the default QUIC receiver (a server endpoint accepting new connections) and the
//     default receiver for everything else.
// A datagram that looks like QUIC (quic_header.h) is routed by its DCID first, then by its
// source address, then to the default QUIC receiver. Any other datagram goes by source address,
// then to the default receiver. What finds no receiver is a counted drop.
//
// Sans-IO: a lookup table, no sockets.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <unordered_map>

#include "gquic/core/error.h"
#include "gquic/core/socket_address.h"
#include "gquic/udp/quic_header.h"

namespace gquic::udp_mux_advanced {

using ReceiverId = std::uint32_t;

enum class RouteKind : std::uint8_t { connection_id, remote_address, default_quic, default_other };

struct Route {
  ReceiverId receiver;
  RouteKind kind;
};

enum class RouteMiss : std::uint8_t {
  unknown_connection,  // QUIC, but no receiver for its DCID or source and no default
  unknown_flow,        // not QUIC, no receiver for its source and no default
  malformed_quic,      // looks like QUIC but the header is truncated or invalid
};

class Router {
 public:
  // `short_cid_length`: length of the connection IDs the local receivers issue (0..20).
  // `max_routes`: bound on CID plus address routes together.
  Router(std::size_t short_cid_length, std::size_t max_routes)
      : short_cid_length_(short_cid_length), max_routes_(max_routes) {}

  // Errc::exhausted at max_routes; Errc::already_exists when another receiver owns the key.
  Result<void> add_connection_id(ReceiverId r, const udp::ConnectionId& cid);
  Result<void> add_remote(ReceiverId r, const SocketAddress& remote);
  void remove_connection_id(const udp::ConnectionId& cid);
  void remove_remote(const SocketAddress& remote);
  void set_default_quic(std::optional<ReceiverId> r) { default_quic_ = r; }
  void set_default_other(std::optional<ReceiverId> r) { default_other_ = r; }
  // Removes every route of a receiver.
  void remove_receiver(ReceiverId r);

  struct Decision {
    std::optional<Route> route;
    RouteMiss miss = RouteMiss::unknown_flow;  // meaningful when !route
  };
  Decision route(std::span<const std::uint8_t> datagram, const SocketAddress& source) const;

  std::size_t route_count() const noexcept { return cids_.size() + remotes_.size(); }
  std::size_t short_cid_length() const noexcept { return short_cid_length_; }

 private:
  std::size_t short_cid_length_;
  std::size_t max_routes_;
  std::unordered_map<udp::ConnectionId, ReceiverId> cids_;
  std::unordered_map<SocketAddress, ReceiverId> remotes_;
  std::optional<ReceiverId> default_quic_;
  std::optional<ReceiverId> default_other_;
};

}  // namespace gquic::udp_mux_advanced
