// Publishes AdvancedUdpMux::stats() and its buffer pool through the metrics collector at
// scrape time.
#include <string>

#include "gquic/core/log.h"
#include "gquic/observability/metrics.h"
#include "gquic/observability/publish.h"
#include "gquic/udp/advanced_mux.h"
#include "gquic/zerocopy/pool_metrics.h"

namespace gquic::udp_mux_advanced {

namespace obs = observability;

namespace {

using obs::CounterMirror;
using obs::series_or_null;
using obs::set_gauge;

struct MuxMetrics {
  struct PerSocket {
    CounterMirror packets_sent, bytes_sent, packets_received, bytes_received, drops, gso, gro;
    obs::Gauge* healthy = nullptr;
    obs::Gauge* utilization = nullptr;
    obs::Gauge* flows = nullptr;
    obs::Gauge* queued = nullptr;
  };
  std::vector<PerSocket> sockets;
  std::array<CounterMirror, static_cast<std::size_t>(MuxDropReason::count_)> drops;
  CounterMirror flows_moved;
  obs::Gauge* routes = nullptr;
};

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
    s.packets_sent = CounterMirror(series_or_null(packets_sent, {label}));
    s.bytes_sent = CounterMirror(series_or_null(bytes_sent, {label}));
    s.packets_received = CounterMirror(series_or_null(packets_received, {label}));
    s.bytes_received = CounterMirror(series_or_null(bytes_received, {label}));
    s.drops = CounterMirror(series_or_null(socket_drops, {label}));
    s.gso = CounterMirror(series_or_null(gso, {label}));
    s.gro = CounterMirror(series_or_null(gro, {label}));
    s.healthy = series_or_null(healthy, {label});
    s.utilization = series_or_null(utilization, {label});
    s.flows = series_or_null(flows, {label});
    s.queued = series_or_null(queued, {label});
    m->sockets.push_back(s);
  }
  for (std::size_t r = 0; r < m->drops.size(); ++r) {
    m->drops[r] = CounterMirror(series_or_null(drops, {to_string(static_cast<MuxDropReason>(r))}));
  }
  m->flows_moved = CounterMirror(series_or_null(moved, {}));
  m->routes = series_or_null(routes, {});

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
      set_gauge(p.healthy, s.healthy ? 1.0 : 0.0);
      set_gauge(p.utilization, s.socket_utilization);
      set_gauge(p.flows, static_cast<double>(s.flows));
      set_gauge(p.queued, static_cast<double>(s.queued_sends));
    }
    for (std::size_t r = 0; r < m->drops.size(); ++r) m->drops[r].update(st.drops[r]);
    m->flows_moved.update(st.flows_moved);
    set_gauge(m->routes, static_cast<double>(st.routes));
  });
  metric_hooks_.push_back(zerocopy::register_pool_metrics(collector, pool(), "udp_mux"));
}

}  // namespace gquic::udp_mux_advanced
