#!/usr/bin/env bash
# node_bench.sh: the node's figures on this machine, in one run.
#   bench/node_bench.sh [BUILD_DIR] [SECONDS]
# 1. signed invocations/s and latency of the hello guest with wrk (2 threads, 32 and 64
#    connections) against POST /services/3;
# 2. cold start of a 1 MiB module: time of the first invocation right after upload
#    (hash check, compile, instantiate, run, sign), median of 5 distinct modules, and
#    the warm time of the same module after it;
# 3. resident memory (VmRSS) of esgxd and esgx-enclave when idle, and after the load.
# Needs wrk, curl, wat2wasm, python3. Numbers depend on what else runs on the machine.
# ESGXD_FLAGS adds esgxd options, e.g. ESGXD_FLAGS="--compile-threads 1" for the cold
# start of a single-threaded compile; COLD_MODULES (default 5) sets how many 1 MiB
# modules the cold-start median is taken over.
set -euo pipefail
cd "$(dirname "$0")/.."
bdir=$(realpath "${1:-build}"); secs=${2:-10}
work=$(mktemp -d); trap 'kill $pid 2>/dev/null || true; wait 2>/dev/null; rm -rf "$work"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
url=http://127.0.0.1:$port
# shellcheck disable=SC2086  # ESGXD_FLAGS is a list of options
"$bdir/esgxd" --data-dir "$work/node" --listen "127.0.0.1:$port" --init ${ESGXD_FLAGS:-} \
  2> "$work/log" &
pid=$!
for _ in $(seq 50); do curl -sf "$url/health" | grep -q ready && break; sleep 0.1; done
tok=$(cat "$work/node/admin.token")
enc=$(pgrep -P $pid esgx-enclave | head -1)
rss() { awk '/VmRSS/ {print $2}' /proc/$1/status; }
echo "idle RSS: esgxd $(rss $pid) KiB, esgx-enclave $(rss $enc) KiB"

upload() { curl -sf -H "Authorization: Bearer $tok" --data-binary @"$1" "$url/content" |
           python3 -c 'import json,sys; print(json.load(sys.stdin)["hash"])'; }
wat2wasm tests/guests/node_hello.wat -o "$work/hello.wasm"
h=$(upload "$work/hello.wasm")
curl -sf "$url/services/3" --data "{\"hash\":\"$h\",\"input\":\"world\"}" >/dev/null
cat > "$work/post.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"hash":"$h","input":"world"}'
LUA
for c in 32 64; do
  echo "== wrk -t2 -c$c -d${secs}s POST /services/3 (hello, signed)"
  wrk -t2 -c$c -d${secs}s --latency -s "$work/post.lua" "$url/services/3" |
    grep -E 'Requests/sec|^ +(50|90|99)%|Non-2xx|Socket errors'
done
echo "after load RSS: esgxd $(rss $pid) KiB, esgx-enclave $(rss $enc) KiB"

# 1 MiB modules of code (bench/big_module.py): 1400 functions of straight-line
# arithmetic plus main; a different K per module makes each one a distinct hash (so
# nothing is cached).
gen() { python3 bench/big_module.py "$1"; }
cold=() warm=()
for k in $(seq "${COLD_MODULES:-5}"); do
  gen $k > "$work/big$k.wat"; wat2wasm "$work/big$k.wat" -o "$work/big$k.wasm"
  hb=$(upload "$work/big$k.wasm")
  t1=$(curl -sf -o /dev/null -w '%{time_total}' "$url/services/3" --data "{\"hash\":\"$hb\"}")
  t2=$(curl -sf -o /dev/null -w '%{time_total}' "$url/services/3" --data "{\"hash\":\"$hb\"}")
  cold+=("$t1"); warm+=("$t2")
done
size=$(stat -c %s "$work/big1.wasm")
med() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {printf "%.1f ms", a[int((NR+1)/2)]*1000}'; }
echo "cold start, ${size}-byte module, first invocation after upload: median $(med "${cold[@]}") (curl time_total, ${#cold[@]} modules)"
echo "same module, second invocation: median $(med "${warm[@]}")"
echo "idle RSS after all: esgxd $(rss $pid) KiB, esgx-enclave $(rss $enc) KiB"
