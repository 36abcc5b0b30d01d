#!/bin/bash
# cli_usage.sh: the node-facing esgx commands without a node: --help (exit 0, usage on
# stdout), wrong usage (exit 2, usage on stderr), network errors that name the URL and
# the cause (exit 3), missing login (exit 1), and esgx verify's input checks.
set -u
SRC=${ESGX_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${ESGX_BUILD_DIR:-$SRC/build}
ESGX=$BUILD/esgx
[ -x "$ESGX" ] || { echo "skip: $ESGX not built" >&2; exit 77; }
T=$(mktemp -d "${TMPDIR:-/tmp}/esgx-cli-usage.XXXXXX")
trap 'rm -rf "$T"' EXIT
export XDG_CONFIG_HOME=$T/config HOME=$T/home
unset ESGX_TIMEOUT

fail() { echo "FAIL: $*" >&2; echo "--- stdout:" >&2; cat "$T/out" >&2; echo "--- stderr:" >&2; cat "$T/err" >&2; exit 1; }
ok() { echo "ok - $*"; }
# run EXPECTED_STATUS ARGS...: runs esgx, checks the exit status
run() {
    local want=$1; shift
    "$ESGX" "$@" >"$T/out" 2>"$T/err" </dev/null
    local rc=$?
    [ "$rc" = "$want" ] || fail "esgx $* exited $rc, expected $want"
}
has() { grep -qF -- "$2" "$T/$1" || fail "$1 lacks '$2'"; }

# ---- --help everywhere: exit 0, usage on stdout
for c in "login" "functions" "functions deploy" "functions list" "functions delete" \
         "invoke" "verify"; do
    # shellcheck disable=SC2086
    run 0 $c --help
    has out "usage: esgx"
    [ -s "$T/err" ] && fail "esgx $c --help wrote to stderr"
done
run 0 --help
for c in login functions invoke verify; do has out "  $c "; done
ok "--help on every command"

# ---- wrong usage: exit 2 with the usage on stderr
while IFS= read -r args; do
    # shellcheck disable=SC2086
    run 2 $args
    has err "usage: esgx"
done <<'EOF'
login
login --node
login --node ftp://example.org
login --node http://127.0.0.1:1 --bogus
login --node http://127.0.0.1:1 --token a --token-file b
functions
functions frobnicate
functions deploy
functions deploy --name x
functions deploy --path x.wasm
functions deploy --name bad/name --path x.wasm
functions deploy --name x --path x.wasm --what
functions list extra
functions delete
functions delete a b
functions delete bad/name
invoke
invoke --fuel 0 abc
invoke --fuel x abc
invoke --input a --input-file b abc
invoke a b
invoke --nope abc
verify
verify --request r.json
verify --request r.json --response a.bin --fuel-limit -1
verify --request r.json --response a.bin --json --print-output
verify --request r.json --response a.bin extra
EOF
ok "wrong usage exits 2 with the usage"

# ---- not logged in: exit 1 and say how to log in
for args in "functions list" "invoke Myfunction" \
            "functions deploy --name x --path /dev/null" "functions delete x"; do
    # shellcheck disable=SC2086
    run 1 $args
    has err "not logged in"
    has err "esgx login --node URL"
done
ok "commands before login say to log in"

# ---- network errors name the method, the URL and the cause; exit 3
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
run 3 login --node "http://127.0.0.1:$PORT"
has err "GET http://127.0.0.1:$PORT/attestation"
has err "Connection refused"
[ -e "$XDG_CONFIG_HOME/esgx/config" ] && fail "a failed login wrote the config"
run 3 login --node "http://nonexistent-host.invalid:8080/"
has err "GET http://nonexistent-host.invalid:8080/attestation"
has err "resolve"
ok "network errors name URL and cause"

# an existing config pointing at a dead node: invoke and list fail with exit 3
mkdir -p "$XDG_CONFIG_HOME/esgx"
printf 'node = http://127.0.0.1:%s\ntoken = %064d\nnetwork_key = 0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798\n' \
    "$PORT" 0 >"$XDG_CONFIG_HOME/esgx/config"
chmod 600 "$XDG_CONFIG_HOME/esgx/config"
run 3 invoke "$(printf '%064d' 0)" --input x
has err "POST http://127.0.0.1:$PORT/services/3"
has err "Connection refused"
run 3 functions list
has err "GET http://127.0.0.1:$PORT/functions"
run 3 functions delete foo
has err "DELETE http://127.0.0.1:$PORT/functions/foo"
# deploy checks the file before any network traffic
printf 'not wasm at all' >"$T/x.txt"
run 1 functions deploy --name x --path "$T/x.txt"
has err "is not a WebAssembly module"
run 1 functions deploy --name x --path "$T/missing.wasm"
has err "missing.wasm: No such file or directory"
ok "dead node: invoke/list/delete exit 3 naming the URL; deploy checks the file first"

# a config readable by others is reported
chmod 644 "$XDG_CONFIG_HOME/esgx/config"
run 3 functions list
has err "readable by other users"
chmod 600 "$XDG_CONFIG_HOME/esgx/config"

# ---- verify: unreadable or malformed inputs exit 1 with a clear message
H=$(printf '%064d' 0)
printf '{"hash":"%s","input":"x"}' "$H" >"$T/req.json"
printf 'garbage' >"$T/resp.bin"
run 1 verify --request "$T/req.json" --response "$T/resp.bin"
has err "malformed answer"
printf '{"hash":"%s","bogus":1}' "$H" >"$T/bad.json"
run 1 verify --request "$T/bad.json" --response "$T/resp.bin"
has err "unknown field 'bogus'"
run 1 verify --request "$T/nope.json" --response "$T/resp.bin"
has err "nope.json: No such file or directory"
run 2 verify --request "$T/req.json" --response "$T/resp.bin" --network-key 1234
has err "network key"
ok "verify rejects malformed requests and answers"

# ---- --version: "esgx VERSION", VERSION being project(VERSION) of CMakeLists.txt
V=$(sed -n 's/^project(esgx VERSION \([0-9.]*\).*/\1/p' "$SRC/CMakeLists.txt")
[ -n "$V" ] || fail "no project(esgx VERSION ...) in CMakeLists.txt"
run 0 --version
[ "$(cat "$T/out")" = "esgx $V" ] || fail "esgx --version printed '$(cat "$T/out")', want 'esgx $V'"
ok "--version prints esgx $V"

# ---- number options are decimal everywhere (esgx_parse_u64): 010 is ten, junk is usage
run 2 invoke --fuel 0x10 abc
has err "0x10"
run 2 hash --length 1e3 /dev/null
has err "1e3"
run 2 sim quote --isvsvn 70000
has err "out of range"
ok "number options: one decimal parser"
