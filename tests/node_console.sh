#!/usr/bin/env bash
# node_console.sh: the node side of the web console against a real esgxd + esgx-enclave:
# GET / is the bundle's index.html with its Content-Security-Policy (every directive) and
# the other security headers; every file SHA256SUMS lists is served with that hash, and
# `esgxd --version` names the SHA-256 of the served SHA256SUMS; unknown files (and paths
# that try the file system) 404, other methods 405, --no-console 404; CORS on the public
# GETs and never on token routes; esgx_fuel_used_total and esgx_queue_depth in /metrics;
# /metrics/history samples (the first at start); GET /functions/NAME/invocations lists
# the last invocations (by name and by hash, newest first, errors too) behind the token.
# The sampling interval is shortened for the test with ESGX_METRICS_INTERVAL_MS.
. "$(dirname "$0")/node_lib.sh"
need node
need sha256sum
[ -x "$ENCLAVE" ] && [ -f "$BUILD/examples/echo.wasm" ] \
    || { echo "skip: esgx-enclave or examples/echo.wasm not built" >&2; exit 77; }
"$ESGXD" --version > "$T/version" || fail "esgxd --version"
grep -qx 'console none' "$T/version" && { echo "skip: esgxd built without the console" >&2; exit 77; }
BUNDLE=$(sed -n 's/^console sha256:\([0-9a-f]\{64\}\)$/\1/p' "$T/version")
[ -n "$BUNDLE" ] || fail "esgxd --version has no 'console sha256:HEX' line: $(cat "$T/version")"

export ESGX_METRICS_INTERVAL_MS=300
start_node a --init
TOK=$(cat "$T/a/admin.token")
AUTH=(-H "Authorization: Bearer $TOK")
# hdr NAME: the value of response header NAME in $T/headers (curl -D)
hdr() { tr -d '\r' < "$T/headers" | sed -n "s/^$1: //Ip" | tail -1; }
get() {   # get PATH [curl args...]: STATUS, body in $T/body, headers in $T/headers
    local p=$1; shift
    rm -f "$T/body"   # curl writes no file for an empty body
    STATUS=$(curl -s -D "$T/headers" -o "$T/body" -w '%{http_code}' "$URL$p" "$@")
}

# ---- GET /: index.html with the headers of every console file
get /; expect 200
case "$(hdr Content-Type)" in text/html*) ;; *) fail "GET / Content-Type: $(hdr Content-Type)";; esac
[ "$(hdr Cache-Control)" = no-cache ] || fail "Cache-Control: $(hdr Cache-Control)"
[ "$(hdr X-Content-Type-Options)" = nosniff ] || fail "X-Content-Type-Options"
[ "$(hdr Referrer-Policy)" = no-referrer ] || fail "Referrer-Policy"
CSP=$(hdr Content-Security-Policy)
for d in "default-src 'none'" "script-src 'self'" "style-src 'self'" "img-src 'self' data:" \
         "connect-src 'self'" "base-uri 'none'" "form-action 'none'" "frame-ancestors 'none'"; do
    case "; $CSP;" in *"; $d;"*) ;; *) fail "CSP lacks \"$d\": $CSP";; esac
done
[ -z "$(hdr Access-Control-Allow-Origin)" ] || fail "the console itself must not be CORS-open"
ok "GET / is text/html with the CSP ($CSP) and nosniff, no-referrer, no-cache"

# ---- every file of SHA256SUMS, with its hash; the bundle hash is --version's
get /console/SHA256SUMS; expect 200
cp "$T/body" "$T/SHA256SUMS"
[ "$(sha256sum < "$T/SHA256SUMS" | cut -c1-64)" = "$BUNDLE" ] \
    || fail "SHA-256 of the served SHA256SUMS is not esgxd --version's $BUNDLE"
n=0
while read -r sum name; do
    get "/console/$name"; expect 200
    [ "$(sha256sum < "$T/body" | cut -c1-64)" = "$sum" ] || fail "/console/$name: hash differs"
    [ -n "$(hdr Content-Security-Policy)" ] || fail "/console/$name without CSP"
    case "$name" in
        *.js) case "$(hdr Content-Type)" in text/javascript*) ;; *) fail "$name type";; esac;;
        *.css) case "$(hdr Content-Type)" in text/css*) ;; *) fail "$name type";; esac;;
    esac
    n=$((n + 1))
done < "$T/SHA256SUMS"
[ "$n" -ge 3 ] || fail "SHA256SUMS lists $n files (index.html, console.js, console.css expected)"
grep -q '  index.html$' "$T/SHA256SUMS" || fail "no index.html in SHA256SUMS"
get /; [ "$(sha256sum < "$T/body" | cut -c1-64)" = "$(sed -n 's/  index.html$//p' "$T/SHA256SUMS")" ] \
    || fail "GET / is not the index.html of SHA256SUMS"
ok "the $n files of SHA256SUMS are served with their hashes; esgxd --version says sha256:$BUNDLE"

# ---- revalidation, HEAD, unknown files, other methods
etag=$(curl -s -D - -o /dev/null "$URL/console/SHA256SUMS" | tr -d '\r' | sed -n 's/^ETag: //Ip')
[ "$etag" = "\"$(sed -n 's/  SHA256SUMS$//p' "$T/SHA256SUMS")\"" ] || [ "$etag" = "\"$BUNDLE\"" ] \
    || fail "ETag $etag is not the file's SHA-256"
get /console/SHA256SUMS -H "If-None-Match: $etag"; expect 304
[ ! -s "$T/body" ] || fail "a 304 with a body"
STATUS=$(curl -s -I -o "$T/headers" -w '%{http_code}' "$URL/"); expect 200
[ -n "$(hdr Content-Security-Policy)" ] || fail "HEAD / without CSP"
get /console/nope.js; expect 404 not_found
get /console/; expect 404 not_found
get /console/../admin.token --path-as-is; expect 404 not_found
get /console/%2e%2e%2fadmin.token; expect 404 not_found
req POST /; expect 405 method_not_allowed
req PUT /console/index.html -d x; expect 405 method_not_allowed
ok "304 on a matching ETag; HEAD; unknown files and paths out of the bundle 404; POST 405"

# ---- CORS: the public GETs (errors too), never a token route
for p in /attestation /health /metrics /metrics/history /nodes; do
    get "$p"; [ "$(hdr Access-Control-Allow-Origin)" = '*' ] || fail "GET $p without CORS"
done
STATUS=$(curl -s -D "$T/headers" -o "$T/body" -w '%{http_code}' -X POST "$URL/nodes")
expect 405; [ "$(hdr Access-Control-Allow-Origin)" = '*' ] || fail "405 of /nodes without CORS"
get /functions "${AUTH[@]}"; expect 200
[ -z "$(hdr Access-Control-Allow-Origin)" ] || fail "GET /functions (token route) is CORS-open"
get /functions; expect 401 unauthorized
[ -z "$(hdr Access-Control-Allow-Origin)" ] || fail "401 of GET /functions is CORS-open"
ok "Access-Control-Allow-Origin: * on /attestation /health /metrics /metrics/history /nodes, not on /functions"

# ---- invocations: by name and by hash, an error, newest first, behind the token
req POST /content "${AUTH[@]}" --data-binary @"$BUILD/examples/echo.wasm"
[ "$STATUS" = 200 ] || expect 201
HASH=$(json hash < "$T/body")
req PUT /functions/echo "${AUTH[@]}" -H 'Content-Type: application/json' \
    --data-binary "$(deploy_body echo "$HASH")"; expect 201
for i in 1 2 3; do req POST /functions/echo --data-binary "call $i"; expect 200; done
req POST /services/3 -d '{"hash":"'"$HASH"'","input":"by hash"}'; expect 200
req POST '/functions/echo?fuel=1' --data-binary "starved"; [ "$STATUS" != 200 ] \
    || fail "an invocation with 1 fuel succeeded"
get /functions/echo/invocations "${AUTH[@]}"; expect 200
node -e '
const v = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).invocations;
const die = m => { console.error(m + ": " + JSON.stringify(v)); process.exit(1); };
if (v.length !== 5) die("5 invocations expected");
for (let i = 1; i < v.length; i++) if (!(v[i - 1].seq > v[i].seq)) die("not newest first");
if (v[0].status === "ok" || v[0].fuel < 0) die("the last one (1 fuel) must be an error");
for (const x of v.slice(1)) {
    if (x.status !== "ok" || !(x.fuel > 0) || typeof x.ms !== "number" || x.ms < 0 || x.sealed !== false)
        die("a good invocation as listed");
    if (!/^20\d\d-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(x.time)) die("time " + x.time);
}' "$T/body" || fail "GET /functions/echo/invocations"
get /functions/echo/invocations; expect 401 unauthorized
get /functions/nosuch/invocations "${AUTH[@]}"; expect 404 unknown_function
get '/functions/bad%20name/invocations' "${AUTH[@]}"; expect 400 bad_name
ok "GET /functions/NAME/invocations: by name and by hash, errors too, newest first; 401; 404"

# ---- /metrics: fuel and queue depth; console requests counted
req GET /metrics; expect 200
fuel=$(sed -n 's/^esgx_fuel_used_total \([0-9]*\)$/\1/p' "$T/body")
[ -n "$fuel" ] && [ "$fuel" -gt 0 ] || fail "esgx_fuel_used_total: '$fuel'"
grep -q '^# TYPE esgx_fuel_used_total counter$' "$T/body" || fail "fuel counter TYPE"
grep -qx 'esgx_queue_depth 0' "$T/body" || fail "esgx_queue_depth 0 expected at rest"
grep -q '^# TYPE esgx_queue_depth gauge$' "$T/body" || fail "queue gauge TYPE"
grep -q '^esgx_requests_total{route="console",status="200"} [1-9]' "$T/body" \
    || fail "console requests not counted"
ok "/metrics: esgx_fuel_used_total $fuel, esgx_queue_depth, route console"

# ---- /metrics/history: samples at the interval, the invocations in the newest
ok_history=
for _ in $(seq 1 50); do
    get /metrics/history; expect 200
    if node -e '
const h = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
const die = m => { console.error(m + ": " + JSON.stringify(h).slice(0, 600)); process.exit(2); };
if (h.interval_ms !== 300) die("interval_ms");
const s = h.samples;
if (!Array.isArray(s) || s.length < 2) process.exit(1);
for (let i = 1; i < s.length; i++) if (!(s[i].t > s[i - 1].t)) die("not oldest first");
for (const x of s) {
    if (x.latency_le_ms.length !== 12 || x.latency_buckets.length !== 13) die("buckets");
    if (x.latency_le_ms[0] !== 0.5 || x.latency_le_ms[11] !== 30000) die("bounds");
    for (const k of ["requests","invocations","traps","fuel","queue","cache_hits","cache_misses"])
        if (typeof x[k] !== "number") die(k);
}
const last = s[s.length - 1];
if (last.invocations < 5 || !(last.fuel > 0) || last.latency_buckets[12] < 4 || last.requests < 20)
    process.exit(1);
if (Math.abs(last.t - Date.now()) > 60000) die("t is not unix ms");' "$T/body"; then
        ok_history=1; break
    else
        [ $? = 2 ] && fail "GET /metrics/history"
    fi
    sleep 0.2
done
[ -n "$ok_history" ] || fail "/metrics/history never showed the invocations: $(head -c 600 "$T/body")"
ok "/metrics/history: samples oldest first every 300 ms, cumulative counters and latency buckets"
stop_node

# ---- --no-console: the routes are gone
start_node a --no-console
get /; expect 404 not_found
get /console/SHA256SUMS; expect 404 not_found
get /health; [ "$STATUS" = 200 ] || [ "$STATUS" = 503 ] || fail "/health with --no-console"
get /metrics/history; expect 200
grep -q '"samples":\[{"t":' "$T/body" || fail "a node that just started has its first sample"
stop_node
ok "--no-console: GET / and /console/... answer 404; the first history sample is taken at start"
