#pragma once
// Cryptokey routing (whitepaper section 2): a longest-prefix-match table from IP prefixes to
// peers, used both ways: an outgoing packet's destination picks the peer to encrypt for, and
// a decrypted packet's source must map back to the peer it came from.
//
// One binary trie per family, nodes in a vector, walked one bit per level: a lookup touches at
// most 33 (v4) or 129 (v6) nodes whatever the number of peers. A per-peer index of prefixes
// makes remove_by_peer and list proportional to that peer's own prefixes. Inserting a prefix
// that is already present moves it to the new peer (as `wg set ... allowed-ips` does).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "gquic/core/error.h"
#include "gquic/core/socket_address.h"

namespace gquic::wireguard {

using PeerId = std::uint32_t;

struct IpPrefix {
  IpAddress address;  // host bits zero once inside the table
  std::uint8_t length = 0;

  // "10.0.0.0/8", "fd00::/64"; a bare address means a host prefix (/32 or /128).
  static Result<IpPrefix> parse(std::string_view text);
  // The prefix with host bits cleared; fails if the length exceeds the family's width.
  static Result<IpPrefix> make(const IpAddress& address, std::uint8_t length);
  std::string to_string() const;
  friend bool operator==(const IpPrefix&, const IpPrefix&) noexcept = default;
};

class AllowedIps {
 public:
  AllowedIps();

  Result<void> insert(const IpPrefix& prefix, PeerId peer);
  // Removes the exact prefix; not_found if absent.
  Result<void> remove(const IpPrefix& prefix);
  void remove_by_peer(PeerId peer);
  std::optional<PeerId> lookup(const IpAddress& address) const;
  std::vector<IpPrefix> list(PeerId peer) const;
  std::size_t size() const noexcept { return count_; }

 private:
  static constexpr std::uint32_t kNone = 0xffffffffu;
  struct Node {
    std::uint32_t child[2] = {kNone, kNone};
    PeerId peer = 0;
    bool has_peer = false;
  };
  struct Trie {
    std::vector<Node> nodes;  // nodes[0] is the root
    std::vector<std::uint32_t> free_list;
  };
  Trie& trie(const IpAddress& a) { return a.is_v4() ? v4_ : v6_; }
  const Trie& trie(const IpAddress& a) const { return a.is_v4() ? v4_ : v6_; }
  // The node of `prefix`, created if `create`; kNone if absent.
  std::uint32_t find(Trie& t, const IpPrefix& prefix, bool create);
  void erase_entry(const IpPrefix& prefix);

  Trie v4_;
  Trie v6_;
  std::unordered_map<PeerId, std::vector<IpPrefix>> by_peer_;
  std::size_t count_ = 0;
};

}  // namespace gquic::wireguard
