# sdk_lib.sh: shared by the guest SDK tests (sdk_rust.sh, sdk_c.sh, sdk_as.sh), sourced
# after SDK_NAME is set. Runs guests with the real host functions through `esgx run`
# under a fixed development seed, and checks their answers; after sdk_node_start, the
# same checks run on a real node instead (deploy + verified `esgx invoke`):
#   sdk_run MODULE ARGS...    runs MODULE (esgx run, or deploy once + esgx invoke on the
#                             node) with a time limit; sets $out, $err, $rc
#   sdk_call FILE MODULE ARGS...  the same with stdout written to FILE (byte-exact)
#   sdk_node_start            starts esgxd (--init) on 127.0.0.1, logs the CLI in, sets
#                             $xpub to the node's network xpub; stopped at exit
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
node_pid="" node_url=""
declare -A sdk_deployed=()               # module path -> function name on the node
sdk_cleanup() {              # esgxd stops its enclave on SIGTERM; wait for both to go
  [ -z "$node_pid" ] || { kill -TERM "$node_pid" 2>/dev/null; wait "$node_pid" 2>/dev/null; }
  rm -rf "$tmp"
}
trap sdk_cleanup EXIT
export XDG_CONFIG_HOME=$tmp/cfg          # the development key file goes here, not in ~
seed=$(printf '5d%.0s' $(seq 32))
xpub=$("$esgx" run --show-dev-key --dev-seed "$seed")
passed=0 failed=0

# sdk_call FILE MODULE ARGS...: locally `esgx run --dev-seed`; in node mode the module is
# deployed unencrypted once (named after its file) and called with `esgx invoke`, which
# checks the signed answer against the network key pinned at login
sdk_call() {
  local f=$1 m=$2; shift 2
  if [ -z "$node_url" ]; then
    timeout 60 "$esgx" run --dev-seed "$seed" "$m" "$@" >"$f" 2>"$tmp/err"
    rc=$?
  else
    if [ -z "${sdk_deployed[$m]:-}" ]; then
      local name
      name=$(basename "$m" .wasm)
      timeout 60 "$esgx" functions deploy --name "$name" --path "$m" --no-encrypt \
        --no-progress >"$f" 2>"$tmp/err"
      rc=$?
      [ "$rc" = 0 ] || { err="deploy of $m failed: $(cat "$tmp/err")"; : >"$f"; return; }
      sdk_deployed[$m]=$name
    fi
    timeout 60 "$esgx" invoke "${sdk_deployed[$m]}" "$@" >"$f" 2>"$tmp/err" </dev/null
    rc=$?
  fi
  err=$(cat "$tmp/err")
}
sdk_run() {
  sdk_call "$tmp/out" "$@"
  out=$(cat "$tmp/out")
}
# sdk_node_start: a fresh esgxd with its own network key; the checks after it run there
sdk_node_start() {
  local port="" att=""
  "$bld/esgxd" --data-dir "$tmp/node" --listen 127.0.0.1:0 --init 2>"$tmp/node.log" &
  node_pid=$!
  for _ in $(seq 1 300); do
    port=$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$tmp/node.log" | head -1 | sed 's/.*://')
    [ -n "$port" ] && break
    kill -0 "$node_pid" 2>/dev/null || break
    sleep 0.1
  done
  [ -n "$port" ] || { tail -20 "$tmp/node.log" >&2; echo "$SDK_NAME: esgxd did not start" >&2; exit 1; }
  node_url=http://127.0.0.1:$port
  for _ in $(seq 1 300); do      # the network key is created right after the listen
    att=$(curl -s "$node_url/attestation" |
      python3 -c 'import json,sys; print(json.load(sys.stdin).get("xpub",""))' 2>/dev/null)
    [ -n "$att" ] && break
    sleep 0.1
  done
  [ -n "$att" ] || { tail -20 "$tmp/node.log" >&2; echo "$SDK_NAME: no xpub at /attestation" >&2; exit 1; }
  "$esgx" login --insecure-skip-attest --node "$node_url" --token-file "$tmp/node/admin.token" \
    >"$tmp/login.out" 2>&1 || { cat "$tmp/login.out" >&2; echo "$SDK_NAME: esgx login failed" >&2; exit 1; }
  [ "$att" != "$xpub" ] || { echo "$SDK_NAME: the node's xpub is the development one" >&2; exit 1; }
  xpub=$att
  echo "$SDK_NAME: node at $node_url; the checks now run there"
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
    sdk_call "$tmp/echo.out" "$d/echo.wasm" --input-file "$tmp/$f"
    out=""
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
  sdk_call "$tmp/u.out" "$d/unseal.wasm" --input-file "$tmp/plain.ct"
  out=""
  [ "$rc" = 0 ] && cmp -s "$tmp/plain" "$tmp/u.out" && ok || bad "$SDK_NAME shared unseal"
  if [ -z "$node_url" ]; then     # the module runs as another one
    sdk_run "$d/unseal.wasm" --input-file "$tmp/plain.ct" --module-hash "$(printf '%064d' 1)"
  else                            # a node runs it as itself: data sealed to another module
    "$esgx" encrypt shared --pubkey "$xpub" "$tmp/plain" "$(printf '%064d' 1)" -o "$tmp/other.ct" \
      >/dev/null 2>&1 || { bad "esgx encrypt shared (other module)"; return; }
    sdk_run "$d/unseal.wasm" --input-file "$tmp/other.ct"
  fi
  expect "$SDK_NAME shared unseal: not approved" 0 '*'
  [[ "$out" == "error:"*"-6"* ]] && ok || bad "$SDK_NAME shared unseal: not approved reports -6"

  h=$(sdk_hash "$d/unseal_derived.wasm")
  "$esgx" encrypt wasm --pubkey "$xpub" --path ab12 "$h" "$tmp/plain" -o "$tmp/d.ct" >/dev/null 2>&1 ||
    { bad "esgx encrypt wasm"; return; }
  sdk_call "$tmp/u.out" "$d/unseal_derived.wasm" --input-file "$tmp/d.ct"
  out=""
  [ "$rc" = 0 ] && cmp -s "$tmp/plain" "$tmp/u.out" && ok || bad "$SDK_NAME derived unseal (path ab12)"
  "$esgx" encrypt wasm --pubkey "$xpub" --path ab13 "$h" "$tmp/plain" -o "$tmp/d2.ct" >/dev/null 2>&1
  sdk_run "$d/unseal_derived.wasm" --input-file "$tmp/d2.ct"
  expect "$SDK_NAME derived unseal: other path" 0 '*'
  [[ "$out" == "error:"*"-7"* ]] && ok || bad "$SDK_NAME derived unseal of another path's data reports -7"

  # signer: the key and signature checked by @scure/bip32 + @noble/curves from the xpub
  h=$(sdk_hash "$d/signer.wasm")
  printf 'sign me \0 please' >"$tmp/msg"
  sdk_call "$tmp/sig.json" "$d/signer.wasm" --input-file "$tmp/msg"
  out=$(cat "$tmp/sig.json")
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
