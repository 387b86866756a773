#pragma once
// An IP prefix ("10.0.0.0/8", "2001:db8::/32") used by ipBlock peers and admin `networks`.

#include <cstdint>
#include <string>
#include <string_view>

#include "gquic/core/error.h"
#include "gquic/core/socket_address.h"

namespace gquic::policy {

struct Cidr {
  IpAddress base;           // host bits are zero
  std::uint8_t prefix = 0;  // 0..32 (v4) or 0..128 (v6)

  // Parses "A.B.C.D/N" or "v6/N". Host bits set below the prefix are cleared (Kubernetes
  // accepts them). A bare address without "/N" is rejected.
  static Result<Cidr> parse(std::string_view text);
  bool contains(const IpAddress& ip) const noexcept;
  // True when every address of `inner` is in this prefix.
  bool covers(const Cidr& inner) const noexcept;
  std::string to_string() const;
  friend bool operator==(const Cidr&, const Cidr&) noexcept = default;
};

// `ip` with every bit from `prefix` on cleared.
IpAddress mask_address(const IpAddress& ip, unsigned prefix) noexcept;

}  // namespace gquic::policy
