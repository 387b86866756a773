// The agent's mDNS/DNS-SD backend against python3-zeroconf, inside a network namespace this
// test process creates for itself (unshare(CLONE_NEWNET): private loopback with multicast and
// a 224/4 route; it disappears with the process). Needs root; skipped loudly otherwise.
// The zeroconf scripts are those of tests/integration/mdns.
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "lan_agent_fixture.h"

namespace gquic::discovery {
namespace {

using test::eventually;
using test::LanAgent;
namespace fs = std::filesystem;

std::string read_file(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

pid_t spawn_python(const std::vector<std::string>& args, const fs::path& out) {
  pid_t pid = fork();
  if (pid == 0) {
    int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    std::vector<char*> argv{const_cast<char*>("/usr/bin/python3")};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv("/usr/bin/python3", argv.data());
    _exit(127);
  }
  return pid;
}

fs::path script(const char* name) { return fs::path(GQUIC_MDNS_SCRIPTS) / name; }

class MdnsBackend : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "NOT RUN: the mDNS backend test needs root for a network namespace";
    if (std::system("/usr/bin/python3 -c 'import zeroconf' 2>/dev/null") != 0) {
      GTEST_SKIP() << "NOT RUN: /usr/bin/python3 has no zeroconf module (python3-zeroconf)";
    }
    if (unshare(CLONE_NEWNET) != 0) GTEST_SKIP() << "NOT RUN: unshare(CLONE_NEWNET) failed";
    ASSERT_EQ(std::system("ip link set lo up && ip link set lo multicast on && "
                          "ip route add 224.0.0.0/4 dev lo"), 0);
    dir_ = fs::temp_directory_path() / ("gquic-disc-mdns-" + std::to_string(getpid()));
    fs::create_directories(dir_);
    DiscoveryConfig c;
    c.node_id = "agent-" + std::to_string(getpid());
    c.enable_mdns = true;
    c.mdns_interface = IpAddress::v4_loopback();
    c.mdns_browse = {"_pyweb._tcp"};
    agent_ = std::make_unique<LanAgent>(c);
    std::string why;
    ASSERT_TRUE(agent_->start(&why)) << why;
  }
  void TearDown() override {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      int st = 0;
      waitpid(pid_, &st, 0);
    }
    if (agent_) agent_->shutdown();
    if (!dir_.empty()) fs::remove_all(dir_);
  }
  std::vector<ServiceInfo> query(const std::string& pattern) {
    return agent_->call([&](ServiceDiscoveryManager& m) {
      ServiceQuery q;
      q.name_pattern = pattern;
      return m.discover_services(q);
    });
  }

  std::unique_ptr<LanAgent> agent_;
  fs::path dir_;
  pid_t pid_ = -1;
};

TEST_F(MdnsBackend, RegisteredServiceIsFoundByZeroconfAndDeregistrationSendsGoodbye) {
  ServiceInfo s;
  s.id = {"gqweb", "prod", "v1"};
  s.endpoints.push_back(Endpoint{.address = "127.0.0.1:8080", .protocol = "http"});
  s.metadata = {{"zone", "a"}};
  ASSERT_TRUE(agent_->call([&](ServiceDiscoveryManager& m) { return m.register_service(s); }));
  const fs::path out = dir_ / "browse.txt";
  pid_ = spawn_python({script("zeroconf_browse.py").string(), "127.0.0.1", "_gqweb._tcp.local.", "40"}, out);
  ASSERT_TRUE(eventually([&] { return read_file(out).find("added") != std::string::npos; }))
      << "zeroconf did not find the agent's service: " << read_file(out);
  const std::string seen = read_file(out);
  EXPECT_NE(seen.find("added prod-v1._gqweb._tcp.local. 8080"), std::string::npos) << seen;
  EXPECT_NE(seen.find("ns=prod"), std::string::npos) << seen;
  EXPECT_NE(seen.find("ver=v1"), std::string::npos) << seen;
  EXPECT_NE(seen.find("zone=a"), std::string::npos) << seen;
  ASSERT_TRUE(agent_->call([&](ServiceDiscoveryManager& m) { return m.deregister_service(s.id); }));
  ASSERT_TRUE(eventually([&] { return read_file(out).find("removed") != std::string::npos; }))
      << "zeroconf did not see the goodbye: " << read_file(out);
}

TEST_F(MdnsBackend, ZeroconfServiceEntersTheRegistryAndLeaves) {
  const fs::path out = dir_ / "publish.txt";
  const fs::path stop = dir_ / "stop";
  pid_ = spawn_python({script("zeroconf_publish.py").string(), "127.0.0.1", stop.string()}, out);
  ASSERT_TRUE(eventually([&] { return !query("pyweb").empty(); }))
      << "the zeroconf service did not reach the registry; publisher said: " << read_file(out);
  const ServiceInfo s = query("pyweb").front();
  EXPECT_EQ(s.source, ServiceSource::mdns);
  EXPECT_EQ(s.id.ns, "py");  // from TXT ns=
  EXPECT_EQ(s.id.version, "0");  // no ver= in TXT
  ASSERT_EQ(s.endpoints.size(), 1u);
  EXPECT_EQ(s.endpoints[0].address, "127.0.0.1:9999");
  EXPECT_EQ(s.metadata.at("k"), "v");
  std::ofstream(stop).put('x');
  ASSERT_TRUE(eventually([&] { return query("pyweb").empty(); }))
      << "the zeroconf goodbye did not remove the service; publisher said: " << read_file(out);
}

}  // namespace
}  // namespace gquic::discovery
