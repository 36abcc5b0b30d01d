#!/bin/bash
# install_prefix.sh: `cmake --install` into a temporary prefix, then esgx used from there
# alone, as after installing the package on a machine without the source tree:
#   - the layout: bin/esgx, bin/esgxd, libexec/esgx/esgx-enclave (not on PATH), the man
#     pages esgx.1 (naming every command of `esgx --help`) and esgxd.8 (every flag of
#     `esgxd --help`), the guest SDKs without node_modules, the units naming the prefix;
#   - the prefix is moved to another folder before anything runs (every path inside it
#     is relative), the tools run from a folder outside both trees with ESGX_SDK_DIR
#     unset; a copy of esgx with no share/esgx/sdk beside it cannot find an SDK (an
#     installed esgx never falls back to the source tree it was built from);
#   - esgx new x --lang c && cd x && esgx build, then esgxd of the prefix (which finds its
#     enclave in libexec) with --init: login, deploy, the function answers, esgx invoke
#     verifies; esgx dev of the prefix serves the project and stops on SIGINT;
#   - rust (Debian's cargo with the wasm32 target) and assemblyscript (node and the
#     assemblyscript npm package, which a user installs into the project) the same way,
#     each skipped with a message when its toolchain is missing.
set -u
SRC=${ESGX_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD_TREE=${ESGX_BUILD_DIR:-$SRC/build}
for b in esgx esgxd esgx-enclave; do
    [ -e "$BUILD_TREE/$b" ] || { echo "skip: $BUILD_TREE/$b not built" >&2; exit 77; }
done
for c in curl cmake clang-19; do
    command -v "$c" >/dev/null || { echo "skip: $c not installed" >&2; exit 77; }
done
T=$(mktemp -d "${TMPDIR:-/tmp}/esgx-install.XXXXXX")
export XDG_CONFIG_HOME=$T/config HOME=$T/home
unset ESGX_SDK_DIR ESGX_TIMEOUT
NODE_PID= DEV_PID=
cleanup() {
    stop_pids 15 $DEV_PID $NODE_PID
    rm -rf "$T"
}
trap cleanup EXIT
fail() {
    echo "FAIL: $*" >&2
    for f in out err dev.out dev.err install.log; do
        [ -f "$T/$f" ] && { echo "--- $f:" >&2; tail -c 3000 "$T/$f" >&2; echo >&2; }
    done
    [ -f "$T/node.log" ] && { echo "--- node.log:" >&2; tail -30 "$T/node.log" >&2; }
    exit 1
}
ok() { echo "ok - $*"; }

# ---- install, then move the prefix: nothing may remember where it was installed
timeout 300 cmake --install "$BUILD_TREE" --prefix "$T/staged" >"$T/install.log" 2>&1 ||
    fail "cmake --install failed"
mv "$T/staged" "$T/prefix"
P=$T/prefix
BUILD=$P/bin            # cli_lib.sh's esgxd_start runs $BUILD/esgxd
ESGX=$P/bin/esgx
. "$SRC/tests/cli_lib.sh"
run_t() { local want=$1; shift; timeout 600 "$ESGX" "$@" >"$T/out" 2>"$T/err" </dev/null
          local rc=$?; [ "$rc" = "$want" ] || fail "esgx $* exited $rc, expected $want"; }

for f in bin/esgx bin/esgxd libexec/esgx/esgx-enclave; do
    [ -x "$P/$f" ] || fail "$f not installed"
done
[ -e "$P/bin/esgx-enclave" ] && fail "esgx-enclave installed on PATH (bin/)"
for f in share/esgx/sdk/esgx_fn0.h share/esgx/sdk/c/esgx_sdk.h share/esgx/sdk/rust/Cargo.toml \
         share/esgx/sdk/rust/macros/Cargo.toml share/esgx/sdk/assemblyscript/package.json \
         share/esgx/sdk/assemblyscript/assembly/esgx share/esgx/deploy/nginx/esgx.conf \
         share/esgx/deploy/esgx-enclave.manifest.template share/esgx/deploy/esgxd.default \
         lib/systemd/system/esgxd.service lib/systemd/system/esgxd-network.service \
         share/man/man1/esgx.1 share/man/man8/esgxd.8 share/doc/esgx/operations.md; do
    [ -e "$P/$f" ] || fail "$f not installed"
done
[ -n "$(find "$P" -name node_modules)" ] && fail "node_modules installed"
grep -q "^ExecStart=$T/staged/bin/esgxd " "$P/lib/systemd/system/esgxd.service" ||
    fail "esgxd.service does not run the installed esgxd"
grep -q "EnvironmentFile=-/etc/default/esgxd" "$P/lib/systemd/system/esgxd.service" ||
    fail "esgxd.service reads no /etc/default/esgxd"
ok "layout: commands, libexec enclave, SDKs without node_modules, units, man pages"

# the man pages come from the programs' own tables: every command and every flag
for c in $("$ESGX" --help | sed -n 's/^  \([a-z]*\) .*/\1/p'); do
    grep -q "^\\.SS \"esgx $c\"" "$P/share/man/man1/esgx.1" || fail "esgx.1 lacks command $c"
done
for o in $("$P/bin/esgxd" --help | grep -o -- '--[a-z-]*' | sort -u); do
    grep -qF -- "\\fB$(echo "$o" | sed 's/-/\\-/g')\\fR" "$P/share/man/man8/esgxd.8" ||
        fail "esgxd.8 lacks $o"
done
"$ESGX" --man | cmp -s - "$P/share/man/man1/esgx.1" || fail "esgx.1 differs from esgx --man"
if command -v man >/dev/null; then
    for m in man1/esgx.1 man8/esgxd.8; do
        w=$(MANWIDTH=80 man --warnings -l "$P/share/man/$m" 2>&1 >/dev/null)
        [ -z "$w" ] || fail "man warns on $m: $w"
    done
fi
ok "man pages: every command of esgx --help, every flag of esgxd --help, no roff warnings"

# ---- no SDK beside a copied esgx: it must not fall back to the source tree
mkdir -p "$T/bare/bin" "$T/work" && cp "$ESGX" "$T/bare/bin/esgx"
cd "$T/work" || fail "cd"
timeout 60 "$T/bare/bin/esgx" new nosdk --lang c >"$T/out" 2>"$T/err" </dev/null
[ $? = 1 ] || fail "an esgx without share/esgx/sdk found an SDK"
grep -q "cannot find the guest SDK" "$T/err" || fail "no 'cannot find the guest SDK'"
grep -qF "$SRC" "$T/err" && fail "the copied esgx looked in the source tree"
ok "an esgx with no SDK beside it does not reach into the source tree"

# ---- the esgx of the build directory finds the source tree's SDK from any folder
mkdir -p "$T/elsewhere" && cd "$T/elsewhere" || fail "cd"
timeout 60 "$BUILD_TREE/esgx" new bt --lang c >"$T/out" 2>"$T/err" </dev/null ||
    fail "the build tree's esgx new from $T/elsewhere"
(cd bt && timeout 300 "$BUILD_TREE/esgx" build) >"$T/out" 2>"$T/err" || fail "the build tree's esgx build"
grep -q "built .*bt.wasm" "$T/out" || fail "the build tree's esgx built nothing"
ok "the build directory's esgx finds the source SDK from another folder (ESGX_SDK_DIR unset)"

# ---- C: new, build from the prefix; a node of the prefix; deploy, invoke
cd "$T/work" || fail "cd"
run_t 0 new x --lang c
cd x || fail "cd x"
run_t 0 build
grep -qF "built $T/work/x/build/x.wasm" "$T/out" || fail "build printed no 'built'"
grep -qF "esgx: build:" "$T/err" || fail "no build line"
esgxd_start "$T/node" --init
enclave=
for c in $(pgrep -P "$NODE_PID"); do enclave=$(readlink "/proc/$c/exe"); done
[ "$enclave" = "$P/libexec/esgx/esgx-enclave" ] ||
    fail "the node runs '$enclave', not the enclave of the prefix's libexec"
for _ in $(seq 1 300); do
    curl -sf "$URL/attestation" | grep -q public_key && break
    sleep 0.1
done
run_t 0 login --insecure-skip-attest --node "$URL" --token-file "$T/node/admin.token"
run_t 0 deploy --no-progress
grep -q "deployed x" "$T/out" || fail "deploy printed no 'deployed x'"
curl -sS -X POST "$URL/functions/x" --data hi | grep -q "Hello from x!" || fail "x does not answer"
run_t 0 invoke x --input hi
grep -q "Hello from x!" "$T/out" || fail "esgx invoke x"
ok "c: esgx new + build from the prefix, deployed on the prefix's esgxd (enclave from libexec), invoked and verified"

# ---- esgx dev from the prefix (it runs the esgxd beside it)
"$ESGX" dev >"$T/dev.out" 2>"$T/dev.err" </dev/null &
DEV_PID=$!
for _ in $(seq 1 300); do
    grep -q "^call it: curl" "$T/dev.out" && break
    kill -0 $DEV_PID 2>/dev/null || fail "esgx dev exited"
    sleep 0.1
done
DURL=$(sed -n 's/^esgx dev: node \(http:[^ ]*\).*/\1/p' "$T/dev.out")
[ -n "$DURL" ] || fail "esgx dev printed no node URL"
grep -qF "started $P/bin/esgxd" "$T/dev.err" || fail "esgx dev did not start the prefix's esgxd"
curl -sS -X POST "$DURL/functions/x" --data hi | grep -q "Hello from x!" || fail "dev: no answer"
kill -INT $DEV_PID
for _ in $(seq 1 150); do kill -0 $DEV_PID 2>/dev/null || break; sleep 0.1; done
kill -0 $DEV_PID 2>/dev/null && fail "esgx dev did not stop on SIGINT"
wait $DEV_PID || fail "esgx dev exited non-zero after SIGINT"
DEV_PID=
ok "esgx dev of the prefix serves the project and stops on SIGINT"

# ---- Rust and AssemblyScript, when their toolchains are there
cd "$T/work" || fail "cd"
if [ -x /usr/bin/cargo ] && ls /usr/lib/rustlib/wasm32-unknown-unknown >/dev/null 2>&1; then
    run_t 0 new r --lang rust
    grep -qF "path = \"$P/share/esgx/sdk/rust\"" r/Cargo.toml || fail "r/Cargo.toml does not name the installed crate"
    cd r || fail "cd r"
    PATH=/usr/bin:$PATH run_t 0 build
    PATH=/usr/bin:$PATH run_t 0 deploy --no-progress
    curl -sS -X POST "$URL/functions/r" --data x | grep -q "Hello from r!" || fail "rust output"
    ok "rust: esgx new + build + deploy with the installed crate"
    cd "$T/work" || fail "cd"
else
    echo "skip: rust (Debian's cargo with the wasm32 target not installed)"
fi
ASC=$SRC/sdk/assemblyscript/node_modules/assemblyscript
if command -v node >/dev/null && [ -d "$ASC" ]; then
    run_t 0 new a --lang assemblyscript
    [ "$(readlink a/src/esgx)" = "$P/share/esgx/sdk/assemblyscript/assembly/esgx" ] ||
        fail "a/src/esgx does not link the installed package"
    # what `npm install assemblyscript` in the project gives (the installed SDK has no
    # node_modules); the compiler only, no esgx file
    mkdir -p a/node_modules && ln -s "$ASC" a/node_modules/assemblyscript
    cd a || fail "cd a"
    run_t 0 deploy --no-progress
    curl -sS -X POST "$URL/functions/a" --data x | grep -q "Hello from a!" || fail "assemblyscript output"
    ok "assemblyscript: esgx new + deploy with the installed package and the project's asc"
else
    echo "skip: assemblyscript (node or the assemblyscript npm package missing)"
fi
