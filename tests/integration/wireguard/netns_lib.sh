# Shared helpers of the WireGuard namespace tests: unique names, cleanup on any exit, skips.
# Sourced by the test scripts; ctest treats exit code 77 as "skipped".

skip() { echo "SKIPPED: $*" >&2; exit 77; }
fail() { echo "FAILED: $*" >&2; exit 1; }

require_root_and_tools() {
  [ "$(id -u)" = 0 ] || skip "needs root to create network namespaces"
  for tool in ip wg /usr/bin/python3; do
    command -v "$tool" >/dev/null || skip "$tool is not installed"
  done
  ip netns add "gqwgprobe$$" 2>/dev/null || skip "cannot create network namespaces here"
  ip netns del "gqwgprobe$$"
}

# Every namespace and background process the test makes is recorded here and removed on exit.
NAMESPACES=()
PIDS=()
WORKDIR=$(mktemp -d)
cleanup() {
  local rc=$?
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  for ns in "${NAMESPACES[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
  if [ "$rc" != 0 ] && [ "$rc" != 77 ]; then
    for f in "$WORKDIR"/*.log; do [ -f "$f" ] && { echo "--- $f"; tail -n 30 "$f"; }; done
  fi
  rm -rf "$WORKDIR"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

make_ns() {
  ip netns add "$1"
  NAMESPACES+=("$1")
  ip -n "$1" link set lo up
}

# veth between two namespaces: link_ns NS_A IF_A ADDR_A NS_B IF_B ADDR_B
link_ns() {
  ip link add "$2" netns "$1" type veth peer name "$5" netns "$4"
  ip -n "$1" addr add "$3" dev "$2"
  ip -n "$4" addr add "$6" dev "$5"
  ip -n "$1" link set "$2" up
  ip -n "$4" link set "$5" up
}

# Waits (up to 20 s) until `wg show IF` answers: the UAPI socket is up.
wait_uapi() {
  for _ in $(seq 200); do
    wg show "$1" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  fail "no UAPI answer for $1"
}

# ICMP echo (3 replies) with a generous deadline: the first packet waits for the handshake.
# ping_ok NS DST [COUNT [SRC]]
ping_ok() {
  ip netns exec "$1" /usr/bin/python3 "$(dirname "${BASH_SOURCE[0]}")/icmp_ping.py" "$2" "${3:-3}" \
    ${4:+"$4"} || fail "ping $2 from $1"
}
