#pragma once
// Publishes a MemoryPool's stats() as Prometheus gauges and counters, labelled by pool name,
// at every scrape. Lives apart from the pool so the pool itself depends on core only.

#include <string_view>

#include "gquic/observability/metrics.h"
#include "gquic/zerocopy/memory_pool.h"

namespace gquic::zerocopy {

// The hook stays registered while the returned handle lives; the pool must outlive it.
observability::ScopedCollectHook register_pool_metrics(observability::MetricsCollector& collector,
                                                        const MemoryPool& pool,
                                                        std::string_view pool_name);

}  // namespace gquic::zerocopy
