#!/usr/bin/env bash
# sdk_c.sh: the C SDK (sdk/esgx_fn0.h + sdk/c/esgx_sdk.h): every example of sdk/c/examples
# (and sdk/examples/hello.c) built with the documented command (clang-19, freestanding,
# -mbulk-memory) and run with the real host functions through `esgx run` and on a node
# (tests/sdk_lib.sh: echo byte-exact, JSON, shared and derived unseal, the signer whose
# in-guest SHA-256 and signature are checked from the xpub); memcpy/memset become
# memory.copy/memory.fill with -mbulk-memory and the byte-loop fallbacks work without it.
SDK_NAME=sdk_c
. "$(dirname "$0")/sdk_lib.sh"
command -v clang-19 >/dev/null ||
  { echo "sdk_c: clang-19 not installed; skipping" >&2; exit 77; }
out_dir=$tmp/c
mkdir -p "$out_dir" "$tmp/c-nobulk"
build() {   # build SRC OUT [EXTRA FLAGS...]
  local s=$1 o=$2; shift 2
  timeout 120 clang-19 --target=wasm32 -O2 -ffreestanding -nostdlib -Wall -Wextra -Werror \
    -Wl,--no-entry -Wl,--strip-all -I "$src/sdk" -I "$src/sdk/c" "$@" -o "$o" "$s" 2>"$tmp/cc.err"
}
for ex in echo json unseal unseal_derived signer; do
  if build "$src/sdk/c/examples/$ex.c" "$out_dir/$ex.wasm" -mbulk-memory; then ok; else
    rc=1 out="" err=$(cat "$tmp/cc.err"); bad "build $ex.c"; fi
done
build "$src/sdk/examples/hello.c" "$out_dir/hello.wasm" -mbulk-memory && ok ||
  { rc=1 out="" err=$(cat "$tmp/cc.err"); bad "build hello.c"; }

sdk_check_guests "$out_dir"

# -mbulk-memory: json.c's memcpy calls are memory.copy; without it, the byte loops
if command -v wasm-objdump >/dev/null; then
  rc=0 out="" err=""
  wasm-objdump -d "$out_dir/json.wasm" >"$tmp/bulk.dis"
  grep -q 'memory\.copy' "$tmp/bulk.dis" && ok ||
    bad "json.wasm built with -mbulk-memory uses memory.copy"
  for ex in echo json; do
    build "$src/sdk/c/examples/$ex.c" "$tmp/c-nobulk/$ex.wasm" -mno-bulk-memory && ok ||
      { rc=1 err=$(cat "$tmp/cc.err"); bad "build $ex.c without bulk memory"; }
  done
  wasm-objdump -d "$tmp/c-nobulk/json.wasm" >"$tmp/nobulk.dis"
  grep -q 'memory\.size' "$tmp/nobulk.dis" && ! grep -q 'memory\.\(copy\|fill\)' "$tmp/nobulk.dis" && ok ||
    bad "json.wasm built with -mno-bulk-memory has no bulk-memory instructions"
  sdk_run "$tmp/c-nobulk/json.wasm" --input '{"name": "byte loops", "count": -5}'
  expect "json without bulk memory" 0 '{"greeting":"Hello, byte loops!","count":-4,"name_bytes":10}'
fi
# the input helper and allocator across pages: 3 MiB through echo
head -c 3000000 /dev/urandom >"$tmp/huge.in"
timeout 60 "$esgx" run "$out_dir/echo.wasm" --input-file "$tmp/huge.in" >"$tmp/huge.out" 2>"$tmp/err"
rc=$? out="" err=$(cat "$tmp/err")
[ "$rc" = 0 ] && cmp -s "$tmp/huge.in" "$tmp/huge.out" && ok || bad "echo of 3 MB (esgx_alloc grows memory)"

# the same examples deployed to a real node and invoked there (verified answers, the
# unseal/signer checks against the node's network xpub)
sdk_node_start
sdk_check_guests "$out_dir"
sdk_summary
