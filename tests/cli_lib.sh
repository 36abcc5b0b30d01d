# cli_lib.sh: helpers of the CLI script tests, sourced after they define fail, T, BUILD
# and ESGX:
#   run STATUS ARGS...        runs esgx ARGS (stdout in $T/out, stderr in $T/err) and
#                             fails unless it exits with STATUS
#   has out|err TEXT          the last run's stdout/stderr holds TEXT
#   stop_pids SECONDS PID...  SIGTERM to each, SIGKILL to those left after SECONDS
#   esgxd_start DATA_DIR [esgxd args...]
#                             starts esgxd on 127.0.0.1 port 0 (the kernel picks a free
#                             port), log in $T/node.log, waits until it answers HTTP (any
#                             status: a keyless node answers 503); sets NODE_PID, PORT, URL
run() {
    local want=$1; shift
    "$ESGX" "$@" >"$T/out" 2>"$T/err" </dev/null
    local rc=$?
    [ "$rc" = "$want" ] || fail "esgx $* exited $rc, expected $want"
}
has() { grep -qF -- "$2" "$T/$1" || fail "$1 lacks '$2'"; }

. "$(dirname "${BASH_SOURCE[0]}")/proc_lib.sh"

esgxd_start() {
    local dir=$1; shift
    "$BUILD/esgxd" --data-dir "$dir" --listen 127.0.0.1:0 "$@" 2>"$T/node.log" &
    NODE_PID=$!
    PORT=
    for _ in $(seq 1 300); do
        PORT=$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$T/node.log" | head -1 | sed 's/.*://')
        [ -n "$PORT" ] &&
            [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/health")" != 000 ] &&
            break
        kill -0 "$NODE_PID" 2>/dev/null || fail "esgxd exited during startup"
        sleep 0.1
    done
    [ -n "$PORT" ] || fail "esgxd did not start"
    URL=http://127.0.0.1:$PORT
}
