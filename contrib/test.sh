#!/usr/bin/env bash
# Every test of the project, from a fresh Debian machine: installs what is missing, builds,
# runs the unit, corpus and integration tests, the same unit tests under ASan+UBSan, and a short
# run of each libFuzzer target. Needs root (network namespaces).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

bash contrib/setup.sh

fail=0
step() { printf '\n==== %s\n' "$*"; }

step "build (RelWithDebInfo)"
contrib/build.sh "$top/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo

step "tests: unit, corpus, integration"
(cd build && ctest --output-on-failure --timeout 600 -j1) || fail=1

step "build (ASan + UBSan)"
contrib/build.sh "$top/build-asan" -DCMAKE_BUILD_TYPE=Debug -DVIGIL_SANITIZE=ON -DVIGIL_BENCH=OFF
step "tests under ASan + UBSan: unit and corpus"
(cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
   ctest --output-on-failure --timeout 600 -LE integration -j2) || fail=1

if ls tests/fuzz/*_fuzz.cpp >/dev/null 2>&1; then
  step "fuzz targets (clang-19 libFuzzer), ${VIGIL_FUZZ_SECONDS:-20} s each"
  CXX=clang++-19 contrib/build.sh "$top/build-fuzz" -DVIGIL_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
  for f in build-fuzz/tests/fuzz/*_fuzz; do
    name=$(basename "$f")
    seeds="tests/fuzz/seeds/${name%_fuzz}"
    work=$(mktemp -d)
    [ -d "$seeds" ] && cp -r "$seeds/." "$work/"
    if "$f" -max_total_time="${VIGIL_FUZZ_SECONDS:-20}" -rss_limit_mb=2048 "$work" >"$work.log" 2>&1; then
      echo "fuzz $name: ok ($(grep "^Done" "$work.log" | tail -1))"
    else
      echo "fuzz $name: FAILED"; tail -40 "$work.log"; fail=1
    fi
    rm -rf "$work" "$work.log"
  done
fi

if [ "$fail" -ne 0 ]; then
  echo "vigil tests: FAILED"
  exit 1
fi
echo "vigil tests: all passed"
