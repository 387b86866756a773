#pragma once
// `gquic wg`: WireGuard key tools, compatible with `wg genkey`, `wg pubkey` and `wg genpsk`
// (base64 Curve25519 keys, one per line). The interface commands (`up`, `down`) come with the
// WireGuard device.

#include <CLI/CLI.hpp>

namespace gquic::cli {

struct WgCommands {
  CLI::App* genkey = nullptr;
  CLI::App* pubkey = nullptr;
  CLI::App* genpsk = nullptr;
};

WgCommands add_wg_command(CLI::App& app);
// Runs whichever wg subcommand was parsed; -1 when none was.
int run_wg(const WgCommands& commands);

}  // namespace gquic::cli
