#pragma once
// The HTTP/1.1 side of DERP, sans-IO: the request head a relay reads before it upgrades a
// connection, the routes it serves, the answers it writes, and the client's side of the same
// exchange (request, response head, relay URLs).
//
//   client → GET /derp HTTP/1.1 | Host | Upgrade: DERP | Connection: Upgrade
//            [Derp-Fast-Start: 1]        (the client will not wait for the 101)
//   server → HTTP/1.1 101 Switching Protocols | Upgrade: DERP | Connection: Upgrade |
//            Derp-Version: 2 | Derp-Public-Key: <64 hex>      (not sent on fast start)
//   then DERP frames (frames.h) in both directions over the same stream.
//
// Other routes: /derp/probe and /derp/latency-check answer 200, /generate_204 answers 204 (with
// `X-Tailscale-Response: response <challenge>` when the request carried
// `X-Tailscale-Challenge`), /derp without an `Upgrade: derp` (any case) answers 426.
//
// The head reader is for untrusted input and is bounded: `max_head_bytes` for the whole head and
// `max_headers` lines; anything else is an error value (Errc::message_too_large for a head too
// big, Errc::malformed for a line that is not HTTP/1.x). Bytes after the head (a fast-start
// client's first frames) stay available through leftover().

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gquic/core/error.h"
#include "gquic/derp/frames.h"

namespace gquic::derp::http {

struct Request {
  std::string method;
  std::string target;  // as sent
  std::string path;    // target without the query
  int minor_version = 1;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased, values trimmed
  // The first value of a header (name in lower case), or empty.
  std::string_view header(std::string_view lower_name) const;
};

struct HeadLimits {
  std::size_t max_head_bytes = 8 * 1024;
  std::size_t max_headers = 64;
};

// Accumulates bytes until a complete request head ("\r\n\r\n") and parses it.
class RequestReader {
 public:
  explicit RequestReader(HeadLimits limits = {}) : limits_(limits) {}
  // A parsed request, an empty optional when more bytes are needed, or an error.
  Result<std::optional<Request>> feed(std::span<const std::uint8_t> bytes);
  // Bytes that followed the head (valid after feed() returned a request).
  std::span<const std::uint8_t> leftover() const noexcept;

 private:
  HeadLimits limits_;
  std::vector<std::uint8_t> buffer_;
  std::size_t head_end_ = 0;
};

// Parses one complete head (without the final empty line's bytes mattering).
Result<Request> parse_request_head(std::string_view head, const HeadLimits& limits = {});

enum class Route : std::uint8_t {
  derp_upgrade,      // 101 and frames follow
  probe,             // 200
  generate_204,      // 204
  upgrade_required,  // 426: /derp without Upgrade: derp
  method_not_allowed,
  not_found,
};
std::string_view to_string(Route r) noexcept;

struct RouteDecision {
  Route route = Route::not_found;
  bool fast_start = false;  // Derp-Fast-Start: 1 — no 101 is written
};
RouteDecision route(const Request& request);

// The 101 answer to an upgrade.
std::string upgrade_response(const Key& server_key);
// A complete non-upgrade answer for `route` (connection closed after it).
std::string simple_response(Route route, const Request& request);
// An error answer (400, 431, ...) before a request could be parsed.
std::string error_response(int status, std::string_view reason);

// ---- client side -------------------------------------------------------------------------

struct RelayUrl {
  bool tls = true;
  std::string host;  // a name or an IP literal (IPv6 without brackets)
  std::uint16_t port = 443;
  std::string path = "/derp";
  std::string to_string() const;
};
// "https://host[:port][/path]" or "http://host[:port][/path]"; bare "host:port" means https.
Result<RelayUrl> parse_relay_url(std::string_view url);

std::string upgrade_request(const RelayUrl& url, bool fast_start = false);
std::string get_request(const RelayUrl& url, std::string_view path);

struct ResponseHead {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // lower-cased names
  std::string_view header(std::string_view lower_name) const;
};
// Accumulates a response head; leftover() returns the bytes after it (the first frames).
class ResponseReader {
 public:
  explicit ResponseReader(HeadLimits limits = {}) : limits_(limits) {}
  Result<std::optional<ResponseHead>> feed(std::span<const std::uint8_t> bytes);
  std::span<const std::uint8_t> leftover() const noexcept;

 private:
  HeadLimits limits_;
  std::vector<std::uint8_t> buffer_;
  std::size_t head_end_ = 0;
};

}  // namespace gquic::derp::http
