// The DNS interface answering the real `dig` over UDP and TCP on 127.0.0.1.
#include <algorithm>
#include <filesystem>
#include <sstream>

#include <boost/asio/ip/udp.hpp>

#include <gtest/gtest.h>

#include "agent_fixture.h"

namespace gquic::discovery {
namespace {

using test::AgentFixture;

std::vector<std::string> lines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);) {
    if (!l.empty()) out.push_back(l);
  }
  std::sort(out.begin(), out.end());
  return out;
}

class DnsDigTest : public AgentFixture {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists("/usr/bin/dig")) {
      GTEST_SKIP() << "***** /usr/bin/dig is missing (Debian dnsutils): DNS interface NOT tested *****";
    }
    AgentFixture::SetUp();
    on_agent([this] {
      ServiceInfo web;
      web.id = {"web", "production", "v1"};
      web.endpoints = {Endpoint{.address = "10.0.0.1:8080", .weight = 10},
                       Endpoint{.address = "[fd00::1]:8443", .weight = 5},
                       Endpoint{.address = "10.0.0.9:8080", .health = Health::unhealthy}};
      web.metadata = {{"team", "edge"}};
      web.ttl = std::chrono::seconds(3600);
      EXPECT_TRUE(manager->register_service(web));
      ServiceInfo big;
      big.id = {"big", "production", "v1"};
      for (int i = 1; i <= 40; ++i) {
        big.endpoints.push_back(Endpoint{.address = "10.1.0." + std::to_string(i) + ":443"});
      }
      EXPECT_TRUE(manager->register_service(big));
      return 0;
    });
  }
};

TEST_F(DnsDigTest, SrvAAaaaTxt) {
  EXPECT_EQ(lines(dig("web.production.svc.gquic SRV +short")),
            (std::vector<std::string>{"0 10 8080 10-0-0-1.web.production.svc.gquic.",
                                      "0 5 8443 fd00--1.web.production.svc.gquic."}));
  EXPECT_EQ(lines(dig("web.production.svc.gquic A +short")), (std::vector<std::string>{"10.0.0.1"}));
  EXPECT_EQ(lines(dig("web.production.svc.gquic AAAA +short")), (std::vector<std::string>{"fd00::1"}));
  EXPECT_EQ(lines(dig("10-0-0-1.web.production.svc.gquic A +short")),
            (std::vector<std::string>{"10.0.0.1"}));
  EXPECT_EQ(lines(dig("web.production.svc.gquic TXT +short")),
            (std::vector<std::string>{"\"version=v1\" \"team=edge\""}));
  // Over TCP too.
  EXPECT_EQ(lines(dig("+tcp web.production.svc.gquic A +short")), (std::vector<std::string>{"10.0.0.1"}));
  // The SRV answer's additional section carries the targets' addresses, with the TTL capped.
  const std::string full = dig("web.production.svc.gquic SRV +noall +answer +additional");
  EXPECT_NE(full.find("10-0-0-1.web.production.svc.gquic. 30 IN A\t10.0.0.1"), std::string::npos) << full;
}

TEST_F(DnsDigTest, NxdomainAndRefused) {
  EXPECT_NE(dig("nope.production.svc.gquic SRV").find("status: NXDOMAIN"), std::string::npos);
  EXPECT_NE(dig("example.com A").find("status: REFUSED"), std::string::npos);
  EXPECT_NE(dig("web.production.svc.gquic MX").find("status: NOERROR"), std::string::npos);
}

TEST_F(DnsDigTest, LargeAnswerTruncatesToTcp) {
  // Without EDNS and without TCP fallback: the UDP answer has TC set and no records.
  const std::string udp = dig("+noedns +ignore big.production.svc.gquic SRV");
  EXPECT_NE(udp.find(" tc"), std::string::npos) << udp;
  EXPECT_NE(udp.find("ANSWER: 0"), std::string::npos) << udp;
  // dig retries over TCP on TC and gets all 40.
  EXPECT_EQ(lines(dig("+noedns big.production.svc.gquic SRV +short")).size(), 40u);
  const auto stats = on_agent([this] { return manager->stats().dns.truncated; });
  EXPECT_GE(stats, 2u);
}

TEST_F(DnsDigTest, MalformedDatagramsAreDroppedAndCounted) {
  // Raw garbage at the UDP port; then the server still answers dig.
  boost::asio::io_context io2;
  boost::asio::ip::udp::socket s(io2, boost::asio::ip::udp::v4());
  const boost::asio::ip::udp::endpoint to(boost::asio::ip::make_address("127.0.0.1"), dns_addr.port());
  const std::string junk = "xyz";
  s.send_to(boost::asio::buffer(junk), to);
  EXPECT_EQ(lines(dig("web.production.svc.gquic A +short")), (std::vector<std::string>{"10.0.0.1"}));
  EXPECT_EQ(on_agent([this] { return manager->stats().dns.dropped[0]; }), 1u);
}

}  // namespace
}  // namespace gquic::discovery
