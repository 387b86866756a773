#pragma once
// The probes of the health checker (health.h) on Boost.Asio/Beast and gquic's QUIC driver:
// TCP connect, HTTP GET and a QUIC handshake, each bounded by the check's timeout. Private
// to the discovery agent.
#include <boost/asio/io_context.hpp>

#include "gquic/core/asio.h"
#include "gquic/discovery/health.h"

namespace gquic::discovery::detail {

// True when the endpoint passed: TCP accepted the connection; HTTP answered spec.path with
// spec.expected_status; QUIC completed a handshake offering spec.alpn (certificate not
// verified).
gquic::asio::awaitable<bool> run_probe(boost::asio::io_context& io, HealthProbe probe);

}  // namespace gquic::discovery::detail
