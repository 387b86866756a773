#!/usr/bin/env bash
# gquic <-> wireguard-go in two network namespaces joined by a veth pair:
#   A: `gquic wg up` from a wg-quick style config      B: wireguard-go configured with `wg`
# ping and UDP probes both ways, a 100 MB TCP transfer checked by SHA-256, `wg show` against
# the gquic interface (peer, endpoint, handshake, counters), new handshakes initiated by each
# side after the other lost its session, then `gquic wg down`.
set -euo pipefail
gquic="$1"
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/netns_lib.sh"
require_root_and_tools
[ -x /usr/bin/wireguard-go ] || skip "/usr/bin/wireguard-go is not installed"

id=$$
NA=gqia$id NB=gqib$id WGA=gqa$id WGB=gob$id
make_ns "$NA"
make_ns "$NB"
link_ns "$NA" vea$id 192.168.77.1/24 "$NB" veb$id 192.168.77.2/24

ka=$(wg genkey) kb=$(wg genkey)
pa=$(printf '%s' "$ka" | wg pubkey) pb=$(printf '%s' "$kb" | wg pubkey)
cat > "$WORKDIR/a.conf" <<CONF
[Interface]
PrivateKey = $ka
ListenPort = 51820
Address = 10.77.0.1/24
MTU = 1420

[Peer]
PublicKey = $pb
Endpoint = 192.168.77.2:51821
AllowedIPs = 10.77.0.2/32
CONF
cat > "$WORKDIR/b.conf" <<CONF
[Interface]
PrivateKey = $kb
ListenPort = 51821

[Peer]
PublicKey = $pa
Endpoint = 192.168.77.1:51820
AllowedIPs = 10.77.0.1/32
CONF

ip netns exec "$NA" "$gquic" wg up "$WGA" --config "$WORKDIR/a.conf" > "$WORKDIR/gquic.log" 2>&1 &
gquic_pid=$!
PIDS+=("$gquic_pid")
WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1 ip netns exec "$NB" \
  /usr/bin/wireguard-go -f "$WGB" > "$WORKDIR/wireguard-go.log" 2>&1 &
PIDS+=("$!")
wait_uapi "$WGA"
wait_uapi "$WGB"
ip netns exec "$NB" wg setconf "$WGB" "$WORKDIR/b.conf"
ip -n "$NB" addr add 10.77.0.2/24 dev "$WGB"
ip -n "$NB" link set "$WGB" mtu 1420 up

echo "ping both ways"
ping_ok "$NA" 10.77.0.2
ping_ok "$NB" 10.77.0.1

echo "UDP probes both ways"
for dir in "$NA 10.77.0.2 $NB" "$NB 10.77.0.1 $NA"; do
  set -- $dir
  ip netns exec "$3" /usr/bin/python3 "$here/udp_probe.py" recv "$2" 7777 > "$WORKDIR/probe" &
  recv_pid=$!
  ip netns exec "$1" /usr/bin/python3 "$here/udp_probe.py" send "$2" 7777 "hello-$1" &
  send_pid=$!
  wait "$recv_pid" || fail "UDP probe to $2"
  kill "$send_pid" 2>/dev/null || true
  wait "$send_pid" 2>/dev/null || true
  [ "$(cat "$WORKDIR/probe")" = "hello-$1" ] || fail "UDP probe to $2 got $(cat "$WORKDIR/probe")"
done

echo "100 MB TCP transfer gquic -> wireguard-go"
ip netns exec "$NB" /usr/bin/python3 "$here/tcp_transfer.py" recv 10.77.0.2 5001 > "$WORKDIR/recv" &
recv_pid=$!
sent=$(ip netns exec "$NA" /usr/bin/python3 "$here/tcp_transfer.py" send 10.77.0.2 5001 100)
wait "$recv_pid" || fail "TCP receiver"
[ "$sent" = "$(cat "$WORKDIR/recv")" ] || fail "TCP transfer mismatch: sent '$sent' got '$(cat "$WORKDIR/recv")'"
echo "  $sent"

echo "wg show against the gquic interface"
dump=$(wg show "$WGA" dump)
echo "$dump"
read -r _ pub port _ <<<"$(echo "$dump" | head -n 1)"
[ "$pub" = "$pa" ] || fail "interface public key $pub, expected $pa"
[ "$port" = 51820 ] || fail "listen port $port"
peer=$(echo "$dump" | sed -n 2p)
read -r ppub _ endpoint allowed hs rx tx _ <<<"$peer"
[ "$ppub" = "$pb" ] || fail "peer key $ppub"
[ "$endpoint" = 192.168.77.2:51821 ] || fail "peer endpoint $endpoint"
[ "$allowed" = 10.77.0.2/32 ] || fail "allowed ips $allowed"
[ "$hs" -gt 0 ] || fail "no handshake time"
[ "$rx" -gt 10000 ] && [ "$tx" -gt 104857600 ] || fail "counters rx=$rx tx=$tx"
first_hs=$hs

echo "new handshake initiated by wireguard-go"
sleep 1.1  # handshake times have one-second resolution in `wg show`
ip netns exec "$NB" wg set "$WGB" peer "$pa" remove
ip netns exec "$NB" wg setconf "$WGB" "$WORKDIR/b.conf"
ping_ok "$NB" 10.77.0.1
hs=$(wg show "$WGA" latest-handshakes | awk '{print $2}')
[ "$hs" -gt "$first_hs" ] || fail "no new handshake on gquic ($hs <= $first_hs)"

echo "new handshake initiated by gquic after a UAPI remove/re-add"
sleep 1.1
wg set "$WGA" peer "$pb" remove
[ -z "$(wg show "$WGA" peers)" ] || fail "peer not removed"
wg set "$WGA" peer "$pb" endpoint 192.168.77.2:51821 allowed-ips 10.77.0.2/32
ping_ok "$NA" 10.77.0.2
hs2=$(wg show "$WGA" latest-handshakes | awk '{print $2}')
[ "$hs2" -gt "$hs" ] || fail "no handshake initiated by gquic ($hs2 <= $hs)"
wg showconf "$WGA" | grep -q "PublicKey = $pb" || fail "showconf"

echo "gquic wg down"
ip netns exec "$NA" "$gquic" wg down "$WGA"
for _ in $(seq 100); do kill -0 "$gquic_pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$gquic_pid" 2>/dev/null; then fail "gquic wg up still running after down"; fi
wait "$gquic_pid" || fail "gquic wg up exited with an error"
[ ! -e "/var/run/wireguard/$WGA.sock" ] || fail "UAPI socket left behind"
echo "wg_interop: ok"
