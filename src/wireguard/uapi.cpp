// The WireGuard UAPI text protocol over a DeviceCore; see uapi.h.
#include "gquic/wireguard/uapi.h"

#include <cerrno>
#include <charconv>
#include <chrono>

namespace gquic::wireguard {

namespace {

template <typename T>
std::optional<T> parse_uint(std::string_view text) {
  T v{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return v;
}

void line(std::string& out, std::string_view key, std::string_view value) {
  out.append(key);
  out.push_back('=');
  out.append(value);
  out.push_back('\n');
}

}  // namespace

std::string uapi_errno_reply(int error) { return "errno=" + std::to_string(error) + "\n\n"; }

std::string uapi_get(const DeviceCore& device, const UapiDeviceSettings& settings) {
  std::string out;
  if (device.has_private_key()) line(out, "private_key", to_hex(device.private_key().bytes()));
  if (settings.listen_port != 0) line(out, "listen_port", std::to_string(settings.listen_port));
  if (settings.fwmark != 0) line(out, "fwmark", std::to_string(settings.fwmark));
  for (PeerId id : device.peer_ids()) {
    auto info = device.peer_info(id);
    if (!info) continue;
    line(out, "public_key", to_hex(info->public_key.bytes));
    line(out, "preshared_key", to_hex(info->preshared_key.bytes()));
    line(out, "protocol_version", "1");
    if (info->endpoint) line(out, "endpoint", info->endpoint->to_string());
    std::int64_t sec = 0;
    std::int64_t nsec = 0;
    if (info->stats.last_handshake) {
      const auto wall = std::chrono::duration_cast<std::chrono::nanoseconds>(
                            info->stats.last_handshake->time_since_epoch()) +
                        device.unix_time_offset();
      sec = wall.count() / 1'000'000'000;
      nsec = wall.count() % 1'000'000'000;
    }
    line(out, "last_handshake_time_sec", std::to_string(sec));
    line(out, "last_handshake_time_nsec", std::to_string(nsec));
    line(out, "tx_bytes", std::to_string(info->stats.tx_bytes));
    line(out, "rx_bytes", std::to_string(info->stats.rx_bytes));
    const auto keepalive =
        info->persistent_keepalive
            ? std::chrono::duration_cast<std::chrono::seconds>(*info->persistent_keepalive).count()
            : 0;
    line(out, "persistent_keepalive_interval", std::to_string(keepalive));
    for (const IpPrefix& p : info->allowed_ips) line(out, "allowed_ip", p.to_string());
  }
  out += uapi_errno_reply(0);
  return out;
}

int UapiSetter::apply(std::string_view key, std::string_view value) {
  if (error_ != 0) return error_;
  if (key == "public_key") in_peer_ = true;
  error_ = in_peer_ ? apply_peer(key, value) : apply_device(key, value);
  return error_;
}

int UapiSetter::apply_device(std::string_view key, std::string_view value) {
  if (key == "private_key") {
    auto k = key_from_hex(value);
    if (!k) return EINVAL;
    device_.set_private_key(PrivateKey(*k));
    return 0;
  }
  if (key == "listen_port") {
    auto port = parse_uint<std::uint16_t>(value);
    if (!port) return EINVAL;
    settings_.listen_port = *port;
    return 0;
  }
  if (key == "fwmark") {
    if (value.empty()) {  // an empty value clears it
      settings_.fwmark = 0;
      return 0;
    }
    auto mark = parse_uint<std::uint32_t>(value);
    if (!mark) return EINVAL;
    settings_.fwmark = *mark;
    return 0;
  }
  if (key == "replace_peers") {
    if (value != "true") return EINVAL;
    for (PeerId id : device_.peer_ids()) (void)device_.remove_peer(id);
    return 0;
  }
  return EINVAL;
}

int UapiSetter::apply_peer(std::string_view key, std::string_view value) {
  if (key == "public_key") {
    auto k = key_from_hex(value);
    if (!k) return EINVAL;
    PublicKey pub{*k};
    peer_created_ = false;
    peer_ = device_.find_peer(pub);
    if (!peer_) {
      // This device's own key names no peer: the section is ignored, as other
      // implementations do.
      if (device_.has_private_key() && pub == device_.public_key()) return 0;
      PeerConfig config;
      config.public_key = pub;
      auto added = device_.add_peer(config);
      if (!added) return EINVAL;
      peer_ = *added;
      peer_created_ = true;
    }
    return 0;
  }
  if (key == "update_only") {
    if (value != "true") return EINVAL;
    if (peer_ && peer_created_) {
      (void)device_.remove_peer(*peer_);
      peer_.reset();
    }
    return 0;
  }
  if (key == "remove") {
    if (value != "true") return EINVAL;
    if (peer_) (void)device_.remove_peer(*peer_);
    peer_.reset();
    return 0;
  }
  if (key == "preshared_key") {
    auto k = key_from_hex(value);
    if (!k) return EINVAL;
    if (peer_) (void)device_.set_preshared_key(*peer_, PresharedKey(*k));
    return 0;
  }
  if (key == "endpoint") {
    auto ep = SocketAddress::parse(value);
    if (!ep || ep->port() == 0) return EINVAL;
    if (peer_) (void)device_.set_endpoint(*peer_, *ep);
    return 0;
  }
  if (key == "persistent_keepalive_interval") {
    auto secs = parse_uint<std::uint16_t>(value);
    if (!secs) return EINVAL;
    if (peer_) {
      std::optional<Duration> interval;
      if (*secs != 0) interval = std::chrono::seconds(*secs);
      (void)device_.set_persistent_keepalive(*peer_, interval);
    }
    return 0;
  }
  if (key == "replace_allowed_ips") {
    if (value != "true") return EINVAL;
    if (peer_) (void)device_.clear_allowed_ips(*peer_);
    return 0;
  }
  if (key == "allowed_ip") {
    const bool remove = !value.empty() && value.front() == '-';
    if (remove) value.remove_prefix(1);
    // A prefix needs an explicit length here.
    if (value.find('/') == std::string_view::npos) return EINVAL;
    auto prefix = IpPrefix::parse(value);
    if (!prefix) return EINVAL;
    if (!peer_) return 0;
    if (remove) {
      (void)device_.remove_allowed_ip(*peer_, *prefix);
      return 0;
    }
    return device_.add_allowed_ip(*peer_, *prefix) ? 0 : EINVAL;
  }
  if (key == "protocol_version") return value == "1" ? 0 : EINVAL;
  return EINVAL;
}

void UapiSession::receive(std::string_view bytes, std::string& out) {
  for (char c : bytes) {
    if (closed_) return;
    if (c != '\n') {
      if (line_.size() >= kUapiMaxLine) {
        out += uapi_errno_reply(EPROTO);
        closed_ = true;
        return;
      }
      line_.push_back(c);
      continue;
    }
    std::string current;
    current.swap(line_);
    handle_line(current, out);
  }
}

void UapiSession::handle_line(std::string_view text, std::string& out) {
  switch (state_) {
    case State::op:
      if (text == "get=1") {
        state_ = State::get_end;
      } else if (text == "set=1") {
        setter_.emplace(device_, settings_);
        state_ = State::set_lines;
      } else if (!text.empty()) {
        out += uapi_errno_reply(EPROTO);
        closed_ = true;
      }
      return;
    case State::get_end:
      state_ = State::op;
      if (!text.empty()) {
        out += uapi_errno_reply(EPROTO);
        closed_ = true;
        return;
      }
      out += uapi_get(device_, settings_);
      return;
    case State::set_lines: {
      if (text.empty()) {
        out += uapi_errno_reply(setter_->error());
        setter_.reset();
        state_ = State::op;
        return;
      }
      const auto eq = text.find('=');
      if (eq == std::string_view::npos) {
        out += uapi_errno_reply(EPROTO);
        closed_ = true;
        return;
      }
      (void)setter_->apply(text.substr(0, eq), text.substr(eq + 1));
      return;
    }
  }
}

}  // namespace gquic::wireguard
