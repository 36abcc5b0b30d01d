#!/usr/bin/env bash
# ratls_renew.sh: the enclave's RA-TLS certificate is renewed while it runs. A sim node
# A (--init, --peer-listen) runs with ESGX_TEST_RATLS_RENEW_SECONDS=2 (tests only:
# renewal every 2 s instead of half the 365-day lifetime); the certificate its peer port
# serves is read with openssl s_client before and after a renewal and must differ (new
# key, new quote); then B (--peers A) still gets the network key from the renewed A.
set -u
SRC=${ESGX_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${ESGX_BUILD_DIR:-$SRC/build}
ESGXD=$BUILD/esgxd ESGX=$BUILD/esgx
for need in "$ESGXD" "$BUILD/esgx-enclave" "$ESGX" curl python3 openssl timeout; do
    [ -x "$need" ] || command -v "$need" >/dev/null 2>&1 ||
        { echo "skip: $need not available" >&2; exit 77; }
done
T=$(mktemp -d "${TMPDIR:-/tmp}/esgx-ratls-renew.XXXXXX")
declare -A PID HTTP PEERPORT
. "$SRC/tests/nodes_lib.sh"

# until_grep SECS PATTERN FILE: waits until FILE has a line matching PATTERN.
until_grep() {
    local end=$((SECONDS + $1))
    while [ $SECONDS -lt $end ]; do grep -q "$2" "$3" && return 0; sleep 0.2; done
    grep -q "$2" "$3"
}

# served_cert: SHA-256 fingerprint of the certificate A's peer port presents
served_cert() {
    timeout 20 openssl s_client -connect "127.0.0.1:${PEERPORT[A]}" -tls1_3 </dev/null \
        2>/dev/null | openssl x509 -noout -fingerprint -sha256 2>/dev/null
}

"$ESGX" sim init "$T/sim" >/dev/null || fail "esgx sim init"
ESGX_TEST_RATLS_RENEW_SECONDS=2 start A --init --sim-bundle "$T/sim" --peer-listen 127.0.0.1:0
[ -n "${PEERPORT[A]:-}" ] || fail "A does not log its peer port"
C1=$(served_cert)
[ -n "$C1" ] || fail "no certificate read from A's peer port"
n0=$(grep -c 'renewed the RA-TLS certificate' "$T/A.log")
for _ in $(seq 1 100); do
    [ "$(grep -c 'renewed the RA-TLS certificate' "$T/A.log")" -gt "$n0" ] && break
    sleep 0.1
done
[ "$(grep -c 'renewed the RA-TLS certificate' "$T/A.log")" -gt "$n0" ] ||
    fail "A did not renew its RA-TLS certificate within 10 s"
C2=$(served_cert)
[ -n "$C2" ] || fail "no certificate read after the renewal"
[ "$C1" != "$C2" ] || fail "A serves the same certificate after a renewal ($C1)"
ok "renewed: a new certificate is served ($C1 -> $C2)"

start B --sim-bundle "$T/sim" --peers "127.0.0.1:${PEERPORT[A]}"
until_grep 30 'sent the network key' "$T/A.log" || fail "B got no key from the renewed A"
KA=$(curl -s "${HTTP[A]}/attestation" | jget public_key)
for _ in $(seq 1 50); do
    KB=$(curl -s "${HTTP[B]}/attestation" | jget public_key)
    [ -n "$KB" ] && break
    sleep 0.2
done
[ -n "$KA" ] && [ "$KA" = "$KB" ] || fail "B's key '$KB' is not A's '$KA'"
grep -q 'RA-TLS certificate renewal failed' "$T/A.log" "$T/B.log" && fail "a renewal failed"
ok "a peer fetches the key from the renewed node"
stop B
stop A
ok "both stop cleanly"
