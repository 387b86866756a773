#pragma once
// WireGuard protocol constants, all in one place (whitepaper sections 5 and 6). Values are the
// ones the Linux kernel module and wireguard-go use, so a gquic peer interoperates with them.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace gquic::wireguard {

using namespace std::chrono_literals;

// Message types: the first byte of every datagram, followed by three zero bytes.
enum class MessageType : std::uint8_t {
  handshake_initiation = 1,
  handshake_response = 2,
  cookie_reply = 3,
  transport_data = 4,
};

// Wire sizes.
inline constexpr std::size_t kKeySize = 32;
inline constexpr std::size_t kAeadTagSize = 16;
inline constexpr std::size_t kMacSize = 16;
inline constexpr std::size_t kTimestampSize = 12;  // TAI64N
inline constexpr std::size_t kCookieSize = 16;
inline constexpr std::size_t kCookieNonceSize = 24;
inline constexpr std::size_t kInitiationSize = 148;
inline constexpr std::size_t kResponseSize = 92;
inline constexpr std::size_t kCookieReplySize = 64;
inline constexpr std::size_t kTransportHeaderSize = 16;
inline constexpr std::size_t kTransportMinSize = kTransportHeaderSize + kAeadTagSize;  // 32
inline constexpr std::size_t kPaddingMultiple = 16;

// Message counters.
inline constexpr std::uint64_t kRekeyAfterMessages = 1ull << 60;
inline constexpr std::uint64_t kRejectAfterMessages = ~0ull - (1ull << 13);  // 2^64 - 2^13 - 1

// Timers.
inline constexpr std::chrono::seconds kRekeyAfterTime = 120s;
inline constexpr std::chrono::seconds kRejectAfterTime = 180s;
inline constexpr std::chrono::seconds kRekeyAttemptTime = 90s;
inline constexpr std::chrono::seconds kRekeyTimeout = 5s;
inline constexpr std::chrono::seconds kKeepaliveTimeout = 10s;
inline constexpr std::chrono::seconds kCookieRefreshTime = 120s;
inline constexpr std::chrono::milliseconds kRekeyTimeoutJitterMax = 333ms;
// Initiations accepted from one peer at most every 1/50 s (flood protection).
inline constexpr std::chrono::milliseconds kHandshakeInitiationRate = 20ms;
inline constexpr int kMaxHandshakeAttempts =
    static_cast<int>(kRekeyAttemptTime / kRekeyTimeout);  // 18

// Noise and MAC strings.
inline constexpr std::string_view kConstruction = "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s";
inline constexpr std::string_view kIdentifier = "WireGuard v1 zx2c4 Jason@zx2c4.com";
inline constexpr std::string_view kLabelMac1 = "mac1----";
inline constexpr std::string_view kLabelCookie = "cookie--";

}  // namespace gquic::wireguard
