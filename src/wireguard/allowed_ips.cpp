// The cryptokey routing trie; see allowed_ips.h.
#include "gquic/wireguard/allowed_ips.h"

#include <algorithm>
#include <charconv>
#include <cstring>

namespace gquic::wireguard {
namespace {

int bit_at(const std::array<std::uint8_t, 16>& bytes, int i) noexcept {
  return (bytes[i / 8] >> (7 - i % 8)) & 1;
}

}  // namespace

Result<IpPrefix> IpPrefix::make(const IpAddress& address, std::uint8_t length) {
  const int width = address.is_v4() ? 32 : 128;
  if (length > width) return Errc::invalid_argument;
  std::array<std::uint8_t, 16> b = address.bytes();
  for (int i = length; i < width; ++i) b[i / 8] &= static_cast<std::uint8_t>(~(0x80 >> (i % 8)));
  IpPrefix p;
  if (address.is_v4()) {
    p.address = IpAddress::v4(std::uint32_t(b[0]) << 24 | std::uint32_t(b[1]) << 16 |
                              std::uint32_t(b[2]) << 8 | b[3]);
  } else {
    in6_addr a6{};
    std::memcpy(&a6, b.data(), 16);
    p.address = IpAddress::v6(a6);
  }
  p.length = length;
  return p;
}

Result<IpPrefix> IpPrefix::parse(std::string_view text) {
  const auto slash = text.find('/');
  auto addr = IpAddress::parse(text.substr(0, slash));
  if (!addr) return Errc::malformed;
  int length = addr->is_v4() ? 32 : 128;
  if (slash != std::string_view::npos) {
    const auto digits = text.substr(slash + 1);
    auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), length);
    if (ec != std::errc{} || ptr != digits.data() + digits.size() || digits.empty())
      return Errc::malformed;
    if (length < 0 || length > (addr->is_v4() ? 32 : 128)) return Errc::malformed;
  }
  return make(*addr, static_cast<std::uint8_t>(length));
}

std::string IpPrefix::to_string() const {
  return address.to_string() + "/" + std::to_string(length);
}

AllowedIps::AllowedIps() {
  v4_.nodes.emplace_back();
  v6_.nodes.emplace_back();
}

std::uint32_t AllowedIps::find(Trie& t, const IpPrefix& prefix, bool create) {
  std::uint32_t n = 0;
  const auto& bytes = prefix.address.bytes();
  for (int i = 0; i < prefix.length; ++i) {
    const int b = bit_at(bytes, i);
    std::uint32_t next = t.nodes[n].child[b];
    if (next == kNone) {
      if (!create) return kNone;
      if (!t.free_list.empty()) {
        next = t.free_list.back();
        t.free_list.pop_back();
        t.nodes[next] = Node{};
      } else {
        next = static_cast<std::uint32_t>(t.nodes.size());
        t.nodes.emplace_back();
      }
      t.nodes[n].child[b] = next;
    }
    n = next;
  }
  return n;
}

Result<void> AllowedIps::insert(const IpPrefix& raw, PeerId peer) {
  auto prefix = IpPrefix::make(raw.address, raw.length);
  if (!prefix) return prefix.error();
  Trie& t = trie(prefix->address);
  const std::uint32_t n = find(t, *prefix, true);
  Node& node = t.nodes[n];
  if (node.has_peer) {
    if (node.peer == peer) return {};
    auto& old = by_peer_[node.peer];
    old.erase(std::remove(old.begin(), old.end(), *prefix), old.end());
    if (old.empty()) by_peer_.erase(node.peer);
  } else {
    ++count_;
  }
  node.has_peer = true;
  node.peer = peer;
  by_peer_[peer].push_back(*prefix);
  return {};
}

void AllowedIps::erase_entry(const IpPrefix& prefix) {
  Trie& t = trie(prefix.address);
  // Walk down recording the path so empty branches can be pruned on the way back.
  std::uint32_t path[129];
  int bits[129];
  std::uint32_t n = 0;
  const auto& bytes = prefix.address.bytes();
  for (int i = 0; i < prefix.length; ++i) {
    path[i] = n;
    bits[i] = bit_at(bytes, i);
    n = t.nodes[n].child[bits[i]];
    if (n == kNone) return;
  }
  if (!t.nodes[n].has_peer) return;
  t.nodes[n].has_peer = false;
  --count_;
  for (int i = prefix.length - 1; i >= 0; --i) {
    const Node& cur = t.nodes[n];
    if (cur.has_peer || cur.child[0] != kNone || cur.child[1] != kNone) break;
    t.nodes[path[i]].child[bits[i]] = kNone;
    t.free_list.push_back(n);
    n = path[i];
  }
}

Result<void> AllowedIps::remove(const IpPrefix& raw) {
  auto prefix = IpPrefix::make(raw.address, raw.length);
  if (!prefix) return prefix.error();
  Trie& t = trie(prefix->address);
  const std::uint32_t n = find(t, *prefix, false);
  if (n == kNone || !t.nodes[n].has_peer) return Errc::not_found;
  const PeerId peer = t.nodes[n].peer;
  erase_entry(*prefix);
  auto it = by_peer_.find(peer);
  if (it != by_peer_.end()) {
    auto& v = it->second;
    v.erase(std::remove(v.begin(), v.end(), *prefix), v.end());
    if (v.empty()) by_peer_.erase(it);
  }
  return {};
}

void AllowedIps::remove_by_peer(PeerId peer) {
  auto it = by_peer_.find(peer);
  if (it == by_peer_.end()) return;
  for (const IpPrefix& p : it->second) erase_entry(p);
  by_peer_.erase(it);
}

std::optional<PeerId> AllowedIps::lookup(const IpAddress& address) const {
  const Trie& t = trie(address);
  const int width = address.is_v4() ? 32 : 128;
  const auto& bytes = address.bytes();
  std::optional<PeerId> best;
  std::uint32_t n = 0;
  for (int i = 0;; ++i) {
    const Node& node = t.nodes[n];
    if (node.has_peer) best = node.peer;
    if (i == width) break;
    n = node.child[bit_at(bytes, i)];
    if (n == kNone) break;
  }
  return best;
}

std::vector<IpPrefix> AllowedIps::list(PeerId peer) const {
  auto it = by_peer_.find(peer);
  if (it == by_peer_.end()) return {};
  return it->second;
}

}  // namespace gquic::wireguard
