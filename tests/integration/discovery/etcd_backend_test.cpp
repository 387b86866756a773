// Two discovery agents sharing one real etcd server (started here on 127.0.0.1 with free ports
// and a temporary data directory): registrations cross between agents, survive an etcd restart,
// and a stopped agent's services disappear when its lease expires.
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <future>
#include <thread>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <gtest/gtest.h>

#include "agent_fixture.h"
#include "gquic/discovery/etcd_codec.h"

extern char** environ;

namespace gquic::discovery {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

std::uint16_t free_port() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor a(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  return a.local_endpoint().port();
}

class EtcdServer {
 public:
  EtcdServer() {
    char tmpl[] = "/tmp/gquic-etcd-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    client_ = free_port();
    peer_ = free_port();
  }
  ~EtcdServer() {
    stop();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  bool start() {
    const std::string c = "http://127.0.0.1:" + std::to_string(client_);
    const std::string p = "http://127.0.0.1:" + std::to_string(peer_);
    std::vector<std::string> args{"/usr/bin/etcd", "--name", "gq", "--data-dir", dir_ + "/data",
                                  "--listen-client-urls", c, "--advertise-client-urls", c,
                                  "--listen-peer-urls", p, "--initial-advertise-peer-urls", p,
                                  "--initial-cluster", "gq=" + p, "--log-outputs",
                                  dir_ + "/etcd.log", "--logger", "zap"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (::posix_spawn(&pid_, argv[0], nullptr, nullptr, argv.data(), environ) != 0) return false;
    // Ready when a range answers (hang guard 20 s).
    const auto give_up = std::chrono::steady_clock::now() + 20s;
    while (std::chrono::steady_clock::now() < give_up) {
      auto r = test::http_call(SocketAddress(IpAddress::v4_loopback(), client_),
                               boost::beast::http::verb::post, "/v3/kv/range",
                               etcd::range_request("/probe"));
      if (r.status == 200) return true;
      std::this_thread::sleep_for(100ms);
    }
    return false;
  }
  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(client_); }
  SocketAddress address() const { return SocketAddress(IpAddress::v4_loopback(), client_); }

 private:
  std::string dir_;
  std::uint16_t client_ = 0, peer_ = 0;
  pid_t pid_ = -1;
};

class EtcdBackendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists("/usr/bin/etcd")) {
      GTEST_SKIP() << "***** /usr/bin/etcd is missing (Debian etcd-server): etcd backend NOT tested *****";
    }
    ASSERT_TRUE(etcd.start()) << "etcd did not start";
    a = make_agent("node-a");
    b = make_agent("node-b");
    thread = std::thread([this] { io.run(); });
  }
  void TearDown() override {
    if (thread.joinable()) {
      on_agent([this] {
        if (a) a->stop();
        if (b) b->stop();
        return 0;
      });
      guard.reset();
      io.stop();
      thread.join();
    }
  }
  std::unique_ptr<ServiceDiscoveryManager> make_agent(const std::string& node) {
    DiscoveryConfig cfg;
    cfg.node_id = node;
    cfg.etcd_endpoints = {etcd.url()};
    cfg.etcd_lease_ttl = 3s;
    auto m = std::make_unique<ServiceDiscoveryManager>(io, cfg);
    EXPECT_TRUE(m->start());
    return m;
  }
  template <typename F>
  std::invoke_result_t<F> on_agent(F f) {
    std::packaged_task<decltype(f())()> task(std::move(f));
    auto fut = task.get_future();
    boost::asio::post(io, [&task] { task(); });
    return fut.get();
  }
  bool has(ServiceDiscoveryManager& m, const std::string& name) {
    return on_agent([&] { return m.registry().find({name, "default", "v1"}) != nullptr; });
  }
  // Waits for a condition (hang guard 25 s; no timing assertion).
  bool eventually(const std::function<bool()>& f) {
    const auto give_up = std::chrono::steady_clock::now() + 25s;
    while (std::chrono::steady_clock::now() < give_up) {
      if (f()) return true;
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }
  Result<void> reg(ServiceDiscoveryManager& m, const std::string& name) {
    return on_agent([&] {
      ServiceInfo s;
      s.id = {name, "default", "v1"};
      s.endpoints = {Endpoint{.address = "127.0.0.1:9000"}};
      return m.register_service(s);
    });
  }
  std::size_t keys_in_etcd() {
    auto r = test::http_call(etcd.address(), boost::beast::http::verb::post, "/v3/kv/range",
                             etcd::range_request("/gquic/discovery/services/"));
    auto parsed = etcd::parse_range(r.body);
    return parsed ? parsed->kvs.size() : 0;
  }

  EtcdServer etcd;
  boost::asio::io_context io;
  std::unique_ptr<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> guard =
      std::make_unique<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>>(
          io.get_executor());
  std::unique_ptr<ServiceDiscoveryManager> a, b;
  std::thread thread;
};

TEST_F(EtcdBackendTest, TwoAgentsShareRestartAndLeaseExpiry) {
  ASSERT_TRUE(reg(*a, "web"));
  ASSERT_TRUE(reg(*b, "api"));
  ASSERT_TRUE(eventually([&] { return has(*b, "web"); })) << "B never saw A's registration";
  ASSERT_TRUE(eventually([&] { return has(*a, "api"); })) << "A never saw B's registration";
  EXPECT_EQ(on_agent([&] { return b->registry().find({"web", "default", "v1"})->source; }),
            ServiceSource::etcd);

  // etcd restarts mid-test: nothing registered is lost, and new registrations still flow.
  etcd.stop();
  ASSERT_TRUE(reg(*a, "during-outage"));
  ASSERT_TRUE(etcd.start()) << "etcd did not restart";
  ASSERT_TRUE(reg(*a, "after-restart"));
  EXPECT_TRUE(eventually([&] { return has(*b, "after-restart"); }));
  EXPECT_TRUE(eventually([&] { return has(*b, "during-outage"); }));
  EXPECT_TRUE(has(*b, "web"));
  EXPECT_TRUE(has(*a, "api"));
  EXPECT_TRUE(eventually([&] { return keys_in_etcd() == 4; })) << keys_in_etcd();
  EXPECT_GE(on_agent([&] { return a->etcd_stats().sessions; }), 2u);

  // Deregistration crosses too.
  ASSERT_TRUE(on_agent([&] { return bool(a->deregister_service({"during-outage", "default", "v1"})); }));
  EXPECT_TRUE(eventually([&] { return !has(*b, "during-outage"); }));

  // B stops without deregistering (as if killed): its lease runs out and A forgets "api".
  on_agent([&] {
    b->stop();
    return 0;
  });
  EXPECT_TRUE(eventually([&] { return !has(*a, "api"); })) << "B's service outlived its lease";
  EXPECT_TRUE(has(*a, "web"));
}

}  // namespace
}  // namespace gquic::discovery
