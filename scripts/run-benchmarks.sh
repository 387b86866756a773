#!/usr/bin/env bash
# Runs gquic's benchmarks from a release build and prints their results, each with the baseline
# it was measured against in the same run. Usage: run-benchmarks.sh BUILD_DIR
# docs/benchmarks.md records what this printed, with the machine it ran on.
set -euo pipefail
build="${1:-build/release}"
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -r)"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
for b in "$build"/bench/*/gquic_bench_*; do
  [ -x "$b" ] || continue
  echo
  echo "=== $(basename "$b")"
  case "$(basename "$b")" in
    # Their own drivers with positional arguments (sizes, counts): run on their defaults.
    gquic_bench_derp|gquic_bench_quic) "$b" ;;
    *)
      "$b" --benchmark_repetitions="${BENCH_REPETITIONS:-3}" --benchmark_report_aggregates_only=true \
           --benchmark_counters_tabular=true --benchmark_color=false ;;
  esac
done
