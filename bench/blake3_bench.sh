#!/usr/bin/env bash
# blake3_bench.sh [DIR]: single-thread BLAKE3 throughput of `esgx hash` against Debian's
# `b3sum --num-threads 1` (Rust, which uses AVX-512/AVX2 where present), on a 1 GiB file
# of random bytes kept in DIR (default /tmp) and reused across runs.
#
# Prints, for each, the best of 3 runs (hyperfine if installed, else date +%s%N) as
# MiB/s, the ratio esgx/b3sum, and esgx with each BLAKE3 implementation forced through
# ESGX_BLAKE3_IMPL. The file is read once first so both run from the page cache.
# Timing goals are never asserted: the machine may be shared, numbers are noisy.
#
# Environment: ESGX_BIN (default <repo>/build/esgx), B3SUM (default b3sum),
# BENCH_RUNS (default 3), BENCH_SIZE_MIB (default 1024).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
dir=${1:-/tmp}
esgx=${ESGX_BIN:-$root/build/esgx}
b3sum=${B3SUM:-b3sum}
runs=${BENCH_RUNS:-3}
size_mib=${BENCH_SIZE_MIB:-1024}
file=$dir/esgx_blake3_bench_${size_mib}m.bin

[ -x "$esgx" ] || { echo "blake3_bench: $esgx not built (set ESGX_BIN)" >&2; exit 1; }
command -v "$b3sum" >/dev/null || { echo "blake3_bench: $b3sum not installed" >&2; exit 1; }

want_bytes=$((size_mib * 1024 * 1024))
if [ ! -f "$file" ] || [ "$(stat -c %s "$file")" != "$want_bytes" ]; then
    echo "making $file ($size_mib MiB of random bytes)..."
    head -c "$want_bytes" /dev/urandom > "$file.tmp"
    mv "$file.tmp" "$file"
fi
cat "$file" > /dev/null   # into the page cache

# best_seconds CMD...: prints the best wall time of $runs runs, in seconds.
best_seconds() {
    if command -v hyperfine >/dev/null && command -v python3 >/dev/null; then
        local json
        json=$(mktemp)
        hyperfine -N --warmup 1 --runs "$runs" --export-json "$json" "$(printf '%q ' "$@")" \
            >/dev/null 2>&1
        python3 -c 'import json,sys; print("%.4f" % json.load(open(sys.argv[1]))["results"][0]["min"])' "$json"
        rm -f "$json"
        return
    fi
    local best="" t0 t1 ns
    for _ in $(seq "$runs"); do
        t0=$(date +%s%N)
        "$@" > /dev/null
        t1=$(date +%s%N)
        ns=$((t1 - t0))
        if [ -z "$best" ] || [ "$ns" -lt "$best" ]; then best=$ns; fi
    done
    awk -v ns="$best" 'BEGIN { printf "%.4f\n", ns / 1e9 }'
}

mibs() { awk -v s="$1" -v m="$size_mib" 'BEGIN { printf "%.0f", m / s }'; }

# Sanity: both must agree before timing means anything.
h1=$("$b3sum" --no-names "$file")
h2=$("$esgx" hash --no-names "$file")
if [ "$h1" != "$h2" ]; then
    echo "blake3_bench: MISMATCH b3sum $h1 esgx $h2" >&2
    exit 1
fi

echo "file: $file ($size_mib MiB), best of $runs runs, $(nproc) CPUs (shared machine: noisy)"
echo "timer: $(command -v hyperfine >/dev/null && echo hyperfine || echo 'date +%s%N')"
t_b3=$(best_seconds "$b3sum" --num-threads 1 "$file")
t_esgx=$(best_seconds "$esgx" hash "$file")
printf '%-34s %8s s %8s MiB/s\n' "b3sum --num-threads 1" "$t_b3" "$(mibs "$t_b3")"
printf '%-34s %8s s %8s MiB/s\n' "esgx hash (auto: default impl)" "$t_esgx" "$(mibs "$t_esgx")"
awk -v a="$t_esgx" -v b="$t_b3" 'BEGIN { printf "ratio esgx/b3sum throughput: %.2f\n", b / a }'

for impl in portable sse41 avx2 avx512; do
    # Skip an implementation this CPU lacks (esgx warns and falls back).
    if ESGX_BLAKE3_IMPL=$impl "$esgx" hash --no-names /dev/null 2>&1 >/dev/null |
        grep -q 'not supported'; then
        printf '%-34s %s\n' "esgx hash ESGX_BLAKE3_IMPL=$impl" "(not supported by this CPU)"
        continue
    fi
    t=$(ESGX_BLAKE3_IMPL=$impl best_seconds "$esgx" hash "$file")
    printf '%-34s %8s s %8s MiB/s\n' "esgx hash ESGX_BLAKE3_IMPL=$impl" "$t" "$(mibs "$t")"
done
