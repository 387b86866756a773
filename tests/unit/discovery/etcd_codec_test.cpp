#include "gquic/discovery/etcd_codec.h"

#include <gtest/gtest.h>

namespace gquic::discovery::etcd {
namespace {

TEST(EtcdCodec, Base64RoundTrip) {
  for (const std::string& s : std::vector<std::string>{"", "f", "fo", "foo", "foob", "fooba", "foobar", std::string("\0\xff\x10", 3)}) {
    auto d = base64_decode(base64_encode(s));
    ASSERT_TRUE(d);
    EXPECT_EQ(*d, s);
  }
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_FALSE(base64_decode("Zm9v!"));
}

TEST(EtcdCodec, KeysAndRanges) {
  EXPECT_EQ(service_key("/p", {"web", "prod", "v1"}), "/p/services/prod/web/v1");
  EXPECT_EQ(range_end("/p/"), "/p0");
  auto id = id_from_key("/p", "/p/services/prod/web/v1");
  ASSERT_TRUE(id);
  EXPECT_EQ(*id, (ServiceId{"web", "prod", "v1"}));
  EXPECT_FALSE(id_from_key("/p", "/q/services/prod/web/v1"));
  EXPECT_FALSE(id_from_key("/p", "/p/services/prod/web"));
}

TEST(EtcdCodec, ParsesGatewayAnswers) {
  EXPECT_EQ(*parse_lease_grant(R"({"header":{},"ID":"7587862","TTL":"10"})"), 7587862);
  EXPECT_FALSE(parse_lease_grant(R"({"error":"x"})"));
  EXPECT_EQ(*parse_keepalive(R"({"result":{"ID":"1","TTL":"9"}})"), 9);
  EXPECT_EQ(*parse_keepalive(R"({"result":{"ID":"1"}})"), 0);
  auto r = parse_range(R"({"header":{"revision":"12"},"kvs":[{"key":"L3Avc2VydmljZXMvYS9iL3Yx","value":"e30="}]})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->revision, 12);
  ASSERT_EQ(r->kvs.size(), 1u);
  EXPECT_EQ(r->kvs[0].key, "/p/services/a/b/v1");
  EXPECT_EQ(r->kvs[0].value, "{}");
  auto w = parse_watch_message(
      R"({"result":{"header":{"revision":"13"},"events":[{"type":"DELETE","kv":{"key":"L3A="}},{"kv":{"key":"L3A=","value":"eA=="}}]}})");
  ASSERT_TRUE(w);
  ASSERT_EQ(w->events.size(), 2u);
  EXPECT_TRUE(w->events[0].deleted);
  EXPECT_FALSE(w->events[1].deleted);
  EXPECT_EQ(w->events[1].kv.value, "x");
  EXPECT_FALSE(parse_watch_message("garbage"));
}

}  // namespace
}  // namespace gquic::discovery::etcd
