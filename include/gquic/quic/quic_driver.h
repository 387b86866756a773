#pragma once
// The Asio driver of gquic's QUIC cores: one UDP socket (gquic::udp::UdpSocket, GSO/GRO/ECN)
// and one coroutine per endpoint that
//
//   1. waits for the socket to be readable or for its one timer,
//   2. receives a batch (recvmmsg, GRO) and feeds every datagram to the core,
//   3. runs the core's timeout when its deadline passed and collects events,
//   4. drains poll_transmit() into GSO super-datagrams handed to sendmmsg in one call,
//   5. re-arms the timer from next_deadline().
//
// Application calls (write, read, ...) act on the core directly and wake the loop by pulling
// its timer in; coroutines waiting for progress (credit, bytes, a stream, a datagram) are woken
// after every loop iteration and re-check. The server role wraps a quic::Endpoint; the client
// role one quic::Connection per driver (and so per local port).
//
//   auto server = EndpointDriver::server(io, tls, {}, {.bind = addr}).value();
//   co_spawn(io, [&]() -> awaitable<void> {
//     auto conn = co_await server->accept();           // handshake done
//     auto id = co_await conn->accept_stream();
//     ... co_await conn->read(*id, buf); co_await conn->write(*id, bytes, /*fin=*/true);
//   }, detached);
//
// Everything runs on the io_context's thread; nothing here is thread-safe.

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "gquic/core/asio.h"
#include "gquic/core/error.h"
#include "gquic/core/socket_address.h"
#include "gquic/quic/connection.h"
#include "gquic/quic/endpoint.h"
#include "gquic/udp/udp_socket.h"

namespace gquic {
namespace observability {
class MetricsCollector;
}
}  // namespace gquic

namespace gquic::quic {

struct DriverConfig {
  SocketAddress bind;                       // local address; port 0 picks a free port
  int socket_buffer = 4 * 1024 * 1024;      // SO_RCVBUF / SO_SNDBUF
  bool enable_gso = true;
  bool enable_gro = true;
};

// Counters of one driver (its socket's plus the loop's).
struct DriverStats {
  udp::SocketCounters socket;
  std::uint64_t loop_iterations = 0;
  std::uint64_t transmits_dropped = 0;  // packets the socket refused (QUIC retransmits them)
};

namespace detail {
struct DriverState;
}

// A connection run by an EndpointDriver. Cheap to copy; every copy names the same connection.
// Calls on a connection that closed return its close error (or Errc::closed).
class QuicConnection {
 public:
  QuicConnection() = default;
  QuicConnection(std::shared_ptr<detail::DriverState> d, std::uint64_t handle)
      : d_(std::move(d)), h_(handle) {}

  // Streams. open_* waits for stream credit; accept_stream for a stream the peer opened.
  asio::awaitable<Result<std::int64_t>> open_bidi_stream() const;
  asio::awaitable<Result<std::int64_t>> open_uni_stream() const;
  asio::awaitable<Result<std::int64_t>> accept_stream() const;
  // Returns once every byte (and fin) is in the stream's send buffer; waits while it is full.
  asio::awaitable<Result<void>> write(std::int64_t stream_id, std::span<const std::uint8_t> data,
                                      bool fin = false) const;
  // Waits until at least one byte or the fin is there. {0, true} at the end of the stream.
  asio::awaitable<Result<ReadResult>> read(std::int64_t stream_id, std::span<std::uint8_t> buf) const;
  // Returns once every byte written on the stream was acknowledged by the peer.
  asio::awaitable<Result<void>> flush(std::int64_t stream_id) const;

  // Datagrams (RFC 9221). send waits while the outgoing queue is full; unsupported and too
  // large are returned at once.
  asio::awaitable<Result<void>> send_datagram(std::span<const std::uint8_t> data) const;
  asio::awaitable<Result<std::vector<std::uint8_t>>> recv_datagram() const;

  // Graceful close with an application error code; wait_closed() returns when the
  // connection is closed (by us, the peer, an error or the idle timeout) with its cause.
  void close(std::uint64_t app_error_code = 0, std::string_view reason = {}) const;
  asio::awaitable<std::error_code> wait_closed() const;

  // The sans-IO core (nullptr once the endpoint dropped it). Use it between awaits only.
  Connection* core() const;
  bool valid() const noexcept { return d_ != nullptr; }
  std::uint64_t handle() const noexcept { return h_; }
  // Duration of the handshake as the driver measured it.
  Duration handshake_time() const;

 private:
  std::shared_ptr<detail::DriverState> d_;
  std::uint64_t h_ = 0;
};

class EndpointDriver {
 public:
  // A server on config.bind, accepting connections with `tls`.
  static Result<std::unique_ptr<EndpointDriver>> server(boost::asio::io_context& io,
                                                        std::shared_ptr<TlsContext> tls,
                                                        EndpointConfig endpoint,
                                                        DriverConfig config);
  // A client socket; connect() makes its one connection.
  static Result<std::unique_ptr<EndpointDriver>> client(boost::asio::io_context& io,
                                                        DriverConfig config);
  ~EndpointDriver();  // stops the loop; open connections are abandoned silently
  EndpointDriver(const EndpointDriver&) = delete;
  EndpointDriver& operator=(const EndpointDriver&) = delete;

  // Server: the next connection whose handshake completed.
  asio::awaitable<Result<QuicConnection>> accept();
  // Client: connects to `remote` and returns after the handshake (or its failure).
  // Parameters are references (kept alive by the caller's co_await): GCC 12 mishandles
  // non-trivial by-value coroutine parameters inside co_await expressions.
  asio::awaitable<Result<QuicConnection>> connect(const std::shared_ptr<TlsContext>& tls,
                                                  const ConnectionConfig& config,
                                                  SocketAddress remote);

  SocketAddress local_address() const;
  DriverStats stats() const;
  Endpoint* endpoint() const;  // server role: the core (drop counters, connection count)
  void stop();

  // Publishes this driver's metrics under the label endpoint="<name>": socket and drop
  // counters, open connections, and per connection (label connection="<handle>") smoothed RTT,
  // RTT variance, cwnd, bytes in flight, packets sent/received, key updates. The loop updates
  // them at most every `interval` (atomic gauges, so scraping from another thread is safe).
  // At most `max_connection_series` connections get their own series (label values are never
  // removed from a family, so this bounds the registry). The collector must outlive the driver.
  void register_metrics(observability::MetricsCollector& collector, std::string name,
                        Duration interval = std::chrono::milliseconds(250),
                        std::size_t max_connection_series = 256);

 private:
  explicit EndpointDriver(std::shared_ptr<detail::DriverState> d) : d_(std::move(d)) {}
  std::shared_ptr<detail::DriverState> d_;
};

}  // namespace gquic::quic
