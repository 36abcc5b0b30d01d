#!/usr/bin/env bash
# The main job: sets up, builds, starts a local esgx node on the sim platform, deploys
# the hello example (encrypted to the network key) and prints the command to call it.
# The node keeps running in the foreground until Ctrl-C (SIGTERM/SIGINT: clean stop).
#   scripts/run.sh [PORT]        (default 8080; state in ./esgx-node, config in ./esgx-node/cli)
set -euo pipefail
cd "$(dirname "$0")/.."
port="${1:-8080}"
case "$port" in ''|*[!0-9]*) echo "usage: scripts/run.sh [PORT]" >&2; exit 2 ;; esac
# A taken port would make the health check below talk to whatever holds it (another
# node, perhaps): refuse before anything is set up, built or attested.
if ! python3 -c 'import socket,sys; s=socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1])))' \
     "$port" 2>/dev/null; then
  echo "run.sh: port $port on 127.0.0.1 is already in use (another esgxd?); stop it or" \
       "pick another: scripts/run.sh PORT" >&2
  exit 1
fi
scripts/setup.sh
scripts/build.sh release
export PATH="$PWD/build:$PATH"
data="$PWD/esgx-node"
export XDG_CONFIG_HOME="$data/cli"
mkdir -p "$data"

# A sim network needs a simulation provisioning bundle (root CA, PCK, collateral) so
# the enclave can quote; its sim_root.pem is what clients trust instead of Intel's root.
[ -f "$data/sim/sim_root.pem" ] || esgx sim init "$data/sim" >/dev/null
init=()
[ -f "$data/shared_key.sealed" ] || init=(--init)
esgxd --data-dir "$data" --listen "127.0.0.1:$port" --sim-bundle "$data/sim" "${init[@]}" \
  2> "$data/esgxd.log" &
node_pid=$!
trap 'kill -TERM $node_pid 2>/dev/null; wait $node_pid 2>/dev/null' EXIT INT TERM

for _ in $(seq 1 50); do
  kill -0 $node_pid 2>/dev/null || { echo "esgxd exited; see $data/esgxd.log" >&2; exit 1; }
  # our node, and ready: its log names the port, and /health says ready
  grep -q "listening on http://127.0.0.1:$port " "$data/esgxd.log" 2>/dev/null &&
    curl -sf "http://127.0.0.1:$port/health" 2>/dev/null | grep -q '"ready"' && break
  sleep 0.2
done

esgx attest "http://127.0.0.1:$port" --sim-root "$data/sim/sim_root.pem"
esgx login --node "http://127.0.0.1:$port" --sim-root "$data/sim/sim_root.pem" \
  --token-file "$data/admin.token" --force >/dev/null
esgx functions deploy --name hello --path build/examples/hello.wasm
echo
echo "node running on http://127.0.0.1:$port (log: $data/esgxd.log); call it with the curl"
echo "line above, or verified: XDG_CONFIG_HOME=$XDG_CONFIG_HOME build/esgx invoke hello"
# the console takes the sim root from the URL fragment (never sent to the node)
simroot=$(base64 -w0 "$data/sim/sim_root.pem" | tr '+/' '-_' | tr -d '=')
echo "web console (verifies in your browser): http://127.0.0.1:$port/#simroot=$simroot"
echo "  (the functions page asks for the admin token: $data/admin.token)"
echo "Ctrl-C stops the node."
wait $node_pid
