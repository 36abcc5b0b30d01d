#!/bin/bash
# cli_js.sh: the JavaScript client of sdk/js against a real esgxd, with the modules
# deployed by the esgx CLI (names signed with the CLI's developer key, whose public key
# the JS side must find as the owner). client.mjs and names.mjs are copied into a
# temporary folder beside a link to
# tests/js/node_modules (@noble/curves, @noble/hashes), as a user's project would have it.
set -u
SRC=${ESGX_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${ESGX_BUILD_DIR:-$SRC/build}
for b in esgx esgxd esgx-enclave examples/hello.wasm examples/echo.wasm; do
    [ -e "$BUILD/$b" ] || { echo "skip: $BUILD/$b not built" >&2; exit 77; }
done
command -v node >/dev/null || { echo "skip: node not installed" >&2; exit 77; }
[ -d "$SRC/tests/js/node_modules/@noble/curves" ] || { echo "skip: tests/js/node_modules missing" >&2; exit 77; }
T=$(mktemp -d "${TMPDIR:-/tmp}/esgx-cli-js.XXXXXX")
export XDG_CONFIG_HOME=$T/config HOME=$T/home
NODE_PID=
cleanup() {
    if [ -n "$NODE_PID" ]; then
        kill -TERM "$NODE_PID" 2>/dev/null
        for _ in $(seq 1 100); do kill -0 "$NODE_PID" 2>/dev/null || break; sleep 0.1; done
    fi
    rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; tail -20 "$T/node.log" >&2; exit 1; }

. "$SRC/tests/cli_lib.sh"
esgxd_start "$T/node" --init
E=$BUILD/esgx
$E login --insecure-skip-attest --node "$URL" --token "$(cat "$T/node/admin.token")" >/dev/null || fail "login"
NETKEY=$(sed -n 's/^network_key = //p' "$XDG_CONFIG_HOME/esgx/config")
HELLO=$($E functions deploy --name hello --path "$BUILD/examples/hello.wasm" | sed -n 's/^hash //p')
ECHO=$($E functions deploy --name echo --no-encrypt --path "$BUILD/examples/echo.wasm" | sed -n 's/^hash //p')
[ -n "$HELLO" ] && [ -n "$ECHO" ] || fail "deploy"
$E invoke hello --input foo --save "$T/esgx.ans" --save-request "$T/esgx.req" >/dev/null || fail "esgx invoke"

mkdir "$T/app"
cp "$SRC/sdk/js/client.mjs" "$SRC/sdk/js/seal.mjs" "$SRC/sdk/js/names.mjs" "$T/app/"
ln -s "$SRC/tests/js/node_modules" "$T/app/node_modules"
OWNER=$($E keys show) || fail "esgx keys show"
node "$SRC/tests/js/cli_client.mjs" "$T/app/client.mjs" "$URL" "$NETKEY" "$HELLO" "$ECHO" \
    "$T/esgx.ans" "$T/esgx.req" "$T" "$OWNER" || fail "cli_client.mjs"
# and the other way round: the C verifier accepts what the JS client received
$E verify --request "$T/js.req" --response "$T/js.ans" || fail "esgx verify of the JS client's answer"
$E verify --request "$T/js-name.req" --response "$T/js-name.ans" ||
    fail "esgx verify of the JS client's answer by name"
echo "ok - esgx verify accepts the answer the JS client verified"
