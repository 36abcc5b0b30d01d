#!/usr/bin/env bash
# soak.sh [MINUTES] [BUILD]: one node under mixed load for MINUTES (default 30): good
# calls (hello, echo of random sizes), hostile guests (infinite loop, memory bomb, deep
# recursion, output flood, trap in start), uploads of fresh content, an invalid module,
# and a kill -9 of the enclave every 2 minutes. Every 10 s it samples RSS, open file
# descriptors and threads of esgxd and esgx-enclave; at the end it prints the samples,
# first/last/max of each, and the answers by status. Nothing may grow without bound: the
# last third of the run is compared with the middle third.
#   bench/soak.sh 30 build       -> bench/out/soak.csv and a summary on stdout
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
minutes=${1:-30}
build=$(cd "${2:-build}" && pwd)
out=$root/bench/out
mkdir -p "$out"
for b in esgxd esgx-enclave esgx; do
  [ -x "$build/$b" ] || { echo "soak: $build/$b not built (scripts/build.sh release)" >&2; exit 1; }
done
command -v wat2wasm >/dev/null || { echo "soak: wat2wasm (wabt) missing" >&2; exit 1; }
T=$(mktemp -d "${TMPDIR:-/tmp}/esgx-soak.XXXXXX")
node_pid=
cleanup() {
  [ -n "$node_pid" ] && kill -TERM "$node_pid" 2>/dev/null && wait "$node_pid" 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT

"$build/esgxd" --data-dir "$T/node" --listen 127.0.0.1:0 --init --memory-pages 64 \
  --max-output 256K --fuel 50000000 --workers 2 2>"$T/node.log" &
node_pid=$!
port=
for _ in $(seq 1 300); do
  port=$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$T/node.log" | head -1 | sed 's/.*://' || true)
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { echo "soak: esgxd did not start" >&2; exit 1; }
url=http://127.0.0.1:$port
token=$(cat "$T/node/admin.token")
wat2wasm "$root/tests/guests/node_hostile.wat" -o "$T/hostile.wasm"
wat2wasm "$root/tests/guests/node_start_trap.wat" -o "$T/start.wasm"
up() { curl -sf -H "Authorization: Bearer $token" --data-binary @"$1" "$url/content" |
       python3 -c 'import json,sys; print(json.load(sys.stdin)["hash"])'; }
H_HOSTILE=$(up "$T/hostile.wasm")
H_START=$(up "$T/start.wasm")
H_HELLO=$(up "$build/examples/hello.wasm")
H_ECHO=$(up "$build/examples/echo.wasm")

# The load: one Python process, four threads of keep-alive clients, the enclave killed
# every 120 s, a sample every 10 s (written to soak.csv).
python3 - "$url" "$token" "$minutes" "$node_pid" "$out/soak.csv" "$H_HOSTILE" "$H_START" \
  "$H_HELLO" "$H_ECHO" <<'EOF'
import http.client, json, os, random, signal, subprocess, sys, threading, time, collections
url, token, minutes, node_pid, csv = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
h_hostile, h_start, h_hello, h_echo = sys.argv[6:10]
host, port = url[7:].split(":")
end = time.time() + minutes * 60
counts = collections.Counter()
unexpected = collections.Counter()
lock = threading.Lock()

def call(conn, method, path, body=None, headers=None):
    conn.request(method, path, body=body, headers=headers or {})
    r = conn.getresponse()
    data = r.read()
    return r.status, data

def worker(seed):
    rnd = random.Random(seed)
    conn = http.client.HTTPConnection(host, int(port), timeout=120)
    while time.time() < end:
        kind = rnd.choices(["hello", "echo", "hostile", "start", "upload", "invalid"],
                           [40, 30, 15, 5, 5, 5])[0]
        try:
            if kind == "hello":
                st, _ = call(conn, "POST", "/services/3", json.dumps({"hash": h_hello}))
                ok = st == 200
            elif kind == "echo":
                n = rnd.choice([0, 10, 1000, 100000])
                st, data = call(conn, "POST", "/services/3",
                                json.dumps({"hash": h_echo, "input": "x" * n}))
                ok = st == 200
            elif kind == "hostile":
                f = rnd.choice(["spin", "bomb", "deep", "flood"])
                st, _ = call(conn, "POST", "/services/3", json.dumps({"hash": h_hostile, "function": f}))
                ok = st == 422
            elif kind == "start":
                st, _ = call(conn, "POST", "/services/3", json.dumps({"hash": h_start}))
                ok = st == 422
            elif kind == "upload":
                body = os.urandom(rnd.choice([100, 10000, 300000]))
                st, _ = call(conn, "POST", "/content", body,
                             {"Authorization": "Bearer " + token})
                ok = st == 200
            else:
                st, _ = call(conn, "POST", "/services/3",
                             json.dumps({"hash": "ab" * 32}))
                ok = st == 404
            # while the enclave restarts after a kill, 503 is the documented answer
            if st == 503:
                ok = True
        except Exception as e:
            st, ok = type(e).__name__, False
            conn.close()
            conn = http.client.HTTPConnection(host, int(port), timeout=120)
        with lock:
            counts[(kind, st)] += 1
            if not ok:
                unexpected[(kind, st)] += 1

def proc_info(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            st = {l.split(":")[0]: l.split(":")[1].strip() for l in f}
        fds = len(os.listdir(f"/proc/{pid}/fd"))
        return int(st["VmRSS"].split()[0]), fds, int(st["Threads"])
    except Exception:
        return 0, 0, 0

def enclave_pid():
    out = subprocess.run(["pgrep", "-P", str(node_pid), "esgx-enclave"], capture_output=True, text=True).stdout.split()
    return int(out[0]) if out else 0

threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(4)]
for t in threads: t.start()
samples = []
t0 = time.time()
next_kill = t0 + 120
with open(csv, "w") as f:
    f.write("t_s,esgxd_rss_kb,esgxd_fds,esgxd_threads,enclave_rss_kb,enclave_fds,enclave_threads,requests\n")
    while time.time() < end:
        time.sleep(10)
        now = time.time()
        if now >= next_kill:
            e = enclave_pid()
            if e:
                os.kill(e, signal.SIGKILL)
                with lock: counts[("enclave_kill", "-")] += 1
            next_kill = now + 120
        a = proc_info(node_pid)
        b = proc_info(enclave_pid())
        with lock: n = sum(counts.values())
        row = (int(now - t0),) + a + b + (n,)
        samples.append(row)
        f.write(",".join(map(str, row)) + "\n"); f.flush()
for t in threads: t.join(timeout=180)

names = ["esgxd RSS KiB", "esgxd fds", "esgxd threads", "enclave RSS KiB", "enclave fds", "enclave threads"]
print(f"soak: {minutes:g} min, {sum(v for (k, s), v in counts.items() if k != 'enclave_kill')} requests, "
      f"{counts[('enclave_kill', '-')]} enclave kills, samples every 10 s in {csv}")
third = max(1, len(samples) // 3)
mid, last = samples[third:2 * third] or samples, samples[2 * third:] or samples
print(f"{'':18} {'first':>9} {'last':>9} {'max':>9} {'max mid 1/3':>12} {'max last 1/3':>13}")
grew = []
for i, n in enumerate(names, start=1):
    col = [s[i] for s in samples]
    mm, ml = max(s[i] for s in mid), max(s[i] for s in last)
    print(f"{n:18} {col[0]:9} {col[-1]:9} {max(col):9} {mm:12} {ml:13}")
    # RSS may wander within a few MiB; fds and threads must not creep at all
    slack = 4096 if "RSS" in n else 2
    if ml > mm + slack and ml > mm * 1.10:
        grew.append(n)
print("answers by kind and status:")
for (k, s), v in sorted(counts.items(), key=lambda x: (x[0][0], str(x[0][1]))):
    print(f"  {k:13} {str(s):>20} {v}")
bad = sum(unexpected.values())
print(f"unexpected answers or socket errors: {bad} {dict(unexpected) if bad else ''}")
print("growth in the last third: " + (", ".join(grew) if grew else "none"))
sys.exit(1 if grew or bad else 0)
EOF
