// Publishes AdvancedUdpMux::stats() and its buffer pool through the metrics collector at
// scrape time.
#include <string>

#include "gquic/core/log.h"
#include "gquic/observability/metrics.h"
#include "gquic/udp/advanced_mux.h"
#include "gquic/zerocopy/pool_metrics.h"

namespace gquic::udp_mux_advanced {

namespace obs = observability;

namespace {

// A counter that follows a monotonic total kept elsewhere: each scrape adds the increase.
struct MirroredCounter {
  obs::Counter* counter = nullptr;
  std::uint64_t published = 0;
  void update(std::uint64_t total) {
    if (counter != nullptr && total > published) counter->inc(total - published);
    published = total;
  }
};

struct MuxMetrics {
  struct PerSocket {
    MirroredCounter packets_sent, bytes_sent, packets_received, bytes_received, drops, gso, gro;
    obs::Gauge* healthy = nullptr;
    obs::Gauge* utilization = nullptr;
    obs::Gauge* flows = nullptr;
    obs::Gauge* queued = nullptr;
  };
  std::vector<PerSocket> sockets;
  std::array<MirroredCounter, static_cast<std::size_t>(MuxDropReason::count_)> drops;
  MirroredCounter flows_moved;
  obs::Gauge* routes = nullptr;
};

template <typename Family>
auto* child(Result<std::reference_wrapper<Family>>& family,
            std::initializer_list<std::string_view> values) {
  using Metric = typename std::remove_reference_t<decltype(family->get())>::Handle::type;
  Metric* m = nullptr;
  if (family) {
    if (auto c = family->get().with(values)) m = &c->get();
  }
  return m;
}

}  // namespace

void AdvancedUdpMux::register_metrics(obs::MetricsCollector& collector) {
  auto packets_sent = collector.counter("gquic_udp_mux_packets_sent_total",
                                        "Datagrams sent by the UDP mux", {"socket"});
  auto bytes_sent = collector.counter("gquic_udp_mux_sent_bytes_total",
                                      "UDP payload bytes sent by the UDP mux", {"socket"});
  auto packets_received = collector.counter("gquic_udp_mux_packets_received_total",
                                            "Datagrams received by the UDP mux", {"socket"});
  auto bytes_received = collector.counter("gquic_udp_mux_received_bytes_total",
                                          "UDP payload bytes received by the UDP mux", {"socket"});
  auto socket_drops = collector.counter("gquic_udp_mux_socket_drops_total",
                                        "Datagrams dropped on a socket, all reasons", {"socket"});
  auto gso = collector.counter("gquic_udp_mux_gso_segments_total",
                               "Datagrams sent inside GSO super-datagrams", {"socket"});
  auto gro = collector.counter("gquic_udp_mux_gro_segments_total",
                               "Datagrams received inside GRO-coalesced buffers", {"socket"});
  auto healthy = collector.gauge("gquic_udp_mux_socket_healthy",
                                 "1 while the socket is in service, 0 after it failed", {"socket"});
  auto utilization = collector.gauge("gquic_udp_mux_socket_utilization_ratio",
                                     "The socket's share of all bytes the mux carried", {"socket"});
  auto flows = collector.gauge("gquic_udp_mux_flows", "Remote addresses pinned to the socket",
                               {"socket"});
  auto queued = collector.gauge("gquic_udp_mux_queued_sends",
                                "Datagrams waiting for the socket to become writable", {"socket"});
  auto drops = collector.counter("gquic_udp_mux_drops_total", "Datagrams dropped by the UDP mux",
                                 {"reason"});
  auto moved = collector.counter("gquic_udp_mux_flows_moved_total",
                                 "Flows moved to another socket after a socket failed");
  auto routes = collector.gauge("gquic_udp_mux_routes",
                                "Connection-ID and remote-address routes registered");
  for (auto* r : {&packets_sent, &bytes_sent, &packets_received, &bytes_received, &socket_drops,
                  &gso, &gro, &drops, &moved}) {
    if (!*r) log::get("udp")->warn("metric registration failed: {}", r->error().message());
  }

  auto m = std::make_shared<MuxMetrics>();
  for (std::size_t i = 0; i < socket_count(); ++i) {
    const std::string label = std::to_string(i);
    MuxMetrics::PerSocket s;
    s.packets_sent.counter = child(packets_sent, {label});
    s.bytes_sent.counter = child(bytes_sent, {label});
    s.packets_received.counter = child(packets_received, {label});
    s.bytes_received.counter = child(bytes_received, {label});
    s.drops.counter = child(socket_drops, {label});
    s.gso.counter = child(gso, {label});
    s.gro.counter = child(gro, {label});
    s.healthy = child(healthy, {label});
    s.utilization = child(utilization, {label});
    s.flows = child(flows, {label});
    s.queued = child(queued, {label});
    m->sockets.push_back(s);
  }
  for (std::size_t r = 0; r < m->drops.size(); ++r) {
    m->drops[r].counter = child(drops, {to_string(static_cast<MuxDropReason>(r))});
  }
  m->flows_moved.counter = child(moved, {});
  m->routes = child(routes, {});

  metric_hooks_.emplace_back(collector, [this, m] {
    const MuxStats st = stats();
    for (std::size_t i = 0; i < st.sockets.size() && i < m->sockets.size(); ++i) {
      const SocketStats& s = st.sockets[i];
      auto& p = m->sockets[i];
      p.packets_sent.update(s.packets_sent);
      p.bytes_sent.update(s.bytes_sent);
      p.packets_received.update(s.packets_received);
      p.bytes_received.update(s.bytes_received);
      p.drops.update(s.drops);
      p.gso.update(s.gso_segments);
      p.gro.update(s.gro_segments);
      if (p.healthy) p.healthy->set(s.healthy ? 1.0 : 0.0);
      if (p.utilization) p.utilization->set(s.socket_utilization);
      if (p.flows) p.flows->set(static_cast<double>(s.flows));
      if (p.queued) p.queued->set(static_cast<double>(s.queued_sends));
    }
    for (std::size_t r = 0; r < m->drops.size(); ++r) m->drops[r].update(st.drops[r]);
    m->flows_moved.update(st.flows_moved);
    if (m->routes) m->routes->set(static_cast<double>(st.routes));
  });
  metric_hooks_.push_back(zerocopy::register_pool_metrics(collector, pool(), "udp_mux"));
}

}  // namespace gquic::udp_mux_advanced
