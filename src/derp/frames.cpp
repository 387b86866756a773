#include "gquic/derp/frames.h"

#include <algorithm>
#include <cstring>

namespace gquic::derp {
namespace {

std::uint32_t read_u32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}

void put_u32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 24));
  out.push_back(static_cast<std::uint8_t>(v >> 16));
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v));
}

Key key_at(std::span<const std::uint8_t> p, std::size_t offset) {
  Key k;
  std::copy_n(p.begin() + static_cast<std::ptrdiff_t>(offset), kKeyLen, k.begin());
  return k;
}

}  // namespace

std::string_view to_string(FrameType t) noexcept {
  switch (t) {
    case FrameType::server_key: return "server_key";
    case FrameType::client_info: return "client_info";
    case FrameType::server_info: return "server_info";
    case FrameType::send_packet: return "send_packet";
    case FrameType::recv_packet: return "recv_packet";
    case FrameType::keep_alive: return "keep_alive";
    case FrameType::note_preferred: return "note_preferred";
    case FrameType::peer_gone: return "peer_gone";
    case FrameType::peer_present: return "peer_present";
    case FrameType::forward_packet: return "forward_packet";
    case FrameType::watch_conns: return "watch_conns";
    case FrameType::close_peer: return "close_peer";
    case FrameType::ping: return "ping";
    case FrameType::pong: return "pong";
    case FrameType::health: return "health";
    case FrameType::restarting: return "restarting";
  }
  return "unknown";
}

bool is_known(std::uint8_t type) noexcept {
  return (type >= 0x01 && type <= 0x0a) || (type >= 0x10 && type <= 0x15);
}

std::size_t max_payload(std::uint8_t type) noexcept {
  switch (static_cast<FrameType>(type)) {
    case FrameType::send_packet:
    case FrameType::recv_packet: return kKeyLen + kMaxPacketSize;
    case FrameType::forward_packet: return 2 * kKeyLen + kMaxPacketSize;
    case FrameType::client_info: return kMaxClientInfoLen;
    case FrameType::server_info: return kMaxInfoLen;
    case FrameType::server_key: return kMaxInfoLen;
    case FrameType::keep_alive:
    case FrameType::watch_conns: return 0;
    case FrameType::note_preferred: return 1;
    case FrameType::peer_gone: return kKeyLen + 1;
    case FrameType::peer_present: return kKeyLen + 16 + 2 + 1;
    case FrameType::close_peer: return kKeyLen;
    case FrameType::ping: return 1000;
    case FrameType::pong: return 8;
    case FrameType::health: return 64 * 1024;
    case FrameType::restarting: return 8;
  }
  return kMaxInfoLen;  // unknown types are skipped, within the general bound
}

std::string key_hex(const Key& k) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s;
  s.reserve(2 * k.size());
  for (std::uint8_t b : k) {
    s.push_back(kDigits[b >> 4]);
    s.push_back(kDigits[b & 0xf]);
  }
  return s;
}

void FrameReader::feed(std::span<const std::uint8_t> bytes) {
  if (consumed_ > 0 && consumed_ == buffer_.size()) {
    buffer_.clear();
    consumed_ = 0;
  }
  buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
}

Result<std::optional<Frame>> FrameReader::next() {
  const std::size_t avail = buffer_.size() - consumed_;
  if (avail < kFrameHeaderLen) return std::optional<Frame>{};
  const std::uint8_t* h = buffer_.data() + consumed_;
  const std::uint8_t type = h[0];
  const std::uint32_t len = read_u32(h + 1);
  if (len > max_payload(type)) return Errc::message_too_large;
  if (avail < kFrameHeaderLen + len) return std::optional<Frame>{};
  Frame f;
  f.type = type;
  f.payload.assign(h + kFrameHeaderLen, h + kFrameHeaderLen + len);
  consumed_ += kFrameHeaderLen + len;
  // Compact once the consumed prefix dominates, so the buffer stays bounded.
  if (consumed_ > 64 * 1024 && consumed_ * 2 > buffer_.size()) {
    buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(consumed_));
    consumed_ = 0;
  }
  return std::optional<Frame>(std::move(f));
}

void write_frame(std::vector<std::uint8_t>& out, FrameType type,
                 std::span<const std::uint8_t> payload) {
  write_frame(out, type, {payload});
}

void write_frame(std::vector<std::uint8_t>& out, FrameType type,
                 std::initializer_list<std::span<const std::uint8_t>> parts) {
  std::size_t len = 0;
  for (auto p : parts) len += p.size();
  out.push_back(static_cast<std::uint8_t>(type));
  put_u32(out, static_cast<std::uint32_t>(len));
  for (auto p : parts) out.insert(out.end(), p.begin(), p.end());
}

Result<ServerKey> parse_server_key(std::span<const std::uint8_t> p) {
  if (p.size() < kMagic.size() + kKeyLen) return Errc::truncated;
  if (!std::equal(kMagic.begin(), kMagic.end(), p.begin())) return Errc::malformed;
  return ServerKey{key_at(p, kMagic.size())};
}

Result<SealedInfo> parse_server_info(std::span<const std::uint8_t> p) {
  // A box holds at least its 16-byte authenticator.
  if (p.size() < kNonceLen + 16) return Errc::truncated;
  SealedInfo s;
  std::copy_n(p.begin(), kNonceLen, s.nonce.begin());
  s.box.assign(p.begin() + kNonceLen, p.end());
  return s;
}

Result<ClientInfoFrame> parse_client_info(std::span<const std::uint8_t> p) {
  if (p.size() < kKeyLen) return Errc::truncated;
  auto sealed = parse_server_info(p.subspan(kKeyLen));
  if (!sealed) return sealed.error();
  return ClientInfoFrame{key_at(p, 0), std::move(*sealed)};
}

Result<KeyedPacket> parse_keyed_packet(std::span<const std::uint8_t> p) {
  if (p.size() < kKeyLen) return Errc::truncated;
  if (p.size() - kKeyLen > kMaxPacketSize) return Errc::message_too_large;
  return KeyedPacket{key_at(p, 0), p.subspan(kKeyLen)};
}

Result<ForwardPacket> parse_forward_packet(std::span<const std::uint8_t> p) {
  if (p.size() < 2 * kKeyLen) return Errc::truncated;
  if (p.size() - 2 * kKeyLen > kMaxPacketSize) return Errc::message_too_large;
  return ForwardPacket{key_at(p, 0), key_at(p, kKeyLen), p.subspan(2 * kKeyLen)};
}

Result<PeerGone> parse_peer_gone(std::span<const std::uint8_t> p) {
  if (p.size() < kKeyLen) return Errc::truncated;
  PeerGone g{key_at(p, 0)};
  if (p.size() > kKeyLen) g.reason = static_cast<PeerGoneReason>(p[kKeyLen]);
  return g;
}

Result<PeerPresent> parse_peer_present(std::span<const std::uint8_t> p) {
  if (p.size() < kKeyLen) return Errc::truncated;
  PeerPresent pp{key_at(p, 0)};
  if (p.size() == kKeyLen) return pp;
  if (p.size() < kKeyLen + 18) return Errc::truncated;
  in6_addr a6;
  std::memcpy(&a6, p.data() + kKeyLen, 16);
  IpAddress ip = IpAddress::v6(a6);
  if (IN6_IS_ADDR_V4MAPPED(&a6)) {
    in_addr a4;
    std::memcpy(&a4, p.data() + kKeyLen + 12, 4);
    ip = IpAddress::v4(a4);
  }
  const std::uint16_t port =
      static_cast<std::uint16_t>((p[kKeyLen + 16] << 8) | p[kKeyLen + 17]);
  pp.address = SocketAddress(ip, port);
  if (p.size() > kKeyLen + 18) pp.flags = p[kKeyLen + 18];
  return pp;
}

std::vector<std::uint8_t> encode_peer_present(const PeerPresent& pp) {
  std::vector<std::uint8_t> out(pp.key.begin(), pp.key.end());
  std::array<std::uint8_t, 16> ip{};
  std::uint16_t port = 0;
  if (pp.address) {
    if (pp.address->is_v4()) {
      ip[10] = 0xff;
      ip[11] = 0xff;
      std::copy_n(pp.address->ip().bytes().begin(), 4, ip.begin() + 12);
    } else {
      ip = pp.address->ip().bytes();
    }
    port = pp.address->port();
  }
  out.insert(out.end(), ip.begin(), ip.end());
  out.push_back(static_cast<std::uint8_t>(port >> 8));
  out.push_back(static_cast<std::uint8_t>(port));
  out.push_back(pp.flags);
  return out;
}

Result<Key> parse_key_only(std::span<const std::uint8_t> p) {
  if (p.size() < kKeyLen) return Errc::truncated;
  if (p.size() > kKeyLen) return Errc::malformed;
  return key_at(p, 0);
}

Result<bool> parse_note_preferred(std::span<const std::uint8_t> p) {
  if (p.size() != 1) return p.empty() ? Errc::truncated : Errc::malformed;
  return p[0] != 0;
}

Result<std::array<std::uint8_t, 8>> parse_ping(std::span<const std::uint8_t> p) {
  if (p.size() < 8) return Errc::truncated;
  if (p.size() > 1000) return Errc::malformed;
  std::array<std::uint8_t, 8> data;
  std::copy_n(p.begin(), 8, data.begin());
  return data;
}

Result<Restarting> parse_restarting(std::span<const std::uint8_t> p) {
  if (p.size() < 8) return Errc::truncated;
  return Restarting{read_u32(p.data()), read_u32(p.data() + 4)};
}

}  // namespace gquic::derp
