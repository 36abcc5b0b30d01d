#!/usr/bin/env bash
# wasm_run.sh: `esgx run` end to end: the fn0 imports and their error codes, entry
# point types, --arg parsing, --json, fuel accounting, the output limit, link errors
# usage errors, the development key, WASI and unseal. Modules are built from tests/wasm/run_*.wat with wat2wasm.
TEST=wasm_run
. "$(dirname "$0")/wasm_lib.sh"
wasm_build 'run_*'
abi=$tmp/run_abi.wasm
fails=0 n=0

# run ARGS...: runs esgx with a time limit; sets $out, $err, $rc.
run() {
  timeout 60 "$esgx" "$@" >"$tmp/out" 2>"$tmp/err"
  rc=$?
  out=$(cat "$tmp/out")
  err=$(cat "$tmp/err")
}
# check NAME COND-DESCRIPTION: records a failure when the previous test command failed.
ok() { n=$((n + 1)); }
bad() { n=$((n + 1)); fails=$((fails + 1)); echo "FAIL: $1 (rc=$rc)"; echo "  stdout: ${out:0:300}"; echo "  stderr: ${err:0:300}"; }
# expect NAME RC STDOUT [STDERR-SUBSTRING]
expect() {
  local name=$1 want_rc=$2 want_out=$3 want_err=${4:-}
  if [ "$rc" != "$want_rc" ]; then bad "$name: exit $rc, want $want_rc"; return; fi
  if [ "$want_out" != "*" ] && [ "$out" != "$want_out" ]; then bad "$name: stdout '$out', want '$want_out'"; return; fi
  if [ -n "$want_err" ] && [[ "$err" != *"$want_err"* ]]; then bad "$name: stderr lacks '$want_err'"; return; fi
  ok
}

# --- the fn0 ABI
run run "$abi" --input 'hello, world'
expect "echo" 0 "hello, world" "debug line"
run run "$abi" --input 'hi' --json
expect "echo json" 0 '*'
[[ "$out" =~ ^\{\"result\":\ \[7\],\ \"fuel_used\":\ [1-9][0-9]*,\ \"output\":\ \"hi\",\ \"tier\":\ \"(interp|jit)\",\ \"jit_refused\":\ 0\}$ ]] && ok || bad "echo json shape: $out"
tier=${out##*\"tier\": \"}; tier=${tier%%\"*}   # the tier this machine runs (the default)
printf 'from a file\n' >"$tmp/in.txt"
run run "$abi" --input-file "$tmp/in.txt"
expect "input-file" 0 "from a file"
run run "$abi"
expect "empty input" 0 ""
run run "$abi" --function copy_oob_dst --input abcd
expect "input_data_copy dst out of bounds = -2" 0 "-2"
run run "$abi" --function copy_oob_src --input abcd
expect "input_data_copy src out of bounds = -2" 0 "-2"
run run "$abi" --function copy_huge --input abcd
expect "input_data_copy offset overflow = -2" 0 "-2"
run run "$abi" --function append_oob
expect "output_data_append out of bounds = -2" 0 "-2"
run run "$abi" --function append_empty_end
expect "output_data_append empty at end of memory = 0" 0 "0"
printf 'x' >"$tmp/in"
run run "$abi" --function copy_all --input abcd --json
expect "copy_all" 0 '*'
f4=$(sed -n 's/.*"fuel_used": \([0-9]*\).*/\1/p' <<<"$out")
head -c 65536 /dev/zero | tr '\0' 'a' >"$tmp/in64k"
run run "$abi" --function copy_all --input-file "$tmp/in64k" --json
f64k=$(sed -n 's/.*"fuel_used": \([0-9]*\).*/\1/p' <<<"$out")
# 16 fuel per started 64 bytes copied (docs/guest-abi.md#fuel): 16 * ceil(65536/64) =
# 16384 versus 16 * ceil(4/64) = 16 for the same instructions
[ -n "$f4" ] && [ -n "$f64k" ] && [ $((f64k - f4)) -eq 16368 ] && ok || bad "copy fuel per 64 bytes: $f4 vs $f64k"
run run "$abi" --function copy_all --input abcd --json
[ "$(sed -n 's/.*"fuel_used": \([0-9]*\).*/\1/p' <<<"$out")" = "$f4" ] && ok || bad "fuel_used is deterministic"
# a host call that cannot pay for its bytes traps out_of_fuel with fuel_used = budget
budget=$((f4 + 100))
run run "$abi" --function copy_all --input-file "$tmp/in64k" --fuel "$budget" --json
expect "out of fuel in a host call" 1 '*' "esgx: trap: out_of_fuel:"
[[ "$out" == *"\"fuel_used\": $budget,"* ]] && ok || bad "host out of fuel: fuel_used must be $budget: $out"
run run "$tmp/run_nomem.wasm" --function copy --input abc
expect "no memory: input_data_copy = -2" 0 "-2"
run run "$tmp/run_nomem.wasm" --function append
expect "no memory: output_data_append = -2" 0 "-2"
run run "$tmp/run_start_only.wasm"
expect "_start when there is no main" 0 "from _start"
run run "$abi" --function flood
expect "output limit" 1 "" "trap: output_too_large:"
run run "$abi" --function flood --json
[[ "$out" == *'"trap": "output_too_large"'* ]] && ok || bad "output limit json"

# --- entry points and arguments
run run "$tmp/run_unit.wasm"
expect "main () -> ()" 0 "unit"
run run "$tmp/run_ret.wasm" --json
expect "main () -> i32" 0 '{"result": [5], "fuel_used": '"$(sed -n 's/.*"fuel_used": \([0-9]*\).*/\1/p' <<<"$out")"', "output": "", "tier": "'"$tier"'", "jit_refused": 0}'
run run "$abi" --function add --arg 2 --arg 40
expect "add" 0 "42"
run run "$abi" --function add --arg 0xFFFFFFFF --arg 1
expect "add wraps" 0 "0"
run run "$abi" --function add --arg -2147483648 --arg -1
expect "add negative" 0 "2147483647"
run run "$abi" --function add64 --arg 9007199254740993 --arg 0 --json
expect "i64 above 2^53 stays exact" 0 '*'
[[ "$out" == '{"result": [9007199254740993],'* ]] && ok || bad "i64 json: $out"
run run "$abi" --function add64 --arg 18446744073709551615 --arg 0
expect "i64 wraps" 0 "-1"
run run "$abi" --function floats --arg 1.5 --arg -0.25 --json
expect "floats json" 0 '*'
[[ "$out" == '{"result": [1.5, -0.25, "inf", "-inf", "nan:0x200000"],'* ]] && ok || bad "floats json: $out"
run run "$abi" --function floats --arg nan:0x1 --arg inf
expect "floats text" 0 "$(printf 'nan:0x1\ninf\ninf\n-inf\nnan:0x200000')"
run run "$abi" --function nop --fuel 0 --json
expect "unmetered" 0 '{"result": [], "fuel_used": null, "output": "", "tier": "'"$tier"'", "jit_refused": 0}'
run run "$abi" --function forty_two --fuel unlimited
expect "unmetered by name" 0 "42"
# --fuel is decimal (esgx_parse_u64, as for `esgx invoke`): 010 is ten, not octal eight
run run "$abi" --function spin --fuel 010 --json
expect "--fuel 010 runs out at ten" 1 '*' "esgx: trap: out_of_fuel:"
[[ "$out" == *'"trap": "out_of_fuel", "fuel_used": 10,'* ]] && ok || bad "--fuel 010 is ten: $out"
run run "$abi" --function floats --arg 1.5 --arg 2.5 --fuel 010 --json
expect "--fuel 010 pays for a 9-unit call" 0 '*'
[[ "$out" == *'"fuel_used": 9,'* ]] && ok || bad "9 units under --fuel 010: $out"
run run "$abi" --function floats --arg 1.5 --arg 2.5 --fuel 8 --json
expect "--fuel 8 does not" 1 '*' "esgx: trap: out_of_fuel:"
run run "$abi" --function nop --fuel 0x10
expect "--fuel 0x10 is not a decimal number" 2 ""

# --- traps
run run "$abi" --function spin --fuel 100000
expect "out of fuel" 1 "" "esgx: trap: out_of_fuel:"
run run "$abi" --function spin --fuel 100000 --json
[[ "$out" =~ ^\{\"error\":\ \".+\",\ \"trap\":\ \"out_of_fuel\",\ \"fuel_used\":\ 1[0-9]{5}, ]] && ok || bad "out of fuel json: $out"
run run "$abi" --function div0
expect "divide by zero" 1 "" "esgx: trap: div_zero"

# --- link errors
run run "$tmp/run_unsupported.wasm"
expect "unknown import" 1 "" "unsupported import fn0.nope"
run run "$tmp/run_badtype.wasm"
expect "wrong import type" 1 "" "fn0.output_data_append"
run run "$tmp/run_memimport.wasm" --json
expect "memory import" 1 '*' "unsupported import env.memory"
[[ "$out" == '{"error": '*'env.memory'* ]] && ok || bad "link error json: $out"

# --- keys (development key) and the enclave's other host functions
seed=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
run run --show-dev-key --dev-seed "$seed"
xpub=$out
[ "$rc" = 0 ] && [ ${#xpub} = 111 ] && [[ "$xpub" == xpub* ]] && ok || bad "--show-dev-key"
run run "$tmp/run_keys.wasm" --dev-seed "$seed"
expect "shared_key_public = the dev xpub" 0 "$xpub"
run run "$tmp/run_keys.wasm" --dev-seed "$seed" --function derived
d1=$out
[ "$rc" = 0 ] && [[ "$d1" =~ ^0[23][0-9a-f]{64}0$ ]] && ok || bad "derived_key_public"
run run "$tmp/run_keys.wasm" --dev-seed "$seed" --function derived
expect "derived_key_public is deterministic" 0 "$d1"
run run "$tmp/run_keys.wasm" --dev-seed "$seed" --function derived --module-hash "$(printf '%064d' 1)"
[ "$rc" = 0 ] && [ "$out" != "$d1" ] && ok || bad "--module-hash changes the derived key"
run run "$tmp/run_keys.wasm" --dev-seed 1234
expect "bad --dev-seed" 2 ""
# without --dev-seed: a key file is created (0600) and reused
run run --show-dev-key
k1=$out
[ "$rc" = 0 ] && [ ${#k1} = 111 ] && [ "$k1" != "$xpub" ] && ok || bad "dev key file created"
[ "$(stat -c %a "$XDG_CONFIG_HOME/esgx/dev-key" 2>/dev/null)" = 600 ] && ok || bad "dev key file mode"
run run "$tmp/run_keys.wasm"
expect "dev key file reused" 0 "$k1"
# eight first runs at once (a fresh config folder each round): all get one key
for round in 1 2 3; do
  export XDG_CONFIG_HOME=$tmp/race$round
  for i in 1 2 3 4 5 6 7 8; do "$esgx" run --show-dev-key >"$tmp/race.$i" 2>&1 & done
  wait
  keys=$(cat "$tmp"/race.* | sort -u)
  [ "$(printf '%s\n' "$keys" | wc -l)" = 1 ] && [[ "$keys" == xpub* ]] &&
    [ "$(cat "$XDG_CONFIG_HOME/esgx/dev-key" | wc -c)" = 65 ] &&
    [ -z "$(ls "$XDG_CONFIG_HOME/esgx" | grep -v '^dev-key$')" ] && ok ||
    bad "concurrent first runs, round $round: $(printf '%s ' $keys)"
done
export XDG_CONFIG_HOME=$tmp/cfg
ex=$bld/examples
if [ -f "$ex/wasi_printf.wasm" ]; then
  run run "$ex/wasi_printf.wasm" --input abc
  expect "WASI printf" 0 'Hello from WASI printf! You sent 3 bytes: "abc"' "handled 3 bytes"
else
  echo "wasm_run: $ex/wasi_printf.wasm not built; WASI check skipped" >&2
fi
if [ -f "$ex/unseal.wasm" ] && command -v b3sum >/dev/null; then
  h=$(b3sum --no-names "$ex/unseal.wasm")
  printf 'secret test data' >"$tmp/plain"
  "$esgx" encrypt shared --pubkey "$xpub" "$tmp/plain" "$h" -o "$tmp/plain.ct" >/dev/null 2>&1
  run run "$ex/unseal.wasm" --dev-seed "$seed" --input-file "$tmp/plain.ct"
  expect "shared_key_unseal" 0 "secret test data"
  run run "$ex/unseal.wasm" --dev-seed "$seed" --input-file "$tmp/plain.ct" --module-hash "$(printf '%064d' 1)"
  expect "shared_key_unseal: module not approved" 0 "error: -06"
else
  echo "wasm_run: $ex/unseal.wasm not built; unseal check skipped" >&2
fi

# --- usage and load errors
run run "$abi" --function nosuch
expect "no such export" 1 "" "nosuch"
run run "$abi" --function g
expect "export is not a function" 1 "" "'g'"
run run "$abi" --function add --arg 1
expect "too few --arg" 2 ""
run run "$abi" --function add --arg 1 --arg x
expect "bad --arg" 2 "" "not a valid i32"
run run "$abi" --function add --arg 4294967296 --arg 0
expect "i32 out of range" 2 ""
run run "$abi" --bogus
expect "unknown option" 2 ""
run run
expect "missing module" 2 ""
run run "$abi" --fuel -5
expect "negative fuel" 2 ""
run run "$tmp/does-not-exist.wasm"
expect "missing file" 1 "" "does-not-exist.wasm"
printf 'not wasm' >"$tmp/junk.wasm"
run run "$tmp/junk.wasm"
expect "not a module" 1 "" "junk.wasm"
run run --help
expect "help" 0 '*'
[[ "$out" == *"usage: esgx run"* ]] && ok || bad "help text"

# --- --dump-code: the compiled code, one op per line, nothing run
run run "$abi" --dump-code
expect "dump-code" 0 '*'
[[ "$out" == *"func "*": params "*"words"* && "$out" == *"  FUEL fuel="* && "$out" == *"RET"* ]] \
  && ok || bad "dump-code lists functions and ops"
[ -z "$err" ] && ok || bad "dump-code runs nothing (no debug output)"
run run "$abi" --dump-code --function add
expect "dump-code --function add" 0 '*'
[ "$(grep -c '^func ' <<<"$out")" = 1 ] && [[ "$out" == *"I32_ADD"* ]] && ok || bad "dump of add alone"
run run "$abi" --dump-code --function nope
expect "dump-code unknown function" 1 "" "no exported function 'nope'"

echo "wasm_run: $((n - fails))/$n checks passed"
[ $fails -eq 0 ]
