#!/usr/bin/env bash
# net_front: the front door (deploy/nginx/esgx.conf, rendered by tests/net_lib.sh
# nginx_front) with a real nginx on loopback in front of two esgxd nodes (sim platform,
# one etcd member), both with --trusted-proxy 127.0.0.1/32 --ip-connections 8.
#  1. an answer about the request is not a node failure: POST /content {"url"} for an
#     origin answering 404 gives the node's own JSON error (not nginx's HTML 502), and
#     the next 20 invocations through nginx all succeed
#  2. per-client limits see the client behind nginx: on loopback every client is
#     127.0.0.1 (trusted), so clients are told apart by the X-Forwarded-For they send
#     (nginx appends 127.0.0.1, which is skipped as trusted). One client holding 16 long
#     polls through nginx (8 per node) gets 429 too_many_requests beyond them, while
#     /health and GET /functions/hello from another client answer 200; straight to a
#     node, the same; X-Forwarded-For from an untrusted peer is not reachable here
#     (unit test node_http covers it)
#  3. node2 SIGSTOPped: /health through nginx is retried on node1 after the 3 s read
#     timeout, well before 60 s
set -u
SRC=${ESGX_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${ESGX_BUILD_DIR:-$SRC/build}
ESGX=$BUILD/esgx
source "$SRC/tests/net_lib.sh"
net_test_begin front etcd etcdctl nginx curl python3

start_node() { net_node_start "$1" --fetch-timeout 3 --allow-private-origins --trusted-proxy 127.0.0.1/32 --ip-connections 8 "${@:2}"; }

etcd_cluster 1 || fail "etcd did not start"
"$ESGX" sim init "$T/sim" >/dev/null || fail "esgx sim init"
start_node 1 --init
wait_ready 1
start_node 2 --network-key "$(cat "$T/node1/network_key")"
wait_ready 2
TOKEN=$(cat "$T/node1/admin.token")
FRONT_PORT=$(net_free_port)
FRONT=http://127.0.0.1:$FRONT_PORT
nginx_front "$FRONT_PORT" "$(url 1)" "$(url 2)" || fail "nginx did not start"
XDG_CONFIG_HOME=$T/config-front "$ESGX" login --node "$FRONT" --sim-root "$T/sim/sim_root.pem" \
    --token-file "$T/node1/admin.token" >"$T/out" 2>"$T/err" || fail "login through nginx"
XDG_CONFIG_HOME=$T/config-front "$ESGX" functions deploy --name hello --logs \
    --path "$BUILD/examples/hello.wasm" --json >"$T/out" 2>"$T/err" || fail "deploy through nginx"
for i in 1 2; do   # the name reaches both nodes
    for _ in $(seq 1 50); do
        [ "$(status "$(url $i)/functions/hello")" = 200 ] && break
        sleep 0.1
    done
done

# ---------------------------------------------------------------- 1. origin 404
mkdir -p "$T/www"
ORIGIN_PORT=$(net_free_port)
python3 -m http.server "$ORIGIN_PORT" --bind 127.0.0.1 --directory "$T/www" >"$T/origin.log" 2>&1 &
HELPERS+=($!)
for _ in $(seq 1 50); do curl -s -o /dev/null "http://127.0.0.1:$ORIGIN_PORT/" && break; sleep 0.1; done
code=$(curl -s -o "$T/body" -D "$T/head" -w '%{http_code}' -X POST "$FRONT/content" \
    -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    -d "{\"url\":\"http://127.0.0.1:$ORIGIN_PORT/missing.wasm\"}")
[ "${code:0:1}" = 5 ] || fail "an origin 404: $code, want the node's 5xx"
ocode=$code
grep -qi '^content-type: application/json' "$T/head" && python3 -c 'import json,sys; assert json.load(open(sys.argv[1]))["code"]' "$T/body" \
    || fail "origin 404 through nginx: not the node's JSON error ($code)"
grep -q '404' "$T/body" || fail "the node's error does not name the origin's 404"
why=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["code"])' "$T/body")
for n in $(seq 1 20); do
    code=$(status -X POST "$FRONT/functions/hello" -d '')
    [ "$code" = 200 ] && grep -q "Hello, world!" "$T/body" || fail "invocation $n after the origin 404: $code"
done
ok "origin 404 through nginx: the node's JSON error ($ocode $why), then 20 invocations all 200"

# ---------------------------------------------------------------- 2. per-client limits
poll() {   # poll BASE XFF: a long poll (30 s) of client XFF, its status into $T/poll.N
    curl -s -o /dev/null -w '%{http_code}' -m 40 -H "Authorization: Bearer $TOKEN" \
        -H "X-Forwarded-For: $2" "$1/functions/hello/logs?since=999999999&follow=1" \
        >"$T/poll.$3" &
    HELPERS+=($!)
}
for n in $(seq 1 18); do poll "$FRONT" 192.0.2.1 "$n"; done
sleep 2
for n in $(seq 1 10); do
    [ "$(status -H 'X-Forwarded-For: 192.0.2.2' "$FRONT/health")" = 200 ] || fail "/health of another client through nginx: $(cat "$T/body")"
    [ "$(status -H 'X-Forwarded-For: 192.0.2.2' "$FRONT/functions/hello")" = 200 ] || fail "GET /functions/hello of another client through nginx"
done
code=$(status -H 'X-Forwarded-For: 192.0.2.1' "$FRONT/health")
[ "$code" = 429 ] && grep -q too_many_requests "$T/body" || fail "client 192.0.2.1 past its limit on both nodes: $code"
for i in 1 2; do
    [ "$(status -H 'X-Forwarded-For: 192.0.2.1' "$(url $i)/health")" = 429 ] || fail "node$i straight: the held client is not limited"
done
[ "$(status -H 'X-Forwarded-For: 192.0.2.3' "$(url 1)/health")" = 200 ] || fail "node1 straight: another client refused"
n429=$(cat "$T"/poll.* | grep -o 429 | wc -l)
[ "$n429" -ge 1 ] || fail "18 long polls of one client over 2 nodes x 8: none answered 429"
ok "one client holding its 8 requests per node through nginx: it gets 429 ($n429 of 18 polls), another client's /health and GET /functions/hello 200"

# ---------------------------------------------------------------- 3. a stopped node
kill -STOP "${NODE_PID[2]}"
for n in 1 2 3 4; do
    t0=$(date +%s%N)
    code=$(status -m 30 "$FRONT/health")
    ms=$(( ($(date +%s%N) - t0) / 1000000 ))
    [ "$code" = 200 ] || { kill -CONT "${NODE_PID[2]}"; fail "/health through nginx with node2 stopped: $code after $ms ms"; }
    [ "$ms" -lt 10000 ] || { kill -CONT "${NODE_PID[2]}"; fail "/health took $ms ms with node2 stopped"; }
    echo "  /health with node2 stopped: $ms ms"
done
kill -CONT "${NODE_PID[2]}"
ok "node2 SIGSTOPped: /health through nginx answered 200 by node1, within 10 s each"
echo "PASS"
