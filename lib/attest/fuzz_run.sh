#!/usr/bin/env bash
# fuzz_run.sh: runs the attestation fuzz targets, fuzz_attest (quotes, PEM, PCK
# extension, collateral, verify; the first input byte picks the parser) and
# fuzz_collateral (the collateral JSON alone), through scripts/fuzz.sh for SECONDS each
# (default 60). Their seeds are committed in fuzz/corpus/ (Intel's quote and
# collateral, the sim bundle's; fuzz/make_seeds.sh remakes them). docs/fuzzing.md.
#   lib/attest/fuzz_run.sh [SECONDS] [extra libFuzzer flags...]
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-60}; shift || true
FUZZ_FLAGS="$*" exec scripts/fuzz.sh "$secs" fuzz_attest fuzz_collateral
