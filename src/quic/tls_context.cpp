// TlsContext: GnuTLS credentials for QUIC clients and servers.

#include "gquic/quic/tls_context.h"

#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>

#include <ctime>

#include "gquic/core/log.h"
#include "gquic/quic/quic_error.h"
#include "tls_internal.h"

namespace gquic::quic {
namespace {

// TLS 1.3 only, QUIC's AEADs, and no middlebox compatibility mode (RFC 9001 section 8.4).
constexpr const char* kPriority =
    "NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+AES-128-GCM:+AES-256-GCM:+CHACHA20-POLY1305:"
    "+AES-128-CCM:-GROUP-ALL:+GROUP-X25519:+GROUP-SECP256R1:+GROUP-SECP384R1:"
    "%DISABLE_TLS13_COMPAT_MODE";

std::error_code fail(std::string* why, const std::string& what, int rv) {
  std::string msg = what + ": " + gnutls_strerror(rv);
  log::get("quic")->warn("tls: {}", msg);
  if (why != nullptr) *why = std::move(msg);
  return make_error_code(QuicErrc::tls_setup);
}

// GnuTLS's anti-replay store: a ClientHello carrying early data is accepted once. The store
// is bounded: the oldest entries go first (GnuTLS's time window still limits replays).
int remember_early_hello(void* ptr, time_t, const gnutls_datum_t* key, const gnutls_datum_t*) {
  auto* impl = static_cast<TlsContext::Impl*>(ptr);
  std::string k(reinterpret_cast<const char*>(key->data), key->size);
  if (impl->replay_seen.contains(k)) return GNUTLS_E_DB_ENTRY_EXISTS;
  if (impl->replay_order.size() >= TlsContext::Impl::kReplayEntries) {
    impl->replay_seen.erase(impl->replay_order.front());
    impl->replay_order.pop_front();
  }
  impl->replay_seen.insert(k);
  impl->replay_order.push_back(std::move(k));
  return 0;
}

Result<std::unique_ptr<TlsContext::Impl>> new_impl(TlsContext::Role role,
                                                   std::vector<std::string> alpn,
                                                   std::string* why) {
  auto impl = std::make_unique<TlsContext::Impl>();
  impl->role = role;
  impl->alpn = std::move(alpn);
  if (int rv = gnutls_certificate_allocate_credentials(&impl->cred); rv != 0) {
    impl->cred = nullptr;
    return fail(why, "allocate credentials", rv);
  }
  if (role == TlsContext::Role::server) {
    if (int rv = gnutls_session_ticket_key_generate(&impl->ticket_key); rv != 0) {
      impl->ticket_key = {};
      return fail(why, "generate session ticket key", rv);
    }
    if (int rv = gnutls_anti_replay_init(&impl->anti_replay); rv != 0) {
      impl->anti_replay = nullptr;
      return fail(why, "init anti-replay", rv);
    }
    gnutls_anti_replay_set_add_function(impl->anti_replay, remember_early_hello);
    gnutls_anti_replay_set_ptr(impl->anti_replay, impl.get());
  }
  return impl;
}

struct KeyGuard {
  gnutls_x509_privkey_t key = nullptr;
  gnutls_x509_crt_t crt = nullptr;
  ~KeyGuard() {
    if (crt != nullptr) gnutls_x509_crt_deinit(crt);
    if (key != nullptr) gnutls_x509_privkey_deinit(key);
  }
};

Result<std::string> export_pem(gnutls_x509_crt_t crt) {
  gnutls_datum_t out{};
  if (gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &out) != 0) return make_error_code(QuicErrc::tls_setup);
  std::string s(reinterpret_cast<const char*>(out.data), out.size);
  gnutls_free(out.data);
  return s;
}

Result<std::string> export_pem(gnutls_x509_privkey_t key) {
  gnutls_datum_t out{};
  if (gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, &out) != 0) {
    return make_error_code(QuicErrc::tls_setup);
  }
  std::string s(reinterpret_cast<const char*>(out.data), out.size);
  gnutls_free(out.data);
  return s;
}

}  // namespace

TlsContext::TlsContext(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TlsContext::~TlsContext() = default;

TlsContext::Role TlsContext::role() const noexcept { return impl_->role; }
const std::vector<std::string>& TlsContext::alpn() const noexcept { return impl_->alpn; }
bool TlsContext::verifies_peer() const noexcept { return impl_->verify; }
const std::string& TlsContext::certificate_pem() const noexcept { return impl_->cert_pem; }
const std::string& TlsContext::private_key_pem() const noexcept { return impl_->key_pem; }

Result<void> TlsContext::rotate_session_ticket_key() {
  if (impl_->role != Role::server) return Errc::invalid_argument;
  gnutls_datum_t fresh{};
  if (int rv = gnutls_session_ticket_key_generate(&fresh); rv != 0) {
    return fail(nullptr, "generate session ticket key", rv);
  }
  // Sessions copy the key when created, so live connections are unaffected.
  gnutls_memset(impl_->ticket_key.data, 0, impl_->ticket_key.size);
  gnutls_free(impl_->ticket_key.data);
  impl_->ticket_key = fresh;
  return {};
}

void TlsContext::set_early_data(bool accept) noexcept { impl_->early_data = accept; }
bool TlsContext::early_data() const noexcept { return impl_->early_data; }

Result<std::shared_ptr<TlsContext>> TlsContext::server(const ServerTlsConfig& config,
                                                       std::string* why) {
  auto impl = new_impl(Role::server, config.alpn, why);
  if (!impl) return impl.error();
  int rv = gnutls_certificate_set_x509_key_file((*impl)->cred, config.cert_file.c_str(),
                                                config.key_file.c_str(), GNUTLS_X509_FMT_PEM);
  if (rv != 0) return fail(why, "load " + config.cert_file + " / " + config.key_file, rv);
  (*impl)->verify = false;
  return std::shared_ptr<TlsContext>(new TlsContext(std::move(*impl)));
}

Result<std::shared_ptr<TlsContext>> TlsContext::server_self_signed(const SelfSignedConfig& config,
                                                                   std::string* why) {
  if (config.dns_names.empty() && config.ips.empty()) return Errc::invalid_argument;
  auto impl = new_impl(Role::server, config.alpn, why);
  if (!impl) return impl.error();
  KeyGuard g;
  int rv = gnutls_x509_privkey_init(&g.key);
  if (rv == 0) {
    rv = gnutls_x509_privkey_generate(g.key, GNUTLS_PK_ECDSA,
                                      GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0);
  }
  if (rv != 0) return fail(why, "generate key", rv);
  if ((rv = gnutls_x509_crt_init(&g.crt)) != 0) return fail(why, "init certificate", rv);

  std::uint8_t serial[16];
  gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof serial);
  serial[0] &= 0x7f;  // a positive serial number
  const std::time_t now = std::time(nullptr);
  const std::string cn = config.dns_names.empty() ? config.ips.front().to_string()
                                                  : config.dns_names.front();
  rv = gnutls_x509_crt_set_version(g.crt, 3);
  if (rv == 0) rv = gnutls_x509_crt_set_serial(g.crt, serial, sizeof serial);
  if (rv == 0) rv = gnutls_x509_crt_set_activation_time(g.crt, now - 3600);
  if (rv == 0) {
    rv = gnutls_x509_crt_set_expiration_time(g.crt,
                                             now + std::time_t{config.valid_days} * 86400);
  }
  if (rv == 0) {
    rv = gnutls_x509_crt_set_dn_by_oid(g.crt, GNUTLS_OID_X520_COMMON_NAME, 0, cn.data(),
                                       static_cast<unsigned>(cn.size()));
  }
  for (const auto& name : config.dns_names) {
    if (rv == 0) {
      rv = gnutls_x509_crt_set_subject_alt_name(g.crt, GNUTLS_SAN_DNSNAME, name.data(),
                                                static_cast<unsigned>(name.size()),
                                                GNUTLS_FSAN_APPEND);
    }
  }
  for (const auto& ip : config.ips) {
    if (rv == 0) {
      const unsigned len = ip.is_v4() ? 4 : 16;
      const std::uint8_t* data = ip.bytes().data();
      rv = gnutls_x509_crt_set_subject_alt_name(g.crt, GNUTLS_SAN_IPADDRESS, data, len,
                                                GNUTLS_FSAN_APPEND);
    }
  }
  if (rv == 0) rv = gnutls_x509_crt_set_key(g.crt, g.key);
  if (rv == 0) rv = gnutls_x509_crt_set_basic_constraints(g.crt, 0, -1);
  if (rv == 0) rv = gnutls_x509_crt_set_key_usage(g.crt, GNUTLS_KEY_DIGITAL_SIGNATURE);
  if (rv == 0) rv = gnutls_x509_crt_set_key_purpose_oid(g.crt, GNUTLS_KP_TLS_WWW_SERVER, 0);
  if (rv == 0) rv = gnutls_x509_crt_sign2(g.crt, g.crt, g.key, GNUTLS_DIG_SHA256, 0);
  if (rv != 0) return fail(why, "build self-signed certificate", rv);
  if ((rv = gnutls_certificate_set_x509_key((*impl)->cred, &g.crt, 1, g.key)) != 0) {
    return fail(why, "install self-signed certificate", rv);
  }
  auto cert_pem = export_pem(g.crt);
  auto key_pem = export_pem(g.key);
  if (!cert_pem || !key_pem) return make_error_code(QuicErrc::tls_setup);
  (*impl)->cert_pem = std::move(*cert_pem);
  (*impl)->key_pem = std::move(*key_pem);
  (*impl)->verify = false;
  return std::shared_ptr<TlsContext>(new TlsContext(std::move(*impl)));
}

Result<std::shared_ptr<TlsContext>> TlsContext::client(const ClientTlsConfig& config,
                                                       std::string* why) {
  auto impl = new_impl(Role::client, config.alpn, why);
  if (!impl) return impl.error();
  (*impl)->verify = !config.insecure_skip_verify;
  if ((*impl)->verify) {
    int rv = 0;
    if (!config.ca_pem.empty()) {
      gnutls_datum_t d{reinterpret_cast<unsigned char*>(const_cast<char*>(config.ca_pem.data())),
                       static_cast<unsigned>(config.ca_pem.size())};
      rv = gnutls_certificate_set_x509_trust_mem((*impl)->cred, &d, GNUTLS_X509_FMT_PEM);
    } else if (!config.ca_file.empty()) {
      rv = gnutls_certificate_set_x509_trust_file((*impl)->cred, config.ca_file.c_str(),
                                                  GNUTLS_X509_FMT_PEM);
    } else {
      rv = gnutls_certificate_set_x509_system_trust((*impl)->cred);
    }
    // These return the number of certificates loaded; none is as bad as an error.
    if (rv < 0) return fail(why, "load trust anchors", rv);
    if (rv == 0) return fail(why, "load trust anchors", GNUTLS_E_NO_CERTIFICATE_FOUND);
  }
  return std::shared_ptr<TlsContext>(new TlsContext(std::move(*impl)));
}

Result<gnutls_session_t> make_tls_session(TlsContext::Impl& ctx, const std::string& server_name) {
  const bool server = ctx.role == TlsContext::Role::server;
  gnutls_session_t s = nullptr;
  // A server refusing 0-RTT neither offers it in tickets nor accepts it.
  const bool early = !server || ctx.early_data;
  unsigned flags = (server ? GNUTLS_SERVER : GNUTLS_CLIENT) | GNUTLS_NO_END_OF_EARLY_DATA;
  if (early) flags |= GNUTLS_ENABLE_EARLY_DATA;
  if (gnutls_init(&s, flags) != 0) return make_error_code(QuicErrc::tls_setup);
  auto bail = [&](int rv) -> Result<gnutls_session_t> {
    log::get("quic")->warn("tls session: {}", gnutls_strerror(rv));
    gnutls_deinit(s);
    return make_error_code(QuicErrc::tls_setup);
  };
  if (int rv = gnutls_priority_set_direct(s, kPriority, nullptr); rv != 0) return bail(rv);
  if (int rv = gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, ctx.cred); rv != 0) {
    return bail(rv);
  }
  if (!ctx.alpn.empty()) {
    std::vector<gnutls_datum_t> protos;
    for (const auto& p : ctx.alpn) {
      protos.push_back({reinterpret_cast<unsigned char*>(const_cast<char*>(p.data())),
                        static_cast<unsigned>(p.size())});
    }
    // QUIC requires an agreed application protocol (RFC 9001 8.1): without one the handshake
    // fails (no_application_protocol) instead of going on with none.
    const unsigned alpn_flags =
        GNUTLS_ALPN_MANDATORY | (server ? GNUTLS_ALPN_SERVER_PRECEDENCE : 0u);
    int rv = gnutls_alpn_set_protocols(s, protos.data(), static_cast<unsigned>(protos.size()),
                                       alpn_flags);
    if (rv != 0) return bail(rv);
  }
  if (server) {
    if (int rv = gnutls_session_ticket_enable_server(s, &ctx.ticket_key); rv != 0) {
      return bail(rv);
    }
    if (early) {
      gnutls_anti_replay_enable(s, ctx.anti_replay);
      // QUIC carries early data outside TLS records: no TLS-level limit (RFC 9001 4.6.1).
      gnutls_record_set_max_early_data_size(s, 0xffffffffu);
    }
  }
  if (!server && !server_name.empty()) {
    // SNI carries DNS names only; IP literals are still verified against IP alt names.
    if (!IpAddress::parse(server_name)) {
      int rv = gnutls_server_name_set(s, GNUTLS_NAME_DNS, server_name.data(), server_name.size());
      if (rv != 0) return bail(rv);
    }
  }
  if (!server && ctx.verify) {
    gnutls_session_set_verify_cert(s, server_name.empty() ? nullptr : server_name.c_str(), 0);
  }
  return s;
}

}  // namespace gquic::quic
