# net_lib.sh: helpers for the network tests and scripts/cluster.sh (sourced, not run):
# a real etcd cluster (Debian etcd-server) and a real nginx (Debian nginx) on loopback.
# The caller sets T (a temp folder it owns). Every process started here is recorded in
# NET_PIDS (name -> pid) so that net_cleanup stops it.
declare -A NET_PIDS ETCD_CLIENT

net_free_port() {
    python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'
}

# etcd_cluster N [PORT]: starts N etcd members e1..eN; sets ETCD_ENDPOINTS
# (comma-separated). Ports are free ones picked at random, or with PORT fixed: the
# members' client ports PORT..PORT+N-1, then their peer ports PORT+N..PORT+2N-1.
etcd_cluster() {
    local n=$1 base=${2:-} i cluster="" peer client
    declare -gA ETCD_PEER
    for i in $(seq 1 "$n"); do
        if [ -n "$base" ]; then
            ETCD_CLIENT[e$i]=$((base + i - 1)) ETCD_PEER[e$i]=$((base + n + i - 1))
        else
            ETCD_PEER[e$i]=$(net_free_port) ETCD_CLIENT[e$i]=$(net_free_port)
        fi
        cluster+="${cluster:+,}e$i=http://127.0.0.1:${ETCD_PEER[e$i]}"
    done
    ETCD_ENDPOINTS=""
    ETCD_CLUSTER=$cluster
    for i in $(seq 1 "$n"); do
        etcd_start "e$i"
        ETCD_ENDPOINTS+="${ETCD_ENDPOINTS:+,}http://127.0.0.1:${ETCD_CLIENT[e$i]}"
    done
    etcd_wait_healthy
}

# etcd_start NAME: starts (or restarts, on its data dir) one member of the cluster.
etcd_start() {
    local name=$1
    local peer=http://127.0.0.1:${ETCD_PEER[$name]} client=http://127.0.0.1:${ETCD_CLIENT[$name]}
    etcd --name "$name" --data-dir "$T/etcd-$name" --listen-client-urls "$client" \
         --advertise-client-urls "$client" --listen-peer-urls "$peer" \
         --initial-advertise-peer-urls "$peer" --initial-cluster "$ETCD_CLUSTER" \
         --initial-cluster-state new --initial-cluster-token "esgx-$$" \
         --heartbeat-interval 50 --election-timeout 500 >>"$T/etcd-$name.log" 2>&1 &
    NET_PIDS[etcd-$name]=$!
}

# etcd_wait_healthy: waits (20 s at most) until a member reports the cluster healthy.
etcd_wait_healthy() {
    for _ in $(seq 1 200); do
        local c
        for c in "${ETCD_CLIENT[@]}"; do
            curl -sf -m 1 "http://127.0.0.1:$c/health" | grep -q '"health":"true"' && return 0
        done
        sleep 0.1
    done
    echo "etcd cluster did not become healthy within 20 s" >&2
    return 1
}

# etcd_kill NAME: kill -9 one etcd member (e1, e2, ...).
etcd_kill() {
    kill -KILL "${NET_PIDS[etcd-$1]}" 2>/dev/null
    wait "${NET_PIDS[etcd-$1]}" 2>/dev/null
    unset "NET_PIDS[etcd-$1]"
}

# nginx_front PORT URL...: renders deploy/nginx/esgx.conf for these node URLs, listening
# on 127.0.0.1:PORT, and starts nginx with its own prefix under $T/nginx.
nginx_front() {
    local port=$1; shift
    local d=$T/nginx addrs="" u
    mkdir -p "$d/logs" "$d/tmp"
    for u in "$@"; do addrs+="${u#http://} "; done
    # the template's first server line gives every node's parameters (max_fails ...)
    awk -v addrs="$addrs" -v port="$port" '
        /^ *server 127\.0\.0\.1:[0-9]+ / {
            if (!done) {
                params = $0; sub(/^ *server [^ ]+/, "", params)
                n = split(addrs, a, " ")
                for (i = 1; i <= n; i++) print "    server " a[i] params
                done = 1
            }
            next }
        /^ *listen 127\.0\.0\.1:[0-9]+;/ { print "    listen 127.0.0.1:" port ";"; next }
        { print }' "${ESGX_SOURCE_DIR:-$SRC}/deploy/nginx/esgx.conf" >"$d/esgx.conf"
    cat >"$d/nginx.conf" <<EOF
worker_processes 1;
pid $d/nginx.pid;
error_log $d/logs/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $d/tmp/body;
    proxy_temp_path $d/tmp/proxy;
    fastcgi_temp_path $d/tmp/fastcgi;
    uwsgi_temp_path $d/tmp/uwsgi;
    scgi_temp_path $d/tmp/scgi;
    include $d/esgx.conf;
}
EOF
    nginx -p "$d" -c "$d/nginx.conf" -g 'daemon off;' >"$T/nginx.log" 2>&1 &
    NET_PIDS[nginx]=$!
    for _ in $(seq 1 100); do
        curl -s -o /dev/null -m 1 "http://127.0.0.1:$port/health" && return 0
        sleep 0.1
    done
    echo "nginx did not start (see $T/nginx.log)" >&2
    return 1
}

. "$(dirname "${BASH_SOURCE[0]}")/proc_lib.sh"   # stop_pids

net_cleanup() {
    stop_pids 5 "${NET_PIDS[@]}"
}

# ------------------------------------------------------------ the network tests' frame
# net_test_begin TAG CMD...: the prologue of a network test (tests/net_*.sh; SRC and
# BUILD set): skips (exit 77) unless esgx, esgxd, esgx-enclave and the examples are
# built and every CMD is installed; makes T, sets the environment, and traps EXIT to
# net_test_cleanup. The test records its nodes in NODE_PID (NODE_HTTP, NODE_PEER are
# its ports) and other processes in HELPERS.
declare -gA NODE_PID NODE_HTTP NODE_PEER
HELPERS=()
net_test_begin() {
    local tag=$1 b c
    shift
    for b in esgx esgxd esgx-enclave examples/hello.wasm examples/echo.wasm; do
        [ -e "$BUILD/$b" ] || { echo "skip: $BUILD/$b not built" >&2; exit 77; }
    done
    for c in "$@"; do
        command -v "$c" >/dev/null || { echo "skip: $c not installed (scripts/setup.sh)" >&2; exit 77; }
    done
    T=$(mktemp -d "${TMPDIR:-/tmp}/esgx-$tag.XXXXXX")
    export XDG_CONFIG_HOME=$T/config HOME=$T/home ESGX_SOURCE_DIR=$SRC ETCDCTL_API=3
    trap net_test_cleanup EXIT
}
net_test_cleanup() {
    local p
    stop_pids 10 "${NODE_PID[@]}"
    for p in "${HELPERS[@]}"; do kill "$p" 2>/dev/null; done
    net_cleanup
    rm -rf "$T"
}
# fail MSG: prints MSG, the test's last outputs (out, err, body, origin.log) and the tail
# of every node's log and nginx's error log, and exits 1.
fail() {
    local f
    echo "FAIL: $*" >&2
    for f in "$T"/out "$T"/err "$T"/body "$T"/origin.log; do
        [ -f "$f" ] && { echo "--- $f:" >&2; head -c 1500 "$f" >&2; echo >&2; }
    done
    for f in "$T"/node*.log "$T"/nginx/logs/error.log; do
        [ -f "$f" ] && { echo "--- $f:" >&2; tail -15 "$f" >&2; }
    done
    exit 1
}
ok() { echo "ok - $*"; }
# net_node_start I [esgxd args...]: node I of the test on the sim bundle $T/sim and the
# test's etcd (data $T/nodeI, log $T/nodeI.log, ports kept across restarts).
net_node_start() {
    local i=$1
    shift
    [ -n "${NODE_HTTP[$i]:-}" ] || { NODE_HTTP[$i]=$(net_free_port); NODE_PEER[$i]=$(net_free_port); }
    "$BUILD/esgxd" --data-dir "$T/node$i" --listen "127.0.0.1:${NODE_HTTP[$i]}" \
        --sim-bundle "$T/sim" --peer-listen "127.0.0.1:${NODE_PEER[$i]}" \
        --etcd "$ETCD_ENDPOINTS" --advertise "http://127.0.0.1:${NODE_HTTP[$i]}" \
        "$@" 2>>"$T/node$i.log" &
    NODE_PID[$i]=$!
}
# wait_ready I: until node I answers /health 200 (60 s at most; fails if it exited).
wait_ready() {
    for _ in $(seq 1 300); do
        [ "$(curl -s -o /dev/null -w '%{http_code}' "$(url "$1")/health")" = 200 ] && return 0
        kill -0 "${NODE_PID[$1]}" 2>/dev/null || fail "node$1 exited"
        sleep 0.2
    done
    fail "node$1 not ready within 60 s"
}
url() { echo "http://127.0.0.1:${NODE_HTTP[$1]}"; }
# status CURL-ARGS...: the HTTP status of a request, its body in $T/body.
status() { curl -s -o "$T/body" -w '%{http_code}' "$@"; }

# net_two_nodes: a 3-member etcd cluster, a sim bundle and two nodes sharing one key
# (node1 --init, node2 joining); TOKEN is node1's admin token and the CLI (`as`, which
# the test defines) is logged in to node1.
net_two_nodes() {
    etcd_cluster 3 || fail "etcd cluster did not start"
    "$ESGX" sim init "$T/sim" >/dev/null || fail "esgx sim init"
    net_node_start 1 --init
    wait_ready 1
    net_node_start 2 --network-key "$(cat "$T/node1/network_key")"
    wait_ready 2
    TOKEN=$(cat "$T/node1/admin.token")
    as login --node "$(url 1)" --sim-root "$T/sim/sim_root.pem" \
        --token-file "$T/node1/admin.token" || fail "login"
}
