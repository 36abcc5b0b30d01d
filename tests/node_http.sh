#!/usr/bin/env bash
# node_http.sh: esgxd's HTTP surface that does not need a running function: request
# validation of /services/3 (each bad request gets its 4xx JSON error), the content
# store (upload, idempotence, download, limits as bodies stream in), the function
# registry (deploy, list, delete, name rules), auth (401/403), routing (404/405),
# metrics, and graceful SIGTERM. Uses the real esgx-enclave when it is built;
# otherwise /bin/false stands in as an enclave that cannot start, and invocations
# must then answer 503 enclave_restarting.
. "$(dirname "$0")/node_lib.sh"
need node
need b3sum

if [ -x "$ENCLAVE" ]; then
    ENC=("--init")
    echo "using $ENCLAVE"
else
    ENC=("--enclave" "/bin/false")
    echo "note: $ENCLAVE not built; testing with an enclave that cannot start" >&2
fi
start_node a "${ENC[@]}" --max-content 64K --max-input 1K --fuel 5000000
TOK=$(cat "$T/a/admin.token")
[ ${#TOK} = 64 ] || fail "admin.token is not 64 hex chars"
[ "$(stat -c %a "$T/a/admin.token")" = 600 ] || fail "admin.token is not 0600"
AUTH=(-H "Authorization: Bearer $TOK")
H64=$(printf 'ab%.0s' $(seq 1 32))

# ---- one esgxd per data directory: a second one exits 3 and touches nothing
fingerprint() {
    local f
    for f in "$T/a.log" "$T/a"/registry.db* "$T/a/esgxd.lock" "$T/a/admin.token"; do
        [ -e "$f" ] && printf '%s %s %s\n' "$f" "$(stat -c '%s %Y.%y' "$f")" "$(sha256sum < "$f")"
    done
}
before=$(fingerprint)
rc=0
"$ESGXD" --data-dir "$T/a" --listen 127.0.0.1:0 "${ENC[@]}" >"$T/second.out" 2>&1 || rc=$?
[ "$rc" = 3 ] || fail "a second esgxd on the same data dir exited $rc, not 3"
grep -q "data directory $T/a is in use by another esgxd (pid $NODE_PID)" "$T/second.out" ||
    fail "second esgxd's message: $(cat "$T/second.out")"
[ "$(fingerprint)" = "$before" ] || fail "the second esgxd changed the first's files:
$before
---
$(fingerprint)"
req GET /health; [ "$STATUS" = 200 ] || [ "$STATUS" = 503 ] || fail "first node not answering"
ok "a second esgxd on the same data dir exits 3 and changes nothing"

# ---- routing and health
req GET /health; expect 200; grep -q '"status":"ok"' "$T/body" || fail "health body"
req GET /nope; expect 404 not_found
req GET /services/3; expect 405 method_not_allowed
req PATCH /functions/x; expect 405 method_not_allowed
ok "routing"

# ---- too long a target or too many header bytes: 414 / 431, JSON like the rest
req GET "/health?$(head -c 9000 /dev/zero | tr '\0' a)"; expect 414 uri_too_long
req GET /health -H "X-Big: $(head -c 17000 /dev/zero | tr '\0' a)"; expect 431 headers_too_large
req GET "/health?$(head -c 7000 /dev/zero | tr '\0' a)" -H "X-Big: $(head -c 15000 /dev/zero | tr '\0' a)"
expect 200
ok "414 and 431 are JSON"

# ---- /services/3 validation: never reaches the enclave
svc() { req POST /services/3 -H 'Content-Type: application/json' --data-binary "$1"; }
svc 'not json'; expect 400 invalid_json
svc '[1,2]'; expect 400 invalid_json
svc ''; expect 400 invalid_json
svc '{"hash":"'$H64'","hash":"'$H64'"}'; expect 400 invalid_json
svc '{"input":"x"}'; expect 400 missing_field
svc '{"hash":"'$H64'","extra":1}'; expect 400 unknown_field
grep -q "unknown field 'extra'" "$T/body" || fail "unknown field not named"
svc '{"hash":"'$H64'","Input":"x"}'; expect 400 unknown_field
svc '{"hash":12}'; expect 400 bad_type
grep -q "'hash' must be a string" "$T/body" || fail "type error must name field and type"
svc '{"hash":"'$H64'","decrypt":"yes"}'; expect 400 bad_type
grep -q "'decrypt' must be a boolean" "$T/body" || fail "decrypt type message"
svc '{"hash":"'$H64'","input":5}'; expect 400 bad_type
svc '{"hash":"'$H64'","function":null}'; expect 400 bad_type
svc '{"hash":"'$H64'","fuel":"10"}'; expect 400 bad_type
grep -q "'fuel' must be an integer" "$T/body" || fail "fuel type message"
svc '{"hash":"'$H64'","fuel":1.5}'; expect 400 bad_type
svc '{"hash":"'$H64'","fuel":0}'; expect 400 bad_fuel
svc '{"hash":"'$H64'","fuel":5000001}'; expect 400 bad_fuel
svc '{"hash":"abc"}'; expect 400 bad_hash
svc '{"hash":"'${H64^^}'"}'; expect 400 bad_hash
svc '{"hash":"'${H64:0:63}'g"}'; expect 400 bad_hash
svc '{"hash":"'$H64'","function":""}'; expect 400 bad_function
svc '{"hash":"'$H64'","function":"'$(printf 'f%.0s' $(seq 1 256))'"}'; expect 400 bad_function
# input over --max-input (1 KiB) but body within the JSON allowance: parsed, then 413
svc '{"hash":"'$H64'","input":"'$(head -c 2000 /dev/zero | tr '\0' a)'"}'; expect 413 input_too_large
# body over the route limit (max-input + 64 KiB), refused from Content-Length
head -c 200000 /dev/zero | tr '\0' a > "$T/big"
req POST /services/3 --data-binary @"$T/big"; expect 413 too_large
# same, streamed chunked (no Content-Length): refused as it streams in
req POST /services/3 -H 'Transfer-Encoding: chunked' --data-binary @"$T/big"; expect 413 too_large
# a chunked body far over the limit (20 MiB, limit 1 KiB + JSON allowance): the node
# drains it without buffering and the client gets the 413, not a reset connection
head -c $((20 << 20)) /dev/zero > "$T/huge"
rss() { awk '/^VmRSS:/ {print int($2 / 1024)}' "/proc/$NODE_PID/status"; }
r0=$(rss)
for _ in 1 2 3; do
    req POST /services/3 -H 'Transfer-Encoding: chunked' --data-binary @"$T/huge"
    expect 413 too_large
done
r1=$(rss)
[ $((r1 - r0)) -lt 8 ] || fail "RSS grew from $r0 to $r1 MiB draining 3 x 20 MiB"
req POST /functions/hello -H 'Transfer-Encoding: chunked' --data-binary @"$T/huge"
expect 413 too_large
rm -f "$T/huge"
ok "service request validation"

# ---- auth
req POST /content --data-binary 'abc'; expect 401 unauthorized
req POST /content -H "Authorization: Bearer $(printf '0%.0s' $(seq 1 64))" --data-binary 'abc'; expect 403 forbidden
req POST /content -H "Authorization: Basic Zm9vOmJhcg==" --data-binary 'abc'; expect 401 unauthorized
req GET /functions; expect 401 unauthorized
req DELETE /functions/x; expect 401 unauthorized
req PUT /functions/x -d '{}'; expect 401 unauthorized
ok "auth"

# ---- content store
printf 'some module bytes' > "$T/c1"
WANT=$(b3sum --no-names "$T/c1")
req POST /content "${AUTH[@]}" --data-binary @"$T/c1"; expect 200
[ "$(json hash < "$T/body")" = "$WANT" ] || fail "upload hash is not b3sum's"
[ "$(json size < "$T/body")" = 17 ] || fail "upload size"
[ -f "$T/a/content/$WANT" ] || fail "content file not named by its hash"
[ "$(stat -c %a "$T/a/content/$WANT")" = 600 ] || fail "content file mode"
req POST /content "${AUTH[@]}" --data-binary @"$T/c1"; expect 200
[ "$(json hash < "$T/body")" = "$WANT" ] || fail "idempotent upload"
req GET /content/$WANT; expect 200
cmp -s "$T/body" "$T/c1" || fail "downloaded content differs"
req GET /content/$H64; expect 404 unknown_hash
req GET /content/xyz; expect 400 bad_hash
req POST /content "${AUTH[@]}" --data-binary ''; expect 400 empty_body
head -c 70000 /dev/urandom > "$T/c2"
req POST /content "${AUTH[@]}" --data-binary @"$T/c2"; expect 413 too_large
req POST /content "${AUTH[@]}" -H 'Transfer-Encoding: chunked' --data-binary @"$T/c2"; expect 413 too_large
head -c 65536 /dev/urandom > "$T/c3"
req POST /content "${AUTH[@]}" -H 'Transfer-Encoding: chunked' --data-binary @"$T/c3"; expect 200
[ "$(json hash < "$T/body")" = "$(b3sum --no-names "$T/c3")" ] || fail "chunked upload hash"
ls "$T/a/content" | grep -q '^\.tmp' && fail "temp files left in the store"
ok "content store"

# ---- registry (deploys are name records signed by a developer key, checked against
# the node's network key: without an enclave there is none, 503 no_key)
if [ ! -x "$ENCLAVE" ]; then
    req PUT /functions/hello "${AUTH[@]}" -d '{"record":{"name":"hello"}}'; expect 400 bad_record
    req PUT /functions/hello "${AUTH[@]}" -d '{"hash":"'$WANT'"}'; expect 400 unsigned_deploy
else
req PUT /functions/hello "${AUTH[@]}" -d "$(deploy_body hello "$WANT")"; expect 201
[ "$(json name < "$T/body")" = hello ] || fail "deploy answer"
[ "$(json decrypt < "$T/body")" = false ] || fail "decrypt default"
[ "$(json seq < "$T/body")" = 1 ] || fail "deploy answer seq"
[ "$(json owner < "$T/body")" = "$(pubkey "$DEV_SK")" ] || fail "deploy answer owner"
req PUT /functions/hello "${AUTH[@]}" -d "$(deploy_body hello "$WANT" true 2)"; expect 200
[ "$(json decrypt < "$T/body")" = true ] || fail "redeploy decrypt"
req PUT /functions/other.fn-1_x "${AUTH[@]}" -d "$(deploy_body other.fn-1_x "$WANT")"; expect 201
req PUT /functions/nothere "${AUTH[@]}" -d "$(deploy_body nothere "$H64")"; expect 404 unknown_hash
req PUT /functions/bad%20name "${AUTH[@]}" -d "$(deploy_body hello "$WANT")"; expect 400 bad_name
req PUT /functions/$(printf 'n%.0s' $(seq 1 65)) "${AUTH[@]}" -d '{}'; expect 400 bad_name
req PUT /functions/x "${AUTH[@]}" -d '{"logs":false,"name":"x"}'; expect 400 unknown_field
req PUT /functions/x "${AUTH[@]}" -d '{"record":{},"logs":1}'; expect 400 bad_type
req PUT /functions/x "${AUTH[@]}" -d '{"logs":false}'; expect 400 missing_field
req PUT /functions/x "${AUTH[@]}" -d '{"hash":"'$WANT'","decrypt":false}'; expect 400 unsigned_deploy
req PUT /functions/x "${AUTH[@]}" -d 'oops'; expect 400 invalid_json
req GET /functions "${AUTH[@]}"; expect 200
node -e 'const a=JSON.parse(require("fs").readFileSync(process.argv[1]));
  if(a.length!==2||a[0].name!=="hello"||a[0].decrypt!==true||a[1].name!=="other.fn-1_x"||
     typeof a[0].created!=="number"||a[0].hash!==process.argv[2]||a[0].seq!==2||
     a[0].record.hash!==process.argv[2]) process.exit(1)' "$T/body" "$WANT" ||
    fail "function list"
req DELETE /functions/other.fn-1_x "${AUTH[@]}"; expect 200
req DELETE /functions/other.fn-1_x "${AUTH[@]}"; expect 404 unknown_function
req POST /functions/nosuch -d 'x'; expect 404 unknown_function
req POST /functions/hello --data-binary @"$T/c2"; expect 413 too_large
fi
ok "function registry"

if [ ! -x "$ENCLAVE" ]; then
    req POST /services/3 -d '{"hash":"'$WANT'"}'; expect 503 enclave_restarting
    req POST /functions/hello -d 'x'; expect 503 enclave_restarting
    ok "503 while the enclave cannot start"
fi

# ---- metrics
req GET /metrics; expect 200
for m in esgx_requests_total esgx_invocations_total esgx_traps_total esgx_enclave_restarts_total esgx_content_bytes; do
    grep -q "^$m" "$T/body" || fail "metric $m missing"
done
grep -q 'esgx_requests_total{route="services",status="400"}' "$T/body" || fail "requests by route/status"
grep -q "^esgx_content_bytes $((17 + 65536))$" "$T/body" || fail "content bytes"
ok "metrics"

# ---- restart keeps content and registry; graceful stop
stop_node
grep -q 'SIGTERM: shutting down' "$T/a.log" || fail "no shutdown log line"
if [ -x "$ENCLAVE" ]; then ENC=(); fi
start_node a "${ENC[@]}" --max-content 64K --max-input 1K
req GET /content/$WANT; expect 200
cmp -s "$T/body" "$T/c1" || fail "content after restart"
req GET /functions "${AUTH[@]}"; expect 200
grep -q '"name":"hello"' "$T/body" || fail "registry after restart"
stop_node
ok "restart keeps content and registry; SIGTERM exits 0"

# ---- flags
"$ESGXD" --help | grep -q -- '--data-dir' || fail "--help"
"$ESGXD" --bogus >/dev/null 2>&1 && fail "unknown flag accepted"
"$ESGXD" --data-dir "$T/z" --listen nope >/dev/null 2>&1 && fail "bad --listen accepted"
want_version=$(sed -n 's/^project(esgx VERSION \([0-9.]*\).*/\1/p' "$SRC/CMakeLists.txt")
[ -n "$want_version" ] || fail "no project version in CMakeLists.txt"
[ "$("$ESGXD" --version | head -1)" = "esgxd $want_version" ] || fail "--version: $("$ESGXD" --version)"
"$ESGXD" --version | sed -n 2p | grep -Eqx 'console (sha256:[0-9a-f]{64}|none)' \
    || fail "--version's second line names the console bundle: $("$ESGXD" --version)"
"$ESGXD" --help | grep -q -- '--version' || fail "--help does not list --version"
# a bad number names the flag and what is accepted, exit status 2
for bad in "--workers 0:--workers wants an integer 1..256" \
           "--max-content 1X:--max-content wants a size from 1 byte to 64M-64K" \
           "--fuel -1:--fuel wants a positive integer" \
           "--pccs-refresh 0:--pccs-refresh wants seconds, 1..604800" \
           "--compile-threads 9:--compile-threads wants an integer 0..8"; do
    args=${bad%%:*} want=${bad#*:}
    rc=0
    "$ESGXD" --data-dir "$T/z" $args >/dev/null 2>"$T/err" || rc=$?
    [ "$rc" = 2 ] || fail "$args: exit status $rc, want 2"
    grep -qF -- "esgxd: $want" "$T/err" || fail "$args: message $(cat "$T/err")"
done
"$ESGXD" --data-dir "$T/z" --max-content 32M --max-input 33M >/dev/null 2>"$T/err" &&
    fail "--max-content + --max-input over 64M accepted"
grep -qF -- "--max-content + --max-input must stay within 64M" "$T/err" || fail "sum message"
ok "flags"
echo "node_http: all ok"
