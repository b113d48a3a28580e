#!/usr/bin/env bash
# Configures and builds Vigil into DIR (default build/). Extra arguments go to cmake.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-"$top/build"}
shift || true
if [ ! -f "$dir/build.ninja" ]; then
  cmake -S "$top" -B "$dir" -G Ninja "$@" >/dev/null
elif (($#)); then
  cmake -S "$top" -B "$dir" "$@" >/dev/null  # options given again take effect
fi
cmake --build "$dir" -j"$(nproc)"
