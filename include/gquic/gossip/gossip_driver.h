#pragma once
// GossipDriver: a SwimCore on real sockets. UDP carries probes and gossip; TCP on the same
// address and port carries push-pull (one request frame, one reply frame, each a u32
// big-endian length then the sealed packet). Coroutines on one io_context: a UDP receiver, a
// TCP acceptor with one short-lived coroutine per connection (bounded in number, size and
// time), one client coroutine per push-pull the core asks for, and one timer re-armed from
// next_deadline(). Call the core only on the io_context's thread, then poke().

#include <functional>
#include <memory>

#include "gquic/core/asio.h"
#include "gquic/core/clock.h"
#include "gquic/gossip/swim_core.h"

namespace gquic::gossip {

struct GossipDriverConfig {
  SwimConfig swim;  // swim.advertise is the bind address; port 0 takes a free one
  std::vector<SocketAddress> seeds;
  Duration stream_timeout = std::chrono::seconds(5);
  std::size_t max_stream_bytes = 8u << 20;
  std::size_t max_streams = 32;  // concurrent inbound push-pulls; more are refused
};

struct GossipDriverCounters {
  std::uint64_t datagrams_in = 0, datagrams_out = 0, send_errors = 0;
  std::uint64_t streams_in = 0, streams_out = 0, stream_errors = 0, streams_refused = 0;
};

class GossipDriver {
 public:
  static Result<std::unique_ptr<GossipDriver>> open(asio::net::io_context& io, GossipDriverConfig config,
                                                    RandomSource& rng,
                                                    const Clock& clock = SteadyClock::instance());
  ~GossipDriver();
  GossipDriver(const GossipDriver&) = delete;
  GossipDriver& operator=(const GossipDriver&) = delete;

  SwimCore& core() noexcept;
  SocketAddress local_address() const noexcept;
  TimePoint now() const noexcept;
  const GossipDriverCounters& counters() const noexcept;
  std::function<void(const GossipEvent&)> on_event;

  void start();  // also joins the seeds
  void poke();
  void stop();

 private:
  struct Impl;
  explicit GossipDriver(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace gquic::gossip
