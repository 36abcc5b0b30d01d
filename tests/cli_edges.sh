#!/bin/bash
# cli_edges.sh: the rough edges a new user hit (issue 22), each through the real CLI and,
# where a node is involved, a real esgxd on 127.0.0.1 (port 0, temporary data dir and
# XDG_CONFIG_HOME):
#   - esgx build of a Rust project with a rustup-like cargo first on PATH that lacks the
#     wasm32 standard library (a fake: its rustc names a missing target-libdir, its cargo
#     fails with "can't find crate for std" and would leave a version 4 lock): the build
#     uses a cargo that has the target (Debian's) and leaves a lock it reads; a target no
#     toolchain has builds nothing and says what to install;
#   - esgx functions deploy --sgx (Fleek's flag) deploys, with a one-line note;
#   - esgx new writes logs = false; esgx logs of a function without logs says so (exit 1);
#   - the remaining message checks listed where they are tested below.
set -u
SRC=${ESGX_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${ESGX_BUILD_DIR:-$SRC/build}
ESGX=$BUILD/esgx
for b in esgx esgxd esgx-enclave examples/echo.wasm; do
    [ -e "$BUILD/$b" ] || { echo "skip: $BUILD/$b not built" >&2; exit 77; }
done
command -v curl >/dev/null || { echo "skip: curl not installed" >&2; exit 77; }
T=$(mktemp -d "${TMPDIR:-/tmp}/esgx-cli-edges.XXXXXX")
export XDG_CONFIG_HOME=$T/config HOME=$T/home ESGX_SDK_DIR=$SRC/sdk
unset ESGX_TIMEOUT
NODE_PID= WWW_PID=
fail() {
    echo "FAIL: $*" >&2
    for f in out err; do [ -f "$T/$f" ] && { echo "--- $f:" >&2; tail -c 3000 "$T/$f" >&2; echo >&2; }; done
    [ -f "$T/node.log" ] && { echo "--- node.log:" >&2; tail -30 "$T/node.log" >&2; }
    exit 1
}
ok() { echo "ok - $*"; }
. "$SRC/tests/cli_lib.sh"
cleanup() {
    stop_pids 15 $NODE_PID $WWW_PID
    rm -rf "$T"
}
trap cleanup EXIT
run() {   # as cli_lib's, bounded in time
    local want=$1; shift
    timeout 300 "$ESGX" "$@" >"$T/out" 2>"$T/err" </dev/null
    local rc=$?
    [ "$rc" = "$want" ] || fail "esgx $* exited $rc, expected $want"
}
lacks() { grep -qF -- "$2" "$T/$1" && fail "$1 has '$2'"; return 0; }

# ---- 1. Rust: a toolchain with the wasm32 target, not PATH's first cargo
if [ -x /usr/bin/cargo ] && [ -x /usr/bin/rustc ] &&
   ls /usr/lib/rustlib/wasm32-unknown-unknown/lib/libstd-*.rlib >/dev/null 2>&1; then
    mkdir -p "$T/rustup/bin"
    # what rustup's proxies do when the default toolchain has no wasm32 std
    cat >"$T/rustup/bin/rustc" <<EOF
#!/bin/sh
case "\$*" in
  *target-libdir*) echo "$T/rustup/toolchains/stable/lib/rustlib/wasm32-unknown-unknown/lib"; exit 0;;
  *--version*) echo "rustc 1.95.0 (fake rustup)"; exit 0;;
esac
echo "error[E0463]: can't find crate for \\\`std\\\`" >&2; exit 1
EOF
    cat >"$T/rustup/bin/cargo" <<EOF
#!/bin/sh
[ "\$1" = --version ] && { echo "cargo 1.95.0 (fake rustup)"; exit 0; }
echo "fake rustup cargo ran" >>"$T/rustup/ran"
echo "error[E0463]: can't find crate for \\\`std\\\`" >&2; exit 101
EOF
    chmod +x "$T/rustup/bin/rustc" "$T/rustup/bin/cargo"
    cd "$T" || fail "cd"
    run 0 new rfn --lang rust
    cd rfn || fail "cd rfn"
    # a lock a newer cargo left (version 4): Debian's cargo 1.65 cannot read it
    PATH=/usr/bin:$PATH timeout 300 cargo generate-lockfile --offline >/dev/null 2>&1 ||
        fail "cargo generate-lockfile"
    sed -i 's/^version = 3$/version = 4/' Cargo.lock
    grep -qx 'version = 4' Cargo.lock || fail "no version 4 lock to start from"
    PATH=$T/rustup/bin:$PATH run 0 build
    has out "built $T/rfn/target/wasm32-unknown-unknown/release/rfn.wasm"
    has err "esgx: rust: /usr/bin (cargo 1."
    has err "Cargo.lock rewritten as version 3"
    [ -e "$T/rustup/ran" ] && fail "the rustup-like cargo without the target was run"
    grep -qx 'version = 3' Cargo.lock || fail "Cargo.lock is not version 3"
    PATH=$T/rustup/bin:$PATH run 0 build
    lacks err "Cargo.lock"
    ok "rust: a rustup-like cargo without wasm32 first on PATH: Debian's is used, lock v3"
    sed -i 's/--target wasm32-unknown-unknown/--target wasm32-nosuch-target/' esgx.toml
    PATH=$T/rustup/bin:$PATH run 1 build
    has err "no Rust toolchain here builds for wasm32-nosuch-target"
    has err "apt-get install cargo rustc libstd-rust-dev-wasm32"
    has err "rustup target add wasm32-nosuch-target"
    has err "$T/rustup/bin/cargo ("
    lacks err "esgx: build:"
    ok "rust: no toolchain with the target: nothing run, what to install said"
    cd "$T" || fail "cd"
else
    echo "skip: rust (Debian's cargo with the wasm32 target not installed)"
fi

# ---- a sim node with a provisioning bundle (quotes), and another network's bundle
run 0 sim init "$T/simA"
run 0 sim init "$T/simB"
esgxd_start "$T/node" --init --sim-bundle "$T/simA"
for _ in $(seq 1 300); do
    curl -sf "$URL/attestation" | grep -q public_key && break
    sleep 0.1
done
TOKEN_FILE=$T/node/admin.token

# ---- 4. a wrong sim root is named as such; the root of login serves esgx nodes --verify
run 1 login --node "$URL" --token-file "$TOKEN_FILE" --sim-root "$T/simB/sim_root.pem"
has err "does not chain to the sim root $T/simB/sim_root.pem"
lacks err "pass --sim-root"
run 1 login --node "$URL" --token-file "$TOKEN_FILE"
has err "pass --sim-root"
run 0 login --node "$URL" --token-file "$TOKEN_FILE" --sim-root "$T/simA/sim_root.pem"
has out "attestation verified"
# ---- 7. a node alone: its row names it, and --verify attests it (no URL in its record)
run 0 nodes
grep -F "(standalone)" "$T/out" | grep -qF "$URL" || fail "the standalone row lacks the node's URL"
run 0 nodes --verify
grep -F "(standalone)" "$T/out" | grep -F "$URL" | grep -qE " yes +[0-9a-f]{16} yes" ||
    fail "the standalone row is not KEY yes, MRENCLAVE, VERIFIED yes"
lacks err "no URL"
run 1 nodes --verify --sim-root "$T/simB/sim_root.pem"
has out "trusting $T/simB/sim_root.pem"
ok "sim roots: a wrong one is named, login's is used by nodes --verify; a node alone lists and verifies"

# ---- 3. Fleek's --sgx pastes
run 0 functions deploy --name echo --path "$BUILD/examples/echo.wasm" --no-progress --sgx
has err "note: --sgx changes nothing: every esgx function runs in SGX"
H_ECHO=$(sed -n 's/^hash \([0-9a-f]\{64\}\)$/\1/p' "$T/out")
has out "deployed echo"
[ "$(curl -sS -o /dev/null -w '%{http_code}' -X POST "$URL/functions/echo" --data hi)" = 200 ] ||
    fail "echo did not answer"
ok "functions deploy --sgx deploys, with a note"

# ---- 6. logs off is said, and esgx new makes the switch visible
run 1 logs echo
has err "function 'echo' was deployed without logs"
has err "--logs"
has err "logs = true"
run 0 functions deploy --name echo --path "$BUILD/examples/echo.wasm" --no-progress --logs
run 0 logs echo
lacks err "without logs"
cd "$T" || fail "cd"
run 0 new newfn --lang c
grep -q '^logs = false' newfn/esgx.toml || fail "esgx new wrote no logs = false"
ok "logs: off is said with how to turn it on; esgx new writes logs = false"

# ---- 5. a redeploy under a new hash says what it does to sealed data; encrypt takes
# the key of login and FILE first in every mode
run 0 functions deploy --name echo --path "$BUILD/examples/echo.wasm" --no-progress
has err "note: 'echo' moved from hash"
has err "shared_key_unseal returns -6"
H_NEW=$(sed -n 's/^hash \([0-9a-f]\{64\}\)$/\1/p' "$T/out")
printf 'secret' >"$T/data"
run 0 encrypt shared "$T/data" "$H_NEW" -o "$T/data.shared"
run 0 encrypt module "$T/data" -o "$T/data.module"
run 0 encrypt wasm "$T/data" "$H_NEW" -o "$T/data.wasm1"
run 0 encrypt wasm "$H_NEW" "$T/data" -o "$T/data.wasm2"
for f in data.shared data.module data.wasm1 data.wasm2; do
    [ "$(head -c 1 "$T/$f" | od -An -tx1 | tr -d ' ')" = 04 ] || fail "$f is not ECIES to a key"
done
(export XDG_CONFIG_HOME=$T/nologin
 run 2 encrypt shared "$T/data" "$H_NEW"
 has err "--pubkey is required when not logged in") || exit 1
ok "redeploy note on sealed data; encrypt with login's key, FILE first (wasm takes both orders)"

# ---- 8. messages
run 2 run "$BUILD/examples/echo.wasm" --fuel -5
has err "'-5' is negative"
lacks err "not a whole number"
for a in "new" "new x" "new x --lang go" "new x --lnag c"; do
    # shellcheck disable=SC2086
    run 2 $a
    lacks err "usage: esgx"
    [ "$(wc -l <"$T/err")" -le 2 ] || fail "esgx $a: more than two lines on stderr"
done
run 0 help
grep -E '^ +attest ' "$T/out" | grep -q offline && fail "esgx help calls attest offline"
run 1 invoke "${H_ECHO:0:8}" --input x
has err "looks like the start of a hash"
(export XDG_CONFIG_HOME=$T/config2
 run 0 login --node "$URL" --sim-root "$T/simA/sim_root.pem"
 run 1 functions list
 has err "--token-file"
 lacks err "--token TOKEN"
 run 1 logs echo
 has err "--token-file") || exit 1
mkdir -p "$T/www"
echo '<html><body>a web site</body></html>' >"$T/www/index.html"
python3 -u -m http.server 0 --bind 127.0.0.1 --directory "$T/www" >"$T/www.log" 2>&1 &
WWW_PID=$!
WPORT=
for _ in $(seq 1 100); do
    WPORT=$(sed -n 's/.*port \([0-9]*\).*/\1/p' "$T/www.log" | head -1)
    [ -n "$WPORT" ] && break
    sleep 0.1
done
[ -n "$WPORT" ] || fail "the web server did not start"
(export XDG_CONFIG_HOME=$T/config3
 run 1 login --node "http://127.0.0.1:$WPORT" --token x
 has err "not an esgx node's JSON"
 lacks err "<") || exit 1
stop_pids 5 $WWW_PID
ok "messages: negative numbers, short usage errors, help, hash prefixes, --token-file hints, a web server is no node"

echo "all cli_edges checks passed"
