#pragma once
// The DNS interface on the network: one UDP socket and one TCP listener on the same address,
// answering through a DnsResponder (dns_responder.h) on the io_context's thread.
//
//   * UDP: one coroutine receives a datagram, answers it (truncated with TC when too large)
//     and sends the answer; datagrams the responder drops are counted there;
//   * TCP (RFC 7766): one coroutine per connection reads 2-byte length-prefixed queries and
//     writes length-prefixed answers; at most `max_tcp_connections`, each with an idle/io
//     deadline of `tcp_timeout`;
//   * start() with port 0 picks a port free for both UDP and TCP.
// The responder and its registry must outlive the server; everything runs on `io`.

#include <chrono>
#include <cstddef>
#include <memory>

#include "gquic/core/clock.h"
#include "gquic/core/error.h"
#include "gquic/core/socket_address.h"
#include "gquic/discovery/dns_responder.h"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace gquic::discovery {

struct DnsServerOptions {
  std::size_t max_tcp_connections = 64;
  std::chrono::milliseconds tcp_timeout{10'000};
};

class DnsServer {
 public:
  DnsServer(boost::asio::io_context& io, DnsResponder& responder, SocketAddress listen,
            const Clock& clock = SteadyClock::instance(), DnsServerOptions options = {});
  ~DnsServer();
  DnsServer(const DnsServer&) = delete;
  DnsServer& operator=(const DnsServer&) = delete;

  Result<void> start();
  SocketAddress local_address() const;
  void stop();

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace gquic::discovery
