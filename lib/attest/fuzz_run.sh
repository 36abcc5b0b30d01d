#!/usr/bin/env bash
# fuzz_run.sh: builds the libFuzzer target fuzz_attest (clang-19, ASan+UBSan, in
# build-fuzz/) and runs it for SECONDS (default 60) on one core. The first byte of an
# input picks the parser (see fuzz_attest.c); seeds are the real Intel quote and
# collateral from ../shared/vectors/dcap, its PCK certificate, and a fresh sim bundle.
#   lib/attest/fuzz_run.sh [SECONDS] [extra libFuzzer flags...]
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
secs=${1:-60}; shift || true
bdir=${FUZZ_BUILD_DIR:-$root/build-fuzz}
cmake -S . -B "$bdir" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DESGX_FUZZ=ON \
  -DCMAKE_C_COMPILER=clang-19 >/dev/null
cmake --build "$bdir" --target fuzz_attest esgx -j2

seeds=$bdir/attest-seeds corpus=$bdir/attest-corpus art=$bdir/attest-artifacts
rm -rf "$seeds"; mkdir -p "$seeds" "$corpus" "$art"
seed() { { printf "\\x$(printf %02x "$1")"; cat; } > "$seeds/$2"; }
dcap=${ESGX_SHARED_DIR:-$root/../shared}/vectors/dcap/fleek-sgx
if [ -d "$dcap" ]; then
  seed 0 quote < "$dcap/quote.bin"
  seed 5 verify < "$dcap/quote.bin"
  seed 3 collateral < "$dcap/full_collateral.json"
  # the PCK chain inside the quote: PEM (mode 4) and the leaf as DER (mode 2)
  strings -n 20 "$dcap/quote.bin" | sed -n '/BEGIN CERT/,$p' > "$bdir/pck_chain.pem" || true
  seed 4 chain < "$bdir/pck_chain.pem"
  openssl x509 -in "$bdir/pck_chain.pem" -outform DER 2>/dev/null | seed 2 pck_der || true
fi
sim=$(mktemp -d)
ESGX_BLAKE3_IMPL=portable "$bdir/esgx" sim init "$sim/b" >/dev/null 2>&1 || true
[ -f "$sim/b/collateral.json" ] && seed 3 sim_collateral < "$sim/b/collateral.json"
[ -f "$sim/b/sim_root.pem" ] && seed 4 sim_root < "$sim/b/sim_root.pem"
rm -rf "$sim"
echo "fuzz_run: $(ls "$seeds" | wc -l) seeds, running ${secs}s" >&2
ASAN_OPTIONS=detect_leaks=1 "$bdir/fuzz_attest" "$corpus" "$seeds" -max_total_time="$secs" \
  -artifact_prefix="$art/" -print_final_stats=1 "$@"
