#!/usr/bin/env bash
# net_names: owned, signed function names in a network (docs/security.md (Names)), with real
# processes on loopback: etcd, two esgxd nodes (sim; node1 --init, node2 joins pinned),
# nginx in front, and three CLI users with their own developer keys: A deploys, B is
# another developer, C only invokes (and pins owners).
#  1. A deploys `pay` (hello.wasm) and `other` (echo.wasm, which prints its input: the
#     marker shows if it ever runs for `pay`); C invokes pay through nginx and pins A.
#  2. whoever writes etcd: functions/pay with its record's hash replaced by other's, and
#     separately with other's whole record copied over it: `esgx invoke pay` exits 1
#     naming the reason, the JS client too, `POST /functions/pay` answers 403
#     bad_record on both nodes, no answer carries the marker and neither enclave's
#     executions count moves (nothing ran).
#  3. B cannot take `pay` over (409 name_owned naming both keys).
#  4. A transfers pay to B; then A cannot deploy it (409), B can; C follows the transfer
#     (re-pinned, said on stderr).
#  5. a lying node: an older, validly signed record of pay put back into etcd is refused
#     by C as a rollback; a record of another owner (the name deleted by the admin and
#     deployed anew by A) is refused until C passes --owner.
set -u
SRC=${ESGX_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${ESGX_BUILD_DIR:-$SRC/build}
ESGX=$BUILD/esgx
[ -d "$SRC/tests/js/node_modules/@noble/curves" ] || { echo "skip: tests/js/node_modules missing" >&2; exit 77; }
source "$SRC/tests/net_lib.sh"
net_test_begin names etcd etcdctl nginx curl python3 node
jget() { python3 -c 'import json,sys; v=json.load(sys.stdin).get(sys.argv[1]); print("" if v is None else v)' "$1"; }
has() { grep -qF -- "$2" "$T/$1" || fail "$1 lacks: $2"; }

start_node() { net_node_start "$@"; }
# as USER CMD...: esgx as user a, b or c (its own config folder and developer key)
as() { local u=$1; shift; XDG_CONFIG_HOME=$T/config-$u "$ESGX" "$@" >"$T/out" 2>"$T/err" </dev/null; }
ectl() { etcdctl --endpoints="$ETCD_ENDPOINTS" "$@"; }
KEY=/esgx/functions/pay
# put_pay FILE: writes FILE as functions/pay and waits until both nodes serve its record
put_pay() {
    ectl put "$KEY" <"$1" >/dev/null || fail "etcdctl put"
    local want
    want=$(python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))["record"], separators=(",",":")))' "$1")
    for i in 1 2; do
        for _ in $(seq 1 50); do
            [ "$(curl -s "$(url $i)/functions/pay")" = "$want" ] && continue 2
            sleep 0.1
        done
        fail "node$i does not serve the record put into etcd"
    done
}
# executions: the enclaves' executions, summed over both nodes
executions() {
    local s=0 i v
    for i in 1 2; do
        v=$(curl -s "$(url $i)/metrics" | sed -n 's/^esgx_enclave_executions_total \([0-9]*\)$/\1/p')
        [ -n "$v" ] || fail "node$i has no esgx_enclave_executions_total"
        s=$((s + v))
    done
    echo "$s"
}
MARK=OTHER-MODULE-RAN-$$
# refused_everywhere WHY: invoking pay is refused by the CLI (naming WHY), the JS client
# and both nodes, and nothing ran
refused_everywhere() {
    local before after i
    before=$(executions)
    as c invoke pay --input "$MARK" && fail "esgx invoke pay accepted a forged record"
    has err "function 'pay'"
    has err "$1"
    grep -q "$MARK" "$T/out" && fail "the other module's output reached stdout"
    node "$T/app/client.mjs" --node "$(url 2)" --name pay --input "$MARK" --network-key "$NETKEY" \
        >"$T/out" 2>"$T/err" && fail "the JS client accepted a forged record"
    has err "$1"
    for i in 1 2; do
        st=$(curl -s -o "$T/body" -w '%{http_code}' -X POST --data "$MARK" "$(url $i)/functions/pay")
        [ "$st" = 403 ] || fail "POST /functions/pay on node$i: HTTP $st, want 403"
        grep -q '"code":"bad_record"' "$T/body" || fail "node$i: not bad_record"
        grep -q "$MARK" "$T/body" && fail "node$i ran the other module"
    done
    after=$(executions)
    [ "$after" = "$before" ] || fail "the enclaves executed something ($before -> $after)"
}

# ---------------------------------------------------------------- the network
etcd_cluster 1 || fail "etcd did not start"
"$ESGX" sim init "$T/sim" >/dev/null || fail "esgx sim init"
start_node 1 --init
wait_ready 1
NETKEY_XPUB=$(cat "$T/node1/network_key")
start_node 2 --network-key "$NETKEY_XPUB"
wait_ready 2
NETKEY=$(curl -s "$(url 1)/attestation" | jget public_key)
FRONT_PORT=$(net_free_port)
nginx_front "$FRONT_PORT" "$(url 1)" "$(url 2)" || fail "nginx did not start"
FRONT=http://127.0.0.1:$FRONT_PORT
TOKEN_FILE=$T/node1/admin.token
as a login --node "$(url 1)" --sim-root "$T/sim/sim_root.pem" --token-file "$TOKEN_FILE" || fail "login a"
has out "developer key "
as b login --node "$(url 2)" --sim-root "$T/sim/sim_root.pem" --token-file "$TOKEN_FILE" || fail "login b"
as c login --node "$FRONT" --sim-root "$T/sim/sim_root.pem" || fail "login c"
as a keys show; A=$(cat "$T/out")
as b keys show; B=$(cat "$T/out")
[ ${#A} = 66 ] && [ ${#B} = 66 ] && [ "$A" != "$B" ] || fail "developer keys: '$A' '$B'"
mkdir "$T/app"
cp "$SRC/sdk/js/client.mjs" "$SRC/sdk/js/seal.mjs" "$SRC/sdk/js/names.mjs" "$T/app/"
ln -s "$SRC/tests/js/node_modules" "$T/app/node_modules"

# ---------------------------------------------------------------- 1. deploy, pin
as a functions deploy --name pay --path "$BUILD/examples/hello.wasm" --no-encrypt || fail "deploy pay"
has out "record seq 1 signed by developer key $A"
as a functions deploy --name other --path "$BUILD/examples/echo.wasm" --no-encrypt || fail "deploy other"
E0=$(executions)
as c invoke pay --input x || fail "C invokes pay"
has out "Hello, world!"
[ "$(executions)" -gt "$E0" ] || fail "a run does not show in esgx_enclave_executions_total"
has err "pinned owner $A for function 'pay'"
ectl get "$KEY" --print-value-only >"$T/pay.v1" || fail "etcdctl get"
ectl get /esgx/functions/other --print-value-only >"$T/other.v"
ok "A deploys pay and other (signed records in etcd); C invokes pay through nginx and pins A"

# ---------------------------------------------------------------- 2. etcd writers
python3 - "$T/pay.v1" "$T/other.v" "$T/pay.hash" <<'EOF'
import json, sys
pay, other = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
pay["record"]["hash"] = other["record"]["hash"]       # point pay at the other module
json.dump(pay, open(sys.argv[3], "w"), separators=(",", ":"))
EOF
put_pay "$T/pay.hash"
refused_everywhere "record signature does not recover to its owner"
ok "etcd: pay's record with another hash: refused by esgx, the JS client and both nodes; nothing ran"
put_pay "$T/other.v"
refused_everywhere "the record of function 'other'"
ok "etcd: other's record copied over pay: refused by esgx, the JS client and both nodes; nothing ran"
put_pay "$T/pay.v1"
as c invoke pay --input x || fail "invoke after the record came back"

# ---------------------------------------------------------------- 3. another developer
as b functions deploy --name pay --path "$BUILD/examples/echo.wasm" --no-encrypt &&
    fail "B took pay over"
has err "HTTP 409 (name_owned)"
has err "function 'pay' is owned by $A; this record is signed by $B"
ok "B cannot take pay over: 409 naming both keys"

# ---------------------------------------------------------------- 4. transfer
as a functions deploy --name pay --path "$BUILD/examples/hello.wasm" --no-encrypt || fail "A redeploys pay"
as c invoke pay --input x || fail "invoke pay seq 2"
ectl get "$KEY" --print-value-only >"$T/pay.v2"
as a functions transfer pay --to "$B" || fail "transfer"
has out "transfer of function 'pay' to $B signed (seq 3)"
as a functions deploy --name pay --path "$BUILD/examples/hello.wasm" --no-encrypt &&
    fail "A deployed pay after giving it away"
has err "HTTP 409 (name_owned)"
has err "is being transferred by its owner $A to $B"
as b functions deploy --name pay --path "$BUILD/examples/echo.wasm" --no-encrypt || fail "B deploys pay"
has out "record seq 4 signed by developer key $B"
as c invoke pay --input "$MARK" || fail "C invokes pay after the transfer"
has out "$MARK"
has err "function 'pay' moved from $A to $B by transfers its owner signed; pinned $B"
ok "transfer: A gives pay to B; A cannot deploy it any more, B can; C follows the signed transfer"

# ---------------------------------------------------------------- 5. lying nodes
ectl get "$KEY" --print-value-only >"$T/pay.v4"
as b functions deploy --name pay --path "$BUILD/examples/echo.wasm" --no-encrypt || fail "B redeploys"
has out "record seq 5 signed by developer key $B"
as c invoke pay --input x || fail "C invokes pay seq 5"
put_pay "$T/pay.v4"   # B's own older record, validly signed: served as if current
as c invoke pay --input x && fail "C accepted a rollback"
has err "function 'pay': the node serves record seq 4, older than seq 5 seen before (a rollback)"
ok "a node serving an older record (seq 4 after 5) is refused as a rollback"
put_pay "$T/pay.v2"   # A's record from before the transfer: another owner than pinned
as c invoke pay --input x && fail "C accepted a record of the former owner"
has err "function 'pay' is owned by $A, but $B was pinned for it"
has err "not reachable from the pinned owner"
ok "a node serving a record of another owner (not reached by transfers) is refused"
as a functions delete pay || fail "the admin deletes pay"
as a functions deploy --name pay --path "$BUILD/examples/hello.wasm" --no-encrypt ||
    fail "A deploys pay anew after the admin's delete"
has out "record seq 1 signed by developer key $A"
as c invoke pay --input x && fail "C accepted a new owner without being told"
has err "function 'pay' is owned by $A, but $B was pinned for it"
as c invoke pay --input x --owner "$A" || fail "C with --owner A"
has out "Hello, world!"
has err "owner $A as demanded by --owner (was $B); pinned"
as c invoke pay --input x || fail "C after re-pinning"
ok "a name deleted and deployed anew by another key: refused until --owner names it"
echo "net_names: all ok"
