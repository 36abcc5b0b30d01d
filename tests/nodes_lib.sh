# nodes_lib.sh: helpers shared by the multi-node script tests (attest_nodes.sh,
# pccs_nodes.sh), sourced after the caller has set T (its temp folder), ESGXD, and
#   declare -A PID HTTP PEERPORT
# Provides cleanup (installed as the EXIT trap: stops every node started with start,
# kills the pids in HELPERS, runs the caller's extra_cleanup if defined, removes $T),
# fail, ok, jget, free_port, start and stop. start passes its environment on, so
# `ESGX_ATTESTATION_DIR=DIR start NAME ...` gives that node its own attestation dir.
HELPERS=()
cleanup() {
    for n in "${!PID[@]}"; do
        p=${PID[$n]}
        [ -n "$p" ] && kill -TERM "$p" 2>/dev/null
    done
    for n in "${!PID[@]}"; do
        p=${PID[$n]}
        [ -n "$p" ] || continue
        for _ in $(seq 1 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$p" 2>/dev/null
    done
    for p in "${HELPERS[@]}"; do kill "$p" 2>/dev/null; done
    declare -F extra_cleanup >/dev/null && extra_cleanup
    [ ${#HELPERS[@]} -gt 0 ] && wait "${HELPERS[@]}" 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT

fail() {
    echo "FAIL: $*" >&2
    for l in "$T"/*.log; do [ -f "$l" ] && { echo "--- $l:" >&2; tail -25 "$l" >&2; }; done
    declare -F extra_fail_report >/dev/null && extra_fail_report
    exit 1
}
ok() { echo "ok - $*"; }

# jget FIELD < json: a top-level field ("" if absent or null).
jget() {
    python3 -c 'import json,sys
v=json.load(sys.stdin).get(sys.argv[1])
print("" if v is None else (json.dumps(v) if isinstance(v,(dict,list,bool)) else v))' "$1"
}
free_port() {
    python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'
}

# start NAME [esgxd args...]: data dir $T/NAME, log $T/NAME.log; waits for HTTP.
start() {
    local name=$1; shift
    : > "$T/$name.log"
    "$ESGXD" --data-dir "$T/$name" --listen 127.0.0.1:0 "$@" >>"$T/$name.log" 2>&1 &
    PID[$name]=$!
    for _ in $(seq 1 600); do
        local l
        l=$(grep -o 'listening on http://127.0.0.1:[0-9]* (data' "$T/$name.log" | tail -1)
        if [ -n "$l" ]; then
            HTTP[$name]=http://127.0.0.1:$(printf '%s' "$l" | sed 's/.*:\([0-9]*\) (data/\1/')
            l=$(grep -o 'peer endpoint listening on [^ ]* (port [0-9]*)' "$T/$name.log" | tail -1)
            [ -n "$l" ] && PEERPORT[$name]=$(printf '%s' "$l" | sed 's/.*(port \([0-9]*\))/\1/')
            # with --peer-listen the enclave logs its (new) peer port only after HELLO,
            # which may come after the HTTP line: wait for it, or PEERPORT is stale
            if [ -n "$l" ] || [[ " $* " != *" --peer-listen "* ]]; then return 0; fi
        fi
        kill -0 "${PID[$name]}" 2>/dev/null || fail "esgxd $name exited during startup"
        sleep 0.1
    done
    fail "esgxd $name did not start listening within 60 s"
}
stop() {
    local name=$1 p=${PID[$1]} rc=0
    kill -TERM "$p"
    for _ in $(seq 1 300); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$p" 2>/dev/null && fail "esgxd $name did not stop within 30 s"
    wait "$p" || rc=$?
    PID[$name]=
    [ "$rc" = 0 ] || fail "esgxd $name exited with status $rc after SIGTERM"
}
