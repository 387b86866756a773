#include "gquic/node/node_config.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

namespace gquic::node {
namespace {

using udp_mux_advanced::LoadBalanceStrategy;

TEST(NodeConfig, EmptyTextIsTheBuiltInDefault) {
  std::string why;
  auto c = parse_node_config("", &why);
  ASSERT_TRUE(c) << why;
  EXPECT_EQ(c->udp.listen.to_string(), "127.0.0.1:0");
  EXPECT_TRUE(c->udp.additional.empty());
  EXPECT_TRUE(c->metrics.enabled);
  EXPECT_EQ(c->metrics.listen.to_string(), "127.0.0.1:0");
  EXPECT_EQ(c->udp.strategy, LoadBalanceStrategy::round_robin);
}

TEST(NodeConfig, ReadsEveryKey) {
  const char* text = R"(
[node]
log = "warn,udp=debug"

[udp]
listen = "127.0.0.1:4433"
additional = ["127.0.0.2:4433", "[::1]:4433"]
strategy = "consistent-hash"
load_balancing = false
migration = false
multipath = true
batch_size = 64
gso = false
gro = false
recv_buffer_bytes = 1048576
send_buffer_bytes = 2097152
max_connections_per_socket = 100
local_cid_length = 16

[metrics]
enabled = false
listen = "127.0.0.1:9464"
)";
  std::string why;
  auto c = parse_node_config(text, &why);
  ASSERT_TRUE(c) << why;
  EXPECT_EQ(c->log, "warn,udp=debug");
  EXPECT_EQ(c->udp.listen.port(), 4433);
  ASSERT_EQ(c->udp.additional.size(), 2u);
  EXPECT_TRUE(c->udp.additional[1].is_v6());
  EXPECT_EQ(c->udp.strategy, LoadBalanceStrategy::consistent_hash);
  EXPECT_FALSE(c->udp.load_balancing);
  EXPECT_FALSE(c->udp.migration);
  EXPECT_TRUE(c->udp.multipath);
  EXPECT_EQ(c->udp.batch_size, 64u);
  EXPECT_FALSE(c->udp.gso);
  EXPECT_FALSE(c->udp.gro);
  EXPECT_EQ(c->udp.recv_buffer_bytes, 1048576);
  EXPECT_EQ(c->udp.send_buffer_bytes, 2097152);
  EXPECT_EQ(c->udp.max_connections_per_socket, 100u);
  EXPECT_EQ(c->udp.local_cid_length, 16u);
  EXPECT_FALSE(c->metrics.enabled);
  EXPECT_EQ(c->metrics.listen.port(), 9464);
}

struct BadCase {
  const char* text;
  const char* expected_in_message;
};

TEST(NodeConfig, BadInputNamesTheKeyAndLine) {
  const BadCase cases[] = {
      {"[udp]\nbatch_size = 0\n", "udp.batch_size (line 2): must be 1..1024"},
      {"[node]\nlog = \"loud\"\n", "node.log (line 2): not a log level spec"},
      {"[udp]\nbatch_size = \"many\"\n", "udp.batch_size (line 2): expected an integer"},
      {"[udp]\nlisten = \"localhost:80\"\n", "udp.listen (line 2)"},
      {"[udp]\nlisten = 80\n", "udp.listen (line 2)"},
      {"[udp]\nadditional = [\"127.0.0.1:1\", \"bad\"]\n", "udp.additional[1]"},
      {"[udp]\nadditional = \"127.0.0.1:1\"\n", "udp.additional (line 2)"},
      {"[udp]\nstrategy = \"random\"\n", "udp.strategy (line 2)"},
      {"[udp]\nlisten_addr = \"127.0.0.1:1\"\n", "udp.listen_addr (line 2): unknown key"},
      {"[udp]\ngso = 1\n", "udp.gso (line 2): expected true or false"},
      {"[udp]\nlocal_cid_length = 21\n", "udp.local_cid_length"},
      {"[udp]\nrecv_buffer_bytes = -5\n", "udp.recv_buffer_bytes"},
      {"[quic]\n", "config.quic (line 1): unknown key"},
      {"udp = 5\n", "udp (line 1): expected a [section]"},
      {"[udp\n", "TOML syntax (line 1"},
      {"[~ode][udp]\n", "TOML syntax (line 1): a table name must follow '['"},
      {"[udp]\n[[ ]]\n", "TOML syntax (line 2)"},
      {"pp\xef\xb3\xbf\n", "line 1: only ASCII text is accepted"},
      {"[udp]\nbatch_size = 4\xc3\xa9\n", "line 2: only ASCII"},
      {"# r\xc3\xa9glages\n", "line 1: only ASCII"},
      {"[metrics]\nlisten = \"[::1]\"\n", "metrics.listen (line 2)"},
      {"x = \"\xc3\x28\"\n", "not valid UTF-8"},
  };
  for (const auto& bad : cases) {
    std::string why;
    auto c = parse_node_config(bad.text, &why);
    EXPECT_FALSE(c) << bad.text;
    EXPECT_NE(why.find(bad.expected_in_message), std::string::npos)
        << "text: " << bad.text << "\nmessage: " << why;
  }
}

TEST(NodeConfig, RejectsBadLogLevels) {
  std::string why;
  EXPECT_FALSE(parse_node_config("[node]\nlog = \"verbose\"\n", &why));
  EXPECT_NE(why.find("node.log (line 2): not a log level spec"), std::string::npos) << why;
  EXPECT_TRUE(parse_node_config("[node]\nlog = \"warn,udp=debug\"\n", &why)) << why;
}

TEST(NodeConfig, RejectsNulAndHugeInput) {
  std::string why;
  EXPECT_FALSE(parse_node_config(std::string_view("[udp]\0", 6), &why));
  EXPECT_NE(why.find("NUL"), std::string::npos);
  std::string huge(2 << 20, '#');
  EXPECT_FALSE(parse_node_config(huge, &why));
  EXPECT_NE(why.find("1 MiB"), std::string::npos);
}

TEST(NodeConfig, LoadsFilesAndReportsMissingOnes) {
  std::string why;
  auto missing = load_node_config("/nonexistent/gquic.toml", &why);
  ASSERT_FALSE(missing);
  EXPECT_NE(why.find("/nonexistent/gquic.toml"), std::string::npos);

  const std::string path = ::testing::TempDir() + "gquic_node_config_test.toml";
  {
    std::ofstream out(path);
    out << "[udp]\nbatch_size = 7\n";
  }
  auto c = load_node_config(path, &why);
  ASSERT_TRUE(c) << why;
  EXPECT_EQ(c->udp.batch_size, 7u);
  std::remove(path.c_str());
}

}  // namespace
}  // namespace gquic::node
