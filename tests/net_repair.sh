#!/usr/bin/env bash
# net_repair: a flipped byte in a stored file is repaired from the network, with real
# processes on loopback: etcd (Debian etcd-server) and two esgxd nodes on the sim
# platform (node1 --init), both holding an uploaded module (--replicas 2).
#  1. one byte of node2's stored copy flipped: an invocation on node2 answers 200 (the
#     host found the mismatch, removed the file, fetched a good copy from node1 and
#     sent that to the enclave); node2's file is good again and the corruption logged
#  2. flipped again: GET /content/<hash> from node2 as a peer answers 404, never the
#     corrupt bytes; asked by a client, it repairs the copy and serves the good bytes
set -u
SRC=${ESGX_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${ESGX_BUILD_DIR:-$SRC/build}
ESGX=$BUILD/esgx
source "$SRC/tests/net_lib.sh"
net_test_begin repair etcd etcdctl curl python3
jget() { python3 -c 'import json,sys; v=json.load(sys.stdin).get(sys.argv[1]); print("" if v is None else v)' "$1"; }

start_node() { net_node_start "$1" --max-content 2M --fetch-timeout 3 "${@:2}"; }
flip() {   # flip FILE: one byte changed in place
    local b
    b=$(od -An -tx1 -j8 -N1 "$1" | tr -d ' ')
    printf "\\x$(printf '%02x' $((0x$b ^ 0x40)))" | dd of="$1" bs=1 seek=8 conv=notrunc status=none
    ! cmp -s "$1" "$T/mod.wasm" || fail "flip did not change $1"
}

etcd_cluster 1 || fail "etcd did not start"
"$ESGX" sim init "$T/sim" >/dev/null || fail "esgx sim init"
start_node 1 --init --replicas 2
wait_ready 1
start_node 2 --network-key "$(cat "$T/node1/network_key")" --replicas 2
wait_ready 2
TOKEN=$(cat "$T/node1/admin.token")

cp "$BUILD/examples/echo.wasm" "$T/mod.wasm"
[ "$(status -X POST "$(url 1)/content" -H "Authorization: Bearer $TOKEN" --data-binary @"$T/mod.wasm")" = 200 ] ||
    fail "upload"
H=$(jget hash <"$T/body")
[ "$(jget replicas <"$T/body")" = 2 ] || fail "upload acknowledged with replicas=$(jget replicas <"$T/body"), want 2"
STORED=$T/node2/content/$H
for _ in $(seq 1 50); do cmp -s "$STORED" "$T/mod.wasm" && break; sleep 0.1; done
cmp -s "$STORED" "$T/mod.wasm" || fail "node2 does not hold the module"

# ---------------------------------------------------------------- 1. invoke repairs
flip "$STORED"
[ "$(status "$(url 2)/services/3" -d "{\"hash\":\"$H\",\"input\":\"repaired\"}")" = 200 ] ||
    fail "invoke on the node with the corrupt copy: $(cat "$T/body")"
grep -q repaired "$T/body" || fail "invoke output"
cmp -s "$STORED" "$T/mod.wasm" || fail "node2's copy is not good again"
grep -q "stored content .*$H was corrupt" "$T/node2.log" || fail "corruption not logged"
ok "a flipped byte is repaired: invoke on the corrupted node answers 200, its copy is good again"

# ---------------------------------------------------------------- 2. GET never serves it
flip "$STORED"
[ "$(status -H 'X-Esgx-Peer-Fetch: 1' "$(url 2)/content/$H")" = 404 ] ||
    fail "a peer's GET of the corrupt copy: HTTP $(cat "$T/body" | head -c 100)"
flip_gone=1; [ -e "$STORED" ] && ! cmp -s "$STORED" "$T/mod.wasm" && flip_gone=0
[ $flip_gone = 1 ] || fail "the corrupt copy is still in content/"
[ "$(status "$(url 2)/content/$H")" = 200 ] || fail "a client's GET after the corruption"
cmp -s "$T/body" "$T/mod.wasm" || fail "GET served other bytes than the module"
cmp -s "$STORED" "$T/mod.wasm" || fail "node2's copy is not good again after GET"
ok "GET /content never serves a corrupt copy: 404 to a peer, repaired for a client"
echo "net_repair: all ok"
