#include "quic_command.h"

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <string>

#include <unistd.h>

#include <boost/asio/signal_set.hpp>

#include "gquic/core/asio.h"
#include "gquic/quic/interop_driver.h"
#include "gquic/quic/perf_driver.h"

namespace gquic::cli {

namespace net = boost::asio;
using asio::awaitable;

namespace {

struct PerfOptions {
  std::string listen = "0.0.0.0:4433";
  std::string cert;
  std::string key;
  std::string connect;
  std::uint64_t download = 0;
  std::uint64_t upload = 0;
  unsigned streams = 1;
  bool insecure = false;
  std::string cc = "cubic";
  std::string qlog_dir;
  std::string server_name;
};

int perf_server(const PerfOptions& o) {
  auto addr = SocketAddress::parse(o.listen);
  if (!addr) {
    std::cerr << "gquic perf server: --listen '" << o.listen << "' is not ADDR:PORT\n";
    return 2;
  }
  std::string why;
  Result<std::shared_ptr<quic::TlsContext>> tls = Errc::invalid_argument;
  if (!o.cert.empty() || !o.key.empty()) {
    if (o.cert.empty() || o.key.empty()) {
      std::cerr << "gquic perf server: --cert and --key go together\n";
      return 2;
    }
    tls = quic::TlsContext::server({.cert_file = o.cert, .key_file = o.key,
                                    .alpn = {quic::kPerfAlpn}}, &why);
  } else {
    quic::SelfSignedConfig sc;
    sc.dns_names = {"localhost"};
    sc.ips = {addr->ip()};
    sc.alpn = {quic::kPerfAlpn};
    tls = quic::TlsContext::server_self_signed(sc, &why);
  }
  if (!tls) {
    std::cerr << "gquic perf server: TLS setup failed: " << why << " (" << tls.error().message()
              << ")\n";
    return 1;
  }
  net::io_context io;
  quic::EndpointConfig ec;
  ec.connection.max_udp_payload = 1452;
  ec.connection.stream_receive_window = 4 << 20;
  ec.connection.connection_receive_window = 16 << 20;
  ec.connection.stream_send_buffer = 4 << 20;
  auto server = quic::EndpointDriver::server(io, *tls, ec, {.bind = *addr});
  if (!server) {
    std::cerr << "gquic perf server: cannot listen on " << o.listen << ": "
              << server.error().message() << "\n";
    return 1;
  }
  std::cout << "listening on " << (*server)->local_address().to_string() << std::endl;
  net::co_spawn(io, quic::perf_serve(**server), net::detached);
  net::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code&, int) {
    (*server)->stop();
    io.stop();
  });
  io.run();
  return 0;
}

// One qlog file per connection in `dir`.
quic::QlogSink qlog_file(const std::string& dir, const std::string& name) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  auto file = std::make_shared<std::ofstream>(std::filesystem::path(dir) / name,
                                              std::ios::binary | std::ios::trunc);
  return [file](std::span<const std::uint8_t> text, bool fin) {
    file->write(reinterpret_cast<const char*>(text.data()),
                static_cast<std::streamsize>(text.size()));
    if (fin) file->flush();
  };
}

int perf_client(const PerfOptions& o) {
  auto addr = SocketAddress::parse(o.connect);
  if (!addr) {
    std::cerr << "gquic perf client: --connect '" << o.connect << "' is not ADDR:PORT\n";
    return 2;
  }
  quic::ConnectionConfig cfg;
  cfg.server_name = o.server_name.empty() ? addr->ip().to_string() : o.server_name;
  cfg.max_udp_payload = 1452;
  cfg.stream_receive_window = 4 << 20;
  cfg.connection_receive_window = 16 << 20;
  cfg.stream_send_buffer = 4 << 20;
  cfg.congestion_control =
      o.cc == "bbr2" ? quic::CongestionControl::bbr2 : quic::CongestionControl::cubic;
  if (!o.qlog_dir.empty()) {
    cfg.qlog = qlog_file(o.qlog_dir, "client-" + std::to_string(::getpid()) + ".sqlog");
  }
  std::string why;
  auto tls = quic::TlsContext::client(
      {.insecure_skip_verify = o.insecure, .alpn = {quic::kPerfAlpn}}, &why);
  if (!tls) {
    std::cerr << "gquic perf client: TLS setup failed: " << why << "\n";
    return 1;
  }
  net::io_context io;
  auto client = quic::EndpointDriver::client(
      io, {.bind = SocketAddress(IpAddress::any(addr->ip().family()), 0)});
  if (!client) {
    std::cerr << "gquic perf client: cannot open a UDP socket: " << client.error().message()
              << "\n";
    return 1;
  }
  int rc = 1;
  net::co_spawn(io, [&]() -> awaitable<void> {
    auto r = co_await quic::perf_run(**client, *tls, cfg, *addr,
                                     {.download = o.download, .upload = o.upload,
                                      .streams = o.streams});
    if (!r) {
      std::cerr << "gquic perf client: " << r.error().message() << "\n";
    } else {
      const double secs = std::chrono::duration<double>(r->transfer).count();
      const double hs_ms = std::chrono::duration<double, std::milli>(r->handshake).count();
      std::cout << "handshake_ms: " << hs_ms << "\n"
                << "transfer_s: " << secs << "\n"
                << "downloaded_bytes: " << r->downloaded << "\n"
                << "uploaded_bytes: " << r->uploaded << "\n"
                << "download_gbps: " << (secs > 0 ? r->downloaded * 8 / secs / 1e9 : 0) << "\n"
                << "upload_gbps: " << (secs > 0 ? r->uploaded * 8 / secs / 1e9 : 0) << "\n"
                << "srtt_us: "
                << std::chrono::duration_cast<std::chrono::microseconds>(r->stats.smoothed_rtt)
                       .count()
                << "\n"
                << "cc: " << o.cc << "\n";
      rc = 0;
    }
    io.stop();
  }, net::detached);
  io.run();
  return rc;
}

// The interop-runner contract, configured by the environment (see interop_driver.h).
int run_interop() {
  std::map<std::string, std::string> env;
  for (const char* k : {"ROLE", "TESTCASE", "REQUESTS", "DOWNLOADS", "WWW", "CERTS", "HOST",
                        "PORT", "QLOGDIR", "SSLKEYLOGFILE"}) {
    if (const char* v = std::getenv(k)) env[k] = v;
  }
  return quic::run_interop(env);
}

}  // namespace

CommandRunner add_quic_command(CLI::App& app) {
  auto o = std::make_shared<PerfOptions>();
  auto* perf = app.add_subcommand("perf", "QUIC performance tool (draft-banks-quic-performance)");
  perf->require_subcommand(1);
  auto* server = perf->add_subcommand("server", "Serve perf requests");
  server->add_option("--listen", o->listen, "ADDR:PORT to listen on");
  server->add_option("--cert", o->cert, "PEM certificate chain (default: self-signed)");
  server->add_option("--key", o->key, "PEM private key");
  auto* client = perf->add_subcommand("client", "Run perf requests against a server");
  client->add_option("--connect", o->connect, "server ADDR:PORT")->required();
  client->add_option("--download", o->download, "bytes to download (total)");
  client->add_option("--upload", o->upload, "bytes to upload (total)");
  client->add_option("--streams", o->streams, "concurrent requests")->check(CLI::Range(1, 1000));
  client->add_flag("--insecure", o->insecure, "do not verify the server certificate");
  client->add_option("--cc", o->cc, "congestion control")
      ->check(CLI::IsMember({"cubic", "bbr2"}));
  client->add_option("--qlog-dir", o->qlog_dir, "write a qlog file per connection here");
  client->add_option("--server-name", o->server_name, "name verified (default: the address)");
  auto* interop = app.add_subcommand(
      "interop", "quic-interop-runner endpoint (ROLE, TESTCASE, REQUESTS, WWW, DOWNLOADS, ...)");
  return [o, server, client, interop] {
    if (server->parsed()) return perf_server(*o);
    if (client->parsed()) return perf_client(*o);
    if (interop->parsed()) return run_interop();
    return -1;
  };
}

}  // namespace gquic::cli
