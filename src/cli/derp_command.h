#pragma once
// `gquic derp`: the DERP relay and its client tools.
//
//   gquic derp --listen ADDR:PORT [--tls-cert F --tls-key F | --dev] [--stun ADDR:PORT]
//              [--state-dir DIR] [--mesh-key HEX --mesh-peer URL ...] [--metrics ADDR:PORT]
//       runs a relay in the foreground until SIGINT/SIGTERM;
//   gquic derp probe URL [--stun HOST:PORT]    server key, RTT (and the STUN-mapped address);
//   gquic derp send URL --to PEERKEY --data TEXT --key-file F
//   gquic derp recv URL [--count N] --key-file F (prints "FROMKEY TEXT" lines);
//   gquic derp stun IP:PORT                     asks any STUN server for the mapped address.
// Client commands take --insecure (no TLS verification) and --ca-file F. Bad usage exits 2.

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace gquic::cli {

struct DerpOptions {
  // relay
  std::string listen;
  std::string tls_cert;
  std::string tls_key;
  bool dev = false;
  std::string stun_listen;
  std::string state_dir;
  std::string mesh_key;
  std::vector<std::string> mesh_peers;
  std::string metrics;
  std::string region = "default";
  int max_clients = 10'000;
  // client commands
  std::string url;
  std::string key_file;
  std::string to;
  std::string data;
  int count = 1;
  bool insecure = false;
  std::string ca_file;
  int timeout_ms = 1000;  // stun: per attempt; probe/send/recv: ×10 for the whole command
  // stun
  std::string stun_server;
  int attempts = 3;
};

struct DerpCommands {
  CLI::App* derp = nullptr;
  CLI::App* stun = nullptr;
  CLI::App* probe = nullptr;
  CLI::App* send = nullptr;
  CLI::App* recv = nullptr;
};

DerpCommands add_derp_command(CLI::App& app, DerpOptions& options);
// Runs the parsed derp subcommand; -1 when none was.
int run_derp(const DerpCommands& commands, const DerpOptions& options);

}  // namespace gquic::cli
