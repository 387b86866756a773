#pragma once
// The key of a tracked flow: addresses, ports (ICMP echo: the identifier) and protocol.

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "gquic/core/socket_address.h"

namespace gquic::policy {

struct FlowKey {
  IpAddress src;
  IpAddress dst;
  std::uint16_t src_port = 0;
  std::uint16_t dst_port = 0;
  std::uint8_t protocol = 0;
  FlowKey reversed() const noexcept { return {dst, src, dst_port, src_port, protocol}; }
  // Word-wise comparison: this runs for every packet the tracker sees.
  friend bool operator==(const FlowKey& a, const FlowKey& b) noexcept {
    return a.src_port == b.src_port && a.dst_port == b.dst_port && a.protocol == b.protocol &&
           same_address(a.src, b.src) && same_address(a.dst, b.dst);
  }
  static bool same_address(const IpAddress& a, const IpAddress& b) noexcept {
    std::uint64_t x[2], y[2];
    std::memcpy(x, a.bytes().data(), 16);
    std::memcpy(y, b.bytes().data(), 16);
    return x[0] == y[0] && x[1] == y[1] && a.family() == b.family();
  }
};

struct FlowKeyHash {
  std::size_t operator()(const FlowKey& k) const noexcept;
};

}  // namespace gquic::policy
