#include "gquic/discovery/lan_mapping.h"

#include <gtest/gtest.h>

#include "test_services.h"

namespace gquic::discovery {
namespace {

using test::make_service;

TEST(LanMapping, GossipRecordsGroupEndpointsByPortAndProtocol) {
  ServiceInfo s = make_service("web", "prod", {"api"}, "192.0.2.1:8080");
  s.endpoints.push_back(Endpoint{.address = "192.0.2.2:8080"});
  s.endpoints.push_back(Endpoint{.address = "192.0.2.1:443", .protocol = "quic"});
  s.metadata["zone"] = "eu";
  const auto recs = to_gossip_records(s);
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0].port, 443);
  EXPECT_EQ(recs[0].protocol, "quic");
  EXPECT_EQ(recs[1].port, 8080);
  EXPECT_EQ(recs[1].addresses.size(), 2u);
  EXPECT_EQ(gossip_key(recs[1]), recs[1].key() + "/tcp");
  EXPECT_NE(gossip_key(recs[0]), gossip_key(recs[1]));

  // Round trip through the wire encoding and back into the model.
  auto bytes = gossip::encode(recs[1]);
  ASSERT_TRUE(bytes);
  auto back = gossip::decode_service_record(*bytes);
  ASSERT_TRUE(back);
  ServiceInfo part = from_gossip_record(*back, "node-a");
  EXPECT_EQ(part.id, s.id);
  EXPECT_EQ(part.source, ServiceSource::gossip);
  EXPECT_EQ(part.origin_node, "node-a");
  ASSERT_EQ(part.endpoints.size(), 2u);
  EXPECT_EQ(part.endpoints[0].address, "192.0.2.1:8080");
  EXPECT_EQ(part.metadata.at("zone"), "eu");
  EXPECT_EQ(part.tags, std::vector<std::string>{"api"});
  EXPECT_TRUE(validate(part));
}

TEST(LanMapping, MdnsInstancesByTransportFamily) {
  ServiceInfo s = make_service("web", "prod", {}, "192.0.2.1:8080");
  s.endpoints.push_back(Endpoint{.address = "0.0.0.0:9000", .protocol = "quic"});
  const auto inst = to_mdns_instances(s);
  ASSERT_EQ(inst.size(), 2u);
  EXPECT_EQ(inst[0].port, 8080);
  EXPECT_EQ(inst[0].protocol, "tcp");
  EXPECT_EQ(mdns::service_type(inst[0])->to_string(), "_web._tcp.local.");
  EXPECT_EQ(mdns::instance_label(inst[0]), "prod-v1");
  EXPECT_EQ(inst[1].protocol, "quic");
  EXPECT_EQ(mdns::service_type(inst[1])->to_string(), "_web._udp.local.");
  EXPECT_TRUE(inst[1].addresses.empty());  // unspecified: the responder's own addresses
}

TEST(LanMapping, LanServiceWithoutTxtGetsLanNamespaceAndDefaultVersion) {
  mdns::ServiceInstance m;
  m.name = "printer";
  m.namespace_ = "";
  m.port = 631;
  m.addresses.push_back(*IpAddress::parse("10.0.0.5"));
  m.instance = "Office Printer";
  ServiceInfo s = from_mdns_instance(m);
  EXPECT_EQ(s.id.ns, "lan");
  EXPECT_EQ(s.id.version, kLanDefaultVersion);
  EXPECT_EQ(s.source, ServiceSource::mdns);
  ASSERT_EQ(s.endpoints.size(), 1u);
  EXPECT_EQ(s.endpoints[0].address, "10.0.0.5:631");
  EXPECT_TRUE(validate(s));
}

TEST(LanMapping, RemoteServicesMergePartsAndRemoveLast) {
  RemoteServices r;
  ServiceInfo a = make_service("web", "prod", {}, "192.0.2.1:8080");
  ServiceInfo b = make_service("web", "prod", {}, "192.0.2.2:8080");
  EXPECT_EQ(r.set("n1\x1fk", a).endpoints.size(), 1u);
  EXPECT_EQ(r.set("n2\x1fk", b).endpoints.size(), 2u);
  EXPECT_EQ(r.set("n2\x1fk", b).endpoints.size(), 2u);  // same part again: no duplicate
  EXPECT_EQ(r.parts_with_prefix("n1\x1f").size(), 1u);
  auto gone = r.erase("n1\x1fk");
  ASSERT_TRUE(gone);
  ASSERT_TRUE(gone->left);
  EXPECT_EQ(gone->left->endpoints.size(), 1u);
  EXPECT_EQ(gone->left->endpoints[0].address, "192.0.2.2:8080");
  gone = r.erase("n2\x1fk");
  ASSERT_TRUE(gone);
  EXPECT_FALSE(gone->left);
  EXPECT_EQ(gone->id, a.id);
  EXPECT_FALSE(r.erase("n2\x1fk"));
  EXPECT_EQ(r.size(), 0u);
}

TEST(LanMapping, PartMovingToAnotherIdLeavesTheOldOne) {
  RemoteServices r;
  r.set("p", make_service("web"));
  r.set("p", make_service("api"));
  EXPECT_EQ(r.size(), 1u);
  auto gone = r.erase("p");
  ASSERT_TRUE(gone);
  EXPECT_EQ(gone->id.name, "api");
}

}  // namespace
}  // namespace gquic::discovery
