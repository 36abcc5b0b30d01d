#!/usr/bin/env bash
# node_logs.sh: what a function developer sees, against a real esgxd + esgx-enclave:
# one access line per invocation in the node's log (a hostile function field escaped);
# the guest's debug output kept per function deployed with "logs": true and shown by
# `esgx logs NAME` (--follow sees a new invocation within seconds), nothing kept for a
# function deployed without; binary and 1 MiB input through `esgx invoke --input-file`
# (input_base64) verified; the --max-input limit on the decoded bytes (413 one byte
# over); the public name resolution GET /functions/NAME (the list stays behind the token).
. "$(dirname "$0")/node_lib.sh"
need node
need wat2wasm
E=$BUILD/esgx
[ -x "$ENCLAVE" ] && [ -x "$E" ] && [ -f "$BUILD/examples/echo.wasm" ] \
    || { echo "skip: esgx-enclave, esgx or examples/echo.wasm not built" >&2; exit 77; }
export XDG_CONFIG_HOME=$T/config HOME=$T/home
wat2wasm "$SRC/tests/guests/node_logs.wat" -o "$T/logs.wasm" || fail "wat2wasm"

start_node a --init --max-input 1M
TOK=$(cat "$T/a/admin.token")
AUTH=(-H "Authorization: Bearer $TOK")
LOG=$T/a.log
req POST /content "${AUTH[@]}" --data-binary @"$T/logs.wasm"; [ "$STATUS" = 200 ] || expect 201
HASH=$(json hash < "$T/body")
req POST /content "${AUTH[@]}" --data-binary @"$BUILD/examples/echo.wasm"; [ "$STATUS" = 200 ] || expect 201
ECHO=$(json hash < "$T/body")   # another module: an invocation by hash counts for every
                                # function with logs deployed with that hash
deploy() {   # deploy NAME BODY
    req PUT "/functions/$1" "${AUTH[@]}" -H 'Content-Type: application/json' --data-binary "$2"
}
deploy withlogs "$(deploy_body withlogs "$HASH" false 1 "$DEV_SK" true)"; expect 201
[ "$(json logs < "$T/body")" = true ] || fail "deploy answer without logs: true"
deploy nologs "$(deploy_body nologs "$ECHO")"; expect 201
[ "$(json logs < "$T/body")" = false ] || fail "logs must default to false"
deploy bad '{"record":'"$(record bad "$HASH")"',"logs":"yes"}'; expect 400 bad_type

# ---- public name resolution; the list needs the token
req GET /functions/withlogs; expect 200
[ "$(json hash < "$T/body")" = "$HASH" ] || fail "GET /functions/NAME hash"
[ "$(json encrypted < "$T/body")" = false ] || fail "GET /functions/NAME encrypted"
[ "$(json name < "$T/body")" = withlogs ] || fail "GET /functions/NAME name"
req GET /functions/nosuch; expect 404 unknown_function
req GET '/functions/bad%20name'; expect 400 bad_name
req GET /functions; expect 401 unauthorized
req GET /functions/withlogs/logs; expect 401 unauthorized
ok "GET /functions/NAME is public (the signed record); the list and the logs need the token"

# ---- the CLI: invoke by name (no token needed for the resolution), logs
$E login --insecure-skip-attest --node "$URL" --token "$TOK" >/dev/null || fail "login"
out=$($E invoke withlogs --input "hi there") || fail "invoke withlogs"
[ "$out" = "hi there" ] || fail "invoke output: $out"
$E invoke nologs --input "quiet" >/dev/null || fail "invoke nologs"
$E logs withlogs > "$T/logs1" || fail "esgx logs"
grep -q ' ok hello from the guest$' "$T/logs1" || { cat "$T/logs1"; fail "logs: debug_print line"; }
grep -qF ' ok tab\x09here esc\x1b[31m' "$T/logs1" || { cat "$T/logs1"; fail "logs: control chars escaped"; }
grep -q ' ok err line$' "$T/logs1" || { cat "$T/logs1"; fail "logs: WASI fd 2 line"; }
grep -qE '^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z ok ' "$T/logs1" || fail "logs: time and status"
[ "$(grep -c . "$T/logs1")" = 3 ] || { cat "$T/logs1"; fail "logs: 3 lines expected"; }
$E logs nologs > "$T/logs2" 2>"$T/err" && fail "esgx logs nologs: exit 0 for a function without logs"
[ ! -s "$T/logs2" ] || { cat "$T/logs2"; fail "a function deployed without logs has lines"; }
grep -q "deployed without logs" "$T/err" || fail "esgx logs nologs does not say logs are off"
$E logs nosuch 2>"$T/err" && fail "logs of an unknown function must fail"
grep -q unknown_function "$T/err" || fail "logs nosuch: error names unknown_function"
ok "esgx logs NAME: debug_print and fd 2 lines with time and status, escaped; none without logs"
# the CLI deploys with logs on (esgx functions deploy --logs)
$E functions deploy --name clilogs --path "$T/logs.wasm" --no-encrypt --logs --json \
    >"$T/out" 2>"$T/err" || fail "esgx functions deploy --logs"
$E invoke clilogs --input x >/dev/null || fail "invoke clilogs"
$E logs clilogs | grep -q ' ok hello from the guest$' || fail "a function deployed with --logs keeps its lines"
ok "esgx functions deploy --logs: the node keeps the function's debug output"

# a trap: the status is the error code, the output before the trap is kept
req POST /services/3 -H 'Content-Type: application/json' \
    --data-binary '{"hash":"'$HASH'","function":"boom"}'; expect 422 unreachable
$E logs withlogs | grep -q ' unreachable about to trap$' || fail "logs: a trapped invocation's line"
ok "an invocation by hash (/services/3) of a function with logs captures too, with its code"

# ---- --follow sees a new invocation within a couple of seconds
$E logs withlogs --follow > "$T/follow" 2>&1 &
FPID=$!
sleep 1
base=$(grep -c . "$T/follow")
$E invoke withlogs --input "again" >/dev/null || fail "invoke again"
seen=
for _ in $(seq 1 30); do
    if [ "$(grep -c 'hello from the guest' "$T/follow")" -ge 2 ]; then seen=1; break; fi
    sleep 0.1
done
kill "$FPID" 2>/dev/null; wait "$FPID" 2>/dev/null
[ -n "$seen" ] || { cat "$T/follow"; fail "--follow did not show the new invocation within 3 s (had $base lines)"; }
ok "esgx logs --follow shows a new invocation's lines within seconds"

# ---- access lines
req POST /functions/withlogs --data-binary 'by name'; expect 200
grep -qE "access name=withlogs function=\"main\" hash=$HASH status=200 code=- fuel_used=[1-9][0-9]* ms=[0-9]+" "$LOG" \
    || fail "access line of an invocation by name"
grep -qE "access name=- function=\"boom\" hash=$HASH status=422 code=unreachable fuel_used=[0-9]+ ms=" "$LOG" \
    || fail "access line of a trap"
req POST /services/3 -H 'Content-Type: application/json' \
    --data-binary '{"hash":"'$HASH'","function":"ma\nin\u001b[2J\" name=evil"}'; expect 404
grep -qF 'function="ma\x0ain\x1b[2J\x22 name=evil" hash=' "$LOG" || { grep access "$LOG" | tail -3; fail "hostile function field not escaped"; }
[ "$(grep -c '^in' "$LOG")" = 0 ] || fail "a function field started a new log line"
ok "one access line per invocation (name, function, hash, status, code, fuel, ms), hostile fields escaped"

# ---- binary and large input through the CLI (input_base64), verified
node -e 'const b=Buffer.alloc(256);for(let i=0;i<256;i++)b[i]=i;process.stdout.write(b)' > "$T/all256"
$E invoke "$HASH" --input-file "$T/all256" > "$T/out256" || fail "invoke --input-file with all 256 byte values"
cmp "$T/all256" "$T/out256" || fail "echo of 256 byte values differs"
head -c 1048576 /dev/urandom > "$T/mib"
# by name and without the admin token: a CLI logged in with no token at all
XDG_CONFIG_HOME=$T/notoken $E login --insecure-skip-attest --node "$URL" >/dev/null \
    || fail "login without a token"
grep -q '^token = .' "$T/notoken/esgx/config" && fail "the token-less login stored a token"
XDG_CONFIG_HOME=$T/notoken $E invoke nologs --input-file "$T/mib" --save-request "$T/req.json" \
    --save "$T/ans" > "$T/outmib" || fail "invoke by name, 1 MiB of random bytes, no token"
cmp "$T/mib" "$T/outmib" || fail "echo of 1 MiB differs"
grep -q '"input_base64":"' "$T/req.json" || fail "the CLI did not send input_base64"
$E verify --request "$T/req.json" --response "$T/ans" >/dev/null || fail "esgx verify of an input_base64 request"
ok "esgx invoke --input-file: any bytes, and 1 MiB of random bytes by name without the token, sent as input_base64, verified (and esgx verify)"

# ---- the limit applies to the decoded bytes
b64file() { node -e 'const n=+process.argv[1];const b=Buffer.alloc(n,7);process.stdout.write(JSON.stringify({hash:process.argv[2],input_base64:b.toString("base64")}))' "$1" "$HASH" > "$T/b64.json"; }
b64file 1048576
req POST /services/3 -H 'Content-Type: application/json' --data-binary @"$T/b64.json"; expect 200
b64file 1048577
req POST /services/3 -H 'Content-Type: application/json' --data-binary @"$T/b64.json"; expect 413 input_too_large
req POST /services/3 -H 'Content-Type: application/json' \
    --data-binary '{"hash":"'$HASH'","input":"a","input_base64":"YQ=="}'; expect 400 bad_input
req POST /services/3 -H 'Content-Type: application/json' \
    --data-binary '{"hash":"'$HASH'","input_base64":"YQ="}'; expect 400 bad_base64
# a JSON-escaped input of max-input bytes (6 body bytes each) still fits the body limit
node -e 'process.stdout.write(JSON.stringify({hash:process.argv[1],input:"\u0001".repeat(1048576)}))' "$HASH" > "$T/esc.json"
req POST /services/3 -H 'Content-Type: application/json' --data-binary @"$T/esc.json"; expect 200
ok "input_base64 of exactly --max-input bytes accepted, one more 413; escaping does not eat the limit"

# ---- logs survive in the registry; an old record without logs reads as off
stop_node
start_node a --max-input 1M
req GET /functions "${AUTH[@]}"; expect 200
node -e 'const a=JSON.parse(require("fs").readFileSync(process.argv[1]));const m={};for(const f of a)m[f.name]=f.logs;if(m.withlogs!==true||m.nologs!==false)process.exit(1)' "$T/body" \
    || fail "the logs flag did not survive a restart"
ok "the logs flag is stored with the function"
