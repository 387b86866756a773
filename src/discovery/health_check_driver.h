#pragma once
// The probes of the health checker (health.h) on Boost.Asio/Beast: TCP connect and HTTP GET,
// each bounded by the check's timeout. Private to the discovery agent.
#include <boost/asio/io_context.hpp>

#include "gquic/core/asio.h"
#include "gquic/discovery/health.h"

namespace gquic::discovery::detail {

// True when the endpoint passed: TCP accepted the connection; HTTP answered spec.path with
// spec.expected_status. QUIC checks are not implemented here and fail.
gquic::asio::awaitable<bool> run_probe(boost::asio::io_context& io, HealthProbe probe);

}  // namespace gquic::discovery::detail
