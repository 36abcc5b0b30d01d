#!/usr/bin/env bash
# make_tiers_corpus.sh: module seeds for fuzz_wasm_tiers (and the modules the ctest
# wasm_tiers_diff checks), written into OUT_DIR (default
# build-fuzz/fuzz/extra/fuzz_wasm_tiers/, which scripts/fuzz.sh adds to the committed
# fuzz/corpus/fuzz_wasm_tiers/; docs/fuzzing.md):
#   spec_*    every "module" command of the spec suite's core/*.wast and simd/*.wast
#             (../shared/wasm-testsuite, or ESGX_SHARED_DIR; via wast2json), skipped with
#             a note when the suite or wast2json is absent
#   kernel_*  the benchmark kernels (bench/kernels/*.c, bench/kernels/build_wasm.sh;
#             they export `run`), skipped without clang-19
#   ttf_*     N modules (default 500) from binaryen's translate-to-fuzz (wasm-opt -ttf)
#             of 4 KiB of random bytes, with only the features the runtime supports
#             (reference types in every 4th module only, see below);
#             with --seed S the bytes are an AES-CTR keystream keyed by S and the module
#             number (openssl), so the same S gives the same modules on one wasm-opt
#   fuzz/make_tiers_corpus.sh [--ttf N] [--seed S] [--no-spec] [--no-kernels] [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
n_ttf=500 seed="" spec=1 kernels=1
while [ $# -gt 0 ]; do
  case $1 in
    --ttf) n_ttf=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --no-spec) spec=0; shift ;;
    --no-kernels) kernels=0; shift ;;
    -*) echo "usage: fuzz/make_tiers_corpus.sh [--ttf N] [--seed S] [--no-spec] [--no-kernels] [OUT_DIR]" >&2; exit 2 ;;
    *) break ;;
  esac
done
case $n_ttf$seed in *[!0-9]*) echo "make_tiers_corpus: --ttf and --seed take numbers" >&2; exit 2 ;; esac
out=${1:-$root/build-fuzz/fuzz/extra/fuzz_wasm_tiers}
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
note() { echo "make_tiers_corpus: $*" >&2; }

if [ "$spec" = 1 ]; then
  suite=${ESGX_SHARED_DIR:-$root/../shared}/wasm-testsuite
  if [ ! -d "$suite" ]; then
    note "no spec suite at $suite; skipping the spec modules"
  elif ! command -v wast2json >/dev/null; then
    note "wast2json not installed; skipping the spec modules"
  else
    for w in "$suite"/core/*.wast "$suite"/simd/*.wast; do
      [ -f "$w" ] || continue
      base=$(basename "$(dirname "$w")")_$(basename "${w%.wast}")
      rm -rf "$tmp/spec"; mkdir "$tmp/spec"
      (cd "$tmp/spec" && wast2json --enable-all "$w" -o s.json >/dev/null 2>&1) || continue
      # only the modules the script defines ({"type": "module", ... "filename": "s.N.wasm"})
      { grep -o '"type": "module",[^}]*"filename": "[^"]*\.wasm"' "$tmp/spec/s.json" || true; } |
        sed 's/.*"filename": "\([^"]*\)"/\1/' | while read -r f; do
          cp "$tmp/spec/$f" "$out/spec_${base}_${f#s.}"
        done
    done
  fi
fi

if [ "$kernels" = 1 ]; then
  if command -v "${CC:-clang-19}" >/dev/null; then
    for k in "$root"/bench/kernels/*.c; do
      case $k in */native_main.c) continue ;; esac
      "$root/bench/kernels/build_wasm.sh" "$k" "$out/kernel_$(basename "${k%.c}").wasm" ||
        note "kernel $k did not build"
    done
  else
    note "${CC:-clang-19} not installed; skipping the kernels"
  fi
fi

if [ "$n_ttf" -gt 0 ]; then
  if ! command -v wasm-opt >/dev/null; then
    note "wasm-opt (binaryen) not installed; skipping the translate-to-fuzz modules"
  elif [ -n "$seed" ] && ! command -v openssl >/dev/null; then
    note "openssl not installed (needed for --seed); skipping the translate-to-fuzz modules"
  else
    feats=(--enable-bulk-memory --enable-sign-ext --enable-nontrapping-float-to-int
           --enable-multivalue --enable-mutable-globals)
    for i in $(seq 1 "$n_ttf"); do
      # binaryen's reference types bring its own subtyping (anyref, ...), which the
      # runtime refuses as the spec does: only every 4th module gets them
      more=(); [ $((i % 4)) = 0 ] && more=(--enable-reference-types)
      # fixed-width SIMD in every other module (both tiers run it; the compiler partly
      # through the interpreter's handlers, docs/wasm.md)
      [ $((i % 2)) = 1 ] && more+=(--enable-simd)
      if [ -n "$seed" ]; then
        head -c 4096 /dev/zero | openssl enc -aes-128-ctr -nosalt \
          -K "$(printf '%016x%016x' "$seed" "$i")" -iv 00000000000000000000000000000000 >"$tmp/r.bin"
        name=ttf_${seed}_$i.wasm
      else
        head -c 4096 /dev/urandom >"$tmp/r.bin"
        name=ttf_$(od -An -N8 -tx8 "$tmp/r.bin" | tr -d ' ').wasm
      fi
      wasm-opt -ttf "$tmp/r.bin" "${feats[@]}" "${more[@]}" -o "$out/$name" >/dev/null 2>&1 ||
        note "wasm-opt -ttf failed for module $i"
    done
  fi
fi
note "$(find "$out" -maxdepth 1 -type f | wc -l) seeds in $out"
