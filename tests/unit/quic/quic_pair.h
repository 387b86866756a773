#pragma once
// A client and a server quic::Connection joined by a tiny deterministic network in simulated
// time: each datagram arrives after `delay`, or is lost with probability `loss` drawn from a
// seeded generator. Time jumps straight to the next arrival or deadline, so a 30 s idle
// timeout costs microseconds. No sockets.

#include <functional>
#include <map>
#include <memory>
#include <random>
#include <vector>

#include "gquic/quic/connection.h"

namespace gquic::quic::test {

inline RandomSource seeded_random(std::uint64_t seed) {
  auto rng = std::make_shared<std::mt19937_64>(seed);
  return [rng](std::span<std::uint8_t> out) {
    for (auto& b : out) b = static_cast<std::uint8_t>((*rng)() & 0xff);
  };
}

inline std::vector<std::uint8_t> pattern(std::size_t n, std::uint32_t seed) {
  std::vector<std::uint8_t> v(n);
  std::uint32_t x = seed * 2654435761u + 1;
  for (auto& b : v) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    b = static_cast<std::uint8_t>(x);
  }
  return v;
}

struct NetConfig {
  Duration delay = std::chrono::milliseconds(10);
  double loss = 0.0;
  std::uint64_t seed = 1;
};

class QuicPair {
 public:
  QuicPair(std::shared_ptr<TlsContext> client_tls, std::shared_ptr<TlsContext> server_tls,
           ConnectionConfig client_cfg, ConnectionConfig server_cfg, NetConfig net = {})
      : server_tls_(std::move(server_tls)), server_cfg_(std::move(server_cfg)), net_(net),
        rng_(net.seed) {
    if (!client_cfg.random) client_cfg.random = seeded_random(net.seed + 100);
    if (!server_cfg_.random) server_cfg_.random = seeded_random(net.seed + 200);
    auto c = Connection::connect(std::move(client_tls), client_cfg, client_path(), now);
    if (c) client = std::move(*c);
  }

  static Path client_path() {
    return {SocketAddress(IpAddress::v4(0x0a000001), 5000),
            SocketAddress(IpAddress::v4(0x0a000002), 443)};
  }
  static Path server_path() {
    return {SocketAddress(IpAddress::v4(0x0a000002), 443),
            SocketAddress(IpAddress::v4(0x0a000001), 5000)};
  }

  // One step: drain transmits, advance to the next arrival or deadline, deliver, fire timers.
  // False when nothing is left to happen.
  bool step(std::optional<TimePoint> cap = std::nullopt) {
    flush(client.get(), true);
    flush(server.get(), false);
    collect();
    if (on_step) on_step();
    flush(client.get(), true);
    flush(server.get(), false);
    std::optional<TimePoint> next;
    auto consider = [&](std::optional<TimePoint> t) {
      if (t && (!next || *t < *next)) next = t;
    };
    if (!wire_.empty()) consider(wire_.begin()->first);
    if (client) consider(client->next_deadline());
    if (server) consider(server->next_deadline());
    if (!next) return false;
    if (cap && *next > *cap) {
      now = *cap;  // nothing happens before the cap
      return true;
    }
    if (*next > now) now = *next;
    while (!wire_.empty() && wire_.begin()->first <= now) {
      auto pkt = std::move(wire_.begin()->second);
      wire_.erase(wire_.begin());
      deliver(pkt);
    }
    if (client && client->next_deadline() && *client->next_deadline() <= now) {
      client->handle_timeout(now);
    }
    if (server && server->next_deadline() && *server->next_deadline() <= now) {
      server->handle_timeout(now);
    }
    collect();
    return true;
  }

  // Steps until pred() holds; false if the network went quiet or `limit` simulated time passed.
  bool run_until(const std::function<bool()>& pred,
                 Duration limit = std::chrono::seconds(120)) {
    const TimePoint end = now + limit;
    for (int i = 0; i < 2'000'000; ++i) {
      if (pred()) return true;
      if (now >= end || !step(end)) return pred();
    }
    return pred();
  }

  bool handshake() {
    return run_until([&] {
      return client && server && client->handshake_confirmed() && server->handshake_confirmed();
    });
  }

  static bool has(const std::vector<Event>& events, EventKind kind) {
    for (const auto& e : events) {
      if (e.kind == kind) return true;
    }
    return false;
  }
  static const Event* find(const std::vector<Event>& events, EventKind kind) {
    for (const auto& e : events) {
      if (e.kind == kind) return &e;
    }
    return nullptr;
  }

  TimePoint now{std::chrono::seconds(1'000'000)};
  std::unique_ptr<Connection> client, server;
  std::vector<Event> client_events, server_events;
  std::function<void()> on_step;  // application work, run once per step
  std::size_t lost = 0;
  std::size_t delivered = 0;
  std::size_t accept_failures = 0;

 private:
  struct Packet {
    bool to_server = false;
    std::vector<std::uint8_t> bytes;
  };

  void flush(Connection* c, bool to_server) {
    if (c == nullptr) return;
    std::vector<std::uint8_t> buf(1500);
    for (int i = 0; i < 10'000; ++i) {
      auto t = c->poll_transmit(now, buf);
      if (!t) break;
      if (net_.loss > 0 && std::uniform_real_distribution<double>(0, 1)(rng_) < net_.loss) {
        ++lost;
        continue;
      }
      wire_.emplace(now + net_.delay,
                    Packet{to_server, std::vector<std::uint8_t>(buf.begin(),
                                                                buf.begin() + static_cast<std::ptrdiff_t>(t->size))});
    }
  }

  void deliver(const Packet& p) {
    ++delivered;
    if (!p.to_server) {
      if (client) (void)client->handle_datagram(now, client_path(), p.bytes);
      return;
    }
    if (!server) {
      auto s = Connection::accept(server_tls_, server_cfg_, server_path(), p.bytes,
                                  Ecn::not_ect, now);
      if (s) {
        server = std::move(*s);
      } else {
        ++accept_failures;
      }
      return;
    }
    (void)server->handle_datagram(now, server_path(), p.bytes);
  }

  void collect() {
    if (client) {
      while (auto e = client->poll_event()) client_events.push_back(std::move(*e));
    }
    if (server) {
      while (auto e = server->poll_event()) server_events.push_back(std::move(*e));
    }
  }

  std::shared_ptr<TlsContext> server_tls_;
  ConnectionConfig server_cfg_;
  NetConfig net_;
  std::mt19937_64 rng_;
  std::multimap<TimePoint, Packet> wire_;
};

}  // namespace gquic::quic::test
