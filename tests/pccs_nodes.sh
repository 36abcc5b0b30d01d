#!/usr/bin/env bash
# pccs_nodes.sh: esgxd --pccs on the gramine-sgx platform with a fake PCCS, real
# processes on 127.0.0.1.
#
#   - tests/fake_pccs.py serves a sim bundle's collateral the way a PCCS does (TCB info
#     for the sim FMSPC 53494D000001, QE identity, PCK Platform CA CRL, root CA CRL);
#   - tests/fake_attestation.py imitates /dev/attestation for each node and really quotes
#     (a FIFO answering each read with a sim-signed quote over the report data just
#     written), so RA-TLS certificates and attestation documents verify;
#   - A (--init): /attestation carries the collateral the host fetched for A's own quote
#     (4 PCCS requests), and `esgx attest` verifies the document with it;
#   - B (--peers A): the RA-TLS handshake runs both ways with collateral from the host:
#     B's enclave asks its host (COLLATERAL_REQ, one PCCS fetch), A's enclave asks A's
#     host, which answers from its cache (no request); B gets the network key;
#   - PCCS stopped: A still serves the collateral; restarted with --pccs-refresh 1 it
#     loads the disk cache and serves the stale copy (warned in the log);
#   - flags: --pccs with --collateral refused; a bad --pccs URL refused.
set -u
SRC=${ESGX_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${ESGX_BUILD_DIR:-$SRC/build}
ESGXD=$BUILD/esgxd
ESGX=$BUILD/esgx
for b in "$ESGXD" "$BUILD/esgx-enclave" "$ESGX"; do
    [ -x "$b" ] || { echo "skip: $b not built" >&2; exit 77; }
done
for c in curl python3; do
    command -v "$c" >/dev/null 2>&1 || { echo "skip: $c not installed" >&2; exit 77; }
done
T=$(mktemp -d "${TMPDIR:-/tmp}/esgx-pccs-nodes.XXXXXX")
declare -A PID HTTP PEERPORT
export XDG_CONFIG_HOME=$T/config HOME=$T/home
mkdir -p "$T/home" "$T/pccs"

extra_cleanup() { [ -n "${PCCS_PID:-}" ] && kill "$PCCS_PID" 2>/dev/null; }
extra_fail_report() {
    [ -f "$T/pccs/requests.log" ] && { echo "--- PCCS requests:" >&2; cat "$T/pccs/requests.log" >&2; }
}
# shellcheck source=tests/nodes_lib.sh
. "$SRC/tests/nodes_lib.sh"
# start_att NAME [esgxd args...]: start with the attestation dir $T/att-NAME.
start_att() { ESGX_ATTESTATION_DIR=$T/att-$1 start "$@"; }

# attest_dir NAME: the quoting imitation of /dev/attestation for node NAME.
attest_dir() {
    python3 "$SRC/tests/fake_attestation.py" --dir "$T/att-$1" --bundle "$T/sim" \
        --esgx "$ESGX" 2>>"$T/att-$1.log" &
    HELPERS+=($!)
    for _ in $(seq 1 100); do [ -p "$T/att-$1/quote" ] && return 0; sleep 0.1; done
    fail "fake attestation dir for $1 not ready"
}
# count PATTERN: PCCS requests matching PATTERN so far.
count() { grep -c "$1" "$T/pccs/requests.log" 2>/dev/null || true; }

"$ESGX" sim init "$T/sim" >/dev/null || fail "esgx sim init"
python3 "$SRC/tests/fake_pccs.py" --collateral "$T/sim/collateral.json" --dir "$T/pccs" \
    2>"$T/fake-pccs.log" &
PCCS_PID=$!
for _ in $(seq 1 100); do [ -f "$T/pccs/port" ] && break; sleep 0.1; done
[ -f "$T/pccs/port" ] || fail "fake PCCS did not start"
PCCS=http://127.0.0.1:$(cat "$T/pccs/port")/sgx/certification/v4
attest_dir A
attest_dir B
# The manifest's environment on gramine-sgx: platform and the extra (sim) trust anchor.
export ESGX_PLATFORM=gramine-sgx ESGX_TRUST_SIM_ROOT=$T/sim/sim_root.pem

# ---- flags
"$ESGXD" --data-dir "$T/X" --pccs "$PCCS" --collateral "$T/sim/collateral.json" \
    >"$T/X.log" 2>&1 && fail "--pccs with --collateral accepted"
grep -q 'exclude each other' "$T/X.log" || fail "no clear error for --pccs with --collateral"
"$ESGXD" --data-dir "$T/X" --pccs "ftp://x" >"$T/X.log" 2>&1 && fail "ftp --pccs accepted"
grep -q 'http://' "$T/X.log" || fail "no clear error for a non-HTTP --pccs"
"$ESGXD" --data-dir "$T/X" --pccs-refresh 5 >"$T/X.log" 2>&1 && fail "--pccs-refresh alone accepted"
"$ESGXD" --help | grep -q -- '--pccs-insecure' || fail "--help does not mention --pccs-insecure"
ok "flags: --pccs/--collateral exclusive, URL checked, --help"

# ---- A: collateral for its own quote in /attestation
start_att A --init --pccs "$PCCS" --peer-listen 127.0.0.1:0 --log-level debug
[ -n "${PEERPORT[A]:-}" ] || fail "A does not log its peer port"
curl -s "${HTTP[A]}/attestation" > "$T/docA"
[ -n "$(jget quote < "$T/docA")" ] || fail "A's document has no quote: $(jget quote_error < "$T/docA")"
COLL=$(jget collateral < "$T/docA")
[ "${COLL:0:1}" = "{" ] || fail "A's document has no collateral: $(jget collateral_error < "$T/docA")"
[ "$(count 'tcb?fmspc=53494D000001')" = 1 ] || fail "expected one TCB info request"
[ "$(count 'pckcrl?ca=platform&encoding=pem')" = 1 ] || fail "expected one PCK CRL request (platform CA)"
[ "$(wc -l < "$T/pccs/requests.log")" = 4 ] || fail "expected 4 PCCS requests"
[ -f "$T/A/collateral/53494d000001-platform.json" ] || fail "no disk cache file"
"$ESGX" attest "${HTTP[A]}" --sim-root "$T/sim/sim_root.pem" > "$T/attestA.out" 2>&1 ||
    fail "esgx attest refuses A's document: $(cat "$T/attestA.out")"
curl -s "${HTTP[A]}/attestation" > "$T/docA2"
[ "$(jget collateral < "$T/docA2")" = "$COLL" ] || fail "second document differs"
[ "$(wc -l < "$T/pccs/requests.log")" = 4 ] || fail "a cached collateral was refetched"
ok "A: /attestation carries the PCCS collateral for its quote (4 requests, cached, verifies)"

# ---- B fetches the key from A over RA-TLS; both enclaves get collateral from their host
start_att B --pccs "$PCCS" --peers "127.0.0.1:${PEERPORT[A]}" --log-level debug
for _ in $(seq 1 150); do
    grep -q 'obtained the network key' "$T/B.log" && break
    sleep 0.2
done
grep -q 'obtained the network key' "$T/B.log" || fail "B did not get the key from A"
KA=$(curl -s "${HTTP[A]}/attestation" | jget public_key)
KB=$(curl -s "${HTTP[B]}/attestation" | jget public_key)
[ -n "$KA" ] && [ "$KA" = "$KB" ] || fail "B's key differs from A's"
[ "$(count 'tcb?fmspc=53494D000001')" = 2 ] ||
    fail "expected one more TCB info request (B's host), got $(count 'tcb?fmspc=')"
[ -f "$T/B/collateral/53494d000001-platform.json" ] || fail "B's host cached nothing"
for n in A B; do
    grep -q 'collateral for FMSPC 53494d000001 CA platform to the enclave' "$T/$n.log" ||
        fail "$n's enclave did not get collateral from its host (COLLATERAL_REQ)"
done
ok "RA-TLS A<->B with collateral from each host (one PCCS fetch by B, A from its cache)"

# ---- PCCS outage
kill "$PCCS_PID"; wait "$PCCS_PID" 2>/dev/null; PCCS_PID=
curl -s "${HTTP[A]}/attestation" | jget collateral > "$T/collA3"
[ "$(cat "$T/collA3")" = "$COLL" ] || fail "A lost its collateral when the PCCS stopped"
stop A
start_att A --pccs "$PCCS" --pccs-refresh 1 --peer-listen 127.0.0.1:0
grep -q 'collateral cache: loaded 53494d000001-platform.json' "$T/A.log" || fail "disk cache not loaded"
sleep 1.2
curl -s "${HTTP[A]}/attestation" > "$T/docA4"
[ "$(jget collateral < "$T/docA4")" = "$COLL" ] || fail "A does not serve the stale copy with the PCCS down"
grep -q 'refetch failed, serving the cached copy' "$T/A.log" || fail "no warning about the stale copy"
"$ESGX" attest "${HTTP[A]}" --sim-root "$T/sim/sim_root.pem" >/dev/null 2>&1 ||
    fail "esgx attest refuses the stale document"
ok "PCCS down: the cached copy is served (memory, then disk after a restart), warned"

# ---- a new node with nothing cached and the PCCS down: refuses A, says why, retries
attest_dir C
start_att C --pccs "$PCCS" --peers "127.0.0.1:${PEERPORT[A]}"
for _ in $(seq 1 100); do
    grep -q 'ratls collateral: host: PCCS: GET .*/tcb?fmspc=53494D000001' "$T/C.log" && break
    sleep 0.2
done
grep -q 'ratls collateral: host: PCCS: GET .*/tcb?fmspc=53494D000001' "$T/C.log" ||
    fail "C does not say that the PCCS could not be reached"
curl -s "${HTTP[C]}/attestation" | jget ready | grep -q false || fail "C got a key without collateral"
stop C
ok "no cached collateral and no PCCS: the peer is not verified, the log names the URL"

stop A
stop B
echo "all pccs_nodes checks passed"
