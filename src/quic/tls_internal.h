#pragma once
// The GnuTLS state behind TlsContext, shared with the connection core.

#include <cstddef>
#include <deque>
#include <set>
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

  // Server: resumption and 0-RTT.
  gnutls_datum_t ticket_key{};             // session ticket encryption key
  bool early_data = true;                  // accept 0-RTT
  gnutls_anti_replay_t anti_replay = nullptr;
  // Early-data ClientHellos already seen (GnuTLS's anti-replay store), oldest first; bounded.
  static constexpr std::size_t kReplayEntries = 65536;
  std::set<std::string> replay_seen;
  std::deque<std::string> replay_order;

  ~Impl() {
    if (anti_replay != nullptr) gnutls_anti_replay_deinit(anti_replay);
    if (ticket_key.data != nullptr) {
      gnutls_memset(ticket_key.data, 0, ticket_key.size);
      gnutls_free(ticket_key.data);
    }
    if (cred != nullptr) gnutls_certificate_free_credentials(cred);
  }
};

// Creates a GnuTLS session for one QUIC connection from the context: TLS 1.3 priorities,
// credentials, ALPN, and for clients SNI plus hostname verification. The caller owns it.
Result<gnutls_session_t> make_tls_session(TlsContext::Impl& ctx, const std::string& server_name);

}  // namespace gquic::quic
