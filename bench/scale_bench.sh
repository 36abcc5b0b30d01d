#!/usr/bin/env bash
# scale_bench.sh: a 24-node network on this machine and what it costs its etcd cluster.
#   bench/scale_bench.sh [BUILD_DIR] [NODES] [RUNS]      (defaults: build 24 3)
# Starts a 3-member etcd cluster (tests/net_lib.sh etcd_cluster) and NODES esgxd nodes
# on the sim platform, each small (--workers 1 --http-threads 2 --compile-threads 1,
# --replicas 3), node1 with --init and the others pinned to its key, then measures:
# 1. deploy to everywhere: POST /content + PUT /functions/NAME (a signed name record,
#    tests/crypto_tool) on node1, then one polling thread per node posts to
#    /functions/NAME until it answers 200 (a node that lacks the module fetches it from a
#    holder); a fresh module and name per run; median and best of RUNS;
# 2. etcd's own counters per deploy (its /metrics, diffed): puts, deletes, txns and raft
#    proposals from just before the upload to the acknowledged PUT, and to the moment
#    every node has answered (each node that fetched the module registers as a holder);
#    the watch fan-out: watchers open on the members (one per node) and watch events
#    sent per deploy, summed over the members;
# 3. idle load: lease keepalives/s and writes/s over 10 s with nothing happening;
# 4. repair: 24 items uploaded (--replicas 3, acknowledged with 3 copies), then kill -9
#    of the 4 nodes that hold the most of them; time until every item that kept a copy
#    has 3 holders among the live members again (holders/ and members/ read from etcd),
#    from the kill and from the moment etcd dropped the last victim's members/ key (its
#    lease ran out); an item whose 3 copies were all on victims is counted apart;
# etcd's key sizes per kind, and the memory of a node (esgxd + its enclave, RSS).
# Needs etcd, wat2wasm, curl, python3. The machine's cores are shared by everything here
# (3 etcd members, NODES nodes and their enclaves, the client): times measure this
# machine; the counts (writes, events, watchers) are what carry over to a real network.
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=$PWD
bdir=$(realpath -m "${1:-build}"); nodes=${2:-24}; runs=${3:-3}
case "$nodes$runs" in *[!0-9]*) echo "usage: bench/scale_bench.sh [BUILD_DIR] [NODES] [RUNS]" >&2; exit 2 ;; esac
[ "$nodes" -ge 6 ] && [ "$runs" -ge 1 ] || { echo "scale_bench: 6 nodes or more, 1 run or more" >&2; exit 2; }
for b in esgx esgxd esgx-enclave crypto_tool; do
  [ -x "$bdir/$b" ] || { echo "scale_bench: skip: $bdir/$b not built (scripts/build.sh release)"; exit 0; }
done
for c in etcd wat2wasm curl python3; do
  command -v "$c" >/dev/null || { echo "scale_bench: skip: $c not installed"; exit 0; }
done

T=$(mktemp -d "${TMPDIR:-/tmp}/esgx-scalebench.XXXXXX")
export HOME=$T/home XDG_CONFIG_HOME=$T/config ESGX_SOURCE_DIR=$SRC
# shellcheck source=tests/net_lib.sh
source "$SRC/tests/net_lib.sh"
declare -A NODE_PID NODE_HTTP
cleanup() {
  set +e
  # the enclaves die with their esgxd (PR_SET_PDEATHSIG); no job reports from bash
  { stop_pids 10 "${NODE_PID[@]}"; net_cleanup; wait; } 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
die() { echo "scale_bench: $*" >&2; for l in "$T"/node*.log; do [ -f "$l" ] && { echo "--- $l" >&2; tail -3 "$l" >&2; }; done; exit 1; }
url() { echo "http://127.0.0.1:${NODE_HTTP[$1]}"; }

# ---------------------------------------------------------------- the network
t_start=$(date +%s.%N)
etcd_cluster 3 || die "etcd did not start"
"$bdir/esgx" sim init "$T/sim" >/dev/null
start_node() {
  local i=$1; shift
  NODE_HTTP[$i]=$(net_free_port)
  "$bdir/esgxd" --data-dir "$T/node$i" --listen "127.0.0.1:${NODE_HTTP[$i]}" \
    --sim-bundle "$T/sim" --peer-listen "127.0.0.1:$(net_free_port)" --etcd "$ETCD_ENDPOINTS" \
    --advertise "$(url "$i")" --replicas 3 --workers 1 --http-threads 2 --compile-threads 1 \
    "$@" 2>>"$T/node$i.log" &
  NODE_PID[$i]=$!
}
wait_ready() {   # wait_ready SECONDS I...: /health 200 on every node named
  local secs=$1 i pending; shift
  for _ in $(seq 1 $((secs * 2))); do
    pending=0
    for i in "$@"; do
      kill -0 "${NODE_PID[$i]}" 2>/dev/null || die "node$i exited"
      [ "$(curl -s -m 2 -o /dev/null -w '%{http_code}' "$(url "$i")/health")" = 200 ] || pending=1
    done
    [ "$pending" = 0 ] && return 0
    sleep 0.5
  done
  die "nodes not all ready within $secs s"
}
start_node 1 --init; wait_ready 60 1
for i in $(seq 2 "$nodes"); do start_node "$i" --network-key "$(cat "$T/node1/network_key")"; done
disown "${NODE_PID[@]}"   # four are killed on purpose below: no job reports from bash
wait_ready $((60 + 5 * nodes)) $(seq 2 "$nodes")
t_ready=$(date +%s.%N)
echo "scale_bench: 3 etcd members ($(etcd --version | head -1)), $nodes nodes (--replicas 3 --workers 1);"
echo "  $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg);" \
     "all $nodes nodes ready $(awk -v a="$t_start" -v b="$t_ready" 'BEGIN { printf "%.1f", b - a }') s after the start"

# modules: 64 bytes of seeded data each, so every one is a distinct hash
gen() {
  python3 - "$1" <<'PY'
import random, sys
seed = int(sys.argv[1]); data = random.Random(seed).randbytes(64)
print('(module (import "fn0" "output_data_append" (func $out (param i32 i32) (result i32)))')
print('(memory (export "memory") 1) (data (i32.const 0) "ok") (data (i32.const 4) "%s")'
      % ''.join('\\%02x' % b for b in data))
print('(func (export "main") (param i32 i32) (result i32)')
print('  (drop (call $out (i32.const 0) (i32.const 2))) (i32.const 0)))')
PY
}
seed=$((RANDOM * 32768 + RANDOM))
for k in $(seq 1 $((runs + 24))); do
  gen "$((seed + k))" >"$T/m$k.wat"; wat2wasm "$T/m$k.wat" -o "$T/m$k.wasm"
done
{
  for i in $(seq 1 "$nodes"); do
    echo "node $(url "$i") ${NODE_PID[$i]} $(cat "$T/node$i/node.id")"
  done
  for i in 1 2 3; do echo "etcd http://127.0.0.1:${ETCD_CLIENT[e$i]}"; done   # in order
} >"$T/net.txt"

# ---------------------------------------------------------------- the measurements
CRYPTO_TOOL=$bdir/crypto_tool python3 - "$T" "$runs" "$(cat "$T/node1/admin.token")" <<'PY'
import base64, json, os, signal, statistics, subprocess, sys, threading, time
import urllib.request, urllib.error
T, runs, token = sys.argv[1], int(sys.argv[2]), sys.argv[3]
nodes, etcds = [], []
for line in open(T + "/net.txt"):
    f = line.split()
    if f[0] == "node": nodes.append({"url": f[1], "pid": int(f[2]), "id": f[3]})
    else: etcds.append(f[1])
PREFIX = "/esgx/"

def req(method, url, body=None, auth=False, timeout=10):
    r = urllib.request.Request(url, data=body, method=method)
    if auth: r.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(r, timeout=timeout) as a: return a.status, a.read()
    except urllib.error.HTTPError as e: return e.code, e.read()
    except OSError as e: return 0, str(e).encode()

def metrics(u):   # etcd's /metrics -> {name{labels}: value}
    out = {}
    for line in urllib.request.urlopen(u + "/metrics", timeout=5).read().decode().splitlines():
        if line and not line.startswith("#"):
            k, v = line.rsplit(" ", 1); out[k] = float(v)
    return out
def etcd_counts():
    """The counters that matter, each summed over the members or read on one."""
    ms = [metrics(u) for u in etcds]
    one = ms[0]   # every member applies every write: one member's count is the cluster's
    s = lambda name: sum(m.get(name, 0) for m in ms)
    return {"put": one.get("etcd_mvcc_put_total", 0), "delete": one.get("etcd_mvcc_delete_total", 0),
            "txn": one.get("etcd_mvcc_txn_total", 0),
            "proposals": one.get("etcd_server_proposals_committed_total", 0),
            "range": s("etcd_mvcc_range_total"),
            "watchers": s("etcd_debugging_mvcc_watcher_total"),
            "per_member": "/".join("%d" % m.get("etcd_debugging_mvcc_watcher_total", 0) for m in ms),
            "leader_renewed": "/".join("%d" % m.get("etcd_debugging_lease_renewed_total", 0) for m in ms),
            "streams": s("etcd_debugging_mvcc_watch_stream_total"),
            "events": s("etcd_debugging_mvcc_events_total"),
            "renewed": s("etcd_debugging_lease_renewed_total"),
            "db": max(m.get("etcd_mvcc_db_total_size_in_bytes", 0) for m in ms),
            "keys": one.get("etcd_debugging_mvcc_keys_total", 0)}
def diff(a, b): return {k: b[k] - a[k] for k in a if not isinstance(a[k], str)}

def etcd_keys(prefix):   # keys under PREFIX+prefix through the v3 JSON gateway
    k = (PREFIX + prefix).encode()
    end = k[:-1] + bytes([k[-1] + 1])
    body = json.dumps({"key": base64.b64encode(k).decode(), "range_end": base64.b64encode(end).decode(),
                       "keys_only": True}).encode()
    for u in etcds:
        st, ans = req("POST", u + "/v3/kv/range", body, timeout=3)
        if st == 200:
            return [base64.b64decode(kv["key"]).decode()[len(PREFIX + prefix):]
                    for kv in json.loads(ans).get("kvs", [])]
    raise RuntimeError("no etcd member answered a range")

def upload(i, path):
    st, ans = req("POST", nodes[i]["url"] + "/content", open(path, "rb").read(), True, 30)
    assert st == 200, (st, ans)
    return json.loads(ans)

def rss_kib(pid):
    def one(p):
        for l in open("/proc/%d/status" % p):
            if l.startswith("VmRSS:"): return int(l.split()[1])
        return 0
    kids = [int(c) for c in open("/proc/%d/task/%d/children" % (pid, pid)).read().split()]
    return one(pid), sum(one(c) for c in kids)

net = json.loads(req("GET", nodes[0]["url"] + "/attestation")[1])["public_key"]
ms = lambda s: "%.0f ms" % (s * 1000)
N = len(nodes)

# ------------------------------------------------ 3 first: idle load over 10 s
time.sleep(2)
a = etcd_counts(); time.sleep(10); b = etcd_counts(); idle = diff(a, b)

# ------------------------------------------------ 1 + 2: deploy to everywhere
alls, acks, per = [], [], []
for r in range(1, runs + 1):
    name = "scale-%d-%d" % (r, os.getpid())
    c0 = etcd_counts()
    t0 = time.monotonic()
    ans = upload(0, "%s/m%d.wasm" % (T, r))
    h = ans["hash"]
    unsigned = {"name": name, "network": net, "hash": h, "encrypted": False, "seq": 1,
                "owner": "0" * 66, "signature": "0" * 130}
    rec = subprocess.run([os.environ["CRYPTO_TOOL"], "name-record-sign", "11" * 32], check=True,
                         input=json.dumps(unsigned).encode(), capture_output=True).stdout.strip()
    st, out = req("PUT", nodes[0]["url"] + "/functions/" + name, b'{"record":' + rec + b'}', True)
    assert st in (200, 201), (st, out)
    t_ack = time.monotonic() - t0
    c_ack = etcd_counts()
    done = {}
    def poll(n):
        while time.monotonic() - t0 < 60:
            if req("POST", n["url"] + "/functions/" + name, b"x")[0] == 200:
                done[n["url"]] = time.monotonic() - t0; return
            time.sleep(0.02)
    ts = [threading.Thread(target=poll, args=(n,)) for n in nodes]
    for t in ts: t.start()
    for t in ts: t.join()
    assert len(done) == N, "only %d of %d nodes answered within 60 s" % (len(done), N)
    t_all = max(done.values())
    time.sleep(1.5)   # the holder registrations that follow the fetches
    c_all = etcd_counts()
    holders = len([k for k in etcd_keys("holders/") if k.startswith(h + "/")])
    alls.append(t_all); acks.append(t_ack)
    per.append((diff(c0, c_ack), diff(c0, c_all), holders, c_all["watchers"], c_all["streams"],
                c_all["per_member"]))
    print("  run %d: upload (%d replicas) + PUT acknowledged %s; all %d nodes answer %s (median node %s); "
          "%d holders after" % (r, ans.get("replicas", 0), ms(t_ack), N, ms(t_all),
                                ms(statistics.median(done.values())), holders))

print()
print("1. deploy on node1 (POST /content + PUT /functions/NAME) until POST /functions/NAME answers")
print("   200 on all %d nodes: median %s, best %s over %d runs (acknowledged: median %s)" %
      (N, ms(statistics.median(alls)), ms(min(alls)), runs, ms(statistics.median(acks))))
d_ack, d_all, holders, watchers, streams, per_member = per[-1]
w = lambda d: int(d["put"] + d["delete"])
print()
print("2. etcd per deploy (last run; etcd's /metrics, diffed):")
print("   to the acknowledged PUT:   %d puts, %d deletes, %d txns, %d raft proposals, %d ranges" %
      (d_ack["put"], d_ack["delete"], d_ack["txn"], d_ack["proposals"], d_ack["range"]))
print("   to all %d nodes answering: %d puts, %d deletes, %d txns, %d raft proposals, %d ranges" %
      (N, d_all["put"], d_all["delete"], d_all["txn"], d_all["proposals"], d_all["range"]))
print("   (each node that fetched the module wrote holders/<hash>/<id>: %d holders)" % holders)
print("   watch fan-out: %d watchers on %d watch streams open over the 3 members (%d nodes);" %
      (watchers, streams, N))
print("   watchers per member (e1/e2/e3): %s: a node watches through the first URL of its --etcd" % per_member)
print("   %d watch events sent for the deploy (%.1f per etcd write, %.1f per node)" %
      (d_all["events"], d_all["events"] / max(1, w(d_all)), d_all["events"] / N))
print()
print("3. idle, 10 s: %.1f lease keepalives/s (%d nodes / 2 s renewal = %.1f/s expected), "
      "%.1f writes/s, %.1f ranges/s" % (idle["renewed"] / 10, N, N / 2, w(idle) / 10, idle["range"] / 10))
c = etcd_counts()
print("   keepalives counted per member (e1/e2/e3, since start): %s: the leader serves them all"
      % c["leader_renewed"])
print("   etcd now: %d keys, db %.1f MiB" % (c["keys"], c["db"] / 1048576))

def key_sizes():   # per kind of key: count, mean key and value bytes, bytes in a list answer
    k = PREFIX.encode(); end = k[:-1] + bytes([k[-1] + 1])
    body = json.dumps({"key": base64.b64encode(k).decode(), "range_end": base64.b64encode(end).decode()})
    st, raw = req("POST", etcds[0] + "/v3/kv/range", body.encode())
    kinds = {}
    for kv in json.loads(raw).get("kvs", []):
        key = base64.b64decode(kv["key"]); val = base64.b64decode(kv.get("value", ""))
        s = kinds.setdefault(key[len(PREFIX):].split(b"/")[0].decode(), [0, 0, 0, 0])
        s[0] += 1; s[1] += len(key); s[2] += len(val); s[3] += len(json.dumps(kv))
    return len(raw), kinds
total, kinds = key_sizes()
print("   the whole prefix as a node lists it at start (one range through the JSON gateway): %d bytes" % total)
for kind, (n, kl, vl, jl) in sorted(kinds.items()):
    print("     %-10s %4d keys, mean key %3d B, value %3d B, %3d B each in the list answer"
          % (kind, n, kl / n, vl / n, jl / n))

rss = sorted(sum(rss_kib(n["pid"])) for n in nodes)
print()
print("memory of a node (esgxd + its enclave, RSS): median %.1f MiB, largest %.1f MiB; all %d: %.0f MiB"
      % (rss[len(rss) // 2] / 1024, rss[-1] / 1024, N, sum(rss) / 1024))

# ------------------------------------------------ 4: kill 4 holders, until 3 copies again
items = []
for k in range(runs + 1, runs + 25):
    ans = upload(k % N, "%s/m%d.wasm" % (T, k))
    items.append(ans["hash"])
    assert ans.get("replicas") == 3, ans
def holders_of():
    hs = {}
    for key in etcd_keys("holders/"):
        h, i = key.split("/", 1)
        if h in items: hs.setdefault(h, set()).add(i)
    return hs
hs = holders_of()
count = {n["id"]: sum(1 for h in items if n["id"] in hs.get(h, ())) for n in nodes}
victims = sorted(nodes, key=lambda n: -count[n["id"]])[:4]
vids = {v["id"] for v in victims}
lost = sum(1 for h in items if len(hs.get(h, set()) - vids) < 3)
# an item whose every copy was on a victim cannot come back until a victim does
gone = [h for h in items if not (hs.get(h, set()) - vids)]
left = [h for h in items if h not in gone]
t0 = time.monotonic()
for v in victims: os.kill(v["pid"], signal.SIGKILL)
t_first = t_gone = t_ok = None
while time.monotonic() - t0 < 180:
    live = set(etcd_keys("members/"))
    if t_first is None and len(live & vids) < len(vids): t_first = time.monotonic() - t0
    if t_gone is None and not (live & vids): t_gone = time.monotonic() - t0
    hs = holders_of()
    if t_gone is not None and all(len(hs.get(h, set()) & live) >= min(3, len(live)) for h in left):
        t_ok = time.monotonic() - t0; break
    time.sleep(0.1)
print()
print("4. %d items at 3 copies; kill -9 of the 4 nodes holding most of them (%s items each):"
      % (len(items), "/".join(str(count[v["id"]]) for v in victims)))
print("   %d of %d items lost at least one copy; %d lost all 3 (back only with a victim's disk)"
      % (lost, len(items), len(gone)))
if t_ok is None:
    print("   NOT restored within 180 s")
    sys.exit(1)
print("   etcd dropped the first victim's members/ key (lease TTL 6 s) %s after the kill, the last %s;"
      % (ms(t_first), ms(t_gone)))
print("   every other item back to min(3, live nodes) live holders %s after the kill (%s after the last"
      % (ms(t_ok), ms(t_ok - t_gone)))
print("   victim's lease ran out; the copies start as each victim's key goes)")
PY
