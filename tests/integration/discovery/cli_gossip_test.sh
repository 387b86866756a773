#!/usr/bin/env bash
# Ten `gquic discovery agent` processes on loopback joined by gossip (encrypted with a
# two-key keyring; seven join through the first agent, two through the second): every agent
# sees all ten alive, a service registered on one is found on the others, its
# deregistration propagates, `gquic discovery members` lists the members, a SIGKILLed agent
# is declared dead with its services gone, and a SIGTERMed one is seen leaving.
set -euo pipefail
gquic="$1"
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

key1=$(printf 'a%.0s' $(seq 1 64))
key2=$(printf 'b%.0s' $(seq 1 64))

# start NAME [SEED]: runs an agent, waits for its http/gossip lines.
start() {
  local name="$1" seed="${2:-}"
  local args=(discovery agent --node-id "$name" --http-listen 127.0.0.1:0
              --gossip-bind 127.0.0.1:0 --gossip-key "$key1" --gossip-key "$key2"
              --gossip-probe-ms 300)
  [ -n "$seed" ] && args+=(--join "$seed")
  "$gquic" "${args[@]}" >"$work/$name.out" 2>"$work/$name.err" &
  pids+=($!)
  eval "pid_$name=$!"
  for _ in $(seq 1 200); do
    grep -q '^gossip: ' "$work/$name.out" && break
    sleep 0.1
  done
  grep -q '^gossip: ' "$work/$name.out" || { echo "agent $name did not start"; cat "$work/$name.err"; exit 1; }
}
http_of() { sed -n 's/^http: //p' "$work/$1.out"; }
gossip_of() { sed -n 's/^gossip: //p' "$work/$1.out"; }

# until SECONDS CMD...: retries CMD every 0.2 s.
until_ok() {
  local secs="$1"; shift
  for _ in $(seq 1 $((secs * 5))); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  "$@"
}

start a
start b "$(gossip_of a)"
for n in c d e f g h; do start "$n" "$(gossip_of a)"; done
for n in i j; do start "$n" "$(gossip_of b)"; done
A="http://$(http_of a)"; B="http://$(http_of b)"; C="http://$(http_of c)"; J="http://$(http_of j)"

alive10() { [ "$("$gquic" discovery members --agent "$1" | grep -c ' alive ')" = 10 ]; }
for n in a b c d e f g h i j; do
  until_ok 60 alive10 "http://$(http_of "$n")" ||
    { echo "no convergence on $n"; "$gquic" discovery members --agent "http://$(http_of "$n")"; exit 1; }
done
"$gquic" discovery members --agent "$A" | tee "$work/members"
head -1 "$work/members" | grep -q '^NAME  *ADDRESS  *STATE  *INCARNATION$'
for n in a b c d e f g h i j; do
  grep -q "^$n  *127\.0\.0\.1:[0-9]*  *alive  *[0-9]*$" "$work/members"
done

cat >"$work/web.json" <<'JSON'
{"id": {"name": "web", "namespace": "prod", "version": "v1"},
 "endpoints": [{"address": "127.0.0.1:8080", "protocol": "http"}], "tags": ["api"]}
JSON
"$gquic" discovery register --agent "$A" --file "$work/web.json"
found() { "$gquic" discovery query web --agent "$1" | grep -q "\"source\": \"$2\""; }
until_ok 30 found "$B" gossip || { echo "web not on b"; exit 1; }
until_ok 30 found "$C" gossip || { echo "web not on c"; exit 1; }
until_ok 30 found "$J" gossip || { echo "web not on j"; exit 1; }
found "$A" local
"$gquic" discovery deregister --agent "$A" prod/web/v1
gone() { [ "$("$gquic" discovery query web --agent "$1")" = "[]" ]; }
until_ok 30 gone "$B" || { echo "deregistration did not reach b"; exit 1; }
until_ok 30 gone "$C" || { echo "deregistration did not reach c"; exit 1; }
until_ok 30 gone "$J" || { echo "deregistration did not reach j"; exit 1; }

# A service of c, then c is killed without leaving.
sed 's/"web"/"api"/' "$work/web.json" >"$work/api.json"
"$gquic" discovery register --agent "$C" --file "$work/api.json"
apifound() { "$gquic" discovery query api --agent "$1" | grep -q '"source": "gossip"'; }
until_ok 30 apifound "$A" || { echo "api not on a"; exit 1; }
kill -9 "$pid_c"
cdead() { "$gquic" discovery members --agent "$1" | grep -q '^c  *[0-9.:]*  *dead '; }
until_ok 60 cdead "$A" || { echo "c not declared dead on a"; "$gquic" discovery members --agent "$A"; exit 1; }
until_ok 60 cdead "$B" || { echo "c not declared dead on b"; exit 1; }
until_ok 60 cdead "$J" || { echo "c not declared dead on j"; exit 1; }
apigone() { [ "$("$gquic" discovery query api --agent "$1")" = "[]" ]; }
until_ok 30 apigone "$A" || { echo "dead c's service still on a"; exit 1; }
until_ok 30 apigone "$B" || { echo "dead c's service still on b"; exit 1; }

# b stops gracefully (SIGTERM): a sees it leave.
kill -TERM "$pid_b"
bleft() { "$gquic" discovery members --agent "$A" | grep -q '^b  *[0-9.:]*  *left '; }
until_ok 30 bleft || { echo "b not seen leaving"; "$gquic" discovery members --agent "$A"; exit 1; }
"$gquic" discovery members --agent "$A"
echo "OK"
