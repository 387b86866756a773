#include "derp_command.h"

#include <poll.h>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <optional>
#include <random>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include "gquic/core/asio.h"
#include "gquic/core/log.h"
#include "gquic/derp/derp_server.h"
#include "gquic/derp/key_file.h"
#include "gquic/derp/relay_client.h"
#include "gquic/derp/stun.h"
#include "gquic/observability/metrics.h"
#include "gquic/observability/metrics_http_server.h"
#include "gquic/udp/udp_socket.h"

namespace gquic::cli {

namespace net = boost::asio;

DerpCommands add_derp_command(CLI::App& app, DerpOptions& o) {
  auto* derp = app.add_subcommand("derp", "Run a DERP relay (--listen), or DERP client tools");
  derp->require_subcommand(0, 1);
  DerpCommands c;
  c.derp = derp;
  derp->add_option("--listen", o.listen, "Relay: listen on IP:PORT");
  derp->add_option("--tls-cert", o.tls_cert, "Relay: PEM certificate chain");
  derp->add_option("--tls-key", o.tls_key, "Relay: PEM private key");
  derp->add_flag("--dev", o.dev, "Relay: plain HTTP, loopback addresses only (development)");
  derp->add_option("--stun", o.stun_listen, "Relay: serve STUN on IP:PORT (UDP)");
  derp->add_option("--state-dir", o.state_dir, "Relay: keep the server key in DIR/derp.key");
  derp->add_option("--mesh-key", o.mesh_key, "Relay: the region's mesh key (64 hex digits)");
  derp->add_option("--mesh-peer", o.mesh_peers, "Relay: URL of another relay of the region");
  derp->add_option("--metrics", o.metrics, "Relay: serve Prometheus metrics on IP:PORT");
  derp->add_option("--region", o.region, "Relay: region name");
  derp->add_option("--max-clients", o.max_clients, "Relay: most clients at once")
      ->check(CLI::Range(1, 10'000'000));

  auto client_opts = [&o](CLI::App* sub) {
    sub->add_option("url", o.url, "Relay URL (https://HOST[:PORT] or http://... for dev relays)")
        ->required();
    sub->add_flag("--insecure", o.insecure, "Do not verify the relay's TLS certificate");
    sub->add_option("--ca-file", o.ca_file, "Trust these CA certificates (PEM)");
    sub->add_option("--timeout-ms", o.timeout_ms, "Connect/answer timeout")
        ->check(CLI::Range(1, 600000));
  };
  c.probe = derp->add_subcommand("probe", "Connect to a relay: its key, RTT, STUN-mapped address");
  client_opts(c.probe);
  c.probe->add_option("--stun", o.stun_server, "Also ask this STUN server (IP:PORT)");
  c.send = derp->add_subcommand("send", "Send one packet through a relay");
  client_opts(c.send);
  c.send->add_option("--to", o.to, "Destination public key (64 hex digits)")->required();
  c.send->add_option("--data", o.data, "Packet contents (text)")->required();
  c.send->add_option("--key-file", o.key_file, "This client's private key (created when missing)")
      ->required();
  c.recv = derp->add_subcommand("recv", "Receive packets through a relay and print them");
  client_opts(c.recv);
  c.recv->add_option("--count", o.count, "Packets to receive before exiting")
      ->check(CLI::Range(1, 1'000'000'000));
  c.recv->add_option("--key-file", o.key_file, "This client's private key (created when missing)")
      ->required();

  c.stun = derp->add_subcommand("stun", "Ask a STUN server for this host's mapped address");
  c.stun->add_option("server", o.stun_server, "STUN server, IP:PORT")->required();
  c.stun->add_option("--timeout-ms", o.timeout_ms, "Wait per attempt")->check(CLI::Range(1, 60000));
  c.stun->add_option("--attempts", o.attempts, "Requests to send")->check(CLI::Range(1, 10));
  return c;
}

namespace {

// Asks a STUN server for the mapped address (blocking, poll-based); prints nothing.
Result<std::pair<SocketAddress, double>> stun_query(const SocketAddress& server, int timeout_ms,
                                                    int attempts) {
  auto sock = udp::UdpSocket::open(
      {.bind_address = SocketAddress(IpAddress::any(server.ip().family()), 0),
       .enable_gso = false,
       .enable_gro = false});
  if (!sock) return sock.error();
  std::random_device rd;
  for (int attempt = 0; attempt < attempts; ++attempt) {
    derp::stun::TransactionId txid;
    for (auto& b : txid) b = static_cast<std::uint8_t>(rd());
    const auto request = derp::stun::binding_request(txid);
    const udp::Transmit t{.destination = server, .contents = request};
    const auto sent_at = std::chrono::steady_clock::now();
    if (auto r = sock->send(std::span(&t, 1)); !r) return r.error();
    const auto deadline = sent_at + std::chrono::milliseconds(timeout_ms);
    std::vector<std::uint8_t> buf(2048);
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      pollfd p{sock->native_handle(), POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
      std::span<std::uint8_t> b(buf);
      udp::RecvMeta meta;
      auto got = sock->recv(std::span(&b, 1), std::span(&meta, 1));
      if (!got || *got == 0) continue;
      auto resp = derp::stun::parse_binding_response(std::span(buf).first(meta.len));
      if (!resp || resp->txid != txid) continue;  // not our answer: keep waiting
      const double rtt_ms = std::chrono::duration<double, std::milli>(
                                std::chrono::steady_clock::now() - sent_at).count();
      return std::make_pair(resp->mapped, rtt_ms);
    }
  }
  return make_error_code(std::errc::timed_out);
}

int run_stun(const DerpOptions& o) {
  auto server = SocketAddress::parse(o.stun_server);
  if (!server) {
    std::cerr << "gquic derp stun: '" << o.stun_server << "' is not an IP:PORT address\n";
    return 2;
  }
  auto r = stun_query(*server, o.timeout_ms, o.attempts);
  if (!r) {
    std::cerr << "gquic derp stun: no answer from " << server->to_string() << " after "
              << o.attempts << " attempts (" << r.error().message() << ")\n";
    return 1;
  }
  std::cout << "mapped: " << r->first.to_string() << "\n";
  std::cout << "rtt_ms: " << r->second << "\n";
  return 0;
}

// Runs `body` on a fresh io_context until it finishes or `limit` passes; false on timeout.
bool run_for(net::io_context& io, std::function<asio::awaitable<void>()> body,
             std::chrono::milliseconds limit) {
  bool done = false;
  net::co_spawn(io, [&]() -> asio::awaitable<void> {
    co_await body();
    done = true;
    io.stop();
  }, net::detached);
  if (limit.count() > 0) {
    io.run_for(limit);
  } else {
    io.run();
  }
  return done;
}

std::optional<derp::Key> parse_peer_key(std::string_view text) {
  if (text.starts_with("nodekey:")) text.remove_prefix(8);
  auto k = derp::parse_mesh_key(text);  // the same 64-hex form
  if (!k) return std::nullopt;
  derp::Key out;
  std::copy(k->begin(), k->end(), out.begin());
  return out;
}

struct ClientSetup {
  derp::http::RelayUrl url;
  derp::RelayConnectOptions options;
};

std::optional<ClientSetup> client_setup(const char* cmd, const DerpOptions& o) {
  auto url = derp::http::parse_relay_url(o.url);
  if (!url) {
    std::cerr << "gquic derp " << cmd << ": '" << o.url
              << "' is not a relay URL (https://HOST[:PORT] or http://HOST:PORT)\n";
    return std::nullopt;
  }
  ClientSetup s{*url, {}};
  s.options.insecure_skip_verify = o.insecure;
  s.options.ca_file = o.ca_file;
  s.options.timeout = std::chrono::milliseconds(o.timeout_ms * 10);
  return s;
}

int run_probe(const DerpOptions& o) {
  auto setup = client_setup("probe", o);
  if (!setup) return 2;
  std::optional<SocketAddress> stun_server;
  if (!o.stun_server.empty()) {
    auto s = SocketAddress::parse(o.stun_server);
    if (!s) {
      std::cerr << "gquic derp probe: --stun '" << o.stun_server << "' is not an IP:PORT address\n";
      return 2;
    }
    stun_server = *s;
  }
  net::io_context io;
  int rc = 1;
  const bool finished = run_for(io, [&]() -> asio::awaitable<void> {
    const auto key = derp::generate_key_pair();
    const auto t0 = std::chrono::steady_clock::now();
    auto conn = co_await derp::RelayConnection::connect(io.get_executor(), setup->url, key,
                                                        setup->options);
    if (!conn) {
      std::cerr << "gquic derp probe: " << setup->url.to_string() << ": "
                << conn.error().message() << "\n";
      co_return;
    }
    const double connect_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    const std::array<std::uint8_t, 8> ping = {'g', 'q', 'u', 'i', 'c', 'p', 'n', 'g'};
    const auto p0 = std::chrono::steady_clock::now();
    if (auto r = co_await (*conn)->send_frame(derp::FrameType::ping, ping); !r) co_return;
    for (;;) {
      auto f = co_await (*conn)->read_frame();
      if (!f) {
        std::cerr << "gquic derp probe: " << f.error().message() << "\n";
        co_return;
      }
      if (f->type == static_cast<std::uint8_t>(derp::FrameType::pong)) break;
    }
    const double rtt_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - p0).count();
    std::cout << "server_key: " << derp::key_hex((*conn)->server_key()) << "\n"
              << "connect_ms: " << connect_ms << "\n"
              << "rtt_ms: " << rtt_ms << "\n";
    (*conn)->close();
    rc = 0;
  }, std::chrono::milliseconds(o.timeout_ms * 20));
  if (!finished) {
    std::cerr << "gquic derp probe: timed out\n";
    return 1;
  }
  if (rc == 0 && stun_server) {
    auto r = stun_query(*stun_server, o.timeout_ms, 3);
    if (!r) {
      std::cerr << "gquic derp probe: no STUN answer from " << stun_server->to_string() << "\n";
      return 1;
    }
    std::cout << "mapped: " << r->first.to_string() << "\n";
  }
  return rc;
}

std::optional<derp::KeyPair> load_key(const char* cmd, const std::string& path) {
  auto key = derp::load_or_create_key_file(path);
  if (!key) {
    std::cerr << "gquic derp " << cmd << ": --key-file " << path << ": " << key.error().message()
              << "\n";
    return std::nullopt;
  }
  return *key;
}

int run_send(const DerpOptions& o) {
  auto setup = client_setup("send", o);
  if (!setup) return 2;
  auto to = parse_peer_key(o.to);
  if (!to) {
    std::cerr << "gquic derp send: --to '" << o.to << "' is not a public key (64 hex digits)\n";
    return 2;
  }
  if (o.data.size() > derp::kMaxPacketSize) {
    std::cerr << "gquic derp send: --data is larger than " << derp::kMaxPacketSize << " bytes\n";
    return 2;
  }
  auto key = load_key("send", o.key_file);
  if (!key) return 1;
  net::io_context io;
  int rc = 1;
  const bool finished = run_for(io, [&]() -> asio::awaitable<void> {
    auto conn = co_await derp::RelayConnection::connect(io.get_executor(), setup->url, *key,
                                                        setup->options);
    if (!conn) {
      std::cerr << "gquic derp send: " << setup->url.to_string() << ": "
                << conn.error().message() << "\n";
      co_return;
    }
    const std::span<const std::uint8_t> data(reinterpret_cast<const std::uint8_t*>(o.data.data()),
                                             o.data.size());
    if (auto r = co_await (*conn)->send_packet(*to, data); !r) {
      std::cerr << "gquic derp send: " << r.error().message() << "\n";
      co_return;
    }
    // A Ping answered means the relay has read (and routed) the packet before it.
    const std::array<std::uint8_t, 8> ping = {'s', 'e', 'n', 't', 0, 0, 0, 1};
    if (auto r = co_await (*conn)->send_frame(derp::FrameType::ping, ping); !r) co_return;
    for (;;) {
      auto f = co_await (*conn)->read_frame();
      if (!f) co_return;
      if (f->type == static_cast<std::uint8_t>(derp::FrameType::pong)) break;
    }
    std::cout << "sent " << o.data.size() << " bytes to " << derp::key_hex(*to) << "\n";
    (*conn)->close();
    rc = 0;
  }, std::chrono::milliseconds(o.timeout_ms * 20));
  if (!finished) std::cerr << "gquic derp send: timed out\n";
  return rc;
}

int run_recv(const DerpOptions& o) {
  auto setup = client_setup("recv", o);
  if (!setup) return 2;
  auto key = load_key("recv", o.key_file);
  if (!key) return 1;
  net::io_context io;
  int rc = 1;
  std::shared_ptr<derp::RelayConnection> live;
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (!ec && live) live->close();
  });
  run_for(io, [&]() -> asio::awaitable<void> {
    auto conn = co_await derp::RelayConnection::connect(io.get_executor(), setup->url, *key,
                                                        setup->options);
    if (!conn) {
      std::cerr << "gquic derp recv: " << setup->url.to_string() << ": "
                << conn.error().message() << "\n";
      co_return;
    }
    live = *conn;
    std::cout << "key: " << derp::key_hex(key->public_key) << "\n" << std::flush;
    for (int got = 0; got < o.count;) {
      auto f = co_await (*conn)->read_frame();
      if (!f) {
        std::cerr << "gquic derp recv: " << f.error().message() << "\n";
        co_return;
      }
      if (f->type != static_cast<std::uint8_t>(derp::FrameType::recv_packet)) continue;
      auto p = derp::parse_keyed_packet(f->payload);
      if (!p) continue;
      std::cout << "from " << derp::key_hex(p->key) << ": "
                << std::string(p->packet.begin(), p->packet.end()) << "\n" << std::flush;
      ++got;
    }
    (*conn)->close();
    rc = 0;
  }, std::chrono::milliseconds(0));
  signals.cancel();
  return rc;
}

int run_relay(const DerpOptions& o) {
  derp::DerpServerConfig cfg;
  auto listen = SocketAddress::parse(o.listen);
  if (!listen) {
    std::cerr << "gquic derp: --listen '" << o.listen << "' is not an IP:PORT address\n";
    return 2;
  }
  cfg.listen_addr = *listen;
  cfg.region = o.region;
  cfg.max_clients = static_cast<std::size_t>(o.max_clients);
  cfg.dev = o.dev;
  cfg.tls_cert = o.tls_cert;
  cfg.tls_key = o.tls_key;
  if (o.dev && !listen->ip().is_loopback()) {
    std::cerr << "gquic derp: --dev serves plain HTTP and is allowed on loopback addresses only\n";
    return 2;
  }
  if (!o.dev && (o.tls_cert.empty() || o.tls_key.empty())) {
    std::cerr << "gquic derp: give --tls-cert and --tls-key (or --dev on a loopback address)\n";
    return 2;
  }
  if (o.dev && (!o.tls_cert.empty() || !o.tls_key.empty())) {
    std::cerr << "gquic derp: --dev and --tls-cert/--tls-key exclude each other\n";
    return 2;
  }
  if (!o.stun_listen.empty()) {
    auto s = SocketAddress::parse(o.stun_listen);
    if (!s) {
      std::cerr << "gquic derp: --stun '" << o.stun_listen << "' is not an IP:PORT address\n";
      return 2;
    }
    cfg.stun_addr = *s;
  }
  cfg.enable_persistence = !o.state_dir.empty();
  cfg.state_dir = o.state_dir;
  if (!o.mesh_key.empty()) {
    auto k = derp::parse_mesh_key(o.mesh_key);
    if (!k) {
      std::cerr << "gquic derp: --mesh-key must be 64 hex digits\n";
      return 2;
    }
    cfg.mesh_key = *k;
  }
  if (!o.mesh_peers.empty() && !cfg.mesh_key) {
    std::cerr << "gquic derp: --mesh-peer needs --mesh-key\n";
    return 2;
  }
  for (const auto& p : o.mesh_peers) {
    if (!derp::http::parse_relay_url(p)) {
      std::cerr << "gquic derp: --mesh-peer '" << p << "' is not a relay URL\n";
      return 2;
    }
  }
  std::optional<SocketAddress> metrics_addr;
  if (!o.metrics.empty()) {
    auto m = SocketAddress::parse(o.metrics);
    if (!m) {
      std::cerr << "gquic derp: --metrics '" << o.metrics << "' is not an IP:PORT address\n";
      return 2;
    }
    metrics_addr = *m;
  }
  net::io_context io;
  observability::MetricsCollector metrics;
  auto server = derp::DerpServer::create(io, cfg, &metrics);
  if (!server) {
    std::cerr << "gquic derp: cannot set up the relay: " << server.error().message() << "\n";
    return 1;
  }
  if (auto r = (*server)->start(); !r) {
    std::cerr << "gquic derp: cannot listen on " << o.listen << ": " << r.error().message() << "\n";
    return 1;
  }
  std::optional<observability::MetricsHttpServer> http;
  if (metrics_addr) {
    http.emplace(io, metrics, *metrics_addr);
    if (auto r = http->start(); !r) {
      std::cerr << "gquic derp: cannot serve metrics on " << o.metrics << ": "
                << r.error().message() << "\n";
      return 1;
    }
    std::cout << "metrics: http://" << http->local_address().to_string() << "/metrics\n";
  }
  std::cout << "derp: " << (o.dev ? "http" : "https") << "://"
            << (*server)->local_address().to_string() << "/derp\n"
            << "server_key: " << derp::key_hex((*server)->public_key()) << "\n";
  if (auto s = (*server)->stun_address()) std::cout << "stun: " << s->to_string() << "\n";
  std::cout << std::flush;
  log::get("derp")->info("relay running; stop with SIGINT or SIGTERM");
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int signo) {
    if (ec) return;
    log::get("derp")->info("signal {}: stopping", signo);
    (*server)->stop();
    if (http) http->stop();
    io.stop();
  });
  io.run();
  std::cout << "stopped\n" << std::flush;
  return 0;
}

}  // namespace

int run_derp(const DerpCommands& c, const DerpOptions& o) {
  if (c.derp == nullptr || !c.derp->parsed()) return -1;
  if (c.stun->parsed()) return run_stun(o);
  if (c.probe->parsed()) return run_probe(o);
  if (c.send->parsed()) return run_send(o);
  if (c.recv->parsed()) return run_recv(o);
  if (o.listen.empty()) {
    std::cerr << "gquic derp: give --listen ADDR:PORT to run a relay, or a subcommand "
                 "(probe, send, recv, stun); see gquic derp --help\n";
    return 2;
  }
  return run_relay(o);
}

}  // namespace gquic::cli
