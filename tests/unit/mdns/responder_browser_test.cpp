// The mDNS responder and browser on literal time and on a simulated LAN (mdns_sim.h).
#include <gtest/gtest.h>

#include "unit/mdns/mdns_sim.h"

namespace gquic::mdns {
namespace {

using namespace std::chrono_literals;
const TimePoint t0{std::chrono::seconds(1000)};

ServiceInstance web() {
  ServiceInstance s;
  s.name = "web";
  s.namespace_ = "prod";
  s.version = "v1";
  s.protocol = "https";
  s.port = 8443;
  s.metadata = {{"zone", "a"}};
  s.tags = {"canary"};
  return s;
}

ResponderConfig rconf(const char* host, std::uint32_t ip, std::uint64_t seed) {
  ResponderConfig c;
  c.host = host;
  c.addresses = {IpAddress::v4(ip)};
  c.seed = seed;
  return c;
}

std::vector<Message> drain(MdnsResponder& r) {
  std::vector<Message> out;
  while (auto t = r.poll_transmit()) out.push_back(*parse(t->bytes));
  return out;
}

TEST(MdnsResponder, ProbesThreeTimesThenAnnouncesTwice) {
  MdnsResponder r(rconf("box", 0xC0A80001u, 1));
  auto id = r.register_service(t0, web());
  ASSERT_TRUE(id);
  std::vector<TimePoint> probe_times, announce_times;
  TimePoint now = t0;
  for (int i = 0; i < 10; ++i) {
    auto dl = r.next_deadline();
    if (!dl) break;
    now = *dl;
    r.handle_timeout(now);
    for (auto& m : drain(r)) {
      if (!m.response) {
        ASSERT_EQ(m.questions.size(), 1u);
        EXPECT_EQ(m.questions[0].name.to_string(), "prod-v1._web._tcp.local.");
        EXPECT_EQ(m.questions[0].type, RrType::any);
        EXPECT_EQ(m.authorities.size(), 2u);  // SRV + TXT proposed
        probe_times.push_back(now);
      } else {
        announce_times.push_back(now);
        bool flush_ok = true;
        for (const auto& a : m.answers) flush_ok &= a.cache_flush == (a.type != RrType::ptr);
        EXPECT_TRUE(flush_ok);
        EXPECT_EQ(m.answers.size(), 5u);  // PTR, SRV, TXT, services PTR, A
      }
    }
  }
  ASSERT_EQ(probe_times.size(), 3u);
  EXPECT_EQ(probe_times[1] - probe_times[0], 250ms);
  EXPECT_EQ(probe_times[2] - probe_times[1], 250ms);
  EXPECT_LE(probe_times[0] - t0, 250ms);
  ASSERT_EQ(announce_times.size(), 2u);
  EXPECT_EQ(announce_times[1] - announce_times[0], 1s);
  EXPECT_TRUE(r.announced(*id));
  auto e = r.poll_event();
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, ResponderEvent::Kind::registered);
  EXPECT_EQ(e->instance, "prod-v1");
}

struct Announced {
  MdnsResponder r{rconf("box", 0xC0A80001u, 1)};
  std::uint64_t id = 0;
  TimePoint now = t0;
  Announced() {
    id = *r.register_service(t0, web());
    for (int i = 0; i < 10 && r.next_deadline(); ++i) {
      now = *r.next_deadline();
      r.handle_timeout(now);
    }
    drain(r);
  }
};

TEST(MdnsResponder, AnswersPtrWithAdditionalsAfterADelayAndSuppressesKnownAnswers) {
  Announced a;
  SocketAddress asker(IpAddress::v4(0xC0A80002u), kMdnsPort);
  Message q;
  q.questions.push_back(Question{Name::from_dotted("_web._tcp.local"), RrType::ptr, false});
  a.r.handle_datagram(a.now, asker, *serialize(q));
  EXPECT_TRUE(drain(a.r).empty());  // shared answer: 20-120 ms later
  auto dl = a.r.next_deadline();
  ASSERT_TRUE(dl);
  EXPECT_GE(*dl - a.now, 20ms);
  EXPECT_LE(*dl - a.now, 120ms);
  a.r.handle_timeout(*dl);
  auto out = drain(a.r);
  ASSERT_EQ(out.size(), 1u);
  ASSERT_EQ(out[0].answers.size(), 1u);
  EXPECT_EQ(out[0].answers[0].type, RrType::ptr);
  EXPECT_EQ(out[0].additionals.size(), 3u);  // SRV, TXT, A
  // The same question with the PTR as a known answer (full TTL): nothing is sent.
  q.answers.push_back(out[0].answers[0]);
  a.r.handle_datagram(*dl, asker, *serialize(q));
  a.r.handle_timeout(*dl + 200ms);
  EXPECT_TRUE(drain(a.r).empty());
  EXPECT_EQ(a.r.stats().suppressed, 1u);
}

TEST(MdnsResponder, UnicastAndLegacyQueriesGetUnicastReplies) {
  Announced a;
  Message q;
  q.id = 77;
  q.questions.push_back(Question{Name::from_dotted("prod-v1._web._tcp.local"), RrType::srv, true});
  SocketAddress asker(IpAddress::v4(0xC0A80002u), kMdnsPort);
  a.r.handle_datagram(a.now, asker, *serialize(q));
  a.r.handle_timeout(a.now);
  auto t = a.r.poll_transmit();
  ASSERT_TRUE(t);
  EXPECT_FALSE(t->multicast);
  EXPECT_EQ(t->destination, asker);
  SocketAddress legacy(IpAddress::v4(0xC0A80002u), 40000);
  q.questions[0].unicast_response = false;
  a.r.handle_datagram(a.now, legacy, *serialize(q));
  t = a.r.poll_transmit();
  ASSERT_TRUE(t);
  EXPECT_EQ(t->destination, legacy);
  auto m = *parse(t->bytes);
  EXPECT_EQ(m.id, 77);
  EXPECT_EQ(m.questions.size(), 1u);
  for (const auto& r : m.answers) {
    EXPECT_FALSE(r.cache_flush);
    EXPECT_LE(r.ttl, 10u);
  }
}

TEST(MdnsResponder, DeregistrationSendsGoodbye) {
  Announced a;
  ASSERT_TRUE(a.r.deregister_service(a.now, a.id));
  auto out = drain(a.r);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].answers.size(), 3u);
  for (const auto& r : out[0].answers) EXPECT_EQ(r.ttl, 0u);
  EXPECT_FALSE(a.r.deregister_service(a.now, a.id));
}

TEST(MdnsResponder, BadPacketsAreDroppedAndCounted) {
  MdnsResponder r(rconf("box", 0xC0A80001u, 1));
  SocketAddress from(IpAddress::v4(0xC0A80002u), kMdnsPort);
  r.handle_datagram(t0, from, std::vector<std::uint8_t>{1, 2, 3});
  r.handle_datagram(t0, from, std::vector<std::uint8_t>{0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 1});
  r.handle_datagram(t0, from, std::vector<std::uint8_t>(kMaxMessageSize + 1));
  EXPECT_EQ(r.stats().drops_by(DropReason::malformed), 2u);
  EXPECT_EQ(r.stats().drops_by(DropReason::too_large), 1u);
}

TEST(MdnsLan, BrowserDiscoversServiceAndSeesItLeave) {
  sim::Lan lan;
  auto pub = lan.add(rconf("box", 0xC0A80001u, 1), BrowserConfig{});
  auto sub = lan.add(rconf("other", 0xC0A80002u, 2), BrowserConfig{});
  auto id = lan.node(pub).responder->register_service(lan.now(), web());
  ASSERT_TRUE(id);
  ASSERT_TRUE(lan.node(sub).browser->browse(lan.now(), Name::from_dotted("_web._tcp.local")));
  lan.run_for(5s);
  auto services = lan.node(sub).browser->services();
  ASSERT_EQ(services.size(), 1u);
  const auto& s = services[0];
  EXPECT_EQ(s.instance, "prod-v1");
  EXPECT_EQ(s.name, "web");
  EXPECT_EQ(s.namespace_, "prod");
  EXPECT_EQ(s.version, "v1");
  EXPECT_EQ(s.protocol, "https");
  EXPECT_EQ(s.port, 8443);
  EXPECT_EQ(s.host, "box");
  ASSERT_EQ(s.addresses.size(), 1u);
  EXPECT_EQ(s.addresses[0], IpAddress::v4(0xC0A80001u));
  EXPECT_EQ(s.tags, std::vector<std::string>{"canary"});
  EXPECT_EQ(s.metadata.at("zone"), "a");
  ASSERT_FALSE(lan.node(sub).browser_events.empty());
  EXPECT_EQ(lan.node(sub).browser_events[0].kind, BrowserEvent::Kind::appeared);
  ASSERT_TRUE(lan.node(pub).responder->deregister_service(lan.now(), *id));
  lan.run_for(3s);
  EXPECT_TRUE(lan.node(sub).browser->services().empty());
  EXPECT_EQ(lan.node(sub).browser_events.back().kind, BrowserEvent::Kind::left);
}

TEST(MdnsLan, CacheIsRefreshedBeforeExpiryAndExpiresWhenTheResponderIsGone) {
  sim::Lan lan;
  ResponderConfig rc = rconf("box", 0xC0A80001u, 1);
  rc.host_ttl = 10;  // short TTLs: refreshes at 8, 8.5, 9, 9.5 s
  rc.other_ttl = 20;
  auto pub = lan.add(rc, BrowserConfig{});
  auto sub = lan.add(rconf("other", 0xC0A80002u, 2), BrowserConfig{});
  (void)lan.node(pub).responder->register_service(lan.now(), web());
  ASSERT_TRUE(lan.node(sub).browser->browse(lan.now(), Name::from_dotted("_web._tcp.local")));
  lan.run_for(5s);
  ASSERT_EQ(lan.node(sub).browser->services().size(), 1u);
  lan.run_for(60s);  // three SRV lifetimes: kept alive by refresh queries
  EXPECT_EQ(lan.node(sub).browser->services().size(), 1u);
  EXPECT_GT(lan.node(pub).responder->stats().answers, 3u);
  // The responder vanishes without goodbye: SRV expires at its TTL.
  lan.filter = [&](std::size_t to, const std::vector<std::uint8_t>&) { return to != pub; };
  lan.node(pub).responder = std::make_unique<MdnsResponder>(rc);
  lan.run_for(30s);
  EXPECT_TRUE(lan.node(sub).browser->services().empty());
}

TEST(MdnsLan, TwoRespondersClaimingOneNameEndWithDistinctNames) {
  sim::Lan lan;
  auto a = lan.add(rconf("alpha", 0xC0A80001u, 11), BrowserConfig{});
  auto b = lan.add(rconf("beta", 0xC0A80002u, 12), BrowserConfig{});
  auto c = lan.add(rconf("gamma", 0xC0A80003u, 13), BrowserConfig{});
  auto ia = lan.node(a).responder->register_service(lan.now(), web());
  auto ib = lan.node(b).responder->register_service(lan.now(), web());
  ASSERT_TRUE(ia && ib);
  ASSERT_TRUE(lan.node(c).browser->browse(lan.now(), Name::from_dotted("_web._tcp.local")));
  lan.run_for(10s);
  auto na = lan.node(a).responder->instance_of(*ia);
  auto nb = lan.node(b).responder->instance_of(*ib);
  ASSERT_TRUE(na && nb);
  EXPECT_NE(*na, *nb);
  EXPECT_TRUE(*na == "prod-v1" || *nb == "prod-v1");
  EXPECT_TRUE(lan.node(a).responder->announced(*ia));
  EXPECT_TRUE(lan.node(b).responder->announced(*ib));
  EXPECT_EQ(lan.node(c).browser->services().size(), 2u);
}

TEST(MdnsLan, LateComerConflictsWithAnnouncedServiceAndRenames) {
  sim::Lan lan;
  auto a = lan.add(rconf("alpha", 0xC0A80001u, 11), BrowserConfig{});
  auto b = lan.add(rconf("beta", 0xC0A80002u, 12), BrowserConfig{});
  auto ia = lan.node(a).responder->register_service(lan.now(), web());
  lan.run_for(5s);
  auto ib = lan.node(b).responder->register_service(lan.now(), web());
  lan.run_for(5s);
  EXPECT_EQ(*lan.node(a).responder->instance_of(*ia), "prod-v1");
  EXPECT_EQ(*lan.node(b).responder->instance_of(*ib), "prod-v1 (2)");
  ASSERT_FALSE(lan.node(b).responder_events.empty());
  EXPECT_EQ(lan.node(b).responder_events[0].kind, ResponderEvent::Kind::renamed);
}

}  // namespace
}  // namespace gquic::mdns
