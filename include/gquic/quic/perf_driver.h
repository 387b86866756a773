#pragma once
// The QUIC performance protocol (draft-banks-quic-performance, ALPN "perf") on the driver:
//
//   client                                   server
//   open a bidirectional stream
//   8 bytes: requested size, big-endian  ->
//   upload bytes ..., FIN                ->  discards them
//                                        <-  requested number of bytes, FIN
//
// Each stream is one request; a run opens `streams` of them at once and splits the download
// and upload totals evenly across them.

#include <cstdint>
#include <string>

#include "gquic/quic/quic_driver.h"

namespace gquic::quic {

inline constexpr const char* kPerfAlpn = "perf";

struct PerfRequest {
  std::uint64_t download = 0;  // total bytes asked of the server
  std::uint64_t upload = 0;    // total bytes sent to it
  unsigned streams = 1;        // concurrent requests the totals are split over
};

struct PerfResult {
  Duration handshake{};
  Duration transfer{};          // first request opened to last byte received
  std::uint64_t downloaded = 0;
  std::uint64_t uploaded = 0;
  ConnectionStats stats;        // the client connection's at the end
};

// Serves every connection `server` accepts until the driver stops.
asio::awaitable<void> perf_serve(EndpointDriver& server);

// One perf connection over `client` (an EndpointDriver::client): connect, run the requests,
// close. Fails with the connection's error, or Errc::malformed when the server sent a
// different number of bytes than requested.
asio::awaitable<Result<PerfResult>> perf_run(EndpointDriver& client,
                                             const std::shared_ptr<TlsContext>& tls,
                                             const ConnectionConfig& config, SocketAddress server,
                                             PerfRequest request);

}  // namespace gquic::quic
