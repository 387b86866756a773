#include "gquic/core/error.h"

#include <gtest/gtest.h>

#include <memory>

namespace gquic {
namespace {

Result<int> parse_digit(char c) {
  if (c < '0' || c > '9') return Errc::malformed;
  return c - '0';
}

TEST(Result, CarriesValueOrError) {
  auto ok = parse_digit('7');
  ASSERT_TRUE(ok);
  EXPECT_EQ(*ok, 7);
  EXPECT_FALSE(ok.error());

  auto bad = parse_digit('x');
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error(), Errc::malformed);
  EXPECT_EQ(bad.error().category().name(), std::string("gquic"));
  EXPECT_EQ(bad.error().message(), "malformed input");
}

TEST(Result, HoldsMoveOnlyValues) {
  Result<std::unique_ptr<int>> r(std::make_unique<int>(5));
  ASSERT_TRUE(r);
  std::unique_ptr<int> p = std::move(r).value();
  EXPECT_EQ(*p, 5);
}

TEST(Result, VoidResult) {
  Result<void> ok;
  EXPECT_TRUE(ok);
  Result<void> bad = std::error_code(EADDRINUSE, std::system_category());
  EXPECT_FALSE(bad);
  EXPECT_EQ(bad.error(), std::errc::address_in_use);
}

TEST(Errc, EveryCodeHasAMessage) {
  for (int c = 0; c <= static_cast<int>(Errc::message_too_large); ++c) {
    EXPECT_EQ(make_error_code(static_cast<Errc>(c)).message().find("unknown"), std::string::npos);
  }
}

}  // namespace
}  // namespace gquic
