#pragma once
// `gquic wg`: WireGuard key tools, compatible with `wg genkey`, `wg pubkey` and `wg genpsk`
// (base64 Curve25519 keys, one per line), and the interface commands:
//   gquic wg up <ifname> [--config FILE]   runs the interface in the foreground until
//                                          SIGINT/SIGTERM or `gquic wg down`; managed by `wg`
//                                          through /var/run/wireguard/<ifname>.sock
//   gquic wg down <ifname>                 deletes the interface (its process then exits)

#include <cstddef>
#include <string>

#include <CLI/CLI.hpp>

namespace gquic::cli {

struct WgCommands {
  CLI::App* genkey = nullptr;
  CLI::App* pubkey = nullptr;
  CLI::App* genpsk = nullptr;
  CLI::App* up = nullptr;
  CLI::App* down = nullptr;
  struct Options {
    std::string ifname;
    std::string config;
    std::size_t mtu = 0;  // 0: the config's MTU, else 1420
    std::string uapi_dir = "/var/run/wireguard";
  };
  std::shared_ptr<Options> options = std::make_shared<Options>();
};

WgCommands add_wg_command(CLI::App& app);
// Runs whichever wg subcommand was parsed; -1 when none was.
int run_wg(const WgCommands& commands);

}  // namespace gquic::cli
