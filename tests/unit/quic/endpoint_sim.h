#pragma once
// A server quic::Endpoint and N client quic::Connections on a simulated network: one-way
// `delay`, seeded loss, time jumping to the next arrival or deadline. A client may change its
// local address (migration); datagrams addressed to any address it ever had still reach it.
// The endpoint can be replaced mid-run (a restart that lost every connection).

#include <map>
#include <memory>
#include <random>
#include <unordered_map>
#include <vector>

#include "gquic/quic/endpoint.h"
#include "unit/quic/quic_pair.h"

namespace gquic::quic::test {

class EndpointSim {
 public:
  EndpointSim(std::shared_ptr<TlsContext> server_tls, EndpointConfig config, NetConfig net = {})
      : server_tls_(std::move(server_tls)), config_(std::move(config)), net_(net),
        rng_(net.seed) {
    if (!config_.connection.random) config_.connection.random = seeded_random(net.seed + 7);
    endpoint = std::make_unique<Endpoint>(server_tls_, config_);
  }

  static SocketAddress server_address() { return SocketAddress(IpAddress::v4(0x0a000002), 443); }
  static SocketAddress client_address(std::size_t i, std::uint16_t port = 5000) {
    return SocketAddress(IpAddress::v4(0x0a010000 + static_cast<std::uint32_t>(i)), port);
  }

  // Adds a client and returns its index.
  std::size_t add_client(std::shared_ptr<TlsContext> tls, ConnectionConfig cfg) {
    const std::size_t i = clients.size();
    if (!cfg.random) cfg.random = seeded_random(net_.seed * 1000 + i);
    Path p{client_address(i), server_address()};
    auto c = Connection::connect(std::move(tls), cfg, p, now);
    clients.push_back(c ? std::move(*c) : nullptr);
    paths.push_back(p);
    owners_[p.local] = i;
    client_events.emplace_back();
    return i;
  }

  // Moves client i to a new local port (its next packets come from there).
  Result<void> migrate(std::size_t i, std::uint16_t port) {
    Path p{client_address(i, port), server_address()};
    auto r = clients[i]->migrate(now, p);
    if (!r) return r;
    paths[i] = p;
    owners_[p.local] = i;
    return {};
  }

  // A new Endpoint in place of the old one (same config, so the same static secret).
  void restart_endpoint() { endpoint = std::make_unique<Endpoint>(server_tls_, config_); }

  bool step(std::optional<TimePoint> cap = std::nullopt) {
    flush();
    collect();
    if (on_step) on_step();
    flush();
    std::optional<TimePoint> next;
    auto consider = [&](std::optional<TimePoint> t) {
      if (t && (!next || *t < *next)) next = t;
    };
    if (!wire_.empty()) consider(wire_.begin()->first);
    consider(endpoint->next_deadline());
    for (auto& c : clients) {
      if (c) consider(c->next_deadline());
    }
    if (!next) return false;
    if (cap && *next > *cap) {
      now = *cap;
      return true;
    }
    if (*next > now) now = *next;
    while (!wire_.empty() && wire_.begin()->first <= now) {
      auto pkt = std::move(wire_.begin()->second);
      wire_.erase(wire_.begin());
      deliver(pkt);
    }
    if (auto d = endpoint->next_deadline(); d && *d <= now) endpoint->handle_timeout(now);
    for (auto& c : clients) {
      if (c && c->next_deadline() && *c->next_deadline() <= now) c->handle_timeout(now);
    }
    collect();
    return true;
  }

  bool run_until(const std::function<bool()>& pred, Duration limit = std::chrono::seconds(120)) {
    const TimePoint end = now + limit;
    for (int i = 0; i < 5'000'000; ++i) {
      if (pred()) return true;
      if (now >= end || !step(end)) return pred();
    }
    return pred();
  }

  // Server application: echoes every stream back (with its fin). Call from on_step.
  void echo_streams() {
    std::vector<std::uint8_t> buf(16 * 1024);
    for (auto& [h, streams] : server_streams) {
      Connection* c = endpoint->connection(h);
      if (c == nullptr) continue;
      for (auto& [id, st] : streams) {
        while (!st.fin_sent) {
          if (st.pending.empty() && !st.fin_seen) {
            auto r = c->read_stream(id, buf);
            if (!r || (r->size == 0 && !r->fin)) break;
            st.pending.insert(st.pending.end(), buf.begin(),
                              buf.begin() + static_cast<std::ptrdiff_t>(r->size));
            st.fin_seen = r->fin;
          }
          auto w = c->write_stream(id, st.pending, st.fin_seen);
          if (!w) break;
          st.pending.erase(st.pending.begin(), st.pending.begin() + static_cast<std::ptrdiff_t>(*w));
          if (st.pending.empty() && st.fin_seen) st.fin_sent = true;
          if (*w == 0 && !st.pending.empty()) break;
          if (st.pending.empty() && !st.fin_seen) continue;
        }
      }
    }
  }

  TimePoint now{std::chrono::seconds(1'000'000)};
  std::unique_ptr<Endpoint> endpoint;
  std::vector<std::unique_ptr<Connection>> clients;
  std::vector<Path> paths;
  std::vector<std::vector<Event>> client_events;
  std::vector<EndpointEvent> server_events;
  std::function<void()> on_step;
  std::size_t lost = 0;
  struct EchoStream {
    std::vector<std::uint8_t> pending;
    bool fin_seen = false;
    bool fin_sent = false;
  };
  std::map<std::uint64_t, std::map<std::int64_t, EchoStream>> server_streams;

 private:
  struct Packet {
    bool to_server = false;
    SocketAddress from, to;
    std::vector<std::uint8_t> bytes;
  };

  void send(bool to_server, SocketAddress from, SocketAddress to, std::span<const std::uint8_t> b) {
    if (net_.loss > 0 && std::uniform_real_distribution<double>(0, 1)(rng_) < net_.loss) {
      ++lost;
      return;
    }
    wire_.emplace(now + net_.delay, Packet{to_server, from, to, {b.begin(), b.end()}});
  }

  void flush() {
    std::vector<std::uint8_t> buf(1500);
    for (std::size_t i = 0; i < clients.size(); ++i) {
      if (!clients[i]) continue;
      for (int n = 0; n < 10'000; ++n) {
        auto t = clients[i]->poll_transmit(now, buf);
        if (!t) break;
        send(true, t->source, t->destination, std::span(buf).first(t->size));
      }
    }
    for (int n = 0; n < 1'000'000; ++n) {
      auto t = endpoint->poll_transmit(now, buf);
      if (!t) break;
      send(false, t->source, t->destination, std::span(buf).first(t->size));
    }
  }

  void deliver(const Packet& p) {
    if (p.to_server) {
      (void)endpoint->handle_datagram(now, Path{p.to, p.from}, p.bytes);
      return;
    }
    auto it = owners_.find(p.to);
    if (it == owners_.end() || !clients[it->second]) return;
    (void)clients[it->second]->handle_datagram(now, Path{p.to, p.from}, p.bytes);
  }

  void collect() {
    for (std::size_t i = 0; i < clients.size(); ++i) {
      if (!clients[i]) continue;
      while (auto e = clients[i]->poll_event()) client_events[i].push_back(std::move(*e));
    }
    while (auto e = endpoint->poll_event()) {
      if (e->event.kind == EventKind::stream_opened) {
        server_streams[e->connection][e->event.stream_id];
      }
      server_events.push_back(std::move(*e));
    }
  }

  std::shared_ptr<TlsContext> server_tls_;
  EndpointConfig config_;
  NetConfig net_;
  std::mt19937_64 rng_;
  std::multimap<TimePoint, Packet> wire_;
  std::unordered_map<SocketAddress, std::size_t> owners_;
};

}  // namespace gquic::quic::test
