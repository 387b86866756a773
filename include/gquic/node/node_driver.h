#pragma once
// A running gquic node: the UDP mux and the /metrics endpoint on one io_context, built from a
// NodeConfig. This is what `gquic node` runs; later modules (QUIC endpoint, WireGuard device,
// DERP client, discovery) attach their receivers to its mux.
//
// Until those modules attach, the node answers STUN Binding requests with the address they
// came from (gquic_node_stun_requests_total) and counts every other datagram by kind
// (gquic_node_datagrams_total{kind="quic"|"other"}) without answering it.

#include <memory>

#include "gquic/core/error.h"
#include "gquic/node/node_config.h"
#include "gquic/observability/metrics.h"
#include "gquic/udp/advanced_mux.h"

namespace boost::asio {
class io_context;
}

namespace gquic::node {

class NodeDriver {
 public:
  // Opens every socket and the metrics listener; `why` names what failed.
  static Result<std::unique_ptr<NodeDriver>> start(boost::asio::io_context& io,
                                                   const NodeConfig& config, std::string* why);
  ~NodeDriver();

  udp_mux_advanced::AdvancedUdpMux& mux() noexcept;
  observability::MetricsCollector& metrics() noexcept;
  // The bound /metrics address; empty when metrics are disabled.
  std::optional<SocketAddress> metrics_address() const;
  void stop();

 private:
  struct State;
  explicit NodeDriver(std::unique_ptr<State> s);
  std::unique_ptr<State> state_;
};

}  // namespace gquic::node
