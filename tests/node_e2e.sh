#!/usr/bin/env bash
# node_e2e.sh: esgxd + esgx-enclave end to end on 127.0.0.1: --init, upload a module,
# invoke by hash and by name (response header verified offline with @noble: BLAKE3
# output hash, input_hash, signature recovering to /attestation's public key), decrypt
# mode with a module encrypted by eciesjs to the network key, traps
# and bad requests each with their JSON error, unknown hash (NEED_CONTENT -> 404),
# a flipped byte in a stored file is detected on read (404 naming it, file removed) and a
# re-upload repairs it, restart keeps content, functions and the network key, kill -9 of the enclave is
# recovered from by itself, SIGTERM lets an in-flight invocation finish, a keyless node
# answers 503 no_key, --init on an initialised node is refused, a torn sealed key is fatal.
. "$(dirname "$0")/node_lib.sh"
need node
need b3sum
need wat2wasm
[ -x "$ENCLAVE" ] || { echo "skip: $ENCLAVE not built" >&2; exit 77; }
[ -d "$SRC/tests/js/node_modules/@noble/curves" ] || { echo "skip: tests/js/node_modules missing" >&2; exit 77; }

wat2wasm "$SRC/tests/guests/node_hello.wat" -o "$T/hello.wasm" || fail "wat2wasm"
MOD=$(b3sum --no-names "$T/hello.wasm")
FUEL=50000000

start_node a --init --fuel $FUEL
TOK=$(cat "$T/a/admin.token")
AUTH=(-H "Authorization: Bearer $TOK")
[ -f "$T/a/shared_key.sealed" ] || fail "--init did not create shared_key.sealed"

req GET /attestation; expect 200
PUB=$(json public_key < "$T/body")
XPUB=$(json xpub < "$T/body")
[ ${#PUB} = 66 ] || fail "attestation public_key: '$PUB'"
[ "${XPUB:0:4}" = xpub ] || fail "attestation xpub"
[ "$(json platform < "$T/body")" = sim ] || fail "platform is not sim"
grep -q '"quote_error":"' "$T/body" || fail "a sim node without a bundle must say why it has no quote"
req GET /health; expect 200; grep -q '"enclave":"ready"' "$T/body" || fail "health not ready"
ok "init: key created, attestation $PUB"

req POST /content "${AUTH[@]}" --data-binary @"$T/hello.wasm"; expect 200
[ "$(json hash < "$T/body")" = "$MOD" ] || fail "module hash"

# ---- invoke by hash; first call misses the enclave cache (NEED_CONTENT), second hits
printf 'world' > "$T/in1"
for round in 1 2; do
    req POST /services/3 -d '{"hash":"'$MOD'","input":"world"}'; expect 200
    [ "$(tail -c +1 "$T/body" | sed -n '2p' | tr -d '\r')" = "Hello, world" ] ||
        [ "$(awk 'BEGIN{RS="\r\n"} NR==2' "$T/body")" = "Hello, world" ] || fail "output (round $round)"
    node "$SRC/tests/node_verify.mjs" "$T/body" "$MOD" 0 $FUEL main "$T/in1" "$PUB" || fail "verify (round $round)"
done
cp "$T/body" "$T/first"
req POST /services/3 -d '{"hash":"'$MOD'","input":"world"}'; expect 200
cmp -s "$T/body" "$T/first" || fail "same request, different answer (determinism)"
req POST /services/3 -d '{"hash":"'$MOD'","input":"fuel","fuel":1000000,"function":"main","decrypt":false}'; expect 200
printf 'fuel' > "$T/in2"
node "$SRC/tests/node_verify.mjs" "$T/body" "$MOD" 0 1000000 main "$T/in2" "$PUB" || fail "verify with fuel"
req POST /services/3 -d '{"hash":"'$MOD'","function":"big"}'; expect 200
: > "$T/in3"
node "$SRC/tests/node_verify.mjs" "$T/body" "$MOD" 0 $FUEL big "$T/in3" "$PUB" || fail "verify big output"
ok "invoke by hash: header verified offline, deterministic, multi-block output"

# ---- by name
req PUT /functions/hello "${AUTH[@]}" -d "$(deploy_body hello "$MOD")"; expect 201
OWNER=$(pubkey "$DEV_SK")
req POST /functions/hello --data-binary @"$T/in1"; expect 200
node "$SRC/tests/node_verify.mjs" "$T/body" "$MOD" 0 $FUEL main "$T/in1" "$PUB" hello "$OWNER" 1 ||
    fail "verify by name"
req POST '/functions/hello?function=main&fuel=1000000' --data-binary @"$T/in1"; expect 200
node "$SRC/tests/node_verify.mjs" "$T/body" "$MOD" 0 1000000 main "$T/in1" "$PUB" hello "$OWNER" 1 ||
    fail "verify by name with ?fuel"
ok "invoke by name: the answer binds the record's name, owner and seq"

# ---- decrypt mode: the module is stored as ECIES ciphertext to the network key
node "$SRC/tests/node_encrypt.mjs" "$PUB" "$T/hello.wasm" "$T/hello.enc" || fail "eciesjs encrypt"
req POST /content "${AUTH[@]}" --data-binary @"$T/hello.enc"; expect 200
ENC=$(json hash < "$T/body")
req POST /services/3 -d '{"hash":"'$ENC'","decrypt":true,"input":"world"}'; expect 200
node "$SRC/tests/node_verify.mjs" "$T/body" "$ENC" 1 $FUEL main "$T/in1" "$PUB" || fail "verify decrypt mode"
req PUT /functions/secret "${AUTH[@]}" -d "$(deploy_body secret "$ENC" true)"; expect 201
req POST /functions/secret --data-binary @"$T/in1"; expect 200
node "$SRC/tests/node_verify.mjs" "$T/body" "$ENC" 1 $FUEL main "$T/in1" "$PUB" secret "$OWNER" 1 ||
    fail "verify decrypt by name"
req POST /services/3 -d '{"hash":"'$ENC'","input":"world"}'; expect 400 invalid_module
req POST /services/3 -d '{"hash":"'$MOD'","decrypt":true}'; expect 400 decrypt_failed
ok "decrypt mode (eciesjs ciphertext): by hash and by name; wrong flag refused"

# ---- traps and bad requests
req POST /services/3 -d '{"hash":"'$MOD'","function":"spin","fuel":100000}'; expect 422 out_of_fuel
req POST /services/3 -d '{"hash":"'$MOD'","function":"boom"}'; expect 422
grep -q '"code":"unreachable"' "$T/body" || echo "note: unreachable trap code: $(cat "$T/body")"
req POST /services/3 -d '{"hash":"'$MOD'","function":"nosuch"}'; expect 404 no_such_function
H64=$(printf 'cd%.0s' $(seq 1 32))
req POST /services/3 -d '{"hash":"'$H64'"}'; expect 404 unknown_hash
req POST /services/3 -d '{"hash":"'$MOD'",'; expect 400 invalid_json
req POST /services/3 -d '{"hash":"'$MOD'","inputs":"x"}'; expect 400 unknown_field
req POST /services/3 -d '{"hash":"'${MOD:0:60}'"}'; expect 400 bad_hash
req POST /services/3 -d '{"hash":"'$MOD'","input":["x"]}'; expect 400 bad_type
req POST /services/3 -d '{"hash":"'$MOD'","fuel":'$((FUEL + 1))'}'; expect 400 bad_fuel
head -c $((10 * 1024 * 1024)) /dev/zero | tr '\0' a > "$T/ten"
{ printf '{"hash":"%s","input":"' "$MOD"; cat "$T/ten"; printf '"}'; } > "$T/tenreq"
req POST /services/3 --data-binary @"$T/tenreq"; expect 413 input_too_large   # the body fits 6 x --max-input: the decoded input is refused
req POST /functions/hello --data-binary @"$T/ten"; expect 413 too_large
req POST /content --data-binary @"$T/hello.wasm"; expect 401 unauthorized
# content whose bytes are not a module: the enclave refuses to compile it
printf 'not wasm at all' > "$T/junk"
JUNK=$(b3sum --no-names "$T/junk")
req POST /content "${AUTH[@]}" --data-binary @"$T/junk"; expect 200
req POST /services/3 -d '{"hash":"'$JUNK'"}'; expect 400 invalid_module
ok "traps and bad requests"

req GET /metrics; expect 200
grep -q '^esgx_invocations_total [1-9]' "$T/body" || fail "invocations metric"
grep -q '^esgx_traps_total [1-9]' "$T/body" || fail "traps metric"
grep -q '^esgx_enclave_cache_entries' "$T/body" || fail "enclave stats in metrics"
ok "metrics"

# parallel HASH N TAG: N invocations of HASH at once, each with input TAG<i>; every one
# must answer 200 with its own greeting (answers matched by request id, never mixed up)
parallel() {
    local hash=$1 n=$2 tag=$3 i pids=()
    : > "$T/codes-$tag"
    for i in $(seq 1 "$n"); do
        curl -s -o "$T/$tag$i" -w '%{http_code}\n' "$URL/services/3" \
            -d '{"hash":"'$hash'","input":"'$tag$i'"}' >> "$T/codes-$tag" &
        pids+=($!)
    done
    wait "${pids[@]}"
    [ "$(grep -c '^200$' "$T/codes-$tag")" = "$n" ] || fail "$tag: $(sort "$T/codes-$tag" | uniq -c)"
    for i in $(seq 1 "$n"); do grep -q "Hello, $tag$i\$" "$T/$tag$i" || fail "$tag answer $i mixed up"; done
}

# ---- concurrency: many requests in flight over the one channel
parallel "$MOD" 40 p
ok "40 concurrent invocations matched by request id"

# ---- concurrent first calls of an uncached module: every one gets NEED_CONTENT
cp "$T/hello.wasm" "$T/hello2.wasm"
printf '\x00\x05\x04pad2' >> "$T/hello2.wasm"   # a custom section: new bytes, same code
req POST /content "${AUTH[@]}" --data-binary @"$T/hello2.wasm"; expect 200
MOD2=$(json hash < "$T/body")
parallel "$MOD2" 20 n
ok "20 concurrent first calls of an uncached module"

# ---- a client that gives up while its invocation runs does not disturb the node
curl -s -o /dev/null --max-time 0.3 "$URL/services/3" -d '{"hash":"'$MOD'","function":"spin","fuel":200000000}'
req POST /services/3 -d '{"hash":"'$MOD'","input":"still here"}'; expect 200
grep -q 'Hello, still here$' "$T/body" || fail "answer after an abandoned request"
sleep 1
req GET /health; expect 200
ok "abandoned request: node healthy"

# ---- corrupt content (a flipped byte on disk) is detected, removed, and a re-upload repairs it
cp "$T/hello.wasm" "$T/hello3.wasm"
printf '\x00\x05\x04pad3' >> "$T/hello3.wasm"   # new bytes: not in the enclave's cache
MOD3=$(b3sum --no-names "$T/hello3.wasm")
STORED=$T/a/content/$MOD3
flip() {   # flip: one byte of the stored file changed in place
    local b
    b=$(od -An -tx1 -j8 -N1 "$STORED" | tr -d ' ')
    printf "\\x$(printf '%02x' $((0x$b ^ 0x40)))" | dd of="$STORED" bs=1 seek=8 conv=notrunc status=none
    ! cmp -s "$STORED" "$T/hello3.wasm" || fail "flip did not change the file"
}
req POST /content "${AUTH[@]}" --data-binary @"$T/hello3.wasm"; expect 200
flip
req POST /content "${AUTH[@]}" --data-binary @"$T/hello3.wasm"; expect 200
cmp -s "$STORED" "$T/hello3.wasm" || fail "re-upload left the corrupt file in place"
flip
req POST /services/3 -d '{"hash":"'$MOD3'","input":"x"}'; expect 404 unknown_hash
grep -q "was corrupt and has been removed; upload it again" "$T/body" || fail "no clear corrupt message"
[ ! -e "$STORED" ] || fail "the corrupt file is still in content/"
grep -q "stored content .*$MOD3 was corrupt" "$T/a.log" || fail "corruption not logged"
req POST /content "${AUTH[@]}" --data-binary @"$T/hello3.wasm"; expect 200
cmp -s "$STORED" "$T/hello3.wasm" || fail "re-upload did not store the file again"
req POST /services/3 -d '{"hash":"'$MOD3'","input":"x"}'; expect 200
grep -q 'Hello, x$' "$T/body" || fail "invoke after repair"
flip
req GET "/content/$MOD3"; expect 404 unknown_hash   # never serves corrupt bytes
[ ! -e "$STORED" ] || fail "GET left the corrupt file in content/"
req POST /content "${AUTH[@]}" --data-binary @"$T/hello3.wasm"; expect 200
req GET "/content/$MOD3"; expect 200
cmp -s "$T/body" "$T/hello3.wasm" || fail "GET after repair"
ok "a flipped byte is repaired: detected on read and removed, a clear 404, re-upload replaces it"

# ---- restart keeps content, functions and the network key
stop_node
start_node a
req GET /attestation; expect 200
[ "$(json public_key < "$T/body")" = "$PUB" ] || fail "network key changed across restart"
req POST /functions/hello --data-binary @"$T/in1"; expect 200
node "$SRC/tests/node_verify.mjs" "$T/body" "$MOD" 0 1000000000 main "$T/in1" "$PUB" hello "$OWNER" 1 ||
    fail "verify after restart"
ok "restart: same key, content and functions kept"

# ---- kill -9 of the enclave: the host recovers by itself
EPID=$(pgrep -P "$NODE_PID" esgx-enclave | head -1)
[ -n "$EPID" ] || fail "no enclave child of esgxd"
kill -9 "$EPID"
good=0
for _ in $(seq 1 100); do
    req POST /services/3 -d '{"hash":"'$MOD'","input":"again"}'
    if [ "$STATUS" = 200 ]; then good=1; break; fi
    [ "$STATUS" = 503 ] || fail "during recovery: HTTP $STATUS"
    grep -q '"code":"enclave_restarting"' "$T/body" || fail "503 without enclave_restarting"
    sleep 0.1
done
[ $good = 1 ] || fail "no successful invocation within 10 s of kill -9"
NEW=$(pgrep -P "$NODE_PID" esgx-enclave | head -1)
[ -n "$NEW" ] && [ "$NEW" != "$EPID" ] || fail "enclave not restarted"
req GET /metrics
grep -q '^esgx_enclave_restarts_total [1-9]' "$T/body" || fail "restart not counted"
req GET /attestation
[ "$(json public_key < "$T/body")" = "$PUB" ] || fail "network key changed after kill -9"
ok "kill -9 of the enclave: recovered, same key"

# ---- SIGTERM while a request runs: it finishes, then esgxd exits 0
curl -s -o "$T/long" -w '%{http_code}' "$URL/services/3" \
    -d '{"hash":"'$MOD'","function":"spin","fuel":300000000}' > "$T/longcode" &
CURL=$!
sleep 0.5
stop_node
wait $CURL
[ "$(cat "$T/longcode")" = 422 ] && grep -q '"code":"out_of_fuel"' "$T/long" ||
    fail "in-flight request during shutdown: $(cat "$T/longcode") $(cat "$T/long")"
ok "graceful SIGTERM: the in-flight invocation completed, exit 0"

# ---- a node without a key answers 503 no_key
start_node b
req GET /attestation; expect 200
[ "$(json ready < "$T/body")" = false ] || fail "keyless node says ready"
req POST /services/3 -d '{"hash":"'$MOD'"}'; expect 503 no_key
req GET /health; grep -q '"enclave":"no_key"' "$T/body" || fail "health of a keyless node"
stop_node
ok "node without a key: 503 no_key"

# ---- --init on an initialised node is refused
"$ESGXD" --data-dir "$T/a" --listen 127.0.0.1:0 --init >"$T/init2.log" 2>&1 && fail "second --init accepted"
grep -q 'refusing --init' "$T/init2.log" || fail "second --init: no clear message"
ok "--init refused on an initialised node"

# ---- a torn sealed key is a fatal configuration error, and the file is left alone
mkdir -p "$T/c"
printf 'ESGXSEAL-torn' > "$T/c/shared_key.sealed"
cp "$T/c/shared_key.sealed" "$T/torn.copy"
rc=0
timeout 60 "$ESGXD" --data-dir "$T/c" --listen 127.0.0.1:0 >"$T/c.log" 2>&1 || rc=$?
[ "$rc" = 1 ] || fail "torn sealed key: esgxd exit status $rc, expected 1"
cmp -s "$T/c/shared_key.sealed" "$T/torn.copy" || fail "torn sealed key was modified"
ok "torn sealed key: esgxd exits 1, file untouched"
echo "node_e2e: all ok"
