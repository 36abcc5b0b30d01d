#!/usr/bin/env bash
# net_etcd_member: one hung etcd member cannot make a node's view silently stale
# (docs/network.md "Names and health"), with real processes on loopback: a 3-member
# etcd cluster and two esgxd nodes (sim). A watch stream stays open on one member; a
# SIGSTOPped member keeps its TCP connections up and sends nothing. For each member in
# turn: SIGSTOP it, deploy a new name through node1, and node2's view must have the
# name (GET /functions, which lists the view: a lookup of the one name could read etcd
# on a miss) within a few seconds while the member still hangs: its
# watch, if it was on that member, is cut when a call to that member fails and moves on
# (esgx_etcd_watch_cuts_total counts it). Then SIGCONT and both nodes are healthy.
# On the old code the watch stayed on the hung member and the name never came.
set -u
SRC=${ESGX_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${ESGX_BUILD_DIR:-$SRC/build}
ESGX=$BUILD/esgx
source "$SRC/tests/net_lib.sh"
net_test_begin member etcd curl
as() { XDG_CONFIG_HOME=$T/config "$ESGX" "$@" >"$T/out" 2>"$T/err" </dev/null; }
ms() { echo $(( $(date +%s%N) / 1000000 )); }
metric() { curl -s -m 5 "$(url "$1")/metrics" | sed -n "s/^$2 \([0-9]*\)$/\1/p"; }
STOPPED=""
trap '[ -n "$STOPPED" ] && kill -CONT "${NET_PIDS[etcd-$STOPPED]}" 2>/dev/null; net_test_cleanup' EXIT

net_two_nodes
as functions deploy --name w0 --path "$BUILD/examples/hello.wasm" --no-encrypt \
    || fail "deploy w0: $(cat "$T/err")"
for _ in $(seq 1 50); do [ "$(status "$(url 2)/functions/w0")" = 200 ] && break; sleep 0.1; done
[ "$(status "$(url 2)/functions/w0")" = 200 ] || fail "node2 does not see w0"
ok "two nodes on three etcd members; node2 sees a deploy made through node1"

for m in e1 e2 e3; do
    kill -STOP "${NET_PIDS[etcd-$m]}" || fail "SIGSTOP $m"
    STOPPED=$m
    deployed=0
    for _ in 1 2 3 4 5 6; do   # a deploy whose call landed on the hung member may time out
        if as functions deploy --name "w$m" --path "$BUILD/examples/hello.wasm" --no-encrypt; then
            deployed=1
            break
        fi
        sleep 0.5
    done
    [ "$deployed" = 1 ] || fail "$m hung: deploy of w$m through node1 failed: $(cat "$T/err")"
    t0=$(ms)
    until curl -s -m 3 -H "Authorization: Bearer $TOKEN" "$(url 2)/functions" | grep -q "\"w$m\""; do
        [ $(( $(ms) - t0 )) -lt 12000 ] ||
            fail "$m hung: node2 still lacks w$m 12 s after its deploy (a stale view)"
        sleep 0.2
    done
    took=$(( $(ms) - t0 ))
    kill -CONT "${NET_PIDS[etcd-$m]}" || fail "SIGCONT $m"
    STOPPED=""
    ok "$m hung: node2's view has w$m ${took} ms after its deploy"
    for i in 1 2; do
        t0=$(ms)
        until [ "$(status "$(url $i)/health")" = 200 ]; do
            [ $(( $(ms) - t0 )) -lt 20000 ] || fail "node$i not healthy 20 s after $m came back"
            sleep 0.2
        done
    done
done
c1=$(metric 1 esgx_etcd_watch_cuts_total) c2=$(metric 2 esgx_etcd_watch_cuts_total)
[ -n "$c1" ] && [ -n "$c2" ] || fail "/metrics lacks esgx_etcd_watch_cuts_total"
cuts=$(( c1 + c2 ))
[ "$cuts" -ge 1 ] || fail "no watch was cut, yet each member hung once (esgx_etcd_watch_cuts_total)"
ok "each member hung in turn; the nodes' watches were cut $cuts times and the views kept up"
echo "net_etcd_member: all checks passed"
