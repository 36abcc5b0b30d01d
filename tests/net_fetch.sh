#!/usr/bin/env bash
# net_fetch: fetches run on the network's bounded fetch pool and no request waits on a
# peer for a thread (docs/network.md "Fetching"), with real processes on loopback: etcd,
# two esgxd nodes on the sim platform (--replicas 1, --fetch-timeout 20) and a python
# "drip" server (tests/drip_server.py: 2 bytes/s) registered in etcd as a fake member.
# Four items uploaded with the token (so authorised: the fetch is really attempted) are
# made held by the drip member only; one module M is held by node2 only.
#  1. while 5 anonymous GET /content and 2 invocations of the drip items are in flight
#     on node1: /health answers in < 1 s, and a cold invocation of M (node1 fetches it
#     from node2) answers 200 in < 8 s (the old code: each HTTP thread and the single
#     content thread waited for the drip, 20 s per fetch)
#  2. the drip requests end with 502 fetch_failed long before --fetch-timeout (the
#     minimum rate drops the source), with one transfer per hash however many asked
#  3. a random hash (with a fake holders/ entry naming the drip member) costs no
#     transfer: 404 at once, the drip server asked nothing more
#  4. a node stopped while a request waits for a drip fetch exits at once, status 0
set -u
SRC=${ESGX_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${ESGX_BUILD_DIR:-$SRC/build}
ESGX=$BUILD/esgx
source "$SRC/tests/net_lib.sh"
net_test_begin fetch etcd etcdctl curl python3
jget() { python3 -c 'import json,sys; v=json.load(sys.stdin).get(sys.argv[1]); print("" if v is None else v)' "$1"; }
starts() { cat "$T/drip.log" 2>/dev/null | grep -c "^start${1:+ /content/$1}"; }
under() { awk -v t="$1" -v m="$2" 'BEGIN { exit !(t < m) }'; }   # under SECONDS MAX

python3 "$SRC/tests/drip_server.py" "$T/drip.log" "$T/drip.port" 2>"$T/drip.err" &
HELPERS+=($!)
for _ in $(seq 1 50); do [ -s "$T/drip.port" ] && break; sleep 0.1; done
[ -s "$T/drip.port" ] || fail "the drip server did not start"
DRIP=http://127.0.0.1:$(cat "$T/drip.port")

start_node() { net_node_start "$1" --replicas 1 --fetch-timeout 20 "${@:2}"; }
etcd_cluster 1 || fail "etcd did not start"
"$ESGX" sim init "$T/sim" >/dev/null || fail "esgx sim init"
start_node 1 --init
wait_ready 1
start_node 2 --network-key "$(cat "$T/node1/network_key")"
wait_ready 2
TOKEN=$(cat "$T/node1/admin.token")
E=(etcdctl --endpoints "$ETCD_ENDPOINTS")

upload() {   # upload FILE: to node2 with the token; prints the hash
    [ "$(status -X POST "$(url 2)/content" -H "Authorization: Bearer $TOKEN" \
         --data-binary @"$1")" = 200 ] || fail "upload of $1"
    jget hash <"$T/body"
}
D=()
for i in 1 2 3 4; do
    head -c 3000 /dev/urandom >"$T/drip$i"
    D+=("$(upload "$T/drip$i")")
done
cp "$BUILD/examples/echo.wasm" "$T/mod.wasm"
M=$(upload "$T/mod.wasm")
[ ! -e "$T/node1/content/$M" ] || fail "node1 holds M already (want it cold)"
# the drip items: held by the drip member only (their entries keep node2's valid auth);
# the drip holder comes before node2's copy and record go, so no node ever sees an item
# held by nobody (its replicator would fetch it from node2 meanwhile)
"${E[@]}" put /esgx/members/drip "{\"id\":\"drip\",\"url\":\"$DRIP\",\"peer\":\"\"}" >/dev/null ||
    fail "etcdctl put members/drip"
N2=$(cat "$T/node2/node.id")
for h in "${D[@]}"; do
    "${E[@]}" put "/esgx/holders/$h/drip" '{"since":0}' >/dev/null || fail "etcdctl put holders"
    rm -f "$T/node2/content/$h"
    "${E[@]}" del "/esgx/holders/$h/$N2" >/dev/null
done
sleep 0.5   # the watch brings it to node1's view
for h in "${D[@]}"; do [ ! -e "$T/node1/content/$h" ] || fail "node1 holds a drip item already"; done

# ---------------------------------------------------------------- 1. nothing waits
t_start=$(date +%s.%N)
for i in 0 1 2 3; do
    curl -s -m 90 -o "$T/get$i.body" -w '%{http_code} %{time_total}' \
        "$(url 1)/content/${D[$i]}" >"$T/get$i.res" &
done
curl -s -m 90 -o "$T/get4.body" -w '%{http_code} %{time_total}' \
    "$(url 1)/content/${D[2]}" >"$T/get4.res" &   # a second asker of D[2]
for i in 0 1; do
    curl -s -m 90 -o "$T/inv$i.body" -w '%{http_code} %{time_total}' "$(url 1)/services/3" \
        -d "{\"hash\":\"${D[$i]}\",\"input\":\"x\"}" >"$T/inv$i.res" &
done
for _ in $(seq 1 50); do   # (a node that serialises its fetches never gets there)
    [ "$(starts)" -ge 4 ] && break
    sleep 0.1
done
[ "$(starts)" -ge 1 ] || fail "node1 did not start fetching from the drip member"
echo "# $(starts) drip transfers in flight"
read -r code secs < <(curl -s -m 30 -o "$T/body" -w '%{http_code} %{time_total}' "$(url 1)/health")
[ "$code" = 200 ] || fail "/health during the drip fetches: HTTP $code"
under "$secs" 1 || fail "/health took $secs s while 4 drip fetches were in flight (want < 1 s)"
ok "/health answers in ${secs}s while drip-fed fetches are in flight"
read -r code secs < <(curl -s -m 60 -o "$T/body" -w '%{http_code} %{time_total}' \
    "$(url 1)/services/3" -d "{\"hash\":\"$M\",\"input\":\"cold call\"}")
[ "$code" = 200 ] || fail "the cold invocation of M during the drip fetches: HTTP $code"
grep -q "cold call" "$T/body" || fail "the cold invocation's output"
under "$secs" 8 || fail "the cold invocation of M took $secs s behind the drip fetches (want < 8 s)"
[ -e "$T/node1/content/$M" ] || fail "node1 did not store M"
ok "a cold invocation fetched from a real peer answers in ${secs}s behind the drip"

# ---------------------------------------------------------------- 2. drips end, bounded
wait_res() {   # wait_res FILE: until curl wrote it (100 s at most)
    for _ in $(seq 1 1000); do [ -s "$1" ] && return 0; sleep 0.1; done
    fail "no answer in $1"
}
for f in get0 get1 get2 get3 get4 inv0 inv1; do
    wait_res "$T/$f.res"
    read -r code secs <"$T/$f.res"
    [ "$code" = 502 ] || fail "$f: want 502 fetch_failed, got $code $(head -c 300 "$T/$f.body")"
    grep -q fetch_failed "$T/$f.body" || fail "$f: $(head -c 300 "$T/$f.body")"
    under "$secs" 12 || fail "$f took $secs s: the drip source was not dropped for its rate"
done
# node1 logs each failed transfer once ("fetch of H: ..."); node2's replicator may ask the
# drip for the same items meanwhile, so the drip's own log cannot tell the askers apart
n=$(grep -c "fetch of ${D[2]}" "$T/node1.log")
[ "$n" = 1 ] || fail "two askers of one hash made $n transfers (want 1)"
ok "drip-fed fetches end with 502 fetch_failed within 12 s, one transfer per hash"

# ---------------------------------------------------------------- 3. random hashes
R=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
"${E[@]}" put "/esgx/holders/$R/drip" '{"since":0}' >/dev/null || fail "etcdctl put holders"
sleep 0.3
read -r code secs < <(curl -s -m 30 -o "$T/body" -w '%{http_code} %{time_total}' "$(url 1)/content/$R")
[ "$code" = 404 ] || fail "a random hash: want 404, got $code"
under "$secs" 1 || fail "a random hash took $secs s"
[ "$(starts "$R")" = 0 ] || fail "a random hash made a transfer"
ok "a random hash: 404 at once, no transfer"

# ---------------------------------------------------------------- 4. stop mid-fetch
before=$(starts)
curl -s -m 60 -o "$T/stop.body" -w '%{http_code}' "$(url 1)/content/${D[0]}" >"$T/stop.res" &
for _ in $(seq 1 50); do [ "$(starts)" -gt "$before" ] && break; sleep 0.1; done
[ "$(starts)" -gt "$before" ] || fail "no transfer for the request before the stop"
t0=$(date +%s.%N)
kill -TERM "${NODE_PID[1]}"
wait "${NODE_PID[1]}"
rc=$?
secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.2f", b-a}')
unset "NODE_PID[1]"
[ "$rc" = 0 ] || fail "node1 exited with status $rc when stopped during a fetch"
under "$secs" 10 || fail "node1 took $secs s to stop during a fetch"
wait_res "$T/stop.res"
ok "a node stopped during a fetch exits at once (${secs}s, status 0); its client got HTTP $(cat "$T/stop.res")"
echo "net_fetch: all ok ($(awk -v a="$t_start" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}') s)"
