#!/usr/bin/env bash
# console_quote.sh: the console's in-browser quote verifier (console/src/attest.mjs and
# @phala/dcap-qvl, bundled with the console's shims) on a real Intel SGX DCAP quote:
# tests/console_quote.mjs says what is checked. Skips (77) without node, the console's
# npm packages, or the test vectors (ESGX_SHARED_DIR/vectors/dcap/fleek-sgx).
set -u
src="${ESGX_SOURCE_DIR:?}"
vec="${ESGX_SHARED_DIR:-/nonexistent}/vectors/dcap/fleek-sgx"
command -v node >/dev/null || { echo "skip: node is not installed" >&2; exit 77; }
[ -d "$src/console/node_modules/@phala/dcap-qvl" ] ||
    { echo "skip: console/node_modules missing (scripts/setup.sh)" >&2; exit 77; }
[ -f "$vec/quote.bin" ] || { echo "skip: no DCAP test vectors at $vec" >&2; exit 77; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
node "$src/tests/console_quote.mjs" "$vec" "$tmp"
