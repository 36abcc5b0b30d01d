#!/usr/bin/env bash
# Configures and builds one flavour: release (build/), asan (build-asan/: ASan+UBSan),
# tsan (build-tsan/: ThreadSanitizer) or fuzz (build-fuzz/; without the web console: it
# fuzzes the request handling, and needs no node).
#   scripts/build.sh [release|asan|tsan|fuzz]
set -euo pipefail
cd "$(dirname "$0")/.."
flavour="${1:-release}"
case "$flavour" in
  release) dir=build;      args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo) ;;
  asan)    dir=build-asan; args=(-DCMAKE_BUILD_TYPE=Debug -DESGX_SANITIZE=ON) ;;
  tsan)    dir=build-tsan; args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DESGX_TSAN=ON) ;;
  fuzz)    dir=build-fuzz; args=(-DCMAKE_BUILD_TYPE=Debug -DESGX_FUZZ=ON -DESGX_CONSOLE=OFF
                                 -DCMAKE_C_COMPILER=clang-19) ;;
  *) echo "usage: scripts/build.sh [release|asan|tsan|fuzz]" >&2; exit 2 ;;
esac
# ESGX_WERROR=1 (set by scripts/test.sh, so CI): warnings are errors.
args+=(-DESGX_WERROR="$([ "${ESGX_WERROR:-0}" = 1 ] && echo ON || echo OFF)")
cmake -S . -B "$dir" -G Ninja "${args[@]}" >/dev/null
cmake --build "$dir"
