// The only Beast translation unit of the agent's HTTP API (see agent_http_server.h).

#include "gquic/discovery/agent_http_server.h"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <exception>
#include <map>
#include <string>
#include <unordered_set>
#include <vector>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <nlohmann/json.hpp>

#include "gquic/core/asio.h"
#include "gquic/core/log.h"
#include "gquic/discovery/discovery_agent.h"
#include "gquic/discovery/service_json.h"
#include "net_util_io.h"

namespace gquic::discovery {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using gquic::asio::awaitable;
using gquic::asio::nothrow;
using nlohmann::json;

std::string url_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out.push_back(' ');
    } else if (s[i] == '%' && i + 2 < s.size()) {
      unsigned v = 0;
      auto r = std::from_chars(s.data() + i + 1, s.data() + i + 3, v, 16);
      if (r.ec == std::errc{} && r.ptr == s.data() + i + 3) {
        out.push_back(static_cast<char>(v));
        i += 2;
      } else {
        out.push_back('%');
      }
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

using Params = std::multimap<std::string, std::string>;

Params parse_params(std::string_view q) {
  Params p;
  while (!q.empty()) {
    const std::size_t amp = q.find('&');
    std::string_view kv = q.substr(0, amp);
    const std::size_t eq = kv.find('=');
    if (!kv.empty()) {
      p.emplace(url_decode(kv.substr(0, eq)),
                eq == std::string_view::npos ? std::string() : url_decode(kv.substr(eq + 1)));
    }
    if (amp == std::string_view::npos) break;
    q.remove_prefix(amp + 1);
  }
  return p;
}

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> out;
  while (!path.empty()) {
    if (path.front() == '/') {
      path.remove_prefix(1);
      continue;
    }
    const std::size_t slash = path.find('/');
    out.push_back(url_decode(path.substr(0, slash)));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash);
  }
  return out;
}

bool truthy(const std::string& v) { return v.empty() || v == "true" || v == "1" || v == "yes"; }

ServiceQuery query_from(const Params& p) {
  ServiceQuery q;
  for (const auto& [k, v] : p) {
    if (k == "pattern" || k == "name") q.name_pattern = v;
    else if (k == "namespace") q.ns = v;
    else if (k == "tag") q.required_tags.push_back(v);
    else if (k == "healthy") q.require_healthy = truthy(v);
    else if (k == "meta") {
      const std::size_t colon = v.find(':');
      if (colon != std::string::npos) q.metadata_filters[v.substr(0, colon)] = v.substr(colon + 1);
    } else if (k == "limit") {
      std::size_t n = 0;
      std::from_chars(v.data(), v.data() + v.size(), n);
      q.limit = n;
    }
  }
  return q;
}

std::uint64_t number_param(const Params& p, const char* key, std::uint64_t def) {
  auto it = p.find(key);
  if (it == p.end()) return def;
  std::uint64_t n = def;
  std::from_chars(it->second.data(), it->second.data() + it->second.size(), n);
  return n;
}

std::string error_json(std::string_view msg) { return json{{"error", msg}}.dump(-1, ' ', false, json::error_handler_t::replace); }

auto log_on_exception(std::shared_ptr<spdlog::logger> log, const char* what) {
  return [log = std::move(log), what](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      log->error("agent http {} failed: {}", what, ex.what());
    } catch (...) {
      log->error("agent http {} failed", what);
    }
  };
}

struct Reply {
  http::status status = http::status::ok;
  std::string body;
};

}  // namespace

struct AgentHttpServer::State {
  State(net::io_context& io_ctx, ServiceDiscoveryManager& m, SocketAddress addr,
        AgentHttpServerOptions opts)
      : io(io_ctx), manager(m), listen(addr), options(opts), acceptor(io_ctx),
        log(log::get("discovery")) {}

  void shutdown() {
    boost::system::error_code ignored;
    acceptor.close(ignored);
    for (beast::tcp_stream* s : sessions) s->socket().close(ignored);
    for (auto* t : waits) t->cancel();
  }

  static awaitable<void> accept_loop(std::shared_ptr<State> self);
  static awaitable<void> serve(std::shared_ptr<State> self, tcp::socket socket);
  awaitable<Reply> handle(const http::request<http::string_body>& req);
  awaitable<Reply> watch(const Params& params);
  Reply services(const http::request<http::string_body>& req, const std::vector<std::string>& parts,
                 const Params& params);
  Reply stats_reply();

  net::io_context& io;
  ServiceDiscoveryManager& manager;
  SocketAddress listen;
  AgentHttpServerOptions options;
  tcp::acceptor acceptor;
  std::shared_ptr<spdlog::logger> log;
  std::atomic<bool> stopped{false};
  bool started = false;
  SocketAddress bound;
  std::unordered_set<beast::tcp_stream*> sessions;
  std::unordered_set<net::steady_timer*> waits;
};

awaitable<void> AgentHttpServer::State::accept_loop(std::shared_ptr<State> self) {
  State& st = *self;
  for (;;) {
    auto [ec, socket] = co_await st.acceptor.async_accept(nothrow);
    if (st.stopped.load() || ec == net::error::operation_aborted) co_return;
    if (ec) {
      net::steady_timer backoff(st.io, std::chrono::milliseconds(100));
      co_await backoff.async_wait(nothrow);
      if (st.stopped.load()) co_return;
      continue;
    }
    if (st.sessions.size() >= st.options.max_connections) {
      boost::system::error_code ignored;
      socket.close(ignored);
      continue;
    }
    net::co_spawn(st.io, serve(self, std::move(socket)), log_on_exception(st.log, "connection"));
  }
}

awaitable<void> AgentHttpServer::State::serve(std::shared_ptr<State> self, tcp::socket socket) {
  State& st = *self;
  beast::tcp_stream stream(std::move(socket));
  st.sessions.insert(&stream);
  struct Unregister {
    State& state;
    beast::tcp_stream* s;
    ~Unregister() { state.sessions.erase(s); }
  } unregister{st, &stream};
  beast::flat_buffer buffer;
  for (;;) {
    if (st.stopped.load()) break;
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(st.options.max_header_bytes));
    parser.body_limit(st.options.max_body_bytes);
    stream.expires_after(st.options.io_timeout);
    auto [ec, n] = co_await http::async_read(stream, buffer, parser, nothrow);
    (void)n;
    if (ec || st.stopped.load()) {
      if (ec && ec != http::error::end_of_stream && ec != beast::error::timeout &&
          ec != net::error::operation_aborted && ec != http::error::partial_message &&
          ec != net::error::eof && ec != net::error::connection_reset && !st.stopped.load()) {
        http::response<http::string_body> res{
            ec == http::error::body_limit ? http::status::payload_too_large
                                          : http::status::bad_request, 11};
        res.set(http::field::content_type, "application/json");
        res.body() = error_json(ec.message());
        res.prepare_payload();
        res.keep_alive(false);
        stream.expires_after(st.options.io_timeout);
        co_await http::async_write(stream, res, nothrow);
      }
      break;
    }
    const auto& req = parser.get();
    stream.expires_never();  // a watch may wait longer than io_timeout
    Reply reply = co_await st.handle(req);
    if (st.stopped.load()) break;
    http::response<http::string_body> res{reply.status, req.version()};
    res.set(http::field::server, "gquic");
    res.set(http::field::content_type, "application/json");
    res.body() = std::move(reply.body);
    res.prepare_payload();
    res.keep_alive(req.keep_alive());
    stream.expires_after(st.options.io_timeout);
    std::tie(ec, std::ignore) = co_await http::async_write(stream, res, nothrow);
    if (ec || !req.keep_alive()) break;
  }
  boost::system::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  stream.socket().close(ignored);
}

awaitable<Reply> AgentHttpServer::State::handle(const http::request<http::string_body>& req) {
  std::string_view target = req.target();
  const std::size_t qm = target.find('?');
  const std::string_view path = target.substr(0, qm);
  const Params params =
      parse_params(qm == std::string_view::npos ? std::string_view() : target.substr(qm + 1));
  const auto parts = split_path(path);
  if (parts.size() < 2 || parts[0] != "v1") co_return Reply{http::status::not_found, error_json("no such path")};
  if (parts[1] == "services") co_return services(req, parts, params);
  if (parts[1] == "watch" && parts.size() == 2) {
    if (req.method() != http::verb::get) {
      co_return Reply{http::status::method_not_allowed, error_json("use GET")};
    }
    co_return co_await watch(params);
  }
  if (parts[1] == "stats" && parts.size() == 2) co_return stats_reply();
  if (parts[1] == "members" && parts.size() == 2) {
    if (req.method() != http::verb::get) {
      co_return Reply{http::status::method_not_allowed, error_json("use GET")};
    }
    if (!manager.gossip_enabled()) {
      co_return Reply{http::status::not_found, error_json("gossip is not enabled on this agent")};
    }
    json members = json::array();
    for (const GossipMemberInfo& m : manager.gossip_members()) {
      members.push_back({{"name", m.name}, {"address", m.address}, {"state", m.state},
                         {"incarnation", m.incarnation}});
    }
    json j{{"node", manager.config().node_id}, {"members", std::move(members)}};
    co_return Reply{http::status::ok, j.dump(-1, ' ', false, json::error_handler_t::replace)};
  }
  if (parts[1] == "health" && parts.size() == 5 && req.method() == http::verb::put) {
    auto status = params.find("status");
    auto address = params.find("address");
    if (status == params.end() || address == params.end()) {
      co_return Reply{http::status::bad_request, error_json("need address= and status=")};
    }
    auto h = parse_health(status->second);
    if (!h) co_return Reply{http::status::bad_request, error_json("status must be healthy or unhealthy")};
    if (auto r = manager.set_endpoint_health({parts[3], parts[2], parts[4]}, address->second, *h); !r) {
      co_return Reply{http::status::not_found, error_json("no such service or endpoint")};
    }
    co_return Reply{http::status::ok, "{}"};
  }
  co_return Reply{http::status::not_found, error_json("no such path")};
}

Reply AgentHttpServer::State::services(const http::request<http::string_body>& req,
                                       const std::vector<std::string>& parts, const Params& params) {
  if (parts.size() == 2 && req.method() == http::verb::get) {
    const ServiceQuery q = query_from(params);
    std::vector<ServiceInfo> found = manager.discover_services(q);
    std::vector<const ServiceInfo*> ptrs;
    for (const auto& s : found) ptrs.push_back(&s);
    return {http::status::ok, to_json(ptrs)};
  }
  if (parts.size() == 2 && (req.method() == http::verb::put || req.method() == http::verb::post)) {
    std::string why;
    auto s = service_from_json(req.body(), &why);
    if (!s) return {http::status::bad_request, error_json(why)};
    auto rep = params.find("replace");
    if (rep != params.end() && truthy(rep->second) && manager.registry().find(s->id) != nullptr) {
      (void)manager.deregister_service(s->id);
    }
    const ServiceId id = s->id;
    auto r = manager.register_service(std::move(*s), &why);
    if (!r) {
      return {r.error() == make_error_code(Errc::already_exists) ? http::status::conflict
                                                                 : http::status::bad_request,
              error_json(why)};
    }
    return {http::status::ok, json{{"registered", id.to_string()}}.dump(-1, ' ', false, json::error_handler_t::replace)};
  }
  if (parts.size() == 5 && req.method() == http::verb::delete_) {
    if (auto r = manager.deregister_service({parts[3], parts[2], parts[4]}); !r) {
      return {http::status::not_found, error_json("no such service")};
    }
    return {http::status::ok, json{{"deregistered", parts[2] + "/" + parts[3] + "/" + parts[4]}}.dump(-1, ' ', false, json::error_handler_t::replace)};
  }
  if (parts.size() == 6 && parts[5] == "renew" && req.method() == http::verb::post) {
    if (auto r = manager.renew({parts[3], parts[2], parts[4]}); !r) {
      return {http::status::not_found, error_json("no such service")};
    }
    return {http::status::ok, "{}"};
  }
  return {http::status::method_not_allowed, error_json("unsupported method or path")};
}

awaitable<Reply> AgentHttpServer::State::watch(const Params& params) {
  const ServiceQuery q = query_from(params);
  if (params.find("index") == params.end()) {
    co_return Reply{http::status::ok, events_to_json({}, manager.last_sequence())};
  }
  const std::uint64_t since = number_param(params, "index", 0);
  const auto wait = std::chrono::seconds(std::min<std::uint64_t>(number_param(params, "wait", 30), 300));
  const auto deadline = std::chrono::steady_clock::now() + wait;
  constexpr std::size_t kMax = 256;
  for (;;) {
    if (stopped.load()) co_return Reply{http::status::service_unavailable, error_json("stopping")};
    auto ev = manager.events_since(since, q);
    if (!ev) co_return Reply{http::status::ok, events_to_json({}, manager.last_sequence(), true)};
    if (!ev->empty() || std::chrono::steady_clock::now() >= deadline) {
      const std::uint64_t index = ev->size() >= kMax ? ev->back().sequence : manager.last_sequence();
      co_return Reply{http::status::ok, events_to_json(*ev, index)};
    }
    auto timer = std::make_shared<net::steady_timer>(io, deadline);
    const auto token = manager.on_next_change([timer] { timer->cancel(); });
    waits.insert(timer.get());
    co_await timer->async_wait(nothrow);
    waits.erase(timer.get());
    if (!stopped.load()) manager.cancel_change_callback(token);
  }
}

Reply AgentHttpServer::State::stats_reply() {
  const DiscoveryStats s = manager.stats();
  const RegistryStats& r = s.registry;
  json j{{"services", r.services},
         {"local_services", r.local_services},
         {"registered_total", r.registered_total},
         {"discovered_total", r.discovered_total},
         {"deregistered_total", r.deregistered_total},
         {"expired_total", r.expired_total},
         {"renewed_total", r.renewed_total},
         {"queries_total", r.queries_total},
         {"health_transitions_total", r.health_transitions_total},
         {"cache_hits", s.cache_hits},
         {"cache_misses", s.cache_misses},
         {"rejected", {{"invalid", r.rejected[0]}, {"duplicate", r.rejected[1]},
                       {"not_found", r.rejected[2]}, {"capacity", r.rejected[3]}}},
         {"dns", {{"queries", s.dns.queries}, {"noerror", s.dns.noerror},
                  {"nxdomain", s.dns.nxdomain}, {"refused", s.dns.refused},
                  {"formerr", s.dns.formerr}, {"truncated", s.dns.truncated},
                  {"dropped", s.dns.dropped[0] + s.dns.dropped[1]}}}};
  return {http::status::ok, j.dump(-1, ' ', false, json::error_handler_t::replace)};
}

AgentHttpServer::AgentHttpServer(boost::asio::io_context& io, ServiceDiscoveryManager& manager,
                                 SocketAddress listen, AgentHttpServerOptions options)
    : state_(std::make_shared<State>(io, manager, listen, options)) {}

AgentHttpServer::~AgentHttpServer() { stop(); }

Result<void> AgentHttpServer::start() {
  State& st = *state_;
  if (st.stopped.load()) return Errc::closed;
  if (st.started) return Errc::already_exists;
  const auto ep = detail::to_endpoint<tcp::endpoint>(st.listen);
  boost::system::error_code ec;
  st.acceptor.open(ep.protocol(), ec);
  if (!ec) st.acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) st.acceptor.bind(ep, ec);
  if (!ec) st.acceptor.listen(net::socket_base::max_listen_connections, ec);
  tcp::endpoint local;
  if (!ec) local = st.acceptor.local_endpoint(ec);
  if (ec) {
    boost::system::error_code ignored;
    st.acceptor.close(ignored);
    return detail::to_std(ec);
  }
  st.bound = detail::from_endpoint(local);
  st.started = true;
  st.log->info("discovery agent: HTTP API on {}", st.bound.to_string());
  net::co_spawn(st.io, State::accept_loop(state_), log_on_exception(st.log, "acceptor"));
  return {};
}

SocketAddress AgentHttpServer::local_address() const { return state_->bound; }

void AgentHttpServer::stop() {
  if (state_->stopped.exchange(true)) return;
  net::dispatch(state_->io, [st = state_] { st->shutdown(); });
}

}  // namespace gquic::discovery
