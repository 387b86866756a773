#pragma once
// `gquic policy`: offline questions about Kubernetes network policies, answered by gquic's
// policy engine from manifests (Namespace, Pod, NetworkPolicy, AdminNetworkPolicy):
//   gquic policy check -f DIR --from NS/POD --to NS/POD --port 8080/TCP
//       exit 0 allowed, 1 denied, 2 bad usage or invalid manifests
//   gquic policy table -f DIR --ports 80/TCP,81/UDP [--json]
//       the allow/deny matrix of every ordered pair of distinct pods and every port

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace gquic::cli {

struct PolicyOptions {
  std::vector<std::string> files;
  std::string from;
  std::string to;
  std::string port;
  std::string ports;
  bool json = false;
  CLI::App* check = nullptr;
  CLI::App* table = nullptr;
};

CLI::App* add_policy_command(CLI::App& app, PolicyOptions& options);
int run_policy(const PolicyOptions& options);

}  // namespace gquic::cli
