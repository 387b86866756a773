#include "policy_command.h"

#include <charconv>
#include <iostream>
#include <optional>

#include <nlohmann/json.hpp>

#include "gquic/policy/engine.h"
#include "gquic/policy/evaluator.h"
#include "gquic/policy/manifest.h"

namespace gquic::cli {

namespace policy = gquic::policy;

CLI::App* add_policy_command(CLI::App& app, PolicyOptions& o) {
  auto* cmd = app.add_subcommand("policy", "Evaluate Kubernetes network policies from manifests");
  cmd->require_subcommand(1);
  o.check = cmd->add_subcommand(
      "check", "Is a connection allowed? Exit 0 allowed, 1 denied, 2 error");
  o.check->add_option("-f,--filename", o.files, "Manifest file or directory (repeatable)")
      ->required();
  o.check->add_option("--from", o.from, "Source: NAMESPACE/POD or an IP address")->required();
  o.check->add_option("--to", o.to, "Destination: NAMESPACE/POD or an IP address")->required();
  o.check->add_option("--port", o.port, "Destination PORT[/TCP|UDP|SCTP] (default TCP)")
      ->required();
  o.table = cmd->add_subcommand(
      "table", "Allow/deny matrix for every ordered pair of distinct pods and every port");
  o.table->add_option("-f,--filename", o.files, "Manifest file or directory (repeatable)")
      ->required();
  o.table->add_option("--ports", o.ports, "Comma-separated PORT[/PROTOCOL] list, e.g. 80/TCP,81/UDP")
      ->required();
  o.table->add_flag("--json", o.json, "Print a JSON array of {from, to, port, protocol, allowed}");
  return cmd;
}

namespace {

struct PortSpec {
  std::uint16_t port = 0;
  std::uint8_t protocol = policy::proto::tcp;
};

std::optional<PortSpec> parse_port(std::string_view text) {
  PortSpec p;
  auto slash = text.find('/');
  auto num = text.substr(0, slash);
  unsigned v = 0;
  auto [ptr, ec] = std::from_chars(num.data(), num.data() + num.size(), v);
  if (ec != std::errc{} || ptr != num.data() + num.size() || v == 0 || v > 65535) {
    return std::nullopt;
  }
  p.port = static_cast<std::uint16_t>(v);
  if (slash != std::string_view::npos) {
    auto proto = policy::parse_l4_protocol(text.substr(slash + 1));
    if (!proto) return std::nullopt;
    p.protocol = *proto;
  }
  return p;
}

std::optional<policy::Cluster> load(const std::vector<std::string>& files) {
  policy::ManifestLoader loader;
  for (const auto& f : files) loader.add_path(f);
  if (!loader.ok()) {
    for (const auto& e : loader.errors()) std::cerr << "gquic policy: " << e.to_string() << "\n";
    return std::nullopt;
  }
  return loader.cluster();
}

// NS/POD -> the pod's address; an IP address stands for itself.
std::optional<IpAddress> endpoint(const policy::Cluster& cl, const std::string& text,
                                  const char* flag) {
  if (auto ip = IpAddress::parse(text)) return *ip;
  auto slash = text.find('/');
  if (slash != std::string::npos) {
    if (const auto* pod = cl.find_container(text.substr(0, slash), text.substr(slash + 1))) {
      return pod->assigned_ip;
    }
  }
  std::cerr << "gquic policy: " << flag << " '" << text
            << "': no such pod (expected NAMESPACE/POD or an IP address)\n";
  return std::nullopt;
}

int run_check(const PolicyOptions& o) {
  auto port = parse_port(o.port);
  if (!port) {
    std::cerr << "gquic policy: --port '" << o.port << "': expected PORT[/TCP|UDP|SCTP]\n";
    return 2;
  }
  auto cl = load(o.files);
  if (!cl) return 2;
  auto src = endpoint(*cl, o.from, "--from");
  auto dst = endpoint(*cl, o.to, "--to");
  if (!src || !dst) return 2;
  const policy::Connection conn{*src, *dst, port->protocol, port->port};
  const auto d = policy::evaluate(*cl, conn);
  // The compiled engine must agree with the reference walk.
  policy::Engine engine;
  engine.set_cluster(*cl);
  const auto v = engine.decide(conn);
  if (v.allowed != d.allowed()) {
    std::cerr << "gquic policy: internal error: engine and reference evaluator disagree\n";
    return 2;
  }
  std::cout << o.from << " -> " << o.to << " " << port->port << "/"
            << policy::protocol_name(port->protocol) << ": " << d.explain() << "\n";
  return d.allowed() ? 0 : 1;
}

int run_table(const PolicyOptions& o) {
  std::vector<PortSpec> ports;
  std::string_view rest = o.ports;
  while (!rest.empty()) {
    auto comma = rest.find(',');
    auto item = rest.substr(0, comma);
    auto p = parse_port(item);
    if (!p) {
      std::cerr << "gquic policy: --ports: '" << item << "': expected PORT[/TCP|UDP|SCTP]\n";
      return 2;
    }
    ports.push_back(*p);
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
  }
  if (ports.empty()) {
    std::cerr << "gquic policy: --ports: empty\n";
    return 2;
  }
  auto cl = load(o.files);
  if (!cl) return 2;
  policy::Engine engine;
  engine.set_cluster(*cl);
  const auto& pods = cl->containers;
  auto name = [](const policy::ContainerPeerInfo& p) { return p.namespace_ + "/" + p.container_id; };
  if (o.json) {
    auto out = nlohmann::json::array();
    for (const auto& pt : ports) {
      for (const auto& from : pods) {
        for (const auto& to : pods) {
          if (&from == &to) continue;
          const auto v = engine.decide({from.assigned_ip, to.assigned_ip, pt.protocol, pt.port});
          out.push_back({{"from", name(from)}, {"to", name(to)}, {"port", pt.port},
                         {"protocol", policy::protocol_name(pt.protocol)}, {"allowed", v.allowed}});
        }
      }
    }
    std::cout << out.dump(1) << "\n";
    return 0;
  }
  std::size_t width = 4;
  for (const auto& p : pods) width = std::max(width, name(p).size());
  for (const auto& pt : ports) {
    std::cout << pt.port << "/" << policy::protocol_name(pt.protocol)
              << " (rows: from, columns: to; X allowed, . denied)\n";
    std::cout << std::string(width + 1, ' ');
    for (std::size_t j = 0; j < pods.size(); ++j) std::cout << " " << j;
    std::cout << "\n";
    for (std::size_t i = 0; i < pods.size(); ++i) {
      const auto n = name(pods[i]);
      std::cout << n << std::string(width + 1 - n.size(), ' ');
      for (std::size_t j = 0; j < pods.size(); ++j) {
        const std::string pad(std::to_string(j).size(), ' ');
        if (i == j) {
          std::cout << pad << "-";
          continue;
        }
        const auto v = engine.decide(
            {pods[i].assigned_ip, pods[j].assigned_ip, pt.protocol, pt.port});
        std::cout << pad << (v.allowed ? "X" : ".");
      }
      std::cout << "  " << i << "\n";
    }
    std::cout << "\n";
  }
  return 0;
}

}  // namespace

int run_policy(const PolicyOptions& o) {
  if (o.check && o.check->parsed()) return run_check(o);
  if (o.table && o.table->parsed()) return run_table(o);
  return 2;
}

}  // namespace gquic::cli
