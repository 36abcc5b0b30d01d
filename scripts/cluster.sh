#!/usr/bin/env bash
# A whole network on one machine: a 3-member etcd cluster, N esgx nodes (default 3) on
# the sim platform sharing one key (node1 creates it with --init and writes it to
# node1/network_key; the others join pinned to it with --network-key), and nginx in
# front of them. Prints the front door's
# URL and the login line; Ctrl-C stops everything. State lives in ./esgx-cluster (a
# fresh network each time).
#   scripts/cluster.sh [N]        (needs a build: scripts/build.sh release)
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-3}"
case "$n" in ''|*[!0-9]*) echo "usage: scripts/cluster.sh [NODES]" >&2; exit 2 ;; esac
[ "$n" -ge 1 ] && [ "$n" -le 16 ] || { echo "cluster.sh: 1 to 16 nodes" >&2; exit 2; }
[ -x build/esgxd ] || scripts/build.sh release
export ESGX_SOURCE_DIR=$PWD PATH="$PWD/build:$PATH"
T=$PWD/esgx-cluster
rm -rf "$T"
mkdir -p "$T"
source tests/net_lib.sh
declare -A NODE_PID
stop_all() {
  for p in "${NODE_PID[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${NODE_PID[@]}"; do wait "$p" 2>/dev/null || true; done
  net_cleanup
}
trap stop_all EXIT
trap 'exit 0' INT TERM

etcd_cluster 3
esgx sim init "$T/sim" >/dev/null
for i in $(seq 1 "$n"); do
  http=$(net_free_port) peer=$(net_free_port)
  # --trusted-proxy: nginx (below) is on loopback; the limits count X-Forwarded-For
  init=(--init)   # node1 creates the network key; the others accept only that key
  [ "$i" = 1 ] || init=(--network-key "$(cat "$T/node1/network_key")")
  esgxd --data-dir "$T/node$i" --listen "127.0.0.1:$http" --sim-bundle "$T/sim" \
    --peer-listen "127.0.0.1:$peer" --etcd "$ETCD_ENDPOINTS" \
    --advertise "http://127.0.0.1:$http" --trusted-proxy 127.0.0.1/32 \
    "${init[@]}" 2>"$T/node$i.log" &
  NODE_PID[$i]=$!
  NODE_URL[$i]=http://127.0.0.1:$http
  for _ in $(seq 1 300); do
    curl -sf "${NODE_URL[$i]}/health" >/dev/null 2>&1 && break
    kill -0 "${NODE_PID[$i]}" 2>/dev/null || { echo "node$i exited; see $T/node$i.log" >&2; exit 1; }
    sleep 0.2
  done
  curl -sf "${NODE_URL[$i]}/health" >/dev/null || { echo "node$i is not ready; see $T/node$i.log" >&2; exit 1; }
done
front=$(net_free_port)
nginx_front "$front" "${NODE_URL[@]:1}"
echo "etcd:       $ETCD_ENDPOINTS"
for i in $(seq 1 "$n"); do echo "node$i:      ${NODE_URL[$i]} (log $T/node$i.log)"; done
echo "front door: http://127.0.0.1:$front (nginx)"
echo "network key: $(cat "$T/node1/network_key") (esgxd --network-key for more nodes)"
echo
echo "log in (the token is in $T/node1/admin.token):"
echo "  esgx login --node http://127.0.0.1:$front --sim-root $T/sim/sim_root.pem --token-file $T/node1/admin.token"
echo "Ctrl-C stops everything."
wait "${NODE_PID[1]}"
