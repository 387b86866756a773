#pragma once
// A discovery agent (HTTP API + DNS on 127.0.0.1, ephemeral ports) on its own io_context
// thread, plus a blocking HTTP client and a `dig` runner for the integration tests.
#include <array>
#include <cstdio>
#include <future>
#include <memory>
#include <string>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <gtest/gtest.h>

#include "gquic/core/asio.h"
#include "gquic/discovery/discovery_agent.h"

namespace gquic::discovery::test {

namespace http = boost::beast::http;

struct HttpReply {
  unsigned status = 0;
  std::string body;
};

inline HttpReply http_call(const SocketAddress& to, http::verb verb, const std::string& target,
                           const std::string& body = {}) {
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket sock(io);
  boost::system::error_code ec;
  sock.connect({boost::asio::ip::make_address(to.ip().to_string()), to.port()}, ec);
  if (ec) return {0, ec.message()};
  http::request<http::string_body> req{verb, target, 11};
  req.set(http::field::host, "agent");
  req.body() = body;
  req.prepare_payload();
  http::write(sock, req, ec);
  if (ec) return {0, ec.message()};
  boost::beast::flat_buffer buf;
  http::response<http::string_body> res;
  http::read(sock, buf, res, ec);
  if (ec) return {0, ec.message()};
  return {res.result_int(), res.body()};
}

// Runs a shell command and returns its stdout.
inline std::string run(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return out;
  std::array<char, 4096> buf;
  std::size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  ::pclose(p);
  return out;
}

class AgentFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    DiscoveryConfig cfg;
    cfg.node_id = "test-node";
    cfg.http_listen = SocketAddress(IpAddress::v4_loopback(), 0);
    cfg.dns_listen = SocketAddress(IpAddress::v4_loopback(), 0);
    manager = std::make_unique<ServiceDiscoveryManager>(io, cfg);
    auto r = manager->start();
    ASSERT_TRUE(r) << r.error().message();
    http_addr = *manager->http_address();
    dns_addr = *manager->dns_address();
    thread = std::thread([this] { io.run(); });
  }
  void TearDown() override {
    if (manager) {
      boost::asio::post(io, [this] { manager->stop(); });
    }
    guard.reset();
    if (thread.joinable()) {
      io.stop();
      thread.join();
    }
    manager.reset();
  }
  // Runs f on the agent's thread and returns its result.
  template <typename F>
  auto on_agent(F f) {
    std::packaged_task<decltype(f())()> task(std::move(f));
    auto fut = task.get_future();
    boost::asio::post(io, [&task] { task(); });
    return fut.get();
  }
  HttpReply call(http::verb v, const std::string& target, const std::string& body = {}) {
    return http_call(http_addr, v, target, body);
  }
  std::string dig(const std::string& args) {
    return run("timeout 20 /usr/bin/dig @127.0.0.1 -p " + std::to_string(dns_addr.port()) +
               " +time=5 +tries=2 " + args + " 2>&1");
  }

  boost::asio::io_context io;
  std::unique_ptr<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> guard =
      std::make_unique<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>>(
          io.get_executor());
  std::unique_ptr<ServiceDiscoveryManager> manager;
  std::thread thread;
  SocketAddress http_addr, dns_addr;
};

}  // namespace gquic::discovery::test
