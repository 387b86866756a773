// quic::Endpoint: connection-ID routing and acceptance of new connections, sans-IO.

#include "gquic/quic/endpoint.h"

#include <ngtcp2/ngtcp2.h>
#include <ngtcp2/ngtcp2_crypto.h>

#include <algorithm>
#include <cstring>

#include "gquic/core/log.h"

namespace gquic::quic {
namespace {

std::string key_of(const std::uint8_t* p, std::size_t n) {
  return std::string(reinterpret_cast<const char*>(p), n);
}

}  // namespace

Endpoint::Endpoint(std::shared_ptr<TlsContext> server_tls, EndpointConfig config)
    : tls_(std::move(server_tls)), config_(std::move(config)) {
  if (!config_.connection.random) config_.connection.random = system_random();
  if (config_.static_secret.empty()) {
    config_.static_secret.resize(32);
    config_.connection.random(config_.static_secret);
  }
  config_.connection.stateless_reset_secret = config_.static_secret;
}

void Endpoint::queue_stateless(const Path& path, std::vector<std::uint8_t> bytes) {
  if (stateless_.size() >= 64) return;  // bounded: a flood of triggers cannot grow memory
  Stateless s;
  s.transmit.destination = path.remote;
  s.transmit.source = path.local;
  s.transmit.size = bytes.size();
  s.bytes = std::move(bytes);
  stateless_.push_back(std::move(s));
}

void Endpoint::send_retry(TimePoint now, const Path& path, const void* header) {
  const auto& hd = *static_cast<const ngtcp2_pkt_hd*>(header);
  ngtcp2_cid scid;
  scid.datalen = kConnectionIdLength;
  config_.connection.random(std::span(scid.data, scid.datalen));
  sockaddr_storage sa{};
  const auto salen = path.remote.to_sockaddr(sa);
  std::array<std::uint8_t, NGTCP2_CRYPTO_MAX_RETRY_TOKENLEN> token{};
  const auto ts = static_cast<ngtcp2_tstamp>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count());
  const auto tokenlen = ngtcp2_crypto_generate_retry_token(
      token.data(), config_.static_secret.data(), config_.static_secret.size(), hd.version,
      reinterpret_cast<const ngtcp2_sockaddr*>(&sa), salen, &scid, &hd.dcid, ts);
  if (tokenlen < 0) return;
  std::vector<std::uint8_t> pkt(1200);
  const auto n = ngtcp2_crypto_write_retry(pkt.data(), pkt.size(), hd.version, &hd.scid, &scid,
                                           &hd.dcid, token.data(),
                                           static_cast<std::size_t>(tokenlen));
  if (n <= 0) return;
  pkt.resize(static_cast<std::size_t>(n));
  ++retries_sent_;
  queue_stateless(path, std::move(pkt));
}

void Endpoint::send_stateless_reset(const Path& path, const std::uint8_t* dcid,
                                    std::size_t dcidlen, std::size_t received_size) {
  // RFC 9000 section 10.3.3: smaller than what triggered it (no loops), still 21+ bytes.
  constexpr std::size_t kMinReset = 1 + NGTCP2_MIN_STATELESS_RESET_RANDLEN + 16 + 20;
  if (received_size <= kMinReset || dcidlen == 0 || dcidlen > NGTCP2_MAX_CIDLEN) return;
  ngtcp2_cid cid;
  ngtcp2_cid_init(&cid, dcid, dcidlen);
  std::array<std::uint8_t, NGTCP2_STATELESS_RESET_TOKENLEN> token{};
  if (ngtcp2_crypto_generate_stateless_reset_token(token.data(), config_.static_secret.data(),
                                                   config_.static_secret.size(), &cid) != 0) {
    return;
  }
  const std::size_t size = std::min<std::size_t>(received_size - 1, 64);
  std::vector<std::uint8_t> rand(size - 1 - NGTCP2_STATELESS_RESET_TOKENLEN);
  config_.connection.random(rand);
  std::vector<std::uint8_t> pkt(size);
  const auto n = ngtcp2_pkt_write_stateless_reset(pkt.data(), pkt.size(), token.data(),
                                                  rand.data(), rand.size());
  if (n <= 0) return;
  pkt.resize(static_cast<std::size_t>(n));
  ++resets_sent_;
  queue_stateless(path, std::move(pkt));
}

Endpoint::~Endpoint() = default;

Result<void> Endpoint::handle_datagram(TimePoint now, const Path& path,
                                       std::span<const std::uint8_t> data, Ecn ecn) {
  if (data.empty()) {  // ngtcp2 asserts on an empty packet
    drop(DropReason::malformed);
    return Errc::malformed;
  }
  ngtcp2_version_cid vc{};
  const int rv =
      ngtcp2_pkt_decode_version_cid(&vc, data.data(), data.size(), kConnectionIdLength);
  if (rv == NGTCP2_ERR_VERSION_NEGOTIATION) {
    // Tell the client which versions we speak; the reply is stateless.
    Stateless s;
    s.bytes.resize(256);
    std::uint8_t unused = 0;
    config_.connection.random(std::span<std::uint8_t>(&unused, 1));
    const std::uint32_t versions[] = {NGTCP2_PROTO_VER_V1, NGTCP2_PROTO_VER_V2};
    const auto n = ngtcp2_pkt_write_version_negotiation(
        s.bytes.data(), s.bytes.size(), unused, vc.scid, vc.scidlen, vc.dcid, vc.dcidlen,
        versions, 2);
    if (n <= 0) {
      drop(DropReason::malformed);
      return Errc::malformed;
    }
    s.bytes.resize(static_cast<std::size_t>(n));
    s.transmit.destination = path.remote;
    s.transmit.source = path.local;
    s.transmit.size = s.bytes.size();
    if (stateless_.size() < 64) stateless_.push_back(std::move(s));
    return {};
  }
  if (rv != 0) {
    drop(DropReason::malformed);
    return Errc::malformed;
  }
  if (auto r = routes_.find(key_of(vc.dcid, vc.dcidlen)); r != routes_.end()) {
    auto it = conns_.find(r->second);
    if (it != conns_.end()) {
      auto res = it->second.conn->handle_datagram(now, path, data, ecn);
      if (!res) drop(DropReason::connection_error);
      after_call(it->first, it->second);
      return res;
    }
  }
  // Not routed: only a client Initial may start a connection.
  ngtcp2_pkt_hd hd{};
  if (vc.version == 0 || ngtcp2_accept(&hd, data.data(), data.size()) != 0) {
    drop(DropReason::unknown_connection);
    if (vc.version == 0 && config_.send_stateless_reset) {
      send_stateless_reset(path, vc.dcid, vc.dcidlen, data.size());
    }
    return make_error_code(QuicErrc::dropped);
  }
  if (conns_.size() >= config_.max_connections) {
    drop(DropReason::too_many_connections);
    return Errc::exhausted;
  }
  RetryValidation validated;
  const RetryValidation* retry = nullptr;
  if (config_.require_retry && hd.type == NGTCP2_PKT_INITIAL) {
    if (hd.tokenlen == 0 || hd.token[0] != NGTCP2_CRYPTO_TOKEN_MAGIC_RETRY) {
      send_retry(now, path, &hd);
      return {};
    }
    sockaddr_storage sa{};
    const auto salen = path.remote.to_sockaddr(sa);
    ngtcp2_cid odcid;
    const auto ts = static_cast<ngtcp2_tstamp>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count());
    if (ngtcp2_crypto_verify_retry_token(
            &odcid, hd.token, hd.tokenlen, config_.static_secret.data(),
            config_.static_secret.size(), hd.version, reinterpret_cast<const ngtcp2_sockaddr*>(&sa),
            salen, &hd.dcid,
            static_cast<ngtcp2_duration>(
                std::chrono::nanoseconds(config_.retry_token_lifetime).count()),
            ts) != 0) {
      drop(DropReason::invalid_token);
      return make_error_code(QuicErrc::dropped);
    }
    validated.original_dcid.assign(odcid.data, odcid.data + odcid.datalen);
    validated.retry_scid.assign(hd.dcid.data, hd.dcid.data + hd.dcid.datalen);
    retry = &validated;
  }
  auto c = Connection::accept(tls_, config_.connection, path, data, ecn, now, retry);
  if (!c) {
    drop(DropReason::accept_failed);
    return c.error();
  }
  const std::uint64_t handle = next_handle_++;
  Entry& e = conns_[handle];
  e.conn = std::move(*c);
  e.original_dcid = key_of(hd.dcid.data, hd.dcid.datalen);
  routes_[e.original_dcid] = handle;
  e.keys.push_back(e.original_dcid);
  after_call(handle, e);
  return {};
}

void Endpoint::after_call(std::uint64_t handle, Entry& e) {
  std::vector<std::string> now_keys{e.original_dcid};
  for (const auto& cid : e.conn->source_cids()) now_keys.push_back(key_of(cid.data(), cid.size()));
  for (const auto& k : e.keys) {
    if (std::find(now_keys.begin(), now_keys.end(), k) == now_keys.end()) routes_.erase(k);
  }
  for (const auto& k : now_keys) routes_[k] = handle;
  e.keys = std::move(now_keys);
  while (auto ev = e.conn->poll_event()) events_.push_back({handle, std::move(*ev)});
}

void Endpoint::remove(std::map<std::uint64_t, Entry>::iterator it) {
  for (const auto& k : it->second.keys) {
    auto r = routes_.find(k);
    if (r != routes_.end() && r->second == it->first) routes_.erase(r);
  }
  conns_.erase(it);
}

std::optional<Transmit> Endpoint::poll_transmit(TimePoint now, std::span<std::uint8_t> buf) {
  if (!stateless_.empty()) {
    Stateless s = std::move(stateless_.front());
    stateless_.pop_front();
    if (s.bytes.size() <= buf.size()) {
      std::memcpy(buf.data(), s.bytes.data(), s.bytes.size());
      return s.transmit;
    }
  }
  if (conns_.empty()) return std::nullopt;
  // Round-robin from the cursor so one busy connection cannot starve the others.
  auto it = conns_.lower_bound(rr_cursor_);
  for (std::size_t i = 0; i < conns_.size(); ++i) {
    if (it == conns_.end()) it = conns_.begin();
    auto t = it->second.conn->poll_transmit(now, buf);
    after_call(it->first, it->second);
    if (t) {
      rr_cursor_ = it->first + 1;
      return t;
    }
    ++it;
  }
  return std::nullopt;
}

std::optional<TimePoint> Endpoint::next_deadline() const {
  std::optional<TimePoint> next;
  for (const auto& [h, e] : conns_) {
    auto d = e.conn->next_deadline();
    if (d && (!next || *d < *next)) next = d;
  }
  return next;
}

void Endpoint::handle_timeout(TimePoint now) {
  for (auto it = conns_.begin(); it != conns_.end();) {
    auto d = it->second.conn->next_deadline();
    if (d && *d <= now) {
      it->second.conn->handle_timeout(now);
      after_call(it->first, it->second);
    }
    if (it->second.conn->is_closed() && !it->second.conn->next_deadline()) {
      remove(it++);
    } else {
      ++it;
    }
  }
}

std::optional<EndpointEvent> Endpoint::poll_event() {
  if (events_.empty()) return std::nullopt;
  EndpointEvent e = std::move(events_.front());
  events_.pop_front();
  return e;
}

Connection* Endpoint::connection(std::uint64_t handle) {
  auto it = conns_.find(handle);
  return it == conns_.end() ? nullptr : it->second.conn.get();
}

}  // namespace gquic::quic
