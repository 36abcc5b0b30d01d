#!/usr/bin/env bash
# node_code_memory.sh: a module author cannot exhaust the enclave's memory with many
# functions (docs/security.md). A real esgxd + esgx-enclave (--tier jit) on loopback
# gets 12 distinct modules of 65,000 empty functions each (bench/many_funcs.py, about
# 0.5 MB each; half call every function directly from main, half through
# call_indirect), uploaded and invoked by hash one after the other; after each call the
# enclave's peak resident memory (VmHWM of /proc/PID/status) must stay under 512 MiB.
# The code that mapped each compiled function on pages of its own took ~275 MB per
# such module (3.38 GB for the 12); packed code, bounded per module, and counted by the
# module cache keeps the enclave near its idle size. Every call must still run all
# 65,000 functions (fuel_used as on the interpreter: what the bound leaves to the
# interpreter runs the same).
. "$(dirname "$0")/node_lib.sh"
need python3
[ -x "$ENCLAVE" ] || { echo "skip: $ENCLAVE not built" >&2; exit 77; }
LIMIT_KIB=$((512 * 1024))

start_node n --init --tier jit
TOK=$(cat "$T/n/admin.token")
AUTH=(-H "Authorization: Bearer $TOK")
ENC_PID=
for _ in $(seq 1 100); do
    ENC_PID=$(pgrep -P "$NODE_PID" -x esgx-enclave | head -1)
    [ -n "$ENC_PID" ] && break
    sleep 0.1
done
[ -n "$ENC_PID" ] || fail "no esgx-enclave process under esgxd $NODE_PID"
for _ in $(seq 1 300); do
    req GET /health --max-time 5
    grep -q '"ready"' "$T/body" && break
    sleep 0.1
done
kib() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$ENC_PID/status"; }
echo "enclave $ENC_PID idle: VmRSS $(kib VmRSS) KiB"

# A sanitizer build's allocator adds redzones to each of the many small allocations and
# keeps freed memory in quarantine: the memory bound is checked in release builds only
# (as node_limits and node_hostile do); the flow and the fuel are checked in every build.
check_rss=1
case "$BUILD" in *asan*|*tsan*) check_rss=0; echo "note: RSS not checked in a sanitizer build" ;; esac

for k in $(seq 1 12); do
    flag=
    [ $((k % 2)) = 0 ] && flag=--indirect
    python3 "$SRC/bench/many_funcs.py" "$k" "$T/m$k.wasm" $flag || fail "many_funcs.py $k"
    req POST /content --max-time 60 "${AUTH[@]}" --data-binary @"$T/m$k.wasm"; expect 200
    h=$(json hash < "$T/body")
    req POST /services/3 --max-time 120 -d "{\"hash\":\"$h\"}"; expect 200
    # every function ran: the fuel of 65,000 calls (the same on both tiers)
    fuel=260001
    [ -n "$flag" ] && fuel=780001
    [ "$(json fuel_used < "$T/body")" = "$fuel" ] ||
        fail "module $k: fuel_used $(json fuel_used < "$T/body"), expected $fuel"
    rss=$(kib VmRSS) hwm=$(kib VmHWM)
    echo "module $k ($(stat -c %s "$T/m$k.wasm") bytes${flag:+, indirect}): VmRSS $rss KiB, VmHWM $hwm KiB"
    [ "$check_rss" = 0 ] || [ "$hwm" -lt "$LIMIT_KIB" ] ||
        fail "the enclave's peak RSS is $hwm KiB after $k modules of 65,000 functions (limit $LIMIT_KIB KiB)"
done
if [ "$check_rss" = 1 ]; then
    ok "12 modules of 65,000 functions invoked by hash; enclave VmHWM $(kib VmHWM) KiB < $LIMIT_KIB KiB"
else
    ok "12 modules of 65,000 functions invoked by hash (sanitizer build: VmHWM $(kib VmHWM) KiB, not bounded)"
fi
# the node still answers with the cache at its bound
req POST /services/3 --max-time 60 -d "{\"hash\":\"$h\"}"; expect 200
ok "the last module again"
