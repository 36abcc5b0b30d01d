#!/usr/bin/env bash
# node_queue.sh: bounded work and a node that keeps its secrets, against real esgxd
# processes on 127.0.0.1 (docs/operations.md, "Bounded work and process hardening").
#   - with --workers 1 --max-queue 1: while one slow invocation runs and one waits, a
#     third is answered 503 queue_full at once (Retry-After); the waiting one gets 503
#     queue_timeout after --queue-timeout; the running one, a guest spinning on host
#     calls, gets an unsigned 504 exec_timeout after --max-exec-time, and the node
#     serves again once the enclave restarted
#   - an invalid module is remembered: asked again with its content gone from the
#     store, it answers 400 invalid_module without needing the content (not 404)
#   - a `function` with a newline and a guest debug_print with newlines do not make
#     a second log line (the control characters are logged as \xNN)
#   - an existing data directory made 0755 is tightened to 0700; registry.db (and its
#     journal), admin.token and stored content are 0600
#   - esgxd has no core dumps (RLIMIT_CORE 0) and is not dumpable: run as another
#     user, its /proc/PID files belong to root
. "$(dirname "$0")/node_lib.sh"
need wat2wasm
need python3

wat2wasm "$SRC/tests/guests/node_queue.wat" -o "$T/q.wasm" || fail "wat2wasm"
mkdir -m 0755 "$T/q"
start_node q --init --workers 1 --max-queue 1 --queue-timeout 2 --max-exec-time 4 \
    --fuel 1000000000000 --log-level debug --debug
TOKEN=$(cat "$T/q/admin.token")
AUTH=(-H "Authorization: Bearer $TOKEN")
req POST /content "${AUTH[@]}" --data-binary @"$T/q.wasm"; expect 200
H=$(json hash < "$T/body")
call() { req POST /services/3 -m 30 -D "$T/headers" --data "{\"hash\":\"$1\",\"function\":\"$2\"}"; }
call "$H" main; expect 200
tail -c 2 "$T/body" | grep -q ok || fail "main did not answer ok"

# ---- finding 9: file modes
mode() { stat -c %a "$1"; }
[ "$(mode "$T/q")" = 700 ] || fail "data dir is $(mode "$T/q"), not 700 (it existed with 755)"
for f in registry.db registry.db-wal registry.db-shm admin.token "content/$H"; do
    [ -e "$T/q/$f" ] || continue
    [ "$(mode "$T/q/$f")" = 600 ] || fail "$f is $(mode "$T/q/$f"), not 600"
done
ok "an existing 0755 data dir is tightened to 0700; registry.db, admin.token, content 0600"

# ---- finding 4: a full queue, a queue timeout, an execution timeout
now_ms() { date +%s%3N; }
# bg NAME FUNCTION: an invocation in the background; its status, code and time in ms
# end up in $T/NAME.out ("STATUS CODE MS").
bg() {
    ( t0=$(now_ms)
      st=$(curl -s -m 30 -o "$T/$1.body" -w '%{http_code}' -X POST "$URL/services/3" \
           --data "{\"hash\":\"$H\",\"function\":\"$2\"}")
      code=$(grep -o '"code":"[a-z_]*"' "$T/$1.body" | head -1 | cut -d'"' -f4)
      echo "$st ${code:--} $(( $(now_ms) - t0 ))" > "$T/$1.out" ) &
}
bg running busy; P1=$!
sleep 0.5
bg waiting busy; P2=$!
sleep 0.5
t0=$(now_ms)
call "$H" main; dt=$(( $(now_ms) - t0 ))
expect 503 queue_full
grep -qi '^Retry-After: ' "$T/headers" || fail "503 queue_full without Retry-After"
[ "$dt" -lt 2000 ] || fail "queue_full took $dt ms"
ok "third invocation with one running and one waiting: 503 queue_full in $dt ms, Retry-After"
wait "$P2"
read -r st code ms < "$T/waiting.out"
[ "$st $code" = "503 queue_timeout" ] || fail "the waiting invocation got $st $code"
[ "$ms" -ge 1500 ] && [ "$ms" -lt 5000 ] || fail "queue_timeout after $ms ms (want about 2000)"
ok "the waiting invocation: 503 queue_timeout after $ms ms"
wait "$P1"
read -r st code ms < "$T/running.out"
[ "$st $code" = "504 exec_timeout" ] || fail "the busy guest got $st $code"
[ "$ms" -ge 3500 ] && [ "$ms" -lt 12000 ] || fail "exec_timeout after $ms ms (want about 4000)"
grep -q '"error"' "$T/running.body" || fail "504 without a JSON error body"
ok "a guest spinning on host calls: unsigned 504 exec_timeout after $ms ms"
served=0
for _ in $(seq 1 150); do
    call "$H" main
    [ "$STATUS" = 200 ] && { served=1; break; }
    sleep 0.1
done
[ "$served" = 1 ] || fail "the node did not serve again within 15 s of the exec timeout"
ok "the enclave restarted and serves again"

# ---- invalid modules are remembered
printf 'this is not a wasm module at all' > "$T/junk"
req POST /content "${AUTH[@]}" --data-binary @"$T/junk"; expect 200
J=$(json hash < "$T/body")
call "$J" main; expect 400 invalid_module
rm -f "$T/q/content/$J"
call "$J" main; expect 400 invalid_module
ok "an invalid module is answered from memory (no content needed, no recompile)"

# ---- finding 6: control characters in the log
req POST /services/3 --data "{\"hash\":\"$H\",\"function\":\"nope\\nesgxd: FORGED fn line\"}"
expect 404 no_such_function
call "$H" forge; expect 200
sleep 0.5
if grep -n 'FORGED' "$T/q.log" | grep -v '\\x0a' >&2; then
    fail "a log line was forged"
fi
grep -q 'nope\\x0aesgxd: FORGED fn line' "$T/q.log" || fail "the function name was not logged escaped"
grep -q 'guest says\\x0aesgxd: FORGED guest line\\x0d\\x0aFORGED' "$T/q.log" ||
    fail "the guest's debug_print was not logged escaped"
ok "newlines in a function name and in debug_print are logged as \\x0a, one line each"

# ---- finding 10: no core dumps, not dumpable
grep -Eq '^Max core file size +0 +0 ' "/proc/$NODE_PID/limits" || fail "esgxd may dump core"
stop_node
if [ "$(id -u)" = 0 ]; then
    need setpriv
    chmod 711 "$T"
    mkdir -m 0700 "$T/nb" && chown 65534:65534 "$T/nb"
    RUN=(setpriv --reuid=65534 --regid=65534 --clear-groups --)
else
    RUN=()
fi
"${RUN[@]}" "$ESGXD" --data-dir "$T/nb" --listen 127.0.0.1:0 >>"$T/nb.log" 2>&1 &
NODE_PID=$!
for _ in $(seq 1 300); do
    grep -q 'listening on' "$T/nb.log" && break
    kill -0 "$NODE_PID" 2>/dev/null || fail "esgxd (unprivileged) exited during startup"
    sleep 0.1
done
grep -q 'listening on' "$T/nb.log" || fail "esgxd (unprivileged) did not start"
uid=$(awk '/^Uid:/ {print $2}' "/proc/$NODE_PID/status")
[ "$uid" != 0 ] || fail "test setup: esgxd runs as root"
owner=$(stat -c %u "/proc/$NODE_PID/status")
[ "$owner" = 0 ] || fail "esgxd (uid $uid) is dumpable: /proc/PID/status owned by $owner"
ok "esgxd (uid $uid) is not dumpable and has RLIMIT_CORE 0"
stop_node
ok "clean shutdown"
