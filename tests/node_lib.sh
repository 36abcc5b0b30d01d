# node_lib.sh: helpers sourced by the tests/node_*.sh host-level tests (not a test).
# Real processes only: esgxd (+ esgx-enclave) on 127.0.0.1 with port 0 (the kernel picks
# a free port; we read it from the "listening on" log line), temporary data dirs, curl.
set -u
SRC=${ESGX_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${ESGX_BUILD_DIR:-$SRC/build}
ESGXD=$BUILD/esgxd
ENCLAVE=$BUILD/esgx-enclave
T=$(mktemp -d "${TMPDIR:-/tmp}/esgx-node-test.XXXXXX")
NODE_PID=
PORT=
URL=
STATUS=

cleanup() {
    if [ -n "$NODE_PID" ] && kill -0 "$NODE_PID" 2>/dev/null; then
        kill -TERM "$NODE_PID" 2>/dev/null
        for _ in $(seq 1 100); do kill -0 "$NODE_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$NODE_PID" 2>/dev/null
    fi
    rm -rf "$T"
}
trap cleanup EXIT

fail() {
    echo "FAIL: $*" >&2
    if [ -f "$T/body" ]; then echo "--- last body:" >&2; head -c 2000 "$T/body" >&2; echo >&2; fi
    for l in "$T"/*.log; do [ -f "$l" ] && { echo "--- $l:" >&2; tail -40 "$l" >&2; }; done
    exit 1
}
ok() { echo "ok - $*"; }

need() { command -v "$1" >/dev/null 2>&1 || { echo "skip: $1 not installed" >&2; exit 77; }; }
need curl
[ -x "$ESGXD" ] || { echo "skip: $ESGXD not built" >&2; exit 77; }

# start_node NAME [esgxd args...]: data dir $T/NAME, log $T/NAME.log; sets NODE_PID, PORT, URL.
start_node() {
    local name=$1; shift
    "$ESGXD" --data-dir "$T/$name" --listen 127.0.0.1:0 "$@" >>"$T/$name.log" 2>&1 &
    NODE_PID=$!
    local lines n
    for _ in $(seq 1 600); do
        lines=$(grep -o 'listening on http://127.0.0.1:[0-9]* (data' "$T/$name.log" 2>/dev/null)
        n=$(printf '%s' "$lines" | grep -c 'listening on')
        if [ "$n" -gt "${STARTS[$name]:-0}" ]; then
            STARTS[$name]=$n
            PORT=$(printf '%s\n' "$lines" | tail -1 | sed 's/.*:\([0-9]*\) (data/\1/')
            URL=http://127.0.0.1:$PORT
            return 0
        fi
        kill -0 "$NODE_PID" 2>/dev/null || fail "esgxd $name exited during startup"
        sleep 0.1
    done
    fail "esgxd $name did not start listening within 60 s"
}
declare -A STARTS

# stop_node: SIGTERM, expect exit status 0 within 30 s.
stop_node() {
    kill -TERM "$NODE_PID"
    local rc=0
    for _ in $(seq 1 300); do kill -0 "$NODE_PID" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$NODE_PID" 2>/dev/null && fail "esgxd did not stop within 30 s of SIGTERM"
    wait "$NODE_PID" || rc=$?
    NODE_PID=
    [ "$rc" = 0 ] || fail "esgxd exited with status $rc after SIGTERM"
}

# req METHOD PATH [curl args...]: sets STATUS; body in $T/body.
req() {
    local m=$1 p=$2; shift 2
    STATUS=$(curl -s -o "$T/body" -w '%{http_code}' -X "$m" "$URL$p" "$@")
}

# expect STATUS [CODE]: the last response had this status (and JSON error code).
expect() {
    [ "$STATUS" = "$1" ] || fail "expected HTTP $1, got $STATUS"
    if [ $# -ge 2 ]; then
        grep -q "\"code\":\"$2\"" "$T/body" || fail "expected error code $2"
        grep -q '"error":"' "$T/body" || fail "error body without an error message"
    fi
}

# Signed names (docs/formats.md "Name records"): a test developer key, the records it
# signs with tests/crypto_tool (lib/crypto), and the deploy body of PUT /functions/NAME.
DEV_SK=$(printf '11%.0s' $(seq 1 32))
# record NAME HASH [ENCRYPTED true|false] [SEQ] [SKHEX]: the record, signed, for the
# network key of the node at $URL.
record() {
    local net
    net=$(curl -s "$URL/attestation" | json public_key)
    printf '{"name":"%s","network":"%s","hash":"%s","encrypted":%s,"seq":%s,"owner":"%066d","signature":"%0130d"}' \
        "$1" "$net" "$2" "${3:-false}" "${4:-1}" 0 0 | "$BUILD/crypto_tool" name-record-sign "${5:-$DEV_SK}"
}
# deploy_body NAME HASH [ENCRYPTED] [SEQ] [SKHEX] [LOGS true|false]
deploy_body() {
    printf '{"record":%s,"logs":%s}' "$(record "$1" "$2" "${3:-false}" "${4:-1}" "${5:-$DEV_SK}")" "${6:-false}"
}
# pubkey SKHEX: the compressed public key of a test secret key
pubkey() {
    printf '{"name":"x","network":"%066d","hash":"%064d","encrypted":false,"seq":1,"owner":"%066d","signature":"%0130d"}' 0 0 0 0 |
        "$BUILD/crypto_tool" name-record-sign "$1" | json owner
}

# json FIELD < file: prints a top-level field of a JSON document (node, no jq needed).
json() {
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const v=JSON.parse(s)[process.argv[1]];console.log(typeof v==="object"?JSON.stringify(v):v)})' "$1"
}
