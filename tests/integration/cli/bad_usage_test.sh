#!/usr/bin/env bash
# Bad command lines and configs get a clear message and exit code 2; a busy port exit code 1.
set -uo pipefail
gquic="$1"
work=$(mktemp -d)
trap 'rm -rf "$work"; [ -n "${holder:-}" ] && kill "$holder" 2>/dev/null' EXIT
fail=0

expect() {  # expect CODE PATTERN -- ARGS...
  local code="$1" pattern="$2"; shift 3
  "$gquic" "$@" >"$work/out" 2>&1; local rc=$?
  if [ "$rc" != "$code" ] || ! grep -q -- "$pattern" "$work/out"; then
    echo "FAIL: gquic $* -> rc $rc (want $code), output:"; cat "$work/out"; fail=1
  else
    echo "ok: gquic $* -> $rc: $(head -1 "$work/out")"
  fi
}

expect 2 "not expected" -- node --bogus
expect 2 "A subcommand is required" --
expect 2 "is not an IP:PORT" -- node --listen 127.0.0.1
expect 2 "is not an IP:PORT" -- node --metrics localhost:80
expect 2 "expected round-robin" -- node --strategy random
expect 2 "batch-size" -- node --batch-size 0
expect 2 "invalid level" -- --log loud version
expect 2 "does not exist" -- node --config /nonexistent.toml
printf '[udp]\nbatch_size = 0\n' >"$work/bad.toml"
expect 2 "udp.batch_size (line 2)" -- node --config "$work/bad.toml"
printf '[udp\n' >"$work/syntax.toml"
expect 2 "TOML syntax" -- node --config "$work/syntax.toml"
expect 0 "gquic 0" -- version

# A port in use: hold one with a node, then ask another for it.
"$gquic" node --no-metrics >"$work/holder" 2>/dev/null &
holder=$!
for _ in $(seq 1 100); do grep -q '^udp: ' "$work/holder" && break; sleep 0.1; done
busy=$(sed -n 's/^udp: \([0-9.:]*\) .*/\1/p' "$work/holder")
expect 1 "Address already in use" -- node --listen "$busy" --no-metrics
exit "$fail"
