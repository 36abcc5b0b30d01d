#!/usr/bin/env bash
# sdk_as.sh: the AssemblyScript SDK (sdk/assemblyscript): every example compiled with asc
# (pinned by its package-lock.json) through build.mjs and run with the real host
# functions through `esgx run`, then on a node (tests/sdk_lib.sh), plus the entry export, the absence of
# env imports, the debug log and the abort handler.
SDK_NAME=sdk_as
. "$(dirname "$0")/sdk_lib.sh"
asdir=$src/sdk/assemblyscript
command -v node >/dev/null || { echo "sdk_as: node not installed; skipping" >&2; exit 77; }
[ -f "$asdir/node_modules/assemblyscript/package.json" ] ||
  { echo "sdk_as: assemblyscript not installed (scripts/setup.sh runs npm ci in sdk/assemblyscript); skipping" >&2; exit 77; }
ex=$tmp/as
timeout 600 node "$asdir/build.mjs" "$ex" >"$tmp/build" 2>&1
rc=$?
if [ "$rc" != 0 ]; then out=$(tail -30 "$tmp/build") err=""; bad "asc build of the examples"; sdk_summary; exit 1; fi
ok

if command -v wasm-objdump >/dev/null; then
  rc=0 out="" err=""
  wasm-objdump -x "$ex/signer.wasm" >"$tmp/dump"
  grep -q ' <main> -> "main"' "$tmp/dump" && ok || bad "signer.wasm exports main"
  imports=$(sed -n 's/.* <- \([a-z0-9_]*\)\..*/\1/p' "$tmp/dump" | sort -u | tr '\n' ' ')
  [ "$imports" = "fn0 " ] && ok || bad "signer.wasm imports only from fn0 (has: $imports)"
fi

sdk_check_guests "$ex"

sdk_run "$ex/hello.wasm"
expect "debugPrint goes to the debug log" 0 '*' "hello: running"
sdk_run "$ex/abort.wasm" --input xyz --json
expect "abort: trap" 1 '*' "abort: refusing xyz at examples/abort.ts:"
[[ "$out" == *'"trap": "unreachable"'* && "$out" == *'"output": "abort: refusing xyz at examples/abort.ts:'* ]] &&
  ok || bad "abort handler: the output is the abort message alone"

# the same examples deployed to a real node and invoked there (verified answers, the
# unseal/signer checks against the node's network xpub)
sdk_node_start
sdk_check_guests "$ex"
sdk_summary
