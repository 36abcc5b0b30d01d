#!/usr/bin/env bash
# attest_cli.sh: `esgx attest` and `esgx sim` through the real binary: the real Intel
# quote (trusted only when debug and its TCB status are accepted; refused by default
# and in December 2024), JSON output, and sim bundles (trusted with their own root,
# refused with the Intel root and with another bundle's root).
set -u
esgx="${ESGX_BUILD_DIR:?}/esgx"
vec="${ESGX_SHARED_DIR:-/nonexistent}/vectors/dcap/fleek-sgx"
[ -x "$esgx" ] || { echo "esgx binary not built" >&2; exit 1; }
fail=0
ok()  { echo "ok: $*"; }
bad() { echo "FAIL: $*" >&2; fail=1; }
expect() { # expect CODE DESCRIPTION -- command...
  local want=$1 what=$2; shift 3
  "$@" >"$tmp/out" 2>"$tmp/err"; local got=$?
  if [ "$got" = "$want" ]; then ok "$what (exit $got)"; else
    bad "$what: exit $got, want $want"; cat "$tmp/out" "$tmp/err" >&2; fi
}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

if [ -f "$vec/quote.bin" ]; then
  q=(--quote "$vec/quote.bin" --collateral "$vec/full_collateral.json")
  expect 0 "real quote, debug + status accepted" -- "$esgx" attest "${q[@]}" --at 1724962800 \
    --allow-debug --accept-status UpToDate,ConfigurationAndSWHardeningNeeded --json
  grep -q '"trusted": true' "$tmp/out" || bad "json trusted"
  grep -q '"tcb_status": "ConfigurationAndSWHardeningNeeded"' "$tmp/out" || bad "json status"
  grep -q '"mrenclave": "a39d532e6ac9fe8ad9418851bbe26e1dee7408006505fce8580b511b97e704b4"' "$tmp/out" || bad "json mrenclave"
  grep -q '"mrsigner": "9affcfae47b848ec2caf1c49b4b283531e1cc425f93582b36806e52a43d78d1a"' "$tmp/out" || bad "json mrsigner"
  grep -q '"debug": true' "$tmp/out" || bad "json debug"
  tr -d ' \n' <"$tmp/out" | grep -q '"advisory_ids":\["INTEL-SA-00289","INTEL-SA-00615"\]' || bad "json advisories"
  expect 0 "real quote with its MRENCLAVE allowlisted" -- "$esgx" attest "${q[@]}" --at 1724962800 \
    --allow-debug --accept-status ConfigurationAndSWHardeningNeeded \
    --mrenclave a39d532e6ac9fe8ad9418851bbe26e1dee7408006505fce8580b511b97e704b4
  expect 1 "real quote, other MRENCLAVE allowlisted" -- "$esgx" attest "${q[@]}" --at 1724962800 \
    --allow-debug --accept-status ConfigurationAndSWHardeningNeeded --mrenclave "$(printf '0%.0s' $(seq 64))"
  expect 1 "real quote, default policy" -- "$esgx" attest "${q[@]}" --at 1724962800 --json
  grep -q '"trusted": false' "$tmp/out" && grep -q '"error": "policy: TCB status' "$tmp/out" || bad "default policy reason"
  expect 1 "real quote, status accepted but debug refused" -- "$esgx" attest "${q[@]}" \
    --at 1724962800 --accept-status ConfigurationAndSWHardeningNeeded
  expect 1 "real quote in December 2024" -- "$esgx" attest "${q[@]}" --at 1734962800 \
    --allow-debug --accept-status ConfigurationAndSWHardeningNeeded --json
  grep -q '"verified": false' "$tmp/out" && grep -q '"error":' "$tmp/out" || bad "expired json"
  expect 2 "unknown status name" -- "$esgx" attest "${q[@]}" --accept-status Fine
else
  echo "note: DCAP vectors absent, real-quote checks skipped" >&2
fi

expect 3 "unreachable node URL" -- "$esgx" attest http://127.0.0.1:1
grep -q "127.0.0.1:1/attestation" "$tmp/err" || bad "network error message names the URL"
expect 2 "missing arguments" -- "$esgx" attest --quote x
expect 0 "sim init" -- "$esgx" sim init "$tmp/b1"
expect 0 "sim init (second bundle)" -- "$esgx" sim init "$tmp/b2"
expect 1 "sim init refuses to overwrite" -- "$esgx" sim init "$tmp/b1"
for k in root_key pck_ca_key pck_key tcb_signing_key attestation_key; do
  [ "$(stat -c %a "$tmp/b1/$k.pem")" = 600 ] || bad "$k.pem mode $(stat -c %a "$tmp/b1/$k.pem")"
done
expect 0 "sim quote" -- "$esgx" sim quote --bundle "$tmp/b1" --mrenclave "$(printf 'ab%.0s' $(seq 32))" \
  --report-data 00112233 --out "$tmp/sim.quote"
s=(--quote "$tmp/sim.quote" --collateral "$tmp/b1/collateral.json")
expect 0 "sim quote with the sim root" -- "$esgx" attest "${s[@]}" --sim-root "$tmp/b1/sim_root.pem" --json
grep -q '"tcb_status": "UpToDate"' "$tmp/out" || bad "sim status"
grep -q '"report_data": "00112233000000' "$tmp/out" || bad "sim report data"
expect 0 "sim quote, allowlisted" -- "$esgx" attest "${s[@]}" --sim-root "$tmp/b1/sim_root.pem" \
  --mrenclave "$(printf 'ab%.0s' $(seq 32))"
expect 1 "sim quote with the Intel root" -- "$esgx" attest "${s[@]}"
expect 1 "sim quote with another bundle's root" -- "$esgx" attest "${s[@]}" --sim-root "$tmp/b2/sim_root.pem"
expect 1 "sim quote with another bundle's root and collateral" -- "$esgx" attest \
  --quote "$tmp/sim.quote" --collateral "$tmp/b2/collateral.json" --sim-root "$tmp/b2/sim_root.pem"
expect 0 "sim debug quote" -- "$esgx" sim quote --bundle "$tmp/b1" --debug --out "$tmp/dbg.quote"
expect 1 "sim debug quote, default policy" -- "$esgx" attest --quote "$tmp/dbg.quote" \
  --collateral "$tmp/b1/collateral.json" --sim-root "$tmp/b1/sim_root.pem"
expect 0 "sim debug quote, --allow-debug" -- "$esgx" attest --quote "$tmp/dbg.quote" \
  --collateral "$tmp/b1/collateral.json" --sim-root "$tmp/b1/sim_root.pem" --allow-debug
exit $fail
