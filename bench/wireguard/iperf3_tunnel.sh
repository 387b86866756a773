#!/usr/bin/env bash
# iperf3 TCP through a WireGuard tunnel between two network namespaces joined by a veth pair,
# gquic <-> gquic against wireguard-go <-> wireguard-go, same setup, same run; prints both
# throughputs and the ratio. Needs root, iperf3 and /usr/bin/wireguard-go.
#   bench/wireguard/iperf3_tunnel.sh build/release/src/cli/gquic [SECONDS]
set -euo pipefail
gquic="$(realpath "$1")"
seconds="${2:-10}"
[ "$(id -u)" = 0 ] || { echo "needs root" >&2; exit 77; }
for t in iperf3 wg ip /usr/bin/wireguard-go; do
  command -v "$t" >/dev/null || { echo "$t missing" >&2; exit 77; }
done

id=$$
NA=gqba$id NB=gqbb$id
PIDS=()
work=$(mktemp -d)
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  ip netns del "$NA" 2>/dev/null || true
  ip netns del "$NB" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

ka=$(wg genkey) kb=$(wg genkey)
pa=$(printf '%s' "$ka" | wg pubkey) pb=$(printf '%s' "$kb" | wg pubkey)
printf '[Interface]\nPrivateKey = %s\nListenPort = 51820\n[Peer]\nPublicKey = %s\nEndpoint = 192.168.99.2:51820\nAllowedIPs = 10.99.0.2/32\n' \
  "$ka" "$pb" > "$work/a.conf"
printf '[Interface]\nPrivateKey = %s\nListenPort = 51820\n[Peer]\nPublicKey = %s\nEndpoint = 192.168.99.1:51820\nAllowedIPs = 10.99.0.1/32\n' \
  "$kb" "$pa" > "$work/b.conf"

setup_netns() {
  ip netns del "$NA" 2>/dev/null || true
  ip netns del "$NB" 2>/dev/null || true
  ip netns add "$NA"
  ip netns add "$NB"
  ip -n "$NA" link set lo up
  ip -n "$NB" link set lo up
  ip link add veth-a netns "$NA" type veth peer name veth-b netns "$NB"
  ip -n "$NA" addr add 192.168.99.1/24 dev veth-a
  ip -n "$NB" addr add 192.168.99.2/24 dev veth-b
  ip -n "$NA" link set veth-a up
  ip -n "$NB" link set veth-b up
}

# start_impl IMPL NS IF CONF ADDR
start_impl() {
  if [ "$1" = gquic ]; then
    ip netns exec "$2" "$gquic" wg up "$3" > "$work/$3.log" 2>&1 &
  else
    WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1 ip netns exec "$2" \
      /usr/bin/wireguard-go -f "$3" > "$work/$3.log" 2>&1 &
  fi
  PIDS+=("$!")
  for _ in $(seq 200); do wg show "$3" >/dev/null 2>&1 && break; sleep 0.1; done
  ip netns exec "$2" wg setconf "$3" "$4"
  ip -n "$2" addr add "$5/24" dev "$3"
  ip -n "$2" link set "$3" mtu 1420 up
}

# run IMPL: prints receiver bits per second
run() {
  setup_netns
  start_impl "$1" "$NA" wgba$id "$work/a.conf" 10.99.0.1
  start_impl "$1" "$NB" wgbb$id "$work/b.conf" 10.99.0.2
  ip netns exec "$NB" iperf3 -s -1 -B 10.99.0.2 > /dev/null 2>&1 &
  local server=$!
  sleep 0.5
  ip netns exec "$NA" iperf3 -c 10.99.0.2 -t "$seconds" -J > "$work/$1.json"
  wait "$server" || true
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  PIDS=()
  /usr/bin/python3 -c 'import json,sys; print(int(json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"]))' "$work/$1.json"
}

g=$(run gquic)
w=$(run wireguard-go)
/usr/bin/python3 - "$g" "$w" "$seconds" <<'PY'
import sys
g, w, s = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
print(f"iperf3 TCP, {s} s, one stream, two namespaces over veth")
print(f"  gquic        <-> gquic        : {g / 1e9:7.3f} Gbit/s")
print(f"  wireguard-go <-> wireguard-go : {w / 1e9:7.3f} Gbit/s")
print(f"  ratio gquic / wireguard-go    : {g / w:7.3f}")
PY
