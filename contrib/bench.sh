#!/usr/bin/env bash
# Vigil's figures beside keepalived 2.2.7's, taken in the same run: failover, idle CPU and RSS,
# `-t` and start-up on large files (tests/bench/compare_keepalived.py, in namespaces on this
# host), then health checks on 1,000 real servers in the User-Mode Linux guest, where IPVS
# lets keepalived run its checkers (tests/bench/uml_checkers.py). Needs root.
#   bash contrib/bench.sh [--quick]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null && exec sudo bash "$0" "$@"
  echo "bench: run as root" >&2
  exit 1
fi
bash contrib/setup.sh
contrib/build.sh "$top/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo
export VIGIL_BUILD_DIR="$top/build" VIGIL_SOURCE_DIR="$top"
quick=()
seconds=15
if [ "${1:-}" = "--quick" ]; then
  quick=(--quick)
  seconds=5
fi
printf '\n==== VRRP, configuration and memory (this host)\n'
python3 tests/bench/compare_keepalived.py "${quick[@]}"
printf '\n==== health checks (User-Mode Linux guest)\n'
python3 tests/bench/uml_checkers.py --servers 1000 --seconds "$seconds"
