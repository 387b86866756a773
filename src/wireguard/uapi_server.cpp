// The UAPI UNIX socket server; see uapi_server.h.
#include "gquic/wireguard/uapi_server.h"

#include <sys/stat.h>

#include <array>
#include <filesystem>
#include <set>

#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/write.hpp>

#include "gquic/core/log.h"

namespace gquic::wireguard {

namespace net = asio::net;
using local = net::local::stream_protocol;
using asio::awaitable;
using asio::nothrow;

std::string uapi_socket_path(std::string_view dir, std::string_view ifname) {
  std::string p(dir);
  if (!p.empty() && p.back() != '/') p.push_back('/');
  p.append(ifname);
  p.append(".sock");
  return p;
}

struct UapiServer::State : std::enable_shared_from_this<UapiServer::State> {
  State(net::io_context& io, DeviceCore& d, UapiDeviceSettings& s, std::function<void()> cb)
      : acceptor(io), device(d), settings(s), on_change(std::move(cb)) {}
  local::acceptor acceptor;
  DeviceCore& device;
  UapiDeviceSettings& settings;
  std::function<void()> on_change;
  std::set<std::shared_ptr<local::socket>> connections;
  bool stopped = false;

  awaitable<void> accept_loop() {
    auto self = shared_from_this();
    while (!stopped) {
      auto [ec, sock] = co_await acceptor.async_accept(nothrow);
      if (stopped) break;
      if (ec) {
        if (ec == net::error::operation_aborted) break;
        log::get("wireguard")->warn("uapi: accept failed: {}", ec.message());
        continue;
      }
      auto conn = std::make_shared<local::socket>(std::move(sock));
      connections.insert(conn);
      net::co_spawn(acceptor.get_executor(), serve(conn), net::detached);
    }
  }

  awaitable<void> serve(std::shared_ptr<local::socket> conn) {
    auto self = shared_from_this();
    UapiSession session(device, settings);
    std::array<char, 4096> buf;
    std::string out;
    while (!stopped && !session.closed()) {
      auto [ec, n] = co_await conn->async_read_some(net::buffer(buf), nothrow);
      if (ec || stopped) break;
      out.clear();
      session.receive(std::string_view(buf.data(), n), out);
      if (!out.empty()) {
        if (on_change) on_change();
        auto [wec, written] = co_await net::async_write(*conn, net::buffer(out), nothrow);
        (void)written;
        if (wec) break;
      }
    }
    boost::system::error_code ignored;
    conn->close(ignored);
    connections.erase(conn);
  }
};

UapiServer::UapiServer(std::unique_ptr<State> state, std::string path)
    : state_(std::move(state)), path_(std::move(path)) {}

UapiServer::~UapiServer() { stop(); }

Result<std::unique_ptr<UapiServer>> UapiServer::open(net::io_context& io, std::string path,
                                                     DeviceCore& device,
                                                     UapiDeviceSettings& settings,
                                                     std::function<void()> on_change) {
  std::error_code fs_ec;
  const auto dir = std::filesystem::path(path).parent_path();
  if (!dir.empty()) {
    std::filesystem::create_directories(dir, fs_ec);
    if (fs_ec) return fs_ec;
    ::chmod(dir.c_str(), 0755);
  }
  if (std::filesystem::exists(path, fs_ec)) {
    local::socket probe(io);
    boost::system::error_code ec;
    probe.connect(local::endpoint(path), ec);
    if (!ec) return Errc::already_exists;  // a live device owns it
    std::filesystem::remove(path, fs_ec);
  }
  auto state = std::make_unique<State>(io, device, settings, std::move(on_change));
  boost::system::error_code ec;
  const mode_t old_mask = ::umask(0077);
  state->acceptor.open(local(), ec);
  if (!ec) state->acceptor.bind(local::endpoint(path), ec);
  ::umask(old_mask);
  if (!ec) state->acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) return std::error_code(ec.value(), std::system_category());
  return std::unique_ptr<UapiServer>(new UapiServer(std::move(state), std::move(path)));
}

void UapiServer::start() {
  net::co_spawn(state_->acceptor.get_executor(), state_->accept_loop(), net::detached);
}

void UapiServer::stop() {
  if (!state_ || state_->stopped) return;
  state_->stopped = true;
  boost::system::error_code ec;
  state_->acceptor.close(ec);
  for (const auto& c : state_->connections) c->close(ec);
  std::error_code fs_ec;
  std::filesystem::remove(path_, fs_ec);
}

}  // namespace gquic::wireguard
