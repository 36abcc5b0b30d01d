#!/usr/bin/env bash
# node_names.sh: owned, signed names on a node alone (SQLite registry.db), through the
# HTTP API with records and transfers signed by tests/crypto_tool (docs/http-api.md
# PUT /functions/{name}, POST /functions/{name}/transfer, GET /functions/{name}):
#   - the first deploy binds the owner; GET serves the record byte for byte (also after
#     a restart: SQLite keeps it);
#   - another key's deploy: 409 name_owned naming both keys; seq not above: 409
#     stale_seq; a record for another name, another network or with a changed field:
#     409 record_refused; the unsigned body of before: 400 unsigned_deploy;
#   - a transfer by the owner is pending (X-Esgx-Pending-Transfer); by another key 409;
#     then the old owner cannot deploy, the new one must go above the transfer's seq;
#     the stored record then carries the chain, reachable from the first owner;
#   - an invocation by name is bound to the record (header name/owner/seq);
#   - DELETE (admin) unbinds the owner: another key may deploy the name.
. "$(dirname "$0")/node_lib.sh"
need node
[ -x "$BUILD/crypto_tool" ] || { echo "skip: crypto_tool not built" >&2; exit 77; }
[ -x "$ENCLAVE" ] || { echo "skip: esgx-enclave not built" >&2; exit 77; }

start_node a --init
AUTH=(-H "Authorization: Bearer $(cat "$T/a/admin.token")")
NET=$(curl -s "$URL/attestation" | json public_key)
SKA=$DEV_SK
SKB=$(printf '22%.0s' $(seq 1 32))
A=$(pubkey "$SKA")
B=$(pubkey "$SKB")
req POST /content "${AUTH[@]}" --data-binary @"$BUILD/examples/hello.wasm"; expect 200
HELLO=$(json hash < "$T/body")
req POST /content "${AUTH[@]}" --data-binary @"$BUILD/examples/echo.wasm"; expect 200
ECHO=$(json hash < "$T/body")
put() { req PUT "/functions/$1" "${AUTH[@]}" --data-binary "$2"; }
has_msg() { grep -qF -- "$1" "$T/body" || fail "the answer does not say: $1"; }

# ---- first deploy, GET byte for byte
REC1=$(record pay "$HELLO" false 1 "$SKA")
put pay '{"record":'"$REC1"',"logs":false}'; expect 201
[ "$(json owner < "$T/body")" = "$A" ] || fail "owner in the deploy answer"
req GET /functions/pay; expect 200
[ "$(cat "$T/body")" = "$REC1" ] || fail "GET /functions/pay is not the record byte for byte"
ok "the first deploy binds the owner; GET /functions/NAME serves the record byte for byte"

# ---- refusals
put pay "$(deploy_body pay "$ECHO" false 2 "$SKB")"; expect 409 name_owned
has_msg "function 'pay' is owned by $A; this record is signed by $B"
put pay "$(deploy_body pay "$ECHO" false 1 "$SKA")"; expect 409 stale_seq
has_msg "record seq 1 of function 'pay' is not above the stored record's seq 1"
put pay "$(deploy_body other "$HELLO" false 2 "$SKA")"; expect 409 record_refused
has_msg "the record is for function 'other', not 'pay'"
OTHERNET=$(printf '{"name":"pay","network":"%s","hash":"%s","encrypted":false,"seq":2,"owner":"%066d","signature":"%0130d"}' \
    "$B" "$HELLO" 0 0 | "$BUILD/crypto_tool" name-record-sign "$SKA")
put pay '{"record":'"$OTHERNET"'}'; expect 409 record_refused
has_msg "record is for another network"
CHANGED=$(record pay "$HELLO" false 2 "$SKA" | sed "s/$HELLO/$ECHO/")
put pay '{"record":'"$CHANGED"'}'; expect 409 record_refused
has_msg "record signature does not recover to its owner"
put pay '{"hash":"'$ECHO'","decrypt":false}'; expect 400 unsigned_deploy
put pay '{"record":'"${REC1/\"seq\":1/\"seq\":0}"'}'; expect 400 bad_record
put nothere "$(deploy_body nothere "$(printf 'ab%.0s' $(seq 1 32))")"; expect 404 unknown_hash
req GET /functions/pay; expect 200
[ "$(cat "$T/body")" = "$REC1" ] || fail "a refused deploy changed the record"
ok "refused: another owner (409 naming both keys), an old seq, another name or network, a changed record, the unsigned body"

# ---- transfer
transfer() {   # transfer SEQ TO SKHEX: the transfer JSON
    "$BUILD/crypto_tool" name-transfer-sign "$NET" pay "$1" "$2" "$3" |
        node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const t=JSON.parse(s);
          console.log(JSON.stringify({seq:+process.argv[1],from:t.from,to:process.argv[2],signature:t.signature}))})' "$1" "$2"
}
req POST /functions/pay/transfer "${AUTH[@]}" --data-binary "$(transfer 2 "$B" "$SKB")"; expect 409 name_owned
has_msg "this transfer is signed by $B"
req POST /functions/pay/transfer "${AUTH[@]}" --data-binary "$(transfer 1 "$B" "$SKA")"; expect 409 stale_seq
req POST /functions/pay/transfer --data-binary "$(transfer 2 "$B" "$SKA")"; expect 401 unauthorized
req POST /functions/pay/transfer "${AUTH[@]}" --data-binary "$(transfer 2 "$B" "$SKA")"; expect 200
[ "$(json transfer < "$T/body" | json to)" = "$B" ] || fail "the pending transfer in the answer"
curl -s -D "$T/head" -o "$T/body" "$URL/functions/pay"
grep -qi "^X-Esgx-Pending-Transfer: {\"seq\":2,\"from\":\"$A\",\"to\":\"$B\"" "$T/head" ||
    fail "no pending transfer header: $(cat "$T/head")"
[ "$(cat "$T/body")" = "$REC1" ] || fail "the record changed before the new owner's deploy"
put pay "$(deploy_body pay "$HELLO" false 3 "$SKA")"; expect 409 name_owned
has_msg "is being transferred by its owner $A to $B; this record is signed by $A"
put pay "$(deploy_body pay "$ECHO" false 2 "$SKB")"; expect 409 stale_seq
has_msg "is not above the pending transfer's seq 2"
put pay "$(deploy_body pay "$ECHO" false 3 "$SKB")"; expect 200
req GET /functions/pay; expect 200
cp "$T/body" "$T/rec3"
[ "$(json owner < "$T/rec3")" = "$B" ] || fail "owner after the transfer"
[ "$("$BUILD/crypto_tool" name-record-chain "$A" < "$T/rec3")" = reachable ] ||
    fail "the stored chain does not lead from A to B"
curl -s -D "$T/head" -o /dev/null "$URL/functions/pay"
grep -qi "X-Esgx-Pending-Transfer" "$T/head" && fail "the transfer is still pending after B's deploy"
ok "transfer: pending until the new owner deploys above its seq; the old owner is refused; the record carries the chain"

# ---- restart: SQLite keeps records; invocation is bound to the record
stop_node
start_node a
req GET /functions/pay; expect 200
cmp -s "$T/body" "$T/rec3" || fail "the record changed across a restart"
printf 'world' >"$T/in"
req POST /functions/pay --data-binary @"$T/in"; expect 200
node "$SRC/tests/node_verify.mjs" "$T/body" "$ECHO" 0 1000000000 main "$T/in" "$NET" pay "$B" 3 ||
    fail "the answer by name is not bound to the record"
ok "after a restart: the same record; an invocation by name is bound to name, owner and seq"

# ---- the admin unbinds
req DELETE /functions/pay "${AUTH[@]}"; expect 200
put pay "$(deploy_body pay "$HELLO" false 1 "$SKA")"; expect 201
[ "$(json owner < "$T/body")" = "$A" ] || fail "owner after the admin's delete"
ok "DELETE (admin) unbinds the owner: the name binds anew"
echo "node_names: all ok"
