#!/usr/bin/env bash
# node_wasi.sh: WASI on a node (docs/guest-abi.md, "WASI preview 1"): a WASI command
# (tests/guests/wasi_probe.c) deployed as content and invoked sees argv = the function
# name alone ("main") and an empty environment, its input as stdin, stdio as regular
# files; a wasi_unstable module (wasm3's brotli, tests/data/wasi) runs on the node and
# answers what wasm3 documents for it.
. "$(dirname "$0")/node_lib.sh"
need node
need clang-19
[ -f /usr/lib/wasm32-wasi/libc.a ] || { echo "skip: wasi-libc not installed" >&2; exit 77; }
[ -x "$ENCLAVE" ] || { echo "skip: $ENCLAVE not built" >&2; exit 77; }

clang-19 --target=wasm32-wasi -O2 -o "$T/probe.wasm" "$SRC/tests/guests/wasi_probe.c" ||
    fail "cannot build wasi_probe.c"
start_node w --init
TOK=$(cat "$T/w/admin.token")
AUTH=(-H "Authorization: Bearer $TOK")

# invoke HASH INPUT_FILE: the answer's output (after the signed header line) in $T/out
invoke() {
    python3 -c 'import json,sys; print(json.dumps({"hash":sys.argv[1],"input":open(sys.argv[2],newline="").read()}))' \
        "$1" "$2" >"$T/req.json"
    req POST /services/3 --data-binary @"$T/req.json"
    expect 200
    python3 -c 'import sys; b=open(sys.argv[1],"rb").read(); sys.stdout.buffer.write(b.split(b"\r\n",1)[1])' \
        "$T/body" >"$T/out"
}

req POST /content "${AUTH[@]}" --data-binary @"$T/probe.wasm"; expect 200
PROBE=$(json hash <"$T/body")
printf hello >"$T/in"
invoke "$PROBE" "$T/in"
head -5 "$T/out" | diff - <(printf 'argc: 1\nargv[0]: main\nenviron: 0\nfd 0: regular, isatty 0\nfd 1: regular, isatty 0\n') ||
    fail "probe on a node: argv/environ/stdio differ"
grep -qx "read stdin: 4 'hell'" "$T/out" || fail "probe on a node: stdin is not the input"
ok "a WASI command on a node: argv is the function name alone, environ empty, input on stdin"

req POST /content "${AUTH[@]}" --data-binary @"$SRC/tests/data/wasi/wasm3/brotli.wasm"; expect 200
BROTLI=$(json hash <"$T/body")
invoke "$BROTLI" "$SRC/tests/data/wasi/wasm3/alice29_small.txt"
# argv ["main"] and no file arguments: brotli compresses stdin to stdout, which is not a
# terminal, so it writes; the bytes are those wasm3 documents for `-c -f`
got=$(sha1sum <"$T/out" | cut -d' ' -f1)
[ "$got" = 0e8af02a7207c0c617d7d38eed92853c4a619987 ] || fail "brotli on a node: sha1 $got"
ok "wasm3's brotli (wasi_unstable) on a node: the output wasm3 documents"
stop_node
