#!/usr/bin/env bash
# sdk_rust.sh: the Rust SDK (sdk/rust): host-side unit tests of its pure helpers, then
# every example built with Debian's rustc/cargo for wasm32-unknown-unknown and run with
# the real host functions through `esgx run`, then on a node (tests/sdk_lib.sh); plus the exported entry
# (main: (i32, i32) -> i32), the debug log of esgx::println! and the panic hook.
SDK_NAME=sdk_rust
. "$(dirname "$0")/sdk_lib.sh"
# Debian's toolchain (1.63) first: a rustup toolchain elsewhere on PATH must not be used
export PATH=/usr/bin:$PATH
command -v cargo >/dev/null && command -v rustc >/dev/null ||
  { echo "sdk_rust: cargo/rustc not installed (apt-get install rustc cargo libstd-rust-dev-wasm32); skipping" >&2; exit 77; }
[ -d "$(rustc --print sysroot)/lib/rustlib/wasm32-unknown-unknown" ] ||
  { echo "sdk_rust: no wasm32-unknown-unknown std (libstd-rust-dev-wasm32); skipping" >&2; exit 77; }
export CARGO_TARGET_DIR=$bld/sdk-rust-target CARGO_HOME=$bld/sdk-rust-cargo-home
cd "$src/sdk/rust" || exit 1

timeout 600 cargo test --offline --quiet >"$tmp/unit" 2>&1 && ok ||
  { rc=$? out=$(tail -20 "$tmp/unit") err=""; bad "cargo test (host unit tests)"; }
timeout 600 cargo build --offline --release --target wasm32-unknown-unknown --examples >"$tmp/build" 2>&1
rc=$?
if [ "$rc" != 0 ] || grep -q '^warning' "$tmp/build"; then
  out=$(tail -30 "$tmp/build") err=""; bad "cargo build of the examples (errors or warnings)"; sdk_summary; exit 1
fi
ok
ex=$CARGO_TARGET_DIR/wasm32-unknown-unknown/release/examples

if command -v wasm-objdump >/dev/null; then
  wasm-objdump -x "$ex/hello.wasm" >"$tmp/dump"
  t=$(sed -n 's/.*func\[\([0-9]*\)\] <main> -> "main"/\1/p' "$tmp/dump")
  sig=$(sed -n "s/^ - func\[$t\] sig=\([0-9]*\).*/\1/p" "$tmp/dump")
  grep -q "type\[$sig\] (i32, i32) -> i32" "$tmp/dump" && ok ||
    { rc=0 out="" err=""; bad "hello.wasm exports main of type (i32, i32) -> i32"; }
fi

sdk_check_guests "$ex"

sdk_run "$ex/hello.wasm"
expect "println! goes to the debug log" 0 '*' "hello: running"
sdk_run "$ex/panic.wasm" --input xyz --json
expect "panic: trap" 1 '*' "panicked at 'refusing \"xyz\"'"
[[ "$out" == *'"trap": "unreachable"'* && "$out" == *'"output": "panicked at '"'"'refusing \"xyz\"'"'"', examples/panic.rs:'* ]] &&
  ok || bad "panic hook: the output is the panic message alone"

# the same examples deployed to a real node and invoked there (verified answers, the
# unseal/signer checks against the node's network xpub)
sdk_node_start
sdk_check_guests "$ex"
sdk_summary
