#!/bin/bash
# cli_e2e.sh: esgx login / functions / invoke / verify against a real esgxd on 127.0.0.1
# (random port, temporary data dir and XDG_CONFIG_HOME), plus tampering:
#   - saved answers edited by hand (output byte, signature hex char, tree node, header
#     input_hash, a consistent forgery with a recomputed hash) and a wrong network key
#     are rejected by `esgx verify` with the named check and exit 1;
#   - a man in the middle (a small Python proxy in front of the node) that flips an
#     output byte, a signature byte, or serves another network key at /attestation is
#     caught by `esgx invoke`, which then prints nothing on stdout.
set -u
SRC=${ESGX_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${ESGX_BUILD_DIR:-$SRC/build}
ESGX=$BUILD/esgx
for b in esgx esgxd esgx-enclave examples/hello.wasm examples/echo.wasm; do
    [ -e "$BUILD/$b" ] || { echo "skip: $BUILD/$b not built" >&2; exit 77; }
done
for c in curl python3 b3sum; do
    command -v "$c" >/dev/null || { echo "skip: $c not installed" >&2; exit 77; }
done
T=$(mktemp -d "${TMPDIR:-/tmp}/esgx-cli-e2e.XXXXXX")
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
    for f in out err; do [ -f "$T/$f" ] && { echo "--- $f:" >&2; head -c 3000 "$T/$f" >&2; echo >&2; }; done
    [ -f "$T/node.log" ] && { echo "--- node.log:" >&2; tail -30 "$T/node.log" >&2; }
    exit 1
}
ok() { echo "ok - $*"; }
. "$SRC/tests/cli_lib.sh"
field() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$@"; }

# ---- a node
esgxd_start "$T/node" --init
TOKEN=$(cat "$T/node/admin.token")
curl -s "$URL/attestation" >"$T/att.json"
NETKEY=$(field "$T/att.json" public_key)
[ ${#NETKEY} = 66 ] || fail "no network key at /attestation"

# ---- login
run 1 login --insecure-skip-attest --node "$URL" --token "$(printf '%064d' 7)"
has err "the node refused the token"
has err "HTTP 403"
run 0 login --insecure-skip-attest --node "$URL/" --token "$TOKEN"
has out "logged in to $URL"
has out "network key $NETKEY (pinned)"
has out "token accepted"
CFG=$XDG_CONFIG_HOME/esgx/config
[ "$(stat -c %a "$CFG")" = 600 ] || fail "config mode is $(stat -c %a "$CFG"), not 600"
[ "$(stat -c %a "$XDG_CONFIG_HOME/esgx")" = 700 ] || fail "config folder mode is not 700"
grep -qx "node = $URL" "$CFG" || fail "config lacks the node URL"
grep -qx "token = $TOKEN" "$CFG" || fail "config lacks the token"
grep -qx "network_key = $NETKEY" "$CFG" || fail "config lacks the pinned key"
ls "$XDG_CONFIG_HOME/esgx" | grep -q tmp && fail "a temporary config file was left behind"
echo "$TOKEN" >"$T/tokfile"
run 0 login --insecure-skip-attest --node "$URL" --token-file "$T/tokfile"
grep -qx "token = $TOKEN" "$CFG" || fail "--token-file did not store the token"
ok "login: bad token refused; config 0600 with URL, token and pinned key"

# ---- deploy, encrypted (default) and plain
run 0 functions deploy --name Myfunction --path "$BUILD/examples/hello.wasm" --no-progress
HASH=$(sed -n 's/^hash \([0-9a-f]\{64\}\)$/\1/p' "$T/out")
[ -n "$HASH" ] || fail "deploy printed no hash"
has out "deployed Myfunction"
has out "invoke $URL/functions/Myfunction"
has out "encrypted to the network key"
[ -s "$T/err" ] && fail "deploy --no-progress wrote to stderr"
curl -s -o "$T/stored" "$URL/content/$HASH"
[ "$(b3sum --no-names "$T/stored")" = "$HASH" ] || fail "the printed hash is not BLAKE3 of the stored bytes"
[ "$(head -c 4 "$T/stored" | od -An -tx1 | tr -d ' ')" = 0061736d ] && fail "deployed module stored in clear"
[ "$(stat -c %s "$T/stored")" = $(( $(stat -c %s "$BUILD/examples/hello.wasm") + 97 )) ] ||
    fail "stored size is not module + ECIES overhead (97)"
CURL_LINE=$(grep '^curl ' "$T/out")
[ -n "$CURL_LINE" ] || fail "deploy printed no curl line"
bash -c "$CURL_LINE" >"$T/curl.out" 2>&1 || fail "the printed curl line failed"
grep -q "Hello, world! From, SGX WASM <3" "$T/curl.out" || fail "the printed curl line did not run hello"
head -1 "$T/curl.out" | grep -q '"signature":"' || fail "the curl answer has no signed header"

run 0 functions deploy --name echo --path "$BUILD/examples/echo.wasm" --no-encrypt --progress
EHASH=$(sed -n 's/^hash \([0-9a-f]\{64\}\)$/\1/p' "$T/out")
[ "$EHASH" = "$(b3sum --no-names "$BUILD/examples/echo.wasm")" ] || fail "--no-encrypt hash is not b3sum of the file"
has out "not encrypted"
has out "\"decrypt\": false"
has err "upload ["
has err "100%"
run 0 functions deploy --name echo2 --path "$BUILD/examples/echo.wasm" --no-encrypt --json
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["name"]=="echo2" and d["decrypt"] is False and d["hash"]==sys.argv[2]' \
    "$T/out" "$EHASH" || fail "deploy --json"
ok "deploy: hash is BLAKE3 of the upload, encrypted by default, printed curl line works, progress bar"

run 0 functions list
has out "Myfunction"
DEVKEY=$("$ESGX" keys show) || fail "esgx keys show after login"
grep -q "^echo  *1  *$DEVKEY  *$EHASH  *no " "$T/out" || fail "list line of echo"
grep -q "^Myfunction  *1  *$DEVKEY  *$HASH  *yes " "$T/out" || fail "list line of Myfunction"
run 0 functions list --json
python3 -c 'import json,sys; a=json.load(open(sys.argv[1])); assert sorted(f["name"] for f in a)==["Myfunction","echo","echo2"]' "$T/out" ||
    fail "list --json"
ok "functions list"

# ---- invoke
run 0 invoke Myfunction --input foo
[ "$(cat "$T/out")" = "Hello, world! From, SGX WASM <3" ] || fail "invoke by name output"
run 0 invoke "$HASH" --decrypt --json
python3 - "$T/out" "$NETKEY" <<'EOF' || fail "invoke --json fields"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["verified"] is True and d["signer"] == sys.argv[2], d
assert d["output"] == "Hello, world! From, SGX WASM <3" and d["tree"] == d["hash"], d
assert isinstance(d["fuel_used"], int) and len(d["signature"]) == 130, d
EOF
run 1 invoke "$HASH" --input foo
has err "POST $URL/services/3: HTTP 4"
[ -s "$T/out" ] && fail "a failed invoke printed output"
run 0 invoke echo --input "héllo wörld"
[ "$(cat "$T/out")" = "héllo wörld" ] || fail "echo of UTF-8 input"
printf '\x00\x01binary\xff' >"$T/bin.in"
run 0 invoke echo --input-file "$T/bin.in"   # any bytes: sent as input_base64
cmp -s "$T/bin.in" "$T/out" || fail "echo of binary input through --input-file"
# a 600 KiB answer: three 256 KiB blocks, a 5-node tree, checked
python3 -c 'import sys; sys.stdout.write(("abcdefghijklmnopqrstuvwxyz0123456789\n" * 17000)[:614400])' >"$T/big.in"
run 0 invoke echo --input-file "$T/big.in" --save "$T/big.ans" --save-request "$T/big.req"
cmp -s "$T/out" "$T/big.in" || fail "echo of 600 KiB"
python3 -c 'import sys; h=open(sys.argv[1],"rb").read().split(b"\r\n")[0].decode(); import json; assert len(json.loads(h)["tree"])==5*64' "$T/big.ans" ||
    fail "600 KiB answer should have a 5-node tree"
run 1 invoke echo --input x --fuel 3
has err "HTTP 422"
has err "out_of_fuel"
# --fuel is decimal (esgx_parse_u64, as for `esgx run`): 010 is ten, not octal eight
run 1 invoke echo --input x --fuel 010 --save-request "$T/fuel010.req"
has err "out_of_fuel"
[ "$(field "$T/fuel010.req" fuel)" = 10 ] || fail "invoke --fuel 010 must request fuel 10"
run 1 invoke nosuchfn
has err "no function named 'nosuchfn'"
run 1 invoke "$(printf '%064d' 0)"
has err "HTTP 404 (unknown_hash)"
run 2 invoke "NOT/A/NAME"
ok "invoke: by name and hash, --json, UTF-8, 600 KiB tree, traps and unknown targets"

# ---- verify offline, and tampering with saved answers
run 0 verify --request "$T/big.req" --response "$T/big.ans"
has out "verified: 614400 output bytes"
has out "signed by network key $NETKEY"
run 0 verify --request "$T/big.req" --response "$T/big.ans" --network-key "$(field "$T/att.json" xpub)" --print-output
cmp -s "$T/out" "$T/big.in" || fail "verify --print-output"
python3 - "$T" <<'EOF'
import sys, json
t = sys.argv[1]
a = open(t + '/big.ans', 'rb').read()
head, out = a.split(b'\r\n', 1)
def put(name, data): open(t + '/' + name, 'wb').write(data)
b = bytearray(a); b[-1] ^= 1; put('t_output.ans', bytes(b))
i = head.index(b'"signature":"') + len('"signature":"') + 10
b = bytearray(a); b[i] = ord('0') if b[i] != ord('0') else ord('1'); put('t_sig.ans', bytes(b))
i = head.index(b'"tree":"') + len('"tree":"') + 3
b = bytearray(a); b[i] = ord('0') if b[i] != ord('0') else ord('1'); put('t_tree.ans', bytes(b))
i = head.index(b'"input_hash":"') + len('"input_hash":"') + 7
b = bytearray(a); b[i] = ord('0') if b[i] != ord('0') else ord('1'); put('t_ih.ans', bytes(b))
b = bytearray(a); b[len(head) + 2 + 300000] ^= 0x20; put('t_mid.ans', bytes(b))
r = json.load(open(t + '/big.req'))   # --input-file sends input_base64
import base64; x = bytearray(base64.b64decode(r['input_base64'])); x[-1] = ord('X')
r['input_base64'] = base64.b64encode(bytes(x)).decode()
open(t + '/t_input.req', 'w').write(json.dumps(r))
r = json.load(open(t + '/big.req')); r['fuel'] = r['fuel'] - 1
open(t + '/t_fuel.req', 'w').write(json.dumps(r))
EOF
check_reject() { # REQ ANS CHECK [args]
    local req=$1 ans=$2 check=$3; shift 3
    run 1 verify --request "$req" --response "$ans" "$@"
    has err "answer rejected: $check"
    [ -s "$T/out" ] && fail "a rejected answer printed something on stdout"
}
check_reject "$T/big.req" "$T/t_output.ans" "output hash mismatch"
check_reject "$T/big.req" "$T/t_mid.ans" "output hash mismatch"
check_reject "$T/big.req" "$T/t_sig.ans" "signature does not recover to the network key"
check_reject "$T/big.req" "$T/t_tree.ans" "tree mismatch"
check_reject "$T/big.req" "$T/t_ih.ans" "input_hash mismatch"
check_reject "$T/t_input.req" "$T/big.ans" "input_hash mismatch"
check_reject "$T/t_fuel.req" "$T/big.ans" "input_hash mismatch"
OTHER=0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798
check_reject "$T/big.req" "$T/big.ans" "signature does not recover to the network key" --network-key $OTHER
has err "network key $OTHER"
# a consistent forgery: new output with its own correct hash and tree, old signature
run 0 invoke Myfunction --save "$T/h.ans" --save-request "$T/h.req"
python3 - "$T" <<'EOF'
import sys, json, subprocess
t = sys.argv[1]
head, out = open(t + '/h.ans', 'rb').read().split(b'\r\n', 1)
h = json.loads(head)
new = b'Hello, world! From, EVIL WASM >:'
nh = subprocess.run(['b3sum', '--no-names', '-'], input=new, capture_output=True).stdout.decode().strip()
h['hash'] = h['tree'] = nh
open(t + '/t_forged.ans', 'wb').write(json.dumps(h, separators=(',', ':')).encode() + b'\r\n' + new)
EOF
check_reject "$T/h.req" "$T/t_forged.ans" "signature does not recover to the network key"
# a request that left fuel to the node: --fuel-limit (default: esgxd's 10^9)
printf '{"hash": "%s", "decrypt": true, "input": "foo"}' "$HASH" >"$T/nofuel.req"
curl -s -o "$T/nofuel.ans" "$URL/services/3" --data @"$T/nofuel.req"
run 0 verify --request "$T/nofuel.req" --response "$T/nofuel.ans"
check_reject "$T/nofuel.req" "$T/nofuel.ans" "input_hash mismatch" --fuel-limit 5
has err "fuel limit 5 assumed"
ok "verify: saved answers verify; 9 kinds of tampering rejected with the named check"

# ---- a man in the middle: esgx invoke must refuse what esgx verify refuses
PPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
echo pass >"$T/proxy.mode"
python3 - "$PPORT" "$URL" "$T/proxy.mode" 2>"$T/proxy.log" <<'EOF' &
import http.server, json, sys, urllib.request, urllib.error
port, upstream, modefile = int(sys.argv[1]), sys.argv[2], sys.argv[3]
OTHER = '0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798'
class P(http.server.BaseHTTPRequestHandler):
    def relay(self):
        n = int(self.headers.get('Content-Length') or 0)
        body = self.rfile.read(n) if n else None
        hdrs = {k: v for k, v in self.headers.items() if k.lower() in ('authorization', 'content-type')}
        req = urllib.request.Request(upstream + self.path, data=body, method=self.command, headers=hdrs)
        try:
            with urllib.request.urlopen(req) as r:
                status, data = r.status, r.read()
        except urllib.error.HTTPError as e:
            status, data = e.code, e.read()
        mode = open(modefile).read().strip()
        if (self.path == '/services/3' or (self.command == 'POST' and
                self.path.startswith('/functions/'))) and status == 200:
            head, out = data.split(b'\r\n', 1)
            if mode == 'flip-output':
                out = bytes([out[0] ^ 1]) + out[1:]
            elif mode == 'flip-signature':
                h = json.loads(head); s = h['signature']
                h['signature'] = s[:20] + ('0' if s[20] != '0' else '1') + s[21:]
                head = json.dumps(h, separators=(',', ':')).encode()
            data = head + b'\r\n' + out
        if self.path == '/attestation' and mode == 'other-key':
            d = json.loads(data); d['public_key'] = OTHER; d['xpub'] = ''
            data = json.dumps(d).encode()
        self.send_response(status)
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    do_GET = do_POST = do_PUT = do_DELETE = relay
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(('127.0.0.1', port), P).serve_forever()
EOF
PROXY_PID=$!
for _ in $(seq 1 100); do curl -s "http://127.0.0.1:$PPORT/health" >/dev/null && break; sleep 0.1; done
PURL=http://127.0.0.1:$PPORT
run 0 login --insecure-skip-attest --node "$PURL" --token "$TOKEN"
run 0 invoke Myfunction
[ "$(cat "$T/out")" = "Hello, world! From, SGX WASM <3" ] || fail "invoke through the honest proxy"
mitm() { # MODE CHECK
    echo "$1" >"$T/proxy.mode"
    run 1 invoke echo --input "secret answer"
    has err "answer rejected: $2"
    [ -s "$T/out" ] && fail "invoke printed a tampered answer ($1)"
}
mitm flip-output "output hash mismatch"
mitm flip-signature "signature does not recover to the network key"
# a node that reports another network key: the pin refuses the change...
echo other-key >"$T/proxy.mode"
run 1 login --insecure-skip-attest --node "$PURL" --token "$TOKEN"
has err "the network key of $PURL changed"
grep -qx "network_key = $NETKEY" "$CFG" || fail "a refused login changed the pinned key"
# ...and if the user forces it, every answer is refused
run 0 login --insecure-skip-attest --node "$PURL" --token "$TOKEN" --force
echo pass >"$T/proxy.mode"
run 1 invoke echo --input "secret answer"   # names: the record is for the real network
has err "function 'echo': the record the node served does not verify: record is for another network"
[ -s "$T/out" ] && fail "invoke printed an answer under a record of another network"
run 1 invoke "$EHASH" --input "secret answer"
has err "answer rejected: signature does not recover to the network key"
[ -s "$T/out" ] && fail "invoke printed an answer signed by another key"
ok "invoke rejects a flipped output byte, a flipped signature byte and a wrong network key"

# ---- delete
run 0 login --insecure-skip-attest --node "$URL" --token "$TOKEN" --force
run 0 functions delete Myfunction
has out "deleted Myfunction"
run 1 functions delete Myfunction
has err "HTTP 404 (unknown_function)"
run 1 invoke Myfunction
has err "no function named 'Myfunction'"
# without a token, names resolve (public GET /functions/NAME) and hashes work; the list
# needs the token
run 0 login --insecure-skip-attest --node "$URL"
CFG_TOKEN=$(sed -n 's/^token = //p' "$CFG")
[ "$CFG_TOKEN" = "$TOKEN" ] || fail "a login without --token to the same node dropped the stored token"
sed -i 's/^token = .*/token = /' "$CFG"
run 0 invoke echo --input x
[ "$(cat "$T/out")" = x ] || fail "invoke by name without token"
run 0 invoke "$EHASH" --input x
[ "$(cat "$T/out")" = x ] || fail "invoke by hash without token"
run 1 functions list
has err "no admin token stored"
ok "delete; token handling"

# ---- a node without a network key: nothing to pin
kill -TERM "$NODE_PID"; wait "$NODE_PID" 2>/dev/null; NODE_PID=
esgxd_start "$T/keyless"   # answers 503 (no key) once up
run 1 login --insecure-skip-attest --node "http://127.0.0.1:$PORT"
has err "has no network key yet"
grep -qx "network_key = $NETKEY" "$CFG" || fail "a refused login changed the config"
ok "login to a node without a key is refused and leaves the config alone"
