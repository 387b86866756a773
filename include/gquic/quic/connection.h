#pragma once
// A QUIC connection in the sans-IO shape shared by every gquic protocol core:
//
//   handle_datagram(now, path, bytes, ecn)   feed one received UDP payload
//   poll_transmit(now, buf) -> Transmit      one UDP payload to send (call until nullopt)
//   next_deadline() / handle_timeout(now)    the one timer the driver must arm
//   poll_event() -> Event                    what happened (handshake, streams, datagrams, close)
//
// It wraps ngtcp2 (QUIC) and GnuTLS (TLS 1.3): an RAII owner of one ngtcp2_conn and one
// gnutls_session_t. ngtcp2 callbacks land in static trampolines that only record events and
// buffer data; nothing here touches a socket or reads a clock. Time enters as TimePoint and is
// handed to ngtcp2 as nanoseconds since the steady_clock epoch, so ManualClock works. All
// randomness used by gquic (connection IDs, reset tokens, ngtcp2's rand callback) comes from
// the injected RandomSource; GnuTLS draws its own key material.
//
// Streams: bytes written are buffered per stream up to `stream_send_buffer` (a write accepts
// what fits and reports the count; none fits -> Errc::would_block) and kept until the peer
// acknowledges them. Received bytes wait in a per-stream buffer that never exceeds the
// flow-control window: the window is extended only as read_stream() consumes, so a slow
// reader slows the writer.
//
// Datagrams (RFC 9221): send_datagram() queues one; Errc::unsupported when the peer did not
// advertise max_datagram_frame_size, Errc::message_too_large when it cannot fit.
//
// Resumption and 0-RTT: a client connection reports each TLS session ticket the server sends
// as a session_ticket event (and session_ticket()): opaque bytes holding the TLS session and
// the server's transport parameters remembered for 0-RTT. A later client connection with
// ConnectionConfig::session_ticket set resumes (no certificate exchange) and, when the ticket
// allows it, may open streams and write before the handshake completes: those bytes travel
// as 0-RTT. early_data() tells, once the handshake completed, whether the server accepted
// them; if it rejected them the connection sends the same streams' bytes again in 1-RTT
// (stream IDs unchanged), so the application sees no difference but latency.
//
// A server connection is made by accept() from the first Initial datagram of a client; routing
// later datagrams to it by connection ID is the caller's job (see scid()).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "gquic/core/clock.h"
#include "gquic/core/error.h"
#include "gquic/core/socket_address.h"
#include "gquic/quic/quic_error.h"
#include "gquic/quic/tls_context.h"

namespace gquic::quic {

// Length of the connection IDs gquic issues (what an Endpoint decodes short headers with).
inline constexpr std::size_t kConnectionIdLength = 16;

// ECN codepoint of a datagram (values of the two IP header bits).
enum class Ecn : std::uint8_t { not_ect = 0b00, ect1 = 0b01, ect0 = 0b10, ce = 0b11 };

struct Path {
  SocketAddress local;
  SocketAddress remote;
};

struct Transmit {
  SocketAddress destination;
  SocketAddress source;
  std::size_t size = 0;      // bytes written at the start of the caller's buffer
  Ecn ecn = Ecn::not_ect;
};

// Fills the span with random bytes. Must be set to something unpredictable in production;
// tests pass a seeded generator.
using RandomSource = std::function<void(std::span<std::uint8_t>)>;

// A RandomSource backed by GnuTLS's nonce generator.
RandomSource system_random();

// QUIC versions gquic speaks (RFC 9000, RFC 9369).
inline constexpr std::uint32_t kQuicV1 = 0x00000001;
inline constexpr std::uint32_t kQuicV2 = 0x6b3343cf;

enum class CongestionControl : std::uint8_t { cubic, bbr2, reno };

// Receives qlog (JSON-SEQ) text as ngtcp2 produces it; `fin` on the connection's last call.
// The driver decides where it goes (gquic's CLI writes one file per connection).
using QlogSink = std::function<void(std::span<const std::uint8_t> text, bool fin)>;

// What a client keeps from one connection to resume the next (see session_ticket events).
// Opaque; only meaningful to the same server (same session ticket key).
struct SessionTicket {
  std::vector<std::uint8_t> data;
  bool empty() const noexcept { return data.empty(); }
};

// Fate of 0-RTT early data on a connection.
enum class EarlyData : std::uint8_t {
  none,      // not attempted (or, on a server, not received)
  accepted,  // the server took the 0-RTT data
  rejected,  // client: the server refused it; the data was sent again in 1-RTT
};

struct ConnectionConfig {
  Duration idle_timeout = std::chrono::seconds(30);
  Duration keep_alive{0};  // > 0: send a PING after this much quiet (keeps idle peers alive)
  std::uint64_t stream_receive_window = 256 * 1024;      // per stream, bytes
  std::uint64_t connection_receive_window = 1024 * 1024;  // whole connection, bytes
  std::size_t stream_send_buffer = 256 * 1024;            // unacknowledged bytes per stream
  std::uint64_t max_bidi_streams = 100;                   // peer may open this many
  std::uint64_t max_uni_streams = 100;
  std::uint64_t max_datagram_frame_size = 1200;           // 0: do not accept DATAGRAM frames
  std::size_t datagram_queue = 64;                        // queued outgoing datagrams
  std::size_t max_udp_payload = 1200;                     // largest UDP payload sent
  std::string server_name;                                // client: SNI and name verified
  RandomSource random;                                    // empty: system_random()
  CongestionControl congestion_control = CongestionControl::cubic;
  QlogSink qlog;                                          // empty: no qlog
  // Compatible version negotiation (RFC 9368). Server: versions it prefers, in order (empty:
  // v1 only). Client: versions it offers; its first Initial uses `initial_version`.
  std::vector<std::uint32_t> versions;
  std::uint32_t initial_version = kQuicV1;
  // Server: stateless reset tokens are derived from this secret and the connection ID (so an
  // Endpoint that lost its state can still reset); empty: random tokens.
  std::vector<std::uint8_t> stateless_reset_secret;
  // Client: resume the session of an earlier connection to the same server (and try 0-RTT).
  SessionTicket session_ticket;
};

// Server: the client's address was validated by a Retry (RFC 9000 section 8.1.2).
struct RetryValidation {
  std::vector<std::uint8_t> original_dcid;  // the client's first destination connection ID
  std::vector<std::uint8_t> retry_scid;     // the source connection ID of our Retry
};

enum class EventKind {
  handshake_completed,
  stream_opened,      // the peer opened stream_id
  stream_readable,    // stream_id has bytes (or its fin) to read
  stream_finished,    // the peer's fin arrived on stream_id (bytes may still be unread)
  stream_reset,       // the peer reset stream_id with error_code
  stream_stopped,     // the peer asked us to stop sending on stream_id (error_code)
  datagram_received,  // data holds the payload
  connection_closed,  // error, error_code, application_error and reason say why
  path_validated,     // a new path was validated (error_code 0) or failed (error_code 1)
  session_ticket,     // client: data holds a SessionTicket for a later connection
};

struct Event {
  EventKind kind = EventKind::handshake_completed;
  std::int64_t stream_id = -1;
  std::uint64_t error_code = 0;      // QUIC transport or application error code
  bool application_error = false;    // error_code is an application code
  std::error_code error;             // connection_closed: gquic's view of the cause
  std::string reason;                // connection_closed: reason phrase of the peer or ours
  std::vector<std::uint8_t> data;    // datagram_received, session_ticket
};

struct ReadResult {
  std::size_t size = 0;  // bytes copied into the caller's buffer
  bool fin = false;      // the peer's data ended and all of it has been read
};

struct ConnectionStats {
  std::uint64_t datagrams_received = 0;
  std::uint64_t datagrams_sent = 0;
  std::uint64_t bytes_received = 0;
  std::uint64_t bytes_sent = 0;
  std::uint64_t packets_rejected = 0;   // handle_datagram returned an error
  std::uint64_t quic_datagrams_dropped = 0;  // queued DATAGRAM frames ngtcp2 refused
  Duration smoothed_rtt{};
  // From ngtcp2's recovery state (ngtcp2_conn_get_conn_info) at the time of the call.
  Duration rtt_variance{};
  Duration min_rtt{};
  std::uint64_t cwnd = 0;
  std::uint64_t bytes_in_flight = 0;
  std::uint64_t ssthresh = 0;
  std::uint64_t key_updates = 0;        // 1-RTT key generations installed (ours or the peer's)
  std::uint64_t retries_received = 0;   // client: Retry packets accepted
  std::uint64_t stateless_resets = 0;   // client: the peer reset us statelessly
  std::uint64_t paths_validated = 0;
  std::uint64_t early_bytes_received = 0;  // server: stream bytes that arrived in 0-RTT
  // ngtcp2 1.11 exposes no lost/acked packet counts; datagrams_sent/received above count
  // packets at the UDP level.
};

class Connection {
 public:
  struct Impl;

  // A client connection to `path.remote`; its first Initial comes out of poll_transmit().
  static Result<std::unique_ptr<Connection>> connect(std::shared_ptr<TlsContext> tls,
                                                     const ConnectionConfig& config,
                                                     const Path& path, TimePoint now);

  // A server connection for the client whose first Initial is `datagram`. The datagram is
  // processed (no need to pass it to handle_datagram again). Not an Initial: Errc::malformed.
  static Result<std::unique_ptr<Connection>> accept(std::shared_ptr<TlsContext> tls,
                                                    const ConnectionConfig& config,
                                                    const Path& path,
                                                    std::span<const std::uint8_t> datagram,
                                                    Ecn ecn, TimePoint now,
                                                    const RetryValidation* retry = nullptr);

  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // --- the sans-IO core ---
  Result<void> handle_datagram(TimePoint now, const Path& path,
                               std::span<const std::uint8_t> data, Ecn ecn = Ecn::not_ect);
  std::optional<Transmit> poll_transmit(TimePoint now, std::span<std::uint8_t> buf);
  std::optional<TimePoint> next_deadline() const;
  void handle_timeout(TimePoint now);
  std::optional<Event> poll_event();

  // --- state ---
  bool is_server() const noexcept;
  bool handshake_completed() const noexcept;
  // Confirmed (RFC 9001 4.1.2): both sides dropped handshake keys. An application close
  // before this reaches the peer as the transport code APPLICATION_ERROR (0x0c) without
  // the application's code, as RFC 9000 section 10.2.3 requires.
  bool handshake_confirmed() const noexcept;
  bool is_closed() const noexcept;  // closing, draining or gone: no more streams or data
  std::string alpn() const;          // negotiated protocol, empty if none
  std::vector<std::uint8_t> scid() const;  // our current source connection ID
  // Every connection ID the peer may address us by now (routing keys of an Endpoint).
  std::vector<std::vector<std::uint8_t>> source_cids() const;
  ConnectionStats stats() const;
  std::uint32_t version() const;     // negotiated QUIC version (kQuicV1, kQuicV2)
  // The TLS handshake resumed an earlier session (no certificate exchange).
  bool is_resumed() const noexcept;
  // Final once the handshake completed.
  EarlyData early_data() const noexcept;
  // Client: the latest session ticket received (empty before the server sent one).
  SessionTicket session_ticket() const;

  // Starts a key update (RFC 9001 section 6); Errc::would_block while the previous one is
  // still unconfirmed or before the handshake is confirmed.
  Result<void> update_keys(TimePoint now);
  // Client: moves to a new local address (a rebind). The connection probes the new path with
  // PATH_CHALLENGE and reports path_validated; packets from the peer must now be fed with the
  // new path. Needs a spare connection ID from the peer (Errc::exhausted otherwise).
  Result<void> migrate(TimePoint now, const Path& new_path);

  // --- streams ---
  Result<std::int64_t> open_bidi_stream();
  Result<std::int64_t> open_uni_stream();
  // Buffers up to the stream's free send space; returns the count accepted. `fin` takes
  // effect only when every byte of `data` was accepted.
  Result<std::size_t> write_stream(std::int64_t stream_id, std::span<const std::uint8_t> data,
                                   bool fin = false);
  Result<ReadResult> read_stream(std::int64_t stream_id, std::span<std::uint8_t> buf);
  // Bytes written on the stream and not yet acknowledged by the peer.
  std::size_t stream_send_buffered(std::int64_t stream_id) const;
  // Bytes received on the stream and not yet read.
  std::size_t stream_receive_buffered(std::int64_t stream_id) const;
  // Abandons our sending half (RESET_STREAM with the code); receiving goes on.
  Result<void> reset_stream(std::int64_t stream_id, std::uint64_t app_error_code);

  // --- datagrams ---
  Result<void> send_datagram(std::span<const std::uint8_t> data);
  // The largest payload send_datagram() accepts now (0: peer does not accept datagrams).
  std::size_t max_datagram_size() const;

  // --- closing ---
  // Graceful application close: the next poll_transmit() carries CONNECTION_CLOSE with the
  // code and reason; the connection_closed event follows.
  void close(TimePoint now, std::uint64_t app_error_code, std::string_view reason = {});

 private:
  explicit Connection(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace gquic::quic
