#pragma once
// A simulated LAN for mDNS cores: every multicast reaches every node (the sender too, as with
// IP_MULTICAST_LOOP) after `delay`; unicast reaches the node with that address.

#include <functional>
#include <memory>
#include <queue>
#include <vector>

#include "gquic/mdns/browser.h"
#include "gquic/mdns/responder.h"

namespace gquic::mdns::sim {

class Lan {
 public:
  struct Node {
    SocketAddress address;
    std::unique_ptr<MdnsResponder> responder;
    std::unique_ptr<MdnsBrowser> browser;
    std::vector<ResponderEvent> responder_events;
    std::vector<BrowserEvent> browser_events;
  };

  explicit Lan(TimePoint start = TimePoint{std::chrono::seconds(1'000'000)}) : now_(start) {}

  std::size_t add(ResponderConfig rc, BrowserConfig bc, std::uint16_t port = kMdnsPort) {
    Node n;
    n.address = SocketAddress(IpAddress::v4(0xC0A80000u + static_cast<std::uint32_t>(nodes_.size() + 1)), port);
    n.responder = std::make_unique<MdnsResponder>(rc);
    n.browser = std::make_unique<MdnsBrowser>(bc);
    nodes_.push_back(std::move(n));
    return nodes_.size() - 1;
  }
  Node& node(std::size_t i) { return nodes_[i]; }
  TimePoint now() const { return now_; }
  std::uint64_t packets() const { return packets_; }
  // Called with every datagram delivered; returns false to drop it.
  std::function<bool(std::size_t to, const std::vector<std::uint8_t>&)> filter;

  void pump() {
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      auto& n = nodes_[i];
      while (auto t = n.responder->poll_transmit()) route(i, *t);
      while (auto t = n.browser->poll_transmit()) route(i, *t);
      while (auto e = n.responder->poll_event()) n.responder_events.push_back(*e);
      while (auto e = n.browser->poll_event()) n.browser_events.push_back(*e);
    }
  }

  void run_for(Duration d) {
    TimePoint end = now_ + d;
    while (true) {
      pump();
      TimePoint t = end;
      if (!queue_.empty()) t = std::min(t, queue_.top().at);
      for (auto& n : nodes_) {
        if (auto dl = n.responder->next_deadline()) t = std::min(t, std::max(*dl, now_));
        if (auto dl = n.browser->next_deadline()) t = std::min(t, std::max(*dl, now_));
      }
      if (t >= end && (queue_.empty() || queue_.top().at > end)) {
        now_ = end;
        return;
      }
      now_ = t;
      while (!queue_.empty() && queue_.top().at <= now_) {
        auto item = queue_.top();
        queue_.pop();
        if (filter && !filter(item.to, item.bytes)) continue;
        ++packets_;
        nodes_[item.to].responder->handle_datagram(now_, item.from, item.bytes);
        nodes_[item.to].browser->handle_datagram(now_, item.from, item.bytes);
      }
      for (auto& n : nodes_) {
        if (auto dl = n.responder->next_deadline(); dl && *dl <= now_) n.responder->handle_timeout(now_);
        if (auto dl = n.browser->next_deadline(); dl && *dl <= now_) n.browser->handle_timeout(now_);
      }
    }
  }

 private:
  struct Delivery {
    TimePoint at;
    std::uint64_t order;
    std::size_t to;
    SocketAddress from;
    std::vector<std::uint8_t> bytes;
    bool operator>(const Delivery& o) const { return at != o.at ? at > o.at : order > o.order; }
  };
  void route(std::size_t from, const Transmit& t) {
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      if (t.multicast || nodes_[i].address == t.destination) {
        queue_.push(Delivery{now_ + delay_, order_++, i, nodes_[from].address, t.bytes});
      }
    }
  }
  TimePoint now_;
  Duration delay_ = std::chrono::milliseconds(1);
  std::uint64_t order_ = 0, packets_ = 0;
  std::vector<Node> nodes_;
  std::priority_queue<Delivery, std::vector<Delivery>, std::greater<>> queue_;
};

}  // namespace gquic::mdns::sim
