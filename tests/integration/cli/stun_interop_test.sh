#!/usr/bin/env bash
# STUN against an independent implementation (coturn): coturn's client asks a running
# `gquic node` for its mapped address, and `gquic derp stun` asks coturn's server.
set -euo pipefail
gquic="$1"
command -v turnutils_stunclient >/dev/null && command -v turnserver >/dev/null ||
  { echo "coturn missing: run scripts/install-deps.sh"; exit 1; }
work=$(mktemp -d)
node=""; turn=""
cleanup() {
  [ -n "$node" ] && kill "$node" 2>/dev/null
  [ -n "$turn" ] && kill "$turn" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

# 1. coturn's client -> gquic node.
"$gquic" node >"$work/node.out" 2>"$work/node.err" &
node=$!
for _ in $(seq 1 100); do grep -q '^metrics: ' "$work/node.out" && break; sleep 0.1; done
udp=$(sed -n 's/^udp: \(127\.0\.0\.1:[0-9]*\) .*/\1/p' "$work/node.out" | head -1)
[ -n "$udp" ] || { echo "node did not start"; cat "$work/node.err"; exit 1; }
out=$(timeout 20 turnutils_stunclient -p "${udp##*:}" 127.0.0.1 2>&1 || true)
echo "$out" | grep -q 'UDP reflexive addr: 127\.0\.0\.1:[0-9]' ||
  { echo "coturn client got no mapped address from gquic:"; echo "$out"; exit 1; }
echo "coturn client -> gquic node: $(echo "$out" | grep -m1 'reflexive')"
metrics=$(sed -n 's/^metrics: //p' "$work/node.out")
curl -fsS "$metrics" | grep -q '^gquic_node_stun_requests_total{result="answered"} [1-9]' ||
  { echo "node did not count the STUN requests"; exit 1; }

# 2. gquic derp stun -> coturn's server (STUN only, loopback, a free port).
port=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
turnserver --stun-only --listening-ip 127.0.0.1 --listening-port "$port" --no-cli --no-tls \
  --no-dtls --log-file stdout --simple-log --pidfile "$work/turn.pid" >"$work/turn.log" 2>&1 &
turn=$!
for _ in $(seq 1 50); do
  if "$gquic" derp stun "127.0.0.1:$port" --timeout-ms 200 --attempts 1 >"$work/stun.out" 2>&1; then
    break
  fi
  sleep 0.1
done
grep -q '^mapped: 127\.0\.0\.1:[0-9]' "$work/stun.out" ||
  { echo "gquic derp stun got no answer from coturn:"; cat "$work/stun.out"; tail "$work/turn.log"; exit 1; }
echo "gquic derp stun -> coturn: $(head -1 "$work/stun.out")"

# 3. No server: a clear error, exit 1.
if "$gquic" derp stun 127.0.0.1:9 --timeout-ms 100 --attempts 1 2>"$work/none.err"; then
  echo "expected a failure without a server"; exit 1
fi
grep -q 'no answer' "$work/none.err" || { cat "$work/none.err"; exit 1; }
echo "stun_interop: ok"
