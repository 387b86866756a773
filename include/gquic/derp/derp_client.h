#pragma once
// DerpClient: a node's side of DERP. It connects to a list of relays, measures each one's
// round-trip time (Ping/Pong), makes the fastest its home relay (NotePreferred), sends
// DerpMessages through the home relay and receives them from every relay it is connected to.
//
//   connect_to_relays()  dials every relay, waits for each first attempt, picks the home relay;
//                        relays that drop are redialled with exponential back-off
//                        (reconnect_min doubling up to reconnect_max); when the home relay
//                        drops, the connected relay with the lowest RTT takes over (failover).
//                        Without enable_mesh_mode only the home relay stays connected and the
//                        others are redialled on failover.
//   send_message(m)      queues m (OutboundQueue: priority first, expired dropped, bounded);
//                        one sender coroutine writes the queue to the home relay as SendPacket
//                        frames whose packet is the message envelope (message.h).
//   receive()            the next received message (source = the DERP key that sent it);
//                        envelopes that are malformed or expired on arrival are counted drops.
//   discover_public_address()  STUN Binding to `stun_server`, bounded by
//                        nat_traversal_timeout per attempt.
//
// Threading: everything on the io_context's thread (see relay_client.h).

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gquic/core/asio.h"
#include "gquic/core/clock.h"
#include "gquic/core/error.h"
#include "gquic/core/socket_address.h"
#include "gquic/derp/message.h"
#include "gquic/derp/relay_client.h"

namespace boost::asio {
class io_context;
}

namespace gquic::derp {

struct DerpClientConfig {
  // Relay URLs ("https://host[:port]" or "http://..." for dev relays), optionally prefixed by a
  // region name: "REGION=URL". Order breaks RTT ties.
  std::vector<std::string> preferred_relays;
  std::string home_region;          // when set, relays of this region are preferred as home
  bool enable_mesh_mode = false;    // stay connected to every relay, not only the home one
  Duration nat_traversal_timeout = std::chrono::seconds(2);  // per STUN attempt
  std::optional<SocketAddress> stun_server;
  Duration reconnect_min = std::chrono::milliseconds(100);
  Duration reconnect_max = std::chrono::seconds(10);
  Duration first_connect_timeout = std::chrono::seconds(10);
  RelayConnectOptions connect;      // TLS options, connect timeout
  std::size_t send_queue = 4096;    // messages waiting for the home relay
  std::size_t receive_queue = 4096; // messages waiting for receive(); beyond: oldest dropped
};

struct DerpNodeInfo {
  std::string node_id;
  KeyPair key;  // the node's DERP (Curve25519) key
};

struct RelayStatus {
  std::string url;
  std::string region;
  bool connected = false;
  bool home = false;
  std::optional<Duration> rtt;
  std::uint64_t connects = 0;
  std::uint64_t failures = 0;
};

struct DerpClientStats {
  std::size_t connected_relays = 0;
  std::vector<RelayStatus> relays;
  std::uint64_t messages_sent = 0;
  std::uint64_t messages_received = 0;
  std::uint64_t messages_dropped = 0;  // every reason below together
  std::array<std::uint64_t, static_cast<std::size_t>(MessageDrop::count_)> drops{};
  std::uint64_t failovers = 0;
  std::optional<SocketAddress> public_address;
};

class DerpClient {
 public:
  DerpClient(boost::asio::io_context& io, DerpClientConfig config, DerpNodeInfo node,
             Clock& clock = SteadyClock::instance());
  ~DerpClient();
  DerpClient(const DerpClient&) = delete;
  DerpClient& operator=(const DerpClient&) = delete;

  // Errc::invalid_argument for a bad relay URL or none; Errc::closed when no relay answered.
  asio::awaitable<Result<void>> connect_to_relays();
  // Queues a message for the home relay. Stamps `timestamp` (Unix ms) when 0, and the source.
  Result<void> send_message(DerpMessage message);
  asio::awaitable<std::optional<DerpMessage>> receive();  // nullopt once closed
  std::optional<DerpMessage> try_receive();
  asio::awaitable<Result<SocketAddress>> discover_public_address();

  std::optional<std::string> home_relay() const;
  const Key& public_key() const noexcept;
  DerpClientStats stats() const;
  void close();

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace gquic::derp
