#pragma once
// FlowMap: the connection tracker's table. Open addressing with linear probing in one flat
// array, so a lookup costs one or two cache lines instead of a bucket array plus a node per
// entry. Each slot keeps 32 bits of its key's hash, compared before the key itself.
// Erasing leaves a tombstone; the table is rebuilt (same size or doubled) when live entries
// plus tombstones pass 5/8 of the slots. Not thread-safe (one data-plane thread).

#include <cstddef>
#include <cstdint>
#include <vector>

#include "gquic/policy/conntrack_key.h"

namespace gquic::policy {

template <class Value>
class FlowMap {
 public:
  struct Slot {
    std::uint32_t tag = 0;    // high 32 bits of the hash
    std::uint8_t state = 0;   // empty, full, tombstone
    FlowKey key{};
    Value value{};
  };

  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }

  Value* find(const FlowKey& key) noexcept {
    Slot* s = find_slot(key);
    return s ? &s->value : nullptr;
  }

  // Inserts a key that is not in the map.
  Value& insert(const FlowKey& key, const Value& value) {
    if (slots_.empty() || (size_ + tombstones_ + 1) * 8 > slots_.size() * 5) grow();
    const std::uint64_t h = FlowKeyHash{}(key);
    for (std::size_t i = h & mask_;; i = (i + 1) & mask_) {
      Slot& s = slots_[i];
      if (s.state == kFull) continue;
      if (s.state == kTombstone) --tombstones_;
      s.tag = static_cast<std::uint32_t>(h >> 32);
      s.state = kFull;
      s.key = key;
      s.value = value;
      ++size_;
      return s.value;
    }
  }

  bool erase(const FlowKey& key) noexcept {
    Slot* s = find_slot(key);
    if (!s) return false;
    erase_slot(*s);
    return true;
  }

  // Erases every entry for which pred(key, value) holds; returns how many.
  template <class Pred>
  std::size_t erase_if(Pred pred) {
    std::size_t n = 0;
    for (Slot& s : slots_) {
      if (s.state == kFull && pred(s.key, s.value)) {
        erase_slot(s);
        ++n;
      }
    }
    return n;
  }

  // Erases one entry, walking the table from where the last eviction stopped.
  bool evict_one() noexcept {
    if (size_ == 0) return false;
    for (std::size_t n = 0; n < slots_.size(); ++n) {
      Slot& s = slots_[cursor_];
      cursor_ = (cursor_ + 1) & mask_;
      if (s.state == kFull) {
        erase_slot(s);
        return true;
      }
    }
    return false;
  }

  void clear() {
    slots_.clear();
    mask_ = 0;
    size_ = tombstones_ = cursor_ = 0;
  }

 private:
  static constexpr std::uint8_t kEmpty = 0, kFull = 1, kTombstone = 2;

  Slot* find_slot(const FlowKey& key) noexcept {
    if (slots_.empty()) return nullptr;
    const std::uint64_t h = FlowKeyHash{}(key);
    const auto tag = static_cast<std::uint32_t>(h >> 32);
    for (std::size_t i = h & mask_;; i = (i + 1) & mask_) {
      Slot& s = slots_[i];
      if (s.state == kEmpty) return nullptr;
      if (s.state == kFull && s.tag == tag && s.key == key) return &s;
    }
  }
  void erase_slot(Slot& s) noexcept {
    s.state = kTombstone;
    --size_;
    ++tombstones_;
  }
  void grow() {
    // Double when live entries fill over a quarter of the slots, else rebuild in place
    // (dropping tombstones).
    std::size_t cap = slots_.empty() ? 64 : slots_.size();
    if ((size_ + 1) * 4 > cap) cap *= 2;
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(cap, Slot{});
    mask_ = cap - 1;
    size_ = tombstones_ = cursor_ = 0;
    for (Slot& s : old) {
      if (s.state == kFull) insert(s.key, s.value);
    }
  }

  std::vector<Slot> slots_;
  std::size_t mask_ = 0;
  std::size_t size_ = 0;
  std::size_t tombstones_ = 0;
  std::size_t cursor_ = 0;
};

}  // namespace gquic::policy
