#include "gquic/mdns/dns_message.h"

#include <gtest/gtest.h>

#include "gquic/mdns/service.h"

namespace gquic::mdns {
namespace {

Message sample() {
  Name type({"_web", "_tcp", "local"});
  Name inst = Name::child("prod-v1 (2)", type);
  Name host({"box", "local"});
  Message m;
  m.id = 0;
  m.response = true;
  m.answers = {Record{type, RrType::ptr, false, 4500, PtrData{inst}},
               Record{inst, RrType::srv, true, 120, SrvData{0, 0, 8443, host}},
               Record{inst, RrType::txt, true, 4500, TxtData{{"ns=prod", "ver=v1"}}}};
  m.additionals = {Record{host, RrType::a, true, 120, AddressData{*IpAddress::parse("192.0.2.7")}},
                   Record{host, RrType::aaaa, true, 120, AddressData{*IpAddress::parse("2001:db8::7")}}};
  return m;
}

TEST(MdnsMessage, RoundTripsThroughLdns) {
  auto m = sample();
  auto bytes = serialize(m);
  ASSERT_TRUE(bytes);
  auto back = parse(*bytes);
  ASSERT_TRUE(back);
  EXPECT_TRUE(back->response);
  ASSERT_EQ(back->answers.size(), 3u);
  ASSERT_EQ(back->additionals.size(), 2u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_TRUE(back->answers[i].same_as(m.answers[i])) << i;
    EXPECT_EQ(back->answers[i].cache_flush, m.answers[i].cache_flush);
    EXPECT_EQ(back->answers[i].ttl, m.answers[i].ttl);
  }
  EXPECT_EQ(back->answers[1].name.labels[0], "prod-v1 (2)");
  Message q;
  q.questions.push_back(Question{Name::from_dotted("_web._tcp.local."), RrType::ptr, true});
  auto qb = serialize(q);
  ASSERT_TRUE(qb);
  auto qp = parse(*qb);
  ASSERT_TRUE(qp);
  EXPECT_FALSE(qp->response);
  ASSERT_EQ(qp->questions.size(), 1u);
  EXPECT_TRUE(qp->questions[0].unicast_response);
  EXPECT_EQ(qp->questions[0].type, RrType::ptr);
}

TEST(MdnsMessage, NamesCompareCaseInsensitively) {
  EXPECT_EQ(Name::from_dotted("_Web._TCP.local"), Name::from_dotted("_web._tcp.local."));
  EXPECT_NE(Name::from_dotted("a.local"), Name::from_dotted("b.local"));
  EXPECT_EQ(Name::from_dotted("x.y.local").to_string(), "x.y.local.");
}

TEST(MdnsMessage, RejectsTruncatedHugeCountsAndLoops) {
  auto bytes = *serialize(sample());
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_FALSE(parse(std::span(bytes.data(), n))) << n;
  }
  auto huge = bytes;
  huge[6] = 0xff;  // ancount 65k
  EXPECT_EQ(parse(huge).error(), make_error_code(Errc::malformed));
  // A question whose name is a pointer to itself.
  std::vector<std::uint8_t> loop{0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1};
  EXPECT_FALSE(parse(loop));
  // Two pointers to each other.
  std::vector<std::uint8_t> loop2{0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 14, 0xc0, 12, 0, 1, 0, 1};
  EXPECT_FALSE(parse(loop2));
  EXPECT_FALSE(parse(std::vector<std::uint8_t>(kMaxMessageSize + 1, 0)));
}

TEST(MdnsService, MapsTypesInstancesAndTxt) {
  ServiceInstance s{"web", "prod", "v1", "https", 443, "", {}, {{"zone", "a"}}, {"x", "y"}, ""};
  EXPECT_EQ(service_type(s)->to_string(), "_web._tcp.local.");
  s.protocol = "quic";
  EXPECT_EQ(service_type(s)->to_string(), "_web._udp.local.");
  EXPECT_EQ(instance_label(s), "prod-v1");
  s.version.clear();
  EXPECT_EQ(instance_label(s), "prod");
  s.version = "v1";
  auto txt = txt_strings(s);
  ServiceInstance back;
  back.protocol = "udp";
  apply_txt(back, txt);
  EXPECT_EQ(back.namespace_, "prod");
  EXPECT_EQ(back.version, "v1");
  EXPECT_EQ(back.protocol, "quic");
  EXPECT_EQ(back.metadata, s.metadata);
  EXPECT_EQ(back.tags, s.tags);
  ServiceInstance bare;
  apply_txt(bare, {"a=1", "a=2", "flag"});
  EXPECT_EQ(bare.namespace_, "lan");
  EXPECT_EQ(bare.metadata.at("a"), "1");
  EXPECT_EQ(bare.metadata.at("flag"), "");
  EXPECT_EQ(next_name("prod-v1"), "prod-v1 (2)");
  EXPECT_EQ(next_name("prod-v1 (2)"), "prod-v1 (3)");
  EXPECT_EQ(next_name("x (9)"), "x (10)");
  s.name = "a.b";
  EXPECT_FALSE(service_type(s));
}

}  // namespace
}  // namespace gquic::mdns
