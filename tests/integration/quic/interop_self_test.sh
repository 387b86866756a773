#!/usr/bin/env bash
# `gquic interop` (quic-interop-runner endpoint contract, run natively): the gquic client
# against the gquic server for every supported test case, files checked byte for byte and the
# property of each case checked from the client's report; unsupported cases exit 127.
set -euo pipefail
gquic="$1"
work=$(mktemp -d)
server_pid=""
stop_server() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
  fi
}
trap 'stop_server; rm -rf "$work"' EXIT

mkdir -p "$work/www" "$work/certs"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
  -subj /CN=server -keyout "$work/certs/priv.key" -out "$work/certs/cert.pem" 2>/dev/null
head -c 1000 /dev/urandom >"$work/www/small"
head -c 3000000 /dev/urandom >"$work/www/large"
for i in 1 2 3 4 5 6 7 8; do head -c $((i * 5000)) /dev/urandom >"$work/www/f$i"; done

run_case() {  # run_case TESTCASE FILES... ; leaves the client report in $work/client.out
  local tc="$1"; shift
  rm -rf "$work/downloads" "$work/server.out"
  ROLE=server TESTCASE="$tc" HOST=127.0.0.1 PORT=0 WWW="$work/www" CERTS="$work/certs" \
    "$gquic" interop >"$work/server.out" 2>"$work/server.err" &
  server_pid=$!
  for _ in $(seq 100); do grep -q "listening on" "$work/server.out" 2>/dev/null && break; sleep 0.1; done
  local addr; addr=$(sed -n 's/^listening on //p' "$work/server.out")
  [ -n "$addr" ] || { echo "$tc: server did not start"; cat "$work/server.err"; exit 1; }
  local reqs=""
  for f in "$@"; do reqs="$reqs https://$addr/$f"; done
  ROLE=client TESTCASE="$tc" REQUESTS="$reqs" DOWNLOADS="$work/downloads" \
    QLOGDIR="$work/qlog-$tc" "$gquic" interop >"$work/client.out" 2>"$work/client.err" ||
    { echo "$tc: client failed"; cat "$work/client.err"; exit 1; }
  stop_server
  for f in "$@"; do
    cmp -s "$work/www/$f" "$work/downloads/$f" || { echo "$tc: $f differs"; exit 1; }
  done
}

run_case handshake small
grep -q "^version: 0x1$" "$work/client.out" || { echo "handshake: not v1"; exit 1; }
[ -s "$work/qlog-handshake/client.sqlog" ] || { echo "no qlog"; exit 1; }
run_case transfer large small
run_case multiplexing f1 f2 f3 f4 f5 f6 f7 f8
run_case retry small
grep -q "^retries_received: 1$" "$work/client.out" || { echo "retry: no Retry seen"; exit 1; }
run_case keyupdate large
grep -Eq "^key_updates: [1-9]" "$work/client.out" || { echo "keyupdate: none"; exit 1; }
run_case v2 small
grep -q "^version: 0x6b3343cf$" "$work/client.out" || { echo "v2: not negotiated"; exit 1; }

for tc in resumption zerortt chacha20 ecn rebind-port rebind-addr connectionmigration http3 bogus; do
  set +e
  ROLE=client TESTCASE="$tc" REQUESTS="https://127.0.0.1:1/x" DOWNLOADS="$work/d" "$gquic" interop 2>/dev/null
  rc=$?
  set -e
  [ "$rc" = 127 ] || { echo "$tc: exit $rc, want 127"; exit 1; }
done
echo "interop_self: ok (handshake transfer multiplexing retry keyupdate v2; 9 cases -> 127)"
