#!/usr/bin/env bash
# Vigil's figures beside keepalived 2.2.7's, taken in the same run: failover, idle CPU and RSS,
# `-t` and start-up on large files (tests/bench/compare_keepalived.py, in namespaces on this
# host), health checks on 1,000 real servers in the User-Mode Linux guest, where IPVS lets
# keepalived run its checkers (tests/bench/uml_checkers.py), the micro-benchmarks
# (tests/bench/micro.py) and the reload of 10,000 virtual servers (tests/bench/reload.py).
# Each part appends its figures to one file; the end prints them as one table. Needs root.
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
# A tree of its own without the unit-test executables, which nothing here runs; a unity build,
# as the test trees: the same code, built in less time.
contrib/build.sh "$top/build-bench" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVIGIL_UNIT_TESTS=OFF \
  -DCMAKE_UNITY_BUILD=ON -DCMAKE_UNITY_BUILD_BATCH_SIZE=8
export VIGIL_BUILD_DIR="$top/build-bench" VIGIL_SOURCE_DIR="$top"
quick=()
seconds=15
if [ "${1:-}" = "--quick" ]; then
  quick=(--quick)
  seconds=5
fi
results=$(mktemp /tmp/vigil-bench.XXXXXX.jsonl)
trap 'rm -f "$results"' EXIT
export VIGIL_BENCH_RESULTS="$results"
failed=()
# A part that fails is named at the end; the others' figures are still printed.
part() {
  "$@" || failed+=("$*")
}
printf '\n==== VRRP, configuration and memory (this host)\n'
part python3 tests/bench/compare_keepalived.py "${quick[@]}"
printf '\n==== health checks (User-Mode Linux guest)\n'
part python3 tests/bench/uml_checkers.py --servers 1000 --seconds "$seconds"
printf '\n==== micro-benchmarks\n'
part python3 tests/bench/micro.py "${quick[@]}"
printf '\n==== reload of 10,000 virtual servers / 50,000 real servers (nftables)\n'
part python3 tests/bench/reload.py "${quick[@]}"
printf '\n==== all figures (%s, %s cores, load average %s)\n\n' "$(date -u +%Y-%m-%d)" "$(nproc)" \
  "$(cut -d' ' -f1-3 /proc/loadavg)"
python3 tests/bench/table.py "$results"
if ((${#failed[@]})); then
  printf '\nbench: failed: %s\n' "${failed[@]}" >&2
  exit 1
fi
