#pragma once
// Errors of gquic's QUIC module, in a category of their own ("quic").
//
// ngtcp2 reports failures as negative library error codes (NGTCP2_ERR_*); the connection core
// maps each documented code to a QuicErrc, or to a shared gquic::Errc when one says it better
// (NGTCP2_ERR_STREAM_ID_BLOCKED -> Errc::would_block, NGTCP2_ERR_NOMEM -> Errc::exhausted).
// TLS setup failures (bad PEM, unreadable trust store) are QuicErrc::tls_setup; the GnuTLS
// message goes to the "quic" logger and, when asked for, to a caller's string.

#include <cstdint>
#include <string>
#include <system_error>
#include <type_traits>

namespace gquic::quic {

enum class QuicErrc {
  ok = 0,
  tls_setup = 1,        // credentials, keys or certificates could not be loaded or created
  handshake_failed,     // TLS handshake failed (including certificate verification)
  protocol_violation,   // the peer broke the QUIC protocol
  flow_control,         // the peer exceeded a flow-control limit
  stream_limit,         // the peer opened more streams than allowed
  stream_not_found,     // no such stream on this connection
  stream_state,         // the stream cannot do that in its state (e.g. write after fin)
  idle_timeout,         // the connection was idle longer than the negotiated timeout
  peer_closed,          // the peer closed the connection
  dropped,              // the connection was dropped without a close (e.g. stateless reset)
  version_negotiation,  // no common QUIC version
  internal,             // an ngtcp2 error with no closer mapping
};

const std::error_category& quic_category() noexcept;

inline std::error_code make_error_code(QuicErrc e) noexcept {
  return {static_cast<int>(e), quic_category()};
}

// Maps a negative ngtcp2 library error code (NGTCP2_ERR_*) to an error_code.
std::error_code from_ngtcp2(int liberr) noexcept;

}  // namespace gquic::quic

template <>
struct std::is_error_code_enum<gquic::quic::QuicErrc> : std::true_type {};
