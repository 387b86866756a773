// ngtcp2 callbacks of quic::Connection: static trampolines that record events and buffer
// data in Connection::Impl. None of them sends, receives or reads a clock.

#include <ngtcp2/ngtcp2_crypto.h>

#include "connection_impl.h"

namespace gquic::quic {
namespace {

Connection::Impl& self(void* user_data) { return *static_cast<Connection::Impl*>(user_data); }

void push(Connection::Impl& s, EventKind kind, std::int64_t stream_id, std::uint64_t code = 0) {
  Event e;
  e.kind = kind;
  e.stream_id = stream_id;
  e.error_code = code;
  e.application_error = kind == EventKind::stream_reset || kind == EventKind::stream_stopped;
  s.events.push_back(std::move(e));
}

int on_handshake_completed(ngtcp2_conn*, void* user_data) {
  auto& s = self(user_data);
  if (s.settle_early_data() != 0) return NGTCP2_ERR_CALLBACK_FAILURE;
  s.handshake_done = true;
  if (s.server) s.handshake_confirmed = true;  // a server confirms on completion
  if (s.state == Connection::Impl::State::handshaking) {
    s.state = Connection::Impl::State::established;
  }
  push(s, EventKind::handshake_completed, -1);
  return 0;
}

int on_handshake_confirmed(ngtcp2_conn*, void* user_data) {
  self(user_data).handshake_confirmed = true;
  return 0;
}

int on_recv_stream_data(ngtcp2_conn*, std::uint32_t flags, std::int64_t stream_id,
                        std::uint64_t, const std::uint8_t* data, std::size_t len,
                        void* user_data, void*) {
  if ((flags & NGTCP2_STREAM_DATA_FLAG_0RTT) != 0) {
    self(user_data).stats.early_bytes_received += len;
  }
  self(user_data).on_stream_data(stream_id, data, len, (flags & NGTCP2_STREAM_DATA_FLAG_FIN) != 0);
  return 0;
}

int on_acked_stream_data_offset(ngtcp2_conn*, std::int64_t stream_id, std::uint64_t offset,
                                std::uint64_t len, void* user_data, void*) {
  self(user_data).on_acked(stream_id, offset, len);
  return 0;
}

int on_stream_open(ngtcp2_conn*, std::int64_t stream_id, void* user_data) {
  auto& s = self(user_data);
  s.streams.try_emplace(stream_id);
  push(s, EventKind::stream_opened, stream_id);
  return 0;
}

int on_stream_close(ngtcp2_conn* conn, std::uint32_t, std::int64_t stream_id, std::uint64_t,
                    void* user_data, void*) {
  auto& s = self(user_data);
  if (s.discarding_early) return 0;  // 0-RTT streams being reopened (settle_early_data)
  if (!ngtcp2_conn_is_local_stream(conn, stream_id)) {
    // Give the peer its stream credit back.
    if (ngtcp2_is_bidi_stream(stream_id)) {
      ngtcp2_conn_extend_max_streams_bidi(conn, 1);
    } else {
      ngtcp2_conn_extend_max_streams_uni(conn, 1);
    }
  }
  auto it = s.streams.find(stream_id);
  if (it == s.streams.end()) return 0;
  it->second.closed = true;
  it->second.write_closed = true;
  it->second.send.clear();
  it->second.send_acked = it->second.send_end;
  // Kept while the application still has bytes or a fin to read.
  if (it->second.recv.empty() && (it->second.fin_delivered || !it->second.fin_received)) {
    if (!it->second.readable_signalled) s.streams.erase(it);
  }
  return 0;
}

int on_stream_reset(ngtcp2_conn* conn, std::int64_t stream_id, std::uint64_t, std::uint64_t code,
                    void* user_data, void*) {
  auto& s = self(user_data);
  if (auto* st = s.find_stream(stream_id)) {
    // Unread bytes of a reset stream are discarded; their connection credit goes back.
    ngtcp2_conn_extend_max_offset(conn, st->recv.size());
    st->recv.clear();
    st->readable_signalled = false;
  }
  push(s, EventKind::stream_reset, stream_id, code);
  return 0;
}

int on_stream_stop_sending(ngtcp2_conn*, std::int64_t stream_id, std::uint64_t code,
                           void* user_data, void*) {
  auto& s = self(user_data);
  if (auto* st = s.find_stream(stream_id)) st->write_closed = true;
  push(s, EventKind::stream_stopped, stream_id, code);
  return 0;
}

int on_recv_datagram(ngtcp2_conn*, std::uint32_t, const std::uint8_t* data, std::size_t len,
                     void* user_data) {
  Event e;
  e.kind = EventKind::datagram_received;
  e.data.assign(data, data + len);
  self(user_data).events.push_back(std::move(e));
  return 0;
}

void on_rand(std::uint8_t* dest, std::size_t len, const ngtcp2_rand_ctx* ctx) {
  static_cast<const Connection::Impl*>(ctx->native_handle)->random(dest, len);
}

int on_get_new_connection_id(ngtcp2_conn*, ngtcp2_cid* cid, std::uint8_t* token,
                             std::size_t cidlen, void* user_data) {
  auto& s = self(user_data);
  cid->datalen = cidlen;
  s.random(cid->data, cidlen);
  s.reset_token(token, *cid);
  return 0;
}

int on_update_key(ngtcp2_conn* conn, std::uint8_t* rx_secret, std::uint8_t* tx_secret,
                  ngtcp2_crypto_aead_ctx* rx_aead_ctx, std::uint8_t* rx_iv,
                  ngtcp2_crypto_aead_ctx* tx_aead_ctx, std::uint8_t* tx_iv,
                  const std::uint8_t* current_rx_secret, const std::uint8_t* current_tx_secret,
                  std::size_t secretlen, void* user_data) {
  const int rv = ngtcp2_crypto_update_key_cb(conn, rx_secret, tx_secret, rx_aead_ctx, rx_iv,
                                             tx_aead_ctx, tx_iv, current_rx_secret,
                                             current_tx_secret, secretlen, user_data);
  if (rv == 0) ++self(user_data).stats.key_updates;
  return rv;
}

int on_recv_retry(ngtcp2_conn* conn, const ngtcp2_pkt_hd* hd, void* user_data) {
  const int rv = ngtcp2_crypto_recv_retry_cb(conn, hd, user_data);
  if (rv == 0) ++self(user_data).stats.retries_received;
  return rv;
}

int on_recv_stateless_reset(ngtcp2_conn*, const ngtcp2_pkt_stateless_reset*, void* user_data) {
  ++self(user_data).stats.stateless_resets;
  return 0;
}

int on_path_validation(ngtcp2_conn*, std::uint32_t, const ngtcp2_path*, const ngtcp2_path*,
                       ngtcp2_path_validation_result res, void* user_data) {
  auto& s = self(user_data);
  Event e;
  e.kind = EventKind::path_validated;
  e.error_code = res == NGTCP2_PATH_VALIDATION_RESULT_SUCCESS ? 0 : 1;
  if (e.error_code == 0) ++s.stats.paths_validated;
  s.events.push_back(std::move(e));
  return 0;
}

}  // namespace

void Connection::Impl::fill_callbacks(ngtcp2_callbacks& cb, bool is_server) {
  if (is_server) {
    cb.recv_client_initial = ngtcp2_crypto_recv_client_initial_cb;
  } else {
    cb.client_initial = ngtcp2_crypto_client_initial_cb;
    cb.recv_retry = on_recv_retry;
  }
  cb.recv_crypto_data = ngtcp2_crypto_recv_crypto_data_cb;
  cb.encrypt = ngtcp2_crypto_encrypt_cb;
  cb.decrypt = ngtcp2_crypto_decrypt_cb;
  cb.hp_mask = ngtcp2_crypto_hp_mask_cb;
  cb.update_key = on_update_key;
  cb.recv_stateless_reset = on_recv_stateless_reset;
  cb.path_validation = on_path_validation;
  cb.delete_crypto_aead_ctx = ngtcp2_crypto_delete_crypto_aead_ctx_cb;
  cb.delete_crypto_cipher_ctx = ngtcp2_crypto_delete_crypto_cipher_ctx_cb;
  cb.get_path_challenge_data = ngtcp2_crypto_get_path_challenge_data_cb;
  cb.version_negotiation = ngtcp2_crypto_version_negotiation_cb;
  cb.handshake_completed = on_handshake_completed;
  cb.handshake_confirmed = on_handshake_confirmed;
  cb.recv_stream_data = on_recv_stream_data;
  cb.acked_stream_data_offset = on_acked_stream_data_offset;
  cb.stream_open = on_stream_open;
  cb.stream_close = on_stream_close;
  cb.stream_reset = on_stream_reset;
  cb.stream_stop_sending = on_stream_stop_sending;
  cb.recv_datagram = on_recv_datagram;
  cb.rand = on_rand;
  cb.get_new_connection_id = on_get_new_connection_id;
}

}  // namespace gquic::quic
