#!/usr/bin/env bash
# net_replicas: the replica count of an upload is real copies (docs/network.md
# "Placement"), with real processes on loopback: etcd (Debian etcd-server), three esgxd
# nodes on the sim platform (n1 --init, n2, n3; --replicas 2).
#  1. holders/<hash>/<id> entries written into etcd by hand before the uploads (no
#     proof, a made-up proof, a real node's proof of another hash, a non-member): each
#     upload's "replicas" is at most the nodes that really store it when it answers,
#     reaches 2, and the replicator made the second copy; each node logs the refusal
#  2. the node placement chooses first has a full disk (its content directory is a full
#     tmpfs; needs mount, else this part is skipped and says so): its record says
#     "store_ok": false, the item goes to the next ranked node, each upload answers
#     "replicas":2 with two real copies
#  3. a member in etcd that never stores (members/ghost, written by hand) ranked first
#     for an item: placement passes it over once it failed to hold the item, and the
#     item reaches two real copies
set -u
SRC=${ESGX_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${ESGX_BUILD_DIR:-$SRC/build}
ESGX=$BUILD/esgx
source "$SRC/tests/net_lib.sh"
net_test_begin replicas etcd etcdctl curl python3
MOUNTED=""
# the nodes stop before the tmpfs under node 3 is unmounted, then the usual cleanup
net_test_cleanup_mount() {
    stop_pids 10 "${NODE_PID[@]}"
    [ -n "$MOUNTED" ] && umount "$MOUNTED" 2>/dev/null
    net_test_cleanup
}
trap net_test_cleanup_mount EXIT
jget() { python3 -c 'import json,sys; v=json.load(sys.stdin).get(sys.argv[1]); print("" if v is None else v)' "$1"; }

start_node() { net_node_start "$1" --node-id "n$1" --replicas 2 --fetch-timeout 3 "${@:2}"; }
upload() {   # upload I FILE: the status; the answer in $T/body
    status -X POST "$(url "$1")/content" -H "Authorization: Bearer $TOKEN" --data-binary @"$2"
}
hash_of() { "$ESGX" hash "$1" | cut -c1-64; }
copies() {   # copies HASH: how many nodes store the file
    local c=0 i
    for i in 1 2 3; do [ -f "$T/node$i/content/$1" ] && c=$((c + 1)); done
    echo $c
}
# ranks_first HASH A B: whether node id A outranks B for HASH (rendezvous: the first 8
# bytes of SHA-256(hash || id), the higher first)
ranks_first() {
    python3 -c 'import hashlib,sys
h=bytes.fromhex(sys.argv[1])
s=lambda i: int.from_bytes(hashlib.sha256(h+i.encode()).digest()[:8],"big")
sys.exit(0 if s(sys.argv[2]) > s(sys.argv[3]) else 1)' "$@"
}
# item FILE A B: random bytes in FILE whose hash ranks node id A above B
item() {
    for _ in $(seq 1 64); do
        head -c 3000 /dev/urandom >"$1"
        ranks_first "$(hash_of "$1")" "$2" "$3" && return 0
    done
    fail "no random item ranks $2 above $3"
}
# wait_copies HASH N SECONDS: until N nodes store HASH
wait_copies() {
    local end=$((SECONDS + $3))
    while [ "$(copies "$1")" -lt "$2" ]; do
        [ $SECONDS -lt $end ] || return 1
        sleep 0.2
    done
}

etcd_cluster 1 || fail "etcd did not start"
E=(etcdctl --endpoints "$ETCD_ENDPOINTS")
"$ESGX" sim init "$T/sim" >/dev/null || fail "esgx sim init"
# node 3's content directory on a small tmpfs (filled in part 2), when mount is allowed
mkdir -p "$T/node3/content"
if mount -t tmpfs -o size=2m tmpfs "$T/node3/content" 2>/dev/null; then
    MOUNTED=$T/node3/content
fi
start_node 1 --init
wait_ready 1
NETKEY=$(cat "$T/node1/network_key")
start_node 2 --network-key "$NETKEY"
start_node 3 --network-key "$NETKEY"
wait_ready 2
wait_ready 3
TOKEN=$(cat "$T/node1/admin.token")
for _ in $(seq 1 50); do
    [ "$("${E[@]}" get /esgx/members/ --prefix --keys-only | grep -c members/)" = 3 ] && break
    sleep 0.2
done

# ---------------------------------------------------------------- 1. fake holders
# a real proof to replay: node 1's for an item it uploaded
head -c 2000 /dev/urandom >"$T/seed"
[ "$(upload 1 "$T/seed")" = 200 ] || fail "upload"
SEED=$(jget hash <"$T/body")
REAL_PROOF=$("${E[@]}" get "/esgx/holders/$SEED/n1" --print-value-only | jget proof)
[ ${#REAL_PROOF} = 64 ] || fail "node 1's holder entry has no proof: $("${E[@]}" get "/esgx/holders/$SEED/n1")"
FAKES=('{"since":1}'
       "{\"since\":1,\"proof\":\"$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')\"}"
       "{\"since\":1,\"proof\":\"$REAL_PROOF\"}")
for k in 0 1 2 3 4 5; do
    head -c 4000 /dev/urandom >"$T/f$k"
    h=$(hash_of "$T/f$k")
    fake=${FAKES[$((k % 3))]}
    # both other nodes "hold" it already, and a node that does not exist
    for id in n2 n3 ghost; do
        "${E[@]}" put "/esgx/holders/$h/$id" "$fake" >/dev/null || fail "etcdctl put"
    done
done
sleep 0.5
for k in 0 1 2 3 4 5; do
    h=$(hash_of "$T/f$k")
    [ "$(upload 1 "$T/f$k")" = 200 ] || fail "upload $k"
    r=$(jget replicas <"$T/body")
    c=$(copies "$h")
    [ "$r" -le "$c" ] || fail "upload $k acknowledged \"replicas\":$r with $c real copies (fake holders counted)"
    wait_copies "$h" 2 20 || fail "item $k has $(copies "$h") real copies after 20 s, want 2"
    [ "$r" = 2 ] || fail "upload $k acknowledged \"replicas\":$r, want 2 (its copies: $(copies "$h"))"
done
for i in 1 2 3; do
    grep -q "its proof is not the network's held MAC" "$T/node$i.log" ||
        fail "node$i did not log a refused holder entry"
done
ok "fake holders/ entries (no proof, a made-up one, a replayed one) are not counted: 6 uploads acknowledged 2 replicas with 2 real copies each"

# ---------------------------------------------------------------- 2. a full disk
if [ -z "$MOUNTED" ]; then
    echo "ok - # SKIP a full disk: mount -t tmpfs is not allowed here"
else
    dd if=/dev/zero of="$MOUNTED/.fill" bs=64k 2>/dev/null
    for k in 0 1 2; do
        item "$T/d$k" n3 n2   # node 3 is placement's first choice
        h=$(hash_of "$T/d$k")
        [ "$(upload 1 "$T/d$k")" = 200 ] || fail "upload $k (full disk)"
        r=$(jget replicas <"$T/body")
        c=$(copies "$h")
        [ "$r" -le "$c" ] || fail "full disk: upload $k acknowledged \"replicas\":$r with $c real copies"
        wait_copies "$h" 2 20 || fail "full disk: item $k has $(copies "$h") copies after 20 s, want 2"
        [ -f "$T/node2/content/$h" ] || fail "full disk: node 2 does not hold item $k"
        [ "$r" = 2 ] || fail "full disk: upload $k acknowledged \"replicas\":$r, want 2"
    done
    rec=$("${E[@]}" get /esgx/members/n3 --print-value-only)
    [ "$(printf '%s' "$rec" | jget store_ok)" = False ] ||
        fail "node 3's record does not say \"store_ok\": false: $rec"
    grep -q "store failed" "$T/node3.log" || fail "node 3 did not log its store failure"
    rm -f "$MOUNTED/.fill"
    ok "a node with a full disk says \"store_ok\": false; its items go to the next ranked node: 3 uploads acknowledged 2 replicas with 2 real copies"
fi

# ---------------------------------------------------------------- 3. a member that never stores
# members/ghost: a record in etcd with no node behind it, ranked above n2 and n3
"${E[@]}" put /esgx/members/ghost '{"id":"ghost","url":"http://127.0.0.1:9","peer":""}' >/dev/null
sleep 0.5
for _ in $(seq 1 64); do
    head -c 3000 /dev/urandom >"$T/g"
    h=$(hash_of "$T/g")
    ranks_first "$h" ghost n2 && ranks_first "$h" ghost n3 && break
done
[ "$(upload 1 "$T/g")" = 200 ] || fail "upload (ghost member)"
c=$(copies "$h")
[ "$(jget replicas <"$T/body")" -le "$c" ] || fail "ghost: acknowledged more replicas than copies"
wait_copies "$h" 2 90 ||
    fail "an item ranked first to a member that never stores has $(copies "$h") copies after 90 s, want 2"
"${E[@]}" del /esgx/members/ghost >/dev/null
ok "a member that never stores is passed over: its item reached 2 real copies"
