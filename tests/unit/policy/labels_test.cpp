#include "gquic/policy/cidr.h"
#include "gquic/policy/labels.h"

#include <gtest/gtest.h>

namespace gquic::policy {
namespace {

TEST(PolicyLabels, EmptySelectorMatchesEverything) {
  EXPECT_TRUE(LabelSelector{}.matches({}));
  EXPECT_TRUE(LabelSelector{}.matches({{"a", "b"}}));
}

TEST(PolicyLabels, MatchLabelsNeedsEveryPair) {
  auto s = match_labels({{"app", "web"}, {"tier", "fe"}});
  EXPECT_TRUE(s.matches({{"app", "web"}, {"tier", "fe"}, {"x", "y"}}));
  EXPECT_FALSE(s.matches({{"app", "web"}}));
  EXPECT_FALSE(s.matches({{"app", "web"}, {"tier", "be"}}));
}

TEST(PolicyLabels, Expressions) {
  LabelSelector in{{}, {{"env", SelectorOp::in, {"prod", "stage"}}}};
  EXPECT_TRUE(in.matches({{"env", "prod"}}));
  EXPECT_FALSE(in.matches({{"env", "dev"}}));
  EXPECT_FALSE(in.matches({}));
  LabelSelector not_in{{}, {{"env", SelectorOp::not_in, {"prod"}}}};
  EXPECT_TRUE(not_in.matches({}));  // absent key satisfies NotIn
  EXPECT_TRUE(not_in.matches({{"env", "dev"}}));
  EXPECT_FALSE(not_in.matches({{"env", "prod"}}));
  LabelSelector exists{{}, {{"env", SelectorOp::exists, {}}}};
  EXPECT_TRUE(exists.matches({{"env", ""}}));
  EXPECT_FALSE(exists.matches({}));
  LabelSelector absent{{}, {{"env", SelectorOp::does_not_exist, {}}}};
  EXPECT_TRUE(absent.matches({}));
  EXPECT_FALSE(absent.matches({{"env", "x"}}));
}

TEST(PolicyLabels, CanonicalIgnoresOrderButNotContent) {
  LabelSelector a{{}, {{"k", SelectorOp::in, {"b", "a"}}, {"j", SelectorOp::exists, {}}}};
  LabelSelector b{{}, {{"j", SelectorOp::exists, {}}, {"k", SelectorOp::in, {"a", "b"}}}};
  EXPECT_EQ(a.canonical(), b.canonical());
  EXPECT_NE(match_labels({{"a", "b;c=d"}}).canonical(),
            match_labels({{"a", "b"}, {"c", "d"}}).canonical());
}

TEST(PolicyCidr, ParseAndContains) {
  auto c = Cidr::parse("10.1.2.3/16");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->to_string(), "10.1.0.0/16");
  EXPECT_TRUE(c->contains(*IpAddress::parse("10.1.255.1")));
  EXPECT_FALSE(c->contains(*IpAddress::parse("10.2.0.1")));
  EXPECT_FALSE(c->contains(*IpAddress::parse("::1")));
  auto v6 = Cidr::parse("2001:db8::/33");
  ASSERT_TRUE(v6);
  EXPECT_TRUE(v6->contains(*IpAddress::parse("2001:db8:7fff::1")));
  EXPECT_FALSE(v6->contains(*IpAddress::parse("2001:db8:8000::1")));
  EXPECT_TRUE(Cidr::parse("0.0.0.0/0")->contains(*IpAddress::parse("8.8.8.8")));
  for (const char* bad : {"10.0.0.0", "10.0.0.0/33", "10.0.0.0/", "x/8", "10.0.0.0/8x", "::/129"}) {
    EXPECT_FALSE(Cidr::parse(bad)) << bad;
  }
}

}  // namespace
}  // namespace gquic::policy
