#!/usr/bin/env bash
# Runs every libFuzzer target of a fuzz build for a short, fixed time each, starting from the
# seed corpus checked in beside it. Usage: run-fuzzers.sh BUILD_DIR SECONDS
set -euo pipefail
build="$1"
seconds="${2:-20}"
root="$(cd "$(dirname "$0")/.." && pwd)"
status=0
count=0
while IFS= read -r bin; do
  name=$(basename "$bin")
  target=${name#gquic_fuzz_}
  corpus_src="$root/tests/fuzz/$target/corpus"
  work=$(mktemp -d)
  [ -d "$corpus_src" ] && cp -r "$corpus_src/." "$work/"
  echo "fuzz: $name for ${seconds}s"
  # A bounded quarantine keeps ASan within libFuzzer's memory limit on the YAML fuzzer.
  if ! ASAN_OPTIONS="${ASAN_OPTIONS:-quarantine_size_mb=64}" "$bin" -max_total_time="$seconds" \
        -max_len=4096 -rss_limit_mb=4096 -print_final_stats=1 "$work" \
        > "$work.log" 2>&1; then
    echo "fuzz: $name FAILED"; tail -40 "$work.log"; status=1
  else
    grep -E "stat::number_of_executed_units" "$work.log" | sed "s/^/fuzz: $name /" || true
  fi
  rm -rf "$work" "$work.log"
  count=$((count + 1))
done < <(find "$build" -type f -executable -name 'gquic_fuzz_*' | sort)
echo "fuzz: $count targets run"
exit "$status"
