#!/bin/bash
# cli_project.sh: the project workflow against a real esgxd on 127.0.0.1 (random port,
# temporary data dir and XDG_CONFIG_HOME):
#   - esgx new + build + deploy for C (clang-19), Rust (Debian's cargo with the wasm32
#     target) and AssemblyScript (sdk/assemblyscript/node_modules), each skipped when its
#     toolchain is missing; the deployed function answers through POST /functions/NAME;
#   - a redeploy of unchanged code keeps the hash and uploads nothing (the node logs no
#     new "stored content"), a changed source gives a new hash and new output;
#   - a module with an unknown import and a truncated module are refused with the file,
#     the problem and "nothing uploaded", by `esgx deploy` and `esgx functions deploy`;
#   - `esgx dev` in the background: an edit of the source is served within seconds, the
#     guest's debug line and an "invocation:" line are shown, SIGINT stops the node.
set -u
SRC=${ESGX_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${ESGX_BUILD_DIR:-$SRC/build}
ESGX=$BUILD/esgx
for b in esgx esgxd esgx-enclave; do
    [ -e "$BUILD/$b" ] || { echo "skip: $BUILD/$b not built" >&2; exit 77; }
done
for c in curl python3 clang-19; do
    command -v "$c" >/dev/null || { echo "skip: $c not installed" >&2; exit 77; }
done
T=$(mktemp -d "${TMPDIR:-/tmp}/esgx-cli-project.XXXXXX")
export XDG_CONFIG_HOME=$T/config HOME=$T/home ESGX_SDK_DIR=$SRC/sdk
unset ESGX_TIMEOUT
NODE_PID= DEV_PID=
. "$SRC/tests/cli_lib.sh"
cleanup() {
    stop_pids 15 $DEV_PID $NODE_PID
    rm -rf "$T"
}
trap cleanup EXIT
fail() {
    echo "FAIL: $*" >&2
    for f in out err dev.out dev.err; do [ -f "$T/$f" ] && { echo "--- $f:" >&2; tail -c 3000 "$T/$f" >&2; echo >&2; }; done
    [ -f "$T/node.log" ] && { echo "--- node.log:" >&2; tail -30 "$T/node.log" >&2; }
    exit 1
}
ok() { echo "ok - $*"; }
run() {   # run WANT ARGS...: esgx in the current folder
    local want=$1; shift
    timeout 600 "$ESGX" "$@" >"$T/out" 2>"$T/err" </dev/null
    local rc=$?
    [ "$rc" = "$want" ] || fail "esgx $* exited $rc, expected $want"
}
has() { grep -qF -- "$2" "$T/$1" || fail "$1 lacks '$2'"; }
hash_of() { sed -n 's/^hash \([0-9a-f]\{64\}\)$/\1/p' "$T/out"; }
stored() { grep -c "stored content" "$T/node.log"; }

esgxd_start "$T/node" --init
for _ in $(seq 1 300); do   # the key is made: /attestation names it
    curl -sf "$URL/attestation" | grep -q public_key && break
    sleep 0.1
done
run 0 login --insecure-skip-attest --node "$URL" --token "$(cat "$T/node/admin.token")"

# ---- C: new, build, deploy, redeploy
cd "$T" || fail "cd"
run 0 new cfn --lang c
has out "created $T/cfn (c)"
grep -qx 'name = "cfn"' cfn/esgx.toml || fail "esgx.toml has no name"
grep -q '^encrypt = true' cfn/esgx.toml || fail "esgx.toml does not encrypt by default"
run 2 new cfn --lang cobol
run 1 new cfn --lang c
has err "exists already"
cd cfn || fail "cd cfn"
run 0 build
has out "built $T/cfn/build/cfn.wasm"
before=$(stored)
run 0 deploy --no-progress
H1=$(hash_of)
[ -n "$H1" ] || fail "deploy printed no hash"
has out "deployed cfn"
has out "encrypted to the network key"
[ "$(stored)" = $((before + 1)) ] || fail "the first deploy stored no content"
[ "$(curl -sS -X POST "$URL/functions/cfn" --data x)" != "" ] || fail "no answer"
curl -sS -X POST "$URL/functions/cfn" --data x | grep -q "Hello from cfn!" || fail "cfn output"
ok "c: new, build, deploy (encrypted), invoke"
run 0 deploy --no-progress
[ "$(hash_of)" = "$H1" ] || fail "a redeploy of unchanged code changed the hash"
has out "nothing uploaded"
[ "$(stored)" = $((before + 1)) ] || fail "a redeploy of unchanged code uploaded again"
grep -q "^hash = $H1\$" .esgx/deployed || fail ".esgx/deployed lacks the hash"
sleep 0.01
sed -i 's/Hello from/Changed from/' src/main.c
run 0 deploy --no-progress
H2=$(hash_of)
[ -n "$H2" ] && [ "$H2" != "$H1" ] || fail "a changed source kept the hash"
[ "$(stored)" = $((before + 2)) ] || fail "a changed source was not uploaded"
curl -sS -X POST "$URL/functions/cfn" --data x | grep -q "Changed from cfn!" || fail "new output not served"
ok "c: unchanged redeploy keeps the hash and uploads nothing; a change rebuilds, new hash"

# ---- refused modules: unknown import, truncated
cd "$T" || fail "cd"
run 0 new bad --lang c
cat >bad/src/main.c <<'CEOF'
#include "esgx_fn0.h"
__attribute__((import_module("fn0"), import_name("no_such_call"))) void no_such_call(void);
ESGX_MAIN { no_such_call(); return 0; }
CEOF
cd bad || fail "cd bad"
before=$(stored)
run 1 deploy --no-progress
has err "bad.wasm: a node cannot run it"
has err "no_such_call"
has err "nothing uploaded"
run 1 functions deploy --name bad --path build/bad.wasm --no-progress
has err "no_such_call"
head -c 200 "$T/cfn/build/cfn.wasm" >"$T/trunc.wasm"
run 1 functions deploy --name trunc --path "$T/trunc.wasm" --no-progress
has err "$T/trunc.wasm: not a valid module"
has err "offset"
has err "nothing uploaded"
printf 'not wasm' >"$T/junk.wasm"
run 1 functions deploy --name junk --path "$T/junk.wasm" --no-encrypt
has err "is not a WebAssembly module"
[ "$(stored)" = "$before" ] || fail "a refused module was uploaded"
ok "unknown import, truncated and non-wasm files refused before any upload"

# ---- Rust and AssemblyScript when their toolchains are there
cd "$T" || fail "cd"
if [ -x /usr/bin/cargo ] && ls /usr/lib/rustlib/wasm32-unknown-unknown >/dev/null 2>&1; then
    run 0 new rfn --lang rust
    cd rfn || fail "cd rfn"
    PATH=/usr/bin:$PATH run 0 deploy --no-progress
    curl -sS -X POST "$URL/functions/rfn" --data x | grep -q "Hello from rfn!" || fail "rust output"
    ok "rust: new + deploy (cargo, SDK by path)"
    cd "$T" || fail "cd"
else
    echo "skip: rust (Debian's cargo with the wasm32 target not installed)"
fi
if command -v node >/dev/null && [ -d "$SRC/sdk/assemblyscript/node_modules/assemblyscript" ]; then
    run 0 new asfn --lang assemblyscript
    cd asfn || fail "cd asfn"
    run 0 deploy --no-progress
    curl -sS -X POST "$URL/functions/asfn" --data x | grep -q "Hello from asfn!" || fail "assemblyscript output"
    ok "assemblyscript: new + deploy (asc of the SDK)"
    cd "$T" || fail "cd"
else
    echo "skip: assemblyscript (node or sdk/assemblyscript/node_modules missing)"
fi

# ---- esgx dev
cd "$T/cfn" || fail "cd cfn"
"$ESGX" dev >"$T/dev.out" 2>"$T/dev.err" </dev/null &
DEV_PID=$!
DURL=
for _ in $(seq 1 300); do
    grep -q "^call it: curl" "$T/dev.out" && break
    kill -0 $DEV_PID 2>/dev/null || fail "esgx dev exited"
    sleep 0.1
done
DURL=$(sed -n 's/^esgx dev: node \(http:[^ ]*\).*/\1/p' "$T/dev.out")
[ -n "$DURL" ] || fail "esgx dev printed no node URL"
[ "$DURL" != "$URL" ] || fail "esgx dev used the logged-in node"
curl -sS -X POST "$DURL/functions/cfn" --data x | grep -q "Changed from cfn!" || fail "dev: first output"
sleep 0.01
sed -i 's/Changed from/Live from/' src/main.c
got=
for _ in $(seq 1 100); do
    got=$(curl -sS -X POST "$DURL/functions/cfn" --data x)
    echo "$got" | grep -q "Live from cfn!" && break
    sleep 0.1
done
echo "$got" | grep -q "Live from cfn!" || fail "dev: the edit was not served within 10 s"
sleep 1.5
grep -q "\[guest .* debug\] cfn: running" "$T/dev.err" || fail "dev: no guest debug line"
grep -q "^invocation: cfn HTTP 200" "$T/dev.out" || fail "dev: no invocation line"
grep -q "a source changed: rebuilding" "$T/dev.err" || fail "dev: no rebuild message"
kill -INT $DEV_PID
for _ in $(seq 1 150); do kill -0 $DEV_PID 2>/dev/null || break; sleep 0.1; done
kill -0 $DEV_PID 2>/dev/null && fail "esgx dev did not stop on SIGINT"
wait $DEV_PID
[ $? = 0 ] || fail "esgx dev exited non-zero after SIGINT"
DEV_PID=
curl -s -m 2 "$DURL/attestation" >/dev/null && fail "the dev node still answers after esgx dev stopped"
ok "dev: edit served within seconds, guest debug and invocation lines, SIGINT stops the node"
echo "cli_project: all passed"
