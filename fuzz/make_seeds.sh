#!/usr/bin/env bash
# make_seeds.sh: regenerates the committed seed corpus fuzz/corpus/<target>/ from real
# inputs (docs/fuzzing.md). Needs the fuzz build (scripts/build.sh fuzz: esgx,
# crypto_tool and the libraries in build-fuzz/), wat2wasm, openssl and python3;
# ../shared/vectors (Intel's DCAP quote and collateral, @scure/bip32 keys) when present.
# Replaces each generated target's directory; hand-added seeds named keep_* survive.
#   fuzz/make_seeds.sh [TARGET...]        (default: every target below)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
bdir=${FUZZ_BUILD_DIR:-$root/build-fuzz}
vec=${ESGX_SHARED_DIR:-$root/../shared}/vectors
corpus=$root/fuzz/corpus
export ASAN_OPTIONS=detect_leaks=0 ESGX_BLAKE3_IMPL=portable
tool=$bdir/crypto_tool esgx=$bdir/esgx
for b in "$tool" "$esgx"; do
  [ -x "$b" ] || { echo "make_seeds: $b missing: run scripts/build.sh fuzz" >&2; exit 1; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The fixed key of fuzz_ecies (0x11 x 32) and its public key, by sign + the key it names.
sk=$(printf '11%.0s' {1..32})
pub=$("$tool" sign "$sk" "$(printf '00%.0s' {1..32})" | python3 -c \
  'import json,sys; print(json.load(sys.stdin)["public_key"])')
# fuzz_ecies and fuzz_approved_wasm use the module hash 0x22 x 32
hash22=$(printf '22%.0s' {1..32})
hash_other=$(printf '33%.0s' {1..32})
# real extended keys: the @scure/bip32 interop vectors, else crypto_tool's
keys() {
  if [ -f "$vec/interop/bip32.json" ]; then
    python3 -c 'import json,sys
for c in json.load(open(sys.argv[1]))["cases"]:
  for k,v in c.items():
    if isinstance(v,str) and v[:4] in ("xpub","xprv"): print(v)' "$vec/interop/bip32.json"
  fi
  "$tool" bip32 "$(printf 'ab%.0s' {1..32})" "$(printf 'cd%.0s' {1..32})" 0001 |
    python3 -c 'import json,sys
for v in json.load(sys.stdin).values():
  if v[:4] in ("xpub","xprv"): print(v)'
}
keys > "$tmp/keys"
fresh() { rm -rf "$corpus/$1.new"; mkdir -p "$corpus/$1.new"; echo "$corpus/$1.new"; }
done_target() {
  [ -d "$corpus/$1" ] && find "$corpus/$1" -name 'keep_*' -exec cp {} "$corpus/$1.new/" \;
  rm -rf "$corpus/$1"; mv "$corpus/$1.new" "$corpus/$1"
  echo "make_seeds: $1: $(ls "$corpus/$1" | wc -l) seeds" >&2
}

seeds_fuzz_ecies() {
  local d; d=$(fresh fuzz_ecies)
  local i=0
  for pt in "" "x" "hello, enclave" "$(printf 'A%.0s' {1..200})" '{"secret":"s3cr3t","n":42}'; do
    printf %s "$pt" | "$tool" encrypt "$pub" > "$d/ct_$i"; i=$((i + 1))
  done
  head -c 1000 /dev/urandom | "$tool" encrypt "$pub" > "$d/ct_random1000"
  printf 'approved data' > "$tmp/data"
  "$esgx" encrypt shared --pubkey "$pub" "$tmp/data" "$hash_other" "$hash22" -o "$d/ct_approved"
  "$esgx" encrypt shared --pubkey "$pub" "$tmp/data" "$hash_other" -o "$d/ct_not_approved"
  "$esgx" encrypt module --pubkey "$pub" "$tmp/data" -o "$d/ct_module"
  head -c 96 "$d/ct_1" > "$d/short_96"        # one byte short of the overhead
  { printf '\002'; tail -c +2 "$d/ct_1"; } > "$d/compressed_prefix"
  { head -c 60 "$d/ct_1"; printf '\377'; tail -c +62 "$d/ct_1"; } > "$d/bad_point"
  { head -c 90 "$d/ct_2"; printf '\000'; tail -c +92 "$d/ct_2"; } > "$d/bad_tag"
  done_target fuzz_ecies
}

seeds_fuzz_base58() {
  local d; d=$(fresh fuzz_base58)
  local i=0
  head -n 12 "$tmp/keys" | while read -r k; do printf %s "$k" > "$d/key_$i"; i=$((i + 1)); done
  local k; k=$(head -n 1 "$tmp/keys")
  printf %s "${k:0:60}" > "$d/key_truncated"
  printf %s "${k/x/0}" > "$d/key_bad_char"
  printf '' > "$d/empty"; printf 1 > "$d/one"; printf 1111 > "$d/ones"
  printf 11zzzz > "$d/ones_then_z"; printf '3yQ' > "$d/short"
  # base58check("") and base58check("\0")
  printf 3QJmnh > "$d/check_empty"; printf 1Wh4bh > "$d/check_zero"
  done_target fuzz_base58
}

seeds_fuzz_bip32() {
  local d; d=$(fresh fuzz_bip32)
  local i=0
  while read -r k; do printf %s "$k" > "$d/key_$i"; i=$((i + 1)); done < "$tmp/keys"
  local k; k=$(head -n 1 "$tmp/keys")
  printf '%s\n' "$k" > "$d/key_newline"
  printf %s "${k:0:110}" > "$d/key_short"
  done_target fuzz_bip32
}

seeds_fuzz_approved_wasm() {
  local d; d=$(fresh fuzz_approved_wasm)
  printf 'approved data' > "$tmp/data"
  local name hashes
  for name in one:$hash22 second:"$hash_other $hash22" not_listed:$hash_other; do
    hashes=${name#*:}
    # shellcheck disable=SC2086
    "$esgx" encrypt shared --pubkey "$pub" "$tmp/data" $hashes -o "$tmp/ct"
    { printf %s "$hash22" | xxd -r -p; "$tool" decrypt "$sk" < "$tmp/ct"; } > "$d/${name%%:*}"
  done
  { printf %s "$hash22" | xxd -r -p; head -c 40 "$d/one"; } > "$d/truncated"
  { printf %s "$hash22" | xxd -r -p; printf 'FLEEK_ENCLAVE_APPROVED_WASM\000x'; } > "$d/count0"
  { printf %s "$hash22" | xxd -r -p; tail -c +33 "$d/one" | head -c 60; } > "$d/no_data"
  done_target fuzz_approved_wasm
}

seeds_fuzz_collateral() {
  local d; d=$(fresh fuzz_collateral)
  "$esgx" sim init "$tmp/sim" >/dev/null
  cp "$tmp/sim/collateral.json" "$d/sim_collateral.json"
  local dcap=$vec/dcap/fleek-sgx
  if [ -d "$dcap" ]; then
    cp "$dcap/full_collateral.json" "$d/intel_collateral.json"
    # the same documents as JSON strings, as PCCS clients store them
    python3 -c 'import json,sys
c=json.load(open(sys.argv[1]))
for k in ("tcb_info","qe_identity"): c[k]=json.dumps(c[k])
print(json.dumps(c))' "$dcap/full_collateral.json" > "$d/intel_collateral_strings.json"
  fi
  rm -rf "$tmp/sim"
  done_target fuzz_collateral
}

seeds_fuzz_attest() {
  local d; d=$(fresh fuzz_attest)
  seed() { { printf "\\x$(printf %02x "$1")"; cat; } > "$d/$2"; }
  local dcap=$vec/dcap/fleek-sgx
  if [ -d "$dcap" ]; then
    seed 0 quote < "$dcap/quote.bin"
    seed 5 verify < "$dcap/quote.bin"
    seed 3 collateral < "$dcap/full_collateral.json"
    strings -n 20 "$dcap/quote.bin" | sed -n '/BEGIN CERT/,$p' > "$tmp/chain.pem"
    seed 4 chain < "$tmp/chain.pem"
    openssl x509 -in "$tmp/chain.pem" -outform DER | seed 2 pck_der
  fi
  "$esgx" sim init "$tmp/sim" >/dev/null
  "$esgx" sim quote --bundle "$tmp/sim" --out "$tmp/q"
  seed 0 sim_quote < "$tmp/q"
  seed 5 sim_verify < "$tmp/q"
  seed 3 sim_collateral < "$tmp/sim/collateral.json"
  seed 4 sim_root < "$tmp/sim/sim_root.pem"
  seed 4 sim_pck_chain < "$tmp/sim/pck_chain.pem"
  openssl x509 -in "$tmp/sim/pck_chain.pem" -outform DER | seed 2 sim_pck_der
  rm -rf "$tmp/sim"
  done_target fuzz_attest
}

seeds_fuzz_proto() {
  local d; d=$(fresh fuzz_proto)
  clang-19 -fsanitize=address,undefined,fuzzer-no-link -I lib/proto/include \
    -I lib/common/include fuzz/make_proto_seeds.c "$bdir/lib/proto/libesgx_proto.a" \
    "$bdir/lib/crypto/libesgx_crypto.a" "$bdir/lib/common/libesgx_common.a" \
    -lsecp256k1 -lcrypto -lpthread -o "$tmp/make_proto_seeds"
  "$tmp/make_proto_seeds" "$d" "$(grep -m1 '^xpub' "$tmp/keys")"
  done_target fuzz_proto
}

seeds_fuzz_wasm() {
  local d; d=$(fresh fuzz_wasm)
  for w in tests/wasm/*.wat; do
    wat2wasm "$w" -o "$d/$(basename "${w%.wat}").wasm" 2>/dev/null || true
  done
  done_target fuzz_wasm
}

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(fuzz_ecies fuzz_base58 fuzz_bip32 fuzz_approved_wasm
                                     fuzz_collateral fuzz_attest fuzz_proto fuzz_wasm)
for t in "${targets[@]}"; do "seeds_$t"; done
