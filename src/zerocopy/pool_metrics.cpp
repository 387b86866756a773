#include "gquic/zerocopy/pool_metrics.h"

#include <memory>
#include <string>

namespace gquic::zerocopy {

namespace obs = observability;

namespace {

template <typename Family>
auto* child(Result<std::reference_wrapper<Family>>& family, const std::string& value) {
  using Metric = typename Family::Handle::type;
  Metric* m = nullptr;
  if (family) {
    if (auto c = family->get().with({value})) m = &c->get();
  }
  return m;
}

}  // namespace

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
    obs::Counter *gets, *exhausted;
    std::uint64_t gets_published = 0, exhausted_published = 0;
  };
  auto s = std::make_shared<State>(State{child(chunks, name), child(in_use, name), child(max, name),
                                         child(utilization, name), child(chunk_bytes, name),
                                         child(gets, name), child(exhausted, name)});
  return obs::ScopedCollectHook(collector, [s, &pool] {
    const PoolStats st = pool.stats();
    if (s->chunks) s->chunks->set(static_cast<double>(st.total_chunks));
    if (s->in_use) s->in_use->set(static_cast<double>(st.in_use));
    if (s->max) s->max->set(static_cast<double>(st.max_chunks));
    if (s->utilization) s->utilization->set(st.utilization);
    if (s->chunk_bytes) s->chunk_bytes->set(static_cast<double>(st.chunk_size));
    if (s->gets && st.gets > s->gets_published) s->gets->inc(st.gets - s->gets_published);
    s->gets_published = std::max(s->gets_published, st.gets);
    if (s->exhausted && st.exhaustion_count > s->exhausted_published) {
      s->exhausted->inc(st.exhaustion_count - s->exhausted_published);
    }
    s->exhausted_published = std::max(s->exhausted_published, st.exhaustion_count);
  });
}

}  // namespace gquic::zerocopy
