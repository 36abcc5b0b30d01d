#!/usr/bin/env bash
# seal_random.sh: deterministic guest randomness across the nodes of one network, with
# real processes on 127.0.0.1 (docs/guest-abi.md "Randomness"; no etcd needed).
#
# Node A starts the network (--init, sim bundle, peer endpoint); node B joins it, pinned
# to A's key (--network-key, --peers A), so both enclaves hold the same network key. The
# guest tests/guests/random32.wat outputs 32 bytes of random_get and then its input:
#   - the same request on A twice and on B gives the same answer byte for byte (output,
#     input_hash, fuel_used and the RFC 6979 signature);
#   - another input gives other random bytes, on both nodes alike;
#   - a sealed request (esgx invoke --seal --save-request against A) sent again to B gets
#     the same sealed answer byte for byte, which verifies (esgx verify) for the request.
# Ports are picked by the kernel (port 0) and read back from the logs.
set -u
SRC=${ESGX_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${ESGX_BUILD_DIR:-$SRC/build}
ESGXD=$BUILD/esgxd
ESGX=$BUILD/esgx
for b in "$ESGXD" "$BUILD/esgx-enclave" "$ESGX"; do
    [ -x "$b" ] || { echo "skip: $b not built" >&2; exit 77; }
done
for c in curl python3 wat2wasm; do
    command -v "$c" >/dev/null 2>&1 || { echo "skip: $c not installed" >&2; exit 77; }
done
T=$(mktemp -d "${TMPDIR:-/tmp}/esgx-seal-random.XXXXXX")
declare -A PID HTTP PEERPORT
export XDG_CONFIG_HOME=$T/config HOME=$T/home
mkdir -p "$T/home"
# shellcheck source=tests/nodes_lib.sh
. "$SRC/tests/nodes_lib.sh"

wait_healthy() {   # wait_healthy NAME SECONDS
    for _ in $(seq 1 $(($2 * 5))); do
        [ "$(curl -s -o /dev/null -w '%{http_code}' "${HTTP[$1]}/health")" = 200 ] && return 0
        sleep 0.2
    done
    fail "$1 is not healthy after $2 s"
}
# call NAME OUT JSON: POST /services/3 on node NAME; the answer (status 200) in OUT
call() {
    local s
    s=$(curl -s -o "$2" -w '%{http_code}' "${HTTP[$1]}/services/3" --data-binary "$3")
    [ "$s" = 200 ] || fail "POST /services/3 on $1: HTTP $s $(head -c 300 "$2")"
}
random_bytes() { python3 -c 'import sys; b=open(sys.argv[1],"rb").read(); print(b[b.index(b"\r\n")+2:][:32].hex())' "$1"; }

wat2wasm "$SRC/tests/guests/random32.wat" -o "$T/random32.wasm" || fail "wat2wasm"
"$ESGX" sim init "$T/sim" >/dev/null || fail "esgx sim init"
start A --init --sim-bundle "$T/sim" --peer-listen 127.0.0.1:0
[ -n "${PEERPORT[A]:-}" ] || fail "A does not log its peer port"
start B --sim-bundle "$T/sim" --network-key "$(cat "$T/A/network_key")" \
    --peers "127.0.0.1:${PEERPORT[A]}"
wait_healthy A 30
wait_healthy B 60
KA=$(curl -s "${HTTP[A]}/attestation" | jget public_key)
KB=$(curl -s "${HTTP[B]}/attestation" | jget public_key)
[ -n "$KA" ] && [ "$KA" = "$KB" ] || fail "A and B hold different keys: $KA / $KB"
for n in A B; do   # nodes without etcd: each stores its own content
    curl -s -o "$T/up$n" -H "Authorization: Bearer $(cat "$T/$n/admin.token")" \
        --data-binary "@$T/random32.wasm" "${HTTP[$n]}/content" || fail "upload to $n"
done
H=$(jget hash < "$T/upA")
[ "$H" = "$(jget hash < "$T/upB")" ] && [ ${#H} = 64 ] || fail "uploads: $(cat "$T/upA" "$T/upB")"
ok "two nodes of one network (B joined A, pinned): key ${KA:0:16}..., random32 stored on both"

call A "$T/a1" "{\"hash\":\"$H\",\"input\":\"x\",\"fuel\":100000}"
call A "$T/a2" "{\"hash\":\"$H\",\"input\":\"x\",\"fuel\":100000}"
call B "$T/b1" "{\"hash\":\"$H\",\"input\":\"x\",\"fuel\":100000}"
cmp -s "$T/a1" "$T/a2" || fail "A answered the same request twice differently"
cmp -s "$T/a1" "$T/b1" || fail "A and B answered the same request differently"
call A "$T/a3" "{\"hash\":\"$H\",\"input\":\"y\",\"fuel\":100000}"
call B "$T/b3" "{\"hash\":\"$H\",\"input\":\"y\",\"fuel\":100000}"
cmp -s "$T/a3" "$T/b3" || fail "A and B answered input y differently"
RX=$(random_bytes "$T/a1") RY=$(random_bytes "$T/a3")
[ "$RX" != "$RY" ] || fail "inputs x and y got the same random bytes"
[ "$RX" != "$(printf '%064d' 0)" ] || fail "random_get gave zeros"
ok "the same request twice on A and once on B: the same answer byte for byte (random ${RX:0:16}...); input y: other bytes (${RY:0:16}...) on both"

"$ESGX" login --insecure-skip-attest --node "${HTTP[A]}" >/dev/null 2>"$T/login.err" ||
    fail "login: $(cat "$T/login.err")"
"$ESGX" invoke "$H" --seal --input x --fuel 100000 --save "$T/sa.ans" --save-request "$T/s.req" \
    > "$T/sa.out" 2>"$T/sa.err" || fail "esgx invoke --seal: $(cat "$T/sa.err")"
[ "$(tail -c 1 "$T/sa.out")" = x ] && [ "$(wc -c < "$T/sa.out")" = 33 ] || fail "sealed output"
head -c 32 "$T/sa.out" | od -An -tx1 | tr -d ' \n' > "$T/sa.hex"
[ "$(cat "$T/sa.hex")" != "$RX" ] || fail "the sealed call got the plain call's random bytes"
call B "$T/sb.ans" "@$T/s.req"
cmp -s "$T/sa.ans" "$T/sb.ans" || fail "B answered the sealed request differently from A"
"$ESGX" verify --request "$T/s.req" --response "$T/sb.ans" --network-key "$KA" >/dev/null ||
    fail "B's sealed answer does not verify"
ok "a sealed request answered by A, sent again to B: the same sealed answer byte for byte, verified"
echo "all seal_random checks passed"
