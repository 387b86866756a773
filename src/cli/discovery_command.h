#pragma once
// `gquic discovery`: the service discovery agent and the clients of its HTTP API.
//   gquic discovery agent [--config FILE] [--http-listen ADDR:PORT] [--dns-listen ADDR:PORT]
//                         [--dns-domain gquic] [--node-id ID] [--etcd URL ...]
//   gquic discovery register --agent URL --file SERVICE.json [--replace]
//   gquic discovery deregister --agent URL NAMESPACE/NAME/VERSION
//   gquic discovery query 'web-*' [--agent URL] [--namespace NS] [--tag T ...] [--healthy]
//   gquic discovery watch ['web-*'] [--agent URL] [--namespace NS] [--tag T ...] [--healthy]
#include <CLI/CLI.hpp>

#include "command_runner.h"

namespace gquic::cli {

CommandRunner add_discovery_command(CLI::App& app);

}  // namespace gquic::cli
