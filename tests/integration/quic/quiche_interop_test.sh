#!/usr/bin/env bash
# Interop with an independent QUIC implementation: Cloudflare's quiche through the npm package
# @matrixai/quic 2.0.9 (prebuilt linux-x64 binary), installed into a build-local folder.
#   (a) quiche client -> gquic echo server
#   (b) gquic client  -> quiche echo server
# Each direction: stream echoes of 1 KB, 1 MB and 3 x 64 KB all at once, verified byte for
# byte, then DATAGRAM echoes. Usage: quiche_interop_test.sh <quiche_interop_gquic> <peer.mjs>
# <peer-dir>. Exit 77 (ctest SKIP) only when node is absent.
set -euo pipefail
gquic="$1"
peer_src="$2"
peer_dir="$3"
version=2.0.9

if ! command -v node >/dev/null 2>&1; then
  echo "*** SKIPPED: node is not installed; the quiche interop test needs Node.js >= 18 ***"
  exit 77
fi
command -v npm >/dev/null || { echo "FAIL: node is installed but npm is not"; exit 1; }

# Install (or reuse) the package. A registry failure is a failure with a clear message.
mkdir -p "$peer_dir"
peer_dir=$(cd "$peer_dir" && pwd)
installed=$(node -p "require('$peer_dir/node_modules/@matrixai/quic/package.json').version" \
  2>/dev/null || true)
if [ "$installed" != "$version" ]; then
  echo "installing @matrixai/quic@$version into $peer_dir"
  [ -f "$peer_dir/package.json" ] || echo '{"private": true}' >"$peer_dir/package.json"
  if ! (cd "$peer_dir" && timeout 120 npm install --no-audit --no-fund --loglevel=error \
          "@matrixai/quic@$version" >"$peer_dir/npm-install.log" 2>&1); then
    echo "FAIL: 'npm install @matrixai/quic@$version' failed (is the npm registry reachable?):"
    tail -n 20 "$peer_dir/npm-install.log"
    exit 1
  fi
fi
cp "$peer_src" "$peer_dir/peer.mjs"  # ESM resolves packages next to the script

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

wait_port() {  # wait_port FILE PID: prints the port a server wrote to FILE
  for _ in $(seq 200); do
    if [ -s "$1" ]; then cat "$1"; return 0; fi
    kill -0 "$2" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

fail() {
  echo "FAIL: $1"
  for f in "$work"/*.log; do echo "--- $(basename "$f")"; cat "$f"; done
  exit 1
}

# (a) quiche client -> gquic server.
"$gquic" server "$work/gquic.port" "$work/gquic-cert.pem" >"$work/a-gquic-server.log" 2>&1 &
server_pid=$!
pids+=("$server_pid")
port=$(wait_port "$work/gquic.port" "$server_pid") || fail "(a) gquic server did not start"
timeout -k 5 50 node "$peer_dir/peer.mjs" client "$port" "$work/gquic-cert.pem" \
  >"$work/a-quiche-client.log" 2>&1 || fail "(a) quiche client -> gquic server"
timeout 20 tail --pid="$server_pid" -f /dev/null || kill "$server_pid" 2>/dev/null || true
wait "$server_pid" || fail "(a) gquic server reported an error"
echo "(a) quiche client -> gquic server: OK"
grep -hv "^INFO:" "$work/a-quiche-client.log" "$work/a-gquic-server.log" | sed 's/^/    /'

# (b) gquic client -> quiche server (its certificate made here, verified by gquic).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
  -subj /CN=localhost -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
  -keyout "$work/quiche-key.pem" -out "$work/quiche-cert.pem" 2>/dev/null
timeout -k 5 50 node "$peer_dir/peer.mjs" server "$work/quiche.port" "$work/quiche-cert.pem" \
  "$work/quiche-key.pem" >"$work/b-quiche-server.log" 2>&1 &
server_pid=$!
pids+=("$server_pid")
port=$(wait_port "$work/quiche.port" "$server_pid") || fail "(b) quiche server did not start"
"$gquic" client "$port" "$work/quiche-cert.pem" >"$work/b-gquic-client.log" 2>&1 ||
  fail "(b) gquic client -> quiche server"
timeout 20 tail --pid="$server_pid" -f /dev/null || kill "$server_pid" 2>/dev/null || true
wait "$server_pid" || fail "(b) quiche server reported an error"
echo "(b) gquic client -> quiche server: OK"
grep -hv "^INFO:" "$work/b-gquic-client.log" "$work/b-quiche-server.log" | sed 's/^/    /'
