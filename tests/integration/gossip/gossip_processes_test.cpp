// Ten gossip nodes as ten processes (gquic_gossip_test_node) on 127.0.0.1: they converge,
// share their registrations, declare a SIGKILLed node dead and see a SIGTERMed node leave.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

struct Status {
  int port = -1, alive = -1, regs = -1, left = -1;
};

Status read_status(const fs::path& p) {
  std::ifstream in(p);
  std::string line;
  std::getline(in, line);
  Status s;
  std::sscanf(line.c_str(), "port=%d alive=%d regs=%d left=%d", &s.port, &s.alive, &s.regs, &s.left);
  return s;
}

class GossipProcesses : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("gquic-gossip-procs-" + std::to_string(getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override {
    for (pid_t p : pids_) {
      if (p > 0) {
        kill(p, SIGKILL);
        waitpid(p, nullptr, 0);
      }
    }
    fs::remove_all(dir_);
  }
  pid_t spawn(const std::string& name, const std::string& seed) {
    fs::path status = dir_ / (name + ".status");
    std::string key(64, 'a');
    pid_t pid = fork();
    if (pid == 0) {
      if (seed.empty()) {
        execl(GQUIC_GOSSIP_NODE, GQUIC_GOSSIP_NODE, name.c_str(), status.c_str(), key.c_str(), nullptr);
      } else {
        execl(GQUIC_GOSSIP_NODE, GQUIC_GOSSIP_NODE, name.c_str(), status.c_str(), key.c_str(),
              seed.c_str(), nullptr);
      }
      _exit(127);
    }
    pids_.push_back(pid);
    return pid;
  }
  bool wait_for(const std::function<bool()>& pred, std::chrono::seconds guard = 30s) {
    auto end = std::chrono::steady_clock::now() + guard;
    while (std::chrono::steady_clock::now() < end) {
      if (pred()) return true;
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }
  Status status(int i) { return read_status(dir_ / ("n" + std::to_string(i) + ".status")); }

  fs::path dir_;
  std::vector<pid_t> pids_;
};

TEST_F(GossipProcesses, TenProcessesConvergeDetectAKillAndSeeALeave) {
  constexpr int kNodes = 10;
  spawn("n0", "");
  ASSERT_TRUE(wait_for([&] { return status(0).port > 0; })) << "seed did not start";
  std::string seed = "127.0.0.1:" + std::to_string(status(0).port);
  for (int i = 1; i < kNodes; ++i) spawn("n" + std::to_string(i), seed);
  auto all = [&](std::initializer_list<int> skip, auto pred) {
    for (int i = 0; i < kNodes; ++i) {
      if (std::find(skip.begin(), skip.end(), i) != skip.end()) continue;
      if (!pred(status(i))) return false;
    }
    return true;
  };
  ASSERT_TRUE(wait_for([&] { return all({}, [](Status s) { return s.alive == kNodes && s.regs == kNodes; }); }))
      << "no convergence; n1: alive=" << status(1).alive << " regs=" << status(1).regs;
  kill(pids_[5], SIGKILL);
  waitpid(pids_[5], nullptr, 0);
  pids_[5] = -1;
  ASSERT_TRUE(wait_for([&] { return all({5}, [](Status s) { return s.alive == kNodes - 1 && s.regs == kNodes - 1; }); }))
      << "killed node not declared dead everywhere";
  kill(pids_[7], SIGTERM);
  ASSERT_TRUE(wait_for([&] { return all({5, 7}, [](Status s) { return s.alive == kNodes - 2 && s.left == 1; }); }))
      << "leave not seen everywhere";
  int st = 0;
  waitpid(pids_[7], &st, 0);
  pids_[7] = -1;
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

}  // namespace
