#include "gquic/udp/router.h"

namespace gquic::udp_mux_advanced {

Result<void> Router::add_connection_id(ReceiverId r, const udp::ConnectionId& cid) {
  if (auto it = cids_.find(cid); it != cids_.end()) {
    return it->second == r ? Result<void>{} : Result<void>{Errc::already_exists};
  }
  if (route_count() >= max_routes_) return Errc::exhausted;
  cids_.emplace(cid, r);
  return {};
}

Result<void> Router::add_remote(ReceiverId r, const SocketAddress& remote) {
  if (auto it = remotes_.find(remote); it != remotes_.end()) {
    return it->second == r ? Result<void>{} : Result<void>{Errc::already_exists};
  }
  if (route_count() >= max_routes_) return Errc::exhausted;
  remotes_.emplace(remote, r);
  return {};
}

void Router::remove_connection_id(const udp::ConnectionId& cid) { cids_.erase(cid); }
void Router::remove_remote(const SocketAddress& remote) { remotes_.erase(remote); }

void Router::remove_receiver(ReceiverId r) {
  std::erase_if(cids_, [r](const auto& kv) { return kv.second == r; });
  std::erase_if(remotes_, [r](const auto& kv) { return kv.second == r; });
  if (default_quic_ == r) default_quic_.reset();
  if (default_other_ == r) default_other_.reset();
}

Router::Decision Router::route(std::span<const std::uint8_t> datagram,
                               const SocketAddress& source) const {
  Decision d;
  if (udp::looks_like_quic(datagram)) {
    auto header = udp::parse_quic_header(datagram, short_cid_length_);
    if (!header) {
      d.miss = RouteMiss::malformed_quic;
      return d;
    }
    if (header->dcid.size() <= udp::kMaxConnectionIdLength) {
      auto cid = udp::ConnectionId::from(header->dcid);
      if (auto it = cids_.find(*cid); it != cids_.end()) {
        d.route = Route{it->second, RouteKind::connection_id};
        return d;
      }
    }
    if (auto it = remotes_.find(source); it != remotes_.end()) {
      d.route = Route{it->second, RouteKind::remote_address};
      return d;
    }
    if (default_quic_) {
      d.route = Route{*default_quic_, RouteKind::default_quic};
      return d;
    }
    d.miss = RouteMiss::unknown_connection;
    return d;
  }
  if (auto it = remotes_.find(source); it != remotes_.end()) {
    d.route = Route{it->second, RouteKind::remote_address};
    return d;
  }
  if (default_other_) {
    d.route = Route{*default_other_, RouteKind::default_other};
    return d;
  }
  d.miss = RouteMiss::unknown_flow;
  return d;
}

}  // namespace gquic::udp_mux_advanced
