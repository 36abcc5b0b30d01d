#!/usr/bin/env bash
# net_cluster_script: scripts/cluster.sh itself, as an operator runs it (docs/operations.md
# "Running a network"), in a session of its own so that everything it started, down to
# the enclaves and nginx's workers, can be listed by session id:
#  0. --state-dir (wiped at start) refuses a directory it did not make
#  1. --base-port P puts etcd, the nodes and nginx on the documented ports P..P+6+2N;
#     when it prints its URLs, every node's /health and the front door's /health are 200
#  2. kill -9 of one node and of one etcd member: the script reports both and goes on;
#     the front door still answers
#  3. SIGTERM (what Ctrl-C does): the script exits 0 within a deadline and nothing it
#     started is left: no process in its session, no port of its range listening
set -u
SRC=${ESGX_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${ESGX_BUILD_DIR:-$SRC/build}
for b in esgx esgxd esgx-enclave; do
    [ -x "$BUILD/$b" ] || { echo "skip: $BUILD/$b not built" >&2; exit 77; }
done
for c in etcd nginx curl python3 setsid; do
    command -v "$c" >/dev/null || { echo "skip: $c not installed (scripts/setup.sh)" >&2; exit 77; }
done
T=$(mktemp -d "${TMPDIR:-/tmp}/esgx-clustersh.XXXXXX")
export XDG_CONFIG_HOME=$T/config HOME=$T/home ESGX_BUILD_DIR=$BUILD
SID=""
cleanup() {   # whatever the script left (a failure of this test): by its session id
    [ -n "$SID" ] && pkill -KILL -s "$SID" 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT
fail() {
    echo "FAIL: $*" >&2
    echo "--- cluster.sh's output:" >&2; cat "$T/out" >&2
    [ -n "$SID" ] && { echo "--- its session:" >&2; ps -o pid,ppid,etime,args -s "$SID" >&2; }
    exit 1
}
ok() { echo "ok - $*"; }
code() { curl -s -m 5 -o /dev/null -w '%{http_code}' "$1"; }
N=3
# a base port whose whole range (P..P+6+2N) is free now; cluster.sh checks it again
BASE=$(python3 - $((7 + 2 * N)) <<'EOF'
import random, socket, sys
span = int(sys.argv[1])
for _ in range(200):
    base = random.randrange(20000, 60000 - span)
    socks = []
    try:
        for p in range(base, base + span):
            s = socket.socket(); socks.append(s); s.bind(("127.0.0.1", p))
    except OSError:
        continue
    finally:
        for s in socks: s.close()
    print(base); break
EOF
)
[ -n "$BASE" ] || fail "no free range of $((7 + 2 * N)) ports"
LAST=$((BASE + 6 + 2 * N))

# ------------------------------------------------- 0. a state directory not its own
mkdir -p "$T/mine" && echo keep >"$T/mine/file"
bash "$SRC/scripts/cluster.sh" 1 --state-dir "$T/mine" >"$T/out" 2>&1 </dev/null &&
    fail "cluster.sh took a directory it did not make"
grep -q "not made by cluster.sh" "$T/out" && [ "$(cat "$T/mine/file")" = keep ] ||
    fail "cluster.sh did not refuse a directory it did not make, or touched it"
ok "--state-dir: a directory it did not make is refused and left as it was"

# ------------------------------------------------- 1. deterministic ports, all ready
# setsid: a session of its own (the script's pid is the session id); not a process
# group leader here, so setsid execs the script in place
setsid bash "$SRC/scripts/cluster.sh" "$N" --base-port "$BASE" --state-dir "$T/net" \
    >"$T/out" 2>&1 </dev/null &
PID=$!
for _ in $(seq 1 20); do
    [ "$(ps -o sid= -p "$PID" | tr -d ' ')" = "$PID" ] && { SID=$PID; break; }
    sleep 0.05
done
[ -n "$SID" ] || fail "cluster.sh did not get a session of its own"
for _ in $(seq 1 900); do   # 180 s at most
    grep -q "Ctrl-C stops everything" "$T/out" && break
    kill -0 "$PID" 2>/dev/null || fail "cluster.sh exited during start-up"
    sleep 0.2
done
grep -q "Ctrl-C stops everything" "$T/out" || fail "cluster.sh not ready within 180 s"
for i in 0 1 2; do
    curl -s -m 5 "http://127.0.0.1:$((BASE + i))/health" | grep -q '"health":"true"' ||
        fail "etcd member $((i + 1)) does not answer on port $((BASE + i))"
done
for i in $(seq 1 "$N"); do
    port=$((BASE + 4 + 2 * i))
    grep -q "^node$i: *http://127.0.0.1:$port pid " "$T/out" || fail "node$i is not listed on port $port"
    [ "$(code "http://127.0.0.1:$port/health")" = 200 ] || fail "node$i's /health on port $port is not 200"
done
grep -q "^front door: http://127.0.0.1:$LAST " "$T/out" || fail "the front door is not on port $LAST"
[ "$(code "http://127.0.0.1:$LAST/health")" = 200 ] || fail "the front door's /health is not 200"
ok "--base-port $BASE: etcd $BASE-$((BASE + 2)), nodes $((BASE + 6))-$((BASE + 5 + 2 * N)), nginx $LAST; all /health 200"

# ------------------------------------------------- 2. a node and an etcd member die
NODE2=$(sed -n 's/^node2: .* pid \([0-9]*\) .*/\1/p' "$T/out")
ETCD3=$(ps -o pid=,args= -s "$SID" | awk '$2 == "etcd" && / --name e3 / { print $1 }')
[ -n "$NODE2" ] && [ -n "$ETCD3" ] || fail "no pid for node2 ($NODE2) or etcd e3 ($ETCD3)"
kill -KILL "$NODE2" "$ETCD3"
for _ in $(seq 1 50); do
    grep -q "node2 (pid $NODE2) exited" "$T/out" && grep -q "etcd-e3 (pid $ETCD3) exited" "$T/out" && break
    sleep 0.2
done
grep -q "node2 (pid $NODE2) exited" "$T/out" || fail "the death of node2 was not reported"
grep -q "etcd-e3 (pid $ETCD3) exited" "$T/out" || fail "the death of etcd e3 was not reported"
kill -0 "$PID" 2>/dev/null || fail "cluster.sh stopped when one node died"
good=0
for _ in $(seq 1 10); do [ "$(code "http://127.0.0.1:$LAST/health")" = 200 ] && good=$((good + 1)); done
[ "$good" = 10 ] || fail "the front door answered $good of 10 /health with 200 after node2 died"
ok "kill -9 of node2 and etcd e3: both reported, the front door still answers"

# ------------------------------------------------- 3. stop: nothing left behind
kill -TERM "$PID"
for _ in $(seq 1 300); do kill -0 "$PID" 2>/dev/null || break; sleep 0.2; done   # 60 s
kill -0 "$PID" 2>/dev/null && fail "cluster.sh did not stop within 60 s of SIGTERM"
wait "$PID"; st=$?
[ "$st" = 0 ] || fail "cluster.sh exited with status $st after SIGTERM"
# the enclaves die with their esgxd (PR_SET_PDEATHSIG): a moment for the kernel
for _ in $(seq 1 20); do [ -z "$(ps -o pid= -s "$SID")" ] && break; sleep 0.1; done
left=$(ps -o pid=,args= -s "$SID")
[ -z "$left" ] || fail "still running after cluster.sh exited: $left"
listening=$(python3 - "$BASE" "$LAST" <<'EOF'
import socket, sys
for p in range(int(sys.argv[1]), int(sys.argv[2]) + 1):
    s = socket.socket()
    if s.connect_ex(("127.0.0.1", p)) == 0: print(p, end=" ")
    s.close()
EOF
)
[ -z "$listening" ] || fail "ports still answering after cluster.sh exited: $listening"
SID=""
ok "SIGTERM: cluster.sh exited 0; no process of its session, no port of $BASE-$LAST left"
