// Kubernetes manifests -> Cluster, with yaml-cpp. Every yaml-cpp call that can throw runs
// under the try blocks of add_text/add_path.
#include "gquic/policy/manifest.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "yaml_syntax_check.h"

namespace gquic::policy {

std::string ManifestError::to_string() const {
  std::string out = source;
  if (!object.empty()) out += ": " + object;
  if (!field.empty()) out += ": " + field;
  return out + ": " + message;
}

namespace {

// Collects errors for one object.
struct Ctx {
  std::vector<ManifestError>& errors;
  std::string source;
  std::string object;
  bool failed = false;
  void error(const std::string& field, const std::string& msg) {
    errors.push_back({source, object, field, msg});
    failed = true;
  }
};

std::string idx(const std::string& path, std::size_t i) {
  return path + "[" + std::to_string(i) + "]";
}
std::string join(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

std::string node_type(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map: return "a mapping";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Scalar: return "a scalar";
    case YAML::NodeType::Null: return "null";
    default: return "nothing";
  }
}

bool expect_map(Ctx& c, const YAML::Node& n, const std::string& path) {
  if (n.IsMap()) return true;
  c.error(path, "expected a mapping, got " + node_type(n));
  return false;
}
bool expect_seq(Ctx& c, const YAML::Node& n, const std::string& path) {
  if (n.IsSequence()) return true;
  c.error(path, "expected a list, got " + node_type(n));
  return false;
}

// Rejects keys of `n` not in `allowed`.
void check_keys(Ctx& c, const YAML::Node& n, const std::string& path,
                std::initializer_list<std::string_view> allowed) {
  for (const auto& kv : n) {
    if (!kv.first.IsScalar()) {
      c.error(path, "non-scalar key");
      continue;
    }
    const auto key = kv.first.Scalar();
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      c.error(join(path, key), "unknown field");
    }
  }
}

std::optional<std::string> get_string(Ctx& c, const YAML::Node& n, const std::string& path) {
  if (!n.IsScalar()) {
    c.error(path, "expected a string, got " + node_type(n));
    return std::nullopt;
  }
  return n.Scalar();
}

std::optional<long long> get_int(Ctx& c, const YAML::Node& n, const std::string& path) {
  long long v = 0;
  if (!n.IsScalar() || !YAML::convert<long long>::decode(n, v)) {
    c.error(path, "expected an integer");
    return std::nullopt;
  }
  return v;
}

std::optional<std::uint16_t> get_port(Ctx& c, const YAML::Node& n, const std::string& path) {
  auto v = get_int(c, n, path);
  if (!v) return std::nullopt;
  if (*v < 1 || *v > 65535) {
    c.error(path, "port " + std::to_string(*v) + " is outside 1..65535");
    return std::nullopt;
  }
  return static_cast<std::uint16_t>(*v);
}

Labels get_labels(Ctx& c, const YAML::Node& n, const std::string& path) {
  Labels out;
  if (!n || n.IsNull()) return out;
  if (!expect_map(c, n, path)) return out;
  for (const auto& kv : n) {
    if (!kv.first.IsScalar()) {
      c.error(path, "non-scalar label key");
      continue;
    }
    auto v = get_string(c, kv.second, join(path, kv.first.Scalar()));
    if (v) out.insert_or_assign(kv.first.Scalar(), *v);
  }
  return out;
}

LabelSelector get_selector(Ctx& c, const YAML::Node& n, const std::string& path) {
  LabelSelector s;
  if (n.IsNull()) return s;  // `podSelector:` with no value = {}
  if (!expect_map(c, n, path)) return s;
  check_keys(c, n, path, {"matchLabels", "matchExpressions"});
  if (n["matchLabels"]) s.match_labels = get_labels(c, n["matchLabels"], join(path, "matchLabels"));
  if (const auto exprs = n["matchExpressions"]) {
    const auto epath = join(path, "matchExpressions");
    if (exprs.IsNull()) return s;
    if (!expect_seq(c, exprs, epath)) return s;
    for (std::size_t i = 0; i < exprs.size(); ++i) {
      const auto e = exprs[i];
      const auto p = idx(epath, i);
      if (!expect_map(c, e, p)) continue;
      check_keys(c, e, p, {"key", "operator", "values"});
      LabelRequirement r;
      if (!e["key"]) {
        c.error(join(p, "key"), "missing");
        continue;
      }
      if (auto k = get_string(c, e["key"], join(p, "key"))) r.key = *k;
      if (!e["operator"]) {
        c.error(join(p, "operator"), "missing");
        continue;
      }
      auto op = get_string(c, e["operator"], join(p, "operator"));
      if (!op) continue;
      if (*op == "In") r.op = SelectorOp::in;
      else if (*op == "NotIn") r.op = SelectorOp::not_in;
      else if (*op == "Exists") r.op = SelectorOp::exists;
      else if (*op == "DoesNotExist") r.op = SelectorOp::does_not_exist;
      else {
        c.error(join(p, "operator"), "'" + *op + "' is not In, NotIn, Exists or DoesNotExist");
        continue;
      }
      if (const auto vals = e["values"]; vals && !vals.IsNull()) {
        if (expect_seq(c, vals, join(p, "values"))) {
          for (std::size_t j = 0; j < vals.size(); ++j) {
            if (auto v = get_string(c, vals[j], idx(join(p, "values"), j))) r.values.push_back(*v);
          }
        }
      }
      const bool set_op = r.op == SelectorOp::in || r.op == SelectorOp::not_in;
      if (set_op && r.values.empty()) c.error(join(p, "values"), "must be non-empty for " + *op);
      if (!set_op && !r.values.empty()) c.error(join(p, "values"), "must be empty for " + *op);
      s.match_expressions.push_back(std::move(r));
    }
  }
  return s;
}

std::optional<Cidr> get_cidr(Ctx& c, const YAML::Node& n, const std::string& path) {
  auto s = get_string(c, n, path);
  if (!s) return std::nullopt;
  auto cidr = Cidr::parse(*s);
  if (!cidr) {
    c.error(path, "'" + *s + "' is not a CIDR (ADDRESS/PREFIX)");
    return std::nullopt;
  }
  return *cidr;
}

bool valid_port_name(const std::string& s) {
  if (s.empty() || s.size() > 15) return false;
  bool letter = false;
  for (char ch : s) {
    if (ch >= 'a' && ch <= 'z') letter = true;
    else if (!(ch >= '0' && ch <= '9') && ch != '-') return false;
  }
  return letter;
}

std::uint8_t get_protocol(Ctx& c, const YAML::Node& n, const std::string& path) {
  if (!n || n.IsNull()) return proto::tcp;
  auto s = get_string(c, n, path);
  if (!s) return proto::tcp;
  auto p = parse_l4_protocol(*s);
  if (!p) c.error(path, "'" + *s + "' is not TCP, UDP or SCTP");
  return p.value_or(proto::tcp);
}

std::vector<PolicyPort> get_np_ports(Ctx& c, const YAML::Node& n, const std::string& path) {
  std::vector<PolicyPort> out;
  if (n.IsNull() || !expect_seq(c, n, path)) return out;
  for (std::size_t i = 0; i < n.size(); ++i) {
    const auto e = n[i];
    const auto p = idx(path, i);
    if (!expect_map(c, e, p)) continue;
    check_keys(c, e, p, {"protocol", "port", "endPort"});
    PolicyPort pp;
    pp.protocol = get_protocol(c, e["protocol"], join(p, "protocol"));
    if (const auto port = e["port"]; port && !port.IsNull()) {
      long long v = 0;
      if (port.IsScalar() && YAML::convert<long long>::decode(port, v)) {
        pp.port = get_port(c, port, join(p, "port"));
      } else if (auto name = get_string(c, port, join(p, "port"))) {
        if (!valid_port_name(*name)) c.error(join(p, "port"), "'" + *name + "' is not a port name");
        pp.named_port = *name;
      }
    }
    if (const auto end = e["endPort"]; end && !end.IsNull()) {
      pp.end_port = get_port(c, end, join(p, "endPort"));
      if (!pp.port) {
        c.error(join(p, "endPort"), "requires a numeric port");
      } else if (pp.end_port && *pp.end_port < *pp.port) {
        c.error(join(p, "endPort"), "endPort " + std::to_string(*pp.end_port) +
                                        " is below port " + std::to_string(*pp.port));
      }
    }
    out.push_back(pp);
  }
  return out;
}

std::vector<PolicyPeer> get_np_peers(Ctx& c, const YAML::Node& n, const std::string& path) {
  std::vector<PolicyPeer> out;
  if (n.IsNull() || !expect_seq(c, n, path)) return out;
  for (std::size_t i = 0; i < n.size(); ++i) {
    const auto e = n[i];
    const auto p = idx(path, i);
    if (!expect_map(c, e, p)) continue;
    check_keys(c, e, p, {"podSelector", "namespaceSelector", "ipBlock"});
    PolicyPeer peer;
    if (e["podSelector"]) peer.pod_selector = get_selector(c, e["podSelector"], join(p, "podSelector"));
    if (e["namespaceSelector"]) {
      peer.namespace_selector = get_selector(c, e["namespaceSelector"], join(p, "namespaceSelector"));
    }
    if (const auto b = e["ipBlock"]) {
      const auto bp = join(p, "ipBlock");
      if (peer.pod_selector || peer.namespace_selector) {
        c.error(bp, "ipBlock cannot be combined with podSelector or namespaceSelector");
      }
      if (expect_map(c, b, bp)) {
        check_keys(c, b, bp, {"cidr", "except"});
        IpBlock block;
        std::optional<Cidr> cidr;
        if (!b["cidr"]) c.error(join(bp, "cidr"), "missing");
        else cidr = get_cidr(c, b["cidr"], join(bp, "cidr"));
        if (cidr) block.cidr = *cidr;
        if (const auto ex = b["except"]; ex && !ex.IsNull() && expect_seq(c, ex, join(bp, "except"))) {
          for (std::size_t j = 0; j < ex.size(); ++j) {
            const auto ep = idx(join(bp, "except"), j);
            if (auto e2 = get_cidr(c, ex[j], ep)) {
              if (cidr && (!cidr->covers(*e2) || e2->prefix <= cidr->prefix)) {
                c.error(ep, e2->to_string() + " is not strictly inside " + cidr->to_string());
              }
              block.except.push_back(*e2);
            }
          }
        }
        peer.ip_block = block;
      }
    }
    if (!peer.pod_selector && !peer.namespace_selector && !peer.ip_block) {
      c.error(p, "a peer needs podSelector, namespaceSelector or ipBlock");
    }
    out.push_back(std::move(peer));
  }
  return out;
}

std::vector<PolicyRule> get_np_rules(Ctx& c, const YAML::Node& n, const std::string& path,
                                     const char* peers_key) {
  std::vector<PolicyRule> out;
  if (n.IsNull() || !expect_seq(c, n, path)) return out;
  for (std::size_t i = 0; i < n.size(); ++i) {
    const auto e = n[i];
    const auto p = idx(path, i);
    PolicyRule r;
    if (e.IsNull()) {  // `- {}` written as `-`: an allow-all rule
      out.push_back(r);
      continue;
    }
    if (!expect_map(c, e, p)) continue;
    check_keys(c, e, p, {peers_key, "ports"});
    if (e[peers_key]) r.peers = get_np_peers(c, e[peers_key], join(p, peers_key));
    if (e["ports"]) r.ports = get_np_ports(c, e["ports"], join(p, "ports"));
    out.push_back(std::move(r));
  }
  return out;
}

struct Meta {
  std::string name;
  std::string ns;
  Labels labels;
};

std::optional<Meta> get_meta(Ctx& c, const YAML::Node& doc, bool namespaced) {
  const auto m = doc["metadata"];
  if (!m) {
    c.error("metadata", "missing");
    return std::nullopt;
  }
  if (!expect_map(c, m, "metadata")) return std::nullopt;
  Meta meta;
  if (!m["name"]) {
    c.error("metadata.name", "missing");
    return std::nullopt;
  }
  auto name = get_string(c, m["name"], "metadata.name");
  if (!name || name->empty()) {
    if (name) c.error("metadata.name", "empty");
    return std::nullopt;
  }
  meta.name = *name;
  if (namespaced) {
    meta.ns = "default";
    if (m["namespace"] && !m["namespace"].IsNull()) {
      auto ns = get_string(c, m["namespace"], "metadata.namespace");
      if (ns && !ns->empty()) meta.ns = *ns;
    }
  }
  if (m["labels"]) meta.labels = get_labels(c, m["labels"], "metadata.labels");
  return meta;
}

void check_api(Ctx& c, const YAML::Node& doc, std::string_view want) {
  const auto v = doc["apiVersion"];
  if (!v) {
    c.error("apiVersion", "missing");
    return;
  }
  auto s = get_string(c, v, "apiVersion");
  if (s && *s != want) c.error("apiVersion", "'" + *s + "', expected " + std::string(want));
}

AdminSelector get_admin_selector(Ctx& c, const YAML::Node& n, const std::string& path,
                                 bool allow_networks) {
  AdminSelector s;
  if (!expect_map(c, n, path)) return s;
  if (allow_networks) check_keys(c, n, path, {"namespaces", "pods", "networks", "nodes"});
  else check_keys(c, n, path, {"namespaces", "pods"});
  int kinds = 0;
  if (const auto ns = n["namespaces"]) {
    ++kinds;
    s.kind = AdminSelector::Kind::namespaces;
    s.namespace_selector = get_selector(c, ns, join(path, "namespaces"));
  }
  if (const auto pods = n["pods"]) {
    ++kinds;
    s.kind = AdminSelector::Kind::pods;
    const auto pp = join(path, "pods");
    if (expect_map(c, pods, pp)) {
      check_keys(c, pods, pp, {"namespaceSelector", "podSelector"});
      if (pods["namespaceSelector"]) {
        s.namespace_selector = get_selector(c, pods["namespaceSelector"], join(pp, "namespaceSelector"));
      }
      if (!pods["podSelector"]) c.error(join(pp, "podSelector"), "missing");
      else s.pod_selector = get_selector(c, pods["podSelector"], join(pp, "podSelector"));
    }
  }
  if (allow_networks) {
    if (const auto nets = n["networks"]) {
      ++kinds;
      s.kind = AdminSelector::Kind::networks;
      const auto np = join(path, "networks");
      if (expect_seq(c, nets, np)) {
        for (std::size_t i = 0; i < nets.size(); ++i) {
          if (auto cidr = get_cidr(c, nets[i], idx(np, i))) s.networks.push_back(*cidr);
        }
        if (s.networks.empty()) c.error(np, "must be non-empty");
      }
    }
    if (n["nodes"]) c.error(join(path, "nodes"), "nodes peers are not supported");
  }
  if (kinds != 1) c.error(path, "exactly one of namespaces, pods" +
                                    std::string(allow_networks ? ", networks" : "") +
                                    " must be set");
  return s;
}

std::vector<PolicyPort> get_admin_ports(Ctx& c, const YAML::Node& n, const std::string& path) {
  std::vector<PolicyPort> out;
  if (!expect_seq(c, n, path)) return out;
  for (std::size_t i = 0; i < n.size(); ++i) {
    const auto e = n[i];
    const auto p = idx(path, i);
    if (!expect_map(c, e, p)) continue;
    check_keys(c, e, p, {"portNumber", "namedPort", "portRange"});
    if (e.size() != 1) {
      c.error(p, "exactly one of portNumber, namedPort, portRange must be set");
      continue;
    }
    PolicyPort pp;
    if (const auto num = e["portNumber"]) {
      const auto np = join(p, "portNumber");
      if (!expect_map(c, num, np)) continue;
      check_keys(c, num, np, {"protocol", "port"});
      pp.protocol = get_protocol(c, num["protocol"], join(np, "protocol"));
      if (!num["port"]) c.error(join(np, "port"), "missing");
      else pp.port = get_port(c, num["port"], join(np, "port"));
    } else if (const auto named = e["namedPort"]) {
      auto s = get_string(c, named, join(p, "namedPort"));
      if (s && !valid_port_name(*s)) c.error(join(p, "namedPort"), "'" + *s + "' is not a port name");
      pp.protocol = 0;
      pp.named_port = s.value_or("?");
    } else if (const auto range = e["portRange"]) {
      const auto rp = join(p, "portRange");
      if (!expect_map(c, range, rp)) continue;
      check_keys(c, range, rp, {"protocol", "start", "end"});
      pp.protocol = get_protocol(c, range["protocol"], join(rp, "protocol"));
      if (!range["start"] || !range["end"]) {
        c.error(rp, "start and end are required");
        continue;
      }
      pp.port = get_port(c, range["start"], join(rp, "start"));
      pp.end_port = get_port(c, range["end"], join(rp, "end"));
      if (pp.port && pp.end_port && *pp.end_port < *pp.port) {
        c.error(join(rp, "end"), "end " + std::to_string(*pp.end_port) + " is below start " +
                                     std::to_string(*pp.port));
      }
    }
    out.push_back(pp);
  }
  return out;
}

std::vector<AdminRule> get_admin_rules(Ctx& c, const YAML::Node& n, const std::string& path,
                                       bool egress) {
  std::vector<AdminRule> out;
  if (n.IsNull() || !expect_seq(c, n, path)) return out;
  const char* peers_key = egress ? "to" : "from";
  for (std::size_t i = 0; i < n.size(); ++i) {
    const auto e = n[i];
    const auto p = idx(path, i);
    if (!expect_map(c, e, p)) continue;
    check_keys(c, e, p, {"name", "action", peers_key, "ports"});
    AdminRule r;
    r.name = "rule" + std::to_string(i);
    if (e["name"]) {
      if (auto s = get_string(c, e["name"], join(p, "name"))) r.name = *s;
    }
    if (!e["action"]) {
      c.error(join(p, "action"), "missing");
    } else if (auto a = get_string(c, e["action"], join(p, "action"))) {
      if (*a == "Allow") r.action = AdminAction::allow;
      else if (*a == "Deny") r.action = AdminAction::deny;
      else if (*a == "Pass") r.action = AdminAction::pass;
      else c.error(join(p, "action"), "'" + *a + "' is not Allow, Deny or Pass");
    }
    const auto peers = e[peers_key];
    const auto pp = join(p, peers_key);
    if (!peers) {
      c.error(pp, "missing");
    } else if (expect_seq(c, peers, pp)) {
      if (peers.size() == 0) c.error(pp, "must be non-empty");
      for (std::size_t j = 0; j < peers.size(); ++j) {
        r.peers.push_back(get_admin_selector(c, peers[j], idx(pp, j), egress));
      }
    }
    if (e["ports"]) r.ports = get_admin_ports(c, e["ports"], join(p, "ports"));
    out.push_back(std::move(r));
  }
  return out;
}

class DocumentReader {
 public:
  DocumentReader(Cluster& cl, std::vector<ManifestError>& errors, std::set<std::string>& names,
                 std::string source)
      : cl_(cl), errors_(errors), names_(names), source_(std::move(source)) {}

  void read(const YAML::Node& doc, const std::string& label, bool in_list = false) {
    if (!doc || doc.IsNull()) return;
    Ctx c{errors_, source_, label};
    if (!expect_map(c, doc, "")) return;
    if (!doc["kind"]) {
      c.error("kind", "missing");
      return;
    }
    auto kind = get_string(c, doc["kind"], "kind");
    if (!kind) return;
    if (*kind == "List") {
      if (in_list) {  // no nesting: also stops self-referencing aliases
        c.error("kind", "a List inside a List");
        return;
      }
      const auto items = doc["items"];
      if (!items || items.IsNull()) return;
      if (!expect_seq(c, items, "items")) return;
      for (std::size_t i = 0; i < items.size(); ++i) read(items[i], label + " item " + std::to_string(i), true);
      return;
    }
    if (*kind == "Namespace") return read_namespace(doc, c);
    if (*kind == "Pod") return read_pod(doc, c);
    if (*kind == "NetworkPolicy") return read_np(doc, c);
    if (*kind == "AdminNetworkPolicy") return read_anp(doc, c);
    // Other kinds are not policy inputs: skipped.
  }

 private:
  bool claim(Ctx& c, const std::string& key) {
    if (!names_.insert(key).second) {
      c.error("metadata.name", "duplicate " + key);
      return false;
    }
    return true;
  }

  void read_namespace(const YAML::Node& doc, Ctx& c) {
    c.object = "Namespace";
    auto meta = get_meta(c, doc, false);
    if (!meta) {
      check_api(c, doc, "v1");
      return;
    }
    c.object = "Namespace " + meta->name;
    check_api(c, doc, "v1");
    if (!claim(c, c.object) || c.failed) return;
    meta->labels.insert_or_assign(std::string(kNamespaceNameLabel), meta->name);
    cl_.namespaces.push_back({meta->name, meta->labels});
  }

  void read_pod(const YAML::Node& doc, Ctx& c) {
    c.object = "Pod";
    auto meta = get_meta(c, doc, true);
    if (!meta) {
      check_api(c, doc, "v1");
      return;
    }
    c.object = "Pod " + meta->ns + "/" + meta->name;
    check_api(c, doc, "v1");
    ContainerPeerInfo pod;
    pod.container_id = meta->name;
    pod.namespace_ = meta->ns;
    pod.labels = meta->labels;
    const auto status = doc["status"];
    if (!status || !status.IsMap() || !status["podIP"]) {
      c.error("status.podIP", "missing (the engine needs the pod's address)");
    } else if (auto ip_text = get_string(c, status["podIP"], "status.podIP")) {
      auto ip = IpAddress::parse(*ip_text);
      if (!ip) c.error("status.podIP", "'" + *ip_text + "' is not an IP address");
      else pod.assigned_ip = *ip;
    }
    if (const auto spec = doc["spec"]; spec && expect_map(c, spec, "spec")) {
      if (const auto containers = spec["containers"];
          containers && !containers.IsNull() && expect_seq(c, containers, "spec.containers")) {
        for (std::size_t i = 0; i < containers.size(); ++i) {
          const auto cp = idx("spec.containers", i);
          const auto ctr = containers[i];
          if (!expect_map(c, ctr, cp)) continue;
          const auto ports = ctr["ports"];
          if (!ports || ports.IsNull() || !expect_seq(c, ports, join(cp, "ports"))) continue;
          for (std::size_t j = 0; j < ports.size(); ++j) {
            const auto pp = idx(join(cp, "ports"), j);
            const auto port = ports[j];
            if (!expect_map(c, port, pp)) continue;
            ContainerPort out;
            if (port["name"]) {
              if (auto s = get_string(c, port["name"], join(pp, "name"))) out.name = *s;
            }
            if (!port["containerPort"]) {
              c.error(join(pp, "containerPort"), "missing");
              continue;
            }
            auto num = get_port(c, port["containerPort"], join(pp, "containerPort"));
            if (!num) continue;
            out.port = *num;
            out.protocol = get_protocol(c, port["protocol"], join(pp, "protocol"));
            pod.ports.push_back(std::move(out));
          }
        }
      }
    }
    if (!claim(c, c.object) || c.failed) return;
    cl_.containers.push_back(std::move(pod));
  }

  void read_np(const YAML::Node& doc, Ctx& c) {
    c.object = "NetworkPolicy";
    auto meta = get_meta(c, doc, true);
    if (!meta) {
      check_api(c, doc, "networking.k8s.io/v1");
      return;
    }
    c.object = "NetworkPolicy " + meta->ns + "/" + meta->name;
    check_api(c, doc, "networking.k8s.io/v1");
    NetworkPolicy np;
    np.name = meta->name;
    np.namespace_ = meta->ns;
    const auto spec = doc["spec"];
    if (!spec) {
      c.error("spec", "missing");
      return;
    }
    if (!expect_map(c, spec, "spec")) return;
    check_keys(c, spec, "spec", {"podSelector", "policyTypes", "ingress", "egress"});
    if (!spec["podSelector"]) c.error("spec.podSelector", "missing");
    else np.pod_selector = get_selector(c, spec["podSelector"], "spec.podSelector");
    if (const auto types = spec["policyTypes"]; types && !types.IsNull()) {
      if (expect_seq(c, types, "spec.policyTypes")) {
        std::vector<PolicyType> out;
        for (std::size_t i = 0; i < types.size(); ++i) {
          const auto p = idx("spec.policyTypes", i);
          auto s = get_string(c, types[i], p);
          if (!s) continue;
          if (*s == "Ingress") out.push_back(PolicyType::ingress);
          else if (*s == "Egress") out.push_back(PolicyType::egress);
          else c.error(p, "'" + *s + "' is not Ingress or Egress");
        }
        np.policy_types = std::move(out);
      }
    }
    if (spec["ingress"]) np.ingress = get_np_rules(c, spec["ingress"], "spec.ingress", "from");
    if (spec["egress"]) np.egress = get_np_rules(c, spec["egress"], "spec.egress", "to");
    if (!claim(c, c.object) || c.failed) return;
    cl_.policies.push_back(std::move(np));
  }

  void read_anp(const YAML::Node& doc, Ctx& c) {
    c.object = "AdminNetworkPolicy";
    auto meta = get_meta(c, doc, false);
    if (!meta) {
      check_api(c, doc, "policy.networking.k8s.io/v1alpha1");
      return;
    }
    c.object = "AdminNetworkPolicy " + meta->name;
    check_api(c, doc, "policy.networking.k8s.io/v1alpha1");
    AdminNetworkPolicy a;
    a.name = meta->name;
    const auto spec = doc["spec"];
    if (!spec) {
      c.error("spec", "missing");
      return;
    }
    if (!expect_map(c, spec, "spec")) return;
    check_keys(c, spec, "spec", {"priority", "subject", "ingress", "egress"});
    if (!spec["priority"]) {
      c.error("spec.priority", "missing");
    } else if (auto p = get_int(c, spec["priority"], "spec.priority")) {
      if (*p < 0 || *p > 1000) c.error("spec.priority", std::to_string(*p) + " is outside 0..1000");
      a.priority = static_cast<std::int32_t>(std::clamp<long long>(*p, 0, 1000));
    }
    if (!spec["subject"]) c.error("spec.subject", "missing");
    else a.subject = get_admin_selector(c, spec["subject"], "spec.subject", false);
    if (spec["ingress"]) a.ingress = get_admin_rules(c, spec["ingress"], "spec.ingress", false);
    if (spec["egress"]) a.egress = get_admin_rules(c, spec["egress"], "spec.egress", true);
    if (!claim(c, c.object) || c.failed) return;
    cl_.admin_policies.push_back(std::move(a));
  }

  Cluster& cl_;
  std::vector<ManifestError>& errors_;
  std::set<std::string>& names_;
  std::string source_;
};


}  // namespace

void ManifestLoader::add_text(std::string_view text, std::string_view source) {
  std::set<std::string> names;
  for (const auto& n : cluster_.namespaces) names.insert("Namespace " + n.name);
  for (const auto& p : cluster_.containers) names.insert("Pod " + p.namespace_ + "/" + p.container_id);
  for (const auto& p : cluster_.policies) names.insert("NetworkPolicy " + p.full_name());
  for (const auto& p : cluster_.admin_policies) names.insert("AdminNetworkPolicy " + p.name);
  if (detail::YamlSyntaxError syntax; !detail::check_yaml_syntax(text, syntax)) {
    errors_.push_back({std::string(source), "", "",
                       "YAML syntax error at line " + std::to_string(syntax.line) + ": " +
                           syntax.message});
    return;
  }
  try {
    const auto docs = YAML::LoadAll(std::string(text));
    DocumentReader reader(cluster_, errors_, names, std::string(source));
    for (std::size_t i = 0; i < docs.size(); ++i) {
      try {
        reader.read(docs[i], "document " + std::to_string(i + 1));
      } catch (const std::exception& e) {
        errors_.push_back({std::string(source), "document " + std::to_string(i + 1), "",
                           std::string("invalid document: ") + e.what()});
      }
    }
  } catch (const YAML::Exception& e) {
    errors_.push_back({std::string(source), "", "",
                       "YAML syntax error at line " + std::to_string(e.mark.line + 1) + ": " + e.msg});
  } catch (const std::exception& e) {
    errors_.push_back({std::string(source), "", "", std::string("cannot parse: ") + e.what()});
  }
}

void ManifestLoader::add_path(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  std::vector<fs::path> files;
  if (fs::is_directory(path, ec)) {
    for (auto it = fs::recursive_directory_iterator(path, ec); !ec && it != fs::end(it);
         it.increment(ec)) {
      const auto ext = it->path().extension().string();
      if (it->is_regular_file(ec) && (ext == ".yaml" || ext == ".yml")) {
        files.push_back(it->path());
      }
    }
    std::sort(files.begin(), files.end());
    if (ec) errors_.push_back({path, "", "", "cannot read directory: " + ec.message()});
  } else {
    files.emplace_back(path);
  }
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    if (!in) {
      errors_.push_back({f.string(), "", "", "cannot open file"});
      continue;
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    add_text(ss.str(), f.string());
  }
}

Cluster ManifestLoader::cluster() const {
  Cluster out = cluster_;
  auto ensure = [&](const std::string& ns) {
    if (out.find_namespace(ns) == nullptr) {
      out.namespaces.push_back({ns, Labels{{std::string(kNamespaceNameLabel), ns}}});
    }
  };
  for (const auto& p : cluster_.containers) ensure(p.namespace_);
  for (const auto& p : cluster_.policies) ensure(p.namespace_);
  return out;
}

}  // namespace gquic::policy
