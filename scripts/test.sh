#!/usr/bin/env bash
# The test command: sets up, builds the release and the ASan+UBSan flavours, and runs
# every test under both with ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export ESGX_WERROR=1   # a warning fails the build here (and so in CI)
scripts/build.sh release
scripts/build.sh asan
jobs=$(nproc)
echo "== tests: release build"
ctest --test-dir build --output-on-failure -j"$jobs"
echo "== tests: ASan+UBSan build"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  ctest --test-dir build-asan --output-on-failure -j"$jobs"
