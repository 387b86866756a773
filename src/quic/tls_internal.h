#pragma once
// The GnuTLS state behind TlsContext, shared with the connection core.

#include <string>
#include <vector>

#include <gnutls/gnutls.h>

#include "gquic/core/error.h"
#include "gquic/quic/tls_context.h"

namespace gquic::quic {

struct TlsContext::Impl {
  Role role = Role::client;
  gnutls_certificate_credentials_t cred = nullptr;
  std::vector<std::string> alpn;
  bool verify = true;
  std::string cert_pem;
  std::string key_pem;

  ~Impl() {
    if (cred != nullptr) gnutls_certificate_free_credentials(cred);
  }
};

// Creates a GnuTLS session for one QUIC connection from the context: TLS 1.3 priorities,
// credentials, ALPN, and for clients SNI plus hostname verification. The caller owns it.
Result<gnutls_session_t> make_tls_session(TlsContext::Impl& ctx, const std::string& server_name);

}  // namespace gquic::quic
