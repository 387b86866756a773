// The `gquic` command. Subcommands run gquic's daemons in the foreground until SIGINT or
// SIGTERM, as service managers and containers expect. Exit codes: 0 success, 1 runtime
// failure (a port in use, an unreadable config), 2 bad usage (unknown flag, invalid value).
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <vector>

#include <CLI/CLI.hpp>

#include "gquic/core/log.h"
#include "derp_command.h"
#include "discovery_command.h"
#include "quic_command.h"
#include "node_command.h"
#include "wg_command.h"
#include "policy_command.h"

int main(int argc, char** argv) {
  CLI::App app{"gquic: secure mesh networking over QUIC"};
  app.require_subcommand(1);
  std::string log_spec;
  app.add_option("--log", log_spec,
                 "Log levels: LEVEL and/or MODULE=LEVEL, comma-separated (trace, debug, info, "
                 "warn, error, critical, off); also read from GQUIC_LOG");

  auto* version = app.add_subcommand("version", "Print gquic's version");
  gquic::cli::NodeOptions node_options;
  auto* node = gquic::cli::add_node_command(app, node_options);
  const gquic::cli::WgCommands wg = gquic::cli::add_wg_command(app);
  gquic::cli::DerpOptions derp_options;
  const gquic::cli::DerpCommands derp = gquic::cli::add_derp_command(app, derp_options);
  gquic::cli::PolicyOptions policy_options;
  auto* policy = gquic::cli::add_policy_command(app, policy_options);
  const std::vector<gquic::cli::CommandRunner> runners{
      gquic::cli::add_quic_command(app),
      gquic::cli::add_discovery_command(app),
  };

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);  // prints the problem (or the help text)
    return rc == 0 ? 0 : 2;
  }
  if (!log_spec.empty()) {
    if (auto r = gquic::log::configure(log_spec); !r) {
      std::cerr << "gquic: --log: invalid level spec '" << log_spec << "'\n";
      return 2;
    }
  }
  if (version->parsed()) {
    std::cout << "gquic " << GQUIC_VERSION << "\n";
    return 0;
  }
  if (node->parsed()) return gquic::cli::run_node(node_options);
  if (int rc = gquic::cli::run_wg(wg); rc >= 0) return rc;
  if (int rc = gquic::cli::run_derp(derp, derp_options); rc >= 0) return rc;
  if (policy->parsed()) return gquic::cli::run_policy(policy_options);
  for (const auto& run : runners) {
    if (int rc = run(); rc >= 0) return rc;
  }
  return 2;
}
