#include "gquic/quic/tls_context.h"

#include <gtest/gtest.h>

#include "gquic/quic/quic_error.h"

namespace gquic::quic {
namespace {

TEST(TlsContext, SelfSignedServerHasPemCertificateAndKey) {
  SelfSignedConfig cfg;
  cfg.dns_names = {"localhost", "example.test"};
  cfg.ips = {IpAddress::v4_loopback()};
  cfg.alpn = {"gquic"};
  auto ctx = TlsContext::server_self_signed(cfg);
  ASSERT_TRUE(ctx) << ctx.error().message();
  EXPECT_EQ((*ctx)->role(), TlsContext::Role::server);
  EXPECT_NE((*ctx)->certificate_pem().find("BEGIN CERTIFICATE"), std::string::npos);
  EXPECT_NE((*ctx)->private_key_pem().find("PRIVATE KEY"), std::string::npos);
  EXPECT_EQ((*ctx)->alpn(), std::vector<std::string>{"gquic"});
}

TEST(TlsContext, SelfSignedNeedsAName) {
  SelfSignedConfig cfg;
  cfg.dns_names.clear();
  EXPECT_EQ(TlsContext::server_self_signed(cfg).error(), make_error_code(Errc::invalid_argument));
}

TEST(TlsContext, MissingServerFilesAreAnErrorWithMessage) {
  std::string why;
  auto ctx = TlsContext::server({"/nonexistent/cert.pem", "/nonexistent/key.pem", {}}, &why);
  ASSERT_FALSE(ctx);
  EXPECT_EQ(ctx.error(), make_error_code(QuicErrc::tls_setup));
  EXPECT_NE(why.find("/nonexistent/cert.pem"), std::string::npos);
}

TEST(TlsContext, ClientVerifiesByDefault) {
  ClientTlsConfig cfg;
  cfg.ca_pem = "not a certificate";
  std::string why;
  auto bad = TlsContext::client(cfg, &why);
  ASSERT_FALSE(bad);
  EXPECT_FALSE(why.empty());

  ClientTlsConfig insecure;
  insecure.insecure_skip_verify = true;
  auto ok = TlsContext::client(insecure);
  ASSERT_TRUE(ok);
  EXPECT_FALSE((*ok)->verifies_peer());
}

TEST(TlsContext, ClientTrustsGivenCaPem) {
  auto server = TlsContext::server_self_signed({});
  ASSERT_TRUE(server);
  ClientTlsConfig cfg;
  cfg.ca_pem = (*server)->certificate_pem();
  auto ctx = TlsContext::client(cfg);
  ASSERT_TRUE(ctx) << ctx.error().message();
  EXPECT_TRUE((*ctx)->verifies_peer());
}

}  // namespace
}  // namespace gquic::quic
