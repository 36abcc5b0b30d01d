#!/usr/bin/env bash
# node_latency.sh: the latency histograms of GET /metrics against a real esgxd on
# 127.0.0.1 with one enclave worker (docs/http-api.md, "GET /metrics"):
#   - three slow invocations sent at once (a guest spinning on host calls until its fuel,
#     4e9 at the host-call prices of docs/guest-abi.md,
#     runs out, a few tenths of a second each) run one after the other: the histogram
#     esgx_invocation_run_seconds sees each run, and esgx_invocation_queue_seconds sees
#     that two of them waited for the worker;
#   - the histograms are well formed (cumulative buckets ending in +Inf = _count) and
#     every metric has # HELP and # TYPE lines.
. "$(dirname "$0")/node_lib.sh"
need wat2wasm

wat2wasm "$SRC/tests/guests/node_queue.wat" -o "$T/q.wasm" || fail "wat2wasm"
start_node lat --init --workers 1 --max-queue 8 --fuel 4000000000
TOKEN=$(cat "$T/lat/admin.token")
req POST /content -H "Authorization: Bearer $TOKEN" --data-binary @"$T/q.wasm"; expect 200
H=$(json hash < "$T/body")
req POST /services/3 --data "{\"hash\":\"$H\",\"function\":\"main\"}"; expect 200   # compiled, cached

PIDS=()
for i in 1 2 3; do   # out of fuel after a few tenths of a second each; one worker
    curl -s -m 60 -o "$T/busy$i" -X POST "$URL/services/3" \
        --data "{\"hash\":\"$H\",\"function\":\"busy\"}" &
    PIDS+=($!)
done
for p in "${PIDS[@]}"; do wait "$p"; done
for i in 1 2 3; do grep -q out_of_fuel "$T/busy$i" || fail "busy $i: $(head -c 300 "$T/busy$i")"; done

req GET /metrics; expect 200
cp "$T/body" "$T/metrics"
# value NAME_WITH_LABELS: the sample's value
value() { awk -v k="$1" '$1 == k { print $2 }' "$T/metrics"; }
for h in esgx_invocation_queue_seconds esgx_invocation_run_seconds; do
    grep -q "^# TYPE $h histogram$" "$T/metrics" || fail "no histogram $h"
    count=$(value "${h}_count")
    [ "$count" = 4 ] || fail "$h counts $count invocations, not 4"
    [ "$(value "${h}_bucket{le=\"+Inf\"}")" = "$count" ] || fail "$h: +Inf bucket is not _count"
    prev=0
    for v in $(grep "^${h}_bucket" "$T/metrics" | awk '{print $2}'); do
        [ "$v" -ge "$prev" ] || fail "$h buckets are not cumulative"
        prev=$v
    done
done
# three runs of some tenths of a second: at most the quick main run is under 0.1 s
[ "$(value 'esgx_invocation_run_seconds_bucket{le="0.1"}')" -le 1 ] ||
    fail "the slow runs are not in the run histogram"
# one worker: two of the three slow calls waited while another ran
[ "$(value 'esgx_invocation_queue_seconds_bucket{le="0.1"}')" -le 2 ] ||
    fail "the queue histogram does not show two waits"
ok "latency histograms: each run seen, two waits seen, buckets cumulative"
for m in $(sed -n 's/^# TYPE \([a-z_]*\) .*/\1/p' "$T/metrics"); do
    grep -q "^# HELP $m " "$T/metrics" || fail "$m has no # HELP line"
done
ok "every metric has # HELP and # TYPE"
