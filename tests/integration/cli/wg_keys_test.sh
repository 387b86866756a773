#!/usr/bin/env bash
# `gquic wg genkey/pubkey/genpsk` against the real `wg` tool (Debian wireguard-tools): keys
# made by either side give the same public key on both.
set -euo pipefail
gquic="$1"
command -v wg >/dev/null || { echo "wg missing: run scripts/install-deps.sh"; exit 1; }
for _ in 1 2 3; do
  ours=$("$gquic" wg genkey)
  [ "$(printf '%s' "$ours" | wc -c)" = 44 ] || { echo "bad key length: $ours"; exit 1; }
  [ "$(printf '%s\n' "$ours" | "$gquic" wg pubkey)" = "$(printf '%s\n' "$ours" | wg pubkey)" ] ||
    { echo "pubkey differs for gquic key"; exit 1; }
  theirs=$(wg genkey)
  [ "$(printf '%s\n' "$theirs" | "$gquic" wg pubkey)" = "$(printf '%s\n' "$theirs" | wg pubkey)" ] ||
    { echo "pubkey differs for wg key"; exit 1; }
done
psk=$("$gquic" wg genpsk)
[ "$(printf '%s' "$psk" | wc -c)" = 44 ] || { echo "bad psk"; exit 1; }
# wg accepts our PSK as a key too (it decodes any 32-byte base64 value).
printf '%s\n' "$psk" | wg pubkey >/dev/null
if printf 'not-a-key\n' | "$gquic" wg pubkey 2>/dev/null; then echo "garbage accepted"; exit 1; fi
echo "wg_keys: ok (3 key pairs each way)"
