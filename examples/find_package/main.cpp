// Uses three gquic modules through the installed package: the QUIC header parser, the buffer
// pool and the metrics collector.
#include <cstdio>
#include <vector>

#include <gquic/observability/metrics.h>
#include <gquic/udp/quic_header.h>
#include <gquic/zerocopy/memory_pool.h>

int main() {
  const std::vector<std::uint8_t> packet = {0x40, 1, 2, 3, 4, 5, 6, 7, 8, 0xff};
  auto header = gquic::udp::parse_quic_header(packet, 8);
  if (!header) return 1;
  auto cid = gquic::udp::ConnectionId::from(header->dcid);

  auto pool = gquic::zerocopy::MemoryPool::create({.chunk_size = 1500, .initial_chunks = 4,
                                                   .max_chunks = 8});
  if (!pool) return 1;
  auto buffer = (*pool)->get_buffer();
  if (!buffer) return 1;

  gquic::observability::MetricsCollector metrics;
  auto family = metrics.counter("gquic_example_packets_total", "Packets parsed");
  if (!family) return 1;
  family->get().with({})->get().inc();

  std::printf("dcid %s, buffer of %zu bytes, %zu metric families\n", cid->to_hex().c_str(),
              buffer->capacity(), metrics.family_count());
  return 0;
}
