#!/usr/bin/env bash
# `gquic perf server` and `gquic perf client` end to end on 127.0.0.1: downloads and uploads
# over several streams with CUBIC and BBRv2, a qlog file, and a refused untrusted certificate.
set -euo pipefail
gquic="$1"
work=$(mktemp -d)
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

"$gquic" perf server --listen 127.0.0.1:0 >"$work/server.out" 2>"$work/server.err" &
server_pid=$!
for _ in $(seq 100); do
  grep -q "listening on" "$work/server.out" 2>/dev/null && break
  sleep 0.1
done
addr=$(sed -n 's/^listening on //p' "$work/server.out")
[ -n "$addr" ] || { echo "server did not start"; cat "$work/server.err"; exit 1; }

check() {  # check OUTFILE DOWNLOAD UPLOAD
  grep -qx "downloaded_bytes: $2" "$1" || { echo "wrong download count"; cat "$1"; exit 1; }
  grep -qx "uploaded_bytes: $3" "$1" || { echo "wrong upload count"; cat "$1"; exit 1; }
  grep -q "^handshake_ms: " "$1" && grep -q "^download_gbps: " "$1" ||
    { echo "no throughput/handshake lines"; cat "$1"; exit 1; }
}

"$gquic" perf client --connect "$addr" --download 20000000 --upload 3000000 --streams 4 \
  --insecure --cc cubic >"$work/c1.out"
check "$work/c1.out" 20000000 3000000

"$gquic" perf client --connect "$addr" --download 10000000 --upload 0 --streams 1 \
  --insecure --cc bbr2 --qlog-dir "$work/qlog" >"$work/c2.out"
check "$work/c2.out" 10000000 0
grep -q "^cc: bbr2" "$work/c2.out"
qlog=$(ls "$work/qlog"/*.sqlog)
[ -s "$qlog" ] || { echo "empty qlog"; exit 1; }
grep -q '"qlog_version"' "$qlog" || { echo "not a qlog file"; head -c 300 "$qlog"; exit 1; }

# Zero download, several streams: only the requests and their empty answers.
"$gquic" perf client --connect "$addr" --download 0 --upload 100000 --streams 3 --insecure \
  >"$work/c3.out"
check "$work/c3.out" 0 100000

# Without --insecure the self-signed certificate is refused, with a message and exit 1.
if "$gquic" perf client --connect "$addr" --download 1000 >"$work/c4.out" 2>"$work/c4.err"; then
  echo "untrusted certificate accepted"; exit 1
fi
[ -s "$work/c4.err" ] || { echo "no error message"; exit 1; }

# Bad usage.
if "$gquic" perf client --connect nonsense --insecure 2>/dev/null; then
  echo "bad address accepted"; exit 1
fi
echo "perf_cli: ok ($(sed -n 's/^download_gbps: //p' "$work/c1.out") Gbit/s cubic)"
