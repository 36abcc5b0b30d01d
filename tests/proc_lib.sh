# proc_lib.sh: stopping the processes a test or script started (sourced by cli_lib.sh
# and net_lib.sh):
#   stop_pids SECONDS PID...  SIGTERM to each, SIGKILL to those still there after SECONDS
stop_pids() {
    local wait=$1 p; shift
    for p in "$@"; do kill -TERM "$p" 2>/dev/null; done
    for p in "$@"; do
        for _ in $(seq 1 $((wait * 10))); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$p" 2>/dev/null
    done
}
