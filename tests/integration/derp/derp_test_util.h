#pragma once
// Helpers for the DERP integration tests: a relay on 127.0.0.1 and coroutine test bodies run on
// one io_context with a hang guard.

#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>

#include "gquic/core/asio.h"
#include "gquic/derp/derp_server.h"
#include "gquic/derp/relay_client.h"

// ASSERT_* cannot be used inside a coroutine (they `return`).
#define CO_ASSERT_TRUE(cond)                          \
  do {                                                \
    if (!(cond)) {                                    \
      ADD_FAILURE() << "expected true: " #cond;       \
      co_return;                                      \
    }                                                 \
  } while (0)

namespace gquic::derp::testing {

namespace net = boost::asio;
using asio::awaitable;

inline DerpServerConfig dev_config() {
  DerpServerConfig c;
  c.listen_addr = *SocketAddress::parse("127.0.0.1:0");
  c.dev = true;
  c.enable_persistence = false;
  return c;
}

inline http::RelayUrl url_of(const DerpServer& s, bool tls = false) {
  http::RelayUrl u;
  u.tls = tls;
  u.host = "127.0.0.1";
  u.port = s.local_address().port();
  return u;
}

// Runs `body` on `io` until it finishes or `guard` passes (a failure), then runs `after`
// (e.g. stopping servers) and drains the context.
inline void run(net::io_context& io, std::function<awaitable<void>()> body,
                std::function<void()> after = {},
                std::chrono::seconds guard = std::chrono::seconds(30)) {
  bool done = false;
  net::co_spawn(io, [&]() -> awaitable<void> {
    co_await body();
    done = true;
  }, net::detached);
  const auto until = std::chrono::steady_clock::now() + guard;
  while (!done && std::chrono::steady_clock::now() < until) {
    io.run_for(std::chrono::milliseconds(50));
    if (io.stopped()) io.restart();
  }
  EXPECT_TRUE(done) << "the test body did not finish within " << guard.count() << " s";
  if (after) after();
  io.restart();
  io.run_for(std::chrono::seconds(5));
}

// Sleeps on the io_context.
inline awaitable<void> sleep_for(std::chrono::milliseconds d) {
  net::steady_timer t(co_await net::this_coro::executor, d);
  co_await t.async_wait(asio::nothrow);
}

// A fresh temporary directory, removed with the object.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "gquic-derp-XXXXXX").string();
    path = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

// Reads frames until one of `type` (others are skipped).
inline awaitable<Result<Frame>> read_until(RelayConnection& c, FrameType type) {
  for (;;) {
    auto f = co_await c.read_frame();
    if (!f || f->type == static_cast<std::uint8_t>(type)) co_return f;
  }
}

}  // namespace gquic::derp::testing
