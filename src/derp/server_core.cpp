#include "gquic/derp/server_core.h"

#include <algorithm>

namespace gquic::derp {

std::string_view to_string(CloseReason r) noexcept {
  switch (r) {
    case CloseReason::bad_handshake: return "bad_handshake";
    case CloseReason::handshake_timeout: return "handshake_timeout";
    case CloseReason::server_full: return "server_full";
    case CloseReason::frame_too_large: return "frame_too_large";
    case CloseReason::protocol_error: return "protocol_error";
    case CloseReason::not_mesh_peer: return "not_mesh_peer";
    case CloseReason::idle: return "idle";
    case CloseReason::too_slow: return "too_slow";
    case CloseReason::closed_by_peer: return "closed_by_peer";
    case CloseReason::count_: break;
  }
  return "unknown";
}

std::string_view to_string(DropReason r) noexcept {
  switch (r) {
    case DropReason::unknown_destination: return "unknown_destination";
    case DropReason::queue_full: return "queue_full";
    case DropReason::rate_limited: return "rate_limited";
    case DropReason::count_: break;
  }
  return "unknown";
}

ServerCore::ServerCore(ServerCoreConfig config) : config_(std::move(config)) {}

ConnId ServerCore::accept(TimePoint now) {
  const ConnId id = next_id_++;
  Conn& c = conns_[id];
  c.accepted = now;
  c.last_received = now;
  std::array<std::uint8_t, kMagic.size() + kKeyLen> payload;
  std::copy(kMagic.begin(), kMagic.end(), payload.begin());
  std::copy(public_key().begin(), public_key().end(), payload.begin() + kMagic.size());
  send_control(id, c, FrameType::server_key, {std::span<const std::uint8_t>(payload)});
  return id;
}

void ServerCore::send_control(ConnId id, Conn& c, FrameType type,
                              std::initializer_list<std::span<const std::uint8_t>> parts) {
  if (c.closing) return;
  if (c.control_frames >= config_.max_control_frames) {
    close(id, CloseReason::too_slow);
    return;
  }
  write_frame(c.control, type, parts);
  ++c.control_frames;
  mark_dirty(id, c);
}

void ServerCore::handle_bytes(ConnId id, TimePoint now, std::span<const std::uint8_t> bytes) {
  auto it = conns_.find(id);
  if (it == conns_.end() || it->second.closing) return;
  Conn& c = it->second;
  c.last_received = now;
  c.reader.feed(bytes);
  for (;;) {
    auto f = c.reader.next();
    if (!f) {
      close(id, CloseReason::frame_too_large);
      return;
    }
    if (!*f) return;
    on_frame(id, c, now, **f);
    // The frame may have closed this connection (or another: references stay valid, entries
    // are erased only in closed()).
    if (c.closing) return;
  }
}

void ServerCore::on_client_info(ConnId id, Conn& c, TimePoint now, const Frame& f) {
  if (f.type != static_cast<std::uint8_t>(FrameType::client_info)) {
    close(id, CloseReason::bad_handshake);
    return;
  }
  auto opened = open_client_info(config_.server_key, f.payload);
  if (!opened) {
    close(id, CloseReason::bad_handshake);
    return;
  }
  if (by_key_.size() >= config_.max_clients && !by_key_.contains(opened->client_key)) {
    close(id, CloseReason::server_full);
    return;
  }
  c.registered = true;
  c.key = opened->client_key;
  c.mesh_peer = config_.mesh_key && opened->info.mesh_key &&
                mesh_keys_equal(*config_.mesh_key, *opened->info.mesh_key);
  c.next_keepalive = now + config_.keepalive_interval;
  c.tokens = static_cast<double>(config_.rate_burst_bytes);
  c.tokens_at = now;
  auto& list = by_key_[c.key];
  list.push_back(id);
  ServerInfo info;
  info.token_bucket_bytes_per_second = config_.rate_bytes_per_second;
  info.token_bucket_bytes_burst = config_.rate_bytes_per_second != 0 ? config_.rate_burst_bytes : 0;
  if (auto sealed = seal_server_info(config_.server_key, c.key, info)) {
    send_control(id, c, FrameType::server_info, {std::span<const std::uint8_t>(*sealed)});
  } else {
    close(id, CloseReason::bad_handshake);  // a small-order client key
    return;
  }
  // Mesh watchers learn of every new connection.
  PeerPresent pp{c.key, std::nullopt, c.mesh_peer ? PeerPresentFlags::mesh_peer
                                                  : PeerPresentFlags::regular};
  const auto present = encode_peer_present(pp);
  for (ConnId w : watchers_) {
    if (w == id) continue;
    send_control(w, conns_.at(w), FrameType::peer_present, {std::span<const std::uint8_t>(present)});
  }
}

bool ServerCore::take_tokens(Conn& c, TimePoint now, std::size_t bytes) {
  if (config_.rate_bytes_per_second == 0) return true;
  const double elapsed = std::chrono::duration<double>(now - c.tokens_at).count();
  c.tokens = std::min(static_cast<double>(config_.rate_burst_bytes),
                      c.tokens + elapsed * static_cast<double>(config_.rate_bytes_per_second));
  c.tokens_at = now;
  if (c.tokens < static_cast<double>(bytes)) return false;
  c.tokens -= static_cast<double>(bytes);
  return true;
}

void ServerCore::deliver(const Key& src, const Key& dst, std::span<const std::uint8_t> packet) {
  auto it = by_key_.find(dst);
  if (it == by_key_.end() || it->second.empty()) {
    count(DropReason::unknown_destination);
    return;
  }
  const ConnId to = it->second.back();
  Conn& d = conns_.at(to);
  if (d.closing) {
    count(DropReason::unknown_destination);
    return;
  }
  if (d.packets.size() >= config_.queue_packets) {
    d.packets.pop_front();
    count(DropReason::queue_full);
  }
  std::vector<std::uint8_t> frame;
  write_frame(frame, FrameType::recv_packet, {std::span<const std::uint8_t>(src), packet});
  d.packets.push_back(std::move(frame));
  mark_dirty(to, d);
  d.sent_to_me_from.insert(src);
  ++stats_.packets_relayed;
  stats_.bytes_relayed += packet.size();
}

void ServerCore::on_frame(ConnId id, Conn& c, TimePoint now, const Frame& f) {
  if (!c.registered) {
    on_client_info(id, c, now, f);
    return;
  }
  const std::span<const std::uint8_t> p(f.payload);
  const auto need_mesh = [&]() {
    if (c.mesh_peer) return true;
    close(id, CloseReason::not_mesh_peer);
    return false;
  };
  switch (static_cast<FrameType>(f.type)) {
    case FrameType::send_packet: {
      auto sp = parse_keyed_packet(p);
      if (!sp) return close(id, CloseReason::protocol_error);
      if (!take_tokens(c, now, sp->packet.size())) return count(DropReason::rate_limited);
      if (by_key_.contains(sp->key)) return deliver(c.key, sp->key, sp->packet);
      if (auto fw = forwarders_.find(sp->key); fw != forwarders_.end()) {
        write_frame(links_[fw->second], FrameType::forward_packet,
                    {std::span<const std::uint8_t>(c.key), std::span<const std::uint8_t>(sp->key),
                     sp->packet});
        ++stats_.packets_forwarded;
        dirty_links_.insert(fw->second);
        return;
      }
      return count(DropReason::unknown_destination);
    }
    case FrameType::forward_packet: {
      if (!need_mesh()) return;
      auto fp = parse_forward_packet(p);
      if (!fp) return close(id, CloseReason::protocol_error);
      return deliver(fp->source, fp->destination, fp->packet);  // never forwarded again
    }
    case FrameType::note_preferred: {
      auto pref = parse_note_preferred(p);
      if (!pref) return close(id, CloseReason::protocol_error);
      c.preferred = *pref;
      return;
    }
    case FrameType::ping: {
      auto data = parse_ping(p);
      if (!data) return close(id, CloseReason::protocol_error);
      return send_control(id, c, FrameType::pong, {std::span<const std::uint8_t>(*data)});
    }
    case FrameType::watch_conns: {
      if (!need_mesh()) return;
      if (!p.empty()) return close(id, CloseReason::protocol_error);
      c.watcher = true;
      watchers_.insert(id);
      for (const auto& [key, ids] : by_key_) {
        if (ids.empty() || key == c.key) continue;
        const Conn& other = conns_.at(ids.back());
        PeerPresent pp{key, std::nullopt,
                       other.mesh_peer ? PeerPresentFlags::mesh_peer : PeerPresentFlags::regular};
        const auto present = encode_peer_present(pp);
        send_control(id, c, FrameType::peer_present, {std::span<const std::uint8_t>(present)});
        if (c.closing) return;
      }
      return;
    }
    case FrameType::close_peer: {
      if (!need_mesh()) return;
      auto target = parse_key_only(p);
      if (!target) return close(id, CloseReason::protocol_error);
      if (auto it = by_key_.find(*target); it != by_key_.end()) {
        const std::vector<ConnId> victims = it->second;
        for (ConnId v : victims) close(v, CloseReason::closed_by_peer);
      }
      return;
    }
    default:
      return;  // frames a server does not act on, and unknown types, are skipped
  }
}

void ServerCore::close(ConnId id, CloseReason reason) {
  auto it = conns_.find(id);
  if (it == conns_.end() || it->second.closing) return;
  it->second.closing = true;
  ++stats_.closes[static_cast<std::size_t>(reason)];
  to_close_.emplace_back(id, reason);
}

void ServerCore::unregister(ConnId id, Conn& c) {
  watchers_.erase(id);
  if (!c.registered) return;
  auto it = by_key_.find(c.key);
  if (it == by_key_.end()) return;
  std::erase(it->second, id);
  if (!it->second.empty()) return;  // a duplicate connection of the key lives on
  by_key_.erase(it);
  // The key's last connection is gone: tell those who heard from it, and the mesh watchers.
  const std::array<std::uint8_t, 1> reason = {static_cast<std::uint8_t>(PeerGoneReason::disconnected)};
  std::set<ConnId> notify(watchers_.begin(), watchers_.end());
  for (auto& [other_id, other] : conns_) {
    if (other_id != id && other.sent_to_me_from.erase(c.key) > 0) notify.insert(other_id);
  }
  for (ConnId n : notify) {
    if (n == id) continue;
    send_control(n, conns_.at(n), FrameType::peer_gone,
                 {std::span<const std::uint8_t>(c.key), std::span<const std::uint8_t>(reason)});
  }
}

void ServerCore::closed(ConnId id, TimePoint) {
  auto it = conns_.find(id);
  if (it == conns_.end()) return;
  Conn c = std::move(it->second);
  conns_.erase(it);
  unregister(id, c);
}

std::vector<std::uint8_t> ServerCore::take_output(ConnId id) {
  auto it = conns_.find(id);
  if (it == conns_.end()) return {};
  Conn& c = it->second;
  std::vector<std::uint8_t> out = std::move(c.control);
  c.control.clear();
  c.control_frames = 0;
  for (auto& p : c.packets) out.insert(out.end(), p.begin(), p.end());
  c.packets.clear();
  return out;
}

bool ServerCore::has_output(ConnId id) const {
  auto it = conns_.find(id);
  return it != conns_.end() && (!it->second.control.empty() || !it->second.packets.empty());
}

std::vector<ConnId> ServerCore::take_dirty() {
  std::vector<ConnId> out;
  out.reserve(dirty_.size());
  for (ConnId id : dirty_) {
    auto it = conns_.find(id);
    if (it == conns_.end()) continue;
    it->second.dirty = false;
    out.push_back(id);
  }
  dirty_.clear();
  return out;
}

std::vector<LinkId> ServerCore::take_dirty_links() {
  std::vector<LinkId> out;
  for (LinkId l : dirty_links_) {
    if (links_.contains(l)) out.push_back(l);
  }
  dirty_links_.clear();
  return out;
}

std::optional<std::pair<ConnId, CloseReason>> ServerCore::poll_close() {
  if (to_close_.empty()) return std::nullopt;
  auto c = to_close_.front();
  to_close_.pop_front();
  return c;
}

std::optional<TimePoint> ServerCore::next_deadline() const {
  std::optional<TimePoint> best;
  auto consider = [&best](TimePoint t) {
    if (!best || t < *best) best = t;
  };
  for (const auto& [id, c] : conns_) {
    if (c.closing) continue;
    if (!c.registered) {
      consider(c.accepted + config_.handshake_timeout);
    } else {
      consider(c.next_keepalive);
      consider(c.last_received + config_.client_timeout);
    }
  }
  return best;
}

void ServerCore::handle_timeout(TimePoint now) {
  for (auto& [id, c] : conns_) {
    if (c.closing) continue;
    if (!c.registered) {
      if (now >= c.accepted + config_.handshake_timeout) close(id, CloseReason::handshake_timeout);
      continue;
    }
    if (now >= c.last_received + config_.client_timeout) {
      close(id, CloseReason::idle);
      continue;
    }
    if (now >= c.next_keepalive) {
      send_control(id, c, FrameType::keep_alive, {});
      c.next_keepalive = now + config_.keepalive_interval;
    }
  }
}

LinkId ServerCore::add_mesh_link() {
  const LinkId id = next_link_++;
  links_[id];
  return id;
}

void ServerCore::remove_mesh_link(LinkId link) {
  links_.erase(link);
  std::erase_if(forwarders_, [link](const auto& kv) { return kv.second == link; });
}

void ServerCore::mesh_peer_present(LinkId link, const Key& client) {
  if (links_.contains(link)) forwarders_[client] = link;
}

void ServerCore::mesh_peer_gone(LinkId link, const Key& client) {
  if (auto it = forwarders_.find(client); it != forwarders_.end() && it->second == link) {
    forwarders_.erase(it);
  }
}

std::vector<std::uint8_t> ServerCore::take_link_output(LinkId link) {
  auto it = links_.find(link);
  if (it == links_.end()) return {};
  return std::exchange(it->second, {});
}

std::optional<Key> ServerCore::client_key(ConnId id) const {
  auto it = conns_.find(id);
  if (it == conns_.end() || !it->second.registered) return std::nullopt;
  return it->second.key;
}

bool ServerCore::is_preferred(ConnId id) const {
  auto it = conns_.find(id);
  return it != conns_.end() && it->second.preferred;
}

ServerStats ServerCore::stats() const {
  ServerStats s = stats_;
  s.connections = conns_.size();
  s.clients = by_key_.size();
  s.mesh_watchers = watchers_.size();
  return s;
}

}  // namespace gquic::derp
