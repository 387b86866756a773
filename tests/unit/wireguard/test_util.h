#pragma once
// Helpers shared by the WireGuard unit tests.
#include <cstdint>
#include <string_view>
#include <vector>

#include "gquic/wireguard/keys.h"

namespace gquic::wireguard::test {

inline std::vector<std::uint8_t> from_hex(std::string_view hex) {
  std::vector<std::uint8_t> out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    auto nib = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
    out.push_back(static_cast<std::uint8_t>(nib(hex[i]) << 4 | nib(hex[i + 1])));
  }
  return out;
}

}  // namespace gquic::wireguard::test
