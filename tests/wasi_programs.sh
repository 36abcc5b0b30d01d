#!/usr/bin/env bash
# wasi_programs.sh: real WASI programs built by others run unchanged through `esgx run`
# and give what their own project documents (tests/data/wasi/README.md: wasm3's WASI
# tests, under both module names wasi_snapshot_preview1 and wasi_unstable, with argv
# after "--" and the input as stdin); a threads module is refused naming threads, and
# imports of other lacking features (sockets, C++ exceptions) are named too; our probe
# (tests/guests/wasi_probe.c, built with clang-19 --target=wasm32-wasi when present) sees
# argv, an empty environment, stdio as regular files (not terminals: brotli writes
# without -f), no files, proc_exit's code, and sleeps that are virtual and paid in fuel
# (a long one runs out of fuel at once instead of holding the worker);
# tests/guests/wasi_unstable.wat checks the preview 0 layouts.
set -u
SRC=${ESGX_SOURCE_DIR:?}
BUILD=${ESGX_BUILD_DIR:?}
ESGX=$BUILD/esgx
D=$SRC/tests/data/wasi
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export XDG_CONFIG_HOME=$T/config
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
pass() { echo "ok: $*"; }
# run ARGS...: esgx run with a deadline; stdout in $T/out, stderr in $T/err, status in $rc
run() {
    timeout 120 "$ESGX" run "$@" >"$T/out" 2>"$T/err"
    rc=$?
}
# sha NAME WANT ARGS...: the SHA-1 of stdout of `esgx run ARGS` is WANT
sha() {
    local name=$1 want=$2
    shift 2
    run "$@"
    local got
    got=$(sha1sum <"$T/out" | cut -d' ' -f1)
    if [ "$rc" = 0 ] && [ "$got" = "$want" ]; then pass "$name: sha1 $got as wasm3 documents"
    else fail "$name: exit $rc, sha1 $got, want $want; stderr: $(head -c 300 "$T/err")"; fi
}

# --- wasm3's test/run-wasi-test.py (commands_fast), as they are
sha "brotli (wasi_unstable, stdin, argv)" 0e8af02a7207c0c617d7d38eed92853c4a619987 \
    "$D/wasm3/brotli.wasm" --input-file "$D/wasm3/alice29_small.txt" -- -c -f
# stdout is the answer, not a terminal: brotli writes without being forced
sha "brotli without -f" 0e8af02a7207c0c617d7d38eed92853c4a619987 \
    "$D/wasm3/brotli.wasm" --input-file "$D/wasm3/alice29_small.txt" -- -c
sha "c-ray" 05af9604bf352234276e4d64e84b8d666574316c \
    "$D/wasm3/c-ray.wasm" --input-file "$D/wasm3/scene" -- -s 32x32
sha "smallpt-ex" ea05d85998b2f453b588ef76a1256215bf9b851c "$D/wasm3/smallpt-ex.wasm" -- 4 32

# the simple test: wasm3's pattern, but for its `cat` (no files here)
run "$D/wasm3/test.wasm" -- cat ./wasi/simple/0.txt
pat='Hello world*Constructor OK*Args: *; cat; ./wasi/simple/0.txt;*fib(20) = 6765* ms*=== done ===*'
out=$(cat "$T/out")
# shellcheck disable=SC2053
if [ "$rc" = 0 ] && [[ "$out" == $pat ]] && grep -qx 'Cannot open ./wasi/simple/0.txt' "$T/out" &&
   grep -q '^Args: test.wasm; cat; ./wasi/simple/0.txt; $' "$T/out"; then
    pass "simple test: wasm3's pattern, argv[0] the module's file name, no files"
else
    fail "simple test: exit $rc, output: $(head -c 400 "$T/out")"
fi

# raymarcher: 100 frames with usleep(20000) between: 2 s of sleep, paid in fuel
# (2*10^9 of it); the default fuel (10^9) cannot pay for it
run "$D/wasm3/raymarcher.wasm" --fuel 10000000000 --json
if [ "$rc" = 0 ] && python3 - "$T/out" <<'PY'; then
import json, sys
d = json.load(open(sys.argv[1]))
out = d["output"]
assert out.count("\x1b[H") >= 100 or len(out) == 324000, len(out)
assert d["fuel_used"] >= 2_000_000_000, d["fuel_used"]
PY
    pass "raymarcher: 100 frames, 2 s of sleep paid in fuel"
else
    fail "raymarcher: exit $rc: $(head -c 300 "$T/out") $(head -c 300 "$T/err")"
fi
run "$D/wasm3/raymarcher.wasm"
if [ "$rc" = 1 ] && grep -q "out_of_fuel" "$T/err"; then pass "raymarcher on the default fuel: out_of_fuel"
else fail "raymarcher on the default fuel: exit $rc, $(head -c 300 "$T/err")"; fi

# --- what esgx deliberately lacks is refused by name
run "$D/wamr/create_join.wasm"
if [ "$rc" = 1 ] && grep -q "threads" "$T/err"; then pass "WAMR's pthread create_join: refused naming threads"
else fail "create_join: exit $rc, $(cat "$T/err")"; fi
# lacking-feature imports are named wherever they are among the imports
for imp in 'env __cxa_throw|C++ exceptions' 'wasi_snapshot_preview1 sock_open|sockets' \
           'wasi thread-spawn|threads'; do
    mod=${imp%% *}; rest=${imp#* }; name=${rest%%|*}; what=${rest#*|}
    cat >"$T/lack.wat" <<EOF
(module
  (import "env" "malloc" (func (param i32) (result i32)))
  (import "$mod" "$name" (func (param i32)))
  (func (export "_start")))
EOF
    wat2wasm "$T/lack.wat" -o "$T/lack.wasm" || { fail "wat2wasm lack.wat"; continue; }
    run "$T/lack.wasm"
    if [ "$rc" = 1 ] && grep -q "unsupported import $mod.$name: $what" "$T/err"; then
        pass "import $mod.$name refused naming $what"
    else
        fail "import $mod.$name: exit $rc, $(cat "$T/err")"
    fi
done

# --- wasi_unstable's own layouts (fd_seek whence, filestat nlink, clock subscription)
if wat2wasm "$SRC/tests/guests/wasi_unstable.wat" -o "$T/unstable.wasm"; then
    run "$T/unstable.wasm" --input hello
    if [ "$rc" = 0 ] && [ "$(cat "$T/out")" = $'seek ok\nfilestat ok\npoll ok' ]; then
        pass "wasi_unstable: whence, filestat and subscription layouts"
    else
        fail "wasi_unstable layouts: exit $rc, $(cat "$T/out") $(head -c 300 "$T/err")"
    fi
else
    fail "wat2wasm wasi_unstable.wat"
fi

# --- our probe: what a C program sees
if command -v clang-19 >/dev/null && [ -f /usr/lib/wasm32-wasi/libc.a ]; then
    P=$T/probe.wasm
    clang-19 --target=wasm32-wasi -O2 -o "$P" "$SRC/tests/guests/wasi_probe.c" ||
        fail "cannot build wasi_probe.c"
    run "$P" --input hello -- one "two words"
    want='argc: 3
argv[0]: probe.wasm
argv[1]: one
argv[2]: two words
environ: 0
fd 0: regular, isatty 0
fd 1: regular, isatty 0
fd 2: regular, isatty 0
read stdin: 4 '"'hell'"'
stdin size: 5, seek end: 5
seek stdin set 1: 1
read after seek: '"'el'"'
seek stdout: -1 Invalid seek
open data.txt: -1 Capabilities insufficient
open /etc/passwd: -1 Capabilities insufficient
fopen out.txt w: NULL Capabilities insufficient
sched_yield: 0
poll stdin: 1 revents POLLIN'
    if [ "$rc" = 0 ] && [ "$(cat "$T/out")" = "$want" ]; then pass "probe: argv, environ, stdio, no files"
    else fail "probe: exit $rc; got:"; cat "$T/out"; head -c 300 "$T/err"; fi
    grep -q 'probe: to stderr' "$T/err" || fail "probe: stderr not in the debug log"
    run "$P" -- exit 3
    if [ "$rc" = 1 ] && grep -q "proc_exit: program exited with code 3" "$T/err"; then
        pass "proc_exit(3): the outcome names code 3"
    else fail "proc_exit 3: exit $rc, $(cat "$T/err")"; fi
    # a sleep advances the clocks and costs 1 fuel per ns
    run "$P" --json -- sleep 0
    f0=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["fuel_used"])' "$T/out")
    run "$P" --json -- sleep 50
    f50=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["fuel_used"])' "$T/out")
    if [ "$rc" = 0 ] && grep -q 'monotonic advanced >= sleep: yes' "$T/out" &&
       grep -q 'cpu clock advanced >= sleep: yes' "$T/out" &&
       [ $((f50 - f0)) -ge 50000000 ] && [ $((f50 - f0)) -lt 50100000 ]; then
        pass "nanosleep 50 ms: clocks advance, $((f50 - f0)) more fuel"
    else fail "nanosleep 50 ms: exit $rc, fuel $f0 -> $f50, $(cat "$T/out")"; fi
    # 5 s of sleep with the fuel to pay for it: answered in less than 5 s (virtual)
    start=$(date +%s%N)
    run "$P" --fuel 10000000000 -- sleep 5000
    ms=$(( ($(date +%s%N) - start) / 1000000 ))
    if [ "$rc" = 0 ] && grep -q 'monotonic advanced >= sleep: yes' "$T/out" && [ "$ms" -lt 5000 ]; then
        pass "5 s of sleep answered in $ms ms"
    else fail "5 s of sleep: exit $rc in $ms ms, $(cat "$T/out")"; fi
    # an hour's sleep on the default fuel: out of fuel at once, nothing held
    start=$(date +%s%N)
    run "$P" -- sleep 3600000
    ms=$(( ($(date +%s%N) - start) / 1000000 ))
    if [ "$rc" = 1 ] && grep -q out_of_fuel "$T/err" && [ "$ms" -lt 5000 ]; then
        pass "an hour's sleep: out_of_fuel in $ms ms"
    else fail "an hour's sleep: exit $rc in $ms ms, $(cat "$T/err")"; fi
else
    echo "skip: clang-19 or wasi-libc missing: the probe part is not run" >&2
fi

[ "$fails" = 0 ] || { echo "wasi_programs: $fails failure(s)"; exit 1; }
echo "wasi_programs: all passed"
