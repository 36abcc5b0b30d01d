# wasm_lib.sh: the prelude of the `esgx run` script tests (sourced with TEST set to the
# test's name): paths, the checks that wat2wasm and esgx are there, a temp folder $tmp
# removed on exit (the development key file goes there too, not in ~), and
#   wasm_build PATTERN   wat2wasm tests/wasm/PATTERN.wat into $tmp/NAME.wasm
set -uo pipefail
src=${ESGX_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
bld=${ESGX_BUILD_DIR:-$src/build}
esgx=$bld/esgx
command -v wat2wasm >/dev/null || { echo "$TEST: wat2wasm (wabt) not installed; skipping" >&2; exit 77; }
[ -x "$esgx" ] || { echo "$TEST: $esgx not built" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export XDG_CONFIG_HOME=$tmp/cfg
wasm_build() {
  local f
  for f in "$src"/tests/wasm/$1.wat; do
    wat2wasm "$f" -o "$tmp/$(basename "${f%.wat}").wasm" || { echo "wat2wasm $f failed" >&2; exit 1; }
  done
}
