#pragma once
// DerpMessage: what a gquic DERP client sends to another node, carried as the packet of a
// SendPacket frame inside a small envelope that keeps the message's type, priority, TTL and id:
//
//   envelope = magic "gqDM" (4) | version 1 (1) | type (1) | priority (1) | flags 0 (1) |
//              id u64 | timestamp u64 (ms since the Unix epoch, sender's clock) |
//              ttl u32 (ms; 0 = never expires) | payload          (integers big-endian)
//
// The source and destination are the DERP keys of the frame (the relay fills in the source).
// A receiver drops an envelope whose timestamp + ttl is in the past (by its clock) and counts it.
// OutboundQueue orders messages waiting for a relay: higher priority first, FIFO within a
// priority, expired messages dropped when they reach the head, bounded (the lowest-priority
// oldest message goes when full). Sans-IO: times are parameters.

#include <cstdint>
#include <map>
#include <deque>
#include <optional>
#include <span>
#include <vector>

#include "gquic/core/error.h"
#include "gquic/derp/frames.h"

namespace gquic::derp {

inline constexpr std::size_t kEnvelopeHeaderLen = 28;
inline constexpr std::size_t kMaxMessagePayload = kMaxPacketSize - kKeyLen - kEnvelopeHeaderLen;

struct DerpMessage {
  std::uint64_t id = 0;
  std::uint8_t message_type = 0;
  Key source{};
  Key destination{};
  std::vector<std::uint8_t> payload;
  std::uint64_t timestamp = 0;  // ms since the Unix epoch; 0 = stamped when sent
  std::uint32_t ttl = 0;        // ms; 0 = never expires
  std::uint8_t priority = 0;    // higher goes first
};

// True when `now_ms` (Unix ms) is past the message's timestamp + ttl.
bool expired(const DerpMessage& m, std::uint64_t now_ms) noexcept;

std::vector<std::uint8_t> encode_envelope(const DerpMessage& m);
// Parses an envelope; source/destination are left for the caller to fill in.
Result<DerpMessage> decode_envelope(std::span<const std::uint8_t> packet);

enum class MessageDrop : std::uint8_t { expired, queue_full, malformed, too_large, count_ };
std::string_view to_string(MessageDrop d) noexcept;

class OutboundQueue {
 public:
  explicit OutboundQueue(std::size_t capacity = 1024) : capacity_(capacity) {}
  // Queues a message; when full, the oldest message of the lowest priority (possibly this one)
  // is dropped and counted. Returns false when `m` itself was dropped.
  bool push(DerpMessage m);
  // The next message to send (highest priority, oldest first), skipping expired ones.
  std::optional<DerpMessage> pop(std::uint64_t now_ms);
  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  std::uint64_t dropped(MessageDrop d) const noexcept { return drops_[static_cast<int>(d)]; }

 private:
  std::size_t capacity_;
  std::size_t size_ = 0;
  std::map<std::uint8_t, std::deque<DerpMessage>, std::greater<>> by_priority_;
  std::uint64_t drops_[static_cast<int>(MessageDrop::count_)] = {};
};

}  // namespace gquic::derp
