#pragma once
// Which local socket carries a flow. The mux owns several UDP sockets (a primary and
// additional ones); every remote address it sends to is a flow, pinned to one socket so the
// peer sees a stable 4-tuple (QUIC treats a new source port as a migration). A new flow is
// placed by the strategy:
//   * round_robin      — the next healthy socket in turn;
//   * least_loaded     — the healthy socket with the fewest flows, then the fewest bytes sent;
//   * consistent_hash  — rendezvous hashing of the destination over the healthy sockets, so a
//                        destination maps to the same socket on every node and across restarts,
//                        and a socket's failure moves only the flows that were on it.
// A socket marked unhealthy is skipped; flows pinned to it move to another socket on their next
// packet. Flows idle longer than `flow_idle_timeout` are forgotten; the flow table is bounded by
// `max_flows` (when full even after expiry, the packet is placed by hashing and not recorded).
//
// Sans-IO: time comes in as a parameter, nothing here touches a socket.

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "gquic/core/clock.h"
#include "gquic/core/error.h"
#include "gquic/core/socket_address.h"

namespace gquic::udp_mux_advanced {

enum class LoadBalanceStrategy : std::uint8_t { round_robin, least_loaded, consistent_hash };

std::string_view to_string(LoadBalanceStrategy s) noexcept;
Result<LoadBalanceStrategy> parse_strategy(std::string_view name) noexcept;

class SocketSelector {
 public:
  struct Config {
    LoadBalanceStrategy strategy = LoadBalanceStrategy::round_robin;
    std::size_t max_flows = 65536;
    Duration flow_idle_timeout = std::chrono::seconds(300);
  };

  explicit SocketSelector(Config config) : config_(config) {}

  // Adds a socket slot (healthy) and returns its index.
  std::size_t add_slot();
  std::size_t slot_count() const noexcept { return slots_.size(); }
  std::size_t healthy_count() const noexcept;

  // Marks a slot failed or recovered. Returns how many flows were pinned to it.
  std::size_t set_healthy(std::size_t slot, bool healthy);
  bool is_healthy(std::size_t slot) const noexcept;

  // The slot for a packet to `destination`. Errc::closed when no slot is healthy.
  Result<std::size_t> pick(const SocketAddress& destination, TimePoint now);
  // Records bytes sent on a slot (for least_loaded tie-breaks and stats).
  void record_sent(std::size_t slot, std::size_t bytes) noexcept;
  // Pins a flow to a slot explicitly (e.g. a reply leaves from the socket a flow arrived on).
  void pin(const SocketAddress& destination, std::size_t slot, TimePoint now);
  void forget(const SocketAddress& destination);
  bool has_flow(const SocketAddress& destination) const { return flows_.contains(destination); }

  std::size_t flow_count() const noexcept { return flows_.size(); }
  std::size_t flows_on(std::size_t slot) const noexcept;
  std::uint64_t flows_moved() const noexcept { return flows_moved_; }
  std::uint64_t unrecorded_flows() const noexcept { return unrecorded_flows_; }

 private:
  struct Slot {
    bool healthy = true;
    std::size_t flows = 0;
    std::uint64_t bytes_sent = 0;
  };
  struct Flow {
    std::size_t slot;
    TimePoint last_used;
  };

  Result<std::size_t> place(const SocketAddress& destination);
  std::size_t rendezvous(const SocketAddress& destination) const noexcept;
  // Drops idle flows; scans at most once a second so a flood of new sources stays cheap.
  void expire(TimePoint now);

  Config config_;
  std::vector<Slot> slots_;
  std::unordered_map<SocketAddress, Flow> flows_;
  std::size_t next_round_robin_ = 0;
  TimePoint last_expiry_{};
  std::uint64_t flows_moved_ = 0;
  std::uint64_t unrecorded_flows_ = 0;
};

}  // namespace gquic::udp_mux_advanced
