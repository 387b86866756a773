#pragma once
// `gquic derp`: relay tools. Today: `gquic derp stun HOST:PORT`, which asks a STUN server
// (a DERP relay's STUN port, a gquic node, any RFC 8489 server) for this host's mapped
// address. The relay server and client commands come with the DERP driver.

#include <string>

#include <CLI/CLI.hpp>

namespace gquic::cli {

struct DerpOptions {
  std::string stun_server;
  int timeout_ms = 1000;
  int attempts = 3;
};

struct DerpCommands {
  CLI::App* stun = nullptr;
};

DerpCommands add_derp_command(CLI::App& app, DerpOptions& options);
// Runs the parsed derp subcommand; -1 when none was.
int run_derp(const DerpCommands& commands, const DerpOptions& options);

}  // namespace gquic::cli
