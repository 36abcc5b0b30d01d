#!/usr/bin/env bash
# net_console: in a network, the console's Content-Security-Policy lets the page fetch
# from every member (connect-src lists each member's origin from the network's view)
# and only from them, and the public GETs it reads from the other members carry CORS.
# Real processes on loopback: a 3-member etcd cluster and two esgxd nodes (sim).
set -u
SRC=${ESGX_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${ESGX_BUILD_DIR:-$SRC/build}
ESGX=$BUILD/esgx
source "$SRC/tests/net_lib.sh"
net_test_begin console etcd curl
"$BUILD/esgxd" --version | grep -qx 'console none' \
    && { echo "skip: esgxd built without the console" >&2; exit 77; }
as() { XDG_CONFIG_HOME=$T/config "$ESGX" "$@" >"$T/out" 2>"$T/err" </dev/null; }
csp() { curl -s -D - -o /dev/null "$1/" | tr -d '\r' | sed -n 's/^Content-Security-Policy: //Ip'; }

net_two_nodes
want="connect-src 'self' $(url 1) $(url 2);"
for i in 1 2; do
    got=
    for _ in $(seq 1 50); do   # node2's view learns of node1 (and itself) within seconds
        got=$(csp "$(url $i)")
        case "$got" in *"connect-src 'self' $(url 1) $(url 2);"* | \
                       *"connect-src 'self' $(url 2) $(url 1);"*) break;; esac
        sleep 0.1
    done
    case "$got" in *"connect-src 'self' $(url 1) $(url 2);"* | \
                   *"connect-src 'self' $(url 2) $(url 1);"*) ;;
        *) fail "node$i's CSP does not list both members ($want): $got";; esac
    case "$got" in *"default-src 'none';"*"frame-ancestors 'none'"*) ;;
        *) fail "node$i's CSP: $got";; esac
done
ok "the CSP of both nodes lets the console connect to itself and to $(url 1) $(url 2) only"
hdr=$(curl -s -D - -o /dev/null -H "Origin: $(url 1)" "$(url 2)/attestation" | tr -d '\r')
grep -qix 'Access-Control-Allow-Origin: \*' <<<"$hdr" || fail "node2's /attestation without CORS"
ok "node2's /attestation is readable from node1's console (CORS)"
