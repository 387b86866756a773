#pragma once
// TLS configuration of QUIC endpoints, backed by GnuTLS (TLS 1.3 only, as QUIC requires).
//
// A TlsContext holds credentials shared by many connections of one role:
//   * server: a certificate chain and key from PEM files, or a self-signed certificate made on
//     request for development (ECDSA P-256 key, DNS and IP subject alt names);
//   * client: certificate verification ON by default, against the system trust store or a
//     given CA (file or PEM text); `insecure_skip_verify` turns it off explicitly.
// Both carry the ALPN list offered/accepted. Each Connection creates its own GnuTLS session
// from the context (see connection.h). Failures are Result values; the GnuTLS message is
// logged and copied to `*why` when the caller passes a string.
//
// Resumption (server): a server context issues TLS 1.3 session tickets encrypted under a
// ticket key it generates at creation; rotate_session_ticket_key() replaces it, after which
// older tickets no longer resume (the client falls back to a full handshake). 0-RTT early
// data is accepted by default (with GnuTLS's anti-replay check); set_early_data(false) makes
// new connections issue tickets without 0-RTT and refuse early data.

#include <memory>
#include <string>
#include <vector>

#include "gquic/core/error.h"
#include "gquic/core/socket_address.h"

namespace gquic::quic {

struct ServerTlsConfig {
  std::string cert_file;           // PEM chain, leaf first
  std::string key_file;            // PEM private key
  std::vector<std::string> alpn;   // accepted protocols, server preference order
};

struct SelfSignedConfig {
  std::vector<std::string> dns_names = {"localhost"};
  std::vector<IpAddress> ips;
  std::vector<std::string> alpn;
  int valid_days = 30;
};

struct ClientTlsConfig {
  std::string ca_file;             // PEM CA bundle; empty = system trust (unless ca_pem set)
  std::string ca_pem;              // PEM CA text, used instead of the system trust when set
  bool insecure_skip_verify = false;  // accept any certificate: development only
  std::vector<std::string> alpn;   // offered protocols
};

class TlsContext {
 public:
  enum class Role { client, server };
  struct Impl;

  static Result<std::shared_ptr<TlsContext>> server(const ServerTlsConfig& config,
                                                    std::string* why = nullptr);
  static Result<std::shared_ptr<TlsContext>> server_self_signed(const SelfSignedConfig& config,
                                                                std::string* why = nullptr);
  static Result<std::shared_ptr<TlsContext>> client(const ClientTlsConfig& config,
                                                    std::string* why = nullptr);

  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  Role role() const noexcept;
  const std::vector<std::string>& alpn() const noexcept;
  bool verifies_peer() const noexcept;
  // PEM of the certificate (and key) of a self-signed server context; empty otherwise.
  const std::string& certificate_pem() const noexcept;
  const std::string& private_key_pem() const noexcept;

  // Server: a fresh session ticket key; tickets issued before no longer resume.
  Result<void> rotate_session_ticket_key();
  // Server: accept 0-RTT early data on connections created from now on (default true).
  void set_early_data(bool accept) noexcept;
  bool early_data() const noexcept;

  Impl& impl() noexcept { return *impl_; }

 private:
  explicit TlsContext(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace gquic::quic
