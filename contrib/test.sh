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
# Each step is stamped with the minutes and seconds since the start, to see where the time goes.
step() { printf '\n==== %s [%d:%02d]\n' "$*" $((SECONDS / 60)) $((SECONDS % 60)); }
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
bglog=$(mktemp)
recap=$(mktemp)
# A failed test runs once more and counts as passed only if that run passes: the namespace and
# User-Mode Linux tests share 2 cores with the background builds, and a failure that does not
# repeat is shown, not hidden. The output of each failed run (its last lines) is kept to be shown
# again at the very end, next to the totals: it is then read without scrolling back.
keep_failures() {
  awk '/^ *[0-9]+\/[0-9]+ Test +#[0-9]+: .*\*\*\*/ {on = 1; n = 0; print "---- " $0; next}
       /^ *[0-9]+\/[0-9]+ Test +#|^ +Start +[0-9]+:|^The following tests FAILED|^[0-9]+% tests passed/ {on = 0}
       on && n++ < 40' "$1" >>"$recap"
}
bg=
# The background builds run in their own process group, ended with this script.
trap '[ -n "$bg" ] && kill -- -"$bg" 2>/dev/null; rm -f "$log" "$bglog" "$recap"' EXIT
fuzz=0
ls tests/fuzz/*_fuzz.cpp >/dev/null 2>&1 && fuzz=1

# Three trees, each compiling only what it runs: an optimised one without the unit-test
# executables (integration, corpus, packaging and bench tests; no debug info, nothing reads it),
# one under ASan+UBSan (unit and corpus tests) and the libFuzzer targets. The first two are unity
# builds: most of a file's compile time is the headers it shares with its neighbours.
unity=(-DCMAKE_UNITY_BUILD=ON -DCMAKE_UNITY_BUILD_BATCH_SIZE=8)
step "build (optimised, for the integration tests)"
contrib/build.sh "$top/build-int" -DCMAKE_BUILD_TYPE=Release "-DCMAKE_CXX_FLAGS_RELEASE=-O2 -DNDEBUG" \
  -DVIGIL_WERROR=ON -DVIGIL_UNIT_TESTS=OFF "${unity[@]}"

# The integration tests mostly wait on timers and peers: the other two trees build meanwhile at
# the lowest CPU and I/O priority, so the tests' processes still run the moment they wake.
step "build (ASan + UBSan, fuzz targets) in the background"
set -m
(
  set -e
  # Line tables only (-g1): enough for the sanitizers' stack traces.
  nice -n 19 ionice -c 3 contrib/build.sh "$top/build-asan" -DCMAKE_BUILD_TYPE=Debug -DVIGIL_WERROR=ON \
    -DVIGIL_SANITIZE=ON -DVIGIL_BENCH=OFF -DCMAKE_CXX_FLAGS_DEBUG=-g1 "${unity[@]}"
  if [ "$fuzz" -eq 1 ]; then
    CXX=clang++-19 nice -n 19 ionice -c 3 contrib/build.sh "$top/build-fuzz" -DVIGIL_WERROR=ON \
      -DVIGIL_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
  fi
) >"$bglog" 2>&1 &
bg=$!
set +m

step "tests: integration, corpus, packaging, bench smoke"
if ! (cd build-int && ctest --output-on-failure --repeat until-pass:2 --timeout 600 -j2 -LE unit) | tee "$log"; then fail=1; fi
tally "$log"
keep_failures "$log"

step "waiting for the ASan + UBSan and fuzz builds"
if wait "$bg"; then
  bg=
  tail -3 "$bglog"
else
  bg=
  cat "$bglog"
  echo "build (ASan + UBSan or fuzz) FAILED"
  echo
  echo "vigil: $passed passed, $((failed + 1)) failed"
  exit 1
fi

step "tests under ASan + UBSan: unit and corpus"
if ! (cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
   ctest --output-on-failure --repeat until-pass:2 --timeout 600 -L 'unit|corpus' -j2) | tee "$log"; then fail=1; fi
tally "$log"
keep_failures "$log"

if [ "$fuzz" -eq 1 ]; then
  step "fuzz targets (clang-19 libFuzzer), ${VIGIL_FUZZ_SECONDS:-20} s each"
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

if [ -s "$recap" ]; then
  step "failed runs (a test whose rerun passed counts as passed)"
  cat "$recap"
fi
echo
echo "vigil: $passed passed, $failed failed"
if [ "$fail" -ne 0 ]; then
  exit 1
fi
