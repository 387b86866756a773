#include "gquic/quic/quic_error.h"

#include <gtest/gtest.h>
#include <ngtcp2/ngtcp2.h>

#include "gquic/core/error.h"

namespace gquic::quic {
namespace {

TEST(QuicError, CategoryNamesAndMessages) {
  std::error_code ec = QuicErrc::idle_timeout;
  EXPECT_STREQ(ec.category().name(), "quic");
  EXPECT_EQ(ec.message(), "idle timeout");
  EXPECT_NE(std::error_code(QuicErrc::handshake_failed).message(), ec.message());
}

TEST(QuicError, MapsNgtcp2Codes) {
  EXPECT_FALSE(from_ngtcp2(0));
  EXPECT_EQ(from_ngtcp2(NGTCP2_ERR_STREAM_ID_BLOCKED), make_error_code(Errc::would_block));
  EXPECT_EQ(from_ngtcp2(NGTCP2_ERR_NOMEM), make_error_code(Errc::exhausted));
  EXPECT_EQ(from_ngtcp2(NGTCP2_ERR_CRYPTO), make_error_code(QuicErrc::handshake_failed));
  EXPECT_EQ(from_ngtcp2(NGTCP2_ERR_IDLE_CLOSE), make_error_code(QuicErrc::idle_timeout));
  EXPECT_EQ(from_ngtcp2(NGTCP2_ERR_DRAINING), make_error_code(QuicErrc::peer_closed));
  EXPECT_EQ(from_ngtcp2(NGTCP2_ERR_FLOW_CONTROL), make_error_code(QuicErrc::flow_control));
  EXPECT_EQ(from_ngtcp2(NGTCP2_ERR_STREAM_NOT_FOUND), make_error_code(QuicErrc::stream_not_found));
  EXPECT_EQ(from_ngtcp2(NGTCP2_ERR_PROTO), make_error_code(QuicErrc::protocol_violation));
  EXPECT_EQ(from_ngtcp2(-999999), make_error_code(QuicErrc::internal));
}

}  // namespace
}  // namespace gquic::quic
