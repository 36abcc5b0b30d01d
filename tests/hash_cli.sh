#!/usr/bin/env bash
# hash_cli.sh: `esgx hash` against `b3sum`, byte for byte, over several files (empty,
# tiny, around chunk and tree-block sizes, a few MiB, a name with a space), stdin, and
# the options --length/-l, --no-names, --raw, --keyed, --derive-key, --num-threads, for
# each forced BLAKE3 implementation; and the error cases (missing file among others,
# directory, bad key length, --raw with two inputs, --keyed with --derive-key): exit
# status and a stderr naming the culprit. Skips (77) if b3sum is not installed.
set -u

esgx=${ESGX_BUILD_DIR:-build}/esgx
b3sum=${B3SUM:-b3sum}
command -v "$b3sum" >/dev/null || { echo "SKIP: b3sum not installed" >&2; exit 77; }
[ -x "$esgx" ] || { echo "FAIL: $esgx not built" >&2; exit 1; }

tmp=$(mktemp -d /tmp/esgx_hash_cli.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1

fails=0
checks=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

: > empty
printf 'abc' > tiny
head -c 1025 /dev/urandom > chunk1025
head -c $((256 * 1024 + 1)) /dev/urandom > block_plus1
head -c $((3 * 1024 * 1024 + 17)) /dev/urandom > three_mib
printf 'spaced name\n' > 'a b.txt'
head -c 32 /dev/urandom > key32
head -c 5 /dev/urandom > key5
head -c 33 /dev/urandom > key33
files=(empty tiny chunk1025 block_plus1 three_mib 'a b.txt')

# same STDIN_FILE ARGS...: runs b3sum and esgx hash with ARGS (stdin from STDIN_FILE,
# "" for /dev/null); stdout and exit status must be identical.
same() {
    local in=${1:-/dev/null}
    shift
    checks=$((checks + 1))
    "$b3sum" "$@" < "$in" > want.out 2> want.err
    local want_rc=$?
    "$esgx" hash "$@" < "$in" > got.out 2> got.err
    local got_rc=$?
    if ! cmp -s want.out got.out; then
        fail "stdout differs for args: $* (stdin $in)"
        diff <(od -c want.out | head -20) <(od -c got.out | head -20) >&2
    fi
    [ "$want_rc" = "$got_rc" ] || fail "exit $got_rc, b3sum $want_rc, for args: $*"
}

# Output of every mode, for each implementation the CPU has (forced by env var).
for impl in auto portable sse41 avx2 avx512; do
    export ESGX_BLAKE3_IMPL=$impl
    if [ "$impl" != auto ] && "$esgx" hash /dev/null 2>&1 >/dev/null | grep -q 'not supported'; then
        echo "note: $impl not supported by this CPU, skipped"
        continue
    fi
    same "" "${files[@]}"
    same "" --no-names "${files[@]}"
    same "" --length 100 "${files[@]}"
    same "" -l 7 tiny three_mib
    same "" --length 0 tiny
    same "" --length 5000 three_mib
    same "" --derive-key "esgx hash test 2024-01-01 context" "${files[@]}"
    same key32 --keyed "${files[@]}"
    same key32 --keyed --length 65 --no-names tiny block_plus1
    same three_mib
    same three_mib -
    same tiny --no-names -
    same "" --raw three_mib
    same "" --raw --length 1000 block_plus1
    same "" --num-threads 1 tiny chunk1025
done
unset ESGX_BLAKE3_IMPL

# A missing file among others: the others are still hashed, exit 1, stderr names it.
same "" tiny no_such_file three_mib
grep -q 'no_such_file' got.err || fail "stderr does not name the missing file: $(cat got.err)"
[ -s want.out ] && [ "$(wc -l < got.out)" = 2 ] || fail "other files not hashed"

# A directory: exit 1 like b3sum, stderr names it.
mkdir adir
same "" tiny adir
grep -q 'adir' got.err || fail "stderr does not name the directory: $(cat got.err)"

# Wrong key lengths: non-zero exit, a message, no output.
for k in key5 key33 empty; do
    checks=$((checks + 1))
    "$esgx" hash --keyed tiny < "$k" > got.out 2> got.err
    rc=$?
    [ "$rc" != 0 ] || fail "--keyed with $k exited 0"
    [ -s got.err ] || fail "--keyed with $k: no message"
    [ ! -s got.out ] || fail "--keyed with $k: printed a hash"
    grep -q '32' got.err || fail "--keyed with $k: message does not mention 32 bytes"
done

# Usage errors: non-zero, message on stderr, nothing on stdout.
for args in "--raw tiny chunk1025" "--keyed --derive-key ctx tiny" "--length x tiny" \
            "--bogus tiny" "--length"; do
    checks=$((checks + 1))
    # shellcheck disable=SC2086
    "$esgx" hash $args < key32 > got.out 2> got.err
    rc=$?
    [ "$rc" != 0 ] || fail "'$args' exited 0"
    [ -s got.err ] || fail "'$args': no message"
    [ ! -s got.out ] || fail "'$args': printed output"
done

# --help.
checks=$((checks + 1))
"$esgx" hash --help > got.out 2> got.err || fail "--help exited non-zero"
grep -q 'usage: esgx hash' got.out || fail "--help has no usage line"

if [ "$fails" != 0 ]; then
    echo "hash_cli: $fails failure(s) in $checks checks" >&2
    exit 1
fi
echo "hash_cli: $checks checks OK"
