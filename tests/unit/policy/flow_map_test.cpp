// FlowMap against std::map under random inserts, erases, evictions and sweeps: tombstone
// churn and rebuilds must never lose or invent an entry.
#include <map>
#include <random>
#include <tuple>

#include <gtest/gtest.h>

#include "gquic/policy/flow_map.h"

namespace gquic::policy {
namespace {

FlowKey key_of(std::uint32_t n) {
  return FlowKey{IpAddress::v4(0x0a000000u + (n % 97)), IpAddress::v4(0x0b000000u + n / 97),
                 static_cast<std::uint16_t>(n), 80, 6};
}

TEST(FlowMap, MatchesAReferenceMapUnderChurn) {
  FlowMap<std::uint32_t> map;
  std::map<std::uint32_t, std::uint32_t> ref;
  std::mt19937 rng(7);
  for (int step = 0; step < 200'000; ++step) {
    const std::uint32_t n = rng() % 5'000;
    const FlowKey k = key_of(n);
    switch (rng() % 8) {
      case 0:
      case 1:
      case 2:
        if (!ref.count(n)) {
          map.insert(k, n * 3);
          ref[n] = n * 3;
        }
        break;
      case 3:
      case 4:
        EXPECT_EQ(map.erase(k), ref.erase(n) == 1);
        break;
      case 5: {
        const std::uint32_t* v = map.find(k);
        ASSERT_EQ(v != nullptr, ref.count(n) == 1) << n;
        if (v) EXPECT_EQ(*v, ref[n]);
        break;
      }
      case 6:
        if (step % 97 == 0) {
          const std::size_t before = map.size();
          ASSERT_EQ(map.evict_one(), before > 0);
          // Find which entry went.
          for (auto it = ref.begin(); it != ref.end(); ++it) {
            if (!map.find(key_of(it->first))) {
              ref.erase(it);
              break;
            }
          }
        }
        break;
      default:
        if (step % 1'000 == 0) {
          const auto n_erased = map.erase_if(
              [](const FlowKey&, std::uint32_t v) { return v % 2 == 0; });
          std::size_t ref_erased = std::erase_if(ref, [](const auto& e) { return e.second % 2 == 0; });
          EXPECT_EQ(n_erased, ref_erased);
        }
        break;
    }
    ASSERT_EQ(map.size(), ref.size());
  }
  for (const auto& [n, v] : ref) {
    const std::uint32_t* got = map.find(key_of(n));
    ASSERT_NE(got, nullptr);
    EXPECT_EQ(*got, v);
  }
  map.clear();
  EXPECT_EQ(map.find(key_of(1)), nullptr);
  EXPECT_FALSE(map.evict_one());
}

TEST(FlowMap, KeysDifferingOnlyInFamilyOrPortAreDistinct) {
  FlowMap<int> map;
  const FlowKey a{IpAddress::v4(1), IpAddress::v4(2), 1, 2, 6};
  FlowKey b = a;
  b.src_port = 3;
  FlowKey c = a;
  c.protocol = 17;
  map.insert(a, 1);
  map.insert(b, 2);
  map.insert(c, 3);
  EXPECT_EQ(*map.find(a), 1);
  EXPECT_EQ(*map.find(b), 2);
  EXPECT_EQ(*map.find(c), 3);
  EXPECT_EQ(map.find(a.reversed()), nullptr);
}

}  // namespace
}  // namespace gquic::policy
