#!/bin/sh
# crypto_cli.sh: `esgx encrypt` usage, exit codes (0 ok, 1 bad key/hash/path/file,
# 2 wrong usage) and messages. Functional output is checked in js/crypto_cli.mjs.
set -u
ESGX="${ESGX_BUILD_DIR:?run through ctest}/esgx"
[ -x "$ESGX" ] || { echo "FAIL: $ESGX not built" >&2; exit 1; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0

# expect STATUS PATTERN CMD... : exit status and a stderr+stdout pattern (grep -E)
expect() {
    want=$1 pat=$2
    shift 2
    "$@" >"$T/out" 2>&1
    got=$?
    if [ "$got" -ne "$want" ]; then
        echo "FAIL: '$*' exited $got, want $want" >&2
        sed 's/^/    /' "$T/out" >&2
        fails=$((fails + 1))
    elif [ -n "$pat" ] && ! grep -Eq -- "$pat" "$T/out"; then
        echo "FAIL: '$*' output lacks /$pat/" >&2
        sed 's/^/    /' "$T/out" >&2
        fails=$((fails + 1))
    fi
}

G=0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798   # generator point
XPUB=xpub661MyMwAqRbcFtXgS5sYJABqqG9YLmC4Q1Rdap9gSE8NqtwybGhePY2gZ29ESFjqJoCu1Rupje8YtGqsefD265TMg7usUDFdp6W1EGMcet8
XPRV=xprv9s21ZrQH143K3QTDL4LXw2F7HEK3wJUD2nW2nRk4stbPy6cq3jPPqjiChkVvvNKmPGJxWUtg6LnF5kejMRNNU3TGtRBeJgk33yuGBxrMPHi
H=$(printf 'ab%.0s' $(seq 32))
F="$T/f.wasm"
printf 'module bytes' >"$F"
: >"$T/empty"

# help and usage
expect 0 "module.*shared.*|shared" "$ESGX" encrypt --help
expect 0 "usage: esgx encrypt module" "$ESGX" encrypt module --help
expect 0 "usage: esgx encrypt shared" "$ESGX" encrypt shared -h
expect 0 "--path HEX" "$ESGX" encrypt wasm --help
expect 2 "give a mode" "$ESGX" encrypt
expect 2 "unknown mode 'bogus'" "$ESGX" encrypt bogus
expect 2 "--pubkey is required" "$ESGX" encrypt module "$F"
expect 2 "exactly one FILE" "$ESGX" encrypt module --pubkey $G
expect 2 "exactly one FILE" "$ESGX" encrypt module --pubkey $G "$F" "$F"
expect 2 "unknown option '--frob'" "$ESGX" encrypt module --pubkey $G --frob "$F"
expect 2 "needs a value" "$ESGX" encrypt module "$F" --pubkey
expect 2 "unknown option '--path'" "$ESGX" encrypt module --pubkey $G --path 0000 "$F"
expect 2 "at least one HASH" "$ESGX" encrypt shared --pubkey $G "$F"
expect 2 "a HASH and a FILE" "$ESGX" encrypt wasm --pubkey $XPUB "$F"
expect 2 "needs a value" "$ESGX" encrypt wasm --pubkey $XPUB $H "$F" --path

# bad keys
expect 1 "non-hex" "$ESGX" encrypt module --pubkey 02zz${G#0279} "$F"
expect 1 "66 hex characters" "$ESGX" encrypt module --pubkey 02abcd "$F"
expect 1 "not a valid secp256k1 point" "$ESGX" encrypt module --pubkey 05${G#02} "$F"
expect 1 "private extended key" "$ESGX" encrypt module --pubkey $XPRV "$F"
expect 1 "not a valid xpub.*checksum" "$ESGX" encrypt module --pubkey "${XPUB%?}9" "$F"
expect 1 "not a valid xpub.*alphabet" "$ESGX" encrypt module --pubkey "${XPUB%?}0" "$F"
expect 1 "needs the network xpub" "$ESGX" encrypt wasm --pubkey $G $H "$F"
# bad hashes and paths
expect 1 "64 hex characters" "$ESGX" encrypt wasm --pubkey $XPUB ${H%?} "$F"
expect 1 "non-hex" "$ESGX" encrypt shared --pubkey $G "$F" $H "${H%??}zz"
expect 1 "odd length" "$ESGX" encrypt wasm --pubkey $XPUB --path abc $H "$F"
expect 1 "path of 3 bytes" "$ESGX" encrypt wasm --pubkey $XPUB --path aabbcc $H "$F"
expect 1 "at most 256" "$ESGX" encrypt wasm --pubkey $XPUB --path "$(printf '00%.0s' $(seq 258))" $H "$F"
# files
expect 1 "No such file" "$ESGX" encrypt module --pubkey $G "$T/missing"
expect 1 "empty" "$ESGX" encrypt shared --pubkey $G "$T/empty" $H
[ ! -e "$T/missing.cipher" ] && [ ! -e "$T/empty.cipher" ] || {
    echo "FAIL: an output file was left behind after a failure" >&2; fails=$((fails + 1)); }

# success paths: sizes, default name, 256-byte path, -o -
expect 0 "" "$ESGX" encrypt module --pubkey $G "$F"
size=$(wc -c <"$F.cipher" 2>/dev/null || echo 0)
[ "$size" -eq $((12 + 97)) ] || { echo "FAIL: $F.cipher is $size bytes, want 109" >&2; fails=$((fails + 1)); }
expect 0 "" "$ESGX" encrypt module --pubkey=$XPUB "$F" -o "$T/x.cipher"
[ -s "$T/x.cipher" ] || { echo "FAIL: -o OUT not written" >&2; fails=$((fails + 1)); }
n=$("$ESGX" encrypt shared --pubkey $G "$F" $H $H -o - | wc -c)
[ "$n" -eq $((27 + 1 + 64 + 12 + 97)) ] || { echo "FAIL: shared -o - gave $n bytes" >&2; fails=$((fails + 1)); }
n=$("$ESGX" encrypt wasm --pubkey $XPUB --path "$(printf '00%.0s' $(seq 256))" $H "$F" -o - | wc -c)
[ "$n" -eq $((12 + 97)) ] || { echo "FAIL: wasm -o - gave $n bytes" >&2; fails=$((fails + 1)); }

if [ "$fails" -ne 0 ]; then
    echo "crypto_cli_usage: $fails failure(s)" >&2
    exit 1
fi
echo "crypto_cli_usage: all checks passed"
