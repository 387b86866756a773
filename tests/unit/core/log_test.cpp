#include "gquic/core/log.h"

#include <gtest/gtest.h>

namespace gquic {
namespace {

TEST(Log, PerModuleLevels) {
  ASSERT_TRUE(log::configure("warn,udp=debug"));
  EXPECT_EQ(log::get("udp")->level(), spdlog::level::debug);
  EXPECT_EQ(log::get("quic")->level(), spdlog::level::warn);
  ASSERT_TRUE(log::configure("quic=trace"));
  EXPECT_EQ(log::get("quic")->level(), spdlog::level::trace);
  EXPECT_EQ(log::get("udp").get(), log::get("udp").get());
}

TEST(Log, RejectsUnknownLevelsWithoutChangingAnything) {
  ASSERT_TRUE(log::configure("info"));
  EXPECT_FALSE(log::configure("loud"));
  EXPECT_FALSE(log::configure("info,udp=verbose"));
  EXPECT_FALSE(log::configure("=debug"));
  EXPECT_EQ(log::get("core")->level(), spdlog::level::info);
}

}  // namespace
}  // namespace gquic
