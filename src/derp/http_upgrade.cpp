#include "gquic/derp/http_upgrade.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace gquic::derp::http {
namespace {

constexpr std::string_view kEnd = "\r\n\r\n";

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& ch : out) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  return std::all_of(s.begin(), s.end(), [](char ch) {
    const auto u = static_cast<unsigned char>(ch);
    return u > 0x20 && u < 0x7f && std::string_view("()<>@,;:\\\"/[]?={}").find(ch) ==
                                       std::string_view::npos;
  });
}

bool has_controls(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char ch) {
    const auto u = static_cast<unsigned char>(ch);
    return (u < 0x20 && ch != '\t') || u == 0x7f;
  });
}

// Splits "a\r\nb\r\n..." into lines; false on a bare CR or LF.
bool split_lines(std::string_view head, std::vector<std::string_view>& lines) {
  while (!head.empty()) {
    const auto crlf = head.find("\r\n");
    const std::string_view line = head.substr(0, crlf);
    if (line.find('\r') != std::string_view::npos || line.find('\n') != std::string_view::npos) {
      return false;
    }
    lines.push_back(line);
    if (crlf == std::string_view::npos) break;
    head.remove_prefix(crlf + 2);
  }
  return true;
}

Result<std::vector<std::pair<std::string, std::string>>> parse_headers(
    std::span<const std::string_view> lines, const HeadLimits& limits) {
  std::vector<std::pair<std::string, std::string>> headers;
  for (std::string_view line : lines) {
    if (line.empty()) continue;  // the terminating empty line
    if (headers.size() >= limits.max_headers) return Errc::message_too_large;
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) return Errc::malformed;
    const std::string_view name = line.substr(0, colon);
    const std::string_view value = trim(line.substr(colon + 1));
    if (!is_token(name) || has_controls(value)) return Errc::malformed;  // also obs-fold
    headers.emplace_back(lower(name), std::string(value));
  }
  return headers;
}

std::string_view find_header(const std::vector<std::pair<std::string, std::string>>& headers,
                             std::string_view name) {
  for (const auto& [n, v] : headers) {
    if (n == name) return v;
  }
  return {};
}

// Shared by both readers: returns the head (without the final CRLF CRLF) once complete.
Result<std::optional<std::string_view>> accumulate(std::vector<std::uint8_t>& buffer,
                                                   std::size_t& head_end,
                                                   std::span<const std::uint8_t> bytes,
                                                   const HeadLimits& limits) {
  if (head_end != 0) return Errc::invalid_argument;  // already complete
  const std::size_t scan_from = buffer.size() >= 3 ? buffer.size() - 3 : 0;
  buffer.insert(buffer.end(), bytes.begin(), bytes.end());
  const std::string_view all(reinterpret_cast<const char*>(buffer.data()), buffer.size());
  const auto end = all.find(kEnd, scan_from);
  if (end == std::string_view::npos) {
    if (buffer.size() > limits.max_head_bytes) return Errc::message_too_large;
    return std::optional<std::string_view>{};
  }
  if (end + kEnd.size() > limits.max_head_bytes) return Errc::message_too_large;
  head_end = end + kEnd.size();
  return std::optional<std::string_view>(all.substr(0, end));
}

std::string_view reason_of(int status) {
  switch (status) {
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 426: return "Upgrade Required";
    case 431: return "Request Header Fields Too Large";
    case 503: return "Service Unavailable";
    default: return "Unknown";
  }
}

std::string response(int status, std::string_view body,
                     std::initializer_list<std::pair<std::string_view, std::string_view>> extra) {
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason_of(status)) +
                    "\r\n";
  for (const auto& [n, v] : extra) {
    out.append(n).append(": ").append(v).append("\r\n");
  }
  if (status != 204) {
    out += "Content-Type: text/plain; charset=utf-8\r\n";
    out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  out += "Connection: close\r\n\r\n";
  if (status != 204) out.append(body);
  return out;
}

bool challenge_ok(std::string_view c) {
  if (c.empty() || c.size() > 64) return false;
  return std::all_of(c.begin(), c.end(), [](char ch) {
    return std::isalnum(static_cast<unsigned char>(ch)) || ch == '.' || ch == '-' || ch == '_';
  });
}

}  // namespace

std::string_view Request::header(std::string_view lower_name) const {
  return find_header(headers, lower_name);
}

std::string_view ResponseHead::header(std::string_view lower_name) const {
  return find_header(headers, lower_name);
}

Result<Request> parse_request_head(std::string_view head, const HeadLimits& limits) {
  if (head.size() > limits.max_head_bytes) return Errc::message_too_large;
  std::vector<std::string_view> lines;
  if (!split_lines(head, lines) || lines.empty()) return Errc::malformed;
  // Request line: METHOD SP TARGET SP HTTP/1.x
  const std::string_view rl = lines.front();
  const auto sp1 = rl.find(' ');
  if (sp1 == std::string_view::npos) return Errc::malformed;
  const auto sp2 = rl.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || rl.find(' ', sp2 + 1) != std::string_view::npos) {
    return Errc::malformed;
  }
  Request req;
  const std::string_view method = rl.substr(0, sp1);
  const std::string_view target = rl.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = rl.substr(sp2 + 1);
  if (!is_token(method) || target.empty() || has_controls(target) || target.front() != '/') {
    return Errc::malformed;
  }
  if (version == "HTTP/1.1") {
    req.minor_version = 1;
  } else if (version == "HTTP/1.0") {
    req.minor_version = 0;
  } else {
    return Errc::malformed;
  }
  req.method = std::string(method);
  req.target = std::string(target);
  req.path = std::string(target.substr(0, target.find('?')));
  auto headers = parse_headers(std::span(lines).subspan(1), limits);
  if (!headers) return headers.error();
  req.headers = std::move(*headers);
  return req;
}

Result<std::optional<Request>> RequestReader::feed(std::span<const std::uint8_t> bytes) {
  auto head = accumulate(buffer_, head_end_, bytes, limits_);
  if (!head) return head.error();
  if (!*head) return std::optional<Request>{};
  auto req = parse_request_head(**head, limits_);
  if (!req) return req.error();
  return std::optional<Request>(std::move(*req));
}

std::span<const std::uint8_t> RequestReader::leftover() const noexcept {
  if (head_end_ == 0) return {};
  return std::span(buffer_).subspan(head_end_);
}

std::string_view to_string(Route r) noexcept {
  switch (r) {
    case Route::derp_upgrade: return "derp_upgrade";
    case Route::probe: return "probe";
    case Route::generate_204: return "generate_204";
    case Route::upgrade_required: return "upgrade_required";
    case Route::method_not_allowed: return "method_not_allowed";
    case Route::not_found: return "not_found";
  }
  return "unknown";
}

RouteDecision route(const Request& req) {
  RouteDecision d;
  const bool get_or_head = req.method == "GET" || req.method == "HEAD";
  if (req.path == "/derp") {
    if (req.method != "GET") {
      d.route = Route::method_not_allowed;
      return d;
    }
    const std::string up = lower(req.header("upgrade"));
    if (up != "derp" && up != "websocket") {
      d.route = Route::upgrade_required;
      return d;
    }
    d.route = Route::derp_upgrade;
    d.fast_start = req.header("derp-fast-start") == "1";
    return d;
  }
  if (req.path == "/derp/probe" || req.path == "/derp/latency-check") {
    d.route = get_or_head ? Route::probe : Route::method_not_allowed;
    return d;
  }
  if (req.path == "/generate_204") {
    d.route = get_or_head ? Route::generate_204 : Route::method_not_allowed;
    return d;
  }
  d.route = Route::not_found;
  return d;
}

std::string upgrade_response(const Key& server_key) {
  return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: DERP\r\nConnection: Upgrade\r\n"
         "Derp-Version: " + std::to_string(kProtocolVersion) + "\r\nDerp-Public-Key: " +
         key_hex(server_key) + "\r\n\r\n";
}

std::string simple_response(Route r, const Request& req) {
  switch (r) {
    case Route::probe: return response(200, "", {});
    case Route::generate_204: {
      const std::string_view challenge = req.header("x-tailscale-challenge");
      if (challenge_ok(challenge)) {
        const std::string value = "response " + std::string(challenge);
        return response(204, "", {{"X-Tailscale-Response", value}});
      }
      return response(204, "", {});
    }
    case Route::upgrade_required:
      return response(426, "DERP requires connection upgrade\n", {});
    case Route::method_not_allowed: return response(405, "method not allowed\n", {});
    case Route::derp_upgrade:  // not a simple answer; callers use upgrade_response()
    case Route::not_found: break;
  }
  return response(404, "not found\n", {});
}

std::string error_response(int status, std::string_view reason) {
  return response(status, std::string(reason) + "\n", {});
}

// ---- client side -------------------------------------------------------------------------

std::string RelayUrl::to_string() const {
  const bool v6 = host.find(':') != std::string::npos;
  return std::string(tls ? "https://" : "http://") + (v6 ? "[" + host + "]" : host) + ":" +
         std::to_string(port) + path;
}

Result<RelayUrl> parse_relay_url(std::string_view url) {
  RelayUrl out;
  if (url.starts_with("https://")) {
    url.remove_prefix(8);
  } else if (url.starts_with("http://")) {
    url.remove_prefix(7);
    out.tls = false;
    out.port = 80;
  } else if (url.find("://") != std::string_view::npos) {
    return Errc::invalid_argument;
  }
  const auto slash = url.find('/');
  std::string_view authority = url.substr(0, slash);
  if (slash != std::string_view::npos) out.path = std::string(url.substr(slash));
  if (out.path.empty() || has_controls(out.path) || out.path.find(' ') != std::string::npos) {
    return Errc::invalid_argument;
  }
  std::string_view host = authority;
  std::string_view port;
  if (authority.starts_with('[')) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return Errc::invalid_argument;
    host = authority.substr(1, close - 1);
    const std::string_view rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return Errc::invalid_argument;
      port = rest.substr(1);
    }
  } else if (const auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    if (authority.find(':') != colon) return Errc::invalid_argument;  // IPv6 needs brackets
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty() || has_controls(host) || host.find_first_of(" /@") != std::string_view::npos) {
    return Errc::invalid_argument;
  }
  out.host = std::string(host);
  if (authority.find(':') != std::string_view::npos && !authority.starts_with('[') &&
      port.empty()) {
    return Errc::invalid_argument;
  }
  if (!port.empty()) {
    unsigned p = 0;
    const auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
    if (ec != std::errc() || ptr != port.data() + port.size() || p == 0 || p > 65535) {
      return Errc::invalid_argument;
    }
    out.port = static_cast<std::uint16_t>(p);
  }
  return out;
}

namespace {
std::string host_header(const RelayUrl& url) {
  const bool v6 = url.host.find(':') != std::string::npos;
  return (v6 ? "[" + url.host + "]" : url.host) + ":" + std::to_string(url.port);
}
}  // namespace

std::string upgrade_request(const RelayUrl& url, bool fast_start) {
  std::string out = "GET " + url.path + " HTTP/1.1\r\nHost: " + host_header(url) +
                    "\r\nUpgrade: DERP\r\nConnection: Upgrade\r\nUser-Agent: gquic\r\n";
  if (fast_start) out += "Derp-Fast-Start: 1\r\n";
  return out + "\r\n";
}

std::string get_request(const RelayUrl& url, std::string_view path) {
  return "GET " + std::string(path) + " HTTP/1.1\r\nHost: " + host_header(url) +
         "\r\nUser-Agent: gquic\r\nConnection: close\r\n\r\n";
}

Result<std::optional<ResponseHead>> ResponseReader::feed(std::span<const std::uint8_t> bytes) {
  auto head = accumulate(buffer_, head_end_, bytes, limits_);
  if (!head) return head.error();
  if (!*head) return std::optional<ResponseHead>{};
  std::vector<std::string_view> lines;
  if (!split_lines(**head, lines) || lines.empty()) return Errc::malformed;
  const std::string_view sl = lines.front();  // HTTP/1.1 101 Switching Protocols
  if (!sl.starts_with("HTTP/1.") || sl.size() < 12 || sl[8] != ' ') return Errc::malformed;
  int status = 0;
  const auto [ptr, ec] = std::from_chars(sl.data() + 9, sl.data() + 12, status);
  if (ec != std::errc() || ptr != sl.data() + 12 || status < 100) return Errc::malformed;
  auto headers = parse_headers(std::span(lines).subspan(1), limits_);
  if (!headers) return headers.error();
  ResponseHead out;
  out.status = status;
  out.headers = std::move(*headers);
  return std::optional<ResponseHead>(std::move(out));
}

std::span<const std::uint8_t> ResponseReader::leftover() const noexcept {
  if (head_end_ == 0) return {};
  return std::span(buffer_).subspan(head_end_);
}

}  // namespace gquic::derp::http
