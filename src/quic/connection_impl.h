#pragma once
// The state behind quic::Connection: the ngtcp2 connection, the GnuTLS session, per-stream
// buffers and the event queue. Split by concern over connection.cpp (lifecycle and the
// sans-IO calls), connection_callbacks.cpp (ngtcp2 trampolines) and connection_streams.cpp.

#include <deque>
#include <map>
#include <optional>
#include <memory>
#include <vector>

#include <gnutls/gnutls.h>
#include <ngtcp2/ngtcp2.h>
#include <ngtcp2/ngtcp2_crypto.h>

#include "gquic/quic/connection.h"
#include "tls_internal.h"

namespace gquic::quic {

inline ngtcp2_tstamp to_tstamp(TimePoint t) noexcept {
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch());
  return ns.count() < 0 ? 0 : static_cast<ngtcp2_tstamp>(ns.count());
}

inline TimePoint from_tstamp(ngtcp2_tstamp ts) noexcept {
  return TimePoint{std::chrono::duration_cast<TimePoint::duration>(
      std::chrono::nanoseconds{static_cast<std::int64_t>(ts)})};
}

// One stream's buffers. Outgoing bytes live in chunks whose storage never moves, because
// ngtcp2 keeps pointers to sent data until it is acknowledged.
struct StreamState {
  struct Chunk {
    std::uint64_t offset = 0;  // stream offset of data[0]
    std::vector<std::uint8_t> data;
  };
  std::deque<Chunk> send;          // unacknowledged bytes, in offset order
  std::uint64_t send_acked = 0;    // every byte below is acknowledged
  std::uint64_t send_sent = 0;     // every byte below was handed to ngtcp2
  std::uint64_t send_end = 0;      // every byte below was written by the application
  bool fin_queued = false;
  bool fin_sent = false;
  bool write_closed = false;       // reset or stopped: no more writes

  std::deque<std::uint8_t> recv;   // in-order bytes not yet read
  bool fin_received = false;
  bool fin_delivered = false;
  bool readable_signalled = false; // a stream_readable event is outstanding
  bool closed = false;             // ngtcp2 closed the stream

  std::size_t send_buffered() const noexcept {
    return static_cast<std::size_t>(send_end - send_acked);
  }
  bool has_unsent() const noexcept {
    return !write_closed && (send_sent < send_end || (fin_queued && !fin_sent));
  }
};

struct Connection::Impl {
  enum class State { handshaking, established, closing, draining, closed };

  std::shared_ptr<TlsContext> tls;
  ConnectionConfig config;
  bool server = false;
  ngtcp2_conn* conn = nullptr;
  gnutls_session_t session = nullptr;
  ngtcp2_crypto_conn_ref conn_ref{};
  State state = State::handshaking;
  bool handshake_done = false;
  bool handshake_confirmed = false;

  std::map<std::int64_t, StreamState> streams;
  std::deque<Event> events;
  std::deque<std::vector<std::uint8_t>> datagrams_out;

  ngtcp2_ccerr ccerr{};              // what we send when closing
  std::string close_reason;
  bool close_pending = false;        // CONNECTION_CLOSE still to be written
  std::vector<std::uint8_t> close_packet;  // kept to answer packets during closing
  TimePoint close_deadline{};        // end of the closing/draining period
  bool closed_event_sent = false;
  ConnectionStats stats;

  // resumption and 0-RTT (connection.cpp)
  SessionTicket ticket;              // client: latest ticket received
  bool early_attempted = false;      // client: resumed with 0-RTT transport parameters
  bool discarding_early = false;     // ngtcp2 is dropping 0-RTT stream state
  EarlyData early = EarlyData::none;
  // Client, before the handshake: loads config.session_ticket into the TLS session and ngtcp2.
  Result<void> load_ticket();
  // Client, handshake done: settles 0-RTT; after a rejection reopens and resends the streams.
  int settle_early_data();
  void on_new_ticket();

  ~Impl();

  // lifecycle (connection.cpp)
  Result<void> setup(const Path& path, const ngtcp2_cid* dcid, const ngtcp2_cid* scid,
                     const ngtcp2_cid* original_dcid, std::uint32_t version, TimePoint now);
  void fail(TimePoint now, int liberr);  // record a local error and start closing
  void enter_draining(TimePoint now);
  void emit_closed(std::error_code error, std::uint64_t code, bool app, std::string reason);
  void random(std::uint8_t* dest, std::size_t len) const;
  // A stateless reset token for `cid`: derived from config.stateless_reset_secret, or random.
  void reset_token(std::uint8_t* token, const ngtcp2_cid& cid) const;
  std::optional<ngtcp2_cid> retry_scid;  // server after a Retry

  // streams (connection_streams.cpp)
  StreamState* find_stream(std::int64_t id);
  void on_stream_data(std::int64_t id, const std::uint8_t* data, std::size_t len, bool fin);
  void on_acked(std::int64_t id, std::uint64_t offset, std::uint64_t len);
  // Writes one packet of stream data (and control frames); returns bytes or < 0 on error.
  ngtcp2_ssize write_streams(ngtcp2_path* path, ngtcp2_pkt_info* pi, std::uint8_t* buf,
                             std::size_t len, ngtcp2_tstamp ts);

  // callbacks (connection_callbacks.cpp)
  static void fill_callbacks(ngtcp2_callbacks& cb, bool server);
};

}  // namespace gquic::quic
