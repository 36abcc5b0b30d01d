#!/usr/bin/env bash
# net_join_pin.sh: pinned joins (esgxd --network-key; docs/security.md (Joins)), with real
# processes on 127.0.0.1.
#
# Two networks A and B from the same build and the same sim bundle (two --init nodes):
# their enclaves verify each other over RA-TLS, so only the pin tells them apart.
#   - --init logs the network key and writes it to DIR/network_key (the xpub);
#     --init with --network-key is a usage error, a malformed pin stops the node (an
#     actual xprv is refused by the enclave_netkey unit test);
#   - N, pinned to A's key, with --peers naming only B's peer endpoint: B hands over its
#     key (a verified enclave of the same build), N refuses it before sealing, keeps
#     retrying, /health stays 503 with an error naming the peer and both keys, and no
#     shared_key.sealed appears;
#   - N restarted with B's and then A's endpoint: refuses B's key, takes A's in the same
#     round, and is healthy with A's key; a pin by the 66-hex public key works as well;
#   - N restarted with B's key pinned (xpub or hex) while A's key is sealed: refuses to
#     start (enclave exit 78, esgxd exits), naming both keys; the sealed file is intact;
#   - esgx nodes prints the network key at the top;
#   - through etcd (when installed): a node pinned to A joining a network whose only
#     listed member (members/ in etcd) is B's enclave refuses B's key, stays 503 naming
#     it and seals nothing; once A's member is listed it seals A's key.
# Ports are picked by the kernel (port 0) and read back from the logs.
set -u
SRC=${ESGX_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${ESGX_BUILD_DIR:-$SRC/build}
ESGXD=$BUILD/esgxd
ESGX=$BUILD/esgx
for b in "$ESGXD" "$BUILD/esgx-enclave" "$ESGX"; do
    [ -x "$b" ] || { echo "skip: $b not built" >&2; exit 77; }
done
for c in curl python3 sha256sum timeout; do
    command -v "$c" >/dev/null 2>&1 || { echo "skip: $c not installed" >&2; exit 77; }
done
T=$(mktemp -d "${TMPDIR:-/tmp}/esgx-join-pin.XXXXXX")
declare -A PID HTTP PEERPORT
export XDG_CONFIG_HOME=$T/config HOME=$T/home
mkdir -p "$T/home"

# shellcheck source=tests/nodes_lib.sh
. "$SRC/tests/nodes_lib.sh"

# health NAME: the HTTP status of /health (body in $T/health).
health() { curl -s -o "$T/health" -w '%{http_code}' "${HTTP[$1]}/health"; }
key() { curl -s "${HTTP[$1]}/attestation" | jget public_key; }
# wait_log NAME REGEX SECONDS
wait_log() {
    for _ in $(seq 1 $(($3 * 5))); do
        grep -Eq "$2" "$T/$1.log" && return 0
        sleep 0.2
    done
    fail "no '$2' in $1's log within $3 s"
}
# wait_healthy NAME SECONDS
wait_healthy() {
    for _ in $(seq 1 $(($2 * 5))); do
        [ "$(health "$1")" = 200 ] && return 0
        sleep 0.2
    done
    fail "$1 is not healthy after $2 s: $(cat "$T/health")"
}
# refuses_start NAME LOGNAME ARGS...: esgxd on $T/NAME must exit (not time out) non-zero.
refuses_start() {
    local name=$1 log=$2 rc=0
    shift 2
    timeout 90 "$ESGXD" --data-dir "$T/$name" --listen 127.0.0.1:0 "$@" >"$T/$log.log" 2>&1 ||
        rc=$?
    [ "$rc" != 0 ] || fail "esgxd $name $* started"
    [ "$rc" != 124 ] || fail "esgxd $name $* neither started nor exited within 90 s"
}

"$ESGX" sim init "$T/sim" >/dev/null || fail "esgx sim init"

# ---- two networks, one build, one sim bundle
for n in A B; do
    start "$n" --init --sim-bundle "$T/sim" --peer-listen 127.0.0.1:0
    [ -n "${PEERPORT[$n]:-}" ] || fail "$n does not log its peer port"
done
declare -A XPUB KEY
for n in A B; do
    f=$T/$n/network_key
    [ -f "$f" ] || fail "--init did not write $f"
    [ "$(stat -c %a "$f")" = 600 ] || fail "$f is not private: $(stat -c %a "$f")"
    XPUB[$n]=$(cat "$f")
    [ ${#XPUB[$n]} = 111 ] && [ "${XPUB[$n]:0:4}" = xpub ] || fail "$f: not an xpub: ${XPUB[$n]}"
    [ "$(wc -l < "$f")" = 1 ] || fail "$f: not one line"
    curl -s "${HTTP[$n]}/attestation" > "$T/doc$n"
    [ "$(jget xpub < "$T/doc$n")" = "${XPUB[$n]}" ] || fail "$f is not the key $n serves"
    KEY[$n]=$(jget public_key < "$T/doc$n")
    grep -qF "network key: --network-key ${XPUB[$n]} (public key ${KEY[$n]}, in $T/$n/network_key)" "$T/$n.log" ||
        fail "$n did not print the network key line"
    ls -a "$T/$n" | grep -q 'network_key.tmp' && fail "$n left its temporary file"
done
[ "${KEY[A]}" != "${KEY[B]}" ] || fail "two --init nodes made the same key"
[ "$(jget mrenclave < "$T/docA")" = "$(jget mrenclave < "$T/docB")" ] || fail "not one build"
ok "two networks from one build and bundle: A ${KEY[A]:0:16}..., B ${KEY[B]:0:16}...; each --init printed its key and wrote DIR/network_key"

# ---- usage: --init with --network-key; malformed and private keys
"$ESGXD" --data-dir "$T/U" --init --network-key "${XPUB[A]}" >"$T/usage.out" 2>&1
[ $? = 2 ] || fail "--init with --network-key was not a usage error"
grep -q -- '--init and --network-key exclude each other' "$T/usage.out" || fail "usage message"
refuses_start U1 U1 --sim-bundle "$T/sim" --network-key not-a-key \
    --peers "127.0.0.1:${PEERPORT[A]}"
grep -q -- '--network-key: expected the network.s xpub' "$T/U1.log" || fail "bad key message"
XPRV_LIKE="xprv${XPUB[A]:4}"
refuses_start U2 U2 --sim-bundle "$T/sim" --network-key "$XPRV_LIKE" \
    --peers "127.0.0.1:${PEERPORT[A]}"
grep -q -- '--network-key' "$T/U2.log" || fail "an xprv-looking pin was not refused"
for d in U1 U2; do [ -e "$T/$d/shared_key.sealed" ] && fail "$d sealed a key"; done
ok "--init excludes --network-key (usage error); a malformed pin stops the node"

# ---- N pinned to A, offered only B's endpoint: never seals B's key
PB=127.0.0.1:${PEERPORT[B]}
PA=127.0.0.1:${PEERPORT[A]}
start N --sim-bundle "$T/sim" --network-key "${XPUB[A]}" --peers "$PB"
WANT="peer $PB offered network key ${KEY[B]}, expected ${KEY[A]}"
wait_log N 'key fetch round 2 failed' 30
wait_log B 'sent the network key to peer' 10      # B did answer: the refusal is N's
grep -qF "the key from peer $PB was not installed: $WANT" "$T/N.log" ||
    fail "N's log does not name the peer and both keys"
S=$(health N)
[ "$S" = 503 ] || fail "N answered /health $S while refusing B's key"
[ "$(jget error < "$T/health")" = "$WANT (--network-key)" ] ||
    fail "N's /health error: $(cat "$T/health")"
[ "$(jget enclave < "$T/health")" = no_key ] || fail "N's /health enclave state"
[ -z "$(key N)" ] || fail "N serves a key"
[ -e "$T/N/shared_key.sealed" ] && fail "N sealed B's key"
wait_log N 'key fetch round 3 failed' 30
[ "$(health N)" = 503 ] || fail "N became healthy on B's key"
[ -e "$T/N/shared_key.sealed" ] && fail "N sealed B's key"
ok "pinned to A and offered only B: refused, /health 503 ($(jget error < "$T/health" | cut -c1-60)...), nothing sealed"
stop N

# ---- then given A's endpoint too (after B's): refuses B, takes A in the same round
start N --sim-bundle "$T/sim" --network-key "${XPUB[A]}" --peers "$PB,$PA"
wait_healthy N 60
[ "$(key N)" = "${KEY[A]}" ] || fail "N joined with another key than A's"
[ -f "$T/N/shared_key.sealed" ] || fail "N did not seal A's key"
[ -z "$(jget error < "$T/health")" ] || fail "healthy N still reports an error"
grep -qF "obtained the network key from a peer at $PA" "$T/N.log" || fail "N's log (A)"
grep -qF "the key from peer $PB was not installed" "$T/N.log" || fail "N did not try B first"
ok "with A's endpoint after B's: B's key refused, A's key sealed, /health 200"

# ---- the same by the 66-hex public key, the other way round
start M --sim-bundle "$T/sim" --network-key "${KEY[B]}" --peers "$PA,$PB"
wait_healthy M 60
[ "$(key M)" = "${KEY[B]}" ] || fail "M (pinned to B by public key) joined another network"
grep -qF "peer $PA offered network key ${KEY[A]}, expected ${KEY[B]}" "$T/M.log" ||
    fail "M did not refuse A's key"
ok "a pin by public key (hex) works too: M refused A's key and joined B"

# ---- a sealed key that is not the pinned one: the node refuses to start
stop N
SUM=$(sha256sum < "$T/N/shared_key.sealed")
for pin in "${XPUB[B]}" "${KEY[B]}"; do
    refuses_start N N-wrong --sim-bundle "$T/sim" --network-key "$pin" --peers "$PB"
    grep -qF "holds network key ${KEY[A]}, but --network-key pins ${KEY[B]}" "$T/N-wrong.log" ||
        fail "the refusal does not name both keys: $(grep -i 'network key' "$T/N-wrong.log" | head -3)"
    grep -q 'refusing to start' "$T/N-wrong.log" || fail "no 'refusing to start'"
    grep -q 'fatal: the enclave refused its configuration' "$T/N-wrong.log" ||
        fail "esgxd did not stop on the enclave's refusal"
    grep -q 'obtained the network key\|sealed to' "$T/N-wrong.log" && fail "N fetched a key"
    [ "$(sha256sum < "$T/N/shared_key.sealed")" = "$SUM" ] || fail "the sealed key changed"
done
start N --sim-bundle "$T/sim" --network-key "${KEY[A]}" --peers "$PB"
wait_healthy N 30
[ "$(key N)" = "${KEY[A]}" ] || fail "restarted N has another key"
ok "A's sealed key with B's key pinned (xpub or hex): refuses to start, file intact; the right pin starts"

# ---- esgx nodes names the network key
"$ESGX" login --node "${HTTP[A]}" --sim-root "$T/sim/sim_root.pem" >/dev/null 2>"$T/login.err" ||
    fail "login: $(cat "$T/login.err")"
"$ESGX" nodes > "$T/nodes.out" 2>"$T/nodes.err" || fail "esgx nodes: $(cat "$T/nodes.err")"
head -1 "$T/nodes.out" | grep -qF "network key: ${KEY[A]} (xpub ${XPUB[A]}), pinned at login" ||
    fail "esgx nodes' first line: $(head -1 "$T/nodes.out")"
"$ESGX" nodes --json > "$T/nodes.json" || fail "esgx nodes --json"
python3 -c 'import json,sys; assert isinstance(json.load(open(sys.argv[1])), list)' \
    "$T/nodes.json" || fail "esgx nodes --json is not the list"
ok "esgx nodes prints the network key first"

# ---- through etcd: the only member etcd lists is another network's enclave
if command -v etcd >/dev/null && command -v etcdctl >/dev/null; then
    declare -A NET_PIDS ETCD_CLIENT
    . "$SRC/tests/net_lib.sh"
    extra_cleanup() { net_cleanup; }
    etcd_cluster 1
    member() {   # member ID PEER: a members/ record as a node writes it (no lease)
        printf '{"id":"%s","url":"http://127.0.0.1:9","peer":"%s","platform":"sim","mrenclave":"%s","has_key":true,"version":"0.1.0","joined":1}' \
            "$1" "$2" "$(jget mrenclave < "$T/docB")" |
            ETCDCTL_API=3 etcdctl --endpoints="$ETCD_ENDPOINTS" put "/esgx/members/$1" >/dev/null ||
            fail "etcdctl put members/$1"
    }
    member foreign "$PB"
    EP=$(free_port)
    joiner() {
        : > "$T/E.log"
        "$ESGXD" --data-dir "$T/E" --listen "127.0.0.1:$EP" --sim-bundle "$T/sim" \
            --etcd "$ETCD_ENDPOINTS" --advertise "http://127.0.0.1:$EP" \
            --network-key "${XPUB[A]}" >>"$T/E.log" 2>&1 &
        PID[E]=$!
        HTTP[E]=http://127.0.0.1:$EP
    }
    joiner
    wait_log E 'key fetch round 2 failed' 60
    wait_log B "sent the network key to peer" 10
    grep -qF "the key from peer $PB was not installed: $WANT" "$T/E.log" ||
        fail "E's log does not name the foreign peer and both keys"
    [ "$(health E)" = 503 ] && [ "$(jget error < "$T/health")" = "$WANT (--network-key)" ] ||
        fail "E's /health while etcd lists only B: $(cat "$T/health")"
    [ -e "$T/E/shared_key.sealed" ] && fail "E sealed the key of the network etcd pointed it at"
    ok "through etcd listing only another network's enclave: refused, /health 503 naming it, nothing sealed"
    stop E
    member real "$PA"   # the right network's member appears: E joins it, never B
    joiner
    wait_healthy E 60
    [ "$(key E)" = "${KEY[A]}" ] || fail "E joined with another key than A's"
    ok "with A's member listed too: E seals A's key (never B's)"
fi

echo "all net_join_pin checks passed"
