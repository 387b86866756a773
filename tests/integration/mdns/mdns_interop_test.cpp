// mDNS interop with python-zeroconf inside a network namespace this test process creates for
// itself (unshare(CLONE_NEWNET): a private loopback with multicast on and a 224/4 route; it
// disappears with the process). Needs root; skipped loudly otherwise.
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "gquic/mdns/mdns_driver.h"

namespace gquic::mdns {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

std::string read_file(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Starts `program` with the arguments, stdout and stderr to `out`.
pid_t spawn(const char* program, const std::vector<std::string>& args, const fs::path& out) {
  pid_t pid = fork();
  if (pid == 0) {
    int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    std::vector<char*> argv{const_cast<char*>(program)};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(program, argv.data());
    _exit(127);
  }
  return pid;
}
pid_t spawn_python(const std::vector<std::string>& args, const fs::path& out) {
  return spawn("/usr/bin/python3", args, out);
}

void reap(pid_t pid) {
  if (pid <= 0) return;
  kill(pid, SIGTERM);
  int st = 0;
  waitpid(pid, &st, 0);
}

class MdnsInterop : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "NOT RUN: mDNS interop needs root for a network namespace";
    if (std::system("/usr/bin/python3 -c 'import zeroconf' 2>/dev/null") != 0) {
      GTEST_SKIP() << "NOT RUN: /usr/bin/python3 has no zeroconf module (python3-zeroconf)";
    }
    if (unshare(CLONE_NEWNET) != 0) GTEST_SKIP() << "NOT RUN: unshare(CLONE_NEWNET) failed";
    ASSERT_EQ(std::system("ip link set lo up && ip link set lo multicast on && "
                          "ip route add 224.0.0.0/4 dev lo"), 0);
    dir_ = fs::temp_directory_path() / ("gquic-mdns-" + std::to_string(getpid()));
    fs::create_directories(dir_);
    MdnsDriverConfig c;
    c.interface_address = IpAddress::v4_loopback();
    c.responder.host = "gquic-" + std::to_string(getpid());
    c.responder.addresses = {IpAddress::v4_loopback()};
    auto d = MdnsDriver::open(io_, c);
    ASSERT_TRUE(d) << d.error().message();
    driver_ = std::move(*d);
    driver_->on_browser_event = [this](const BrowserEvent& e) { events_.push_back(e); };
    driver_->start();
  }
  void TearDown() override {
    reap(pid_);
    if (driver_) {
      driver_->stop();
      io_.run_for(100ms);
    }
    if (!dir_.empty()) fs::remove_all(dir_);
  }
  // Runs the io_context until pred() or the hang guard.
  bool run_until(const std::function<bool()>& pred, std::chrono::seconds guard = 30s) {
    auto end = std::chrono::steady_clock::now() + guard;
    while (std::chrono::steady_clock::now() < end) {
      io_.run_for(50ms);
      if (pred()) return true;
    }
    return false;
  }
  static fs::path script(const char* name) { return fs::path(GQUIC_MDNS_SCRIPTS) / name; }

  asio::net::io_context io_;
  std::unique_ptr<MdnsDriver> driver_;
  std::vector<BrowserEvent> events_;
  fs::path dir_;
  pid_t pid_ = -1;
};

TEST_F(MdnsInterop, GquicServiceIsFoundByZeroconfAndItsGoodbyeSeen) {
  ServiceInstance s;
  s.name = "gqweb";
  s.namespace_ = "prod";
  s.version = "v1";
  s.protocol = "http";
  s.port = 8080;
  s.metadata = {{"zone", "a"}};
  auto id = driver_->responder().register_service(driver_->now(), s);
  ASSERT_TRUE(id);
  driver_->poke();
  fs::path out = dir_ / "browse.txt";
  pid_ = spawn_python({script("zeroconf_browse.py").string(), "127.0.0.1", "_gqweb._tcp.local.", "40"}, out);
  ASSERT_TRUE(run_until([&] { return read_file(out).find("added") != std::string::npos; }))
      << "zeroconf did not find the gquic service: " << read_file(out);
  std::string seen = read_file(out);
  EXPECT_NE(seen.find("added prod-v1._gqweb._tcp.local. 8080"), std::string::npos) << seen;
  EXPECT_NE(seen.find("ns=prod"), std::string::npos) << seen;
  EXPECT_NE(seen.find("zone=a"), std::string::npos) << seen;
  ASSERT_TRUE(driver_->responder().deregister_service(driver_->now(), *id));
  driver_->poke();
  ASSERT_TRUE(run_until([&] { return read_file(out).find("removed") != std::string::npos; }))
      << "zeroconf did not see the goodbye: " << read_file(out);
}

TEST_F(MdnsInterop, ZeroconfServiceIsDiscoveredByGquicAndItsGoodbyeSeen) {
  fs::path out = dir_ / "publish.txt";
  fs::path stop = dir_ / "stop";
  ASSERT_TRUE(driver_->browser().browse(driver_->now(), Name::from_dotted("_pyweb._tcp.local")));
  driver_->poke();
  pid_ = spawn_python({script("zeroconf_publish.py").string(), "127.0.0.1", stop.string()}, out);
  auto has = [&](BrowserEvent::Kind k) {
    for (const auto& e : events_) {
      if (e.kind == k) return true;
    }
    return false;
  };
  ASSERT_TRUE(run_until([&] { return has(BrowserEvent::Kind::appeared); }))
      << "gquic did not discover the zeroconf service; publisher said: " << read_file(out);
  auto services = driver_->browser().services();
  ASSERT_EQ(services.size(), 1u);
  EXPECT_EQ(services[0].instance, "pyinst");
  EXPECT_EQ(services[0].name, "pyweb");
  EXPECT_EQ(services[0].port, 9999);
  EXPECT_EQ(services[0].namespace_, "py");
  EXPECT_EQ(services[0].metadata["k"], "v");
  std::ofstream(stop).put('x');
  ASSERT_TRUE(run_until([&] { return has(BrowserEvent::Kind::left); }))
      << "gquic did not see the zeroconf goodbye; publisher said: " << read_file(out);
}

// avahi-daemon (with a private dbus-daemon) in a network and mount namespace of this process:
// a veth pair gqa<pid>/gqb<pid>, gquic on the first end, avahi on the second (avahi ignores
// loopback). accept_local lets each end take the other's packets although both addresses
// are local. /run/avahi-daemon is a private tmpfs, so no host avahi is disturbed.
class AvahiInterop : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "NOT RUN: avahi interop needs root for network/mount namespaces";
    for (const char* tool : {"/usr/sbin/avahi-daemon", "/usr/bin/avahi-browse", "/usr/bin/dbus-daemon"}) {
      if (access(tool, X_OK) != 0) GTEST_SKIP() << "NOT RUN: " << tool << " missing (avahi-daemon, avahi-utils, dbus)";
    }
    if (unshare(CLONE_NEWNET | CLONE_NEWNS) != 0) GTEST_SKIP() << "NOT RUN: unshare failed";
    dir_ = fs::temp_directory_path() / ("gquic-avahi-" + std::to_string(getpid()));
    fs::create_directories(dir_);
    std::string a = "gqa" + std::to_string(getpid() % 1000000), b = "gqb" + std::to_string(getpid() % 1000000);
    std::string setup =
        "mount --make-rprivate / && mkdir -p /run/avahi-daemon && "
        "mount -t tmpfs tmpfs /run/avahi-daemon && ip link set lo up && "
        "ip link add " + a + " type veth peer name " + b + " && "
        "ip addr add 10.231.0.1/24 dev " + a + " && ip addr add 10.231.0.2/24 dev " + b + " && "
        "sysctl -qw net.ipv4.conf.all.accept_local=1 net.ipv4.conf.all.rp_filter=0 "
        "net.ipv4.conf." + a + ".accept_local=1 net.ipv4.conf." + b + ".accept_local=1 "
        "net.ipv4.conf." + a + ".rp_filter=0 net.ipv4.conf." + b + ".rp_filter=0 && "
        "ip link set " + a + " up && ip link set " + b + " up && ip route add 224.0.0.0/4 dev " + a;
    ASSERT_EQ(std::system(setup.c_str()), 0);
    bus_ = dir_ / "bus";
    std::ofstream(dir_ / "dbus.conf")
        << "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\" "
           "\"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
           "<busconfig><type>system</type><listen>unix:path=" << bus_.string() << "</listen>"
           "<auth>EXTERNAL</auth><policy context=\"default\"><allow user=\"*\"/>"
           "<allow own=\"*\"/><allow send_destination=\"*\" eavesdrop=\"true\"/>"
           "<allow eavesdrop=\"true\"/></policy></busconfig>\n";
    std::ofstream(dir_ / "avahi.conf")
        << "[server]\nuse-ipv4=yes\nuse-ipv6=no\nallow-interfaces=" << b
        << "\nenable-dbus=yes\n[publish]\npublish-hinfo=no\npublish-workstation=no\n";
    setenv("DBUS_SYSTEM_BUS_ADDRESS", ("unix:path=" + bus_.string()).c_str(), 1);
    dbus_ = spawn("/usr/bin/dbus-daemon", {"--config-file=" + (dir_ / "dbus.conf").string(), "--nofork"},
                  dir_ / "dbus.log");
    for (int i = 0; i < 100 && !fs::exists(bus_); ++i) usleep(50'000);
    ASSERT_TRUE(fs::exists(bus_)) << read_file(dir_ / "dbus.log");
    avahi_ = spawn("/usr/sbin/avahi-daemon", {"-f", (dir_ / "avahi.conf").string(), "--no-drop-root",
                                              "--no-chroot", "--no-rlimits", "--debug"},
                   dir_ / "avahi.log");
    MdnsDriverConfig c;
    c.interface_address = *IpAddress::parse("10.231.0.1");
    c.responder.host = "gquic-" + std::to_string(getpid());
    c.responder.addresses = {c.interface_address};
    auto d = MdnsDriver::open(io_, c);
    ASSERT_TRUE(d) << d.error().message();
    driver_ = std::move(*d);
    driver_->start();
  }
  void TearDown() override {
    reap(browse_);
    reap(avahi_);
    reap(dbus_);
    if (driver_) {
      driver_->stop();
      io_.run_for(100ms);
    }
    if (!dir_.empty()) fs::remove_all(dir_);
  }
  bool run_until(const std::function<bool()>& pred, std::chrono::seconds guard = 30s) {
    auto end = std::chrono::steady_clock::now() + guard;
    while (std::chrono::steady_clock::now() < end) {
      io_.run_for(50ms);
      if (pred()) return true;
    }
    return false;
  }

  asio::net::io_context io_;
  std::unique_ptr<MdnsDriver> driver_;
  fs::path dir_, bus_;
  pid_t dbus_ = -1, avahi_ = -1, browse_ = -1;
};

TEST_F(AvahiInterop, AvahiBrowseFindsGquicServiceAndSeesItsGoodbye) {
  ServiceInstance s;
  s.name = "gqweb";
  s.namespace_ = "prod";
  s.version = "v1";
  s.protocol = "tcp";
  s.port = 8080;
  auto id = driver_->responder().register_service(driver_->now(), s);
  ASSERT_TRUE(id);
  driver_->poke();
  // avahi-browse talks to the daemon over the private bus; -r resolves, -p parsable lines.
  fs::path out = dir_ / "browse.txt";
  ASSERT_TRUE(run_until([&] { return read_file(dir_ / "avahi.log").find("Server startup complete") != std::string::npos; }))
      << read_file(dir_ / "avahi.log");
  browse_ = spawn("/usr/bin/avahi-browse", {"-rp", "_gqweb._tcp"}, out);
  ASSERT_TRUE(run_until([&] { return read_file(out).find("prod-v1;_gqweb._tcp;local;gquic-") != std::string::npos &&
                                     read_file(out).find("=;") != std::string::npos; }))
      << "avahi-browse did not resolve the gquic service: " << read_file(out);
  std::string seen = read_file(out);
  EXPECT_NE(seen.find(";10.231.0.1;8080;"), std::string::npos) << seen;
  EXPECT_NE(seen.find("\"ns=prod\""), std::string::npos) << seen;
  ASSERT_TRUE(driver_->responder().deregister_service(driver_->now(), *id));
  driver_->poke();
  ASSERT_TRUE(run_until([&] { return read_file(out).find("-;") != std::string::npos; }))
      << "avahi-browse did not see the goodbye: " << read_file(out);
}

// Two gquic drivers over IPv6 multicast only ([ff02::fb]:5353), one on each end of a veth
// pair in a private network namespace: the browser finds the responder's service with its
// AAAA address and sees its goodbye.
TEST(MdnsIpv6, GquicFindsGquicOverIpv6Multicast) {
  if (geteuid() != 0) GTEST_SKIP() << "NOT RUN: needs root for a network namespace";
  if (unshare(CLONE_NEWNET) != 0) GTEST_SKIP() << "NOT RUN: unshare(CLONE_NEWNET) failed";
  std::string a = "gq6a" + std::to_string(getpid() % 100000), b = "gq6b" + std::to_string(getpid() % 100000);
  std::string setup =
      "sysctl -qw net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.accept_dad=0 && "
      "ip link set lo up && ip link add " + a + " type veth peer name " + b + " && "
      "ip link set " + a + " up && ip link set " + b + " up && "
      "ip -6 addr add fd00:231::1/64 dev " + a + " nodad && ip -6 addr add fd00:231::2/64 dev " + b + " nodad";
  ASSERT_EQ(std::system(setup.c_str()), 0);
  asio::net::io_context io;
  auto make = [&](const std::string& ifname, const char* host, const char* ip) {
    MdnsDriverConfig c;
    c.ipv4 = false;
    c.ipv6 = true;
    c.interface_index = if_nametoindex(ifname.c_str());
    c.responder.host = host;
    c.responder.addresses = {*IpAddress::parse(ip)};
    auto d = MdnsDriver::open(io, c);
    EXPECT_TRUE(d) << d.error().message();
    return d ? std::move(*d) : nullptr;
  };
  auto pub = make(a, "gquic-v6a", "fd00:231::1");
  auto sub = make(b, "gquic-v6b", "fd00:231::2");
  ASSERT_TRUE(pub && sub);
  std::vector<BrowserEvent> events;
  sub->on_browser_event = [&](const BrowserEvent& e) { events.push_back(e); };
  pub->start();
  sub->start();
  ServiceInstance s;
  s.name = "gq6";
  s.namespace_ = "prod";
  s.protocol = "quic";
  s.port = 4433;
  auto id = pub->responder().register_service(pub->now(), s);
  ASSERT_TRUE(id);
  pub->poke();
  ASSERT_TRUE(sub->browser().browse(sub->now(), Name::from_dotted("_gq6._udp.local")));
  sub->poke();
  auto run_until = [&](const std::function<bool()>& pred) {
    auto end = std::chrono::steady_clock::now() + 30s;
    while (std::chrono::steady_clock::now() < end) {
      io.run_for(50ms);
      if (pred()) return true;
    }
    return false;
  };
  ASSERT_TRUE(run_until([&] { return !sub->browser().services().empty(); }))
      << "nothing found over IPv6; sent " << pub->counters().sent << " errors " << pub->counters().send_errors;
  auto found = sub->browser().services()[0];
  EXPECT_EQ(found.instance, "prod");
  EXPECT_EQ(found.port, 4433);
  ASSERT_EQ(found.addresses.size(), 1u);
  EXPECT_EQ(found.addresses[0], *IpAddress::parse("fd00:231::1"));
  ASSERT_TRUE(pub->responder().deregister_service(pub->now(), *id));
  pub->poke();
  ASSERT_TRUE(run_until([&] { return sub->browser().services().empty(); }));
  pub->stop();
  sub->stop();
  io.run_for(100ms);
}

}  // namespace
}  // namespace gquic::mdns
