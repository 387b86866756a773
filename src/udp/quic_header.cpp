#include "gquic/udp/quic_header.h"

#include <algorithm>

namespace gquic::udp {

Result<ConnectionId> ConnectionId::from(std::span<const std::uint8_t> bytes) {
  if (bytes.size() > kMaxConnectionIdLength) return Errc::invalid_argument;
  ConnectionId id;
  std::copy(bytes.begin(), bytes.end(), id.data_.begin());
  id.len_ = static_cast<std::uint8_t>(bytes.size());
  return id;
}

std::string ConnectionId::to_hex() const {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * len_);
  for (std::size_t i = 0; i < len_; ++i) {
    out.push_back(kDigits[data_[i] >> 4]);
    out.push_back(kDigits[data_[i] & 0xf]);
  }
  return out;
}

std::size_t ConnectionId::hash() const noexcept {
  // CIDs are chosen by gquic itself (random or encrypted), so a simple mix suffices; FNV-1a.
  std::uint64_t h = 1469598103934665603ull ^ len_;
  for (std::size_t i = 0; i < len_; ++i) h = (h ^ data_[i]) * 1099511628211ull;
  return static_cast<std::size_t>(h);
}

bool looks_like_quic(std::span<const std::uint8_t> datagram) noexcept {
  if (datagram.empty()) return false;
  const std::uint8_t first = datagram[0];
  return (first & 0x80) != 0 || (first & 0x40) != 0;
}

namespace {

LongPacketType long_packet_type(std::uint32_t version, std::uint8_t first) noexcept {
  const unsigned bits = (first >> 4) & 0x3;
  if (version == kQuicVersion1) {
    constexpr LongPacketType kV1[] = {LongPacketType::initial, LongPacketType::zero_rtt,
                                      LongPacketType::handshake, LongPacketType::retry};
    return kV1[bits];
  }
  if (version == kQuicVersion2) {  // RFC 9369 §3.2 rotates the type bits
    constexpr LongPacketType kV2[] = {LongPacketType::retry, LongPacketType::initial,
                                      LongPacketType::zero_rtt, LongPacketType::handshake};
    return kV2[bits];
  }
  return LongPacketType::unknown;
}

}  // namespace

Result<QuicHeaderInfo> parse_quic_header(std::span<const std::uint8_t> datagram,
                                         std::size_t short_dcid_length) noexcept {
  if (short_dcid_length > kMaxConnectionIdLength) return Errc::invalid_argument;
  if (datagram.empty()) return Errc::truncated;
  const std::uint8_t first = datagram[0];
  QuicHeaderInfo info;
  info.fixed_bit = (first & 0x40) != 0;

  if ((first & 0x80) == 0) {
    if (!info.fixed_bit) return Errc::malformed;
    if (datagram.size() < 1 + short_dcid_length) return Errc::truncated;
    info.form = HeaderForm::short_header;
    info.dcid = datagram.subspan(1, short_dcid_length);
    return info;
  }

  info.form = HeaderForm::long_header;
  if (datagram.size() < 6) return Errc::truncated;
  info.version = (std::uint32_t{datagram[1]} << 24) | (std::uint32_t{datagram[2]} << 16) |
                 (std::uint32_t{datagram[3]} << 8) | std::uint32_t{datagram[4]};
  const bool known_version = info.version == kQuicVersion1 || info.version == kQuicVersion2;
  std::size_t pos = 5;
  const std::size_t dcid_len = datagram[pos++];
  if (known_version && dcid_len > kMaxConnectionIdLength) return Errc::malformed;
  if (datagram.size() < pos + dcid_len + 1) return Errc::truncated;
  info.dcid = datagram.subspan(pos, dcid_len);
  pos += dcid_len;
  const std::size_t scid_len = datagram[pos++];
  if (known_version && scid_len > kMaxConnectionIdLength) return Errc::malformed;
  if (datagram.size() < pos + scid_len) return Errc::truncated;
  info.scid = datagram.subspan(pos, scid_len);
  if (info.version != 0) info.type = long_packet_type(info.version, first);
  return info;
}

}  // namespace gquic::udp
