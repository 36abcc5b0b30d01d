#!/usr/bin/env bash
# fuzz.sh: builds the fuzz flavour (scripts/build.sh fuzz: build-fuzz/, clang-19,
# ASan + UBSan + libFuzzer) and runs every libFuzzer target it produced (every
# executable build-fuzz/fuzz_*) in turn for SECONDS each (default 60) on one core.
#   scripts/fuzz.sh [SECONDS] [TARGET...]        (docs/fuzzing.md)
# Each target starts from a scratch copy of its committed seeds fuzz/corpus/TARGET/ (plus
# build-fuzz/fuzz/extra/TARGET/ when something put seeds there, e.g. lib/wasm/fuzz_run.sh)
# in build-fuzz/fuzz/TARGET/corpus, so the committed corpus stays small. Optional
# fuzz/TARGET.flags adds libFuzzer flags (after the default -timeout=30, so they win);
# fuzz/TARGET.dict is passed as -dict.
# Artifacts (crash-*, leak-*, timeout-*, oom-*) go to build-fuzz/fuzz/TARGET/artifacts/,
# the libFuzzer log to build-fuzz/fuzz/TARGET/log. Prints one line per target and exits
# 1 if any target left an artifact (or failed to run), 0 otherwise.
# Environment: FUZZ_BUILD=0 skips the build; FUZZ_BUILD_DIR (default build-fuzz);
# FUZZ_FLAGS extra libFuzzer flags for every target.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
secs=${1:-60}
shift || true
case $secs in ''|*[!0-9]*) echo "usage: scripts/fuzz.sh [SECONDS] [TARGET...]" >&2; exit 2 ;; esac
bdir=${FUZZ_BUILD_DIR:-$root/build-fuzz}
if [ "${FUZZ_BUILD:-1}" != 0 ]; then
  [ "$bdir" = "$root/build-fuzz" ] || { echo "fuzz.sh: FUZZ_BUILD_DIR needs FUZZ_BUILD=0" >&2; exit 2; }
  scripts/build.sh fuzz
fi

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for f in "$bdir"/fuzz_*; do
    [ -f "$f" ] && [ -x "$f" ] && targets+=("$(basename "$f")")
  done
fi
[ ${#targets[@]} -gt 0 ] || { echo "fuzz.sh: no fuzz_* targets in $bdir" >&2; exit 1; }

# one line of final stats: "stat::name: value"
final_stat() { sed -n "s/^stat::$1: *//p" "$2" | tail -n 1; }

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
export ESGX_BLAKE3_IMPL=${ESGX_BLAKE3_IMPL:-portable}
failed=0
printf '%-20s %6s %8s %12s %9s %7s %7s  %s\n' target seconds cpu_s executions exec/s seeds corpus findings
for t in "${targets[@]}"; do
  bin=$bdir/$t work=$bdir/fuzz/$t
  [ -x "$bin" ] || { echo "fuzz.sh: $bin is not built" >&2; failed=1; continue; }
  rm -rf "$work"
  mkdir -p "$work/corpus" "$work/artifacts"
  [ -d "fuzz/corpus/$t" ] && cp -r "fuzz/corpus/$t/." "$work/corpus/"
  seeds=$(find "$work/corpus" -type f | wc -l)
  extra=()
  [ -d "$bdir/fuzz/extra/$t" ] && extra=("$bdir/fuzz/extra/$t")
  flags=(-timeout=30)   # a hang is a finding; fuzz/TARGET.flags may say otherwise
  # shellcheck disable=SC2207
  [ -f "fuzz/$t.flags" ] && flags+=($(grep -v '^#' "fuzz/$t.flags"))
  [ -f "fuzz/$t.dict" ] && flags+=("-dict=$root/fuzz/$t.dict")
  # shellcheck disable=SC2206
  [ -n "${FUZZ_FLAGS:-}" ] && flags+=($FUZZ_FLAGS)
  start=$(date +%s)
  rc=0
  # the CPU time of the fuzzer alone: bash's time keyword on the one command
  { TIMEFORMAT='%U %S'; time "$bin" "$work/corpus" "${extra[@]}" -max_total_time="$secs" \
      -artifact_prefix="$work/artifacts/" -print_final_stats=1 "${flags[@]}" \
      > "$work/log" 2>&1 || rc=$?; } 2> "$work/cpu"
  wall=$(( $(date +%s) - start ))
  cpu=$(awk '{ printf "%.0f", $1 + $2 }' "$work/cpu")
  execs=$(final_stat number_of_executed_units "$work/log")
  rate=$(final_stat average_exec_per_sec "$work/log")
  size=$(find "$work/corpus" -type f | wc -l)
  finds=$(find "$work/artifacts" -type f \( -name 'crash-*' -o -name 'leak-*' -o \
          -name 'timeout-*' -o -name 'oom-*' \) | wc -l)
  what="none"
  if [ "$finds" -gt 0 ]; then
    what="$finds in $work/artifacts"
    failed=1
  elif [ "$rc" -ne 0 ]; then
    what="exit $rc, see $work/log"
    failed=1
  fi
  printf '%-20s %6s %8s %12s %9s %7s %7s  %s\n' "$t" "$wall" "$cpu" "${execs:-?}" \
    "${rate:-?}" "$seeds" "$size" "$what"
done
exit "$failed"
