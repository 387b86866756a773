// MAC1/MAC2 and cookie replies; see cookie.h.
#include "gquic/wireguard/cookie.h"

#include <cstring>

#include <sodium.h>

#include "crypto.h"

namespace gquic::wireguard {
namespace {

SecretKey labelled_key(std::string_view label, const PublicKey& pub) {
  SecretKey k;
  k.bytes() = crypto::hash({crypto::as_bytes(label), pub.bytes});
  return k;
}

}  // namespace

std::optional<MacOffsets> mac_offsets(std::size_t size) noexcept {
  if (size == kInitiationSize)
    return MacOffsets{HandshakeInitiation::kMac1Offset, HandshakeInitiation::kMac2Offset};
  if (size == kResponseSize)
    return MacOffsets{HandshakeResponse::kMac1Offset, HandshakeResponse::kMac2Offset};
  return std::nullopt;
}

std::array<std::uint8_t, 18> cookie_source_bytes(const SocketAddress& from, std::size_t& len) {
  std::array<std::uint8_t, 18> b{};
  const std::size_t ip_len = from.is_v4() ? 4 : 16;
  std::memcpy(b.data(), from.ip().bytes().data(), ip_len);
  b[ip_len] = static_cast<std::uint8_t>(from.port() >> 8);
  b[ip_len + 1] = static_cast<std::uint8_t>(from.port());
  len = ip_len + 2;
  return b;
}

CookieChecker::CookieChecker(const PublicKey& local_public)
    : mac1_key_(labelled_key(kLabelMac1, local_public)),
      cookie_key_(labelled_key(kLabelCookie, local_public)) {}

bool CookieChecker::check_mac1(std::span<const std::uint8_t> message) const {
  auto off = mac_offsets(message.size());
  if (!off) return false;
  const auto mac = crypto::mac(mac1_key_.bytes(), {message.first(off->mac1)});
  return sodium_memcmp(mac.data(), message.data() + off->mac1, kMacSize) == 0;
}

std::array<std::uint8_t, kMacSize> CookieChecker::cookie_for(TimePoint now,
                                                             const SocketAddress& from,
                                                             RandomSource& rng) {
  if (!secret_set_ || now - *secret_set_ >= kCookieRefreshTime) {
    rng.fill(secret_.bytes());
    secret_set_ = now;
  }
  std::size_t len = 0;
  const auto src = cookie_source_bytes(from, len);
  return crypto::mac(secret_.bytes(), {std::span(src.data(), len)});
}

bool CookieChecker::check_mac2(TimePoint now, std::span<const std::uint8_t> message,
                               const SocketAddress& from, RandomSource& rng) {
  auto off = mac_offsets(message.size());
  if (!off) return false;
  const auto cookie = cookie_for(now, from, rng);
  const auto mac = crypto::mac(cookie, {message.first(off->mac2)});
  return sodium_memcmp(mac.data(), message.data() + off->mac2, kMacSize) == 0;
}

CookieReply CookieChecker::make_reply(TimePoint now, std::span<const std::uint8_t> message,
                                      std::uint32_t receiver_index, const SocketAddress& from,
                                      RandomSource& rng) {
  CookieReply reply;
  reply.receiver_index = receiver_index;
  rng.fill(reply.nonce);
  auto off = mac_offsets(message.size());
  const auto cookie = cookie_for(now, from, rng);
  const std::span<const std::uint8_t> ad =
      off ? message.subspan(off->mac1, kMacSize) : std::span<const std::uint8_t>{};
  crypto::xaead_seal(cookie_key_.data(), reply.nonce.data(), cookie, ad,
                     reply.encrypted_cookie.data());
  return reply;
}

CookieGenerator::CookieGenerator(const PublicKey& remote_public)
    : mac1_key_(labelled_key(kLabelMac1, remote_public)),
      cookie_key_(labelled_key(kLabelCookie, remote_public)) {}

bool CookieGenerator::has_fresh_cookie(TimePoint now) const noexcept {
  return cookie_time_ && now - *cookie_time_ < kCookieRefreshTime;
}

void CookieGenerator::add_macs(TimePoint now, std::span<std::uint8_t> message) {
  auto off = mac_offsets(message.size());
  if (!off) return;
  const auto mac1 = crypto::mac(mac1_key_.bytes(), {message.first(off->mac1)});
  std::memcpy(message.data() + off->mac1, mac1.data(), kMacSize);
  last_mac1_ = mac1;
  last_mac1_valid_ = true;
  if (has_fresh_cookie(now)) {
    const auto mac2 = crypto::mac(cookie_, {message.first(off->mac2)});
    std::memcpy(message.data() + off->mac2, mac2.data(), kMacSize);
  } else {
    std::memset(message.data() + off->mac2, 0, kMacSize);
  }
}

bool CookieGenerator::consume_reply(TimePoint now, const CookieReply& reply) {
  if (!last_mac1_valid_) return false;
  std::array<std::uint8_t, kCookieSize> cookie{};
  if (!crypto::xaead_open(cookie_key_.data(), reply.nonce.data(), reply.encrypted_cookie,
                          last_mac1_, cookie.data())) {
    return false;
  }
  cookie_ = cookie;
  cookie_time_ = now;
  last_mac1_valid_ = false;
  return true;
}

}  // namespace gquic::wireguard
