#!/usr/bin/env bash
# `gquic derp` end to end: a relay in the foreground (dev and TLS), probe with STUN, send/recv
# between two key files, a restart that keeps the server key, SIGTERM, and bad usage (exit 2).
set -euo pipefail
gquic="$1"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/gquic-derp-cli-$$-XXXXXX")
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; for f in "$tmp"/*.out "$tmp"/*.err; do [ -f "$f" ] && { echo "== $f"; cat "$f"; } >&2; done; exit 1; }

expect_usage() {  # expect exit code 2 and a message on stderr
  local rc=0
  "$gquic" "$@" >"$tmp/usage.out" 2>"$tmp/usage.err" || rc=$?
  [ "$rc" = 2 ] || fail "gquic $* exited $rc, want 2"
  [ -s "$tmp/usage.err" ] || fail "gquic $* printed no message"
}
expect_usage derp
expect_usage derp --listen nope --dev
expect_usage derp --listen 0.0.0.0:0 --dev
expect_usage derp --listen 127.0.0.1:0
expect_usage derp --listen 127.0.0.1:0 --dev --mesh-peer http://127.0.0.1:1
expect_usage derp --listen 127.0.0.1:0 --dev --mesh-key 1234
expect_usage derp probe ftp://relay
expect_usage derp send http://127.0.0.1:1 --to nothex --data x --key-file "$tmp/k"
expect_usage derp recv http://127.0.0.1:1

wait_for() {  # wait_for FILE PATTERN
  for _ in $(seq 1 300); do
    grep -q "$2" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  fail "timed out waiting for '$2' in $1"
}

start_relay() {  # start_relay NAME ARGS...: sets url, key, stun, relay_pid
  local name="$1"; shift
  "$gquic" derp "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
  relay_pid=$!
  pids+=("$relay_pid")
  wait_for "$tmp/$name.out" '^server_key: '
  url=$(sed -n 's/^derp: //p' "$tmp/$name.out")
  key=$(sed -n 's/^server_key: //p' "$tmp/$name.out")
  stun=$(sed -n 's/^stun: //p' "$tmp/$name.out")
}

start_relay relay1 --listen 127.0.0.1:0 --dev --stun 127.0.0.1:0 --state-dir "$tmp/state"
grep -q 'no TLS' "$tmp/relay1.err" || fail "--dev printed no warning"
"$gquic" derp probe "$url" --stun "$stun" >"$tmp/probe.out" 2>"$tmp/probe.err" || fail "probe failed"
grep -q "^server_key: $key\$" "$tmp/probe.out" || fail "probe saw another key"
grep -q '^rtt_ms: ' "$tmp/probe.out" || fail "probe printed no RTT"
grep -q '^mapped: 127.0.0.1:' "$tmp/probe.out" || fail "probe printed no STUN mapping"

"$gquic" derp recv "$url" --key-file "$tmp/b.key" --count 2 >"$tmp/recv.out" 2>"$tmp/recv.err" &
recv_pid=$!
pids+=("$recv_pid")
wait_for "$tmp/recv.out" '^key: '
bkey=$(sed -n 's/^key: //p' "$tmp/recv.out")
"$gquic" derp send "$url" --to "$bkey" --data "hello relay" --key-file "$tmp/a.key" >"$tmp/send.out" 2>&1 \
  || fail "send failed"
"$gquic" derp send "$url" --to "nodekey:$bkey" --data "second" --key-file "$tmp/a.key" >>"$tmp/send.out" 2>&1 \
  || fail "send (nodekey: form) failed"
wait "$recv_pid" || fail "recv exited with an error"
grep -q ': hello relay$' "$tmp/recv.out" || fail "recv did not print the packet"
grep -q ': second$' "$tmp/recv.out" || fail "recv did not print the second packet"
[ "$(stat -c %a "$tmp/a.key")" = 600 ] || fail "key file is not mode 0600"

kill -TERM "$relay_pid"
wait "$relay_pid" || fail "relay exited with an error after SIGTERM"
grep -q '^stopped' "$tmp/relay1.out" || fail "relay did not report stopping"

start_relay relay2 --listen 127.0.0.1:0 --dev --state-dir "$tmp/state"
[ "$(sed -n 's/^server_key: //p' "$tmp/relay2.out")" = "$key" ] || fail "restart changed the key"
kill -TERM "$relay_pid"; wait "$relay_pid" || true

if command -v openssl >/dev/null; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
    -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
    -keyout "$tmp/tls.key" -out "$tmp/tls.crt" >/dev/null 2>&1
  start_relay relay3 --listen 127.0.0.1:0 --tls-cert "$tmp/tls.crt" --tls-key "$tmp/tls.key"
  case "$url" in https://*) ;; *) fail "TLS relay URL is $url";; esac
  "$gquic" derp probe "$url" --ca-file "$tmp/tls.crt" >"$tmp/tlsprobe.out" 2>&1 || fail "TLS probe failed"
  grep -q "^server_key: $key\$" "$tmp/tlsprobe.out" || fail "TLS probe saw another key"
  if "$gquic" derp probe "$url" --timeout-ms 300 >"$tmp/untrusted.out" 2>&1; then
    fail "probe trusted a self-signed certificate without --ca-file"
  fi
  "$gquic" derp probe "$url" --insecure >/dev/null 2>&1 || fail "--insecure probe failed"
else
  echo "SKIPPED LOUDLY: openssl is not installed; the TLS part of this test did not run" >&2
fi
echo "derp cli: ok"
