# sdk_lib.sh: shared by the guest SDK tests (sdk_rust.sh, sdk_c.sh, sdk_as.sh), sourced
# after SDK_NAME is set. Runs guests with the real host functions through `esgx run`
# under a fixed development seed, and checks their answers:
#   sdk_run ARGS...           esgx run with a time limit; sets $out, $err, $rc
#   expect NAME RC OUT [ERR]  OUT '*' = any; ERR = a substring of stderr
#   sdk_check_guests DIR      the checks every SDK's examples must pass (hello, echo,
#                             json, unseal, unseal_derived, signer), DIR holding NAME.wasm
#   sdk_summary               prints "N passed, N failed" and exits accordingly
set -uo pipefail
src=${ESGX_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
bld=${ESGX_BUILD_DIR:-$src/build}
esgx=$bld/esgx
[ -x "$esgx" ] || { echo "$SDK_NAME: $esgx not built" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export XDG_CONFIG_HOME=$tmp/cfg          # the development key file goes here, not in ~
seed=$(printf '5d%.0s' $(seq 32))
xpub=$("$esgx" run --show-dev-key --dev-seed "$seed")
passed=0 failed=0

sdk_run() {
  timeout 60 "$esgx" run --dev-seed "$seed" "$@" >"$tmp/out" 2>"$tmp/err"
  rc=$?
  out=$(cat "$tmp/out")
  err=$(cat "$tmp/err")
}
# sdk_hash FILE: the module hash a node (and esgx run) gives FILE
sdk_hash() { "$esgx" hash "$1" | cut -d' ' -f1; }
ok() { passed=$((passed + 1)); }
bad() {
  failed=$((failed + 1)); echo "FAIL: $1 (rc=$rc)"
  echo "  stdout: ${out:0:300}"; echo "  stderr: ${err:0:300}"
}
expect() {
  local name=$1 want_rc=$2 want_out=$3 want_err=${4:-}
  if [ "$rc" != "$want_rc" ]; then bad "$name: exit $rc, want $want_rc"; return; fi
  if [ "$want_out" != "*" ] && [ "$out" != "$want_out" ]; then bad "$name: stdout '$out', want '$want_out'"; return; fi
  if [ -n "$want_err" ] && [[ "$err" != *"$want_err"* ]]; then bad "$name: stderr lacks '$want_err'"; return; fi
  ok
}

sdk_check_guests() {
  local d=$1 h
  sdk_run "$d/hello.wasm"
  expect "$SDK_NAME hello" 0 'Hello, world! From, SGX WASM <3'

  # echo: byte-exact round trips (NUL, 0xff, newlines; empty; 300 KiB of random bytes)
  printf 'a\0b\377\n\r\n\0' >"$tmp/bin.in"
  head -c 300000 /dev/urandom >"$tmp/big.in"
  : >"$tmp/empty.in"
  for f in bin.in big.in empty.in; do
    timeout 60 "$esgx" run "$d/echo.wasm" --input-file "$tmp/$f" >"$tmp/echo.out" 2>"$tmp/err"
    rc=$? out="" err=$(cat "$tmp/err")
    [ "$rc" = 0 ] && cmp -s "$tmp/$f" "$tmp/echo.out" && ok || bad "$SDK_NAME echo $f is not byte-exact"
  done

  sdk_run "$d/json.wasm" --input '{"name": "Zo\u00eb \"Z\"", "count": 41}'
  expect "$SDK_NAME json" 0 '{"greeting":"Hello, Zoë \"Z\"!","count":42,"name_bytes":8}'
  sdk_run "$d/json.wasm" --input '{"name": 7}'
  expect "$SDK_NAME json: wrong type" 0 '{"error":"\"name\" must be a string"}'
  sdk_run "$d/json.wasm" --input '{"name": "x", "count": 1.5}'
  expect "$SDK_NAME json: fractional count" 0 '{"error":"\"count\" must be an integer"}'
  sdk_run "$d/json.wasm" --input '{"name": "x"'
  expect "$SDK_NAME json: truncated" 0 '*'
  [[ "$out" == '{"error":'* ]] && ok || bad "$SDK_NAME json: truncated input gets an error object"

  # unseal: data sealed to the development key for this module (and for another one)
  h=$(sdk_hash "$d/unseal.wasm")
  printf 'secret \0 data' >"$tmp/plain"
  "$esgx" encrypt shared --pubkey "$xpub" "$tmp/plain" "$h" -o "$tmp/plain.ct" >/dev/null 2>&1 ||
    { bad "esgx encrypt shared"; return; }
  timeout 60 "$esgx" run --dev-seed "$seed" "$d/unseal.wasm" --input-file "$tmp/plain.ct" >"$tmp/u.out" 2>"$tmp/err"
  rc=$? out="" err=$(cat "$tmp/err")
  [ "$rc" = 0 ] && cmp -s "$tmp/plain" "$tmp/u.out" && ok || bad "$SDK_NAME shared unseal"
  sdk_run "$d/unseal.wasm" --input-file "$tmp/plain.ct" --module-hash "$(printf '%064d' 1)"
  expect "$SDK_NAME shared unseal: not approved" 0 '*'
  [[ "$out" == "error:"*"-6"* ]] && ok || bad "$SDK_NAME shared unseal: not approved reports -6"

  h=$(sdk_hash "$d/unseal_derived.wasm")
  "$esgx" encrypt wasm --pubkey "$xpub" --path ab12 "$h" "$tmp/plain" -o "$tmp/d.ct" >/dev/null 2>&1 ||
    { bad "esgx encrypt wasm"; return; }
  timeout 60 "$esgx" run --dev-seed "$seed" "$d/unseal_derived.wasm" --input-file "$tmp/d.ct" >"$tmp/u.out" 2>"$tmp/err"
  rc=$? out="" err=$(cat "$tmp/err")
  [ "$rc" = 0 ] && cmp -s "$tmp/plain" "$tmp/u.out" && ok || bad "$SDK_NAME derived unseal (path ab12)"
  "$esgx" encrypt wasm --pubkey "$xpub" --path ab13 "$h" "$tmp/plain" -o "$tmp/d2.ct" >/dev/null 2>&1
  sdk_run "$d/unseal_derived.wasm" --input-file "$tmp/d2.ct"
  expect "$SDK_NAME derived unseal: other path" 0 '*'
  [[ "$out" == "error:"*"-7"* ]] && ok || bad "$SDK_NAME derived unseal of another path's data reports -7"

  # signer: the key and signature checked by @scure/bip32 + @noble/curves from the xpub
  h=$(sdk_hash "$d/signer.wasm")
  printf 'sign me \0 please' >"$tmp/msg"
  timeout 60 "$esgx" run --dev-seed "$seed" "$d/signer.wasm" --input-file "$tmp/msg" >"$tmp/sig.json" 2>"$tmp/err"
  rc=$? out=$(cat "$tmp/sig.json") err=$(cat "$tmp/err")
  [ "$rc" = 0 ] || { bad "$SDK_NAME signer ran"; return; }
  if command -v node >/dev/null && [ -d "$src/tests/js/node_modules/@scure/bip32" ]; then
    node "$src/tests/js/sdk_verify.mjs" "$xpub" "$h" "" "$tmp/msg" "$tmp/sig.json" >"$tmp/v" 2>&1 &&
      ok || { err=$(cat "$tmp/v"); bad "$SDK_NAME signer: independent verification"; }
  else
    echo "$SDK_NAME: node or tests/js/node_modules missing; signature not verified" >&2
  fi
}

sdk_summary() {
  echo "$SDK_NAME: $passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}
