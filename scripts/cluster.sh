#!/usr/bin/env bash
# A whole network on one machine: a 3-member etcd cluster, N esgx nodes (default 3) on
# the sim platform sharing one key (node1 creates it with --init and writes it to
# node1/network_key; the others join pinned to it with --network-key), and nginx in
# front of them. Prints every URL and pid, the front door's URL and the login line;
# Ctrl-C (or SIGTERM) stops everything. State lives in ./esgx-cluster (a fresh network
# each time). Run with --help for the options and the port layout.
#
# Design: every process is a child of this script, recorded by pid (NODE_PID here,
# NET_PIDS in tests/net_lib.sh). Start-up waits for each node's /health and for the
# front door's /health, each with a deadline. Then the script watches all of them: a
# process that dies is reported and the network goes on without it (a node
# can be killed to watch the others cover for it) until nginx or the last node is
# gone. The EXIT trap stops everything whatever happened before: `set +e` first (a
# `kill` of a process that already died must not abort the cleanup), nodes, then nginx
# and etcd, each by pid with SIGTERM, SIGKILL after a deadline, then `wait` for all,
# so that nothing the script started outlives it.
set -euo pipefail
usage() {
  cat <<'EOF'
usage: scripts/cluster.sh [NODES] [--base-port PORT] [--state-dir DIR]

Starts etcd x3, NODES esgxd nodes (1 to 16, default 3) on the sim platform and nginx
in front of them, all on 127.0.0.1; Ctrl-C or SIGTERM stops everything.

  --base-port PORT  deterministic ports from PORT on (1024 to 65535), for NODES = N:
                      PORT .. PORT+2        etcd members' client URLs (e1, e2, e3)
                      PORT+3 .. PORT+5      etcd members' peer URLs
                      PORT+4+2i, PORT+5+2i  node i's HTTP (--listen) and key sharing
                                            (--peer-listen), i = 1..N
                      PORT+6+2N             nginx, the front door
                    (3 nodes from 7000: etcd 7000-7005, nodes 7006-7011, nginx 7012).
                    Every port is checked free before anything starts. Without it,
                    free ports are picked at random.
  --state-dir DIR   where the network's state goes (default ./esgx-cluster); wiped
                    at start, so another DIR must be absent, empty or made by
                    cluster.sh
  ESGX_BUILD_DIR    the build to run (default ./build, built if absent)
EOF
}
root=$(cd "$(dirname "$0")/.." && pwd)
n=3 base="" state=$root/esgx-cluster   # relative paths below are the caller's
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --base-port) [ $# -ge 2 ] || { usage >&2; exit 2; }; base=$2; shift 2 ;;
    --state-dir) [ $# -ge 2 ] || { usage >&2; exit 2; }; state=$(realpath -m "$2"); shift 2 ;;
    ''|*[!0-9]*) usage >&2; exit 2 ;;
    *) n=$1; shift ;;
  esac
done
[ "$n" -ge 1 ] && [ "$n" -le 16 ] || { echo "cluster.sh: 1 to 16 nodes" >&2; exit 2; }
if [ -n "$base" ]; then
  case "$base" in ''|*[!0-9]*) echo "cluster.sh: --base-port takes a number" >&2; exit 2 ;; esac
  last=$((base + 6 + 2 * n))
  [ "$base" -ge 1024 ] && [ "$last" -le 65535 ] ||
    { echo "cluster.sh: ports $base..$last: the range must lie in 1024..65535" >&2; exit 2; }
  # one bind per port before anything starts: a port in use fails here, not halfway
  taken=$(python3 - "$base" "$last" <<'EOF'
import socket, sys
for p in range(int(sys.argv[1]), int(sys.argv[2]) + 1):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try: s.bind(("127.0.0.1", p))
    except OSError: print(p, end=" ")
    s.close()
EOF
)
  [ -z "$taken" ] || { echo "cluster.sh: port(s) in use: $taken(--base-port $base needs $base..$last)" >&2; exit 1; }
fi
B=$(realpath -m "${ESGX_BUILD_DIR:-$root/build}")
cd "$root"
if [ ! -x "$B/esgxd" ]; then
  [ -z "${ESGX_BUILD_DIR:-}" ] || { echo "cluster.sh: $B/esgxd is not built" >&2; exit 1; }
  scripts/build.sh release
fi
for c in etcd nginx curl python3; do
  command -v "$c" >/dev/null || { echo "cluster.sh: $c is not installed (scripts/setup.sh)" >&2; exit 1; }
done
# the state directory is wiped: the default one (always ours), or one that is ours
# (marker file) or empty
if [ "$state" != "$root/esgx-cluster" ] && [ -e "$state" ] && [ ! -e "$state/.esgx-cluster" ] &&
   [ -n "$(ls -A "$state" 2>/dev/null)" ]; then
  echo "cluster.sh: $state exists and was not made by cluster.sh; not wiping it" >&2; exit 1
fi
export ESGX_SOURCE_DIR=$PWD PATH="$B:$PATH"
T=$state
rm -rf "$T"
mkdir -p "$T"
: >"$T/.esgx-cluster"
source tests/net_lib.sh
declare -A NODE_PID NODE_URL

stop_all() {
  set +e                       # every step runs, whatever failed before
  trap '' INT TERM             # a second Ctrl-C does not cut the cleanup short
  stop_pids 10 "${NODE_PID[@]}"
  net_cleanup                  # nginx and etcd (stop_pids: TERM, KILL after 5 s)
  wait 2>/dev/null             # reap them all: nothing outlives the script
}
trap stop_all EXIT
trap 'exit 0' INT TERM

# port_of I KIND: node I's port, KIND http or peer (--base-port layout, or free ones)
port_of() {
  if [ -n "$base" ]; then
    [ "$2" = http ] && echo $((base + 4 + 2 * $1)) || echo $((base + 5 + 2 * $1))
  else
    net_free_port
  fi
}
start_node() {
  local i=$1 http peer init=(--init)   # node1 creates the network key
  http=$(port_of "$i" http) peer=$(port_of "$i" peer)
  # the others accept only that key
  [ "$i" = 1 ] || init=(--network-key "$(cat "$T/node1/network_key")")
  # --trusted-proxy: nginx (below) is on loopback; the limits count X-Forwarded-For
  esgxd --data-dir "$T/node$i" --listen "127.0.0.1:$http" --sim-bundle "$T/sim" \
    --peer-listen "127.0.0.1:$peer" --etcd "$ETCD_ENDPOINTS" \
    --advertise "http://127.0.0.1:$http" --trusted-proxy 127.0.0.1/32 \
    "${init[@]}" 2>"$T/node$i.log" &
  NODE_PID[$i]=$!
  NODE_URL[$i]=http://127.0.0.1:$http
}
# wait_nodes SECONDS I...: until every node named answers /health 200; fails when one
# exits or the deadline passes
wait_nodes() {
  local secs=$1 i pending; shift
  for _ in $(seq 1 $((secs * 5))); do
    pending=""
    for i in "$@"; do
      kill -0 "${NODE_PID[$i]}" 2>/dev/null || { echo "cluster.sh: node$i exited; see $T/node$i.log" >&2; exit 1; }
      [ "$(curl -s -m 2 -o /dev/null -w '%{http_code}' "${NODE_URL[$i]}/health")" = 200 ] || pending+=" node$i"
    done
    [ -z "$pending" ] && return 0
    sleep 0.2
  done
  echo "cluster.sh: not ready within $secs s:$pending (see their logs in $T)" >&2
  exit 1
}

etcd_cluster 3 ${base:+"$base"}
esgx sim init "$T/sim" >/dev/null
start_node 1
wait_nodes 60 1
for i in $(seq 2 "$n"); do start_node "$i"; done
[ "$n" -lt 2 ] || wait_nodes $((60 + 5 * n)) $(seq 2 "$n")
front=$([ -n "$base" ] && echo $((base + 6 + 2 * n)) || net_free_port)
urls=()
for i in $(seq 1 "$n"); do urls+=("${NODE_URL[$i]}"); done
nginx_front "$front" "${urls[@]}"
for _ in $(seq 1 100); do   # the front door answers 200 once nginx reaches a node
  [ "$(curl -s -m 2 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$front/health")" = 200 ] && break
  sleep 0.1
done
[ "$(curl -s -m 2 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$front/health")" = 200 ] ||
  { echo "cluster.sh: the front door's /health is not 200 (see $T/nginx/logs/error.log)" >&2; exit 1; }

echo "etcd:       $ETCD_ENDPOINTS (pids ${NET_PIDS[etcd-e1]} ${NET_PIDS[etcd-e2]} ${NET_PIDS[etcd-e3]})"
for i in $(seq 1 "$n"); do echo "node$i:      ${NODE_URL[$i]} pid ${NODE_PID[$i]} (log $T/node$i.log)"; done
echo "front door: http://127.0.0.1:$front (nginx, pid ${NET_PIDS[nginx]})"
echo "network key: $(cat "$T/node1/network_key") (esgxd --network-key for more nodes)"
echo
echo "log in (the token is in $T/node1/admin.token):"
echo "  esgx login --node http://127.0.0.1:$front --sim-root $T/sim/sim_root.pem --token-file $T/node1/admin.token"
echo "Ctrl-C stops everything."

# watch every process: one that dies is reported; the network goes on while nginx and
# at least one node are there. A poll of each pid (kill -0) rather than `wait -n`: two
# children that die together are both seen (bash 5.2's `wait -n PID...` can miss the
# second); `wait $!` on a short sleep lets Ctrl-C's trap run at once.
declare -A NAME_OF
for i in "${!NODE_PID[@]}"; do NAME_OF[${NODE_PID[$i]}]=node$i; done
for k in "${!NET_PIDS[@]}"; do NAME_OF[${NET_PIDS[$k]}]=$k; done
while :; do
  for p in "${!NAME_OF[@]}"; do
    kill -0 "$p" 2>/dev/null && continue
    st=0; wait "$p" 2>/dev/null || st=$?   # (no job report from bash)
    name=${NAME_OF[$p]}
    unset "NAME_OF[$p]"
    echo "cluster.sh: $name (pid $p) exited with status $st; the others go on" >&2
    case "$name" in
      node*) unset "NODE_PID[${name#node}]" ;;
      *) unset "NET_PIDS[$name]" ;;
    esac
    [ "$name" != nginx ] || { echo "cluster.sh: the front door is gone; stopping" >&2; exit 1; }
    [ "${#NODE_PID[@]}" -gt 0 ] || { echo "cluster.sh: no node is left; stopping" >&2; exit 1; }
  done
  sleep 0.5 &
  wait $! || true
done
