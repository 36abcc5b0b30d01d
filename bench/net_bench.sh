#!/usr/bin/env bash
# net_bench.sh: the network's figures on this machine, in one run.
#   bench/net_bench.sh [BUILD_DIR] [RUNS]
# Starts a 3-member etcd cluster, three esgxd nodes on the sim platform (--replicas 1, so
# that an upload stays on the node that received it) and nginx in front of them
# (tests/net_lib.sh, deploy/nginx/esgx.conf), then measures:
# 1. throughput: wrk -t2 -c32 POST /services/3 (hello guest) through nginx to the three
#    nodes and against one node directly, interleaved, best of RUNS each; req/s, p50,
#    p99 and the ratio nginx-3-nodes / one-node-direct;
# 2. first call of an unseen 1 MiB module (1 MiB data segment) on a node that does not
#    hold it: uploaded to node1, then the first POST /services/3 on node2 (fetch from
#    the peer, BLAKE3 check, store, compile, run); a fresh module per run; median and
#    best of RUNS, with the first call on node1 (no fetch) beside it;
# 3. deploy to "answerable everywhere": from POST /content + PUT /functions/NAME on
#    node1 until POST /functions/NAME answers 200 on every node (one polling thread per
#    node); a fresh small module and name per run; median of RUNS;
# 4. kill -9 of a node under load: a client (4 threads, keep-alive) posts through nginx
#    for 5 s, node3 is killed at t=2 s; slowest request around the kill, requests that
#    nginx sent to the dead node (its error log), and non-200 answers seen by the client.
# Needs etcd, nginx, wrk, wat2wasm, curl, python3; skips with a message without them.
# NETBENCH_DEBUG=1 also prints nginx's error log of step 4.
# The machine's cores are shared by every process here (3 etcd, 3 nodes and their
# enclaves, nginx, the client): absolute figures measure the machine, ratios and the
# kill/deploy/fetch times are what carry over.
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=$PWD
bdir=$(realpath -m "${1:-build}"); runs=${2:-3}
case "$runs" in ''|*[!0-9]*|0) echo "usage: bench/net_bench.sh [BUILD_DIR] [RUNS>=1]" >&2; exit 2 ;; esac
for b in esgx esgxd esgx-enclave crypto_tool; do
  [ -x "$bdir/$b" ] || { echo "net_bench: skip: $bdir/$b not built (scripts/build.sh release)"; exit 0; }
done
for c in etcd nginx wrk wat2wasm curl python3; do
  command -v "$c" >/dev/null || { echo "net_bench: skip: $c not installed"; exit 0; }
done

T=$(mktemp -d "${TMPDIR:-/tmp}/esgx-netbench.XXXXXX")
export HOME=$T/home XDG_CONFIG_HOME=$T/config ESGX_SOURCE_DIR=$SRC
# shellcheck source=tests/net_lib.sh
source "$SRC/tests/net_lib.sh"
declare -A NODE_PID NODE_HTTP
ENCLAVES=()
cleanup() {
  set +e
  local p
  for p in "${NODE_PID[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for p in "${NODE_PID[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null
  done
  for p in "${ENCLAVES[@]}"; do kill -KILL "$p" 2>/dev/null; done   # orphans of kill -9
  { net_cleanup; wait; } 2>/dev/null   # no "Killed" job reports
  rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
die() { echo "net_bench: $*" >&2; for l in "$T"/node*.log; do [ -f "$l" ] && { echo "--- $l" >&2; tail -5 "$l" >&2; }; done; exit 1; }
url() { echo "http://127.0.0.1:${NODE_HTTP[$1]}"; }

# ---------------------------------------------------------------- the network
etcd_cluster 3 || die "etcd did not start"
"$bdir/esgx" sim init "$T/sim" >/dev/null
start_node() {
  local i=$1; shift
  NODE_HTTP[$i]=$(net_free_port)
  "$bdir/esgxd" --data-dir "$T/node$i" --listen "127.0.0.1:${NODE_HTTP[$i]}" \
    --sim-bundle "$T/sim" --peer-listen "127.0.0.1:$(net_free_port)" --etcd "$ETCD_ENDPOINTS" \
    --advertise "$(url "$i")" --replicas 1 "$@" 2>>"$T/node$i.log" &
  NODE_PID[$i]=$!
}
wait_ready() {   # wait_ready I...: /health answers 200 on every node named (60 s at most)
  local i pending
  for _ in $(seq 1 300); do
    pending=0
    for i in "$@"; do
      kill -0 "${NODE_PID[$i]}" 2>/dev/null || die "node$i exited"
      [ "$(curl -s -o /dev/null -w '%{http_code}' "$(url "$i")/health")" = 200 ] || pending=1
    done
    [ "$pending" = 0 ] && return 0
    sleep 0.2
  done
  die "nodes $* not all ready within 60 s"
}
start_node 1 --init; wait_ready 1
start_node 2; start_node 3; wait_ready 2 3
for i in 1 2 3; do
  while read -r p; do ENCLAVES+=("$p"); done < <(pgrep -P "${NODE_PID[$i]}" esgx-enclave || true)
done
FRONT_PORT=$(net_free_port); FRONT=http://127.0.0.1:$FRONT_PORT
nginx_front "$FRONT_PORT" "$(url 1)" "$(url 2)" "$(url 3)" || die "nginx did not start"
TOKEN=$(cat "$T/node1/admin.token")
upload() {   # upload NODE FILE -> hash
  curl -sf -H "Authorization: Bearer $TOKEN" --data-binary @"$2" "$(url "$1")/content" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["hash"])'
}
code() { curl -s -o "$T/body" -w '%{http_code}' "$@"; }
echo "net_bench: 3 etcd members, 3 nodes (--replicas 1), nginx; $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg)"

# gen SIZE SEED: a module whose data segment is SIZE pseudo-random bytes (seeded, so each
# seed is a distinct hash) and whose main outputs "ok" and one byte of that data.
gen() {
  python3 - "$1" "$2" <<'PY'
import random, sys
size, seed = int(sys.argv[1]), int(sys.argv[2])
data = random.Random(seed).randbytes(size)
pages = (size + 4 + 65535) // 65536 + 1
esc = ''.join('\\%02x' % b for b in data)
print('(module (import "fn0" "output_data_append" (func $out (param i32 i32) (result i32)))')
print('(memory (export "memory") %d) (data (i32.const 0) "ok") (data (i32.const 4) "%s")' % (pages, esc))
print('(func (export "main") (param i32 i32) (result i32)')
print('  (drop (call $out (i32.const 0) (i32.const 2)))')
print('  (drop (call $out (i32.const %d) (i32.const 1))) (i32.const 0)))' % (4 + seed % size))
PY
}
ms() { awk -v s="$1" 'BEGIN { printf "%.1f", s * 1000 }'; }
stats() {   # stats VALUES... (seconds) -> "median X ms, best Y ms"
  printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {printf "median %.1f ms, best %.1f ms", a[int((NR+1)/2)]*1000, a[1]*1000}'
}

# ---------------------------------------------------------------- 1. throughput
wat2wasm tests/guests/node_hello.wat -o "$T/hello.wasm"
HELLO=$(upload 1 "$T/hello.wasm")
for i in 1 2 3; do   # every node fetches and compiles it before the load
  [ "$(code "$(url "$i")/services/3" -d "{\"hash\":\"$HELLO\",\"input\":\"world\"}")" = 200 ] ||
    die "warm-up on node$i: $(cat "$T/body")"
done
cat >"$T/post.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"hash":"$HELLO","input":"world"}'
wrk.headers["Content-Type"] = "application/json"
LUA
# wrk_once URL -> "req/s p50_ms p99_ms errors"
wrk_once() {
  wrk -t2 -c32 -d5s --latency -s "$T/post.lua" "$1/services/3" | awk '
    function tms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0;
                      if (v ~ /m$/) return v * 60000; return v * 1000 }
    /Requests\/sec/ { rps = $2 }
    /^ +50%/ { p50 = tms($2) } /^ +99%/ { p99 = tms($2) }
    /Non-2xx/ { err += $NF } /Socket errors/ { err += 1 }
    END { printf "%s %.2f %.2f %d\n", rps, p50, p99, err }'
}
best_front="0 0 0 0" best_one="0 0 0 0"
better() { awk -v a="$1" -v b="$2" 'BEGIN { split(a, x, " "); split(b, y, " "); exit !(x[1] > y[1]) }'; }
for r in $(seq 1 "$runs"); do
  f=$(wrk_once "$FRONT"); better "$f" "$best_front" && best_front=$f
  o=$(wrk_once "$(url 1)"); better "$o" "$best_one" && best_one=$o
  echo "  run $r: nginx-3-nodes $(cut -d' ' -f1 <<<"$f") req/s, one-node $(cut -d' ' -f1 <<<"$o") req/s"
done
echo
echo "1. throughput, wrk -t2 -c32 -d5s POST /services/3 (hello, signed), best of $runs"
printf '   %-22s %10s %9s %9s %7s\n' target req/s p50_ms p99_ms errors
read -r rps p50 p99 err <<<"$best_front"; printf '   %-22s %10s %9s %9s %7s\n' "nginx -> 3 nodes" "$rps" "$p50" "$p99" "$err"
read -r rps p50 p99 err <<<"$best_one";   printf '   %-22s %10s %9s %9s %7s\n' "node1 directly" "$rps" "$p50" "$p99" "$err"
awk -v a="${best_front%% *}" -v b="${best_one%% *}" 'BEGIN { printf "   ratio nginx-3-nodes / one-node-direct: %.2f\n", a / b }'
echo "   (all of it shares $(nproc) cores: wrk, nginx, 3 nodes + enclaves, 3 etcd; the ratio is the figure"
echo "    that carries over, not req/s: three nodes here do not add cores, only the proxy hop)"

# ---------------------------------------------------------------- 2. unseen 1 MiB module
fetch=() local1=() warm=()
for r in $(seq 1 "$runs"); do
  gen 1048576 "$((RANDOM * 32768 + RANDOM + r))" >"$T/big.wat"
  wat2wasm "$T/big.wat" -o "$T/big.wasm"
  hb=$(upload 1 "$T/big.wasm") || die "upload of the 1 MiB module"
  c=$(code -H "X-Esgx-Peer-Fetch: 1" "$(url 2)/content/$hb")
  [ "$c" = 404 ] || die "node2 already holds the fresh module (GET /content: $c)"
  t=$(curl -s -o "$T/body" -w '%{http_code} %{time_total}' "$(url 2)/services/3" -d "{\"hash\":\"$hb\"}")
  [ "${t% *}" = 200 ] || die "first call on node2: ${t% *} $(head -c 300 "$T/body")"
  fetch+=("${t#* }")
  t=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' "$(url 1)/services/3" -d "{\"hash\":\"$hb\"}")
  [ "${t% *}" = 200 ] || die "first call on node1: ${t% *}"
  local1+=("${t#* }")
  warm+=("$(curl -sf -o /dev/null -w '%{time_total}' "$(url 2)/services/3" -d "{\"hash\":\"$hb\"}")")
done
echo
echo "2. first POST /services/3 of an unseen $(stat -c %s "$T/big.wasm")-byte module (1 MiB data segment), $runs fresh modules"
echo "   on node2, uploaded to node1 (fetch from peer, BLAKE3, store, compile, run): $(stats "${fetch[@]}")   target < 50 ms"
echo "   on node1, which received it (no fetch):                                   $(stats "${local1[@]}")"
echo "   on node2 again (warm):                                                    $(stats "${warm[@]}")"

# ---------------------------------------------------------------- 3. deploy -> everywhere
cat >"$T/deploy.py" <<'PY'
# deploy.py TOKEN WASM NAME URL...: POST /content and PUT /functions/NAME on the first
# URL, then one thread per node posts to /functions/NAME until it answers 200; prints
# the seconds from the start of the upload to the last node's first 200, then per node.
import json, os, subprocess, sys, threading, time, urllib.request, urllib.error
token, wasm, name, urls = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
net = json.load(urllib.request.urlopen(urls[0] + "/attestation"))["public_key"]
def req(method, url, body, auth=False):
    r = urllib.request.Request(url, data=body, method=method)
    if auth: r.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(r, timeout=10) as a: return a.status, a.read()
    except urllib.error.HTTPError as e: return e.code, e.read()
body = open(wasm, "rb").read()
t0 = time.monotonic()
st, ans = req("POST", urls[0] + "/content", body, True)
assert st == 200, (st, ans)
h = json.loads(ans)["hash"]
# a deploy is a name record signed by a developer key (here a fixed test key, signed by
# tests/crypto_tool; docs/formats.md "Name records")
unsigned = {"name": name, "network": net, "hash": h, "encrypted": False, "seq": 1,
            "owner": "0" * 66, "signature": "0" * 130}
rec = subprocess.run([os.environ["CRYPTO_TOOL"], "name-record-sign", "11" * 32], check=True,
                     input=json.dumps(unsigned).encode(), capture_output=True).stdout.strip()
st, ans = req("PUT", urls[0] + "/functions/" + name, b'{"record":' + rec + b'}', True)
assert st in (200, 201), (st, ans)
t_put = time.monotonic() - t0
done = {}
def poll(u):
    while time.monotonic() - t0 < 10:
        if req("POST", u + "/functions/" + name, b"x")[0] == 200:
            done[u] = time.monotonic() - t0; return
threads = [threading.Thread(target=poll, args=(u,)) for u in urls]
for t in threads: t.start()
for t in threads: t.join()
assert len(done) == len(urls), "not every node answered within 10 s: %s" % done
print("%.6f %.6f %s" % (max(done.values()), t_put, " ".join("%.6f" % done[u] for u in urls)))
PY
dall=() dput=()
for r in $(seq 1 "$runs"); do
  gen 64 "$((RANDOM * 32768 + RANDOM + r))" >"$T/small.wat"
  wat2wasm "$T/small.wat" -o "$T/small.wasm"
  out=$(CRYPTO_TOOL=$bdir/crypto_tool python3 "$T/deploy.py" "$TOKEN" "$T/small.wasm" "bench-$r-$RANDOM" "$(url 1)" "$(url 2)" "$(url 3)") ||
    die "deploy run $r"
  read -r all put n1 n2 n3 <<<"$out"
  dall+=("$all"); dput+=("$put")
  echo "  run $r: upload+PUT $(ms "$put") ms; first 200 on node1 $(ms "$n1"), node2 $(ms "$n2"), node3 $(ms "$n3") ms"
done
echo
echo "3. deploy on node1 (POST /content + PUT /functions/NAME, fresh module and name) until"
echo "   POST /functions/NAME answers 200 on all 3 nodes: $(stats "${dall[@]}") over $runs runs   target < 1 s"
echo "   (of which upload + PUT acknowledged: $(stats "${dput[@]}"))"

# ---------------------------------------------------------------- 4. kill -9 under load
cat >"$T/killer.py" <<'PY'
# killer.py HOST PORT HASH PID: 4 threads post /services/3 through nginx on keep-alive
# connections for 5 s; PID is killed (SIGKILL) at t=2 s. Prints one line of figures.
import http.client, os, signal, sys, threading, time
host, port, h, pid = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
body = ('{"hash":"%s","input":"load"}' % h).encode()
t0 = time.monotonic(); end = t0 + 5.0; kill_at = t0 + 2.0
recs, lock = [], threading.Lock()
def client():
    c = http.client.HTTPConnection(host, port, timeout=30)
    while time.monotonic() < end:
        s = time.monotonic()
        try:
            c.request("POST", "/services/3", body, {"Content-Type": "application/json"})
            r = c.getresponse(); r.read(); st = r.status
        except Exception:
            st = 0; c.close(); c = http.client.HTTPConnection(host, port, timeout=30)
        with lock: recs.append((s, time.monotonic(), st))
ts = [threading.Thread(target=client) for _ in range(4)]
for t in ts: t.start()
time.sleep(max(0, kill_at - time.monotonic()))
tk = time.monotonic(); os.kill(pid, signal.SIGKILL)
for t in ts: t.join()
lat = lambda rs: sorted((e - s) * 1000 for s, e, _ in rs) or [0]
before = [r for r in recs if r[1] < tk]
around = [r for r in recs if r[1] >= tk and r[0] < tk + 1.0]   # in flight at or started within 1 s after the kill
after = [r for r in recs if r[0] >= tk + 1.0]
bad = sum(1 for r in recs if r[2] != 200)
b, a, f = lat(before), lat(around), lat(after)
slow = sorted(recs, key=lambda r: r[0] - r[1])[:3]   # the 3 slowest: start after the kill, ms
print("%d %d %.1f %.1f %.1f %.1f %.1f %.1f %s" % (len(recs), bad, b[len(b) // 2], b[-1],
      a[len(a) // 2], a[-1], f[len(f) // 2], f[-1],
      ",".join("%+.0f:%.0f" % ((s - tk) * 1000, (e - s) * 1000) for s, e, _ in slow)))
PY
: >"$T/nginx/logs/error.log"
disown "${NODE_PID[3]}"   # killed on purpose below: no job report from bash
out=$(python3 "$T/killer.py" 127.0.0.1 "$FRONT_PORT" "$HELLO" "${NODE_PID[3]}") || die "the client under kill failed"
unset "NODE_PID[3]"
read -r n bad b50 bmax a50 amax f50 fmax slow <<<"$out"
[ -n "${NETBENCH_DEBUG:-}" ] && cat "$T/nginx/logs/error.log" >&2
dead=${NODE_HTTP[3]}
disabled=$(grep -c "temporarily disabled.*127.0.0.1:$dead" "$T/nginx/logs/error.log" || true)
tried=$(( $(grep -c "127.0.0.1:$dead" "$T/nginx/logs/error.log" || true) - disabled ))
echo
echo "4. kill -9 of node3 at t=2 s while 4 keep-alive clients post through nginx for 5 s ($n requests)"
echo "   latency before the kill:                   p50 $b50 ms, max $bmax ms"
echo "   in flight at the kill or within 1 s after: p50 $a50 ms, max $amax ms (slowest request around the kill)"
echo "   from 1 s after the kill to the end:        p50 $f50 ms, max $fmax ms"
echo "   3 slowest requests (start relative to the kill : latency, ms): ${slow//,/  }"
echo "   requests nginx sent to the dead node (its error log): $tried, each retried on another node;"
echo "   then it was marked 'temporarily disabled' $disabled time(s) (max_fails=1, fail_timeout=5s)"
echo "   non-200 answers or socket errors seen by the client: $bad   target 0"
