#pragma once
// `gquic discovery`: the service discovery agent and the clients of its HTTP API.
//   gquic discovery agent [--config FILE] [--http-listen ADDR:PORT] [--dns-listen ADDR:PORT]
//                         [--dns-domain gquic] [--node-id ID] [--etcd URL ...]
//                         [--mdns [--mdns-browse _TYPE._tcp ...] [--mdns-interface IPV4] [--mdns-ipv6]]
//                         [--gossip-bind ADDR:PORT [--join SEED ...] [--gossip-key KEY ...]]
//   gquic discovery members [--agent URL]
//   gquic discovery register --agent URL --file SERVICE.json [--replace]
//   gquic discovery deregister --agent URL NAMESPACE/NAME/VERSION
//   gquic discovery query 'web-*' [--agent URL] [--namespace NS] [--tag T ...] [--healthy]
//   gquic discovery watch ['web-*'] [--agent URL] [--namespace NS] [--tag T ...] [--healthy]
#include <CLI/CLI.hpp>

#include "command_runner.h"

namespace gquic::cli {

CommandRunner add_discovery_command(CLI::App& app);

}  // namespace gquic::cli
