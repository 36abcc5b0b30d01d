#!/usr/bin/env bash
# node_tier.sh: the execution tier of a node (docs/operations.md, "Execution tier").
# One data dir (one network key) started twice: esgxd --tier interp, then esgxd --tier
# jit; the same invocations (output, several blocks, out of fuel, a trap, decrypt mode
# off and the examples' modules when built) answer byte for byte the same signed answer
# on both, so result bytes and fuel_used are identical (and signed alike). /health and
# /metrics say the tier; ESGX_WASM_TIER without --tier is honoured; a bad --tier or
# ESGX_WASM_TIER stops esgxd and esgx-enclave at startup with a message naming it.
# Where this build or CPU has no compiler, --tier jit runs the interpreter (as the
# default does): the test still runs and checks that.
. "$(dirname "$0")/node_lib.sh"
need node
need wat2wasm
need python3
[ -x "$ENCLAVE" ] || { echo "skip: $ENCLAVE not built" >&2; exit 77; }
[ -x "$BUILD/esgx" ] || { echo "skip: $BUILD/esgx not built" >&2; exit 77; }
export XDG_CONFIG_HOME=$T/config
unset ESGX_WASM_TIER

wat2wasm "$SRC/tests/guests/node_hello.wat" -o "$T/hello.wasm" || fail "wat2wasm"
# the tier the default (and --tier jit) gives here: the compiler where available
"$BUILD/esgx" run "$T/hello.wasm" --input x --json >"$T/run.json" 2>"$T/run.err" ||
    fail "esgx run: $(cat "$T/run.err")"
BEST=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["tier"])' "$T/run.json")
case "$BEST" in interp|jit) ;; *) fail "esgx run --json tier '$BEST'";; esac

# tier_is NAME: /health and /metrics of the running node say NAME
tier_is() {
    req GET /health
    grep -q "\"tier\":\"$1\"" "$T/body" || fail "/health does not say tier $1"
    req GET /metrics; expect 200
    grep -qx "esgx_wasm_tier{tier=\"$1\"} 1" "$T/body" || fail "/metrics lacks esgx_wasm_tier{tier=\"$1\"} 1"
}

# invoke_all TAG: every request of $T/requests against the running node; answer N in
# $T/TAG.N (status line first, then the body)
invoke_all() {
    local n=0 line
    while IFS= read -r line; do
        n=$((n + 1))
        req POST /services/3 -d "$line"
        { echo "HTTP $STATUS"; cat "$T/body"; } >"$T/$1.$n"
    done <"$T/requests"
}

start_node t --init --tier interp
TOK=$(cat "$T/t/admin.token")
AUTH=(-H "Authorization: Bearer $TOK")
tier_is interp
grep -q "functions run on the interp tier" "$T/t.log" || fail "the enclave does not log its tier"
req POST /content "${AUTH[@]}" --data-binary @"$T/hello.wasm"; expect 200
MOD=$(json hash < "$T/body")
: >"$T/requests"
for r in '"input":"world"' '"function":"big"' '"function":"spin","fuel":100000' \
         '"function":"boom"' '"input":"fuel","fuel":1000000'; do
    echo "{\"hash\":\"$MOD\",$r}" >>"$T/requests"
done
for ex in echo hello wasi_printf; do
    [ -f "$BUILD/examples/$ex.wasm" ] || continue
    req POST /content "${AUTH[@]}" --data-binary @"$BUILD/examples/$ex.wasm"; expect 200
    echo "{\"hash\":\"$(json hash < "$T/body")\",\"input\":\"the same input\"}" >>"$T/requests"
done
invoke_all interp
grep -q '^HTTP 200' "$T/interp.1" || fail "interp: main did not answer 200"
grep -q '^HTTP 422' "$T/interp.3" || fail "interp: spin did not run out of fuel"
stop_node
ok "esgxd --tier interp: /health, /metrics and the enclave's log say interp"

start_node t --tier jit
tier_is "$BEST"
grep -q "functions run on the $BEST tier" "$T/t.log" || fail "the enclave does not log tier $BEST"
invoke_all jit
n=$(wc -l <"$T/requests")
for i in $(seq 1 "$n"); do
    cmp -s "$T/interp.$i" "$T/jit.$i" && continue
    python3 - "$T/interp.$i" "$T/jit.$i" <<'PY' >&2
import json, sys
for f in sys.argv[1:]:
    status, rest = open(f, 'rb').read().split(b'\n', 1)
    head, _, out = rest.partition(b'\r\n')
    try:
        h = json.loads(head)
        print(f, status.decode(), 'fuel_used', h.get('fuel_used'), 'output', out[:80])
    except ValueError:
        print(f, status.decode(), rest[:200])
PY
    fail "request $i ($(sed -n "${i}p" "$T/requests")): the answers of --tier interp and --tier jit differ"
done
stop_node
ok "esgxd --tier jit ($BEST here): $n answers byte for byte those of --tier interp (result, fuel_used, signature)"

ESGX_WASM_TIER=interp start_node t
tier_is interp
stop_node
ok "ESGX_WASM_TIER=interp without --tier"

for bad in flag variable; do
    rc=0
    if [ $bad = flag ]; then
        "$ESGXD" --data-dir "$T/t" --listen 127.0.0.1:0 --tier bogus >"$T/bad.out" 2>&1 || rc=$?
    else
        ESGX_WASM_TIER=bogus "$ESGXD" --data-dir "$T/t" --listen 127.0.0.1:0 >"$T/bad.out" 2>&1 || rc=$?
    fi
    [ "$rc" = 2 ] || fail "esgxd with a bad tier ($bad) exited $rc, expected 2"
    grep -q "tier 'bogus' is not 'interp' or 'jit'" "$T/bad.out" || fail "esgxd ($bad): $(cat "$T/bad.out")"
    [ $bad = flag ] || grep -q "ESGX_WASM_TIER" "$T/bad.out" || fail "esgxd does not name ESGX_WASM_TIER"
done
rc=0
ESGX_WASM_TIER=bogus "$ENCLAVE" --data-dir "$T/t" --channel-fd 0 >"$T/bad.out" 2>&1 </dev/null || rc=$?
[ "$rc" = 78 ] || fail "esgx-enclave with ESGX_WASM_TIER=bogus exited $rc, expected 78"
grep -q "ESGX_WASM_TIER: tier 'bogus'" "$T/bad.out" || fail "esgx-enclave: $(cat "$T/bad.out")"
rc=0
"$ENCLAVE" --data-dir "$T/t" --channel-fd 0 --tier fast >"$T/bad.out" 2>&1 </dev/null || rc=$?
[ "$rc" = 78 ] || fail "esgx-enclave --tier fast exited $rc, expected 78"
grep -q -- "--tier: tier 'fast'" "$T/bad.out" || fail "esgx-enclave --tier fast: $(cat "$T/bad.out")"
ok "a bad --tier or ESGX_WASM_TIER stops esgxd (exit 2) and esgx-enclave (exit 78) at startup"
