// Container policies enforced on real traffic: this test process is the hub (a fresh network
// namespace of its own, unshare(CLONE_NEWNET)) running a WireGuardManager with three
// container peers; each container is a named network namespace behind its own veth pair,
// running wireguard-go. NetworkPolicies loaded from YAML allow only frontend -> web:8080/TCP
// (a namespace-wide default deny for ingress plus one allow). Real TCP connections:
//   frontend -> web:8080  connects and the echo comes back (replies pass by conntrack)
//   frontend -> web:9090  times out (dropped at the hub; web listens there too)
//   backend  -> web:8080  times out
//   backend  -> hub:8080  refused (the hub is not a container: its RST comes back)
// and the drops are counted by policy and exported as metrics. Removing the policies on the
// running hub then lets backend -> web:8080 through. Needs root, ip, wg,
// wireguard-go and /usr/bin/python3: skipped loudly otherwise.
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "gquic/observability/metrics.h"
#include "gquic/policy/manifest.h"
#include "gquic/wireguard/netlink_io.h"
#include "gquic/wireguard/wireguard_manager.h"

namespace gquic::wireguard {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view kPolicies = R"(
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {team: shop}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Ingress]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-from-frontend, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
  - from:
    - podSelector: {matchLabels: {app: frontend}}
    ports:
    - {protocol: TCP, port: 8080}
)";

const std::string kProbe = std::string(GQUIC_WG_TEST_DIR) + "/tcp_policy_probe.py";

bool have(const char* tool) {
  return std::system((std::string("command -v ") + tool + " >/dev/null 2>&1").c_str()) == 0;
}

int run(const std::string& cmd) {
  const int status = std::system(cmd.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Namespaces, child processes and files of one run; removed even when an assertion fails.
struct Resources {
  std::vector<std::string> namespaces;
  std::vector<pid_t> children;
  std::string dir;
  ~Resources() {
    for (pid_t pid : children) kill(pid, SIGTERM);
    for (pid_t pid : children) waitpid(pid, nullptr, 0);
    for (const auto& ns : namespaces) (void)run("ip netns del " + ns + " 2>/dev/null");
    std::error_code ec;
    if (!dir.empty()) std::filesystem::remove_all(dir, ec);
  }
  // Starts argv in the background (its output into `log`) and records its pid.
  pid_t spawn(const std::vector<std::string>& argv, const std::string& log) {
    const pid_t pid = fork();
    if (pid == 0) {
      setenv("WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD", "1", 1);
      FILE* out = std::freopen(log.c_str(), "w", stdout);
      if (out != nullptr) dup2(fileno(stdout), STDERR_FILENO);
      std::vector<char*> args;
      for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      execvp(args[0], args.data());
      _exit(127);
    }
    if (pid > 0) children.push_back(pid);
    return pid;
  }
};

// Runs the io_context until `done` holds; false after the 30 s hang guard.
bool run_until(asio::net::io_context& io, const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    io.run_for(20ms);
    io.restart();
  }
  return true;
}

// Runs a shell command on another thread while the hub's io_context carries its packets.
int run_with_hub(asio::net::io_context& io, const std::string& cmd) {
  auto result = std::async(std::launch::async, [cmd] { return run(cmd); });
  const bool finished = run_until(
      io, [&] { return result.wait_for(0s) == std::future_status::ready; });
  if (!finished) return -2;  // the future's destructor waits for the command
  return result.get();
}

TEST(WireGuardContainerPolicy, OnlyFrontendToWeb8080) {
  if (geteuid() != 0) GTEST_SKIP() << "SKIPPED: needs root (network namespaces, TUN)";
  for (const char* tool : {"ip", "wg", "/usr/bin/wireguard-go", "/usr/bin/python3"}) {
    if (!have(tool)) GTEST_SKIP() << "SKIPPED: " << tool << " is not installed";
  }
  if (unshare(CLONE_NEWNET) != 0) GTEST_SKIP() << "SKIPPED: cannot create a network namespace";
  ASSERT_TRUE(netlink::set_link_up("lo", 0));
  {
    std::ofstream fwd("/proc/sys/net/ipv4/ip_forward");
    fwd << "1\n";
    ASSERT_TRUE(fwd.good()) << "cannot enable forwarding in the hub's namespace";
  }

  const std::string id = std::to_string(getpid());
  Resources res;
  res.dir = "/tmp/gquic-wg-policy-" + id;
  std::filesystem::create_directories(res.dir);

  policy::ManifestLoader loader;
  loader.add_text(kPolicies, "policies.yaml");
  ASSERT_TRUE(loader.ok()) << loader.errors().front().to_string();
  const policy::Cluster cluster = loader.cluster();

  asio::net::io_context io;
  observability::MetricsCollector metrics;  // outlives the manager registered with it
  WireGuardConfig config;
  config.wireguard_port = 51820;
  config.uapi_dir = "";
  WireGuardManager hub(io, config);
  ASSERT_TRUE(hub.register_metrics(metrics));
  const std::string hub_if = "gqph" + id;
  ASSERT_TRUE(hub.create_interface(hub_if, "10.78.0.1", "10.78.0.0/24"));
  for (const auto& ns : cluster.namespaces) hub.policy_engine().upsert_namespace(ns);
  hub.set_policies(cluster.policies);

  const char* names[] = {"frontend", "web", "backend"};
  std::vector<std::string> netns, keys;
  for (int i = 0; i < 3; ++i) {
    const std::string n = std::to_string(i + 1);
    const std::string ns = "gqpc" + n + "_" + id;
    const std::string wg_if = "gqpw" + n + id;
    const std::string addr = "10.78.0." + std::to_string(i + 2);
    const std::string veth_hub = "gqpv" + n + "h" + id, veth_c = "gqpv" + n + "c" + id;
    ASSERT_EQ(run("ip netns add " + ns), 0);
    res.namespaces.push_back(ns);
    netns.push_back(ns);
    ASSERT_EQ(run("ip -n " + ns + " link set lo up"), 0);
    ASSERT_EQ(run("ip link add " + veth_hub + " type veth peer name " + veth_c + " netns " + ns),
              0);
    ASSERT_EQ(run("ip addr add 192.168.10" + n + ".1/24 dev " + veth_hub + " && ip link set " +
                  veth_hub + " up"),
              0);
    ASSERT_EQ(run("ip -n " + ns + " addr add 192.168.10" + n + ".2/24 dev " + veth_c +
                  " && ip -n " + ns + " link set " + veth_c + " up"),
              0);

    // The container's WireGuard: wireguard-go, configured with wg.
    const PrivateKey key = generate_private_key(SodiumRandom::instance());
    auto pub = public_key_from_private(key);
    ASSERT_TRUE(pub);
    const std::string key_file = res.dir + "/key" + n;
    {
      std::ofstream(key_file) << to_base64(key) << "\n";
    }
    ASSERT_GT(res.spawn({"ip", "netns", "exec", ns, "/usr/bin/wireguard-go", "-f", wg_if},
                        res.dir + "/wireguard-go" + n + ".log"),
              0);
    ASSERT_EQ(run("for i in $(seq 200); do ip netns exec " + ns + " wg show " + wg_if +
                  " >/dev/null 2>&1 && exit 0; sleep 0.1; done; exit 1"),
              0)
        << "wireguard-go " << n << " did not come up";
    ASSERT_EQ(run("ip netns exec " + ns + " wg set " + wg_if + " private-key " + key_file +
                  " listen-port 51820 peer " + hub.public_key() + " endpoint 192.168.10" + n +
                  ".1:51820 allowed-ips 10.78.0.0/24 persistent-keepalive 1"),
              0);
    ASSERT_EQ(run("ip -n " + ns + " addr add " + addr + "/24 dev " + wg_if + " && ip -n " + ns +
                  " link set " + wg_if + " mtu 1420 up"),
              0);

    // The hub's side: the container peer with its identity.
    policy::ContainerPeerInfo info;
    info.container_id = names[i];
    info.namespace_ = "shop";
    info.assigned_ip = *IpAddress::parse(addr);
    info.labels = {{"app", names[i]}};
    keys.push_back(to_base64(*pub));
    ASSERT_TRUE(hub.add_container_peer(
        hub_if, info, {keys.back(), "192.168.10" + n + ".2:51820", {addr + "/32"}, 0s, ""}));
  }

  // Every container completed a handshake with the hub (their keepalives start it).
  ASSERT_TRUE(run_until(io, [&] {
    int done = 0;
    for (const auto& p : hub.peers()) done += p.handshakes >= 1 ? 1 : 0;
    return done == 3;
  })) << "not every container completed a handshake";

  // web listens on 8080 and 9090.
  const std::string ready = res.dir + "/ready";
  ASSERT_GT(res.spawn({"ip", "netns", "exec", netns[1], "/usr/bin/python3", kProbe, "serve",
                       "10.78.0.3", ready, "8080", "9090"},
                      res.dir + "/server.log"),
            0);
  ASSERT_TRUE(run_until(io, [&] { return std::filesystem::exists(ready); }))
      << "the server in web did not start";

  // Connections expected to succeed get a generous timeout (loaded CI machines); a timeout
  // is the expected result of the dropped ones, so theirs is short.
  auto connect = [&](int from, const std::string& host, int port) {
    const bool allowed = from == 0 && port == 8080;
    return run_with_hub(io, "ip netns exec " + netns[from] + " /usr/bin/python3 " + kProbe +
                                " connect " + host + " " + std::to_string(port) +
                                (allowed || host == "10.78.0.1" ? " 15" : " 3"));
  };
  EXPECT_EQ(connect(0, "10.78.0.3", 8080), 0) << "frontend -> web:8080 must connect";
  const std::uint64_t drops_before = hub.container_policy_filter().stats().dropped_from_peer;
  EXPECT_EQ(drops_before, 0u) << "the allowed connection lost packets to the policy";
  EXPECT_EQ(connect(0, "10.78.0.3", 9090), 2) << "frontend -> web:9090 must be dropped";
  EXPECT_EQ(connect(2, "10.78.0.3", 8080), 2) << "backend -> web:8080 must be dropped";
  EXPECT_EQ(connect(2, "10.78.0.1", 8080), 3) << "backend -> hub must reach the hub (RST)";
  EXPECT_EQ(connect(0, "10.78.0.3", 8080), 0) << "frontend -> web:8080 again";

  const auto& filter = hub.container_policy_filter();
  EXPECT_GE(filter.stats().dropped_from_peer, 2u);  // SYNs (and their retransmissions)
  std::uint64_t by_policy = 0;
  for (const auto& [policy, n] : filter.drops_by_policy()) {
    EXPECT_EQ(policy.rfind("shop/", 0), 0u) << "a drop decided by " << policy;
    by_policy += n;
  }
  EXPECT_EQ(by_policy, filter.stats().dropped_from_peer + filter.stats().dropped_to_peer);

  const std::string text = metrics.export_prometheus_metrics();
  EXPECT_NE(text.find("gquic_policy_verdicts_total{policy=\"shop/web-from-frontend\","
                      "action=\"allow\"}"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("action=\"deny\"} "), std::string::npos) << text;
  EXPECT_NE(text.find("gquic_policy_conntrack_entries "), std::string::npos) << text;
  EXPECT_NE(text.find("gquic_policy_packets_total{reason=\"policy-deny\",action=\"deny\"}"),
            std::string::npos)
      << text;

  // Policies replaced on the running hub: without any, backend reaches web:8080 too.
  hub.set_policies({});
  EXPECT_TRUE(hub.policy_engine().cluster().policies.empty());
  EXPECT_EQ(run_with_hub(io, "ip netns exec " + netns[2] + " /usr/bin/python3 " + kProbe +
                                 " connect 10.78.0.3 8080 15"),
            0)
      << "backend -> web:8080 after the policies were removed";
}

}  // namespace
}  // namespace gquic::wireguard
