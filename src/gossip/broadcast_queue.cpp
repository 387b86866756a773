#include "gquic/gossip/broadcast_queue.h"

namespace gquic::gossip {

bool BroadcastQueue::push(std::string key, std::vector<std::uint8_t> encoded) {
  bool evicted = false;
  if (auto it = entries_.find(key); it != entries_.end()) {
    order_.erase({it->second.transmits, it->second.order, key});
    entries_.erase(it);
  } else if (capacity_ > 0 && entries_.size() >= capacity_ && !order_.empty()) {
    auto last = std::prev(order_.end());
    entries_.erase(std::get<2>(*last));
    order_.erase(last);
    evicted = true;
  }
  if (capacity_ == 0) return true;
  Entry e{std::move(encoded), 0, next_order_--};
  order_.insert({0, e.order, key});
  entries_.emplace(std::move(key), std::move(e));
  return evicted;
}

void BroadcastQueue::bump(const std::string& key, std::size_t limit) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return;
  order_.erase({it->second.transmits, it->second.order, key});
  if (++it->second.transmits >= limit) {
    entries_.erase(it);
    return;
  }
  order_.insert({it->second.transmits, it->second.order, key});
}

}  // namespace gquic::gossip
