#pragma once
// Discovery agents with LAN/gossip backends, each on its own io_context thread, for the
// backend integration tests. call() runs a function on the agent's thread and waits for it.
#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <gtest/gtest.h>

#include "gquic/core/asio.h"
#include "gquic/discovery/discovery_agent.h"

namespace gquic::discovery::test {

class LanAgent {
 public:
  explicit LanAgent(DiscoveryConfig cfg) : manager_(std::make_unique<ServiceDiscoveryManager>(io_, std::move(cfg))) {}
  ~LanAgent() { shutdown(); }

  Result<void> start(std::string* why) {
    auto r = manager_->start(why);
    if (!r) return r;
    work_.emplace(io_.get_executor());
    thread_ = std::thread([this] { io_.run(); });
    return {};
  }

  template <typename Fn>
  auto call(Fn fn) -> decltype(fn(std::declval<ServiceDiscoveryManager&>())) {
    using R = decltype(fn(std::declval<ServiceDiscoveryManager&>()));
    std::packaged_task<R()> task([this, &fn] { return fn(*manager_); });
    auto fut = task.get_future();
    boost::asio::post(io_, [&task] { task(); });
    return fut.get();
  }

  // Freezes the agent as if its process were killed: its io_context stops, its sockets stay
  // open but nothing answers.
  void freeze() {
    if (!thread_.joinable()) return;
    work_.reset();
    io_.stop();
    thread_.join();
    frozen_ = true;
  }

  // Graceful stop (gossip leave, mDNS goodbyes); the backends linger briefly to get those
  // out, then the thread ends.
  void shutdown() {
    if (!thread_.joinable()) return;
    auto timer = std::make_shared<boost::asio::steady_timer>(io_);
    boost::asio::post(io_, [this, timer] {
      manager_->stop();
      timer->expires_after(std::chrono::milliseconds(1200));
      timer->async_wait([this, timer](const boost::system::error_code&) { io_.stop(); });
    });
    work_.reset();
    thread_.join();
  }

  ServiceDiscoveryManager& manager() { return *manager_; }
  bool frozen() const { return frozen_; }

 private:
  asio::net::io_context io_;
  std::optional<boost::asio::executor_work_guard<asio::net::io_context::executor_type>> work_;
  std::unique_ptr<ServiceDiscoveryManager> manager_;
  std::thread thread_;
  bool frozen_ = false;
};

// Polls pred() every 50 ms until it holds or the hang guard runs out.
inline bool eventually(const std::function<bool()>& pred,
                       std::chrono::seconds guard = std::chrono::seconds(30)) {
  const auto end = std::chrono::steady_clock::now() + guard;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return pred();
}

}  // namespace gquic::discovery::test
