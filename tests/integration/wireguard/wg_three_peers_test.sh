#!/usr/bin/env bash
# gquic <-> gquic: a hub with three peers whose allowed IPs overlap
#   P1: 10.88.0.0/16   P2: 10.88.1.0/24   P3: 10.88.1.128/25
# each peer in its own namespace behind its own veth. The hub reaches 10.88.2.1 (P1 only),
# 10.88.1.1 (P2: /24 beats /16) and 10.88.1.129 (P3: /25 beats both), and each peer reaches
# the hub; `wg show` on the hub counts traffic on the right peer. P3 starts keyless and is
# configured through the UAPI with `wg setconf`.
set -euo pipefail
gquic="$1"
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/netns_lib.sh"
require_root_and_tools

id=$$
HUB=gqh$id
make_ns "$HUB"
hub_key=$(wg genkey)
hub_pub=$(printf '%s' "$hub_key" | wg pubkey)
declare -A PREFIX=([1]=10.88.0.0/16 [2]=10.88.1.0/24 [3]=10.88.1.128/25)
declare -A ADDR=([1]=10.88.2.1 [2]=10.88.1.1 [3]=10.88.1.129)
{
  echo "[Interface]"
  echo "PrivateKey = $hub_key"
  echo "ListenPort = 51820"
  echo "Address = 10.99.0.1/32"
} > "$WORKDIR/hub.conf"
for i in 1 2 3; do
  ns=gqp$i$id
  make_ns "$ns"
  link_ns "$HUB" vh$i$id 192.168.8$i.1/24 "$ns" vp$i$id 192.168.8$i.2/24
  key=$(wg genkey)
  echo "$key" > "$WORKDIR/key$i"
  pub=$(printf '%s' "$key" | wg pubkey)
  echo "$pub" > "$WORKDIR/pub$i"
  printf '\n[Peer]\nPublicKey = %s\nEndpoint = 192.168.8%s.2:51820\nAllowedIPs = %s\n' \
    "$pub" "$i" "${PREFIX[$i]}" >> "$WORKDIR/hub.conf"
  cat > "$WORKDIR/p$i.conf" <<CONF
[Interface]
PrivateKey = $key
ListenPort = 51820
Address = ${ADDR[$i]}/32

[Peer]
PublicKey = $hub_pub
Endpoint = 192.168.8$i.1:51820
AllowedIPs = 10.99.0.1/32
PersistentKeepalive = 5
CONF
done

ip netns exec "$HUB" "$gquic" wg up gqwh$id --config "$WORKDIR/hub.conf" > "$WORKDIR/hub.log" 2>&1 &
PIDS+=("$!")
for i in 1 2; do
  ip netns exec gqp$i$id "$gquic" wg up gqw$i$id --config "$WORKDIR/p$i.conf" \
    > "$WORKDIR/p$i.log" 2>&1 &
  PIDS+=("$!")
done
# P3: keyless, configured by `wg setconf` plus addresses and routes by hand.
ip netns exec gqp3$id "$gquic" wg up gqw3$id > "$WORKDIR/p3.log" 2>&1 &
PIDS+=("$!")
wait_uapi gqw3$id
grep -v -e '^Address' "$WORKDIR/p3.conf" > "$WORKDIR/p3.setconf"
ip netns exec gqp3$id wg setconf gqw3$id "$WORKDIR/p3.setconf"
ip -n gqp3$id addr add "${ADDR[3]}/32" dev gqw3$id
ip -n gqp3$id route add 10.99.0.1/32 dev gqw3$id
for w in gqwh$id gqw1$id gqw2$id; do wait_uapi "$w"; done

for i in 1 2 3; do
  echo "hub -> ${ADDR[$i]} (peer $i, ${PREFIX[$i]})"
  ping_ok "$HUB" "${ADDR[$i]}"
  echo "peer $i -> hub"
  ping_ok gqp$i$id 10.99.0.1 2 "${ADDR[$i]}"
done

# Each peer's received-bytes counter on the hub grew, and a ping to one address moves only
# that peer's transmit counter.
dump() { wg show gqwh$id transfer | awk -v p="$(cat "$WORKDIR/pub$1")" '$1 == p {print $3}'; }
for i in 1 2 3; do
  before=()
  for j in 1 2 3; do before[$j]=$(dump "$j"); done
  ping_ok "$HUB" "${ADDR[$i]}" 5
  for j in 1 2 3; do
    after=$(dump "$j")
    delta=$((after - before[j]))
    if [ "$j" = "$i" ]; then
      [ "$delta" -ge 420 ] || fail "peer $i tx grew by $delta only"
    else
      # Keepalives (32 bytes of padding-free payload: 0) may pass; pings must not.
      [ "$delta" -lt 84 ] || fail "ping for peer $i counted on peer $j ($delta bytes)"
    fi
  done
done
echo "wg_three_peers: ok"
