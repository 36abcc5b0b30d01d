#!/usr/bin/env bash
# node_tls.sh: esgxd --tls-cert/--tls-key. A self-signed certificate for 127.0.0.1 is
# made with `openssl req` at test time; then: /health and an upload with the admin token
# over https with curl --cacert; plain http to the TLS port gets no HTTP answer; curl
# without the CA refuses the certificate; the CLI (`esgx login --node https://...`)
# fails without a CA file and works with SSL_CERT_FILE or CURL_CA_BUNDLE; bad, missing,
# mismatched or lone files stop esgxd at startup with a message naming the file.
. "$(dirname "$0")/node_lib.sh"
need openssl
ESGX=$BUILD/esgx
export XDG_CONFIG_HOME=$T/config HOME=$T/home
unset ESGX_TIMEOUT CURL_CA_BUNDLE SSL_CERT_FILE

mkcert() { # mkcert NAME: $T/NAME.crt and $T/NAME.key, self-signed for 127.0.0.1
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
        -subj "/CN=esgx-test-$1" -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
        -keyout "$T/$1.key" -out "$T/$1.crt" 2>/dev/null || fail "openssl req failed"
}
mkcert a
mkcert b

# ---- startup errors: esgxd exits non-zero, naming the file and the fault
bad_start() { # bad_start WANT_TEXT esgxd-args...
    local want=$1; shift
    timeout 30 "$ESGXD" --data-dir "$T/bad" --listen 127.0.0.1:0 --enclave /bin/false "$@" \
        >"$T/bad.out" 2>&1 && fail "esgxd started with $*"
    grep -qF -- "$want" "$T/bad.out" || { cat "$T/bad.out" >&2; fail "no '$want' for $*"; }
}
bad_start "--tls-cert $T/none.crt: No such file" --tls-cert "$T/none.crt" --tls-key "$T/a.key"
bad_start "--tls-key $T/none.key: No such file" --tls-cert "$T/a.crt" --tls-key "$T/none.key"
printf 'not a certificate\n' >"$T/junk.pem"
bad_start "--tls-cert $T/junk.pem: no PEM certificate" --tls-cert "$T/junk.pem" --tls-key "$T/a.key"
bad_start "--tls-key $T/a.crt: no PEM private key" --tls-cert "$T/a.crt" --tls-key "$T/a.crt"
bad_start "--tls-key $T/b.key is not the key of --tls-cert $T/a.crt" \
    --tls-cert "$T/a.crt" --tls-key "$T/b.key"
bad_start "--tls-cert and --tls-key go together" --tls-cert "$T/a.crt"
bad_start "--tls-cert and --tls-key go together" --tls-key "$T/a.key"
ok "bad, missing, mismatched and lone TLS files stop esgxd with a clear message"

# ---- a node on https
ENC=("--init")
[ -x "$ENCLAVE" ] || ENC=("--enclave" "/bin/false")
"$ESGXD" --data-dir "$T/n" --listen 127.0.0.1:0 --tls-cert "$T/a.crt" --tls-key "$T/a.key" \
    "${ENC[@]}" >>"$T/n.log" 2>&1 &
NODE_PID=$!
for _ in $(seq 1 300); do
    PORT=$(grep -o 'listening on https://127.0.0.1:[0-9]*' "$T/n.log" | head -1 | sed 's/.*://')
    [ -n "$PORT" ] && break
    kill -0 "$NODE_PID" 2>/dev/null || fail "esgxd exited during startup"
    sleep 0.1
done
[ -n "$PORT" ] || fail "esgxd did not log 'listening on https://'"
URL=https://127.0.0.1:$PORT
TOK=$(cat "$T/n/admin.token")
C=(--cacert "$T/a.crt" --max-time 20)

req GET /health "${C[@]}"
[ "$STATUS" = 200 ] || [ "$STATUS" = 503 ] || fail "https /health: HTTP $STATUS"
grep -q '"status"' "$T/body" || fail "https /health body"
printf 'hello over tls\n' >"$T/c1"
WANT=$(b3sum --no-names "$T/c1" 2>/dev/null || "$ESGX" hash "$T/c1" | cut -d' ' -f1)
req POST /content "${C[@]}" -H "Authorization: Bearer $TOK" --data-binary @"$T/c1"; expect 200
grep -q "$WANT" "$T/body" || fail "upload answer does not name the hash $WANT"
req GET /content/$WANT "${C[@]}"; expect 200
cmp -s "$T/body" "$T/c1" || fail "download over https differs"
req POST /content "${C[@]}" --data-binary @"$T/c1"; expect 401 unauthorized
ok "https: /health, upload with the token, download, 401 without it (curl --cacert)"

# the wrong CA, and plain http to the TLS port: no HTTP answer
curl -s -o /dev/null --max-time 10 --cacert "$T/b.crt" "$URL/health" &&
    fail "curl accepted the certificate with another CA"
curl -s -o /dev/null --max-time 10 "$URL/health" && fail "curl accepted a self-signed certificate"
code=$(curl -s -o "$T/plain" -w '%{http_code}' --max-time 10 "http://127.0.0.1:$PORT/health")
[ "$code" = 000 ] || fail "plain http to the TLS port answered HTTP $code"
grep -q '"status"' "$T/plain" 2>/dev/null && fail "plain http to the TLS port got the API"
req GET /health "${C[@]}"
[ "$STATUS" = 200 ] || [ "$STATUS" = 503 ] || fail "https after a plain-http attempt: $STATUS"
ok "plain http and an unknown CA get no answer; the node keeps serving https"

# ---- the CLI
if [ -x "$ESGX" ] && [ -x "$ENCLAVE" ]; then
    for _ in $(seq 1 100); do
        curl -s "${C[@]}" "$URL/attestation" | grep -q public_key && break; sleep 0.2
    done
    "$ESGX" login --insecure-skip-attest --node "$URL" --token "$TOK" >"$T/out" 2>"$T/err" \
        </dev/null && fail "esgx login accepted a self-signed certificate without a CA file"
    grep -qi "certificate" "$T/err" || { cat "$T/err" >&2; fail "login error does not name the certificate"; }
    SSL_CERT_FILE=$T/b.crt "$ESGX" login --insecure-skip-attest --node "$URL" --token "$TOK" \
        >"$T/out" 2>"$T/err" </dev/null && fail "esgx login accepted the wrong CA file"
    SSL_CERT_FILE=$T/a.crt "$ESGX" login --insecure-skip-attest --node "$URL" --token "$TOK" \
        >"$T/out" 2>"$T/err" </dev/null || { cat "$T/err" >&2; fail "esgx login with SSL_CERT_FILE"; }
    CURL_CA_BUNDLE=$T/a.crt SSL_CERT_FILE=$T/b.crt "$ESGX" login --insecure-skip-attest \
        --node "$URL" --token "$TOK" --force >"$T/out" 2>"$T/err" </dev/null ||
        { cat "$T/err" >&2; fail "esgx login with CURL_CA_BUNDLE (over SSL_CERT_FILE)"; }
    CURL_CA_BUNDLE=$T/a.crt "$ESGX" functions list >"$T/out" 2>"$T/err" </dev/null ||
        { cat "$T/err" >&2; fail "esgx functions list over https"; }
    ok "esgx login --node https://...: refused without a CA file, works with SSL_CERT_FILE / CURL_CA_BUNDLE"
else
    echo "note: esgx or esgx-enclave not built; CLI over https not tested" >&2
fi

stop_node
ok "SIGTERM: clean exit"
