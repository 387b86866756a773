#pragma once
// A quic-interop-runner endpoint run natively: HTTP/0.9 over QUIC (ALPN "hq-interop"), one
// request per bidirectional stream ("GET /path\r\n", FIN; the answer is the file, FIN).
//
//   ROLE=server: serve files from WWW on HOST:PORT (defaults :: and 443) with
//                CERTS/cert.pem and CERTS/priv.key.
//   ROLE=client: download every URL of REQUESTS (space separated) into DOWNLOADS.
//   TESTCASE:    handshake, transfer, multiplexing, retry, keyupdate, v2 (others: 127).
//   QLOGDIR:     one qlog file per connection. SSLKEYLOGFILE is accepted but not written.
//
// The client prints what the test case is about on stdout (`retries_received`, `version`,
// `key_updates`), so a harness can check the property and not only the files.

#include <map>
#include <string>

namespace gquic::quic {

// Reads the contract from `env` (normally the process environment); returns the exit code:
// 0 success, 1 failure, 127 unsupported test case.
int run_interop(const std::map<std::string, std::string>& env);

}  // namespace gquic::quic
