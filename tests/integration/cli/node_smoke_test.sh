#!/usr/bin/env bash
# Starts `gquic node` on its built-in default, reads the addresses it prints, sends it UDP
# datagrams, scrapes /metrics, validates the text with promtool, and stops it with SIGTERM.
set -euo pipefail
gquic="$1"
work=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

"$gquic" node >"$work/out" 2>"$work/err" &
pid=$!
for _ in $(seq 1 200); do
  grep -q '^metrics: ' "$work/out" && break
  kill -0 "$pid" 2>/dev/null || { echo "node exited early"; cat "$work/err"; exit 1; }
  sleep 0.1
done
url=$(sed -n 's/^metrics: \(http:\/\/127\.0\.0\.1:[0-9]*\/metrics\)$/\1/p' "$work/out")
udp=$(sed -n 's/^udp: \(127\.0\.0\.1:[0-9]*\) .*/\1/p' "$work/out" | head -1)
[ -n "$url" ] || { echo "no metrics line on stdout:"; cat "$work/out"; exit 1; }
[ -n "$udp" ] || { echo "no udp line on stdout:"; cat "$work/out"; exit 1; }
echo "node: udp $udp, $url"

# Three datagrams: two that look like QUIC, one that does not.
host=${udp%:*}; port=${udp##*:}
printf '\x40abcdefgh-quic-short' >"/dev/udp/$host/$port"
printf '\xc0\x00\x00\x00\x01\x08abcdefgh\x00' >"/dev/udp/$host/$port"
printf '\x01\x00\x00\x00wireguard-like' >"/dev/udp/$host/$port"

for _ in $(seq 1 100); do
  curl -fsS "$url" >"$work/metrics"
  if grep -q '^gquic_node_datagrams_total{kind="quic"} 2$' "$work/metrics" &&
     grep -q '^gquic_node_datagrams_total{kind="other"} 1$' "$work/metrics"; then
    break
  fi
  sleep 0.1
done
grep -q '^gquic_node_datagrams_total{kind="quic"} 2$' "$work/metrics" ||
  { echo "datagrams not counted:"; grep gquic_node "$work/metrics"; exit 1; }
grep -q '^gquic_udp_mux_packets_received_total{socket="0"} 3$' "$work/metrics" ||
  { echo "mux did not count 3 datagrams"; grep packets_received "$work/metrics"; exit 1; }
grep -q '^gquic_pool_chunks_in_use{pool="udp_mux"}' "$work/metrics" ||
  { echo "pool metrics missing"; exit 1; }

if ! command -v promtool >/dev/null; then
  echo "promtool missing: run scripts/install-deps.sh"; exit 1
fi
if ! promtool check metrics <"$work/metrics" >"$work/promtool" 2>&1; then
  echo "promtool check metrics failed:"; cat "$work/promtool"; exit 1
fi
echo "promtool: $(wc -l <"$work/metrics") lines, ok"

# The content type Prometheus expects.
curl -fsSI "$url" | tr -d '\r' | grep -qi '^content-type: text/plain; version=0.0.4' ||
  { echo "wrong content type"; exit 1; }

kill -TERM "$pid"
wait "$pid"; rc=$?
pid=""
[ "$rc" = 0 ] || { echo "node exited with $rc after SIGTERM"; exit 1; }
grep -q '^stopped$' "$work/out" || { echo "no 'stopped' line"; exit 1; }
echo "node_smoke: ok"
