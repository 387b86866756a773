#pragma once
// The dissemination queue of SWIM: encoded updates, each keyed by what it is about (a member or
// a registration) so a newer update replaces an older one, handed out fewest-transmits first
// (newest first among equals) and retired after `limit` transmissions. Bounded: when full, the
// entry sent most often is evicted.

#include <cstdint>
#include <set>
#include <span>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

namespace gquic::gossip {

class BroadcastQueue {
 public:
  explicit BroadcastQueue(std::size_t capacity) : capacity_(capacity) {}

  // Returns true when an unrelated entry was evicted to make room.
  bool push(std::string key, std::vector<std::uint8_t> encoded);
  // Calls `take(bytes)` for entries in order: it returns 1 when it took the entry, 0 when the
  // entry did not fit, -1 to stop. Every taken entry counts one transmission and is retired
  // at `limit`.
  template <typename F>
  void fill(std::size_t limit, F&& take) {
    std::vector<std::string> taken;
    for (const auto& [transmits, order, key] : order_) {
      (void)transmits;
      (void)order;
      auto& e = entries_.at(key);
      int r = take(std::span<const std::uint8_t>(e.bytes));
      if (r < 0) break;
      if (r > 0) taken.push_back(key);
    }
    for (auto& key : taken) bump(key, limit);
  }
  std::size_t size() const noexcept { return entries_.size(); }
  bool empty() const noexcept { return entries_.empty(); }
  void clear() noexcept {
    entries_.clear();
    order_.clear();
  }

 private:
  struct Entry {
    std::vector<std::uint8_t> bytes;
    std::size_t transmits = 0;
    std::uint64_t order = 0;  // decreasing: newer entries sort first
  };
  void bump(const std::string& key, std::size_t limit);

  std::size_t capacity_;
  std::uint64_t next_order_ = UINT64_MAX;
  std::unordered_map<std::string, Entry> entries_;
  std::set<std::tuple<std::size_t, std::uint64_t, std::string>> order_;
};

}  // namespace gquic::gossip
