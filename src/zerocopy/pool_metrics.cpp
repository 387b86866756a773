#include "gquic/zerocopy/pool_metrics.h"

#include <memory>
#include <string>

#include "gquic/observability/publish.h"

namespace gquic::zerocopy {

namespace obs = observability;

obs::ScopedCollectHook register_pool_metrics(obs::MetricsCollector& collector,
                                             const MemoryPool& pool, std::string_view pool_name) {
  const std::string name(pool_name);
  auto chunks = collector.gauge("gquic_pool_chunks", "Chunks allocated by the buffer pool", {"pool"});
  auto in_use = collector.gauge("gquic_pool_chunks_in_use", "Chunks held by buffers", {"pool"});
  auto max = collector.gauge("gquic_pool_chunks_max", "The pool's bound on chunks", {"pool"});
  auto utilization = collector.gauge("gquic_pool_utilization_ratio",
                                     "Chunks in use over the pool's bound", {"pool"});
  auto chunk_bytes = collector.gauge("gquic_pool_chunk_size_bytes", "Bytes per chunk", {"pool"});
  auto gets = collector.counter("gquic_pool_gets_total", "Buffers handed out", {"pool"});
  auto exhausted = collector.counter("gquic_pool_exhausted_total",
                                     "Buffer requests refused because the pool was full", {"pool"});
  struct State {
    obs::Gauge *chunks, *in_use, *max, *utilization, *chunk_bytes;
    obs::CounterMirror gets, exhausted;
  };
  auto s = std::make_shared<State>(State{
      obs::series_or_null(chunks, {name}), obs::series_or_null(in_use, {name}),
      obs::series_or_null(max, {name}), obs::series_or_null(utilization, {name}),
      obs::series_or_null(chunk_bytes, {name}),
      obs::CounterMirror(obs::series_or_null(gets, {name})),
      obs::CounterMirror(obs::series_or_null(exhausted, {name}))});
  return obs::ScopedCollectHook(collector, [s, &pool] {
    const PoolStats st = pool.stats();
    obs::set_gauge(s->chunks, static_cast<double>(st.total_chunks));
    obs::set_gauge(s->in_use, static_cast<double>(st.in_use));
    obs::set_gauge(s->max, static_cast<double>(st.max_chunks));
    obs::set_gauge(s->utilization, st.utilization);
    obs::set_gauge(s->chunk_bytes, static_cast<double>(st.chunk_size));
    s->gets.update(st.gets);
    s->exhausted.update(st.exhaustion_count);
  });
}

}  // namespace gquic::zerocopy
