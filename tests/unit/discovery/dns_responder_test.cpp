#include "gquic/discovery/dns_responder.h"

#include <algorithm>

#include <gtest/gtest.h>

#include "dns_test_util.h"
#include "test_services.h"

namespace gquic::discovery {
namespace {

using namespace std::chrono_literals;
using test::make_query;
using test::parse;
using test::rdata;

const TimePoint t0{std::chrono::seconds(5000)};

class DnsResponderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto web = test::make_service("web", "prod", {}, "192.0.2.1:8080");
    web.endpoints[0].weight = 7;
    web.endpoints.push_back(Endpoint{.address = "[2001:db8::1]:8443", .weight = 3});
    web.endpoints.push_back(Endpoint{.address = "192.0.2.9:9", .health = Health::unhealthy});
    web.metadata = {{"team", "edge"}};
    web.ttl = 20s;
    ASSERT_TRUE(reg.register_service(web, t0));
    auto down = test::make_service("down", "prod");
    down.endpoints[0].health = Health::unhealthy;
    ASSERT_TRUE(reg.register_service(down, t0));
  }
  Result<std::vector<std::uint8_t>> ask(const std::string& name, ldns_rr_type t,
                                        DnsTransport tr = DnsTransport::udp,
                                        std::uint16_t edns = 0, TimePoint now = t0) {
    return dns.answer(make_query(name, t, edns), tr, now);
  }
  ServiceRegistry reg;
  DnsResponder dns{reg};
};

TEST_F(DnsResponderTest, SrvWithWeightsPortsAndAddresses) {
  auto a = ask("web.prod.svc.gquic.", LDNS_RR_TYPE_SRV, DnsTransport::udp, 0, t0 + 5s);
  ASSERT_TRUE(a);
  auto p = parse(*a);
  ASSERT_TRUE(p.get());
  EXPECT_EQ(ldns_pkt_id(p.get()), 4242);
  EXPECT_TRUE(ldns_pkt_qr(p.get()));
  EXPECT_TRUE(ldns_pkt_aa(p.get()));
  EXPECT_EQ(ldns_pkt_get_rcode(p.get()), LDNS_RCODE_NOERROR);
  EXPECT_EQ(rdata(ldns_pkt_answer(p.get()), LDNS_RR_TYPE_SRV),
            (std::vector<std::string>{"0 3 8443 2001-db8--1.web.prod.svc.gquic.",
                                      "0 7 8080 192-0-2-1.web.prod.svc.gquic."}));
  EXPECT_EQ(rdata(ldns_pkt_additional(p.get()), LDNS_RR_TYPE_A),
            (std::vector<std::string>{"192.0.2.1"}));
  EXPECT_EQ(rdata(ldns_pkt_additional(p.get()), LDNS_RR_TYPE_AAAA),
            (std::vector<std::string>{"2001:db8::1"}));
  // TTL: the registration's remaining lifetime (20 s - 5 s).
  EXPECT_EQ(ldns_rr_ttl(ldns_rr_list_rr(ldns_pkt_answer(p.get()), 0)), 15u);
}

TEST_F(DnsResponderTest, AAndAaaaOfHealthyEndpointsOnly) {
  auto p = parse(*ask("WEB.prod.svc.gquic.", LDNS_RR_TYPE_A));
  EXPECT_EQ(rdata(ldns_pkt_answer(p.get()), LDNS_RR_TYPE_A), (std::vector<std::string>{"192.0.2.1"}));
  p = parse(*ask("web.prod.svc.gquic.", LDNS_RR_TYPE_AAAA));
  EXPECT_EQ(rdata(ldns_pkt_answer(p.get()), LDNS_RR_TYPE_AAAA),
            (std::vector<std::string>{"2001:db8::1"}));
  p = parse(*ask("192-0-2-1.web.prod.svc.gquic.", LDNS_RR_TYPE_A));
  EXPECT_EQ(rdata(ldns_pkt_answer(p.get()), LDNS_RR_TYPE_A), (std::vector<std::string>{"192.0.2.1"}));
  EXPECT_EQ(ldns_pkt_get_rcode(parse(*ask("1-1-1-1.web.prod.svc.gquic.", LDNS_RR_TYPE_A)).get()),
            LDNS_RCODE_NXDOMAIN);
}

TEST_F(DnsResponderTest, TxtCarriesMetadata) {
  auto p = parse(*ask("web.prod.svc.gquic.", LDNS_RR_TYPE_TXT));
  EXPECT_EQ(rdata(ldns_pkt_answer(p.get()), LDNS_RR_TYPE_TXT),
            (std::vector<std::string>{"\"version=v1\" \"team=edge\""}));
}

TEST_F(DnsResponderTest, NxdomainNodataRefused) {
  auto p = parse(*ask("nope.prod.svc.gquic.", LDNS_RR_TYPE_SRV));
  EXPECT_EQ(ldns_pkt_get_rcode(p.get()), LDNS_RCODE_NXDOMAIN);
  ASSERT_EQ(ldns_rr_list_rr_count(ldns_pkt_authority(p.get())), 1u);
  EXPECT_EQ(ldns_rr_get_type(ldns_rr_list_rr(ldns_pkt_authority(p.get()), 0)), LDNS_RR_TYPE_SOA);
  EXPECT_EQ(ldns_rr_ttl(ldns_rr_list_rr(ldns_pkt_authority(p.get()), 0)), 5u);
  // Known but without healthy endpoints: NODATA.
  p = parse(*ask("down.prod.svc.gquic.", LDNS_RR_TYPE_A));
  EXPECT_EQ(ldns_pkt_get_rcode(p.get()), LDNS_RCODE_NOERROR);
  EXPECT_EQ(ldns_pkt_ancount(p.get()), 0);
  EXPECT_EQ(ldns_pkt_nscount(p.get()), 1);
  p = parse(*ask("web.prod.svc.gquic.", LDNS_RR_TYPE_MX));
  EXPECT_EQ(ldns_pkt_get_rcode(p.get()), LDNS_RCODE_NOERROR);
  EXPECT_EQ(ldns_pkt_ancount(p.get()), 0);
  p = parse(*ask("example.com.", LDNS_RR_TYPE_A));
  EXPECT_EQ(ldns_pkt_get_rcode(p.get()), LDNS_RCODE_REFUSED);
  p = parse(*ask("svc.gquic.", LDNS_RR_TYPE_A));
  EXPECT_EQ(ldns_pkt_get_rcode(p.get()), LDNS_RCODE_REFUSED);
  p = parse(*ask("a.b.c.d.svc.gquic.", LDNS_RR_TYPE_A));
  EXPECT_EQ(ldns_pkt_get_rcode(p.get()), LDNS_RCODE_NXDOMAIN);
  EXPECT_EQ(dns.stats().nxdomain, 2u);
  EXPECT_EQ(dns.stats().refused, 2u);
}

TEST_F(DnsResponderTest, ExpiredServiceIsGone) {
  reg.handle_timeout(t0 + 21s);
  auto p = parse(*ask("web.prod.svc.gquic.", LDNS_RR_TYPE_SRV, DnsTransport::udp, 0, t0 + 21s));
  EXPECT_EQ(ldns_pkt_get_rcode(p.get()), LDNS_RCODE_NXDOMAIN);
}

TEST_F(DnsResponderTest, LargeAnswersTruncateOverUdpOnly) {
  auto big = test::make_service("big", "prod");
  big.endpoints.clear();
  for (int i = 1; i <= 30; ++i) {
    big.endpoints.push_back(Endpoint{.address = "198.51.100." + std::to_string(i) + ":443"});
  }
  ASSERT_TRUE(reg.register_service(big, t0));
  auto udp = parse(*ask("big.prod.svc.gquic.", LDNS_RR_TYPE_SRV));
  EXPECT_TRUE(ldns_pkt_tc(udp.get()));
  EXPECT_EQ(ldns_pkt_ancount(udp.get()), 0);
  EXPECT_EQ(ldns_pkt_qdcount(udp.get()), 1);
  auto tcp = parse(*ask("big.prod.svc.gquic.", LDNS_RR_TYPE_SRV, DnsTransport::tcp));
  EXPECT_FALSE(ldns_pkt_tc(tcp.get()));
  EXPECT_EQ(ldns_pkt_ancount(tcp.get()), 30);
  // A client advertising a large EDNS0 buffer gets it all over UDP.
  auto edns = parse(*ask("big.prod.svc.gquic.", LDNS_RR_TYPE_SRV, DnsTransport::udp, 4096));
  EXPECT_FALSE(ldns_pkt_tc(edns.get()));
  EXPECT_EQ(ldns_pkt_ancount(edns.get()), 30);
  EXPECT_EQ(dns.stats().truncated, 1u);
}

TEST_F(DnsResponderTest, MalformedQueries) {
  std::vector<std::uint8_t> tiny{1, 2, 3};
  EXPECT_FALSE(dns.answer(tiny, DnsTransport::udp, t0));
  auto q = make_query("web.prod.svc.gquic.", LDNS_RR_TYPE_A);
  q[2] |= 0x80;  // a response
  EXPECT_FALSE(dns.answer(q, DnsTransport::udp, t0));
  q = make_query("web.prod.svc.gquic.", LDNS_RR_TYPE_A);
  q.resize(q.size() - 3);  // cut inside the question
  auto r = dns.answer(q, DnsTransport::udp, t0);
  ASSERT_TRUE(r);
  EXPECT_EQ(ldns_pkt_get_rcode(parse(*r).get()), LDNS_RCODE_FORMERR);
  q = make_query("web.prod.svc.gquic.", LDNS_RR_TYPE_A);
  q[5] = 2;  // qdcount 2 with one question
  r = dns.answer(q, DnsTransport::udp, t0);
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)[3] & 0x0f, LDNS_RCODE_FORMERR);
  EXPECT_EQ(dns.stats().dropped[0] + dns.stats().dropped[1], 2u);
}

TEST(DnsHostLabel, Forms) {
  EXPECT_EQ(dns_host_label("10.1.2.3:80"), "10-1-2-3");
  EXPECT_EQ(dns_host_label("[2001:db8::5]:80"), "2001-db8--5");
  EXPECT_EQ(dns_host_label("bad"), "");
}

}  // namespace
}  // namespace gquic::discovery
