#include "derp_command.h"

#include <poll.h>

#include <chrono>
#include <iostream>
#include <random>

#include "gquic/derp/stun.h"
#include "gquic/udp/udp_socket.h"

namespace gquic::cli {

DerpCommands add_derp_command(CLI::App& app, DerpOptions& o) {
  auto* derp = app.add_subcommand("derp", "DERP relay tools");
  derp->require_subcommand(1);
  DerpCommands c;
  c.stun = derp->add_subcommand("stun", "Ask a STUN server for this host's mapped address");
  c.stun->add_option("server", o.stun_server, "STUN server, IP:PORT")->required();
  c.stun->add_option("--timeout-ms", o.timeout_ms, "Wait per attempt")->check(CLI::Range(1, 60000));
  c.stun->add_option("--attempts", o.attempts, "Requests to send")->check(CLI::Range(1, 10));
  return c;
}

namespace {

int run_stun(const DerpOptions& o) {
  auto server = SocketAddress::parse(o.stun_server);
  if (!server) {
    std::cerr << "gquic derp stun: '" << o.stun_server << "' is not an IP:PORT address\n";
    return 2;
  }
  auto sock = udp::UdpSocket::open(
      {.bind_address = SocketAddress(IpAddress::any(server->ip().family()), 0),
       .enable_gso = false,
       .enable_gro = false});
  if (!sock) {
    std::cerr << "gquic derp stun: cannot open a UDP socket: " << sock.error().message() << "\n";
    return 1;
  }
  std::random_device rd;
  for (int attempt = 0; attempt < o.attempts; ++attempt) {
    derp::stun::TransactionId txid;
    for (auto& b : txid) b = static_cast<std::uint8_t>(rd());
    const auto request = derp::stun::binding_request(txid);
    const udp::Transmit t{.destination = *server, .contents = request};
    const auto sent_at = std::chrono::steady_clock::now();
    if (auto r = sock->send(std::span(&t, 1)); !r) {
      std::cerr << "gquic derp stun: send to " << server->to_string() << ": "
                << r.error().message() << "\n";
      return 1;
    }
    const auto deadline = sent_at + std::chrono::milliseconds(o.timeout_ms);
    std::vector<std::uint8_t> buf(2048);
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      pollfd p{sock->native_handle(), POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
      std::span<std::uint8_t> b(buf);
      udp::RecvMeta meta;
      auto got = sock->recv(std::span(&b, 1), std::span(&meta, 1));
      if (!got || *got == 0) continue;
      auto resp = derp::stun::parse_binding_response(std::span(buf).first(meta.len));
      if (!resp || resp->txid != txid) continue;  // not our answer: keep waiting
      const double rtt_ms = std::chrono::duration<double, std::milli>(
                                std::chrono::steady_clock::now() - sent_at).count();
      std::cout << "mapped: " << resp->mapped.to_string() << "\n";
      std::cout << "rtt_ms: " << rtt_ms << "\n";
      return 0;
    }
  }
  std::cerr << "gquic derp stun: no answer from " << server->to_string() << " after "
            << o.attempts << " attempts\n";
  return 1;
}

}  // namespace

int run_derp(const DerpCommands& c, const DerpOptions& o) {
  if (c.stun->parsed()) return run_stun(o);
  return -1;
}

}  // namespace gquic::cli
