#include "gquic/derp/message.h"

#include <algorithm>

namespace gquic::derp {
namespace {

constexpr std::uint8_t kEnvelopeMagic[4] = {'g', 'q', 'D', 'M'};
constexpr std::uint8_t kEnvelopeVersion = 1;

void put_be(std::vector<std::uint8_t>& out, std::uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

std::uint64_t get_be(std::span<const std::uint8_t> p, std::size_t at, int bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | p[at + static_cast<std::size_t>(i)];
  return v;
}

}  // namespace

bool expired(const DerpMessage& m, std::uint64_t now_ms) noexcept {
  if (m.ttl == 0) return false;
  return now_ms > m.timestamp + m.ttl;
}

std::vector<std::uint8_t> encode_envelope(const DerpMessage& m) {
  std::vector<std::uint8_t> out;
  out.reserve(kEnvelopeHeaderLen + m.payload.size());
  out.insert(out.end(), std::begin(kEnvelopeMagic), std::end(kEnvelopeMagic));
  out.push_back(kEnvelopeVersion);
  out.push_back(m.message_type);
  out.push_back(m.priority);
  out.push_back(0);
  put_be(out, m.id, 8);
  put_be(out, m.timestamp, 8);
  put_be(out, m.ttl, 4);
  out.insert(out.end(), m.payload.begin(), m.payload.end());
  return out;
}

Result<DerpMessage> decode_envelope(std::span<const std::uint8_t> p) {
  if (p.size() < kEnvelopeHeaderLen) return Errc::truncated;
  if (!std::equal(std::begin(kEnvelopeMagic), std::end(kEnvelopeMagic), p.begin()) ||
      p[4] != kEnvelopeVersion || p[7] != 0) {
    return Errc::malformed;
  }
  DerpMessage m;
  m.message_type = p[5];
  m.priority = p[6];
  m.id = get_be(p, 8, 8);
  m.timestamp = get_be(p, 16, 8);
  m.ttl = static_cast<std::uint32_t>(get_be(p, 24, 4));
  m.payload.assign(p.begin() + kEnvelopeHeaderLen, p.end());
  return m;
}

std::string_view to_string(MessageDrop d) noexcept {
  switch (d) {
    case MessageDrop::expired: return "expired";
    case MessageDrop::queue_full: return "queue_full";
    case MessageDrop::malformed: return "malformed";
    case MessageDrop::too_large: return "too_large";
    case MessageDrop::count_: break;
  }
  return "unknown";
}

bool OutboundQueue::push(DerpMessage m) {
  if (m.payload.size() > kMaxMessagePayload) {
    ++drops_[static_cast<int>(MessageDrop::too_large)];
    return false;
  }
  if (size_ >= capacity_) {
    ++drops_[static_cast<int>(MessageDrop::queue_full)];
    if (capacity_ == 0) return false;
    auto lowest = std::prev(by_priority_.end());  // map ordered highest first
    if (lowest->first > m.priority) return false;  // everything queued outranks it
    lowest->second.pop_front();
    if (lowest->second.empty()) by_priority_.erase(lowest);
    --size_;
  }
  by_priority_[m.priority].push_back(std::move(m));
  ++size_;
  return true;
}

std::optional<DerpMessage> OutboundQueue::pop(std::uint64_t now_ms) {
  while (!by_priority_.empty()) {
    auto top = by_priority_.begin();
    DerpMessage m = std::move(top->second.front());
    top->second.pop_front();
    if (top->second.empty()) by_priority_.erase(top);
    --size_;
    if (expired(m, now_ms)) {
      ++drops_[static_cast<int>(MessageDrop::expired)];
      continue;
    }
    return m;
  }
  return std::nullopt;
}

}  // namespace gquic::derp
