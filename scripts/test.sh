#!/usr/bin/env bash
# The test command: sets up, builds the release, ASan+UBSan and ThreadSanitizer
# flavours, and runs every test under the first two with ctest, and under TSan the
# tests of the threaded parts: the node's C unit tests (supervisor, HTTP server, etcd
# and PCCS clients), the enclave's executor, channel and caches, the host calls, and
# the single-node end-to-end scripts and the 3-node cluster (the network's threads)
# (TSAN_TESTS below; not the wasm spec suite, which runs one thread per store and would
# take most of CI's time under TSan). ~3 min on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export ESGX_WERROR=1   # a warning fails the build here (and so in CI)
scripts/build.sh release
scripts/build.sh asan
scripts/build.sh tsan
jobs=$(nproc)
echo "== tests: release build"
ctest --test-dir build --output-on-failure -j"$jobs"
echo "== tests: ASan+UBSan build"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  ctest --test-dir build-asan --output-on-failure -j"$jobs"
echo "== tests: ThreadSanitizer build (threaded parts)"
# (not node_limits: it bounds esgxd's RSS, which under TSan includes its shadow memory,
# ~5x what the node maps)
TSAN_TESTS='^(common_unit|node_(supervisor|http_unit|etcd|pccs)|enclave_(exec|exec_trust|channel|modcache|keystore|netkey)|host_prices|node_(http|e2e|queue|names|logs|tier)|net_cluster)$'
# Reports go to files (the daemons' stderr is often a log a test deletes); any report
# fails the run, after every selected test has run.
tsan_logs=$PWD/build-tsan/tsan-reports
rm -rf "$tsan_logs" && mkdir -p "$tsan_logs"
tsan_rc=0
TSAN_OPTIONS="log_path=$tsan_logs/report:second_deadlock_stack=1:history_size=4" \
  ctest --test-dir build-tsan --output-on-failure -j"$jobs" -R "$TSAN_TESTS" || tsan_rc=$?
if compgen -G "$tsan_logs/report*" >/dev/null; then
  cat "$tsan_logs"/report*
  echo "ThreadSanitizer: reports above (also in $tsan_logs)" >&2
  exit 1
fi
exit "$tsan_rc"
