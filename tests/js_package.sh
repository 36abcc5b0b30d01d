#!/bin/bash
# js_package.sh: sdk/js as an npm package, the way a user gets it:
#   - `npm pack sdk/js`, then `npm install --offline TARBALL` into an empty app (its
#     dependencies come from npm's cache, which scripts/setup.sh fills; skipped when they
#     are not there); the package holds the modules, their .d.mts types and the README;
#   - the app imports it by name through "exports" (esgx-client, esgx-client/names,
#     esgx-client/seal; a path outside "exports" is refused), outputTree of the empty
#     output is BLAKE3("") (the known vector);
#   - a real esgxd on 127.0.0.1 answers `esgx invoke hello --save`; the installed package
#     verifies that answer against the network key and refuses it with a flipped byte.
set -u
SRC=${ESGX_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${ESGX_BUILD_DIR:-$SRC/build}
ESGX=$BUILD/esgx
for b in esgx esgxd esgx-enclave examples/hello.wasm; do
    [ -e "$BUILD/$b" ] || { echo "skip: $BUILD/$b not built" >&2; exit 77; }
done
for c in node npm curl; do
    command -v "$c" >/dev/null || { echo "skip: $c not installed" >&2; exit 77; }
done
T=$(mktemp -d "${TMPDIR:-/tmp}/esgx-jspkg.XXXXXX")
export XDG_CONFIG_HOME=$T/config
NODE_PID=
. "$SRC/tests/cli_lib.sh"
cleanup() { stop_pids 15 $NODE_PID; rm -rf "$T"; }
trap cleanup EXIT
fail() {
    echo "FAIL: $*" >&2
    for f in out err npm.log; do [ -f "$T/$f" ] && { echo "--- $f:" >&2; tail -c 3000 "$T/$f" >&2; }; done
    exit 1
}
ok() { echo "ok - $*"; }

(cd "$T" && timeout 120 npm pack --silent "$SRC/sdk/js") >"$T/out" 2>"$T/err" || fail "npm pack"
TGZ=$T/$(tail -1 "$T/out")
[ -f "$TGZ" ] || fail "npm pack made no tarball"
files=$(tar tzf "$TGZ")
for f in client.mjs client.d.mts names.mjs names.d.mts seal.mjs seal.d.mts README.md package.json; do
    echo "$files" | grep -qx "package/$f" || fail "the package lacks $f"
done
mkdir "$T/app"
printf '{ "name": "app", "private": true, "type": "module" }\n' >"$T/app/package.json"
# Offline, the dependencies come from npm's cache or, when it lacks them, from the
# @noble packages scripts/setup.sh installed for tests/js, packed and given beside it.
if ! (cd "$T/app" && timeout 300 npm install --offline --no-audit --no-fund "$TGZ") >"$T/npm.log" 2>&1; then
    grep -q "ENOTCACHED" "$T/npm.log" || fail "npm install --offline of the tarball"
    deps=()
    for p in hashes curves ciphers; do
        d=$SRC/tests/js/node_modules/@noble/$p
        [ -d "$d" ] || { echo "skip: @noble/$p neither in npm's cache nor in tests/js (run scripts/setup.sh)"; exit 77; }
        deps+=("$T/$(cd "$T" && npm pack --silent "$d" | tail -1)")
    done
    (cd "$T/app" && timeout 300 npm install --offline --no-audit --no-fund "$TGZ" "${deps[@]}") \
        >"$T/npm.log" 2>&1 || fail "npm install --offline of the tarball and its dependencies"
fi
[ -f "$T/app/node_modules/esgx-client/client.d.mts" ] || fail "the installed package has no types"
ok "npm pack + npm install --offline: modules, types and README"

cat >"$T/app/known.mjs" <<'JS'
import { outputTree, DEFAULT_FUEL_LIMIT, verifyAnswer } from 'esgx-client';
import { recordBinding } from 'esgx-client/names';
import { SEAL_REQUEST_OVERHEAD } from 'esgx-client/seal';
const hex = (b) => Buffer.from(b).toString('hex');
const t = outputTree(new Uint8Array());
if (t.length !== 1 || hex(t[0]) !== 'af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262')
  throw new Error('outputTree of the empty output is not BLAKE3("")');
if (DEFAULT_FUEL_LIMIT !== 1000000000n || recordBinding({}).length !== 0 || SEAL_REQUEST_OVERHEAD !== 62)
  throw new Error('unexpected constants');
if (typeof verifyAnswer !== 'function') throw new Error('no verifyAnswer');
let refused = false;
try { await import('esgx-client/client.mjs'); } catch (e) { refused = e.code === 'ERR_PACKAGE_PATH_NOT_EXPORTED'; }
if (!refused) throw new Error('a path outside "exports" was importable');
console.log('known: ok');
JS
(cd "$T/app" && node known.mjs) >"$T/out" 2>"$T/err" || fail "known.mjs"
ok "imports by name through exports; outputTree('') = BLAKE3('')"

esgxd_start "$T/node" --init
for _ in $(seq 1 300); do
    curl -sf "$URL/attestation" | grep -q public_key && break
    sleep 0.1
done
run 0 login --insecure-skip-attest --node "$URL" --token-file "$T/node/admin.token"
NETKEY=$(sed -n 's/^network_key = //p' "$XDG_CONFIG_HOME/esgx/config")
run 0 functions deploy --name hello --path "$BUILD/examples/hello.wasm" --no-progress
run 0 invoke hello --input foo --save "$T/ans" --save-request "$T/req"
cat >"$T/app/verify.mjs" <<'JS'
import { verifyAnswer } from 'esgx-client';
import { readFileSync } from 'node:fs';
const [ans, req, key] = process.argv.slice(2);
const body = new Uint8Array(readFileSync(ans));
const request = JSON.parse(readFileSync(req, 'utf8'));
const { output } = verifyAnswer(body, request, key);
if (!new TextDecoder().decode(output).includes('Hello')) throw new Error('unexpected output');
body[body.length - 1] ^= 1;
let msg = '';
try { verifyAnswer(body, request, key); } catch (e) { msg = e.message; }
if (!msg.startsWith('output hash mismatch')) throw new Error(`a flipped byte was not refused: '${msg}'`);
console.log('verify: ok');
JS
(cd "$T/app" && node verify.mjs "$T/ans" "$T/req" "$NETKEY") >"$T/out" 2>"$T/err" || fail "verify.mjs"
grep -q "verify: ok" "$T/out" || fail "verify.mjs printed no ok"
ok "the installed package verifies a real node's answer and refuses a flipped byte"
