#!/bin/bash
# seal_e2e.sh: sealed calls and deterministic guest randomness end to end, with real
# processes on 127.0.0.1: esgxd (+ esgx-enclave), the esgx CLI, the JavaScript client of
# sdk/js, and a recording proxy (tests/recording_proxy.py) between the clients and the
# node that keeps every request and answer byte it relays.
#   - esgx invoke --seal by hash and by name: the plaintext output is printed, --json says
#     "sealed": true, the saved sealed request and answer verify offline (esgx verify);
#   - the JS client (invoke {seal: true}) by hash and by name: @noble seals what the
#     enclave opens and opens what the enclave sealed; a sealed body POSTed to
#     /functions/NAME with X-Esgx-Sealed: 1;
#   - the recording holds neither the plaintext inputs nor the outputs of those calls
#     (markers grepped: absent), while the clients printed them;
#   - a sealed input replayed with another module hash, fuel or function is refused: 400
#     bad_sealed_input naming the reason; a malformed X-Esgx-Sealed is 400 bad_header;
#   - randomness (tests/guests/random32.wat): the same request twice gives the same
#     bytes (the whole answer), another input other bytes; by a sealed call too.
# Two nodes of one network agreeing on the bytes: tests/seal_random.sh.
set -u
SRC=${ESGX_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${ESGX_BUILD_DIR:-$SRC/build}
ESGX=$BUILD/esgx
for b in esgx esgxd esgx-enclave; do
    [ -e "$BUILD/$b" ] || { echo "skip: $BUILD/$b not built" >&2; exit 77; }
done
for c in curl python3 wat2wasm node; do
    command -v "$c" >/dev/null || { echo "skip: $c not installed" >&2; exit 77; }
done
[ -d "$SRC/tests/js/node_modules/@noble/ciphers" ] ||
    { echo "skip: tests/js/node_modules (@noble) missing" >&2; exit 77; }
T=$(mktemp -d "${TMPDIR:-/tmp}/esgx-seal-e2e.XXXXXX")
export XDG_CONFIG_HOME=$T/config HOME=$T/home
unset ESGX_TIMEOUT
NODE_PID= PROXY_PID=
cleanup() {
    stop_pids 10 $PROXY_PID $NODE_PID
    rm -rf "$T"
}
trap cleanup EXIT
fail() {
    echo "FAIL: $*" >&2
    for f in out err; do [ -f "$T/$f" ] && { echo "--- $f:" >&2; head -c 2000 "$T/$f" >&2; echo >&2; }; done
    [ -f "$T/node.log" ] && { echo "--- node.log:" >&2; tail -30 "$T/node.log" >&2; }
    exit 1
}
ok() { echo "ok - $*"; }
. "$SRC/tests/cli_lib.sh"
jfield() { python3 -c 'import json,sys; v=json.load(open(sys.argv[1]))[sys.argv[2]]; print(json.dumps(v) if isinstance(v,bool) else v)' "$@"; }

wat2wasm "$SRC/tests/guests/node_hello.wat" -o "$T/hello.wasm" || fail "wat2wasm hello"
wat2wasm "$SRC/tests/guests/random32.wat" -o "$T/random32.wasm" || fail "wat2wasm random32"

# ---- a node, and the recording proxy in front of it
esgxd_start "$T/node" --init
: > "$T/record"
python3 "$SRC/tests/recording_proxy.py" "$URL" "$T/record" "$T/proxy.port" 2>"$T/proxy.err" &
PROXY_PID=$!
for _ in $(seq 1 100); do [ -s "$T/proxy.port" ] && break; sleep 0.1; done
[ -s "$T/proxy.port" ] || fail "the recording proxy did not start: $(cat "$T/proxy.err")"
PROXY=http://127.0.0.1:$(cat "$T/proxy.port")
run 0 login --insecure-skip-attest --node "$PROXY" --token "$(cat "$T/node/admin.token")"
NETKEY=$(sed -n 's/^network_key = //p' "$XDG_CONFIG_HOME/esgx/config")
run 0 functions deploy --name hello --path "$T/hello.wasm" --json
HELLO=$(jfield "$T/out" hash)
run 0 functions deploy --name rand --no-encrypt --path "$T/random32.wasm" --json
RAND=$(jfield "$T/out" hash)
ok "node behind a recording proxy; hello deployed encrypted ($HELLO), rand in clear"

# ---- esgx invoke --seal, by hash and by name
IN1=in-marker-$RANDOM-cli-hash IN2=in-marker-$RANDOM-cli-name IN3=in-marker-$RANDOM-cli-json
run 0 invoke "$HELLO" --decrypt --seal --input "$IN1" --save "$T/s1.ans" --save-request "$T/s1.req"
[ "$(cat "$T/out")" = "Hello, $IN1" ] || fail "sealed by hash printed '$(cat "$T/out")'"
grep -q '"sealed_input":"' "$T/s1.req" || fail "the saved request has no sealed_input"
grep -q '"input":' "$T/s1.req" && fail "the saved sealed request has an input field"
head -1 "$T/s1.ans" | grep -q ',"sealed":true,"signature":"' || fail "the header says nothing of sealing"
run 0 invoke hello --seal --input "$IN2"
[ "$(cat "$T/out")" = "Hello, $IN2" ] || fail "sealed by name printed '$(cat "$T/out")'"
run 0 invoke hello --seal --json --input "$IN3"
python3 - "$T/out" "$IN3" <<'PY' || fail "invoke --seal --json: $(cat "$T/out")"
import json, sys
o = json.load(open(sys.argv[1]))
assert o["verified"] is True and o["sealed"] is True, o
assert o["output"] == "Hello, " + sys.argv[2], o
PY
ok "esgx invoke --seal by hash and by name: verified, opened, printed; --json has \"sealed\": true"

# saved sealed request and answer: esgx verify checks them offline (the output stays sealed)
run 0 verify --request "$T/s1.req" --response "$T/s1.ans" --network-key "$NETKEY"
has out "verified: $((7 + ${#IN1} + 28)) output bytes"
python3 - "$T/s1.req" "$T/s1-plain.req" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
r["input_base64"] = r.pop("sealed_input")   # the same bytes, presented as not sealed
json.dump(r, open(sys.argv[2], "w"))
PY
run 1 verify --request "$T/s1-plain.req" --response "$T/s1.ans" --network-key "$NETKEY"
has err "input_hash mismatch: the answer is sealed, the request was not"
ok "esgx verify: the saved sealed call verifies; the same bytes as a plain request do not"

# ---- a project with seal = true: its deploy shows a sealed call, no plain curl line
mkdir -p "$T/proj"
cp "$T/hello.wasm" "$T/proj/fn.wasm"
printf 'name = "sealedfn"\nbuild = "true"\noutput = "fn.wasm"\nseal = true\n' > "$T/proj/esgx.toml"
run 0 deploy --dir "$T/proj"
has out "call it sealed: esgx invoke sealedfn --seal --input 'your input'"
grep -q curl "$T/out" && fail "a seal = true project still shows a plain curl line"
run 0 deploy --dir "$T/proj" --json
python3 -c 'import json,sys; o=json.load(open(sys.argv[1])); assert o["seal"] is True, o' "$T/out" ||
    fail "deploy --json of a seal = true project: $(cat "$T/out")"
IN4=in-marker-$RANDOM-project
run 0 invoke sealedfn --seal --input "$IN4"
[ "$(cat "$T/out")" = "Hello, $IN4" ] || fail "the project's sealed call printed '$(cat "$T/out")'"
printf 'seal = "yes"\n' >> "$T/proj/esgx.toml"
run 1 deploy --dir "$T/proj"
has err "encrypt, logs and seal must be true or false"
ok "esgx.toml seal = true: esgx deploy shows 'esgx invoke NAME --seal' (and \"seal\": true), no curl line; the call works"

# ---- sealed inputs replayed with another binding: 400 bad_sealed_input
replay() {   # replay NAME PYTHON-EDIT: the saved sealed request, edited, posted to the node
    python3 - "$T/s1.req" "$T/$1.req" "$2" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
exec(sys.argv[3])
json.dump(r, open(sys.argv[2], "w"))
PY
    STATUS=$(curl -s -o "$T/body" -w '%{http_code}' "$URL/services/3" --data-binary "@$T/$1.req")
}
for edit in "r['hash'] = '$RAND'; r['decrypt'] = False" "r['fuel'] -= 1" "r['function'] = 'spin'"; do
    replay other "$edit"
    [ "$STATUS" = 400 ] || fail "replay ($edit): HTTP $STATUS $(cat "$T/body")"
    grep -q '"code":"bad_sealed_input"' "$T/body" || fail "replay ($edit): $(cat "$T/body")"
    grep -q 'sealed input does not open for this module, function, fuel and name' "$T/body" ||
        fail "replay ($edit): the reason is not named: $(cat "$T/body")"
done
replay same "pass"
[ "$STATUS" = 200 ] || fail "the unchanged sealed request: HTTP $STATUS"
replay short "r['sealed_input'] = 'AQID'"
[ "$STATUS" = 400 ] && grep -q '"code":"bad_sealed_input"' "$T/body" || fail "short sealed input: $(cat "$T/body")"
STATUS=$(curl -s -o "$T/body" -w '%{http_code}' -H 'X-Esgx-Sealed: yes' "$URL/functions/hello" --data-binary x)
[ "$STATUS" = 400 ] && grep -q '"code":"bad_header"' "$T/body" || fail "X-Esgx-Sealed: yes: $STATUS $(cat "$T/body")"
ok "a sealed input sent with another module hash, fuel or function: 400 bad_sealed_input naming why; a short one too; X-Esgx-Sealed: yes is 400 bad_header"

# ---- the JavaScript client through the proxy
mkdir "$T/app"
cp "$SRC/sdk/js/client.mjs" "$SRC/sdk/js/seal.mjs" "$SRC/sdk/js/names.mjs" "$T/app/"
ln -s "$SRC/tests/js/node_modules" "$T/app/node_modules"
JIN=in-marker-$RANDOM-js
node "$SRC/tests/js/seal_client.mjs" "$T/app/client.mjs" "$PROXY" "$NETKEY" "$HELLO" "$RAND" \
    "$JIN" > "$T/js.out" 2>"$T/js.err" || { cat "$T/js.out" "$T/js.err" >&2; fail "seal_client.mjs"; }
cat "$T/js.out"
grep -qF "printed: Hello, $JIN-hash" "$T/js.out" || fail "the JS client did not print the output"

# ---- what the proxy saw
for m in "$IN1" "$IN2" "$IN3" "$IN4" "$JIN"; do
    grep -qF "$m" "$T/record" && fail "the recording holds the plaintext input $m"
done
grep -qF 'Hello, ' "$T/record" && fail "the recording holds a plaintext output"
grep -qF '"sealed_input":"' "$T/record" || fail "the recording has no sealed request: is it recording?"
grep -qF ',"sealed":true,' "$T/record" || fail "the recording has no sealed answer"
grep -qiF 'X-Esgx-Sealed: 1' "$T/record" || fail "the recording has no /functions call with X-Esgx-Sealed"
N=$(grep -c '^=== REQUEST POST /services/3' "$T/record")
ok "the recording proxy relayed $N sealed calls (and the name lookups): no plaintext input or output in $(wc -c < "$T/record") recorded bytes"
CTL=in-marker-$RANDOM-plain   # the control: a plain call through the same proxy is seen
run 0 invoke hello --input "$CTL"
grep -qF "$CTL" "$T/record" && grep -qF "Hello, $CTL" "$T/record" ||
    fail "the recording misses a plain call's input and output"
ok "control: a plain call through the proxy leaves its input and output in the recording"

# ---- randomness: the same request, the same bytes; another input, other bytes
for i in 1 2; do
    curl -s -o "$T/r$i" "$URL/services/3" --data "{\"hash\":\"$RAND\",\"input\":\"x\",\"fuel\":100000}"
done
curl -s -o "$T/r3" "$URL/services/3" --data "{\"hash\":\"$RAND\",\"input\":\"y\",\"fuel\":100000}"
cmp -s "$T/r1" "$T/r2" || fail "the same request gave two answers"
tail -c 33 "$T/r1" | head -c 32 > "$T/b1"; tail -c 33 "$T/r3" | head -c 32 > "$T/b3"
cmp -s "$T/b1" "$T/b3" && fail "two inputs gave the same random bytes"
[ "$(tail -c 33 "$T/r1" | head -c 32 | od -An -tx1 | tr -d ' \n')" != "$(printf '%064d' 0)" ] ||
    fail "random_get gave zeros"
run 0 invoke "$RAND" --input x --fuel 100000 --json
python3 - "$T/out" "$T/r1" <<'PY' || fail "esgx invoke of rand: another answer"
import base64, json, sys
o = json.load(open(sys.argv[1]))
raw = open(sys.argv[2], "rb").read()
assert base64.b64decode(o["output_base64"]) == raw[raw.index(b"\r\n") + 2:], o
PY
ok "random_get: the same request twice gives the same answer byte for byte (also from esgx invoke), another input other bytes"
run 0 invoke "$RAND" --seal --input x --fuel 100000 --save "$T/rs1.ans" --save-request "$T/rs1.req"
head -c 32 "$T/out" > "$T/rs1"
cmp -s "$T/rs1" "$T/b1" && fail "a sealed call got the random bytes of the plain call (its input_hash differs)"
for i in 2 3; do
    curl -s -o "$T/rs$i.ans" "$URL/services/3" --data-binary "@$T/rs1.req"
    cmp -s "$T/rs1.ans" "$T/rs$i.ans" || fail "the same sealed request gave another answer"
done
ok "a sealed request sent again gives the same sealed answer byte for byte (its own random bytes)"
echo "all seal_e2e checks passed"
