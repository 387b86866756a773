// quic::Connection: lifecycle and the sans-IO calls over ngtcp2_conn.

#include "gquic/quic/connection.h"

#include <gnutls/crypto.h>
#include <ngtcp2/ngtcp2_crypto_gnutls.h>
#include <sys/socket.h>

#include <algorithm>
#include <iterator>
#include <cstring>

#include "connection_impl.h"
#include "gquic/core/log.h"

namespace gquic::quic {
namespace {

constexpr std::size_t kCidLen = kConnectionIdLength;

ngtcp2_conn* get_conn(ngtcp2_crypto_conn_ref* ref) {
  return static_cast<Connection::Impl*>(ref->user_data)->conn;
}

// ngtcp2_addr views over sockaddr_storage owned by the caller's frame.
struct PathStorage {
  sockaddr_storage local{}, remote{};
  ngtcp2_path path{};
  explicit PathStorage(const Path& p) {
    path.local.addr = reinterpret_cast<ngtcp2_sockaddr*>(&local);
    path.local.addrlen = p.local.to_sockaddr(local);
    path.remote.addr = reinterpret_cast<ngtcp2_sockaddr*>(&remote);
    path.remote.addrlen = p.remote.to_sockaddr(remote);
  }
};

SocketAddress to_address(const ngtcp2_addr& a) {
  auto r = SocketAddress::from_sockaddr(reinterpret_cast<const sockaddr*>(a.addr), a.addrlen);
  return r ? *r : SocketAddress{};
}

// Session ticket layout: "GQT1", u32 length + TLS session data, u32 length + the server's
// transport parameters for 0-RTT (ngtcp2's encoding). Integers big-endian.
constexpr std::uint8_t kTicketMagic[4] = {'G', 'Q', 'T', '1'};

void put_block(std::vector<std::uint8_t>& out, const std::uint8_t* data, std::size_t len) {
  for (int shift = 24; shift >= 0; shift -= 8) {
    out.push_back(static_cast<std::uint8_t>(len >> shift));
  }
  out.insert(out.end(), data, data + len);
}

std::optional<std::span<const std::uint8_t>> take_block(std::span<const std::uint8_t>& in) {
  if (in.size() < 4) return std::nullopt;
  const std::size_t len = (std::size_t{in[0]} << 24) | (std::size_t{in[1]} << 16) |
                          (std::size_t{in[2]} << 8) | std::size_t{in[3]};
  if (in.size() - 4 < len) return std::nullopt;
  auto block = in.subspan(4, len);
  in = in.subspan(4 + len);
  return block;
}

int on_session_ticket_message(gnutls_session_t session, unsigned, unsigned, unsigned,
                              const gnutls_datum_t*) {
  auto* ref = static_cast<ngtcp2_crypto_conn_ref*>(gnutls_session_get_ptr(session));
  static_cast<Connection::Impl*>(ref->user_data)->on_new_ticket();
  return 0;
}

}  // namespace

RandomSource system_random() {
  return [](std::span<std::uint8_t> out) {
    gnutls_rnd(GNUTLS_RND_NONCE, out.data(), out.size());
  };
}

Connection::Impl::~Impl() {
  if (conn != nullptr) ngtcp2_conn_del(conn);
  if (session != nullptr) gnutls_deinit(session);
}

void Connection::Impl::random(std::uint8_t* dest, std::size_t len) const {
  config.random(std::span<std::uint8_t>(dest, len));
}

Result<void> Connection::Impl::setup(const Path& path, const ngtcp2_cid* dcid,
                                     const ngtcp2_cid* scid, const ngtcp2_cid* original_dcid,
                                     std::uint32_t version, TimePoint now) {
  auto s = make_tls_session(tls->impl(), config.server_name);
  if (!s) return s.error();
  session = *s;
  conn_ref.get_conn = get_conn;
  conn_ref.user_data = this;
  gnutls_session_set_ptr(session, &conn_ref);
  const int crv = server ? ngtcp2_crypto_gnutls_configure_server_session(session)
                         : ngtcp2_crypto_gnutls_configure_client_session(session);
  if (crv != 0) return make_error_code(QuicErrc::tls_setup);

  ngtcp2_callbacks cb{};
  fill_callbacks(cb, server);
  ngtcp2_settings settings;
  ngtcp2_settings_default(&settings);
  settings.initial_ts = to_tstamp(now);
  settings.rand_ctx.native_handle = this;
  settings.max_tx_udp_payload_size = config.max_udp_payload;
  switch (config.congestion_control) {
    case CongestionControl::cubic: settings.cc_algo = NGTCP2_CC_ALGO_CUBIC; break;
    case CongestionControl::bbr2: settings.cc_algo = NGTCP2_CC_ALGO_BBR; break;
    case CongestionControl::reno: settings.cc_algo = NGTCP2_CC_ALGO_RENO; break;
  }
  if (!config.versions.empty()) {
    if (server) {
      settings.preferred_versions = config.versions.data();
      settings.preferred_versionslen = config.versions.size();
    } else {
      settings.available_versions = config.versions.data();
      settings.available_versionslen = config.versions.size();
    }
  }
  if (config.qlog) {
    settings.qlog_write = [](void* user, std::uint32_t flags, const void* data, std::size_t len) {
      auto* self = static_cast<Impl*>(user);
      self->config.qlog(std::span(static_cast<const std::uint8_t*>(data), len),
                        (flags & NGTCP2_QLOG_WRITE_FLAG_FIN) != 0);
    };
  }
  settings.handshake_timeout = static_cast<ngtcp2_duration>(
      std::max<std::int64_t>(std::chrono::nanoseconds(config.idle_timeout).count(), 1));
  ngtcp2_transport_params params;
  ngtcp2_transport_params_default(&params);
  params.initial_max_stream_data_bidi_local = config.stream_receive_window;
  params.initial_max_stream_data_bidi_remote = config.stream_receive_window;
  params.initial_max_stream_data_uni = config.stream_receive_window;
  params.initial_max_data = config.connection_receive_window;
  params.initial_max_streams_bidi = config.max_bidi_streams;
  params.initial_max_streams_uni = config.max_uni_streams;
  params.max_idle_timeout =
      static_cast<ngtcp2_duration>(std::chrono::nanoseconds(config.idle_timeout).count());
  params.max_datagram_frame_size = config.max_datagram_frame_size;
  PathStorage ps(path);
  int rv;
  if (server) {
    params.original_dcid = *original_dcid;
    params.original_dcid_present = 1;
    if (retry_scid) {
      params.retry_scid = *retry_scid;
      params.retry_scid_present = 1;
    }
    reset_token(params.stateless_reset_token, *scid);
    params.stateless_reset_token_present = 1;
    rv = ngtcp2_conn_server_new(&conn, dcid, scid, &ps.path, version, &cb, &settings, &params,
                                nullptr, this);
  } else {
    rv = ngtcp2_conn_client_new(&conn, dcid, scid, &ps.path, version, &cb, &settings, &params,
                                nullptr, this);
  }
  if (rv != 0) {
    conn = nullptr;
    return from_ngtcp2(rv);
  }
  ngtcp2_conn_set_tls_native_handle(conn, session);
  if (!server && !config.session_ticket.empty()) {
    if (auto r = load_ticket(); !r) return r.error();
  }
  if (!server) {
    gnutls_handshake_set_hook_function(session, GNUTLS_HANDSHAKE_NEW_SESSION_TICKET,
                                       GNUTLS_HOOK_POST, on_session_ticket_message);
  }
  if (config.keep_alive.count() > 0) {
    ngtcp2_conn_set_keep_alive_timeout(
        conn, static_cast<ngtcp2_duration>(std::chrono::nanoseconds(config.keep_alive).count()));
  }
  return {};
}

void Connection::Impl::reset_token(std::uint8_t* token, const ngtcp2_cid& cid) const {
  const auto& secret = config.stateless_reset_secret;
  if (secret.empty() || ngtcp2_crypto_generate_stateless_reset_token(
                            token, secret.data(), secret.size(), &cid) != 0) {
    random(token, NGTCP2_STATELESS_RESET_TOKENLEN);
  }
}

void Connection::Impl::emit_closed(std::error_code error, std::uint64_t code, bool app,
                                   std::string reason) {
  if (closed_event_sent) return;
  closed_event_sent = true;
  Event e;
  e.kind = EventKind::connection_closed;
  e.error = error;
  e.error_code = code;
  e.application_error = app;
  e.reason = std::move(reason);
  events.push_back(std::move(e));
}

void Connection::Impl::fail(TimePoint now, int liberr) {
  if (state == State::closing || state == State::draining || state == State::closed) return;
  const auto error = from_ngtcp2(liberr);
  if (liberr == NGTCP2_ERR_DROP_CONN || liberr == NGTCP2_ERR_IDLE_CLOSE ||
      liberr == NGTCP2_ERR_HANDSHAKE_TIMEOUT) {
    // Silent close: nothing is sent (RFC 9000 section 10.1).
    state = State::closed;
    emit_closed(error, 0, false, {});
    return;
  }
  if (liberr == NGTCP2_ERR_CRYPTO) {
    ngtcp2_ccerr_set_tls_alert(&ccerr, ngtcp2_conn_get_tls_alert(conn), nullptr, 0);
  } else {
    ngtcp2_ccerr_set_liberr(&ccerr, liberr, nullptr, 0);
  }
  state = State::closing;
  close_pending = true;
  close_deadline = now + std::chrono::nanoseconds(3 * ngtcp2_conn_get_pto(conn));
  emit_closed(error, ccerr.error_code, false, {});
}

void Connection::Impl::enter_draining(TimePoint now) {
  if (state == State::draining || state == State::closed) return;
  const bool was_closing = state == State::closing;
  state = State::draining;
  close_deadline = now + std::chrono::nanoseconds(3 * ngtcp2_conn_get_pto(conn));
  if (was_closing) return;
  const ngtcp2_ccerr* peer = ngtcp2_conn_get_ccerr(conn);
  const bool app = peer->type == NGTCP2_CCERR_TYPE_APPLICATION;
  std::string reason(reinterpret_cast<const char*>(peer->reason), peer->reasonlen);
  std::error_code error = QuicErrc::peer_closed;
  if (peer->type == NGTCP2_CCERR_TYPE_IDLE_CLOSE) error = QuicErrc::idle_timeout;
  if (peer->type == NGTCP2_CCERR_TYPE_DROP_CONN) error = QuicErrc::dropped;
  emit_closed(error, peer->error_code, app, std::move(reason));
}

Connection::Connection(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Connection::~Connection() = default;

Result<std::unique_ptr<Connection>> Connection::connect(std::shared_ptr<TlsContext> tls,
                                                        const ConnectionConfig& config,
                                                        const Path& path, TimePoint now) {
  if (!tls || tls->role() != TlsContext::Role::client) return Errc::invalid_argument;
  auto impl = std::make_unique<Impl>();
  impl->tls = std::move(tls);
  impl->config = config;
  if (!impl->config.random) impl->config.random = system_random();
  ngtcp2_cid dcid{}, scid{};
  dcid.datalen = scid.datalen = kCidLen;
  impl->random(dcid.data, kCidLen);
  impl->random(scid.data, kCidLen);
  if (auto r = impl->setup(path, &dcid, &scid, nullptr, config.initial_version, now); !r) {
    return r.error();
  }
  return std::unique_ptr<Connection>(new Connection(std::move(impl)));
}

Result<std::unique_ptr<Connection>> Connection::accept(std::shared_ptr<TlsContext> tls,
                                                       const ConnectionConfig& config,
                                                       const Path& path,
                                                       std::span<const std::uint8_t> datagram,
                                                       Ecn ecn, TimePoint now,
                                                       const RetryValidation* retry) {
  if (!tls || tls->role() != TlsContext::Role::server) return Errc::invalid_argument;
  ngtcp2_pkt_hd hd{};
  if (datagram.empty()) return Errc::malformed;
  if (ngtcp2_accept(&hd, datagram.data(), datagram.size()) != 0) return Errc::malformed;
  auto impl = std::make_unique<Impl>();
  impl->tls = std::move(tls);
  impl->config = config;
  impl->server = true;
  if (!impl->config.random) impl->config.random = system_random();
  ngtcp2_cid scid{};
  scid.datalen = kCidLen;
  impl->random(scid.data, kCidLen);
  ngtcp2_cid odcid = hd.dcid;
  if (retry != nullptr) {
    if (retry->original_dcid.size() > NGTCP2_MAX_CIDLEN ||
        retry->retry_scid.size() > NGTCP2_MAX_CIDLEN) {
      return Errc::invalid_argument;
    }
    ngtcp2_cid_init(&odcid, retry->original_dcid.data(), retry->original_dcid.size());
    ngtcp2_cid rscid;
    ngtcp2_cid_init(&rscid, retry->retry_scid.data(), retry->retry_scid.size());
    impl->retry_scid = rscid;
  }
  if (auto r = impl->setup(path, &hd.scid, &scid, &odcid, hd.version, now); !r) {
    return r.error();
  }
  auto c = std::unique_ptr<Connection>(new Connection(std::move(impl)));
  if (auto r = c->handle_datagram(now, path, datagram, ecn); !r) return r.error();
  return c;
}

Result<void> Connection::handle_datagram(TimePoint now, const Path& path,
                                         std::span<const std::uint8_t> data, Ecn ecn) {
  Impl& s = *impl_;
  ++s.stats.datagrams_received;
  s.stats.bytes_received += data.size();
  if (s.state == Impl::State::draining || s.state == Impl::State::closed) return Errc::closed;
  if (s.state == Impl::State::closing) {
    // Answer with the saved CONNECTION_CLOSE on the next poll_transmit.
    if (!s.close_packet.empty()) s.close_pending = true;
    return Errc::closed;
  }
  if (data.empty()) return Errc::malformed;
  PathStorage ps(path);
  ngtcp2_pkt_info pi{};
  pi.ecn = static_cast<std::uint8_t>(ecn);
  const int rv = ngtcp2_conn_read_pkt(s.conn, &ps.path, &pi, data.data(), data.size(),
                                      to_tstamp(now));
  if (rv == 0) return {};
  ++s.stats.packets_rejected;
  if (rv == NGTCP2_ERR_DRAINING) {
    s.enter_draining(now);
    return {};
  }
  if (rv == NGTCP2_ERR_CLOSING) {
    s.state = Impl::State::closing;
    return {};
  }
  if (rv == NGTCP2_ERR_RETRY || rv == NGTCP2_ERR_DROP_CONN) {
    s.state = Impl::State::closed;
    s.emit_closed(from_ngtcp2(rv), 0, false, {});
    return from_ngtcp2(rv);
  }
  log::get("quic")->debug("read_pkt: {}", ngtcp2_strerror(rv));
  s.fail(now, rv);
  return from_ngtcp2(rv);
}

std::optional<Transmit> Connection::poll_transmit(TimePoint now, std::span<std::uint8_t> buf) {
  Impl& s = *impl_;
  if (s.state == Impl::State::draining || s.state == Impl::State::closed) return std::nullopt;
  const ngtcp2_tstamp ts = to_tstamp(now);
  ngtcp2_path_storage ps;
  ngtcp2_path_storage_zero(&ps);
  ngtcp2_pkt_info pi{};
  ngtcp2_ssize n = 0;

  if (s.state == Impl::State::closing) {
    if (!s.close_pending) return std::nullopt;
    s.close_pending = false;
    if (s.close_packet.empty()) {
      std::vector<std::uint8_t> pkt(std::max<std::size_t>(buf.size(), 1200));
      n = ngtcp2_conn_write_connection_close(s.conn, &ps.path, &pi, pkt.data(), pkt.size(),
                                             &s.ccerr, ts);
      if (n <= 0) return std::nullopt;
      pkt.resize(static_cast<std::size_t>(n));
      s.close_packet = std::move(pkt);
    } else {
      ngtcp2_path_copy(&ps.path, ngtcp2_conn_get_path(s.conn));
    }
    if (s.close_packet.size() > buf.size()) return std::nullopt;
    std::memcpy(buf.data(), s.close_packet.data(), s.close_packet.size());
    n = static_cast<ngtcp2_ssize>(s.close_packet.size());
  } else {
    // Queued DATAGRAM frames go first, one per packet.
    while (!s.datagrams_out.empty()) {
      auto& d = s.datagrams_out.front();
      ngtcp2_vec v{d.data(), d.size()};
      int accepted = 0;
      n = ngtcp2_conn_writev_datagram(s.conn, &ps.path, &pi, buf.data(), buf.size(), &accepted,
                                      NGTCP2_WRITE_DATAGRAM_FLAG_NONE, 0, &v, 1, ts);
      if (n < 0) {
        if (n == NGTCP2_ERR_INVALID_ARGUMENT || n == NGTCP2_ERR_INVALID_STATE) {
          ++s.stats.quic_datagrams_dropped;
          s.datagrams_out.pop_front();
          continue;
        }
        s.fail(now, static_cast<int>(n));
        return poll_transmit(now, buf);
      }
      if (accepted != 0) s.datagrams_out.pop_front();
      break;
    }
    if (n == 0) {
      n = s.write_streams(&ps.path, &pi, buf.data(), buf.size(), ts);
      if (n < 0) {
        s.fail(now, static_cast<int>(n));
        if (s.state == Impl::State::closing) return poll_transmit(now, buf);
        return std::nullopt;
      }
    }
    if (n == 0) return std::nullopt;
    ngtcp2_conn_update_pkt_tx_time(s.conn, ts);
  }
  ++s.stats.datagrams_sent;
  s.stats.bytes_sent += static_cast<std::uint64_t>(n);
  Transmit t;
  t.destination = to_address(ps.path.remote);
  t.source = to_address(ps.path.local);
  t.size = static_cast<std::size_t>(n);
  t.ecn = static_cast<Ecn>(pi.ecn & 0x3);
  return t;
}

std::optional<TimePoint> Connection::next_deadline() const {
  const Impl& s = *impl_;
  switch (s.state) {
    case Impl::State::closed: return std::nullopt;
    case Impl::State::closing:
    case Impl::State::draining: return s.close_deadline;
    default: break;
  }
  const ngtcp2_tstamp t = ngtcp2_conn_get_expiry(s.conn);
  if (t == UINT64_MAX) return std::nullopt;
  return from_tstamp(t);
}

void Connection::handle_timeout(TimePoint now) {
  Impl& s = *impl_;
  if (s.state == Impl::State::closed) return;
  if (s.state == Impl::State::closing || s.state == Impl::State::draining) {
    if (now >= s.close_deadline) s.state = Impl::State::closed;
    return;
  }
  const int rv = ngtcp2_conn_handle_expiry(s.conn, to_tstamp(now));
  if (rv != 0) s.fail(now, rv);
}

std::optional<Event> Connection::poll_event() {
  auto& q = impl_->events;
  if (q.empty()) return std::nullopt;
  Event e = std::move(q.front());
  q.pop_front();
  return e;
}

bool Connection::is_server() const noexcept { return impl_->server; }
bool Connection::handshake_completed() const noexcept { return impl_->handshake_done; }
bool Connection::handshake_confirmed() const noexcept { return impl_->handshake_confirmed; }
bool Connection::is_closed() const noexcept {
  return impl_->state != Impl::State::handshaking && impl_->state != Impl::State::established;
}

std::string Connection::alpn() const {
  gnutls_datum_t p{};
  if (impl_->session == nullptr || gnutls_alpn_get_selected_protocol(impl_->session, &p) != 0) {
    return {};
  }
  return std::string(reinterpret_cast<const char*>(p.data), p.size);
}

std::vector<std::uint8_t> Connection::scid() const {
  const auto all = source_cids();
  return all.empty() ? std::vector<std::uint8_t>{} : all.front();
}

std::vector<std::vector<std::uint8_t>> Connection::source_cids() const {
  const std::size_t n = ngtcp2_conn_get_scid(impl_->conn, nullptr);
  std::vector<ngtcp2_cid> cids(n);
  if (n > 0) ngtcp2_conn_get_scid(impl_->conn, cids.data());
  std::vector<std::vector<std::uint8_t>> out;
  for (const auto& c : cids) out.emplace_back(c.data, c.data + c.datalen);
  return out;
}

ConnectionStats Connection::stats() const {
  ConnectionStats st = impl_->stats;
  ngtcp2_conn_info info{};
  ngtcp2_conn_get_conn_info(impl_->conn, &info);
  st.smoothed_rtt = std::chrono::nanoseconds(info.smoothed_rtt);
  st.rtt_variance = std::chrono::nanoseconds(info.rttvar);
  st.min_rtt = std::chrono::nanoseconds(info.min_rtt);
  st.cwnd = info.cwnd;
  st.ssthresh = info.ssthresh;
  st.bytes_in_flight = info.bytes_in_flight;
  return st;
}

bool Connection::is_resumed() const noexcept {
  return impl_->session != nullptr && gnutls_session_is_resumed(impl_->session) != 0;
}

EarlyData Connection::early_data() const noexcept { return impl_->early; }

SessionTicket Connection::session_ticket() const { return impl_->ticket; }

void Connection::Impl::on_new_ticket() {
  gnutls_datum_t tls_data{};
  if (gnutls_session_get_data2(session, &tls_data) != 0) return;
  std::uint8_t params[512];
  const ngtcp2_ssize n = ngtcp2_conn_encode_0rtt_transport_params(conn, params, sizeof params);
  SessionTicket t;
  t.data.assign(std::begin(kTicketMagic), std::end(kTicketMagic));
  put_block(t.data, tls_data.data, tls_data.size);
  put_block(t.data, params, n > 0 ? static_cast<std::size_t>(n) : 0);
  gnutls_free(tls_data.data);
  ticket = t;
  Event e;
  e.kind = EventKind::session_ticket;
  e.data = std::move(t.data);
  events.push_back(std::move(e));
}

Result<void> Connection::Impl::load_ticket() {
  std::span<const std::uint8_t> in(config.session_ticket.data);
  if (in.size() < sizeof kTicketMagic ||
      !std::equal(std::begin(kTicketMagic), std::end(kTicketMagic), in.begin())) {
    return Errc::malformed;
  }
  in = in.subspan(sizeof kTicketMagic);
  auto tls_data = take_block(in);
  auto params = tls_data ? take_block(in) : std::nullopt;
  if (!params || !in.empty() || tls_data->empty()) return Errc::malformed;
  if (int rv = gnutls_session_set_data(session, tls_data->data(), tls_data->size()); rv != 0) {
    // Not resumable (e.g. expired or foreign): a full handshake follows.
    log::get("quic")->debug("session ticket not usable: {}", gnutls_strerror(rv));
    return {};
  }
  if (!params->empty() &&
      ngtcp2_conn_decode_and_set_0rtt_transport_params(conn, params->data(), params->size()) == 0) {
    early_attempted = true;
  }
  return {};
}

int Connection::Impl::settle_early_data() {
  const bool accepted = (gnutls_session_get_flags(session) & GNUTLS_SFLAGS_EARLY_DATA) != 0;
  if (server) {
    early = accepted ? EarlyData::accepted : EarlyData::none;
    return 0;
  }
  if (!early_attempted) return 0;
  if (accepted) {
    early = EarlyData::accepted;
    return 0;
  }
  early = EarlyData::rejected;
  // ngtcp2 forgets every stream opened in 0-RTT; ours keep their bytes (nothing was
  // acknowledged), so reopen them in the same order, which yields the same IDs, and send
  // everything again.
  discarding_early = true;
  const int rv = ngtcp2_conn_tls_early_data_rejected(conn);
  discarding_early = false;
  if (rv != 0) return rv;
  for (auto it = streams.begin(); it != streams.end();) {
    const std::int64_t id = it->first;
    StreamState& st = it->second;
    std::int64_t reopened = -1;
    const int orv = ngtcp2_is_bidi_stream(id)
                        ? ngtcp2_conn_open_bidi_stream(conn, &reopened, nullptr)
                        : ngtcp2_conn_open_uni_stream(conn, &reopened, nullptr);
    if (orv != 0 || reopened != id) {
      // The server's real limits are lower than it promised in the ticket: the stream is lost.
      log::get("quic")->debug("0-RTT stream {} not reopened: {}", id, ngtcp2_strerror(orv));
      Event e;
      e.kind = EventKind::stream_reset;
      e.stream_id = id;
      events.push_back(std::move(e));
      it = streams.erase(it);
      continue;
    }
    st.send_sent = st.send_acked;
    st.fin_sent = false;
    ++it;
  }
  return 0;
}

std::uint32_t Connection::version() const {
  return ngtcp2_conn_get_negotiated_version(impl_->conn);
}

Result<void> Connection::update_keys(TimePoint now) {
  if (is_closed()) return Errc::closed;
  const int rv = ngtcp2_conn_initiate_key_update(impl_->conn, to_tstamp(now));
  if (rv == NGTCP2_ERR_INVALID_STATE) return Errc::would_block;
  if (rv != 0) return from_ngtcp2(rv);
  return {};
}

Result<void> Connection::migrate(TimePoint now, const Path& new_path) {
  if (is_closed()) return Errc::closed;
  if (impl_->server) return Errc::unsupported;
  PathStorage ps(new_path);
  const int rv = ngtcp2_conn_initiate_migration(impl_->conn, &ps.path, to_tstamp(now));
  if (rv == NGTCP2_ERR_CONN_ID_BLOCKED) return Errc::exhausted;
  if (rv != 0) return from_ngtcp2(rv);
  return {};
}

std::size_t Connection::max_datagram_size() const {
  const ngtcp2_transport_params* p = ngtcp2_conn_get_remote_transport_params(impl_->conn);
  if (p == nullptr || p->max_datagram_frame_size == 0) return 0;
  // A DATAGRAM frame with length costs 1 type byte + up to 2 length bytes here; the packet
  // adds a short header (1 + CID), packet number (up to 4) and the AEAD tag (16).
  const std::size_t frame_limit =
      p->max_datagram_frame_size > 3 ? static_cast<std::size_t>(p->max_datagram_frame_size) - 3 : 0;
  const std::size_t packet_limit =
      ngtcp2_conn_get_max_tx_udp_payload_size(impl_->conn) - (1 + 20 + 4 + 16 + 3);
  return std::min(frame_limit, packet_limit);
}

Result<void> Connection::send_datagram(std::span<const std::uint8_t> data) {
  Impl& s = *impl_;
  if (is_closed()) return Errc::closed;
  if (!s.handshake_done) return Errc::would_block;
  const std::size_t max = max_datagram_size();
  if (max == 0) return Errc::unsupported;
  if (data.size() > max) return Errc::message_too_large;
  if (s.datagrams_out.size() >= s.config.datagram_queue) return Errc::would_block;
  s.datagrams_out.emplace_back(data.begin(), data.end());
  return {};
}

void Connection::close(TimePoint now, std::uint64_t app_error_code, std::string_view reason) {
  Impl& s = *impl_;
  if (is_closed()) return;
  s.close_reason.assign(reason);  // ngtcp2 keeps a pointer to the reason until it is sent
  ngtcp2_ccerr_set_application_error(
      &s.ccerr, app_error_code, reinterpret_cast<const std::uint8_t*>(s.close_reason.data()),
      s.close_reason.size());
  s.state = Impl::State::closing;
  s.close_pending = true;
  s.close_deadline = now + std::chrono::nanoseconds(3 * ngtcp2_conn_get_pto(s.conn));
  s.emit_closed(QuicErrc::ok, app_error_code, true, std::string(reason));
}

}  // namespace gquic::quic
