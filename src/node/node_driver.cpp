#include "gquic/node/node_driver.h"

#include "gquic/core/asio.h"
#include "gquic/core/log.h"
#include "gquic/derp/stun.h"
#include "gquic/observability/metrics_http_server.h"
#include "gquic/observability/publish.h"
#include "gquic/udp/quic_header.h"

namespace gquic::node {

namespace mux = udp_mux_advanced;

struct NodeDriver::State {
  observability::MetricsCollector collector;  // declared first: outlives the mux and server
  std::unique_ptr<mux::AdvancedUdpMux> mux;
  std::unique_ptr<observability::MetricsHttpServer> metrics_server;
};

NodeDriver::NodeDriver(std::unique_ptr<State> s) : state_(std::move(s)) {}

NodeDriver::~NodeDriver() { stop(); }

Result<std::unique_ptr<NodeDriver>> NodeDriver::start(boost::asio::io_context& io,
                                                      const NodeConfig& config, std::string* why) {
  auto state = std::make_unique<State>();
  mux::AdvancedMuxConfig mc;
  mc.primary_address = config.udp.listen;
  mc.additional_addresses = config.udp.additional;
  mc.strategy = config.udp.strategy;
  mc.enable_load_balancing = config.udp.load_balancing;
  mc.enable_migration = config.udp.migration;
  mc.enable_multipath = config.udp.multipath;
  mc.batch_size = config.udp.batch_size;
  mc.enable_gso = config.udp.gso;
  mc.enable_gro = config.udp.gro;
  mc.socket_recv_buffer_size = config.udp.recv_buffer_bytes;
  mc.socket_send_buffer_size = config.udp.send_buffer_bytes;
  mc.max_connections_per_socket = config.udp.max_connections_per_socket;
  mc.local_cid_length = config.udp.local_cid_length;
  std::string invalid;
  if (auto v = mc.validate(&invalid); !v) {
    if (why != nullptr) *why = "udp: " + invalid;
    return v.error();
  }
  auto m = mux::AdvancedUdpMux::create(io, mc);
  if (!m) {
    if (why != nullptr) {
      *why = "udp: cannot open sockets on " + mc.primary_address.to_string();
      for (const auto& a : mc.additional_addresses) *why += ", " + a.to_string();
      *why += ": " + m.error().message();
    }
    return m.error();
  }
  state->mux = std::move(*m);
  state->mux->register_metrics(state->collector);

  auto family = state->collector.counter("gquic_node_datagrams_total",
                                         "Datagrams the node received with no module to take them",
                                         {"kind"});
  observability::Counter* quic = observability::series_or_null(family, {"quic"});
  observability::Counter* other = observability::series_or_null(family, {"other"});
  auto stun_family = state->collector.counter(
      "gquic_node_stun_requests_total", "STUN Binding requests the node received", {"result"});
  observability::Counter* stun_answered = observability::series_or_null(stun_family, {"answered"});
  observability::Counter* stun_failed = observability::series_or_null(stun_family, {"failed"});
  auto logger = log::get("node");
  mux::AdvancedUdpMux* m_ptr = state->mux.get();
  const auto sink = state->mux->register_receiver([=](const mux::ReceivedDatagram& d) {
    const bool is_quic = udp::looks_like_quic(d.data);
    // STUN Binding requests are answered with the address they came from, so nodes behind NAT
    // learn their public address from any gquic node (as from a DERP relay's STUN port).
    if (!is_quic && derp::stun::looks_like_stun(d.data)) {
      auto txid = derp::stun::parse_binding_request(d.data);
      const bool ok = txid && m_ptr->send_packet(derp::stun::binding_response(*txid, d.source),
                                                 d.source).has_value();
      if (auto* c = ok ? stun_answered : stun_failed) c->inc();
      return;
    }
    if (auto* c = is_quic ? quic : other) c->inc();
    logger->debug("{} bytes from {} ({})", d.data.size(), d.source.to_string(),
                  is_quic ? "quic" : "other");
  });
  state->mux->set_default_quic_receiver(sink);
  state->mux->set_default_receiver(sink);

  if (config.metrics.enabled) {
    state->metrics_server = std::make_unique<observability::MetricsHttpServer>(
        io, state->collector, config.metrics.listen);
    if (auto r = state->metrics_server->start(); !r) {
      if (why != nullptr) {
        *why = "metrics: cannot listen on " + config.metrics.listen.to_string() + ": " +
               r.error().message();
      }
      return r.error();
    }
  }
  state->mux->start();
  return std::unique_ptr<NodeDriver>(new NodeDriver(std::move(state)));
}

udp_mux_advanced::AdvancedUdpMux& NodeDriver::mux() noexcept { return *state_->mux; }
observability::MetricsCollector& NodeDriver::metrics() noexcept { return state_->collector; }

std::optional<SocketAddress> NodeDriver::metrics_address() const {
  if (!state_->metrics_server) return std::nullopt;
  return state_->metrics_server->local_address();
}

void NodeDriver::stop() {
  if (state_->metrics_server) state_->metrics_server->stop();
  if (state_->mux) state_->mux->stop();
}

}  // namespace gquic::node
