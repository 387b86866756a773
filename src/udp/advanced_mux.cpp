// The Asio driver of the UDP mux: one receive coroutine per socket, synchronous sends with a
// bounded queue for when the kernel pushes back, and failover between sockets. The routing and
// placement decisions live in Router and SocketSelector (sans-IO); this file moves bytes.
#include "gquic/udp/advanced_mux.h"

#include <deque>
#include <unordered_map>

#include <boost/asio/posix/stream_descriptor.hpp>

#include "gquic/core/asio.h"
#include "gquic/core/assert.h"
#include "gquic/core/log.h"
#include "gquic/zerocopy/memory_pool.h"

namespace gquic::udp_mux_advanced {

namespace net = boost::asio;
using gquic::asio::awaitable;
using gquic::asio::nothrow;

std::string_view to_string(MuxDropReason r) noexcept {
  switch (r) {
    case MuxDropReason::unknown_connection: return "unknown_connection";
    case MuxDropReason::unknown_flow: return "unknown_flow";
    case MuxDropReason::malformed_quic: return "malformed_quic";
    case MuxDropReason::send_queue_full: return "send_queue_full";
    case MuxDropReason::no_healthy_socket: return "no_healthy_socket";
    case MuxDropReason::pool_exhausted: return "pool_exhausted";
    case MuxDropReason::send_error: return "send_error";
    case MuxDropReason::count_: break;
  }
  return "unknown";
}

Result<void> AdvancedMuxConfig::validate(std::string* what) const {
  auto fail = [what](const char* field) -> Result<void> {
    if (what != nullptr) *what = field;
    return Errc::invalid_argument;
  };
  if (max_connections_per_socket == 0 || max_connections_per_socket > (1u << 24)) {
    return fail("max_connections_per_socket must be 1..16777216");
  }
  if (batch_size == 0 || batch_size > 1024) return fail("batch_size must be 1..1024");
  if (local_cid_length > udp::kMaxConnectionIdLength) return fail("local_cid_length must be 0..20");
  if (socket_recv_buffer_size < 0 || socket_recv_buffer_size > (1 << 30)) {
    return fail("socket_recv_buffer_size must be 0..1 GiB");
  }
  if (socket_send_buffer_size < 0 || socket_send_buffer_size > (1 << 30)) {
    return fail("socket_send_buffer_size must be 0..1 GiB");
  }
  if (max_flows == 0) return fail("max_flows must be > 0");
  if (flow_idle_timeout <= Duration::zero()) return fail("flow_idle_timeout must be > 0");
  if (max_queued_sends_per_socket == 0) return fail("max_queued_sends_per_socket must be > 0");
  if (pool_max_chunks < batch_size * (1 + additional_addresses.size())) {
    return fail("pool_max_chunks must hold at least batch_size buffers per socket");
  }
  if (additional_addresses.size() > 64) return fail("at most 64 additional_addresses");
  return {};
}

namespace {

// Errors that say the socket itself is unusable, not that one destination is unreachable.
bool is_socket_failure(std::error_code ec) {
  if (ec == Errc::closed) return true;
  if (ec.category() != std::system_category()) return false;
  switch (ec.value()) {
    case EBADF: case ENOTSOCK: case EPIPE: case ESHUTDOWN: case ENODEV: case ENXIO:
    case ENETDOWN:
      return true;
    default:
      return false;
  }
}

struct QueuedSend {
  zerocopy::PooledBuffer buffer;
  SocketAddress destination;
  udp::Ecn ecn;
  std::size_t segment_size;
};

}  // namespace

struct AdvancedUdpMux::Impl {
  struct Entry {
    udp::UdpSocket socket;
    std::unique_ptr<net::posix::stream_descriptor> descriptor;
    bool healthy = true;
    bool writer_active = false;
    std::deque<QueuedSend> queue;
    std::uint64_t packets_sent = 0, bytes_sent = 0, packets_received = 0, bytes_received = 0;
    std::uint64_t drops = 0;
  };

  Impl(net::io_context& io_, const AdvancedMuxConfig& cfg, const Clock& clk)
      : io(io_),
        config(cfg),
        clock(clk),
        selector({.strategy = cfg.strategy,
                  .max_flows = cfg.max_flows,
                  .flow_idle_timeout = cfg.flow_idle_timeout}),
        router(cfg.local_cid_length,
               cfg.max_connections_per_socket * (1 + cfg.additional_addresses.size())) {}

  net::io_context& io;
  AdvancedMuxConfig config;
  const Clock& clock;
  SocketSelector selector;
  Router router;
  // Shared with the receive coroutines, whose frames may outlive the mux until the io_context
  // destroys them, and whose buffers must go back to a live pool.
  std::shared_ptr<zerocopy::MemoryPool> pool;
  std::vector<std::unique_ptr<Entry>> entries;
  std::unordered_map<ReceiverId, Receiver> receivers;
  ReceiverId next_receiver = 1;
  std::array<std::uint64_t, static_cast<std::size_t>(MuxDropReason::count_)> drops{};
  std::uint64_t flows_moved_total = 0;
  bool started = false;
  bool stopped = false;
  // Coroutines hold this; it turns false when the mux is stopped or destroyed.
  std::shared_ptr<bool> alive = std::make_shared<bool>(true);
  std::shared_ptr<spdlog::logger> log = gquic::log::get("udp");

  void count_drop(MuxDropReason r, Entry* e = nullptr) {
    ++drops[static_cast<std::size_t>(r)];
    if (e != nullptr) ++e->drops;
  }

  void take_out(std::size_t index, std::error_code why) {
    Entry& e = *entries[index];
    if (!e.healthy) return;
    e.healthy = false;
    const std::size_t flows = selector.set_healthy(index, false);
    log->warn("socket {} ({}) taken out of service: {}; {} flows move to other sockets", index,
              e.socket.local_address().to_string(), why.message(), flows);
    if (e.descriptor) {
      boost::system::error_code ignored;
      e.descriptor->cancel(ignored);
      (void)e.descriptor->release();
    }
    e.socket.close();
    // Whatever waited in its queue goes out through the others.
    std::deque<QueuedSend> pending;
    pending.swap(e.queue);
    for (auto& q : pending) {
      auto r = send(q.buffer.span(), q.segment_size, q.destination, q.ecn, std::nullopt);
      if (!r) log->debug("re-sending a queued datagram after failover failed: {}", r.error().message());
    }
  }

  Result<std::size_t> choose(const SocketAddress& destination) {
    if (!config.enable_load_balancing) {
      for (std::size_t i = 0; i < entries.size(); ++i) {
        if (entries[i]->healthy) return i;
      }
      return Errc::closed;
    }
    return selector.pick(destination, clock.now());
  }

  Result<void> enqueue(std::size_t index, std::span<const std::uint8_t> data,
                       std::size_t segment_size, const SocketAddress& destination, udp::Ecn ecn) {
    Entry& e = *entries[index];
    if (e.queue.size() >= config.max_queued_sends_per_socket) {
      count_drop(MuxDropReason::send_queue_full, &e);
      return Errc::exhausted;
    }
    if (data.size() > pool->config().chunk_size) {
      count_drop(MuxDropReason::send_queue_full, &e);
      return Errc::exhausted;
    }
    auto buf = pool->get_buffer();
    if (!buf) {
      count_drop(MuxDropReason::pool_exhausted, &e);
      return Errc::exhausted;
    }
    std::memcpy(buf->data(), data.data(), data.size());
    (void)buf->resize(data.size());
    e.queue.push_back(QueuedSend{std::move(*buf), destination, ecn, segment_size});
    if (!e.writer_active) {
      e.writer_active = true;
      net::co_spawn(io, write_loop(index, alive), net::detached);
    }
    return {};
  }

  void account_sent(std::size_t index, std::size_t bytes, std::size_t segment_size) {
    Entry& e = *entries[index];
    const std::size_t datagrams =
        segment_size == 0 || segment_size >= bytes ? 1 : (bytes + segment_size - 1) / segment_size;
    e.packets_sent += datagrams;
    e.bytes_sent += bytes;
    selector.record_sent(index, bytes);
  }

  Result<void> send(std::span<const std::uint8_t> data, std::size_t segment_size,
                    const SocketAddress& destination, udp::Ecn ecn,
                    std::optional<std::size_t> via) {
    if (stopped) return Errc::closed;
    if (data.empty()) return Errc::invalid_argument;
    for (std::size_t attempt = 0; attempt <= entries.size(); ++attempt) {
      std::size_t index;
      if (via) {
        if (*via >= entries.size()) return Errc::invalid_argument;
        if (!entries[*via]->healthy) {
          count_drop(MuxDropReason::no_healthy_socket);
          return Errc::closed;
        }
        index = *via;
      } else {
        auto picked = choose(destination);
        if (!picked) {
          count_drop(MuxDropReason::no_healthy_socket);
          return picked.error();
        }
        index = *picked;
      }
      Entry& e = *entries[index];
      if (!e.queue.empty()) return enqueue(index, data, segment_size, destination, ecn);
      const udp::Transmit t{.destination = destination, .contents = data, .ecn = ecn,
                            .segment_size = segment_size};
      auto sent = e.socket.send(std::span(&t, 1));
      if (sent && *sent == 1) {
        account_sent(index, data.size(), segment_size);
        return {};
      }
      const std::error_code ec = sent ? make_error_code(Errc::would_block) : sent.error();
      if (ec == Errc::would_block) return enqueue(index, data, segment_size, destination, ecn);
      if (is_socket_failure(ec)) {
        take_out(index, ec);
        if (via) return ec;
        continue;  // the selector now skips this socket: retry on another
      }
      count_drop(MuxDropReason::send_error, &e);
      return ec;
    }
    count_drop(MuxDropReason::no_healthy_socket);
    return Errc::closed;
  }

  awaitable<void> write_loop(std::size_t index, std::shared_ptr<bool> live) {
    Entry& e = *entries[index];
    while (*live && e.healthy && !e.queue.empty()) {
      auto [ec] = co_await e.descriptor->async_wait(net::posix::descriptor_base::wait_write, nothrow);
      if (!*live || !e.healthy) break;
      if (ec) {
        take_out(index, ec);
        break;
      }
      std::vector<udp::Transmit> batch;
      const std::size_t n = std::min(e.queue.size(), config.batch_size);
      batch.reserve(n);
      for (std::size_t i = 0; i < n; ++i) {
        const QueuedSend& q = e.queue[i];
        batch.push_back({.destination = q.destination, .contents = q.buffer.span(), .ecn = q.ecn,
                         .segment_size = q.segment_size});
      }
      auto sent = e.socket.send(batch);
      if (!sent) {
        if (sent.error() == Errc::would_block) continue;
        if (is_socket_failure(sent.error())) {
          take_out(index, sent.error());
          break;
        }
        // The first datagram was refused for its destination: drop it, keep the rest.
        count_drop(MuxDropReason::send_error, &e);
        e.queue.pop_front();
        continue;
      }
      for (std::size_t i = 0; i < *sent; ++i) {
        account_sent(index, e.queue.front().buffer.size(), e.queue.front().segment_size);
        e.queue.pop_front();
      }
    }
    if (*live) e.writer_active = false;
  }

  void dispatch(TimePoint now, std::size_t index, std::span<const std::uint8_t> datagram,
                const udp::RecvMeta& meta, zerocopy::PooledBuffer* owner) {
    Entry& e = *entries[index];
    ++e.packets_received;
    e.bytes_received += datagram.size();
    auto decision = router.route(datagram, meta.source);
    if (!decision.route) {
      switch (decision.miss) {
        case RouteMiss::unknown_connection: count_drop(MuxDropReason::unknown_connection, &e); break;
        case RouteMiss::unknown_flow: count_drop(MuxDropReason::unknown_flow, &e); break;
        case RouteMiss::malformed_quic: count_drop(MuxDropReason::malformed_quic, &e); break;
      }
      return;
    }
    auto it = receivers.find(decision.route->receiver);
    if (it == receivers.end()) {
      count_drop(MuxDropReason::unknown_flow, &e);
      return;
    }
    // Replies leave from the socket the peer reached; with migration on, a peer that moves to
    // another of our sockets is followed there.
    if (config.enable_migration || !selector.has_flow(meta.source)) {
      selector.pin(meta.source, index, now);
    }
    ReceivedDatagram d{.data = datagram, .source = meta.source, .destination = meta.destination,
                       .ecn = meta.ecn, .socket_index = index, .route = decision.route->kind,
                       .buffer = owner};
    it->second(d);
  }

  awaitable<void> receive_loop(std::size_t index, std::shared_ptr<bool> live,
                               std::shared_ptr<zerocopy::MemoryPool> keep_pool) {
    (void)keep_pool;  // parameters are destroyed after the buffers below
    Entry& e = *entries[index];
    const std::size_t batch = config.batch_size;
    std::vector<zerocopy::PooledBuffer> buffers(batch);
    std::vector<std::span<std::uint8_t>> spans(batch);
    std::vector<udp::RecvMeta> metas(batch);
    std::vector<std::uint8_t> scratch;  // drains the kernel when the pool is exhausted
    for (;;) {
      auto [ec] = co_await e.descriptor->async_wait(net::posix::descriptor_base::wait_read, nothrow);
      if (!*live || !e.healthy) co_return;
      if (ec) {
        take_out(index, ec);
        co_return;
      }
      // Drain a bounded number of batches, then wait again so other sockets get their turn.
      for (int round = 0; round < 16; ++round) {
        std::size_t ready = 0;
        for (std::size_t i = 0; i < batch; ++i) {
          if (!buffers[i]) {
            auto b = pool->get_buffer();
            if (!b) break;
            buffers[i] = std::move(*b);
          }
          spans[i] = buffers[i].writable();
          ready = i + 1;
        }
        if (ready == 0) {
          scratch.resize(udp::kMaxUdpPayload);
          std::span<std::uint8_t> s(scratch);
          auto r = e.socket.recv(std::span(&s, 1), std::span(metas).first(1));
          if (r && *r > 0) count_drop(MuxDropReason::pool_exhausted, &e);
          if (!r) break;
          continue;
        }
        auto got = e.socket.recv(std::span(spans).first(ready), std::span(metas).first(ready));
        if (!got) {
          if (got.error() == Errc::would_block) break;
          if (is_socket_failure(got.error())) {
            take_out(index, got.error());
            co_return;
          }
          log->debug("socket {} receive error: {}", index, got.error().message());
          break;
        }
        const TimePoint now = clock.now();  // once per batch, not per datagram
        for (std::size_t i = 0; i < *got; ++i) {
          const udp::RecvMeta& meta = metas[i];
          const bool single = meta.stride == 0 || meta.stride >= meta.len;
          (void)buffers[i].resize(meta.len);
          udp::for_each_datagram(buffers[i].span(), meta, [&](std::span<const std::uint8_t> dg) {
            dispatch(now, index, dg, meta, single ? &buffers[i] : nullptr);
          });
          if (!*live) co_return;
        }
        if (*got < ready) break;
      }
    }
  }
};

AdvancedUdpMux::AdvancedUdpMux(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

AdvancedUdpMux::~AdvancedUdpMux() {
  metric_hooks_.clear();
  stop();
}

zerocopy::MemoryPool& AdvancedUdpMux::pool() noexcept { return *impl_->pool; }

Result<std::unique_ptr<AdvancedUdpMux>> AdvancedUdpMux::create(net::io_context& io,
                                                               const AdvancedMuxConfig& config,
                                                               const Clock& clock) {
  std::string what;
  if (auto v = config.validate(&what); !v) {
    gquic::log::get("udp")->error("invalid mux config: {}", what);
    return v.error();
  }
  auto impl = std::make_unique<Impl>(io, config, clock);
  const std::size_t sockets = 1 + config.additional_addresses.size();
  auto pool = zerocopy::MemoryPool::create(zerocopy::PoolConfig{
      .chunk_size = config.enable_gro ? udp::kMaxUdpPayload : 2048,
      .initial_chunks = config.batch_size * sockets,
      .max_chunks = config.pool_max_chunks});
  if (!pool) return pool.error();
  impl->pool = std::move(*pool);

  std::vector<SocketAddress> addresses{config.primary_address};
  addresses.insert(addresses.end(), config.additional_addresses.begin(),
                   config.additional_addresses.end());
  for (const SocketAddress& a : addresses) {
    auto s = udp::UdpSocket::open({.bind_address = a,
                                   .recv_buffer_size = config.socket_recv_buffer_size,
                                   .send_buffer_size = config.socket_send_buffer_size,
                                   .enable_gso = config.enable_gso,
                                   .enable_gro = config.enable_gro});
    if (!s) {
      gquic::log::get("udp")->error("cannot open UDP socket on {}: {}", a.to_string(),
                                    s.error().message());
      return s.error();
    }
    auto entry = std::make_unique<Impl::Entry>(Impl::Entry{.socket = std::move(*s)});
    entry->descriptor =
        std::make_unique<net::posix::stream_descriptor>(io, entry->socket.native_handle());
    impl->entries.push_back(std::move(entry));
    impl->selector.add_slot();
  }
  return std::unique_ptr<AdvancedUdpMux>(new AdvancedUdpMux(std::move(impl)));
}

void AdvancedUdpMux::start() {
  if (impl_->started || impl_->stopped) return;
  impl_->started = true;
  for (std::size_t i = 0; i < impl_->entries.size(); ++i) {
    net::co_spawn(impl_->io, impl_->receive_loop(i, impl_->alive, impl_->pool), net::detached);
  }
}

void AdvancedUdpMux::stop() {
  if (impl_->stopped) return;
  impl_->stopped = true;
  *impl_->alive = false;
  for (auto& e : impl_->entries) {
    if (e->descriptor) {
      boost::system::error_code ignored;
      e->descriptor->cancel(ignored);
      (void)e->descriptor->release();
    }
    e->socket.close();
    e->queue.clear();
  }
}

ReceiverId AdvancedUdpMux::register_receiver(Receiver receiver) {
  const ReceiverId id = impl_->next_receiver++;
  impl_->receivers.emplace(id, std::move(receiver));
  return id;
}

void AdvancedUdpMux::unregister_receiver(ReceiverId id) {
  impl_->router.remove_receiver(id);
  impl_->receivers.erase(id);
}

Result<void> AdvancedUdpMux::route_connection_id(ReceiverId id, const udp::ConnectionId& cid) {
  if (!impl_->receivers.contains(id)) return Errc::not_found;
  return impl_->router.add_connection_id(id, cid);
}
void AdvancedUdpMux::unroute_connection_id(const udp::ConnectionId& cid) {
  impl_->router.remove_connection_id(cid);
}
Result<void> AdvancedUdpMux::route_remote(ReceiverId id, const SocketAddress& remote) {
  if (!impl_->receivers.contains(id)) return Errc::not_found;
  return impl_->router.add_remote(id, remote);
}
void AdvancedUdpMux::unroute_remote(const SocketAddress& remote) { impl_->router.remove_remote(remote); }
void AdvancedUdpMux::set_default_quic_receiver(std::optional<ReceiverId> id) {
  impl_->router.set_default_quic(id);
}
void AdvancedUdpMux::set_default_receiver(std::optional<ReceiverId> id) {
  impl_->router.set_default_other(id);
}

Result<void> AdvancedUdpMux::send_packet(std::span<const std::uint8_t> data,
                                         const SocketAddress& destination, udp::Ecn ecn) {
  if (data.size() > udp::kMaxUdpPayload) return Errc::message_too_large;
  return impl_->send(data, 0, destination, ecn, std::nullopt);
}

Result<void> AdvancedUdpMux::send_segments(std::span<const std::uint8_t> data,
                                           std::size_t segment_size,
                                           const SocketAddress& destination, udp::Ecn ecn) {
  if (segment_size == 0 || segment_size > udp::kMaxUdpPayload) return Errc::invalid_argument;
  if ((data.size() + segment_size - 1) / segment_size > udp::kMaxGsoSegments) {
    return Errc::message_too_large;
  }
  return impl_->send(data, segment_size, destination, ecn, std::nullopt);
}

Result<void> AdvancedUdpMux::send_packet_via(std::size_t socket_index,
                                             std::span<const std::uint8_t> data,
                                             const SocketAddress& destination, udp::Ecn ecn) {
  if (!impl_->config.enable_multipath) return Errc::unsupported;
  if (data.size() > udp::kMaxUdpPayload) return Errc::message_too_large;
  return impl_->send(data, 0, destination, ecn, socket_index);
}

void AdvancedUdpMux::fail_socket(std::size_t socket_index) {
  if (socket_index < impl_->entries.size()) {
    impl_->take_out(socket_index, make_error_code(Errc::closed));
  }
}

std::size_t AdvancedUdpMux::socket_count() const noexcept { return impl_->entries.size(); }

SocketAddress AdvancedUdpMux::local_address(std::size_t i) const {
  return impl_->entries.at(i)->socket.local_address();
}

const udp::Capabilities& AdvancedUdpMux::capabilities(std::size_t i) const {
  return impl_->entries.at(i)->socket.capabilities();
}

int AdvancedUdpMux::native_handle(std::size_t i) const {
  return impl_->entries.at(i)->socket.native_handle();
}

MuxStats AdvancedUdpMux::stats() const {
  MuxStats s;
  s.drops = impl_->drops;
  s.flows_moved = impl_->selector.flows_moved();
  s.routes = impl_->router.route_count();
  s.receivers = impl_->receivers.size();
  std::uint64_t total = 0;
  for (const auto& e : impl_->entries) total += e->bytes_sent + e->bytes_received;
  for (std::size_t i = 0; i < impl_->entries.size(); ++i) {
    const auto& e = *impl_->entries[i];
    const auto& c = e.socket.counters();
    s.sockets.push_back(SocketStats{
        .local_address = e.socket.local_address(),
        .healthy = e.healthy,
        .packets_sent = e.packets_sent,
        .bytes_sent = e.bytes_sent,
        .packets_received = e.packets_received,
        .bytes_received = e.bytes_received,
        .drops = e.drops + c.truncated_payload,
        .gso_segments = c.gso_segments,
        .gro_segments = c.gro_segments,
        .queued_sends = e.queue.size(),
        .flows = impl_->selector.flows_on(i),
        .socket_utilization =
            total == 0 ? 0.0 : static_cast<double>(e.bytes_sent + e.bytes_received) / total});
  }
  return s;
}

}  // namespace gquic::udp_mux_advanced
