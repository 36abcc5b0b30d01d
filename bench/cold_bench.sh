#!/usr/bin/env bash
# cold_bench.sh: the cold path in-process, esgx beside V8: from a module's bytes in
# memory to the answer of its first call, phase by phase, best of ROUNDS interleaved.
#   bench/cold_bench.sh [BUILD_DIR] [ROUNDS]        (defaults: build, 15)
#   MODULES="big brotli" bench/cold_bench.sh        (the default: both)
# Modules: big = bench/big_module.py's 1 MiB module of code (main calls one function);
# brotli = tests/data/wasi/wasm3/brotli.wasm (a real C program, 705 KB, 291 KB of
# code), whose `_start` exits early: every import is a stub answering ENOSYS.
# Engines, each round in this order, one process per measurement (each warms up on a
# tiny module first, so a node's long-paid start-up costs are left out):
#   esgx interp / esgx jit   BUILD_DIR/cold_bench --tier ... (bench/cold_bench.c)
#   v8 liftoff / v8 default  node [--liftoff-only] bench/cold_v8.mjs
# Prints, per module and engine, the minimum of every figure over the rounds (ms; so a
# row's phases need not add up to its total), then the jit's machine code bytes per
# wasm byte with every function of big_module.py --call-all compiled.
# Needs node, python3, wat2wasm. Numbers depend on what else runs here.
set -euo pipefail
cd "$(dirname "$0")/.."
bdir=$(realpath "${1:-build}"); rounds=${2:-15}
mods=${MODULES:-big brotli}
bin=$bdir/cold_bench
[ -x "$bin" ] || { echo "cold_bench.sh: $bin missing (cmake --build $bdir)" >&2; exit 1; }
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
python3 bench/big_module.py 1 > "$work/big.wat"; wat2wasm "$work/big.wat" -o "$work/big.wasm"
python3 bench/big_module.py 1 --call-all > "$work/all.wat"; wat2wasm "$work/all.wat" -o "$work/all.wasm"
cp tests/data/wasi/wasm3/brotli.wasm "$work/brotli.wasm"
exp_of() { [ "$1" = brotli ] && echo _start || echo main; }

for r in $(seq "$rounds"); do
  for mod in $mods; do
    f=$work/$mod.wasm; e=$(exp_of "$mod")
    for t in interp jit; do
      echo "$mod esgx_$t $("$bin" --tier "$t" --export "$e" "$f")" >> "$work/rows"
    done
    echo "$mod v8_liftoff $(node --liftoff-only bench/cold_v8.mjs "$f" "$e")" >> "$work/rows"
    echo "$mod v8_default $(node bench/cold_v8.mjs "$f" "$e")" >> "$work/rows"
  done
done

for mod in $mods; do
  echo "== $mod ($(stat -c %s "$work/$mod.wasm") bytes), best of $rounds rounds, ms"
  awk -v m="$mod" '$1 == m {
      eng = $2; if (!(eng in seen)) { seen[eng] = 1; order[++ne] = eng }
      for (i = 3; i <= NF; i++) {
        split($i, kv, "="); k = kv[1]; v = kv[2]
        if (k == "tier") continue
        if (!((eng, k) in best) || v + 0 < best[eng, k]) best[eng, k] = v + 0
        if (!(k in kseen)) { kseen[k] = 1; keys[++nk] = k }
      }
    }
    END {
      for (e = 1; e <= ne; e++) {
        line = sprintf("%-11s", order[e])
        for (i = 1; i <= nk; i++)
          if ((order[e], keys[i]) in best) {
            v = best[order[e], keys[i]]
            line = line sprintf(" %s=%s", keys[i], v == int(v) ? v : sprintf("%.2f", v))
          }
        print line
      }
    }' "$work/rows"
done

echo "== jit code bytes, big_module.py --call-all (every function compiled)"
"$bin" --tier jit --call-all-time "$work/all.wasm"
