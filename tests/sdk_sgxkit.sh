#!/usr/bin/env bash
# sdk_sgxkit.sh: sgxkit source builds against the esgx Rust SDK with the crate renamed
# (tests/sgxkit_compat: `sgxkit = { package = "esgx", ... }`, nothing else) and behaves
# as sgxkit says, on a real node: the io API and println!, a Result-returning main whose
# Err becomes the panic output "Error: ...", sign_eth / sign(digest) checked with
# independent libraries (tests/js/eth_verify.mjs: Keccak-256, recovery to the derived
# key's Ethereum address), and the ported private_data, private_hash and multisig
# examples (sdk/rust/examples): data sealed to the network key and to the module's derived
# key; private_hash's BLAKE3 (esgx::blake3) equal to b3sum's on inputs across chunk
# boundaries; multisig's approved signers checked through the esgx.secp256k1_* host calls
# (signatures made and the answer's sign_eth signature checked by tests/js/multisig.mjs
# with @noble/curves: it recovers to the derived key's Ethereum address), two of three
# signers enough, an unapproved signer and too few signatures refused.
# ESGX_SGXKIT_DIR=<lightning>/lib/sgxkit also builds sgxkit's own hello.rs and echo.rs
# unchanged and runs them (they are GPL-3.0 and not kept in this tree).
SDK_NAME=sdk_sgxkit
. "$(dirname "$0")/sdk_lib.sh"
export PATH=/usr/bin:$PATH      # Debian's toolchain (1.63), as sdk_rust.sh
command -v cargo >/dev/null && command -v rustc >/dev/null ||
  { echo "sdk_sgxkit: cargo/rustc not installed; skipping" >&2; exit 77; }
[ -d "$(rustc --print sysroot)/lib/rustlib/wasm32-unknown-unknown" ] ||
  { echo "sdk_sgxkit: no wasm32-unknown-unknown std (libstd-rust-dev-wasm32); skipping" >&2; exit 77; }
export CARGO_HOME=$bld/sdk-rust-cargo-home
build() {   # build DIR TARGET_DIR: every example of the crate in DIR, no warnings allowed
  (cd "$1" && CARGO_TARGET_DIR=$2 timeout 600 cargo build --offline --release \
     --target wasm32-unknown-unknown --examples) >"$tmp/build" 2>&1
  rc=$?
  if [ "$rc" != 0 ] || grep -q '^warning' "$tmp/build"; then
    out=$(tail -30 "$tmp/build") err=""; bad "cargo build in $1 (errors or warnings)"; sdk_summary; exit 1
  fi
  ok
}
build "$src/tests/sgxkit_compat" "$bld/sgxkit-compat-target"
cx=$bld/sgxkit-compat-target/wasm32-unknown-unknown/release/examples
build "$src/sdk/rust" "$bld/sgxkit-sdk-target"
ex=$bld/sgxkit-sdk-target/wasm32-unknown-unknown/release/examples
if [ -n "${ESGX_SGXKIT_DIR:-}" ]; then
  mkdir -p "$tmp/verbatim/examples"
  sed "s#path = \"../../sdk/rust\"#path = \"$src/sdk/rust\"#" "$src/tests/sgxkit_compat/Cargo.toml" \
    >"$tmp/verbatim/Cargo.toml"
  cp "$ESGX_SGXKIT_DIR/examples/hello.rs" "$ESGX_SGXKIT_DIR/examples/echo.rs" "$tmp/verbatim/examples/"
  build "$tmp/verbatim" "$bld/sgxkit-compat-target"
fi

# locally: the Result main and the panic hook (the answer a trap leaves is visible here)
sdk_run "$cx/fails.wasm" --input ok
expect "Result main: Ok" 0 fine
sdk_run "$cx/fails.wasm" --input no --json
expect "Result main: Err traps" 1 '*'
[[ "$out" == *'"trap": "unreachable"'* &&
   "$out" == *'"output": "panicked at '"'"'Error: Current wasm is not approved to access global content'"'"', examples/fails.rs:'* ]] &&
  ok || bad "Result main: Err becomes the panic output 'Error: <HostError message>'"
sdk_run "$cx/greet.wasm" --input 'wörld'
expect "greet: io, lock, println!" 0 'Hello, wörld!' "greet: 6 bytes"

check_all() {
  local h
  sdk_run "$cx/greet.wasm" --input 'wörld'
  expect "greet" 0 'Hello, wörld!'
  if [ -n "${ESGX_SGXKIT_DIR:-}" ]; then
    sdk_run "$cx/hello.wasm"
    expect "sgxkit's hello" 0 'Hello, world! From, SGX WASM <3'
    sdk_run "$cx/echo.wasm" --input 'echo me'
    expect "sgxkit's echo" 0 'echo me'
  fi

  # sign_eth and sign(digest), recovered by @noble/curves to the derived key's address
  h=$(sdk_hash "$cx/eth_sign.wasm")
  printf 'FOOBAR \0 and more than one Keccak block: %0200d' 7 >"$tmp/msg"
  sdk_call "$tmp/eth.json" "$cx/eth_sign.wasm" --input-file "$tmp/msg"
  out=$(cat "$tmp/eth.json")
  [ "$rc" = 0 ] && [[ "$out" == *'"time_ok":true'* ]] || { bad "eth_sign ran"; return; }
  if command -v node >/dev/null && [ -d "$src/tests/js/node_modules/@noble/hashes" ]; then
    node "$src/tests/js/eth_verify.mjs" "$xpub" "$h" "$tmp/msg" "$tmp/eth.json" >"$tmp/v" 2>&1 &&
      ok || { err=$(cat "$tmp/v"); bad "eth_sign: independent verification"; }
  else
    echo "sdk_sgxkit: node or tests/js/node_modules missing; signatures not verified" >&2
  fi

  # private_data: {"type": "shared"|"wasm", "data": base64 of sealed data}
  h=$(sdk_hash "$ex/private_data.wasm")
  printf 'private \0 data\n' >"$tmp/plain"
  "$esgx" encrypt shared --pubkey "$xpub" "$tmp/plain" "$h" -o "$tmp/s.ct" >/dev/null 2>&1 &&
  "$esgx" encrypt wasm --pubkey "$xpub" "$h" "$tmp/plain" -o "$tmp/w.ct" >/dev/null 2>&1 &&
  "$esgx" encrypt shared --pubkey "$xpub" "$tmp/plain" "$(printf '%064d' 1)" -o "$tmp/o.ct" \
    >/dev/null 2>&1 || { bad "esgx encrypt"; return; }
  for kind in shared:s WASM:w; do
    printf '{"type": "%s", "data": "%s"}' "${kind%:*}" "$(base64 -w0 "$tmp/${kind#*:}.ct")" >"$tmp/req"
    sdk_call "$tmp/p.out" "$ex/private_data.wasm" --input-file "$tmp/req"
    out=""
    [ "$rc" = 0 ] && cmp -s "$tmp/plain" "$tmp/p.out" && ok || bad "private_data ${kind%:*}"
  done

  # private_hash: the same requests; the answer is BLAKE3 of the plaintext, as b3sum says
  h=$(sdk_hash "$ex/private_hash.wasm")
  "$esgx" encrypt shared --pubkey "$xpub" "$tmp/plain" "$h" -o "$tmp/hs.ct" >/dev/null 2>&1 ||
    { bad "esgx encrypt for private_hash"; return; }
  printf '{"type": "Shared", "data": "%s"}' "$(base64 -w0 "$tmp/hs.ct")" >"$tmp/req"
  sdk_run "$ex/private_hash.wasm" --input-file "$tmp/req"
  expect "private_hash shared" 0 "$(b3sum --no-names "$tmp/plain")"
  for n in 1 64 1023 1024 1025 2048 3079 9000 40000; do
    head -c "$n" /dev/urandom >"$tmp/hp"
    "$esgx" encrypt wasm --pubkey "$xpub" "$h" "$tmp/hp" -o "$tmp/hw.ct" >/dev/null 2>&1 ||
      { bad "esgx encrypt wasm ($n bytes)"; continue; }
    printf '{"type": "wasm", "data": "%s"}' "$(base64 -w0 "$tmp/hw.ct")" >"$tmp/req"
    sdk_run "$ex/private_hash.wasm" --input-file "$tmp/req"
    expect "private_hash wasm, $n bytes = b3sum" 0 "$(b3sum --no-names "$tmp/hp")"
  done

  # multisig: Keccak-256(payload) signed by approved keys; the answer's signature is checked
  if ! command -v node >/dev/null || [ ! -d "$src/tests/js/node_modules/@noble/curves" ]; then
    echo "sdk_sgxkit: node or tests/js/node_modules missing; multisig not checked" >&2
    return
  fi
  h=$(sdk_hash "$ex/multisig.wasm")
  printf 'FOOBAR, and then some: %0150d' 3 >"$tmp/payload"
  for signers in "1 2 3" "3 1"; do
    node "$src/tests/js/multisig.mjs" request "$tmp/ms.req" "$tmp/payload" $signers 2>"$tmp/v" ||
      { err=$(cat "$tmp/v"); bad "multisig.mjs request"; return; }
    sdk_call "$tmp/ms.json" "$ex/multisig.wasm" --input-file "$tmp/ms.req"
    out=$(cat "$tmp/ms.json")
    [ "$rc" = 0 ] && [[ "$out" == '{'$'\n''  "account": "0x'* ]] || { bad "multisig ($signers) ran"; continue; }
    node "$src/tests/js/multisig.mjs" check "$xpub" "$h" "$tmp/payload" "$tmp/ms.json" >"$tmp/v" 2>&1 &&
      ok || { err=$(cat "$tmp/v"); bad "multisig ($signers): independent verification"; }
  done
  for case in "1 9:Error: Invalid signer 0x" "2:Error: must have 2 signatures"; do
    node "$src/tests/js/multisig.mjs" request "$tmp/ms.req" "$tmp/payload" ${case%%:*} 2>/dev/null
    if [ -z "$node_url" ]; then   # locally the panic output is visible (--json)
      sdk_run "$ex/multisig.wasm" --input-file "$tmp/ms.req" --json
      [ "$rc" = 1 ] && [[ "$out" == *"${case#*:}"* ]] && ok || bad "multisig refuses signers ${case%%:*}"
    else
      sdk_run "$ex/multisig.wasm" --input-file "$tmp/ms.req"
      [ "$rc" != 0 ] && [[ "$err" == *unreachable* ]] && ok || bad "multisig on the node refuses signers ${case%%:*}"
    fi
  done
}
check_all
# data for another module: refused (UnsealPermissionDenied becomes the panic output)
printf '{"type": "shared", "data": "%s"}' "$(base64 -w0 "$tmp/s.ct")" >"$tmp/req"
sdk_run "$ex/private_data.wasm" --input-file "$tmp/req" --module-hash "$(printf '%064d' 1)" --json
[ "$rc" = 1 ] && [[ "$out" == *"Error: Current wasm is not approved to access global content"* ]] &&
  ok || bad "private_data: data for another module is refused with UnsealPermissionDenied"
sdk_node_start
check_all
# on the node the module runs as itself: data sealed for another one ends in a trap
printf '{"type": "shared", "data": "%s"}' "$(base64 -w0 "$tmp/o.ct")" >"$tmp/req"
sdk_run "$ex/private_data.wasm" --input-file "$tmp/req"
[ "$rc" != 0 ] && [[ "$err" == *unreachable* ]] && ok || bad "private_data on the node: data for another module"
sdk_summary
