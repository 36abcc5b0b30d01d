#!/usr/bin/env bash
# ratls_bench.sh: median handshake time of RA-TLS (both sides verify the peer's sim quote:
# full DCAP verification with the sim collateral + policy) against plain mutual TLS 1.3
# with ordinary self-signed certificates, over N connections each (default 200) on
# 127.0.0.1, and the time RA-TLS adds. Also the cost of making an RA-TLS certificate
# and of verifying one alone. Numbers only; nothing is asserted.
#   bench/ratls_bench.sh [BUILD_DIR] [N]
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$here/build}"
n="${2:-200}"
if [ ! -x "$build/ratls_bench" ]; then
  ninja -C "$build" ratls_bench >/dev/null
fi
"$build/ratls_bench" "$n"
