#include "node_command.h"

#include <csignal>
#include <iostream>

#include <boost/asio/signal_set.hpp>

#include "gquic/core/asio.h"
#include "gquic/core/log.h"
#include "gquic/node/node_config.h"
#include "gquic/node/node_driver.h"

namespace gquic::cli {

CLI::App* add_node_command(CLI::App& app, NodeOptions& o) {
  auto* cmd = app.add_subcommand(
      "node", "Run a gquic node: the UDP mux and the Prometheus /metrics endpoint");
  cmd->add_option("--config", o.config_path, "TOML configuration file (flags override it)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--listen", o.listen, "Primary UDP socket, IP:PORT (default 127.0.0.1:0)");
  cmd->add_option("--additional", o.additional, "More UDP sockets, IP:PORT (repeatable)");
  cmd->add_option("--metrics", o.metrics, "/metrics listen address, IP:PORT (default 127.0.0.1:0)");
  cmd->add_flag("--no-metrics", o.no_metrics, "Do not serve /metrics");
  cmd->add_option("--strategy", o.strategy,
                  "Load balancing: round-robin, least-loaded, consistent-hash");
  cmd->add_option("--batch-size", o.batch_size, "Datagrams per recvmmsg/sendmmsg (1..1024)")
      ->check(CLI::Range(1, 1024));
  cmd->add_flag("--no-gso", o.no_gso, "Do not use UDP GSO");
  cmd->add_flag("--no-gro", o.no_gro, "Do not use UDP GRO");
  return cmd;
}

namespace {

bool parse_address(const std::string& flag, const std::string& text, SocketAddress& out) {
  auto a = SocketAddress::parse(text);
  if (!a) {
    std::cerr << "gquic node: " << flag << " '" << text
              << "' is not an IP:PORT address (IPv6 as [addr]:port)\n";
    return false;
  }
  out = *a;
  return true;
}

}  // namespace

int run_node(const NodeOptions& o) {
  node::NodeConfig config;
  if (!o.config_path.empty()) {
    std::string why;
    auto loaded = node::load_node_config(o.config_path, &why);
    if (!loaded) {
      std::cerr << "gquic node: " << why << "\n";
      return 2;
    }
    config = std::move(*loaded);
  }
  if (o.listen && !parse_address("--listen", *o.listen, config.udp.listen)) return 2;
  if (!o.additional.empty()) {
    config.udp.additional.clear();
    for (const auto& a : o.additional) {
      SocketAddress addr;
      if (!parse_address("--additional", a, addr)) return 2;
      config.udp.additional.push_back(addr);
    }
  }
  if (o.metrics && !parse_address("--metrics", *o.metrics, config.metrics.listen)) return 2;
  if (o.no_metrics) config.metrics.enabled = false;
  if (o.strategy) {
    auto s = udp_mux_advanced::parse_strategy(*o.strategy);
    if (!s) {
      std::cerr << "gquic node: --strategy '" << *o.strategy
                << "': expected round-robin, least-loaded or consistent-hash\n";
      return 2;
    }
    config.udp.strategy = *s;
  }
  if (o.batch_size) config.udp.batch_size = *o.batch_size;
  if (o.no_gso) config.udp.gso = false;
  if (o.no_gro) config.udp.gro = false;
  if (auto r = log::configure(config.log); !r) {
    std::cerr << "gquic node: node.log: invalid level spec '" << config.log << "'\n";
    return 2;
  }

  boost::asio::io_context io;
  std::string why;
  auto node = node::NodeDriver::start(io, config, &why);
  if (!node) {
    std::cerr << "gquic node: " << why << "\n";
    return 1;
  }
  auto& n = **node;
  for (std::size_t i = 0; i < n.mux().socket_count(); ++i) {
    const auto& caps = n.mux().capabilities(i);
    std::cout << "udp: " << n.mux().local_address(i).to_string() << " (gso " << (caps.gso ? "on" : "off")
              << ", gro " << (caps.gro ? "on" : "off") << ")\n";
  }
  if (auto m = n.metrics_address()) {
    std::cout << "metrics: http://" << m->to_string() << "/metrics\n";
  }
  std::cout << std::flush;
  log::get("node")->info("node running; stop with SIGINT or SIGTERM");

  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int signo) {
    if (ec) return;
    log::get("node")->info("signal {}: stopping", signo);
    n.stop();
    io.stop();
  });
  io.run();
  std::cout << "stopped\n" << std::flush;
  return 0;
}

}  // namespace gquic::cli
