#include "discovery_command.h"

#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <nlohmann/json.hpp>

#include "gquic/core/asio.h"
#include "gquic/discovery/discovery_agent.h"
#include "gquic/discovery/service_json.h"

namespace gquic::cli {
namespace {

namespace net = boost::asio;
namespace http = boost::beast::http;
using nlohmann::json;

struct DiscoveryOptions {
  // agent
  std::string config;
  std::string http_listen = "127.0.0.1:8500";
  std::string dns_listen;
  std::string dns_domain = "gquic";
  std::string node_id = "node";
  std::vector<std::string> etcd;
  bool mdns = false;
  bool mdns_ipv6 = false;
  std::string mdns_interface;
  std::vector<std::string> mdns_browse;
  std::string gossip_bind;
  std::vector<std::string> join;
  std::vector<std::string> gossip_keys;
  int gossip_probe_ms = 1000;
  std::set<std::string> given;  // agent flags given on the command line (they beat --config)
  // clients
  std::string agent = "http://127.0.0.1:8500";
  std::string file;
  bool replace = false;
  std::string id;
  std::string pattern = "*";
  std::string ns;
  std::vector<std::string> tags;
  bool healthy = false;
  int wait = 30;
  int max_events = 0;  // watch: stop after this many events (0: forever)
};

struct HttpAnswer {
  unsigned status = 0;
  std::string body;
};

std::string url_encode(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.' || c == '~' || c == '*' ||
        c == ':') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

// One synchronous request to the agent ("http://HOST:PORT" or "HOST:PORT").
Result<HttpAnswer> request(const std::string& agent, http::verb verb, const std::string& target,
                           std::string body = {}) {
  std::string hostport = agent;
  if (hostport.rfind("http://", 0) == 0) hostport = hostport.substr(7);
  while (!hostport.empty() && hostport.back() == '/') hostport.pop_back();
  const std::size_t colon = hostport.rfind(':');
  if (colon == std::string::npos) return Errc::invalid_argument;
  std::string host = hostport.substr(0, colon);
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  const std::string port = hostport.substr(colon + 1);
  net::io_context io;
  net::ip::tcp::resolver resolver(io);
  boost::system::error_code ec;
  auto results = resolver.resolve(host, port, ec);
  if (ec) return std::error_code(ec.value(), std::system_category());
  net::ip::tcp::socket sock(io);
  net::connect(sock, results, ec);
  if (ec) return std::error_code(ec.value(), std::system_category());
  http::request<http::string_body> req{verb, target, 11};
  req.set(http::field::host, hostport);
  req.set(http::field::user_agent, "gquic");
  if (!body.empty()) req.set(http::field::content_type, "application/json");
  req.body() = std::move(body);
  req.prepare_payload();
  http::write(sock, req, ec);
  if (ec) return std::error_code(ec.value(), std::system_category());
  boost::beast::flat_buffer buf;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  http::read(sock, buf, parser, ec);
  if (ec) return std::error_code(ec.value(), std::system_category());
  return HttpAnswer{parser.get().result_int(), parser.get().body()};
}

std::string query_string(const DiscoveryOptions& o) {
  std::string q = "pattern=" + url_encode(o.pattern);
  if (!o.ns.empty()) q += "&namespace=" + url_encode(o.ns);
  for (const auto& t : o.tags) q += "&tag=" + url_encode(t);
  if (o.healthy) q += "&healthy=true";
  return q;
}

int report(const char* what, const Result<HttpAnswer>& r, const std::string& agent) {
  if (!r) {
    std::cerr << "gquic discovery " << what << ": cannot reach the agent at " << agent << ": "
              << r.error().message() << "\n";
    return 1;
  }
  if (r->status != 200) {
    std::cerr << "gquic discovery " << what << ": agent answered " << r->status << ": " << r->body
              << "\n";
    return 1;
  }
  return 0;
}

Result<SocketAddress> listen_address(const std::string& text, const char* flag) {
  auto a = SocketAddress::parse(text);
  if (!a) std::cerr << "gquic discovery agent: " << flag << " '" << text << "' is not IP:PORT\n";
  return a;
}

int run_agent(DiscoveryOptions o) {
  if (!o.config.empty()) {
    std::ifstream in(o.config);
    if (!in) {
      std::cerr << "gquic discovery agent: cannot read " << o.config << "\n";
      return 2;
    }
    json t = json::parse(in, nullptr, false);
    if (t.is_discarded() || !t.is_object()) {
      std::cerr << "gquic discovery agent: " << o.config << ": not a JSON object\n";
      return 2;
    }
    try {
      auto take = [&](const char* key, const char* flag, std::string& into) {
        if (o.given.count(flag) == 0) into = t.value(key, into);
      };
      take("node_id", "--node-id", o.node_id);
      take("http_listen", "--http-listen", o.http_listen);
      take("dns_listen", "--dns-listen", o.dns_listen);
      take("dns_domain", "--dns-domain", o.dns_domain);
      if (t.contains("etcd") && o.given.count("--etcd") == 0) {
        o.etcd = t["etcd"].get<std::vector<std::string>>();
      }
      if (o.given.count("--mdns") == 0) o.mdns = t.value("mdns", o.mdns);
      take("mdns_interface", "--mdns-interface", o.mdns_interface);
      take("gossip_bind", "--gossip-bind", o.gossip_bind);
      auto take_list = [&](const char* key, const char* flag, std::vector<std::string>& into) {
        if (t.contains(key) && o.given.count(flag) == 0) into = t[key].get<std::vector<std::string>>();
      };
      take_list("mdns_browse", "--mdns-browse", o.mdns_browse);
      take_list("join", "--join", o.join);
      take_list("gossip_keys", "--gossip-key", o.gossip_keys);
    } catch (const json::exception& e) {
      std::cerr << "gquic discovery agent: " << o.config << ": " << e.what() << "\n";
      return 2;
    }
  }
  discovery::DiscoveryConfig cfg;
  cfg.node_id = o.node_id;
  cfg.etcd_endpoints = o.etcd;
  cfg.dns.domain = o.dns_domain;
  if (!o.http_listen.empty()) {
    auto a = listen_address(o.http_listen, "--http-listen");
    if (!a) return 2;
    cfg.http_listen = *a;
  }
  if (!o.dns_listen.empty()) {
    auto a = listen_address(o.dns_listen, "--dns-listen");
    if (!a) return 2;
    cfg.dns_listen = *a;
  }
  cfg.enable_mdns = o.mdns;
  cfg.mdns_ipv6 = o.mdns_ipv6;
  cfg.mdns_browse = o.mdns_browse;
  if (!o.mdns_interface.empty()) {
    auto ip = IpAddress::parse(o.mdns_interface);
    if (!ip || !ip->is_v4()) {
      std::cerr << "gquic discovery agent: --mdns-interface '" << o.mdns_interface
                << "' is not an IPv4 address\n";
      return 2;
    }
    cfg.mdns_interface = *ip;
  }
  if (!o.gossip_bind.empty()) {
    auto a = listen_address(o.gossip_bind, "--gossip-bind");
    if (!a) return 2;
    cfg.enable_gossip = true;
    cfg.gossip_bind = *a;
  } else if (!o.join.empty() || !o.gossip_keys.empty()) {
    std::cerr << "gquic discovery agent: --join and --gossip-key need --gossip-bind\n";
    return 2;
  }
  for (const std::string& seed : o.join) {
    auto a = listen_address(seed, "--join");
    if (!a) return 2;
    cfg.gossip_seeds.push_back(*a);
  }
  cfg.gossip_keys = o.gossip_keys;
  cfg.gossip_probe_interval = std::chrono::milliseconds(o.gossip_probe_ms);
  net::io_context io;
  discovery::ServiceDiscoveryManager manager(io, cfg);
  std::string why;
  if (auto r = manager.start(&why); !r) {
    std::cerr << "gquic discovery agent: " << (why.empty() ? r.error().message() : why) << "\n";
    return 1;
  }
  if (auto a = manager.http_address()) std::cout << "http: " << a->to_string() << std::endl;
  if (auto a = manager.dns_address()) std::cout << "dns: " << a->to_string() << std::endl;
  if (auto a = manager.gossip_address()) std::cout << "gossip: " << a->to_string() << std::endl;
  if (cfg.enable_mdns) std::cout << "mdns: on" << std::endl;
  net::signal_set signals(io, SIGINT, SIGTERM);
  net::steady_timer linger(io);
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (ec) return;
    // Leave the gossip cluster and send mDNS goodbyes, then give them a moment to go out.
    manager.stop();
    linger.expires_after(std::chrono::milliseconds(1500));
    linger.async_wait([&](const boost::system::error_code&) { io.stop(); });
  });
  io.run();
  return 0;
}

int run_register(const DiscoveryOptions& o) {
  std::ifstream in(o.file);
  if (!in) {
    std::cerr << "gquic discovery register: cannot read " << o.file << "\n";
    return 2;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  std::string why;
  if (auto s = discovery::service_from_json(ss.str(), &why); !s) {
    std::cerr << "gquic discovery register: " << o.file << ": " << why << "\n";
    return 2;
  }
  auto r = request(o.agent, http::verb::put, o.replace ? "/v1/services?replace=true" : "/v1/services",
                   ss.str());
  if (int rc = report("register", r, o.agent); rc != 0) return rc;
  std::cout << r->body << "\n";
  return 0;
}

int run_deregister(const DiscoveryOptions& o) {
  auto r = request(o.agent, http::verb::delete_, "/v1/services/" + o.id);
  if (int rc = report("deregister", r, o.agent); rc != 0) return rc;
  std::cout << r->body << "\n";
  return 0;
}

int run_query(const DiscoveryOptions& o) {
  auto r = request(o.agent, http::verb::get, "/v1/services?" + query_string(o));
  if (int rc = report("query", r, o.agent); rc != 0) return rc;
  auto j = json::parse(r->body, nullptr, false);
  std::cout << (j.is_discarded() ? r->body : j.dump(2)) << "\n";
  return 0;
}

int run_members(const DiscoveryOptions& o) {
  auto r = request(o.agent, http::verb::get, "/v1/members");
  if (int rc = report("members", r, o.agent); rc != 0) return rc;
  auto j = json::parse(r->body, nullptr, false);
  if (j.is_discarded() || !j.contains("members") || !j["members"].is_array()) {
    std::cerr << "gquic discovery members: unexpected answer: " << r->body << "\n";
    return 1;
  }
  std::printf("%-24s %-28s %-8s %s\n", "NAME", "ADDRESS", "STATE", "INCARNATION");
  for (const auto& m : j["members"]) {
    std::printf("%-24s %-28s %-8s %llu\n", m.value("name", "").c_str(), m.value("address", "").c_str(),
                m.value("state", "").c_str(),
                static_cast<unsigned long long>(m.value("incarnation", std::uint64_t{0})));
  }
  std::fflush(stdout);
  return 0;
}

int run_watch(const DiscoveryOptions& o) {
  auto first = request(o.agent, http::verb::get, "/v1/watch?" + query_string(o));
  if (int rc = report("watch", first, o.agent); rc != 0) return rc;
  auto j = json::parse(first->body, nullptr, false);
  if (j.is_discarded()) return 1;
  std::uint64_t index = j.value("index", std::uint64_t{0});
  int seen = 0;
  for (;;) {
    auto r = request(o.agent, http::verb::get,
                     "/v1/watch?" + query_string(o) + "&index=" + std::to_string(index) +
                         "&wait=" + std::to_string(o.wait));
    if (int rc = report("watch", r, o.agent); rc != 0) return rc;
    auto a = json::parse(r->body, nullptr, false);
    if (a.is_discarded()) return 1;
    index = a.value("index", index);
    for (const auto& e : a["events"]) {
      const auto& id = e["service"]["id"];
      std::cout << e.value("kind", "") << " " << id.value("namespace", "") << "/"
                << id.value("name", "") << "/" << id.value("version", "") << " "
                << e["service"].dump() << std::endl;
      if (o.max_events > 0 && ++seen >= o.max_events) return 0;
    }
  }
}

}  // namespace

CommandRunner add_discovery_command(CLI::App& app) {
  auto o = std::make_shared<DiscoveryOptions>();
  auto* group = app.add_subcommand("discovery", "Service discovery: agent, register, query, watch");
  group->require_subcommand(1);

  auto* agent = group->add_subcommand("agent", "Run the discovery agent (registry, HTTP API, DNS)");
  agent->add_option("--config", o->config,
                    "JSON file: node_id, http_listen, dns_listen, dns_domain, etcd, mdns, mdns_browse,\n"
                    "mdns_interface, gossip_bind, join, gossip_keys");
  agent->add_option("--http-listen", o->http_listen, "HTTP API address, IP:PORT ('' to disable)");
  agent->add_option("--dns-listen", o->dns_listen, "DNS interface address, IP:PORT (UDP and TCP)");
  agent->add_option("--dns-domain", o->dns_domain, "DNS domain: names are <name>.<namespace>.svc.<domain>");
  agent->add_option("--node-id", o->node_id, "This node's name");
  agent->add_option("--etcd", o->etcd, "etcd endpoint URLs");
  agent->add_flag("--mdns", o->mdns, "Publish local services with mDNS/DNS-SD and browse the LAN");
  agent->add_option("--mdns-browse", o->mdns_browse,
                    "DNS-SD service type to browse, e.g. _http._tcp (repeatable)");
  agent->add_option("--mdns-interface", o->mdns_interface, "IPv4 address of the mDNS interface");
  agent->add_flag("--mdns-ipv6", o->mdns_ipv6, "Also use IPv6 multicast (ff02::fb)");
  agent->add_option("--gossip-bind", o->gossip_bind, "Gossip UDP+TCP address, IP:PORT (enables gossip)");
  agent->add_option("--join", o->join, "Gossip seed IP:PORT (repeatable)");
  agent->add_option("--gossip-key", o->gossip_keys,
                    "Gossip AES-256 key, 64 hex or 44 base64 chars (repeatable; first seals)");
  agent->add_option("--gossip-probe-ms", o->gossip_probe_ms, "Gossip probe interval in ms")
      ->check(CLI::Range(50, 60'000));

  auto add_agent = [&](CLI::App* c) {
    c->add_option("--agent", o->agent, "Agent HTTP API, http://HOST:PORT");
  };
  auto* reg = group->add_subcommand("register", "Register a service from a JSON file");
  add_agent(reg);
  reg->add_option("--file", o->file, "ServiceInfo JSON")->required();
  reg->add_flag("--replace", o->replace, "Replace a registration with the same id");

  auto* dereg = group->add_subcommand("deregister", "Deregister NAMESPACE/NAME/VERSION");
  add_agent(dereg);
  dereg->add_option("id", o->id, "NAMESPACE/NAME/VERSION")->required();

  auto add_filters = [&](CLI::App* c) {
    add_agent(c);
    c->add_option("pattern", o->pattern, "Glob over service names (default *)");
    c->add_option("--namespace", o->ns, "Only this namespace");
    c->add_option("--tag", o->tags, "Required tag (repeatable)");
    c->add_flag("--healthy", o->healthy, "Only services with a healthy endpoint");
  };
  auto* query = group->add_subcommand("query", "Find services");
  add_filters(query);
  auto* members = group->add_subcommand("members", "List the gossip members and their state");
  add_agent(members);
  auto* watch = group->add_subcommand("watch", "Print added/changed/removed events as they happen");
  add_filters(watch);
  watch->add_option("--wait", o->wait, "Long-poll seconds per request")->check(CLI::Range(1, 300));
  watch->add_option("--count", o->max_events, "Exit after this many events");

  return [o, agent, reg, dereg, query, members, watch] {
    if (agent->parsed()) {
      for (const char* flag : {"--node-id", "--http-listen", "--dns-listen", "--dns-domain", "--etcd",
                               "--mdns", "--mdns-browse", "--mdns-interface", "--gossip-bind",
                               "--join", "--gossip-key"}) {
        if (agent->count(flag) > 0) o->given.insert(flag);
      }
      return run_agent(*o);
    }
    if (reg->parsed()) return run_register(*o);
    if (dereg->parsed()) return run_deregister(*o);
    if (query->parsed()) return run_query(*o);
    if (members->parsed()) return run_members(*o);
    if (watch->parsed()) return run_watch(*o);
    return -1;
  };
}

}  // namespace gquic::cli
