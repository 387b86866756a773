// wg-quick style configuration files; see config_file.h.
#include "gquic/wireguard/config_file.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace gquic::wireguard {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

template <typename T>
std::optional<T> parse_uint(std::string_view text, int base = 10) {
  T v{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v, base);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return v;
}

// Splits "a, b ,c" into trimmed, non-empty items.
std::vector<std::string_view> split_list(std::string_view s) {
  std::vector<std::string_view> items;
  while (!s.empty()) {
    const auto comma = s.find(',');
    const auto item = trim(s.substr(0, comma));
    if (!item.empty()) items.push_back(item);
    if (comma == std::string_view::npos) break;
    s.remove_prefix(comma + 1);
  }
  return items;
}

// An interface address keeps its host bits ("10.0.0.1/24").
std::optional<IpPrefix> parse_address(std::string_view text) {
  const auto slash = text.find('/');
  auto ip = IpAddress::parse(text.substr(0, slash));
  if (!ip) return std::nullopt;
  const unsigned width = ip->is_v4() ? 32 : 128;
  unsigned length = width;
  if (slash != std::string_view::npos) {
    auto l = parse_uint<unsigned>(text.substr(slash + 1));
    if (!l || *l > width) return std::nullopt;
    length = *l;
  }
  return IpPrefix{*ip, static_cast<std::uint8_t>(length)};
}

class Parser {
 public:
  ConfigParseResult run(std::string_view text) {
    if (text.size() > kMaxConfigFileSize) return fail(0, "file larger than 4 MiB");
    std::size_t number = 0;
    while (!text.empty()) {
      ++number;
      const auto nl = text.find('\n');
      std::string_view line = text.substr(0, nl);
      text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
      if (const auto hash = line.find('#'); hash != std::string_view::npos) {
        line = line.substr(0, hash);
      }
      line = trim(line);
      if (line.empty()) continue;
      if (!handle(number, line)) return std::move(result_);
    }
    if (!finish_peer()) return std::move(result_);
    if (!seen_interface_) return fail(0, "no [Interface] section");
    result_.config = std::move(config_);
    return std::move(result_);
  }

 private:
  enum class Section : std::uint8_t { none, interface, peer };

  ConfigParseResult fail(std::size_t line, std::string_view message) {
    (void)error(line, message);
    return std::move(result_);
  }
  // Records the error (line 0: the file as a whole); false, to stop parsing.
  bool error(std::size_t line, std::string_view message) {
    result_.config.reset();
    result_.error = line == 0 ? std::string(message)
                              : "line " + std::to_string(line) + ": " + std::string(message);
    return false;
  }

  bool finish_peer() {
    if (section_ != Section::peer) return true;
    if (!peer_has_key_) return error(peer_line_, "[Peer] without PublicKey");
    config_.peers.push_back(std::move(peer_));
    peer_ = PeerSection{};
    peer_has_key_ = false;
    return true;
  }

  bool handle(std::size_t n, std::string_view line) {
    if (line.front() == '[') {
      if (!finish_peer()) return false;
      const std::string name = lower(line);
      if (name == "[interface]") {
        if (seen_interface_) return error(n, "a second [Interface] section");
        seen_interface_ = true;
        section_ = Section::interface;
      } else if (name == "[peer]") {
        section_ = Section::peer;
        peer_line_ = n;
      } else {
        return error(n, "unknown section " + std::string(line));
      }
      return true;
    }
    const auto eq = line.find('=');
    if (eq == std::string_view::npos) return error(n, "expected Key = Value");
    const std::string key = lower(trim(line.substr(0, eq)));
    const std::string_view value = trim(line.substr(eq + 1));
    const std::string_view shown = trim(line.substr(0, eq));
    switch (section_) {
      case Section::none:
        return error(n, std::string(shown) + " outside a section");
      case Section::interface:
        return interface_key(n, key, shown, value);
      case Section::peer:
        return peer_key(n, key, shown, value);
    }
    return false;
  }

  bool interface_key(std::size_t n, const std::string& key, std::string_view shown,
                     std::string_view value) {
    auto& i = config_.interface;
    if (key == "privatekey") {
      auto k = key_from_base64(value);
      if (!k) return error(n, "PrivateKey: not a base64 key");
      i.private_key = PrivateKey(*k);
    } else if (key == "listenport") {
      auto p = parse_uint<std::uint16_t>(value);
      if (!p) return error(n, "ListenPort: not a port number");
      i.listen_port = *p;
    } else if (key == "fwmark") {
      if (lower(value) == "off") {
        i.fwmark = 0;
      } else {
        const bool hex =
            value.size() > 2 && value[0] == '0' && (value[1] == 'x' || value[1] == 'X');
        auto m = hex ? parse_uint<std::uint32_t>(value.substr(2), 16)
                     : parse_uint<std::uint32_t>(value);
        if (!m) return error(n, "FwMark: not a number");
        i.fwmark = *m;
      }
    } else if (key == "address") {
      for (auto item : split_list(value)) {
        auto a = parse_address(item);
        if (!a) return error(n, "Address: bad address " + std::string(item));
        i.addresses.push_back(*a);
      }
    } else if (key == "mtu") {
      auto m = parse_uint<std::size_t>(value);
      if (!m || *m < 576 || *m > 65535) return error(n, "MTU: not a number in 576-65535");
      i.mtu = *m;
    } else if (key == "dns" || key == "table" || key == "preup" || key == "postup" ||
               key == "predown" || key == "postdown" || key == "saveconfig") {
      config_.warnings.push_back("line " + std::to_string(n) + ": " + std::string(shown) +
                                 " is ignored by gquic");
    } else {
      return error(n, "unknown [Interface] key " + std::string(shown));
    }
    return true;
  }

  bool peer_key(std::size_t n, const std::string& key, std::string_view shown,
                std::string_view value) {
    if (key == "publickey") {
      auto k = key_from_base64(value);
      if (!k) return error(n, "PublicKey: not a base64 key");
      peer_.public_key = PublicKey{*k};
      peer_has_key_ = true;
    } else if (key == "presharedkey") {
      auto k = key_from_base64(value);
      if (!k) return error(n, "PresharedKey: not a base64 key");
      peer_.preshared_key = PresharedKey(*k);
    } else if (key == "endpoint") {
      auto ep = SocketAddress::parse(value);
      if (!ep || ep->port() == 0) {
        return error(n, "Endpoint: expected ip:port or [ipv6]:port (numeric)");
      }
      peer_.endpoint = *ep;
    } else if (key == "allowedips") {
      for (auto item : split_list(value)) {
        auto p = IpPrefix::parse(item);
        if (!p) return error(n, "AllowedIPs: bad prefix " + std::string(item));
        peer_.allowed_ips.push_back(*p);
      }
    } else if (key == "persistentkeepalive") {
      if (lower(value) == "off") {
        peer_.persistent_keepalive = 0;
      } else {
        auto s = parse_uint<std::uint16_t>(value);
        if (!s) return error(n, "PersistentKeepalive: not a number of seconds in 0-65535");
        peer_.persistent_keepalive = *s;
      }
    } else {
      return error(n, "unknown [Peer] key " + std::string(shown));
    }
    return true;
  }

  ConfigParseResult result_;
  WgQuickConfig config_;
  Section section_ = Section::none;
  bool seen_interface_ = false;
  PeerSection peer_;
  bool peer_has_key_ = false;
  std::size_t peer_line_ = 0;
};

}  // namespace

ConfigParseResult parse_wg_config(std::string_view text) { return Parser{}.run(text); }

std::string to_uapi_set(const WgQuickConfig& config) {
  std::string out = "set=1\n";
  const auto& i = config.interface;
  out += "private_key=" +
         (i.private_key ? to_hex(i.private_key->bytes()) : std::string(64, '0')) + "\n";
  if (i.listen_port) out += "listen_port=" + std::to_string(*i.listen_port) + "\n";
  if (i.fwmark) out += "fwmark=" + std::to_string(*i.fwmark) + "\n";
  out += "replace_peers=true\n";
  for (const PeerSection& p : config.peers) {
    out += "public_key=" + to_hex(p.public_key.bytes) + "\n";
    if (p.preshared_key) out += "preshared_key=" + to_hex(p.preshared_key->bytes()) + "\n";
    if (p.endpoint) out += "endpoint=" + p.endpoint->to_string() + "\n";
    out += "persistent_keepalive_interval=" + std::to_string(p.persistent_keepalive) + "\n";
    out += "replace_allowed_ips=true\n";
    for (const IpPrefix& a : p.allowed_ips) out += "allowed_ip=" + a.to_string() + "\n";
  }
  out += "\n";
  return out;
}

}  // namespace gquic::wireguard
