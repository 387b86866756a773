#include "gquic/quic/interop_driver.h"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <vector>

#include <boost/asio/signal_set.hpp>

#include "gquic/quic/quic_driver.h"

namespace gquic::quic {

namespace net = boost::asio;
using asio::awaitable;
namespace fs = std::filesystem;

namespace {

constexpr const char* kAlpn = "hq-interop";

std::string get(const std::map<std::string, std::string>& env, const std::string& k,
                const std::string& def = {}) {
  auto it = env.find(k);
  return it == env.end() || it->second.empty() ? def : it->second;
}

QlogSink qlog_sink(const std::string& dir, const std::string& name) {
  if (dir.empty()) return {};
  std::error_code ec;
  fs::create_directories(dir, ec);
  auto f = std::make_shared<std::ofstream>(fs::path(dir) / name, std::ios::binary);
  return [f](std::span<const std::uint8_t> t, bool fin) {
    f->write(reinterpret_cast<const char*>(t.data()), static_cast<std::streamsize>(t.size()));
    if (fin) f->flush();
  };
}

ConnectionConfig base_config() {
  ConnectionConfig c;
  c.max_udp_payload = 1452;
  c.stream_receive_window = 4 << 20;
  c.connection_receive_window = 16 << 20;
  c.stream_send_buffer = 1 << 20;
  c.idle_timeout = std::chrono::seconds(30);
  return c;
}

// --- server ----------------------------------------------------------------------------------

awaitable<void> serve_request(QuicConnection c, std::int64_t id, fs::path www) {
  std::string req;
  std::vector<std::uint8_t> buf(4096);
  for (;;) {
    auto r = co_await c.read(id, buf);
    if (!r) co_return;
    req.append(reinterpret_cast<const char*>(buf.data()), r->size);
    if (r->fin || req.size() > 8192) break;
  }
  // "GET /path" with optional CRLF.
  std::string path;
  if (req.rfind("GET ", 0) == 0) {
    path = req.substr(4);
    while (!path.empty() && (path.back() == '\n' || path.back() == '\r' || path.back() == ' ')) {
      path.pop_back();
    }
  }
  const fs::path file = www / fs::path(path).relative_path();
  const auto canon = fs::weakly_canonical(file);
  const auto root = fs::weakly_canonical(www);
  std::ifstream in;
  if (!path.empty() && canon.string().rfind(root.string(), 0) == 0) in.open(canon, std::ios::binary);
  if (!in) {
    (void)co_await c.write(id, {}, true);
    co_return;
  }
  std::vector<std::uint8_t> chunk(256 * 1024);
  for (;;) {
    in.read(reinterpret_cast<char*>(chunk.data()), static_cast<std::streamsize>(chunk.size()));
    const auto n = static_cast<std::size_t>(in.gcount());
    const bool last = n < chunk.size() || in.peek() == EOF;
    if (!(co_await c.write(id, std::span(chunk).first(n), last))) co_return;
    if (last) co_return;
  }
}

awaitable<void> serve_connection(QuicConnection c, fs::path www) {
  auto ex = co_await net::this_coro::executor;
  for (;;) {
    auto id = co_await c.accept_stream();
    if (!id) co_return;
    net::co_spawn(ex, serve_request(c, *id, www), net::detached);
  }
}

int run_server(const std::map<std::string, std::string>& env, const std::string& testcase) {
  const std::string host = get(env, "HOST", "::");
  const std::string port = get(env, "PORT", "443");
  auto ip = IpAddress::parse(host);
  if (!ip) {
    std::cerr << "gquic interop: HOST '" << host << "' is not an IP address\n";
    return 1;
  }
  const std::string certs = get(env, "CERTS", "/certs");
  std::string why;
  auto tls = TlsContext::server({.cert_file = certs + "/cert.pem",
                                 .key_file = certs + "/priv.key",
                                 .alpn = {kAlpn}}, &why);
  if (!tls) {
    std::cerr << "gquic interop: TLS: " << why << "\n";
    return 1;
  }
  EndpointConfig ec;
  ec.connection = base_config();
  ec.require_retry = testcase == "retry";
  ec.connection.versions = {kQuicV2, kQuicV1};  // upgrades clients that offer v2
  net::io_context io;
  auto server = EndpointDriver::server(
      io, *tls, ec, {.bind = SocketAddress(*ip, static_cast<std::uint16_t>(std::stoi(port)))});
  if (!server) {
    std::cerr << "gquic interop: listen: " << server.error().message() << "\n";
    return 1;
  }
  std::cout << "listening on " << (*server)->local_address().to_string() << std::endl;
  const fs::path www = get(env, "WWW", "/www");
  net::co_spawn(io, [&]() -> awaitable<void> {
    for (;;) {
      auto c = co_await (*server)->accept();
      if (!c) co_return;
      net::co_spawn(io, serve_connection(*c, www), net::detached);
    }
  }, net::detached);
  net::signal_set sig(io, SIGINT, SIGTERM);
  sig.async_wait([&](auto, int) {
    (*server)->stop();
    io.stop();
  });
  io.run();
  return 0;
}

// --- client ----------------------------------------------------------------------------------

struct Url {
  std::string host;
  std::string port;
  std::string path;
};

std::optional<Url> parse_url(const std::string& u) {
  const auto scheme = u.find("://");
  if (scheme == std::string::npos) return std::nullopt;
  const auto rest = u.substr(scheme + 3);
  const auto slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  Url r;
  r.path = slash == std::string::npos ? "/" : rest.substr(slash);
  if (!authority.empty() && authority[0] == '[') {
    const auto close = authority.find(']');
    if (close == std::string::npos) return std::nullopt;
    r.host = authority.substr(1, close - 1);
    r.port = close + 2 <= authority.size() ? authority.substr(close + 2) : "443";
  } else {
    const auto colon = authority.rfind(':');
    r.host = authority.substr(0, colon);
    r.port = colon == std::string::npos ? "443" : authority.substr(colon + 1);
  }
  if (r.port.empty()) r.port = "443";
  return r;
}

int run_client(const std::map<std::string, std::string>& env, const std::string& testcase) {
  std::vector<Url> urls;
  std::istringstream in(get(env, "REQUESTS"));
  for (std::string u; in >> u;) {
    auto p = parse_url(u);
    if (!p) {
      std::cerr << "gquic interop: bad URL " << u << "\n";
      return 1;
    }
    urls.push_back(*p);
  }
  if (urls.empty()) {
    std::cerr << "gquic interop: REQUESTS is empty\n";
    return 1;
  }
  auto ip = IpAddress::parse(urls[0].host);
  if (!ip) {
    std::cerr << "gquic interop: host '" << urls[0].host << "' must be an IP address\n";
    return 1;
  }
  const SocketAddress server(*ip, static_cast<std::uint16_t>(std::stoi(urls[0].port)));
  const fs::path downloads = get(env, "DOWNLOADS", "/downloads");
  std::error_code fec;
  fs::create_directories(downloads, fec);
  auto tls = TlsContext::client({.insecure_skip_verify = true, .alpn = {kAlpn}});
  if (!tls) return 1;
  ConnectionConfig cfg = base_config();
  cfg.server_name = urls[0].host;
  cfg.qlog = qlog_sink(get(env, "QLOGDIR"), "client.sqlog");
  if (testcase == "v2") cfg.versions = {kQuicV1, kQuicV2};
  net::io_context io;
  auto client = EndpointDriver::client(
      io, {.bind = SocketAddress(IpAddress::any(ip->family()), 0)});
  if (!client) return 1;
  int rc = 1;
  net::co_spawn(io, [&]() -> awaitable<void> {
    auto c = co_await (*client)->connect(*tls, cfg, server);
    if (!c) {
      std::cerr << "gquic interop: connect: " << c.error().message() << "\n";
      io.stop();
      co_return;
    }
    bool key_update_done = testcase != "keyupdate";
    std::size_t left = urls.size();
    bool failed = false;
    net::steady_timer done(io, net::steady_timer::time_point::max());
    // Lambda coroutines handed to co_spawn capture only references and trivial values: GCC 12
    // destroys the spawned function object twice, which non-trivial captures do not survive.
    for (std::size_t i = 0; i < urls.size(); ++i) {
      net::co_spawn(io, [&, i]() -> awaitable<void> {
        const Url& u = urls[i];
        auto id = co_await c->open_bidi_stream();
        const std::string req = "GET " + u.path + "\r\n";
        if (!id || !(co_await c->write(*id, std::span(reinterpret_cast<const std::uint8_t*>(
                                                      req.data()), req.size()), true))) {
          failed = true;
        } else {
          std::ofstream out(downloads / fs::path(u.path).filename(), std::ios::binary);
          std::vector<std::uint8_t> buf(256 * 1024);
          for (;;) {
            auto r = co_await c->read(*id, buf);
            if (!r) {
              failed = true;
              break;
            }
            out.write(reinterpret_cast<const char*>(buf.data()),
                      static_cast<std::streamsize>(r->size));
            if (!key_update_done && c->core() != nullptr &&
                c->core()->handshake_confirmed()) {
              key_update_done = c->core()->update_keys(SteadyClock::instance().now()).has_value();
            }
            if (r->fin) break;
          }
        }
        if (--left == 0) done.cancel();
      }, net::detached);
    }
    co_await done.async_wait(asio::nothrow);
    if (auto* core = c->core()) {
      const auto st = core->stats();
      std::cout << "version: 0x" << std::hex << core->version() << std::dec << "\n"
                << "retries_received: " << st.retries_received << "\n"
                << "key_updates: " << st.key_updates << "\n"
                << "handshake_ms: "
                << std::chrono::duration<double, std::milli>(c->handshake_time()).count()
                << std::endl;
    }
    c->close(0);
    co_await net::post(io, net::use_awaitable);
    co_await net::post(io, net::use_awaitable);
    rc = failed || !key_update_done ? 1 : 0;
    io.stop();
  }, net::detached);
  io.run();
  return rc;
}

}  // namespace

int run_interop(const std::map<std::string, std::string>& env) {
  static const std::set<std::string> supported = {"handshake", "transfer", "multiplexing",
                                                  "retry",     "keyupdate", "v2"};
  const std::string testcase = get(env, "TESTCASE");
  if (!supported.contains(testcase)) {
    std::cerr << "gquic interop: test case '" << testcase << "' is not supported\n";
    return 127;
  }
  const std::string role = get(env, "ROLE");
  if (role == "server") return run_server(env, testcase);
  if (role == "client") return run_client(env, testcase);
  std::cerr << "gquic interop: ROLE must be server or client\n";
  return 1;
}

}  // namespace gquic::quic
