#include "wg_command.h"

#include <iostream>
#include <string>

#include "gquic/wireguard/keys.h"
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
  return c;
}

int run_wg(const WgCommands& c) {
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
