#pragma once
// ServerCore: the DERP relay server as a sans-IO state machine. A driver accepts byte streams
// (after the HTTP upgrade, over TLS or plain TCP), feeds their bytes in and writes out what the
// core queues; it also feeds the time. The core never touches a socket or a clock.
//
//   accept(now)                  -> ConnId; ServerKey is queued for it
//   handle_bytes(id, now, bytes) -> frames are parsed and acted on
//   take_output(id)              -> bytes to write to that connection
//   poll_close()                 -> connections the driver must close, with the reason
//   closed(id, now)              -> the driver lost a connection (EOF, error)
//   next_deadline()/handle_timeout(now) -> handshake deadline, keepalives, idle clients
//
// Behaviour (the DERP protocol as deployed, see frames.h):
//   * the first frame must be a ClientInfo that opens with the server key; otherwise, or after
//     `handshake_timeout`, the connection is closed. Beyond `max_clients` a client is refused
//     (closed, counted) before it is registered;
//   * SendPacket to a key connected here queues RecvPacket(source) on that client; to a key a
//     mesh peer reported, a ForwardPacket on that peer's link; otherwise it is dropped and
//     counted (unknown_destination);
//   * a client's packet queue holds `queue_packets`; when full the oldest is dropped (counted);
//   * a per-client token bucket limits the bytes a client may send (0 = unlimited);
//   * when the last connection of a key goes, every client that received packets from it gets
//     PeerGone(key, disconnected), and mesh watchers get PeerGone too;
//   * WatchConns, ClosePeer and ForwardPacket need the mesh key (ClientInfo.meshKey); without
//     it the connection is closed. A watcher first gets PeerPresent for every connected key;
//     ForwardPacket is delivered locally and never forwarded again;
//   * Ping is answered with Pong; KeepAlive is sent every `keepalive_interval`; a client that
//     sends nothing for `client_timeout` is closed;
//   * a second connection with the same key becomes the active one;
//   * a frame over its type's size limit closes the connection; unknown types are skipped.
// Every drop and close has a counted reason (stats()).

#include <array>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <unordered_map>
#include <vector>

#include "gquic/core/clock.h"
#include "gquic/core/error.h"
#include "gquic/derp/frames.h"
#include "gquic/derp/handshake.h"

namespace gquic::derp {

using ConnId = std::uint64_t;
using LinkId = std::uint32_t;  // an outbound link to a meshed server

struct ServerCoreConfig {
  KeyPair server_key;
  std::optional<std::array<std::uint8_t, 32>> mesh_key;
  std::size_t max_clients = 10'000;
  Duration handshake_timeout = std::chrono::seconds(10);
  Duration client_timeout = std::chrono::seconds(120);
  Duration keepalive_interval = std::chrono::seconds(60);
  std::size_t queue_packets = 32;          // RecvPacket frames waiting per client
  std::size_t max_control_frames = 1024;   // other frames waiting; beyond: the client is too slow
  std::uint64_t rate_bytes_per_second = 0; // per client; 0 = unlimited
  std::uint64_t rate_burst_bytes = 1 << 20;
};

enum class CloseReason : std::uint8_t {
  bad_handshake,      // first frame not a ClientInfo, or it did not open
  handshake_timeout,
  server_full,        // max_clients reached
  frame_too_large,
  protocol_error,     // a malformed frame of a known type
  not_mesh_peer,      // a mesh-only frame without the mesh key
  idle,               // nothing received for client_timeout
  too_slow,           // control frames piled up unread
  closed_by_peer,     // ClosePeer from a mesh peer
  count_
};
std::string_view to_string(CloseReason r) noexcept;

enum class DropReason : std::uint8_t {
  unknown_destination,
  queue_full,         // oldest queued packet dropped for a newer one
  rate_limited,
  count_
};
std::string_view to_string(DropReason r) noexcept;

struct ServerStats {
  std::size_t connections = 0;
  std::size_t clients = 0;            // registered keys
  std::size_t mesh_watchers = 0;
  std::uint64_t packets_relayed = 0;  // RecvPacket frames queued for delivery
  std::uint64_t bytes_relayed = 0;
  std::uint64_t packets_forwarded = 0;  // ForwardPacket frames sent to mesh links
  std::array<std::uint64_t, static_cast<std::size_t>(DropReason::count_)> drops{};
  std::array<std::uint64_t, static_cast<std::size_t>(CloseReason::count_)> closes{};
  std::uint64_t drops_by(DropReason r) const { return drops[static_cast<std::size_t>(r)]; }
  std::uint64_t closes_by(CloseReason r) const { return closes[static_cast<std::size_t>(r)]; }
};

class ServerCore {
 public:
  explicit ServerCore(ServerCoreConfig config);

  ConnId accept(TimePoint now);
  void handle_bytes(ConnId id, TimePoint now, std::span<const std::uint8_t> bytes);
  // Everything queued for the connection, in order (control frames before packets).
  std::vector<std::uint8_t> take_output(ConnId id);
  bool has_output(ConnId id) const;
  // Connections that got output since the last call (each once), so a driver wakes only
  // their writers instead of scanning every connection.
  std::vector<ConnId> take_dirty();
  std::optional<std::pair<ConnId, CloseReason>> poll_close();
  void closed(ConnId id, TimePoint now);

  std::optional<TimePoint> next_deadline() const;
  void handle_timeout(TimePoint now);

  // Mesh: an outbound link to another server of the region (the driver dials it with this
  // server's key and the mesh key and sends WatchConns). Keys that server reports present are
  // routed to the link; its PeerGone removes them.
  LinkId add_mesh_link();
  void remove_mesh_link(LinkId link);
  void mesh_peer_present(LinkId link, const Key& client);
  void mesh_peer_gone(LinkId link, const Key& client);
  std::vector<std::uint8_t> take_link_output(LinkId link);
  // Links that got output since the last call.
  std::vector<LinkId> take_dirty_links();

  const Key& public_key() const noexcept { return config_.server_key.public_key; }
  std::optional<Key> client_key(ConnId id) const;
  bool is_preferred(ConnId id) const;
  ServerStats stats() const;

 private:
  struct Conn {
    TimePoint accepted;
    TimePoint last_received;
    TimePoint next_keepalive;
    bool registered = false;
    bool mesh_peer = false;
    bool watcher = false;
    bool preferred = false;
    bool closing = false;
    bool dirty = false;  // listed in dirty_
    Key key{};
    FrameReader reader;
    std::vector<std::uint8_t> control;        // framed bytes
    std::size_t control_frames = 0;
    std::deque<std::vector<std::uint8_t>> packets;  // framed RecvPacket
    double tokens = 0;
    TimePoint tokens_at;
    std::set<Key> sent_to_me_from;             // sources seen, for PeerGone
  };

  void close(ConnId id, CloseReason reason);
  void on_frame(ConnId id, Conn& c, TimePoint now, const Frame& f);
  void on_client_info(ConnId id, Conn& c, TimePoint now, const Frame& f);
  void send_control(ConnId id, Conn& c, FrameType type,
                    std::initializer_list<std::span<const std::uint8_t>> parts);
  void deliver(const Key& src, const Key& dst, std::span<const std::uint8_t> packet);
  bool take_tokens(Conn& c, TimePoint now, std::size_t bytes);
  void unregister(ConnId id, Conn& c);
  void count(DropReason r) { ++stats_.drops[static_cast<std::size_t>(r)]; }
  void mark_dirty(ConnId id, Conn& c) {
    if (!c.dirty) {
      c.dirty = true;
      dirty_.push_back(id);
    }
  }

  ServerCoreConfig config_;
  ConnId next_id_ = 1;
  std::unordered_map<ConnId, Conn> conns_;
  std::map<Key, std::vector<ConnId>> by_key_;   // the last entry is the active connection
  std::set<ConnId> watchers_;
  LinkId next_link_ = 1;
  std::map<LinkId, std::vector<std::uint8_t>> links_;
  std::map<Key, LinkId> forwarders_;
  std::deque<std::pair<ConnId, CloseReason>> to_close_;
  std::vector<ConnId> dirty_;
  std::set<LinkId> dirty_links_;
  ServerStats stats_;
};

}  // namespace gquic::derp
