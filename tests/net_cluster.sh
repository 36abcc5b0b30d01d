#!/usr/bin/env bash
# net_cluster: several nodes as one network, with real processes on loopback: a
# 3-member etcd cluster (Debian etcd-server), three esgxd nodes on the sim platform
# (only the first with --init) and nginx in front (deploy/nginx/esgx.conf).
#  1. one network key on every node (the others join pinned to the key node1 --init
#     wrote, --network-key); a function deployed once through nginx with `esgx`
#     answers, signed and verified, by name and by hash on each node directly
#  2. content uploaded to one node is invoked on another; the upload is acknowledged
#     with 2 replicas; after kill -9 of the node that received it, the others serve it
#  3. after kill -9 of one etcd member, deploy and invoke still work
#  4. under wrk through nginx, kill -9 of one node: no non-2xx answer, no socket error
#  5. a node stopped while a function is deployed serves it after its restart
#  6. origins: ipfs://CID through a local gateway, then invoked on another node; an
#     origin that is 404, slow or too large gets a clear error
#  7. a peer that sends bytes not matching the hash: refused, nothing stored
#  8. etcd unreachable at start (clear error) and during operation (503 on /health, names
#     answer from the view, a write 503 etcd_unreachable, invocations of local content go
#     on, recovery when it returns)
set -u
SRC=${ESGX_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${ESGX_BUILD_DIR:-$SRC/build}
ESGX=$BUILD/esgx
source "$SRC/tests/net_lib.sh"
net_test_begin net etcd etcdctl nginx wrk curl python3
jget() { python3 -c 'import json,sys; v=json.load(sys.stdin).get(sys.argv[1]); print("" if v is None else v)' "$1"; }

GW_PORT=$(net_free_port)
# start_node I [esgxd args...]: node I on fixed ports (kept across restarts); the
# origins here are on loopback, so ORIGIN_ARGS allows them unless a test empties it.
ORIGIN_ARGS=(--allow-private-origins)
start_node() { net_node_start "$1" --ipfs-gateway "http://127.0.0.1:$GW_PORT" --max-content 2M --fetch-timeout 3 "${ORIGIN_ARGS[@]}" "${@:2}"; }
# wait_ready I: /health answers 200 (key, enclave and etcd all fine), 60 s at most.
kill9() { kill -KILL "${NODE_PID[$1]}"; wait "${NODE_PID[$1]}" 2>/dev/null; unset "NODE_PID[$1]"; }
# as I CMD...: runs esgx with the CLI logged in to node I (its own config dir).
as() { local i=$1; shift; XDG_CONFIG_HOME=$T/config-$i "$ESGX" "$@" >"$T/out" 2>"$T/err" </dev/null; }

# ---------------------------------------------------------------- 1. one network
etcd_cluster 3 || fail "etcd cluster did not start"
"$ESGX" sim init "$T/sim" >/dev/null || fail "esgx sim init"
start_node 1 --init
wait_ready 1
NETKEY=$(cat "$T/node1/network_key")   # written by --init; the others join pinned to it
start_node 2 --network-key "$NETKEY"
start_node 3 --network-key "$NETKEY"
wait_ready 2
wait_ready 3
TOKEN_FILE=$T/node1/admin.token
[ -f "$T/node2/admin.token" ] && fail "a joining node made its own admin token"
keys=""
for i in 1 2 3; do
    k=$(curl -s "$(url $i)/attestation" | jget public_key)
    [ ${#k} = 66 ] || fail "node$i has no network key"
    keys+="$k "
    as "$i" login --node "$(url $i)" --sim-root "$T/sim/sim_root.pem" --token-file "$TOKEN_FILE" \
        || fail "login to node$i with the network's token"
done
[ "$(echo $keys | tr ' ' '\n' | sort -u | wc -l)" = 1 ] || fail "nodes serve different keys: $keys"
ok "three nodes, one network key ($(echo $keys | cut -c1-16)...), one admin token"

FRONT_PORT=$(net_free_port)
FRONT=http://127.0.0.1:$FRONT_PORT
nginx_front "$FRONT_PORT" "$(url 1)" "$(url 2)" "$(url 3)" || fail "nginx did not start"
XDG_CONFIG_HOME=$T/config-front "$ESGX" login --node "$FRONT" --sim-root "$T/sim/sim_root.pem" \
    --token-file "$TOKEN_FILE" >"$T/out" 2>"$T/err" || fail "login through nginx"
XDG_CONFIG_HOME=$T/config-front "$ESGX" functions deploy --name hello \
    --path "$BUILD/examples/hello.wasm" --json >"$T/out" 2>"$T/err" || fail "deploy through nginx"
HELLO=$(jget hash <"$T/out")
[ ${#HELLO} = 64 ] || fail "deploy gave no hash"
for i in 1 2 3; do
    as "$i" invoke hello || fail "invoke hello by name on node$i"
    grep -q "Hello, world!" "$T/out" || fail "node$i: wrong output"
    as "$i" invoke "$HELLO" --decrypt || fail "invoke hello by hash on node$i"
    grep -q "Hello, world!" "$T/out" || fail "node$i: wrong output by hash"
done
ok "deployed once through nginx; answers verified by name and by hash on each node"
for _ in $(seq 1 25); do   # the records carry the enclave's identity once it is up
    curl -s "$(url 2)/nodes" >"$T/body"
    [ "$(grep -o '"has_key":true' "$T/body" | wc -l)" = 3 ] && break
    sleep 0.2
done
python3 - "$T/body" <<'EOF' || fail "GET /nodes"
import json, sys
n = json.load(open(sys.argv[1]))
assert len(n) == 3 and all(m["state"] == "up" and m["has_key"] for m in n), n
assert sum(1 for m in n if m["self"]) == 1 and len({m["mrenclave"] for m in n}) == 1, n
EOF
ok "GET /nodes lists three live members with the key and one MRENCLAVE"
XDG_CONFIG_HOME=$T/config-front "$ESGX" nodes --verify --sim-root "$T/sim/sim_root.pem" --json \
    >"$T/out" 2>"$T/err" || fail "esgx nodes --verify"
python3 -c 'import json,sys; n=json.load(open(sys.argv[1])); assert len(n)==3 and all(m["verified"] for m in n), n' \
    "$T/out" || fail "esgx nodes --verify: not every member verified"
ok "esgx nodes --verify: each member attested on its own, all serve the pinned key"

# ---------------------------------------------------------------- 2. replicas
cp "$BUILD/examples/echo.wasm" "$T/echo.wasm"   # no node has seen it yet
status -X POST "$(url 1)/content" -H "Authorization: Bearer $(cat "$TOKEN_FILE")" \
    --data-binary @"$T/echo.wasm" >"$T/code"
[ "$(cat "$T/code")" = 200 ] || fail "upload to node1: $(cat "$T/code")"
ECHO=$(jget hash <"$T/body")
[ "$(jget replicas <"$T/body")" = 2 ] || fail "upload acknowledged with replicas=$(jget replicas <"$T/body"), want 2"
svc() { curl -s -o "$T/body" -w '%{http_code}' "$1/services/3" -d "{\"hash\":\"$2\",\"input\":\"$3\"}"; }
[ "$(svc "$(url 3)" "$ECHO" ping)" = 200 ] && grep -q ping "$T/body" || fail "node3 did not serve content uploaded to node1"
ok "uploaded to node1 (2 replicas acknowledged), invoked on node3"
curl -s "$(url 3)/metrics" >"$T/body"
grep -q '^esgx_network_members 3$' "$T/body" && grep -q '^esgx_network_healthy 1$' "$T/body" &&
    grep -qE '^esgx_(peer_fetches|replications)_total\{result="ok"\} [1-9]' "$T/body" \
    || fail "/metrics lacks the network counters"
# every metric has its # HELP line (the network's included)
for m in $(sed -n 's/^# TYPE \([a-z_]*\) .*/\1/p' "$T/body"); do
    grep -q "^# HELP $m " "$T/body" || fail "/metrics: $m has no # HELP line"
done
ok "/metrics: members, health, peer fetch and replication counters, # HELP for each"
kill9 1
for i in 2 3; do
    [ "$(svc "$(url $i)" "$ECHO" after-kill)" = 200 ] && grep -q after-kill "$T/body" \
        || fail "node$i lost the upload after kill -9 of node1"
done
ok "kill -9 of the receiving node: the upload is still served by both others"

# ---------------------------------------------------------------- 3. one etcd member down
etcd_kill e1
as 2 functions deploy --name echo --path "$BUILD/examples/echo.wasm" --no-encrypt \
    || fail "deploy with one etcd member down"
as 3 invoke echo --input "quorum" || fail "invoke with one etcd member down"
grep -q quorum "$T/out" || fail "wrong echo"
ok "kill -9 of one etcd member: deploy and invoke still work"
etcd_start e1

# ---------------------------------------------------------------- 5. stop, deploy, restart
start_node 1
wait_ready 1
kill -TERM "${NODE_PID[3]}"; wait "${NODE_PID[3]}" 2>/dev/null; unset "NODE_PID[3]"
as 1 functions deploy --name late --path "$BUILD/examples/echo.wasm" --no-encrypt \
    || fail "deploy while node3 is stopped"
start_node 3 --network-key "$NETKEY"   # pinned, its sealed key matches
wait_ready 3
as 3 invoke late --input "back again" || fail "node3 does not serve a function deployed while it was down"
grep -q "back again" "$T/out" || fail "wrong output from node3"
ok "a node stopped during a deploy serves the function after its restart"

# ---------------------------------------------------------------- 4. wrk, kill -9
cat >"$T/post.lua" <<EOF
wrk.method = "POST"
wrk.body = '{"hash":"$ECHO","input":"load"}'
wrk.headers["Content-Type"] = "application/json"
EOF
wrk -t2 -c16 -d6s -s "$T/post.lua" "$FRONT/services/3" >"$T/wrk.out" 2>&1 &
WRK=$!
sleep 2
kill9 2
wait $WRK
grep -q "Requests/sec" "$T/wrk.out" || fail "wrk did not run: $(cat "$T/wrk.out")"
grep -E "Non-2xx|Socket errors" "$T/wrk.out" && fail "clients saw errors when node2 died: $(cat "$T/wrk.out")"
ok "wrk through nginx, kill -9 of node2: no non-2xx answer, no socket error ($(grep Requests/sec "$T/wrk.out" | tr -s ' '))"
start_node 2
wait_ready 2

# ---------------------------------------------------------------- 6. origins
mkdir -p "$T/www/ipfs"
CID=bafkreiexampleexampleexampleexample
cp "$BUILD/examples/hello.wasm" "$T/www/ipfs/$CID"   # plain (only its encrypted form was uploaded)
head -c 3000000 /dev/zero >"$T/www/huge"
cat >"$T/gw.py" <<'EOF'
import http.server, os, sys, time
class H(http.server.SimpleHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/slow":
            self.send_response(200); self.send_header("Content-Length", "100000"); self.end_headers()
            self.wfile.write(b"x" * 10); self.wfile.flush(); time.sleep(30); return
        if self.path.startswith("/wrong/"):   # a peer that lies: other bytes, right length
            body = open("wrongbytes", "rb").read()
            self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers()
            self.wfile.write(body); return
        return super().do_GET()
    def log_message(self, *a): pass
os.chdir(sys.argv[2])
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
EOF
python3 "$T/gw.py" "$GW_PORT" "$T/www" &
HELPERS+=($!)
for _ in $(seq 1 50); do curl -s -o /dev/null "http://127.0.0.1:$GW_PORT/" && break; sleep 0.1; done
AUTH=(-H "Authorization: Bearer $(cat "$TOKEN_FILE")" -H "Content-Type: application/json")
[ "$(status -X POST "$(url 1)/content" "${AUTH[@]}" -d "{\"url\":\"ipfs://$CID\"}")" = 200 ] \
    || fail "origin fetch through the IPFS gateway"
OHASH=$(jget hash <"$T/body")
[ "$OHASH" = "$("$ESGX" hash "$T/www/ipfs/$CID" | cut -c1-64)" ] \
    || fail "origin fetch answered $OHASH, not the BLAKE3 of the origin's bytes"
[ "$(jget origin <"$T/body")" = "ipfs://$CID" ] || fail "the origin is not in the answer"
# a node that never saw it: it may fetch from node1 or from the origin
kill9 1
ETCDCTL_API=3 etcdctl --endpoints "$ETCD_ENDPOINTS" get "/esgx/content/$OHASH" --print-value-only \
    | grep -q "ipfs://$CID" || fail "the origin is not recorded in etcd"
for i in 2 3; do
    [ "$(svc "$(url $i)" "$OHASH" via-origin)" = 200 ] && grep -q "Hello, world" "$T/body" \
        || fail "node$i: content fetched from an origin is not invocable"
done
ok "origin ipfs://CID through the gateway, recorded in etcd, invoked on other nodes"
as 2 functions deploy --name viaurl --url "ipfs://$CID" || fail "esgx functions deploy --url"
as 3 invoke viaurl || fail "invoke a function deployed from an origin"
grep -q "Hello, world" "$T/out" || fail "wrong output of viaurl"
ok "esgx functions deploy --url ipfs://CID, invoked by name on another node"
start_node 1
wait_ready 1
t0=$(date +%s)
[ "$(status -X POST "$(url 1)/content" "${AUTH[@]}" -d "{\"url\":\"http://127.0.0.1:$GW_PORT/slow\"}")" = 502 ] \
    || fail "a slow origin: want 502, got $(cat "$T/body")"
[ $(( $(date +%s) - t0 )) -le 10 ] || fail "a slow origin held the request for $(( $(date +%s) - t0 )) s"
[ "$(status -X POST "$(url 1)/content" "${AUTH[@]}" -d "{\"url\":\"http://127.0.0.1:$GW_PORT/huge\"}")" = 413 ] \
    || fail "a huge origin: want 413"
[ "$(status -X POST "$(url 1)/content" "${AUTH[@]}" -d "{\"url\":\"http://127.0.0.1:$GW_PORT/nothing\"}")" = 502 ] \
    && grep -q "404" "$T/body" || fail "a 404 origin: want 502 naming 404"
[ "$(status -X POST "$(url 1)/content" "${AUTH[@]}" -d '{"url":"ftp://x/y"}')" = 400 ] \
    && grep -q bad_origin "$T/body" || fail "an ftp:// origin: want 400 bad_origin"
ok "origins that are slow (502 in $(( $(date +%s) - t0 )) s), huge (413), 404 (502) or not http get clear errors"

# ---------------------------------------------------------------- 7. a lying peer
printf 'the real bytes %s' "$RANDOM$RANDOM" >"$T/real"
RH=$("$ESGX" hash "$T/real" | cut -c1-64)
tr 'a-z' 'A-Z' <"$T/real" >"$T/www/wrongbytes"
[ ${#RH} = 64 ] || fail "esgx hash"
FAKE=http://127.0.0.1:$GW_PORT/wrong
E=(etcdctl --endpoints "$ETCD_ENDPOINTS")
# The real bytes are uploaded with the token, so their entry carries a valid "auth" (an
# entry without one is fetched by no node: net_macs); then they leave every disk and
# etcd's holders, and the liar is the only holder left.
[ "$(status -X POST "$(url 1)/content" -H "Authorization: Bearer $(cat "$TOKEN_FILE")" \
     --data-binary @"$T/real")" = 200 ] || fail "upload of the real bytes"
for i in 1 2 3; do rm -f "$T/node$i/content/$RH"; done
ETCDCTL_API=3 "${E[@]}" del --prefix "/esgx/holders/$RH/" >/dev/null
ETCDCTL_API=3 "${E[@]}" put /esgx/members/liar "{\"id\":\"liar\",\"url\":\"$FAKE\",\"peer\":\"\"}" >/dev/null
ETCDCTL_API=3 "${E[@]}" put "/esgx/holders/$RH/liar" '{"since":0}' >/dev/null
sleep 0.5
[ "$(status "$(url 2)/content/$RH")" = 502 ] && grep -q "do not match" "$T/body" \
    || fail "a peer sending wrong bytes: want 502 naming the mismatch, got $(cat "$T/body")"
for i in 1 2 3; do [ -e "$T/node$i/content/$RH" ] && fail "node$i stored bytes that do not match"; done
ls "$T"/node*/content/ | grep -q '^\.tmp' && fail "a partial file is visible"
ETCDCTL_API=3 "${E[@]}" del /esgx/members/liar >/dev/null
ETCDCTL_API=3 "${E[@]}" del --prefix "/esgx/holders/$RH" >/dev/null
ETCDCTL_API=3 "${E[@]}" del "/esgx/content/$RH" >/dev/null
ok "a peer that sends wrong bytes is refused (502), nothing stored, no partial file"

# ---------------------------------------------------------------- 8. etcd away
out=$("$BUILD/esgxd" --data-dir "$T/lonely" --listen 127.0.0.1:0 --sim-bundle "$T/sim" \
      --etcd "http://127.0.0.1:$(net_free_port)" --advertise http://127.0.0.1:1 2>&1)
rc=$?
[ $rc != 0 ] && grep -q "cannot join the network: etcd unreachable" <<<"$out" \
    || fail "etcd unreachable at start: exit $rc, '$out'"
ok "etcd unreachable at start: esgxd exits with a clear error"
for m in e1 e2 e3; do etcd_kill $m; done
t0=$(date +%s)
for _ in $(seq 1 100); do [ "$(status "$(url 2)/health")" = 503 ] && break; sleep 0.2; done
[ "$(status "$(url 2)/health")" = 503 ] && grep -q etcd_lost "$T/body" || fail "no 503 on /health without etcd"
ok "etcd lost: /health says 503 etcd_lost after $(( $(date +%s) - t0 )) s"
[ "$(svc "$(url 2)" "$ECHO" still)" = 200 ] || fail "local content stopped working without etcd"
# names answer from the node's view: a known one still, an unknown one 404 at once (no
# read of etcd is tried while it is away); a write is refused at once, 503
[ "$(status "$(url 2)/functions/hello")" = 200 ] || fail "GET /functions/hello without etcd: want 200"
[ "$(status -X POST --data-binary x "$(url 2)/functions/never-deployed")" = 404 ] &&
    grep -q 'etcd is unreachable' "$T/body" \
    || fail "POST /functions/NAME without etcd: want 404, got $(cat "$T/body")"
[ "$(status "$(url 2)/functions/never-deployed")" = 404 ] || fail "GET /functions/NAME without etcd: want 404"
[ "$(status -X DELETE -H "Authorization: Bearer $(cat "$TOKEN_FILE")" "$(url 2)/functions/hello")" = 503 ] &&
    grep -q '"code":"etcd_unreachable"' "$T/body" || fail "DELETE without etcd: want 503 etcd_unreachable"
ok "etcd lost: names answer from the view (known 200, unknown 404), a write 503 etcd_unreachable"
for m in e1 e2 e3; do etcd_start $m; done
etcd_wait_healthy || fail "etcd did not come back"
wait_ready 2
as 2 invoke hello || fail "invoke by name after etcd came back"
ok "etcd back: node2 healthy again, deploys and names work"
echo "net_cluster: all checks passed"
