#!/usr/bin/env bash
# attest_nodes.sh: attestation and RA-TLS key sharing between real nodes on 127.0.0.1.
#
#   - a sim network (esgx sim init): A --init, B and C --peers; C starts first, while
#     its peers are down or keyless, answers 503 no_key, and gets the key by itself when
#     B comes up (retry with backoff); all three sign with the same network key
#     (answers checked offline with esgx verify against A's attested key);
#   - refused, and never given the key: a node whose enclave binary differs (a copy of
#     esgx-enclave with bytes appended = another MRENCLAVE, even though it trusts A's),
#     a node quoted by another network's sim bundle (even though it trusts A's root),
#     plain TLS clients (openssl s_client with a self-signed certificate, and without
#     any certificate);
#   - B restarted without --peers unseals its key;
#   - esgx attest NODE verifies the document (sim root given), refuses it with another
#     root or the default Intel root, and a node without a sim bundle has no quote;
#   - esgx login pins only after verification (or loudly with --insecure-skip-attest);
#   - --peers without a sim bundle is refused at start with a clear error;
#   - the gramine-sgx platform under esgxd against a directory imitating
#     /dev/attestation: MRENCLAVE/MRSIGNER from its report, sealing with its keys (a
#     restart unseals), a quote file that does not bind the xpub is not served, and
#     trust options on the command line are refused.
# Ports are picked by the kernel (port 0) and read back from the logs.
set -u
SRC=${ESGX_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${ESGX_BUILD_DIR:-$SRC/build}
ESGXD=$BUILD/esgxd
ENCLAVE=$BUILD/esgx-enclave
ESGX=$BUILD/esgx
for b in "$ESGXD" "$ENCLAVE" "$ESGX"; do
    [ -x "$b" ] || { echo "skip: $b not built" >&2; exit 77; }
done
for c in curl python3 openssl wat2wasm b3sum timeout; do
    command -v "$c" >/dev/null 2>&1 || { echo "skip: $c not installed" >&2; exit 77; }
done
T=$(mktemp -d "${TMPDIR:-/tmp}/esgx-attest-nodes.XXXXXX")
declare -A PID HTTP PEERPORT
export XDG_CONFIG_HOME=$T/config HOME=$T/home
mkdir -p "$T/home"

# shellcheck source=tests/nodes_lib.sh
. "$SRC/tests/nodes_lib.sh"

# key NAME: the node's network key from /attestation ("" if none).
key() { curl -s "${HTTP[$1]}/attestation" | jget public_key; }
# wait_key NAME SECONDS: until the node has a key.
wait_key() {
    local k
    for _ in $(seq 1 $(($2 * 5))); do
        k=$(key "$1")
        [ -n "$k" ] && { echo "$k"; return 0; }
        sleep 0.2
    done
    fail "node $1 has no key after $2 s"
}
# wait_log NAME REGEX SECONDS
wait_log() {
    for _ in $(seq 1 $(($3 * 5))); do
        grep -Eq "$2" "$T/$1.log" && return 0
        sleep 0.2
    done
    fail "no '$2' in $1's log within $3 s"
}

wat2wasm "$SRC/tests/guests/node_hello.wat" -o "$T/hello.wasm" || fail "wat2wasm"
MOD=$(b3sum --no-names "$T/hello.wasm")
printf '{"hash":"%s","input":"world"}' "$MOD" > "$T/req.json"
"$ESGX" sim init "$T/simA" >/dev/null || fail "esgx sim init simA"
"$ESGX" sim init "$T/simB" >/dev/null || fail "esgx sim init simB"
ROOT_A=$T/simA/sim_root.pem

# ---- A: the first node
start A --init --sim-bundle "$T/simA" --peer-listen 127.0.0.1:0
[ -n "${PEERPORT[A]:-}" ] || fail "A does not log its peer port"
KEY=$(wait_key A 30)
curl -s "${HTTP[A]}/attestation" > "$T/docA"
MRE_A=$(jget mrenclave < "$T/docA")
[ "$(jget platform < "$T/docA")" = sim ] || fail "A's platform"
[ -n "$(jget quote < "$T/docA")" ] || fail "A's attestation document has no quote"
COLL=$(jget collateral < "$T/docA")
[ "${COLL:0:1}" = "{" ] || fail "A's document has no collateral object"
ok "A: key $KEY, mrenclave $MRE_A, quote and collateral in /attestation"

# ---- esgx attest
"$ESGX" attest "${HTTP[A]}" --sim-root "$ROOT_A" > "$T/attest.out" 2> "$T/attest.err" ||
    { cat "$T/attest.out" "$T/attest.err" >&2; fail "esgx attest A with the sim root"; }
grep -q "^verdict: *trusted" "$T/attest.out" || fail "attest verdict"
grep -q "^mrenclave: *$MRE_A" "$T/attest.out" || fail "attest does not print MRENCLAVE"
grep -q "^mrsigner: *[0-9a-f]\{64\}" "$T/attest.out" || fail "attest does not print MRSIGNER"
grep -q "^tcb_status: *UpToDate" "$T/attest.out" || fail "attest does not print the TCB status"
grep -q "^network_key: *$KEY" "$T/attest.out" || fail "attest does not print the network key"
J=$("$ESGX" attest "${HTTP[A]}" --sim-root "$ROOT_A" --json) || fail "attest --json"
[ "$(printf '%s' "$J" | jget trusted)" = true ] || fail "attest --json trusted"
"$ESGX" attest "${HTTP[A]}" --sim-root "$T/simB/sim_root.pem" > /dev/null 2> "$T/attest.err" &&
    fail "attest trusted A with another network's root"
"$ESGX" attest "${HTTP[A]}" > /dev/null 2> "$T/attest.err" &&
    fail "attest trusted a sim quote with the default (Intel) root"
"$ESGX" attest "${HTTP[A]}" --sim-root "$ROOT_A" --mrenclave "$(printf '%064d' 0)" > /dev/null 2>&1 &&
    fail "attest ignored --mrenclave"
ok "esgx attest: trusted with the sim root; refused with another root, the Intel root, another MRENCLAVE"

# ---- login pins only after verification
"$ESGX" login --node "${HTTP[A]}" > "$T/login.out" 2> "$T/login.err" &&
    fail "login pinned an unverified key"
grep -q "refusing to pin" "$T/login.err" || fail "login refusal message: $(cat "$T/login.err")"
[ -f "$T/config/esgx/config" ] && fail "a refused login wrote the config"
"$ESGX" login --node "${HTTP[A]}" --sim-root "$ROOT_A" > "$T/login.out" 2> "$T/login.err" ||
    fail "login with the sim root: $(cat "$T/login.err")"
grep -q "attestation verified" "$T/login.out" || fail "login does not say it verified"
grep -qx "network_key = $KEY" "$T/config/esgx/config" || fail "login pinned another key"
"$ESGX" login --node "${HTTP[A]}" --insecure-skip-attest > /dev/null 2> "$T/login.err" ||
    fail "login --insecure-skip-attest"
grep -q "WARNING.*UNVERIFIED" "$T/login.err" || fail "login --insecure-skip-attest is not loud"
ok "esgx login: refuses an unverified key, pins after verification, warns when skipping"

# ---- C first: its peers are a dead port and B (not started yet): 503 meanwhile
DEAD=$(free_port)
PB=$(free_port)
start C --sim-bundle "$T/simA" --peer-listen 127.0.0.1:0 --peers "127.0.0.1:$DEAD,127.0.0.1:$PB"
wait_log C 'key fetch round 1 failed' 30
STATUS=$(curl -s -o "$T/body" -w '%{http_code}' "${HTTP[C]}/services/3" -d @"$T/req.json")
[ "$STATUS" = 503 ] || fail "keyless C answered $STATUS, not 503"
grep -q '"code":"no_key"' "$T/body" || fail "keyless C: not no_key: $(cat "$T/body")"
[ -z "$(key C)" ] || fail "C has a key before any peer served one"
ok "C without a reachable peer: 503 no_key while retrying"

# ---- B fetches from A, then C gets it from B by itself
start B --sim-bundle "$T/simA" --peer-listen "127.0.0.1:$PB" --peers "127.0.0.1:${PEERPORT[A]}"
[ "$(wait_key B 30)" = "$KEY" ] || fail "B got another key"
[ -f "$T/B/shared_key.sealed" ] || fail "B did not seal the fetched key"
wait_log A 'sent the network key to peer' 10
[ "$(wait_key C 60)" = "$KEY" ] || fail "C got another key"
[ -f "$T/C/shared_key.sealed" ] || fail "C did not seal the fetched key"
grep -q 'obtained the network key from a peer' "$T/C.log" || fail "C's log"
# a joining node says it is getting the key, not to run --init on the first node
for n in B C; do
    grep -q 'run esgxd --init on the first node' "$T/$n.log" && fail "$n, joining, advises --init"
    grep -q 'getting it from the network' "$T/$n.log" || fail "$n's log does not say it fetches the key"
done
ok "B fetched the key from A; C retried with backoff and fetched it from B"

# ---- all three sign with the same key
for n in A B C; do
    tok=$(cat "$T/$n/admin.token")
    curl -s -o /dev/null -H "Authorization: Bearer $tok" --data-binary @"$T/hello.wasm" \
        "${HTTP[$n]}/content" || fail "upload to $n"
    STATUS=$(curl -s -o "$T/ans$n" -w '%{http_code}' "${HTTP[$n]}/services/3" -d @"$T/req.json")
    [ "$STATUS" = 200 ] || fail "invoke on $n: HTTP $STATUS $(head -c 300 "$T/ans$n")"
    "$ESGX" verify --request "$T/req.json" --response "$T/ans$n" --network-key "$KEY" > /dev/null ||
        fail "the answer of $n does not verify with A's attested key"
    "$ESGX" attest "${HTTP[$n]}" --sim-root "$ROOT_A" > "$T/att$n" 2>&1 || fail "attest $n"
    grep -q "^network_key: *$KEY" "$T/att$n" || fail "attest $n network key"
done
ok "A, B and C sign with the same attested network key"

# ---- refused: another enclave build (trusting A's MRENCLAVE itself)
cp "$ENCLAVE" "$T/rogue-enclave"
printf 'not the same enclave' >> "$T/rogue-enclave"
start R1 --enclave "$T/rogue-enclave" --sim-bundle "$T/simA" --peers "127.0.0.1:${PEERPORT[A]}" \
    --trust-mrenclave "$MRE_A"
MRE_R1=$(curl -s "${HTTP[R1]}/attestation" | jget mrenclave)
[ -n "$MRE_R1" ] && [ "$MRE_R1" != "$MRE_A" ] || fail "the rogue enclave has the same MRENCLAVE"
wait_log R1 'key fetch round 2 failed' 30
wait_log A "refused: .*$MRE_R1|refused: .*MRENCLAVE" 10
[ -z "$(key R1)" ] || fail "a different enclave got the key"
[ -e "$T/R1/shared_key.sealed" ] && fail "a different enclave sealed a key"
ok "another enclave build (MRENCLAVE $MRE_R1) is refused by A and gets no key"
stop R1

# ---- refused: another network's sim bundle. So that A (not just R2) is the one to judge,
# R2 is made to accept A: it trusts A's root and verifies with A's network collateral,
# while its own quotes are still signed by network B's keys.
cp -r "$T/simB" "$T/simB-x"
cp "$T/simA/collateral.json" "$T/simB-x/collateral.json"
N0=$(grep -c 'refused:' "$T/A.log")
start R2 --sim-bundle "$T/simB-x" --sim-root "$ROOT_A" --peers "127.0.0.1:${PEERPORT[A]}"
wait_log R2 'key fetch round 2 failed' 30
[ -z "$(key R2)" ] || fail "a node of another sim network got the key"
[ -e "$T/R2/shared_key.sealed" ] && fail "a node of another sim network sealed a key"
sleep 0.5
N=$(grep -c 'refused:' "$T/A.log")
[ "$N" -gt "$N0" ] || fail "A did not log refusing the other network's node"
grep 'refused:' "$T/A.log" | tail -1 | grep -q 'PCK chain' ||
    fail "A did not refuse the other network's node for its quote's certificate chain"
ok "a node quoted by another network's bundle is refused and gets no key ($(grep 'refused:' "$T/A.log" | tail -1 | sed 's/.*refused: //' | cut -c1-120))"
stop R2

# ---- refused: plain TLS clients
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=plain \
    -days 1 -keyout "$T/plain.key" -out "$T/plain.crt" 2>/dev/null || fail "openssl req"
printf 'ESGX-KEYSHARE/1 GET\n' | timeout 20 openssl s_client -connect "127.0.0.1:${PEERPORT[A]}" \
    -tls1_3 -cert "$T/plain.crt" -key "$T/plain.key" -ign_eof > "$T/sclient.out" 2>&1
wait_log A 'carries no SGX quote' 10
printf 'ESGX-KEYSHARE/1 GET\n' | timeout 20 openssl s_client -connect "127.0.0.1:${PEERPORT[A]}" \
    -tls1_3 -ign_eof > "$T/sclient2.out" 2>&1
grep -aq 'xprv' "$T/sclient.out" "$T/sclient2.out" && fail "a plain TLS client got key material"
XPRV_SEEN=$(grep -c 'sent the network key' "$T/A.log")
[ "$XPRV_SEEN" = 1 ] || fail "A sent the key $XPRV_SEEN times (only B may have it from A)"
ok "plain TLS clients (self-signed certificate, no certificate) are refused and get nothing ($(grep 'refused:' "$T/A.log" | tail -1 | sed 's/.*refused: //' | cut -c1-120))"

# ---- B restarts without peers: unseals its key
stop B
start B --sim-bundle "$T/simA"
[ "$(wait_key B 30)" = "$KEY" ] || fail "restarted B has another key"
grep -q 'fetching the network key' <(sed -n '/listening on http/,$p' "$T/B.log" | tail -n +2) &&
    fail "restarted B fetched again"
ok "B restarted without --peers unseals the same key"

# ---- a node without a bundle cannot attest
start N --init
[ -n "$(wait_key N 30)" ] || fail "N has no key"
curl -s "${HTTP[N]}/attestation" > "$T/docN"
[ -z "$(jget quote < "$T/docN")" ] || fail "a sim node without a bundle served a quote"
[ -n "$(jget quote_error < "$T/docN")" ] || fail "no quote_error in the document of N"
"$ESGX" attest "${HTTP[N]}" --sim-root "$ROOT_A" > /dev/null 2> "$T/attest.err" &&
    fail "attest trusted a node without a quote"
grep -q "no quote" "$T/attest.err" || fail "attest message for a quote-less node: $(cat "$T/attest.err")"
stop N
"$ESGXD" --data-dir "$T/P" --listen 127.0.0.1:0 --peers "127.0.0.1:${PEERPORT[A]}" \
    > "$T/P.log" 2>&1 &
PID[P]=$!
for _ in $(seq 1 300); do kill -0 "${PID[P]}" 2>/dev/null || break; sleep 0.1; done
kill -0 "${PID[P]}" 2>/dev/null && fail "esgxd --peers without a sim bundle keeps running"
rc=0; wait "${PID[P]}" || rc=$?; PID[P]=
[ "$rc" != 0 ] || fail "esgxd --peers without a sim bundle exited 0"
grep -q 'sim-bundle' "$T/P.log" || fail "no clear error for --peers without a bundle"
ok "no bundle: no quote in /attestation, and --peers is refused at start"

# ---- a peer that accepts TCP but never answers: the node still stops promptly
python3 -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(8)
print(s.getsockname()[1]); sys.stdout.flush(); time.sleep(120)' > "$T/hole.port" &
HOLE_PID=$!
PID[hole]=$HOLE_PID
for _ in $(seq 1 50); do [ -s "$T/hole.port" ] && break; sleep 0.1; done
start S --sim-bundle "$T/simA" --peers "127.0.0.1:$(cat "$T/hole.port")"
wait_log S 'fetching the network key' 10
sleep 1
T0=$(date +%s%N)
stop S
MS=$(( ($(date +%s%N) - T0) / 1000000 ))
[ "$MS" -lt 8000 ] || fail "a node fetching from a silent peer took $MS ms to stop"
kill "$HOLE_PID" 2>/dev/null; wait "$HOLE_PID" 2>/dev/null; PID[hole]=
ok "a node stuck on a silent peer stops on SIGTERM in $MS ms"

# ---- gramine-sgx platform through esgxd, against an imitation of /dev/attestation
python3 - "$T/att" <<'PY'
import os, sys
d = sys.argv[1]
os.makedirs(d + '/keys')
r = bytearray(432)
r[48] = 0x05                      # attributes: INIT | MODE64BIT
r[64:96] = bytes([0x11]) * 32     # MRENCLAVE
r[128:160] = bytes([0x22]) * 32   # MRSIGNER
for name, data in {'attestation_type': b'dcap', 'my_target_info': os.urandom(512),
                   'target_info': b'', 'user_report_data': b'', 'report': bytes(r),
                   'quote': b'', 'keys/_sgx_mrsigner': os.urandom(16),
                   'keys/_sgx_mrenclave': os.urandom(16)}.items():
    open(d + '/' + name, 'wb').write(data)
PY
export ESGX_PLATFORM=gramine-sgx ESGX_ATTESTATION_DIR=$T/att
start G --init
GKEY=$(wait_key G 30)
curl -s "${HTTP[G]}/attestation" > "$T/docG"
[ "$(jget platform < "$T/docG")" = gramine-sgx ] || fail "G's platform"
[ "$(jget mrenclave < "$T/docG")" = "$(printf '11%.0s' $(seq 32))" ] || fail "G's MRENCLAVE"
[ "$(jget mrsigner < "$T/docG")" = "$(printf '22%.0s' $(seq 32))" ] || fail "G's MRSIGNER"
[ -z "$(jget quote < "$T/docG")" ] || fail "G served a quote that does not bind its xpub"
stop G
start G
[ "$(wait_key G 30)" = "$GKEY" ] || fail "G did not unseal its key with the gramine sealing key"
stop G
"$ESGXD" --data-dir "$T/G2" --listen 127.0.0.1:0 --sim-bundle "$T/simA" --peers \
    "127.0.0.1:${PEERPORT[A]}" > "$T/G2.log" 2>&1 &
PID[G2]=$!
for _ in $(seq 1 300); do kill -0 "${PID[G2]}" 2>/dev/null || break; sleep 0.1; done
kill -0 "${PID[G2]}" 2>/dev/null && fail "gramine-sgx accepted trust options from the command line"
wait "${PID[G2]}"; PID[G2]=
grep -q 'manifest' "$T/G2.log" || fail "no clear error for command-line trust options on gramine-sgx"
unset ESGX_PLATFORM ESGX_ATTESTATION_DIR
ok "gramine-sgx: measurement and sealing from the attestation files; no stale quote; trust options only from the manifest"

for n in A B C; do stop $n; done
echo "all attest_nodes checks passed"
