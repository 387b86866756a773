#pragma once
// A deterministic discrete-event network for SwimCore: per-link delay, loss, partitions, killed
// and slow nodes, seeded randomness, simulated time only. Push-pull streams are delivered as a
// request and a reply, each after the link delay (lost when the link is cut).

#include <cstdint>
#include <functional>
#include <memory>
#include <queue>
#include <string>
#include <vector>

#include "gquic/gossip/swim_core.h"

namespace gquic::gossip::sim {

struct SimNode {
  std::unique_ptr<DeterministicRandom> rng;
  std::unique_ptr<SwimCore> core;
  SocketAddress address;
  bool killed = false;
  Duration inbound_delay{0};  // a slow node: everything it receives waits this long
  int group = 0;              // partitions cut links between different groups
};

class SwimSim {
 public:
  SwimSim(std::size_t n, std::uint64_t seed, const SwimConfig& base,
          TimePoint start = TimePoint{std::chrono::seconds(1'000'000)})
      : now_(start), start_(start), rng_(seed) {
    for (std::size_t i = 0; i < n; ++i) add_node(base, seed);
  }

  std::size_t add_node(const SwimConfig& base, std::uint64_t seed) {
    std::size_t i = nodes_.size();
    SwimConfig c = base;
    c.name = "node-" + std::to_string(i);
    c.advertise = SocketAddress(IpAddress::v4(0x7f000000u | static_cast<std::uint32_t>(i + 1)), 7946);
    SimNode node;
    node.rng = std::make_unique<DeterministicRandom>(seed * 1000003 + i);
    node.address = c.advertise;
    node.core = std::make_unique<SwimCore>(c, *node.rng, now_);
    nodes_.push_back(std::move(node));
    after(i);
    return i;
  }

  // Every node joins through node `seed` (itself excluded).
  void join_all(std::size_t seed = 0) {
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      if (i == seed) continue;
      SocketAddress s = nodes_[seed].address;
      nodes_[i].core->join(now_, std::span<const SocketAddress>(&s, 1));
      after(i);
    }
  }

  SimNode& node(std::size_t i) { return nodes_[i]; }
  std::size_t size() const { return nodes_.size(); }
  TimePoint now() const { return now_; }
  Duration elapsed() const { return now_ - start_; }
  void set_delay(Duration d) { delay_ = d; }
  void set_loss(double p) { loss_ = p; }
  void kill(std::size_t i) { nodes_[i].killed = true; }
  void set_group(std::size_t i, int g) { nodes_[i].group = g; }
  std::uint64_t delivered() const { return delivered_; }
  // Every event every node emits, with the node's index.
  std::function<void(std::size_t, const GossipEvent&)> on_event;

  void run_for(Duration d) { run_until([] { return false; }, d); }
  // Runs until pred() holds (checked after each event) or `limit` of simulated time passed.
  bool run_until(const std::function<bool()>& pred, Duration limit) {
    TimePoint end = now_ + limit;
    if (pred()) return true;
    bool dirty = false;
    while (true) {
      TimePoint t = end;
      bool have = false;
      if (!deliveries_.empty() && deliveries_.top().at <= t) { t = deliveries_.top().at; have = true; }
      if (!timers_.empty() && timers_.top().first <= t) { t = timers_.top().first; have = true; }
      // The predicate may be costly (O(N^2) for converged()): it is checked before time
      // moves past check_interval since the last check, on the state reached so far.
      if (dirty && t > now_ && t >= next_check_) {
        next_check_ = now_ + check_interval;
        dirty = false;
        if (pred()) return true;
      }
      if (!have) {
        now_ = end;
        return pred();
      }
      now_ = t;
      dirty = true;
      if (!deliveries_.empty() && deliveries_.top().at == t) {
        Delivery d = deliveries_.top();
        deliveries_.pop();
        deliver(d);
      } else {
        auto [at, i] = timers_.top();
        timers_.pop();
        if (nodes_[i].killed) continue;
        auto dl = nodes_[i].core->next_deadline();
        if (!dl || *dl > now_) continue;  // stale entry
        nodes_[i].core->handle_timeout(now_);
        after(i);
      }
    }
  }
  Duration check_interval = std::chrono::milliseconds(10);

  // True when every live node sees every other live node alive and the killed ones gone.
  bool converged() const {
    std::size_t live = 0;
    for (const auto& n : nodes_) live += n.killed ? 0 : 1;
    for (const auto& n : nodes_) {  // cheap necessary condition first
      if (!n.killed && n.core->alive_count() != live) return false;
    }
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      if (nodes_[i].killed) continue;
      for (std::size_t j = 0; j < nodes_.size(); ++j) {
        if (i == j) continue;
        auto m = nodes_[i].core->member(name(j));
        if (nodes_[j].killed) {
          if (m && (m->state == MemberState::alive || m->state == MemberState::suspect)) return false;
        } else if (!m || m->state != MemberState::alive) {
          return false;
        }
      }
    }
    return true;
  }
  static std::string name(std::size_t i) { return "node-" + std::to_string(i); }

 private:
  enum class Kind { datagram, stream_request, stream_reply };
  struct Delivery {
    TimePoint at;
    std::uint64_t order;
    std::size_t to;
    SocketAddress from;
    std::vector<std::uint8_t> bytes;
    Kind kind;
    bool operator>(const Delivery& o) const { return at != o.at ? at > o.at : order > o.order; }
  };

  std::optional<std::size_t> index_of(const SocketAddress& a) const {
    std::uint32_t host = static_cast<std::uint32_t>(a.ip().bytes()[3]) |
                         static_cast<std::uint32_t>(a.ip().bytes()[2]) << 8 |
                         static_cast<std::uint32_t>(a.ip().bytes()[1]) << 16;
    if (host == 0 || host > nodes_.size()) return std::nullopt;
    return host - 1;
  }
  bool link_up(std::size_t a, std::size_t b) const {
    return !nodes_[a].killed && !nodes_[b].killed && nodes_[a].group == nodes_[b].group;
  }
  bool lost() {
    if (loss_ <= 0) return false;
    return static_cast<double>(rng_.below(1'000'000)) < loss_ * 1'000'000;
  }
  void schedule(std::size_t from, const SocketAddress& to_addr, std::vector<std::uint8_t> bytes, Kind k) {
    auto to = index_of(to_addr);
    if (!to || !link_up(from, *to) || (k == Kind::datagram && lost())) return;
    Duration d = delay_ + nodes_[*to].inbound_delay;
    deliveries_.push(Delivery{now_ + d, order_++, *to, nodes_[from].address, std::move(bytes), k});
  }
  void after(std::size_t i) {
    auto& n = nodes_[i];
    while (auto t = n.core->poll_transmit()) {
      schedule(i, t->destination, std::move(t->bytes), t->stream ? Kind::stream_request : Kind::datagram);
    }
    while (auto e = n.core->poll_event()) {
      if (on_event) on_event(i, *e);
    }
    if (auto dl = n.core->next_deadline()) timers_.push({*dl, i});
  }
  void deliver(Delivery& d) {
    auto& n = nodes_[d.to];
    auto from = index_of(d.from);
    if (n.killed || !from || !link_up(*from, d.to)) return;
    ++delivered_;
    switch (d.kind) {
      case Kind::datagram:
        n.core->handle_datagram(now_, d.from, d.bytes);
        break;
      case Kind::stream_request: {
        auto reply = n.core->handle_stream(now_, d.from, d.bytes);
        if (reply) schedule(d.to, d.from, std::move(*reply), Kind::stream_reply);
        break;
      }
      case Kind::stream_reply:
        n.core->handle_stream_reply(now_, d.from, d.bytes);
        break;
    }
    after(d.to);
  }

  TimePoint now_, start_;
  TimePoint next_check_{};
  DeterministicRandom rng_;
  Duration delay_ = std::chrono::milliseconds(5);
  double loss_ = 0;
  std::uint64_t order_ = 0, delivered_ = 0;
  std::vector<SimNode> nodes_;
  std::priority_queue<Delivery, std::vector<Delivery>, std::greater<>> deliveries_;
  std::priority_queue<std::pair<TimePoint, std::size_t>, std::vector<std::pair<TimePoint, std::size_t>>,
                      std::greater<>> timers_;
};

}  // namespace gquic::gossip::sim
