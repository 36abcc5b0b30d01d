#!/usr/bin/env bash
# run_port: scripts/run.sh (the README's main command) with its port already taken
# exits non-zero at once with a message naming the port, and sets up, builds, starts
# and attests nothing (it must never attest whatever else answers on that port).
set -u
SRC=${ESGX_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
command -v python3 >/dev/null || { echo "skip: python3 missing" >&2; exit 77; }
T=$(mktemp -d "${TMPDIR:-/tmp}/esgx-run-port.XXXXXX")
HOLDER=
trap 'kill $HOLDER 2>/dev/null; rm -rf "$T"' EXIT
python3 - "$T/port" <<'PY' &
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(8)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
time.sleep(120)
PY
HOLDER=$!
for _ in $(seq 1 50); do [ -s "$T/port" ] && break; sleep 0.1; done
PORT=$(cat "$T/port")
[ -n "$PORT" ] || { echo "FAIL: no port held"; exit 1; }
had_node=0; [ -e "$SRC/esgx-node" ] && had_node=1
start=$(date +%s)
timeout 60 "$SRC/scripts/run.sh" "$PORT" >"$T/out" 2>"$T/err"
rc=$?
fails=0
check() { if ! eval "$1"; then echo "FAIL: $2"; fails=$((fails + 1)); fi; }
check '[ "$rc" != 0 ] && [ "$rc" != 124 ]' "run.sh exited $rc with port $PORT taken"
check 'grep -q "port $PORT .*already in use" "$T/err"' "the message does not name port $PORT: $(cat "$T/err")"
check '! grep -qi "verdict\|attestation verified\|trusted" "$T/out" "$T/err"' "something was attested"
check '! grep -q "setup:" "$T/out" "$T/err"' "setup ran before the port check"
check '[ $(( $(date +%s) - start )) -le 5 ]' "run.sh took $(( $(date +%s) - start )) s to refuse"
[ $had_node = 0 ] && check '[ ! -e "$SRC/esgx-node" ]' "run.sh created esgx-node"
echo "run_port: $((6 - fails)) checks passed, $fails failed"
[ "$fails" = 0 ]
