#!/usr/bin/env bash
# Installs everything esgx needs to build, run and test, from Debian packages and npm.
# Idempotent: packages already present are skipped; safe to run twice.
set -euo pipefail
cd "$(dirname "$0")/.."

DEB_PACKAGES=(
  build-essential cmake ninja-build pkg-config
  clang-19 lld-19 libclang-rt-19-dev wasi-libc libclang-rt-19-dev-wasm32 wabt
  libssl-dev libsecp256k1-dev libmicrohttpd-dev libcurl4-openssl-dev libsqlite3-dev
  libjansson-dev
  b3sum wrk curl python3 nodejs npm
  binaryen etcd-server etcd-client nginx
  rustc cargo libstd-rust-dev-wasm32
  chromium
)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

missing=()
for p in "${DEB_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# nodejs may come from another Debian-compatible source that bundles npm
if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
  missing=("${missing[@]/nodejs}"); missing=("${missing[@]/npm}")
fi
pkgs=()
for p in "${missing[@]}"; do [ -n "$p" ] && pkgs+=("$p"); done
if [ "${#pkgs[@]}" -gt 0 ]; then
  echo "setup: installing ${pkgs[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${pkgs[@]}" >/dev/null
else
  echo "setup: Debian packages present"
fi

# npm packages for the JavaScript interop tests (pinned by tests/js/package-lock.json)
if [ ! -d tests/js/node_modules ] || [ tests/js/package-lock.json -nt tests/js/node_modules ]; then
  echo "setup: installing npm packages in tests/js"
  (cd tests/js && npm ci --no-audit --no-fund --loglevel=error)
else
  echo "setup: npm packages present"
fi

# the AssemblyScript compiler for the guest SDK (pinned by sdk/assemblyscript/package-lock.json)
asdir=sdk/assemblyscript
if [ ! -d $asdir/node_modules ] || [ $asdir/package-lock.json -nt $asdir/node_modules ]; then
  echo "setup: installing npm packages in $asdir"
  (cd $asdir && npm ci --no-audit --no-fund --loglevel=error)
else
  echo "setup: npm packages of $asdir present"
fi

# the console's bundler and the libraries it bundles (pinned by console/package-lock.json)
if [ ! -d console/node_modules ] || [ console/package-lock.json -nt console/node_modules ]; then
  echo "setup: installing npm packages in console"
  (cd console && npm ci --no-audit --no-fund --loglevel=error)
else
  echo "setup: npm packages of console present"
fi
