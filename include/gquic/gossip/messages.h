#pragma once
// The gossip wire format (SWIM with Lifeguard extensions). One UDP datagram carries one
// packet; the push-pull pair travels over TCP as one length-prefixed frame each way.
//
// Packet (all integers big-endian):
//   u8  version (kWireVersion)
//   u8  type    (MessageType)
//   u8  sender name length, sender name (1..kMaxNameLength bytes)
//   body of the type:
//     ping           u32 seq, u8 len + target name
//     indirect_ping  u32 seq, u8 len + target name, address, u8 want_nack
//     ack / nack     u32 seq
//     gossip         (empty: the packet only carries piggybacked updates)
//     push_pull      u8 flags (1 = join, 2 = reply), u32 member count, members,
//                    u32 registration count, registrations
//   u16 update count, updates (piggybacked dissemination)
// Update: u8 kind, then
//   alive        u8 len + name, u32 incarnation, address, u16 len + meta
//   suspect/dead u8 len + name, u32 incarnation, u8 len + from
//   registration u8 len + origin, u8 len + key, u64 version, u8 deleted, u16 len + payload
// Member (push_pull): u8 len + name, address, u32 incarnation, u8 state, u16 len + meta
// Address: u8 family (4 or 6), 4 or 16 address bytes, u16 port.
//
// Encrypted packets and frames (keyring.h) wrap these bytes. parse() checks every length and
// count against the input and the limits below and fails with truncated or malformed; it never
// reads past the span.

#include <cstdint>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "gquic/core/error.h"
#include "gquic/core/socket_address.h"

namespace gquic::gossip {

inline constexpr std::uint8_t kWireVersion = 1;
inline constexpr std::size_t kMaxNameLength = 128;
inline constexpr std::size_t kMaxMetaLength = 512;
inline constexpr std::size_t kMaxPayloadLength = 1024;
inline constexpr std::size_t kMaxKeyLength = 128;
inline constexpr std::size_t kMaxUpdatesPerPacket = 512;
inline constexpr std::size_t kMaxStateEntries = 65'536;  // members or registrations per push-pull

enum class MemberState : std::uint8_t { alive = 0, suspect = 1, dead = 2, left = 3 };
std::string_view to_string(MemberState s) noexcept;

struct AliveUpdate {
  std::string name;
  std::uint32_t incarnation = 0;
  SocketAddress address;
  std::vector<std::uint8_t> meta;
  friend bool operator==(const AliveUpdate&, const AliveUpdate&) = default;
};
struct SuspectUpdate {
  std::string name;
  std::uint32_t incarnation = 0;
  std::string from;
  friend bool operator==(const SuspectUpdate&, const SuspectUpdate&) = default;
};
// from == name: the member left on its own.
struct DeadUpdate {
  std::string name;
  std::uint32_t incarnation = 0;
  std::string from;
  friend bool operator==(const DeadUpdate&, const DeadUpdate&) = default;
};
// An opaque service registration owned by `origin`; a higher version replaces a lower one.
struct RegistrationUpdate {
  std::string origin;
  std::string key;
  std::uint64_t version = 0;
  bool deleted = false;
  std::vector<std::uint8_t> payload;
  friend bool operator==(const RegistrationUpdate&, const RegistrationUpdate&) = default;
};
using Update = std::variant<AliveUpdate, SuspectUpdate, DeadUpdate, RegistrationUpdate>;

enum class MessageType : std::uint8_t {
  ping = 1,
  indirect_ping = 2,
  ack = 3,
  nack = 4,
  gossip = 5,
  push_pull = 6,
};

struct Ping {
  std::uint32_t seq = 0;
  std::string target;  // the name the sender expects to reach
  friend bool operator==(const Ping&, const Ping&) = default;
};
struct IndirectPing {
  std::uint32_t seq = 0;
  std::string target;
  SocketAddress target_address;
  bool want_nack = true;
  friend bool operator==(const IndirectPing&, const IndirectPing&) = default;
};
struct Ack {
  std::uint32_t seq = 0;
  friend bool operator==(const Ack&, const Ack&) = default;
};
struct Nack {
  std::uint32_t seq = 0;
  friend bool operator==(const Nack&, const Nack&) = default;
};
struct GossipOnly {
  friend bool operator==(const GossipOnly&, const GossipOnly&) = default;
};
struct MemberSnapshot {
  std::string name;
  SocketAddress address;
  std::uint32_t incarnation = 0;
  MemberState state = MemberState::alive;
  std::vector<std::uint8_t> meta;
  friend bool operator==(const MemberSnapshot&, const MemberSnapshot&) = default;
};
struct PushPull {
  bool join = false;
  bool reply = false;
  std::vector<MemberSnapshot> members;
  std::vector<RegistrationUpdate> registrations;
  friend bool operator==(const PushPull&, const PushPull&) = default;
};
using Body = std::variant<Ping, IndirectPing, Ack, Nack, GossipOnly, PushPull>;

struct Packet {
  std::string sender;
  Body body;
  std::vector<Update> updates;
  friend bool operator==(const Packet&, const Packet&) = default;
};

// Bytes of the packet without its updates (header, body, u16 update count = 0); the count
// sits in the last two bytes, which PacketWriter bumps as it appends encoded updates.
std::vector<std::uint8_t> serialize_head(const Packet& p);
// serialize_head, then every update of p.updates.
std::vector<std::uint8_t> serialize(const Packet& p);
std::vector<std::uint8_t> encode_update(const Update& u);

class PacketWriter {
 public:
  explicit PacketWriter(const Packet& head) : bytes_(serialize_head(head)), count_at_(bytes_.size() - 2) {}
  std::size_t size() const noexcept { return bytes_.size(); }
  std::size_t updates() const noexcept { return count_; }
  // False (and nothing appended) when the update count is at its limit.
  bool append(std::span<const std::uint8_t> encoded_update);
  std::vector<std::uint8_t> take() && { return std::move(bytes_); }

 private:
  std::vector<std::uint8_t> bytes_;
  std::size_t count_at_;
  std::size_t count_ = 0;
};
Result<Packet> parse(std::span<const std::uint8_t> bytes);

}  // namespace gquic::gossip
