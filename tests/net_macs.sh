#!/usr/bin/env bash
# net_macs: what a writer of etcd can no longer do (docs/security.md (Tokens and content in etcd)), with real
# processes on loopback: etcd (Debian etcd-server), three esgxd nodes on the sim
# platform (node1 --init), a plain HTTP origin (python3) that logs every request.
#  1. etcd holds token_mac (not the token's SHA-256); each node pinned it in
#     DATA_DIR/token_mac
#  2. etcd's token_mac replaced with the MAC of an attacker's token made without the
#     network key (HMAC under a random key, and the token's plain SHA-256): the
#     attacker's token is refused (403) on PUT /functions and POST /content on every
#     node, the real token still works, each node logs the refusal
#  3. an upload with the token carries "auth" and still reaches --replicas nodes
#  4. content/<X> written into etcd alone, with an http origin and no auth, with a
#     random auth, and with the valid auth of another hash: after the replicator's
#     rescan period no node fetched it (the origin saw no request, no node stores it),
#     each refusal is logged once per node; asked for it, a node answers 404; nor when
#     functions/evil points at it with a record whose signature is made up; content a
#     validly signed record names (and no auth) is fetched
#  5. a network made before token MACs (etcd holds only token_sha256): admin routes
#     answer 503 naming the fix; restarting the node that holds admin.token writes
#     token_mac, and the token works again
set -u
SRC=${ESGX_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${ESGX_BUILD_DIR:-$SRC/build}
ESGX=$BUILD/esgx
source "$SRC/tests/net_lib.sh"
net_test_begin macs etcd etcdctl curl python3
jget() { python3 -c 'import json,sys; v=json.load(sys.stdin).get(sys.argv[1]); print("" if v is None else v)' "$1"; }

# start_node I [esgxd args...]: node I on fixed ports (kept across restarts); the
# origins here are on loopback, so ORIGIN_ARGS allows them unless a test empties it.
ORIGIN_ARGS=(--allow-private-origins)
start_node() { net_node_start "$1" --max-content 2M --fetch-timeout 3 "${ORIGIN_ARGS[@]}" "${@:2}"; }
upload() {   # upload I TOKEN FILE
    status -X POST "$(url "$1")/content" -H "Authorization: Bearer $2" --data-binary @"$3"
}
DEV_SK=$(printf '22%.0s' $(seq 1 32))   # a developer key for the signed name records
deploy() {   # deploy I TOKEN NAME HASH: a signed record (seq 1, or the stored seq + 1)
    local net seq rec
    net=$(curl -s "$(url "$1")/attestation" |
          python3 -c 'import json,sys; print(json.load(sys.stdin)["public_key"])')
    seq=$(curl -s "$(url "$1")/functions/$3" |
          python3 -c 'import json,sys
try: print(json.load(sys.stdin)["seq"] + 1)
except Exception: print(1)')
    rec=$(printf '{"name":"%s","network":"%s","hash":"%s","encrypted":false,"seq":%s,"owner":"%066d","signature":"%0130d"}' \
          "$3" "$net" "$4" "$seq" 0 0 | "$BUILD/crypto_tool" name-record-sign "$DEV_SK")
    status -X PUT "$(url "$1")/functions/$3" -H "Authorization: Bearer $2" \
        -H "Content-Type: application/json" -d "{\"record\":$rec,\"logs\":false}"
}
hash_of() { "$ESGX" hash "$1" | cut -c1-64; }

# ---------------------------------------------------------------- 1. token_mac
etcd_cluster 1 || fail "etcd did not start"
E=(etcdctl --endpoints "$ETCD_ENDPOINTS")
"$ESGX" sim init "$T/sim" >/dev/null || fail "esgx sim init"
start_node 1 --init
wait_ready 1
NETKEY=$(cat "$T/node1/network_key")
start_node 2 --network-key "$NETKEY"
start_node 3 --network-key "$NETKEY"
wait_ready 2
wait_ready 3
TOKEN=$(cat "$T/node1/admin.token")
MAC=$("${E[@]}" get /esgx/token_mac --print-value-only)
[ ${#MAC} = 64 ] || fail "etcd has no token_mac: '$MAC'"
[ -z "$("${E[@]}" get /esgx/token_sha256 --print-value-only)" ] || fail "etcd still gets token_sha256"
SHA=$(printf '%s' "$TOKEN" | sha256sum | cut -c1-64)
[ "$MAC" != "$SHA" ] || fail "token_mac is the token's plain SHA-256"
for i in 1 2 3; do
    [ "$(tr -d '\n' <"$T/node$i/token_mac")" = "$MAC" ] || fail "node$i did not pin etcd's token_mac"
done
ok "etcd holds token_mac (a MAC, not the token's SHA-256); every node pinned it"

cp "$BUILD/examples/echo.wasm" "$T/echo.wasm"
[ "$(upload 1 "$TOKEN" "$T/echo.wasm")" = 200 ] || fail "upload with the real token"
ECHO=$(jget hash <"$T/body")
[ "$(jget replicas <"$T/body")" = 2 ] || fail "upload acknowledged with replicas=$(jget replicas <"$T/body"), want 2"
AUTH=$("${E[@]}" get "/esgx/content/$ECHO" --print-value-only | jget auth)
[ ${#AUTH} = 64 ] || fail "the upload's entry has no auth"
ok "an upload with the token carries auth and reaches 2 replicas"

# ---------------------------------------------------------------- 2. forged token_mac
ATTACKER=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
FORGED=$(python3 -c 'import hashlib,hmac,os,sys
t=sys.argv[1].encode()
print(hmac.new(os.urandom(32), b"ESGX_TOKEN"+hashlib.sha256(t).digest(), hashlib.sha256).hexdigest())' "$ATTACKER")
ATTACKER_SHA=$(printf '%s' "$ATTACKER" | sha256sum | cut -c1-64)
for forged in "$FORGED" "$ATTACKER_SHA"; do
    "${E[@]}" put /esgx/token_mac "$forged" >/dev/null || fail "etcdctl put"
    sleep 0.5
    for i in 1 2 3; do
        [ "$(deploy $i "$ATTACKER" "echo$i" "$ECHO")" = 403 ] ||
            fail "node$i accepted the attacker's token on PUT /functions: $(cat "$T/body")"
        [ "$(upload $i "$ATTACKER" "$T/echo.wasm")" = 403 ] ||
            fail "node$i accepted the attacker's token on POST /content"
        case "$(deploy $i "$TOKEN" "echo$i" "$ECHO")" in 200|201) ;; *) false ;; esac ||
            fail "node$i refused the real token on PUT /functions: $(cat "$T/body")"
        [ "$(upload $i "$TOKEN" "$T/echo.wasm")" = 200 ] || fail "node$i refused the real token on POST /content"
        [ "$(tr -d '\n' <"$T/node$i/token_mac")" = "$MAC" ] || fail "node$i changed its pin"
    done
done
for i in 1 2 3; do
    grep -q "refused: etcd's token_mac changed to ${FORGED:0:16}" "$T/node$i.log" ||
        fail "node$i did not log the refused token_mac"
done
"${E[@]}" put /esgx/token_mac "$MAC" >/dev/null
ok "etcd's token_mac replaced (HMAC under another key, plain SHA-256): the attacker's token gets 403 on every node, the real one still works"

# ---------------------------------------------------------------- 4. content in etcd alone
ORIGIN_PORT=$(net_free_port)
mkdir -p "$T/www"
cat >"$T/origin.py" <<'EOF'
import http.server, os, sys
log = open(sys.argv[3], "a", buffering=1)
class H(http.server.SimpleHTTPRequestHandler):
    def log_message(self, fmt, *a): log.write("%s\n" % (fmt % a))
os.chdir(sys.argv[2])
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
EOF
: >"$T/origin.log"
python3 "$T/origin.py" "$ORIGIN_PORT" "$T/www" "$T/origin.log" &
HELPERS+=($!)
for _ in $(seq 1 50); do curl -s -o /dev/null "http://127.0.0.1:$ORIGIN_PORT/" && break; sleep 0.1; done
: >"$T/origin.log"   # the probe above
ORIGIN=http://127.0.0.1:$ORIGIN_PORT
BAD=()
for k in none random other; do
    head -c 3000 /dev/urandom >"$T/www/$k"
    h=$(hash_of "$T/www/$k")
    case $k in
        none) a="" ;;
        random) a=",\"auth\":\"$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')\"" ;;
        other) a=",\"auth\":\"$AUTH\"" ;;   # valid, but for another hash
    esac
    "${E[@]}" put "/esgx/content/$h" "{\"size\":3000,\"origins\":[\"$ORIGIN/$k\"],\"added\":0$a}" >/dev/null
    BAD+=("$h")
done
# ... and a name pointed at the first of them (the review's attack): functions/evil with
# a record whose signature is made up authorises nothing, while functions/signed, whose
# record its owner signed for this network, authorises its hash (entry without auth)
NET=$(curl -s "$(url 1)/attestation" | python3 -c 'import json,sys; print(json.load(sys.stdin)["public_key"])')
OWNER=$(printf '{"name":"x","network":"%066d","hash":"%064d","encrypted":false,"seq":1,"owner":"%066d","signature":"%0130d"}' 0 0 0 0 |
        "$BUILD/crypto_tool" name-record-sign "$DEV_SK" | python3 -c 'import json,sys; print(json.load(sys.stdin)["owner"])')
FORGED=$(printf '{"name":"evil","network":"%s","hash":"%s","encrypted":false,"seq":1,"owner":"%s","signature":"%0130d"}' \
         "$NET" "${BAD[0]}" "$OWNER" 0)
"${E[@]}" put /esgx/functions/evil "{\"record\":$FORGED,\"logs\":false,\"created\":1,\"updated\":1}" >/dev/null
head -c 3000 /dev/urandom >"$T/www/signed"
SIGNED=$(hash_of "$T/www/signed")
"${E[@]}" put "/esgx/content/$SIGNED" "{\"size\":3000,\"origins\":[\"$ORIGIN/signed\"],\"added\":0}" >/dev/null
REC=$(printf '{"name":"signed","network":"%s","hash":"%s","encrypted":false,"seq":1,"owner":"%066d","signature":"%0130d"}' \
      "$NET" "$SIGNED" 0 0 | "$BUILD/crypto_tool" name-record-sign "$DEV_SK")
"${E[@]}" put /esgx/functions/signed "{\"record\":$REC,\"logs\":false,\"created\":1,\"updated\":1}" >/dev/null
t0=$(date +%s)
sleep 33   # past the replicator's rescan (30 s) of every node
for h in "${BAD[@]}"; do
    [ "$(status "$(url 2)/content/$h")" = 404 ] && grep -q "not authorised here" "$T/body" ||
        fail "GET /content of an etcd-only entry: want 404 not authorised, got $(cat "$T/body")"
done
grep -E 'GET /(none|random|other) ' "$T/origin.log" &&
    fail "the origin was asked for content no node accepted: $(cat "$T/origin.log")"
n=0
for i in 1 2 3; do [ -e "$T/node$i/content/$SIGNED" ] && n=$((n + 1)); done
[ "$n" -ge 1 ] && grep -q 'GET /signed ' "$T/origin.log" ||
    fail "content named by a validly signed record was not fetched ($n nodes hold it)"
for i in 1 2 3; do
    for h in "${BAD[@]}"; do
        [ -e "$T/node$i/content/$h" ] && fail "node$i stored content it never accepted"
        n=$(grep -c "refused to fetch content $h" "$T/node$i.log")
        [ "$n" -le 1 ] || fail "node$i logged the refusal of $h $n times"
    done
done
n=$(cat "$T"/node*.log | grep -c "refused to fetch content ${BAD[0]}")
[ "$n" -ge 1 ] || fail "no node logged the refusal of the etcd-only entry"
ok "content/<X> in etcd alone (no auth, a random auth, another hash's auth; a name pointed at it with a made-up record signature): no node fetched it in $(( $(date +%s) - t0 )) s, the origin saw no request for it, refusals logged once; content a validly signed record names was fetched ($n nodes)"

# an origin fetch with the token is authorised, and moves on to other nodes
head -c 2000 /dev/urandom >"$T/www/good"
[ "$(status -X POST "$(url 1)/content" -H "Authorization: Bearer $TOKEN" \
     -H "Content-Type: application/json" -d "{\"url\":\"$ORIGIN/good\"}")" = 200 ] ||
    fail "origin fetch with the token: $(cat "$T/body")"
GOOD=$(jget hash <"$T/body")
[ "$(jget replicas <"$T/body")" = 2 ] || fail "origin fetch acknowledged with replicas=$(jget replicas <"$T/body")"
for i in 2 3; do
    [ "$(status "$(url $i)/content/$GOOD")" = 200 ] && cmp -s "$T/body" "$T/www/good" ||
        fail "node$i does not serve content fetched from an origin with the token"
done
ok "an origin fetch with the token carries auth: served by every node"

# ------------------------------------------------------- 4b. origins may not reach inside
# node6 without --allow-private-origins: a loopback origin (by number, by name, or as
# an IPv4-mapped IPv6 address) is refused with 403 origin_refused naming the address,
# and the origin never sees a request; peers on loopback are not origins (node6 still
# fetches from them)
ORIGIN_ARGS=()
start_node 6 --network-key "$NETKEY" --peers "127.0.0.1:${NODE_PEER[1]}"
wait_ready 6
ORIGIN_ARGS=(--allow-private-origins)
: >"$T/origin.log"
for u in "$ORIGIN/good" "http://localhost:$ORIGIN_PORT/good" "http://[::ffff:127.0.0.1]:$ORIGIN_PORT/good"; do
    [ "$(status -X POST "$(url 6)/content" -H "Authorization: Bearer $TOKEN" \
         -H "Content-Type: application/json" -d "{\"url\":\"$u\"}")" = 403 ] &&
        [ "$(jget code <"$T/body")" = origin_refused ] && grep -q "a loopback address" "$T/body" &&
        grep -q -- "--allow-private-origins" "$T/body" ||
        fail "a loopback origin $u without --allow-private-origins: want 403 origin_refused, got $(cat "$T/body")"
done
grep -q "127.0.0.1, a loopback address" "$T/body" || fail "the refusal does not name the address: $(cat "$T/body")"
[ -s "$T/origin.log" ] && fail "a refused origin was contacted: $(cat "$T/origin.log")"
[ "$(status "$(url 6)/content/$GOOD")" = 200 ] && cmp -s "$T/body" "$T/www/good" ||
    fail "node6 (no --allow-private-origins) cannot fetch from a loopback peer"
ok "without --allow-private-origins a loopback origin is refused (403 origin_refused naming the address, never contacted); loopback peers still serve"

# ---------------------------------------------------------------- 5. before token MACs
P=/legacy/
"${E[@]}" put "${P}token_sha256" "$SHA" >/dev/null
start_node 4 --etcd-prefix "$P" --network-key "$NETKEY" --peers "127.0.0.1:${NODE_PEER[1]}"
wait_ready 4
[ "$(upload 4 "$TOKEN" "$T/echo.wasm")" = 503 ] && grep -q "token_sha256" "$T/body" &&
    grep -q "admin.token" "$T/body" || fail "a token_sha256-only network: want 503 naming the fix, got $(cat "$T/body")"
# the node holding admin.token (a copy of node1's data directory: its sealed key and
# token), restarted with this version, writes token_mac
mkdir -p "$T/node5"
cp -a "$T/node1/." "$T/node5/"
rm -f "$T/node5/node.id" "$T/node5/token_mac"
start_node 5 --etcd-prefix "$P"
wait_ready 5
[ "$("${E[@]}" get "${P}token_mac" --print-value-only)" = "$MAC" ] || fail "node5 did not write token_mac"
for _ in $(seq 1 25); do [ -e "$T/node4/token_mac" ] && break; sleep 0.2; done
[ "$(upload 4 "$TOKEN" "$T/echo.wasm")" = 200 ] || fail "node4 after token_mac was written: $(cat "$T/body")"
ok "a token_sha256-only network answers 503 naming the fix; the admin.token node's restart writes token_mac"
echo "net_macs: all checks passed"
