#!/usr/bin/env bash
# Installs the build tree into a temporary prefix and builds examples/find_package against
# it, as another project would; then runs the result.
set -euo pipefail
build="$1"; example="$2"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/prefix" >/dev/null
cmake -S "$example" -B "$work/build" -G Ninja -DCMAKE_PREFIX_PATH="$work/prefix" \
      -DCMAKE_CXX_COMPILER_LAUNCHER=ccache >/dev/null
cmake --build "$work/build" >/dev/null
"$work/build/gquic_consumer"
