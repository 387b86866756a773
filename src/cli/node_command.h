#pragma once
// `gquic node`: runs a node (UDP mux + /metrics) on the built-in default or a config file.

#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace gquic::cli {

struct NodeOptions {
  std::string config_path;
  std::optional<std::string> listen;
  std::vector<std::string> additional;
  std::optional<std::string> metrics;
  bool no_metrics = false;
  std::optional<std::string> strategy;
  std::optional<std::size_t> batch_size;
  bool no_gso = false;
  bool no_gro = false;
};

CLI::App* add_node_command(CLI::App& app, NodeOptions& options);
int run_node(const NodeOptions& options);

}  // namespace gquic::cli
