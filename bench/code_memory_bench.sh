#!/usr/bin/env bash
# code_memory_bench.sh: what compiled code costs a node, in one run.
#   bench/code_memory_bench.sh [BUILD_DIR] [MODULES] [REPS]
# 1. cold first call of 1 MiB modules of code (bench/big_module.py --call-all: main
#    calls all 1400 functions, so the compiler tier compiles every one on that call):
#    curl time_total of the first POST /services/3 right after upload, best and median
#    of REPS (default 7) distinct modules;
# 2. the enclave's resident memory (VmRSS, VmHWM) after MODULES (default 12) distinct
#    modules of 65,000 empty functions (bench/many_funcs.py; odd ones call them
#    directly, even ones through call_indirect) are uploaded and invoked by hash.
# A real esgxd + esgx-enclave from BUILD_DIR (default build) with --tier jit on
# loopback. Needs curl, wat2wasm, python3. Numbers depend on what else runs here.
set -euo pipefail
cd "$(dirname "$0")/.."
bdir=$(realpath "${1:-build}"); mods=${2:-12}; reps=${3:-7}
work=$(mktemp -d); pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
url=http://127.0.0.1:$port
"$bdir/esgxd" --data-dir "$work/node" --listen "127.0.0.1:$port" --init --tier jit 2> "$work/log" &
pid=$!
for _ in $(seq 100); do curl -sf "$url/health" 2>/dev/null | grep -q ready && break; sleep 0.1; done
tok=$(cat "$work/node/admin.token")
enc=$(pgrep -P $pid -x esgx-enclave | head -1)
kib() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }
upload() { curl -sf -H "Authorization: Bearer $tok" --data-binary @"$1" "$url/content" |
           python3 -c 'import json,sys; print(json.load(sys.stdin)["hash"])'; }
call() { curl -sf -o /dev/null -w '%{time_total}' "$url/services/3" --data "{\"hash\":\"$1\"}"; }

cold=()
for k in $(seq "$reps"); do
  python3 bench/big_module.py $((k + 1000)) --call-all > "$work/big.wat"
  wat2wasm "$work/big.wat" -o "$work/big.wasm"
  cold+=("$(call "$(upload "$work/big.wasm")")")
done
stats() { printf '%s\n' "$@" | sort -n |
          awk '{a[NR]=$1} END {printf "best %.1f ms, median %.1f ms", a[1]*1000, a[int((NR+1)/2)]*1000}'; }
echo "cold first call, $(stat -c %s "$work/big.wasm")-byte module calling all 1400 functions: $(stats "${cold[@]}") ($reps modules)"

echo "enclave idle before the many-function modules: VmRSS $(kib $enc VmRSS) KiB"
for k in $(seq "$mods"); do
  flag=; [ $((k % 2)) = 0 ] && flag=--indirect
  python3 bench/many_funcs.py "$k" "$work/m.wasm" $flag
  t=$(call "$(upload "$work/m.wasm")")
  echo "module $k of 65,000 functions${flag:+ (indirect)}: first call $(awk -v t="$t" 'BEGIN {printf "%.0f", t*1000}') ms, enclave VmRSS $(kib $enc VmRSS) KiB, VmHWM $(kib $enc VmHWM) KiB"
done
