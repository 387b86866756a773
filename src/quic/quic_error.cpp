// The "quic" error category and the mapping of ngtcp2's library error codes.

#include "gquic/quic/quic_error.h"

#include <ngtcp2/ngtcp2.h>

#include "gquic/core/error.h"

namespace gquic::quic {
namespace {

class QuicCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "quic"; }
  std::string message(int code) const override {
    switch (static_cast<QuicErrc>(code)) {
      case QuicErrc::ok: return "success";
      case QuicErrc::tls_setup: return "TLS setup failed";
      case QuicErrc::handshake_failed: return "TLS handshake failed";
      case QuicErrc::protocol_violation: return "QUIC protocol violation";
      case QuicErrc::flow_control: return "flow control limit exceeded";
      case QuicErrc::stream_limit: return "stream limit exceeded";
      case QuicErrc::stream_not_found: return "no such stream";
      case QuicErrc::stream_state: return "operation not allowed in the stream's state";
      case QuicErrc::idle_timeout: return "idle timeout";
      case QuicErrc::peer_closed: return "closed by peer";
      case QuicErrc::dropped: return "connection dropped";
      case QuicErrc::version_negotiation: return "no common QUIC version";
      case QuicErrc::internal: return "internal QUIC error";
    }
    return "unknown quic error " + std::to_string(code);
  }
};

}  // namespace

const std::error_category& quic_category() noexcept {
  static const QuicCategory category;
  return category;
}

std::error_code from_ngtcp2(int liberr) noexcept {
  switch (liberr) {
    case 0: return {};
    case NGTCP2_ERR_INVALID_ARGUMENT: return Errc::invalid_argument;
    case NGTCP2_ERR_NOBUF: return Errc::message_too_large;
    case NGTCP2_ERR_NOMEM: return Errc::exhausted;
    case NGTCP2_ERR_STREAM_ID_BLOCKED:
    case NGTCP2_ERR_STREAM_DATA_BLOCKED:
    case NGTCP2_ERR_CONN_ID_BLOCKED: return Errc::would_block;
    case NGTCP2_ERR_STREAM_NOT_FOUND: return QuicErrc::stream_not_found;
    case NGTCP2_ERR_STREAM_SHUT_WR:
    case NGTCP2_ERR_STREAM_STATE:
    case NGTCP2_ERR_STREAM_IN_USE: return QuicErrc::stream_state;
    case NGTCP2_ERR_FLOW_CONTROL:
    case NGTCP2_ERR_FINAL_SIZE: return QuicErrc::flow_control;
    case NGTCP2_ERR_STREAM_LIMIT:
    case NGTCP2_ERR_CONNECTION_ID_LIMIT: return QuicErrc::stream_limit;
    case NGTCP2_ERR_CRYPTO:
    case NGTCP2_ERR_HANDSHAKE_TIMEOUT: return QuicErrc::handshake_failed;
    case NGTCP2_ERR_PROTO:
    case NGTCP2_ERR_ACK_FRAME:
    case NGTCP2_ERR_FRAME_ENCODING:
    case NGTCP2_ERR_REQUIRED_TRANSPORT_PARAM:
    case NGTCP2_ERR_MALFORMED_TRANSPORT_PARAM:
    case NGTCP2_ERR_TRANSPORT_PARAM:
    case NGTCP2_ERR_CRYPTO_BUFFER_EXCEEDED:
    case NGTCP2_ERR_DECRYPT: return QuicErrc::protocol_violation;
    case NGTCP2_ERR_CLOSING:
    case NGTCP2_ERR_INVALID_STATE: return Errc::closed;
    case NGTCP2_ERR_DRAINING: return QuicErrc::peer_closed;
    case NGTCP2_ERR_IDLE_CLOSE: return QuicErrc::idle_timeout;
    case NGTCP2_ERR_DROP_CONN:
    case NGTCP2_ERR_RETRY:
    case NGTCP2_ERR_NO_VIABLE_PATH: return QuicErrc::dropped;
    case NGTCP2_ERR_RECV_VERSION_NEGOTIATION:
    case NGTCP2_ERR_VERSION_NEGOTIATION:
    case NGTCP2_ERR_VERSION_NEGOTIATION_FAILURE: return QuicErrc::version_negotiation;
    case NGTCP2_ERR_DISCARD_PKT: return Errc::malformed;
    default: return QuicErrc::internal;
  }
}

}  // namespace gquic::quic
