#include "wg_command.h"

#include <csignal>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include <boost/asio/signal_set.hpp>

#include "gquic/core/asio.h"
#include "gquic/wireguard/config_file.h"
#include "gquic/wireguard/device_driver.h"
#include "gquic/wireguard/keys.h"
#include "gquic/wireguard/netlink_io.h"
#include "gquic/wireguard/random.h"

namespace gquic::cli {

WgCommands add_wg_command(CLI::App& app) {
  auto* wg = app.add_subcommand("wg", "WireGuard tools");
  wg->require_subcommand(1);
  WgCommands c;
  c.genkey = wg->add_subcommand("genkey", "Print a new private key (base64), like `wg genkey`");
  c.pubkey = wg->add_subcommand(
      "pubkey", "Read a private key (base64) on stdin, print its public key, like `wg pubkey`");
  c.genpsk = wg->add_subcommand("genpsk", "Print a new preshared key (base64), like `wg genpsk`");
  auto& o = *c.options;
  c.up = wg->add_subcommand(
      "up", "Run a WireGuard interface in the foreground until SIGINT/SIGTERM; `wg` manages it");
  c.up->add_option("ifname", o.ifname, "Interface name (at most 15 characters)")->required();
  c.up->add_option("--config,-c", o.config,
                   "wg-quick style file ([Interface] PrivateKey/ListenPort/Address/MTU, "
                   "[Peer] ...); without it the interface starts keyless");
  c.up->add_option("--mtu", o.mtu, "Tunnel MTU (default: the config's MTU, else 1420)");
  c.up->add_option("--uapi-dir", o.uapi_dir, "Directory of the UAPI socket")
      ->capture_default_str();
  c.down = wg->add_subcommand("down", "Delete a WireGuard interface (its `wg up` process exits)");
  c.down->add_option("ifname", o.ifname, "Interface name")->required();
  return c;
}

namespace {

int run_up(const WgCommands::Options& o) {
  wireguard::WgQuickConfig config;
  if (!o.config.empty()) {
    std::ifstream in(o.config, std::ios::binary);
    if (!in) {
      std::cerr << "gquic wg up: cannot read " << o.config << "\n";
      return 1;
    }
    std::ostringstream text;
    text << in.rdbuf();
    auto parsed = wireguard::parse_wg_config(text.str());
    if (!parsed) {
      std::cerr << "gquic wg up: " << o.config << ": " << parsed.error << "\n";
      return 1;
    }
    config = std::move(*parsed.config);
    for (const auto& w : config.warnings) {
      std::cerr << "gquic wg up: " << o.config << ": " << w << "\n";
    }
  }
  asio::net::io_context io;
  wireguard::DeviceDriverConfig dc;
  dc.ifname = o.ifname;
  dc.mtu = o.mtu != 0 ? o.mtu : config.interface.mtu.value_or(1420);
  dc.listen_port = config.interface.listen_port.value_or(0);
  dc.uapi_dir = o.uapi_dir;
  auto driver = wireguard::DeviceDriver::open(io, dc, wireguard::SodiumRandom::instance());
  if (!driver) {
    std::cerr << "gquic wg up: " << o.ifname << ": " << driver.error().message() << "\n";
    return 1;
  }
  auto& dev = **driver;
  if (!o.config.empty()) {
    const std::string reply = dev.apply_uapi(wireguard::to_uapi_set(config));
    if (reply != "errno=0\n\n") {
      std::cerr << "gquic wg up: applying " << o.config << " failed: " << reply;
      return 1;
    }
    for (const auto& a : config.interface.addresses) {
      if (auto r = wireguard::netlink::add_address(dev.ifname(), a); !r) {
        std::cerr << "gquic wg up: address " << a.to_string() << ": " << r.error().message()
                  << "\n";
        return 1;
      }
    }
    for (const auto& p : config.peers) {
      for (const auto& prefix : p.allowed_ips) {
        if (prefix.length == 0) {
          std::cerr << "gquic wg up: not routing " << prefix.to_string()
                    << " (a default route needs policy routing; add it yourself)\n";
          continue;
        }
        if (auto r = wireguard::netlink::add_route(dev.ifname(), prefix); !r) {
          std::cerr << "gquic wg up: route " << prefix.to_string() << ": "
                    << r.error().message() << "\n";
          return 1;
        }
      }
    }
  }
  asio::net::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (!ec) dev.stop();
  });
  dev.set_on_stopped([&](std::error_code) {
    boost::system::error_code ignored;
    signals.cancel(ignored);
  });
  dev.start();
  std::cerr << "gquic wg up: " << dev.ifname() << " is up, UDP port " << dev.listen_port()
            << (dev.core().has_private_key()
                    ? ", public key " + wireguard::to_base64(dev.core().public_key())
                    : std::string(", no key yet (configure it with `wg`)"))
            << "\n";
  io.run();
  std::cerr << "gquic wg up: " << dev.ifname() << " is down\n";
  return 0;
}

int run_down(const WgCommands::Options& o) {
  if (auto r = wireguard::netlink::delete_link(o.ifname); !r) {
    std::cerr << "gquic wg down: " << o.ifname << ": " << r.error().message() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace

int run_wg(const WgCommands& c) {
  if (c.up->parsed()) return run_up(*c.options);
  if (c.down->parsed()) return run_down(*c.options);
  auto& rng = wireguard::SodiumRandom::instance();
  if (c.genkey->parsed()) {
    std::cout << wireguard::to_base64(wireguard::generate_private_key(rng)) << "\n";
    return 0;
  }
  if (c.genpsk->parsed()) {
    std::cout << wireguard::to_base64(wireguard::generate_preshared_key(rng)) << "\n";
    return 0;
  }
  if (c.pubkey->parsed()) {
    std::string line;
    std::getline(std::cin, line, '\0');
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r' || line.back() == ' ')) {
      line.pop_back();
    }
    auto bytes = wireguard::key_from_base64(line);
    if (!bytes) {
      std::cerr << "gquic wg pubkey: stdin is not a base64 WireGuard key (44 characters)\n";
      wireguard::secure_zero(line.data(), line.size());
      return 1;
    }
    wireguard::secure_zero(line.data(), line.size());
    wireguard::PrivateKey priv(*bytes);
    wireguard::secure_zero(bytes->data(), bytes->size());
    auto pub = wireguard::public_key_from_private(priv);
    if (!pub) {
      std::cerr << "gquic wg pubkey: invalid private key\n";
      return 1;
    }
    std::cout << wireguard::to_base64(*pub) << "\n";
    return 0;
  }
  return -1;
}

}  // namespace gquic::cli
