// quic::Connection streams: bounded send buffers kept until acknowledged, receive buffers
// bounded by the flow-control window, and the packet writer that feeds ngtcp2 stream data.

#include <algorithm>

#include "connection_impl.h"

namespace gquic::quic {

StreamState* Connection::Impl::find_stream(std::int64_t id) {
  auto it = streams.find(id);
  return it == streams.end() ? nullptr : &it->second;
}

void Connection::Impl::on_stream_data(std::int64_t id, const std::uint8_t* data, std::size_t len,
                                      bool fin) {
  StreamState& st = streams[id];
  st.recv.insert(st.recv.end(), data, data + len);
  if (fin) st.fin_received = true;
  if (!st.readable_signalled && (len > 0 || fin)) {
    st.readable_signalled = true;
    Event e;
    e.kind = EventKind::stream_readable;
    e.stream_id = id;
    events.push_back(std::move(e));
  }
  if (fin) {
    Event e;
    e.kind = EventKind::stream_finished;
    e.stream_id = id;
    events.push_back(std::move(e));
  }
}

void Connection::Impl::on_acked(std::int64_t id, std::uint64_t offset, std::uint64_t len) {
  StreamState* st = find_stream(id);
  if (st == nullptr) return;
  st->send_acked = std::max(st->send_acked, offset + len);
  while (!st->send.empty()) {
    const auto& c = st->send.front();
    if (c.offset + c.data.size() > st->send_acked) break;
    st->send.pop_front();
  }
}

ngtcp2_ssize Connection::Impl::write_streams(ngtcp2_path* path, ngtcp2_pkt_info* pi,
                                             std::uint8_t* buf, std::size_t len,
                                             ngtcp2_tstamp ts) {
  // Each stream with unsent data is offered once per packet, in id order; a stream that is
  // flow-control blocked is skipped. The final call with stream -1 closes the packet.
  auto it = streams.begin();
  for (;;) {
    while (it != streams.end() && !it->second.has_unsent()) ++it;
    std::int64_t id = -1;
    ngtcp2_vec vec[16];
    std::size_t vcnt = 0;
    std::uint32_t flags = NGTCP2_WRITE_STREAM_FLAG_NONE;
    StreamState* st = nullptr;
    if (it != streams.end()) {
      id = it->first;
      st = &it->second;
      flags |= NGTCP2_WRITE_STREAM_FLAG_MORE;
      for (auto& c : st->send) {
        const std::uint64_t end = c.offset + c.data.size();
        if (end <= st->send_sent) continue;
        const std::size_t skip = static_cast<std::size_t>(st->send_sent > c.offset
                                                              ? st->send_sent - c.offset
                                                              : 0);
        vec[vcnt].base = c.data.data() + skip;
        vec[vcnt].len = c.data.size() - skip;
        if (++vcnt == std::size(vec)) break;
      }
      const bool all = vcnt == 0 || vec[vcnt - 1].base + vec[vcnt - 1].len ==
                                        st->send.back().data.data() + st->send.back().data.size();
      if (st->fin_queued && all) flags |= NGTCP2_WRITE_STREAM_FLAG_FIN;
    }
    ngtcp2_ssize datalen = -1;
    const ngtcp2_ssize n = ngtcp2_conn_writev_stream(conn, path, pi, buf, len, &datalen, flags, id,
                                                     vcnt ? vec : nullptr, vcnt, ts);
    if (st != nullptr && datalen >= 0) {
      st->send_sent += static_cast<std::uint64_t>(datalen);
      if ((flags & NGTCP2_WRITE_STREAM_FLAG_FIN) && st->send_sent == st->send_end) {
        st->fin_sent = true;
      }
    }
    if (n == NGTCP2_ERR_WRITE_MORE) {
      ++it;  // room left in the packet: offer the next stream
      continue;
    }
    if (n == NGTCP2_ERR_STREAM_DATA_BLOCKED || n == NGTCP2_ERR_STREAM_SHUT_WR ||
        n == NGTCP2_ERR_STREAM_NOT_FOUND) {
      if (n != NGTCP2_ERR_STREAM_DATA_BLOCKED && st != nullptr) st->write_closed = true;
      ++it;
      continue;
    }
    return n;
  }
}

Result<std::int64_t> Connection::open_bidi_stream() {
  if (is_closed()) return Errc::closed;
  std::int64_t id = -1;
  if (int rv = ngtcp2_conn_open_bidi_stream(impl_->conn, &id, nullptr); rv != 0) {
    return from_ngtcp2(rv);
  }
  impl_->streams.try_emplace(id);
  return id;
}

Result<std::int64_t> Connection::open_uni_stream() {
  if (is_closed()) return Errc::closed;
  std::int64_t id = -1;
  if (int rv = ngtcp2_conn_open_uni_stream(impl_->conn, &id, nullptr); rv != 0) {
    return from_ngtcp2(rv);
  }
  impl_->streams.try_emplace(id);
  return id;
}

Result<std::size_t> Connection::write_stream(std::int64_t stream_id,
                                             std::span<const std::uint8_t> data, bool fin) {
  if (is_closed()) return Errc::closed;
  StreamState* st = impl_->find_stream(stream_id);
  if (st == nullptr) return make_error_code(QuicErrc::stream_not_found);
  // A stream the peer opened one-way cannot be written.
  if (!ngtcp2_is_bidi_stream(stream_id) && !ngtcp2_conn_is_local_stream(impl_->conn, stream_id)) {
    return make_error_code(QuicErrc::stream_state);
  }
  if (st->write_closed || st->fin_queued) return make_error_code(QuicErrc::stream_state);
  const std::size_t limit = impl_->config.stream_send_buffer;
  const std::size_t room = limit > st->send_buffered() ? limit - st->send_buffered() : 0;
  const std::size_t n = std::min(room, data.size());
  if (n == 0 && !data.empty()) return Errc::would_block;
  // Chunks of at most 16 KiB so acknowledged memory is released progressively.
  constexpr std::size_t kChunk = 16 * 1024;
  for (std::size_t off = 0; off < n; off += kChunk) {
    const std::size_t take = std::min(kChunk, n - off);
    StreamState::Chunk c;
    c.offset = st->send_end;
    c.data.assign(data.begin() + static_cast<std::ptrdiff_t>(off),
                  data.begin() + static_cast<std::ptrdiff_t>(off + take));
    st->send_end += take;
    st->send.push_back(std::move(c));
  }
  if (fin && n == data.size()) st->fin_queued = true;
  return n;
}

Result<ReadResult> Connection::read_stream(std::int64_t stream_id, std::span<std::uint8_t> buf) {
  auto it = impl_->streams.find(stream_id);
  if (it == impl_->streams.end()) return make_error_code(QuicErrc::stream_not_found);
  StreamState& st = it->second;
  const std::size_t n = std::min(buf.size(), st.recv.size());
  std::copy_n(st.recv.begin(), n, buf.begin());
  st.recv.erase(st.recv.begin(), st.recv.begin() + static_cast<std::ptrdiff_t>(n));
  ReadResult r{n, false};
  if (st.recv.empty()) {
    st.readable_signalled = false;
    if (st.fin_received && !st.fin_delivered) {
      st.fin_delivered = true;
      r.fin = true;
    }
  }
  if (n > 0 && !st.closed && !is_closed()) {
    // Only now may the peer send more: this is what makes a slow reader slow the writer.
    ngtcp2_conn_extend_max_stream_offset(impl_->conn, stream_id, n);
    ngtcp2_conn_extend_max_offset(impl_->conn, n);
  } else if (n > 0 && !is_closed()) {
    ngtcp2_conn_extend_max_offset(impl_->conn, n);
  }
  if (st.closed && st.recv.empty() && (st.fin_delivered || !st.fin_received)) {
    impl_->streams.erase(it);
  }
  return r;
}

std::size_t Connection::stream_send_buffered(std::int64_t stream_id) const {
  const StreamState* st = impl_->find_stream(stream_id);
  return st == nullptr ? 0 : st->send_buffered();
}

std::size_t Connection::stream_receive_buffered(std::int64_t stream_id) const {
  const StreamState* st = impl_->find_stream(stream_id);
  return st == nullptr ? 0 : st->recv.size();
}

Result<void> Connection::reset_stream(std::int64_t stream_id, std::uint64_t app_error_code) {
  if (is_closed()) return Errc::closed;
  StreamState* st = impl_->find_stream(stream_id);
  if (st == nullptr) return make_error_code(QuicErrc::stream_not_found);
  const int rv = ngtcp2_conn_shutdown_stream_write(impl_->conn, 0, stream_id, app_error_code);
  if (rv != 0) {
    return from_ngtcp2(rv);
  }
  st->write_closed = true;
  return {};
}

}  // namespace gquic::quic
