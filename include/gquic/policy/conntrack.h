#pragma once
// Connection tracking for the policy engine (sans-IO: every call takes `now`).
//
// A flow is recorded when the engine allows a packet that starts or continues one: TCP,
// UDP and SCTP by 5-tuple, ICMP/ICMPv6 echo by (addresses, identifier). Later packets of
// the flow in the original direction, and packets in the reverse direction (replies), are
// allowed without consulting policy. Reverse traffic that does not match a recorded flow
// is a new connection and goes through policy like any other.
//
// Timeouts (defaults, all configurable), counted from the flow's last packet:
//   TCP not yet answered 60 s, answered (established) 1 h, after FIN or RST 10 s;
//   UDP/SCTP not yet answered 30 s, answered 120 s; ICMP echo 30 s.
// The table is bounded (default 262,144 flows): when full, expired flows are swept (at
// most once per second of `now`) and, if still full, an arbitrary flow is evicted; every
// eviction is counted.
//
// Fragments: only the first fragment carries ports. When a first fragment is allowed, its
// (src, dst, protocol, fragment id) is remembered for 30 s so the datagram's later
// fragments pass; a later fragment of an unknown datagram is denied (conservative: the
// policy cannot be evaluated without ports).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <unordered_map>

#include "gquic/core/clock.h"
#include "gquic/core/socket_address.h"
#include "gquic/policy/conntrack_key.h"
#include "gquic/policy/flow_map.h"
#include "gquic/policy/packet.h"

namespace gquic::policy {

struct ConntrackConfig {
  std::size_t max_flows = 262'144;
  std::size_t max_fragments = 16'384;
  Duration tcp_unreplied = std::chrono::seconds(60);
  Duration tcp_established = std::chrono::hours(1);
  Duration tcp_closing = std::chrono::seconds(10);
  Duration udp_unreplied = std::chrono::seconds(30);
  Duration udp_replied = std::chrono::seconds(120);
  Duration icmp = std::chrono::seconds(30);
  Duration fragment = std::chrono::seconds(30);
};

std::optional<FlowKey> flow_key(const PacketInfo& p) noexcept;

enum class FlowMatch : std::uint8_t { none, original, reply };

struct ConntrackStats {
  std::uint64_t created = 0;
  std::uint64_t expired = 0;
  std::uint64_t evicted = 0;
  std::uint64_t fragments_tracked = 0;
  std::uint64_t fragments_evicted = 0;
};

class Conntrack {
 public:
  explicit Conntrack(ConntrackConfig config = {});

  // Finds the packet's flow and refreshes its timer; an expired flow is removed and
  // reported as none.
  FlowMatch match(TimePoint now, const PacketInfo& p);
  // Records the flow of an allowed packet (no-op for untrackable packets).
  void track(TimePoint now, const PacketInfo& p);
  // Fragments (see the header comment).
  bool fragment_known(TimePoint now, const PacketInfo& p);
  void track_fragment(TimePoint now, const PacketInfo& p);
  // Removes every expired flow.
  void expire(TimePoint now);
  void clear();

  std::size_t size() const noexcept { return flows_.size(); }
  const ConntrackStats& stats() const noexcept { return stats_; }
  const ConntrackConfig& config() const noexcept { return config_; }

 private:
  enum class State : std::uint8_t { unreplied, replied, closing };
  struct Flow {
    TimePoint expires;
    State state = State::unreplied;
    bool original_forward = true;  // the first packet's key was the canonical one
  };
  struct FragKey {
    IpAddress src, dst;
    std::uint32_t id = 0;
    std::uint8_t protocol = 0;
    friend bool operator==(const FragKey&, const FragKey&) noexcept = default;
  };
  struct FragKeyHash {
    std::size_t operator()(const FragKey& k) const noexcept;
  };

  Duration timeout(std::uint8_t protocol, State s) const noexcept;
  void update(Flow& f, TimePoint now, const PacketInfo& p, bool reply) const noexcept;
  void make_room(TimePoint now);

  ConntrackConfig config_;
  FlowMap<Flow> flows_;
  std::unordered_map<FragKey, TimePoint, FragKeyHash> fragments_;
  TimePoint last_sweep_{};
  ConntrackStats stats_;
};

// A fast hash of an address (used by the conntrack and the engine's tables).
std::size_t hash_ip(const IpAddress& ip) noexcept;

}  // namespace gquic::policy
