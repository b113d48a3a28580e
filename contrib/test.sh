#!/usr/bin/env bash
# Every test of the project, from a fresh Debian machine: installs what is missing, builds,
# runs the unit, corpus and integration tests, the same unit tests under ASan+UBSan, and a short
# run of each libFuzzer target. Needs root (network namespaces).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

bash contrib/setup.sh

fail=0
passed=0 failed=0
step() { printf '\n==== %s\n' "$*"; }
# Adds one ctest run's totals (from its "N% tests passed, F tests failed out of T" line).
tally() {
  local line t f
  line=$(grep -E 'tests failed out of [0-9]+' "$1" | tail -1) || true
  [ -n "$line" ] || return 0
  t=$(sed -E 's/.*out of ([0-9]+).*/\1/' <<<"$line")
  f=$(sed -E 's/.* ([0-9]+) tests failed.*/\1/' <<<"$line")
  passed=$((passed + t - f)) failed=$((failed + f))
}
log=$(mktemp)
trap 'rm -f "$log"' EXIT

step "build (RelWithDebInfo)"
contrib/build.sh "$top/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVIGIL_WERROR=ON

step "tests: unit, corpus, integration"
if ! (cd build && ctest --output-on-failure --timeout 600 -j2) | tee "$log"; then fail=1; fi
tally "$log"

step "build (ASan + UBSan)"
contrib/build.sh "$top/build-asan" -DCMAKE_BUILD_TYPE=Debug -DVIGIL_WERROR=ON -DVIGIL_SANITIZE=ON -DVIGIL_BENCH=OFF
step "tests under ASan + UBSan: unit and corpus"
if ! (cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
   ctest --output-on-failure --timeout 600 -LE integration -j2) | tee "$log"; then fail=1; fi
tally "$log"

if ls tests/fuzz/*_fuzz.cpp >/dev/null 2>&1; then
  step "fuzz targets (clang-19 libFuzzer), ${VIGIL_FUZZ_SECONDS:-20} s each"
  CXX=clang++-19 contrib/build.sh "$top/build-fuzz" -DVIGIL_WERROR=ON -DVIGIL_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
  for f in build-fuzz/tests/fuzz/*_fuzz; do
    name=$(basename "$f")
    seeds="tests/fuzz/seeds/${name%_fuzz}"
    work=$(mktemp -d)
    [ -d "$seeds" ] && cp -r "$seeds/." "$work/"
    if "$f" -max_total_time="${VIGIL_FUZZ_SECONDS:-20}" -rss_limit_mb=2048 "$work" >"$work.log" 2>&1; then
      echo "fuzz $name: ok ($(grep "^Done" "$work.log" | tail -1))"
      passed=$((passed + 1))
    else
      echo "fuzz $name: FAILED"; tail -40 "$work.log"; fail=1
      failed=$((failed + 1))
    fi
    rm -rf "$work" "$work.log"
  done
fi

echo
echo "vigil: $passed passed, $failed failed"
if [ "$fail" -ne 0 ]; then
  exit 1
fi
