#!/usr/bin/env bash
# Builds the Debian package of esgx (docs/operations.md, "The Debian package"):
#   scripts/package.sh [OUTDIR]          -> OUTDIR/esgx_VERSION_ARCH.deb (default dist/)
# from a release build (scripts/build.sh release; ESGX_PACKAGE_BUILD_DIR=DIR packages the
# already built DIR instead, as tests/install_deb.sh does) installed with prefix /usr into a
# staging folder (cmake --install --strip, DESTDIR), plus:
#   /etc/default/esgxd            the units' extra flags (a conffile)
#   DEBIAN/postinst, postrm       the system user esgx and /var/lib/esgx (0700, its own);
#                                 the units stay disabled until the operator enables them
#   Depends:                      dpkg-shlibdeps over the installed ELF files (the shared
#                                 libraries they really link), plus adduser for postinst
#   /usr/share/doc/esgx           copyright and changelog.gz; man pages gzip -9n
# Then runs lintian on it when lintian is installed (apt-get install lintian) and prints
# its report; exit status 1 if lintian reports an error.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(realpath -m "${1:-dist}")
for t in dpkg-deb dpkg-shlibdeps; do
  command -v "$t" >/dev/null || { echo "package: $t is missing (apt-get install dpkg-dev)" >&2; exit 1; }
done
bdir=${ESGX_PACKAGE_BUILD_DIR:-}
if [ -z "$bdir" ]; then
  scripts/build.sh release
  bdir=build
fi
version=$("$bdir/esgx" --version | sed -n 's/^esgx //p')
arch=$(dpkg --print-architecture)
work=$(mktemp -d "${TMPDIR:-/tmp}/esgx-package.XXXXXX")
trap 'rm -rf "$work"' EXIT
root=$work/root
DESTDIR=$root cmake --install "$bdir" --prefix /usr --strip >/dev/null

# Debian keeps units in /lib/systemd/system (bookworm)
if [ -d "$root/usr/lib/systemd/system" ]; then
  mkdir -p "$root/lib/systemd"
  mv "$root/usr/lib/systemd/system" "$root/lib/systemd/system"
  rmdir --ignore-fail-on-non-empty "$root/usr/lib/systemd" "$root/usr/lib"
fi
install -D -m 0644 deploy/esgxd.default "$root/etc/default/esgxd"
doc=$root/usr/share/doc/esgx
install -D -m 0644 deploy/debian/copyright "$doc/copyright"
{
  echo "esgx ($version) unstable; urgency=medium"
  echo
  echo "  * Built from git $(git rev-parse --short HEAD 2>/dev/null || echo unknown)."
  echo "  * Web console bundle: $("$bdir/esgxd" --version | sed -n 's/^console //p')."
  echo
  echo " -- esgx maintainers <esgx@example.org>  $(date -R -d @"${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}")"
} | gzip -9n >"$doc/changelog.gz"
# the console bundle's hash, published with each release (docs/console.md): the bundle's
# SHA256SUMS beside the changelog, its own SHA-256 in the changelog and printed below
console_hash=$("$bdir/esgxd" --version | sed -n 's/^console //p')
if [ -f "$bdir/console/SHA256SUMS" ]; then
  install -m 0644 "$bdir/console/SHA256SUMS" "$doc/console.SHA256SUMS"
fi
# Debian policy 12.1: manual pages gzip -9n
find "$root/usr/share/man" -type f -name '*.[0-9]' -exec gzip -9n {} +
# the documentation and SDK files are data: no executable bits but on scripts and ELF
find "$root/usr/share" -type f -exec chmod 0644 {} +
find "$root" -type d -exec chmod 0755 {} +

mkdir -p "$root/DEBIAN" "$work/debian"
install -m 0755 deploy/debian/postinst deploy/debian/postrm "$root/DEBIAN/"
echo /etc/default/esgxd >"$root/DEBIAN/conffiles"
# dpkg-shlibdeps wants a debian/control beside it; it only reads the source stanza
printf 'Source: esgx\n\nPackage: esgx\nArchitecture: any\n' >"$work/debian/control"
elfs=()
while IFS= read -r f; do elfs+=("-e$f"); done < <(find "$root/usr/bin" "$root/usr/libexec" -type f)
shlibs=$(cd "$work" && dpkg-shlibdeps -O "${elfs[@]}" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
[ -n "$shlibs" ] || { echo "package: dpkg-shlibdeps found no dependencies" >&2; exit 1; }
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
cat >"$root/DEBIAN/control" <<CONTROL
Package: esgx
Version: $version
Architecture: $arch
Maintainer: esgx maintainers <esgx@example.org>
Installed-Size: $size
Depends: adduser, $shlibs
Recommends: clang-19, lld-19
Suggests: cargo, libstd-rust-dev-wasm32, nodejs, nginx, etcd-server
Section: net
Priority: optional
Description: confidential WebAssembly functions on SGX edge nodes
 esgx runs WebAssembly functions on a network of edge nodes whose trusted
 part lives inside Intel SGX enclaves; every answer is signed by a key that
 exists only inside attested enclaves, so clients can check offline which
 program ran on which input.
 .
 This package holds the esgx command (build, deploy, invoke, verify), the
 node daemon esgxd with its enclave process, the guest SDKs for C, Rust and
 AssemblyScript, and systemd units that stay disabled until configured.
CONTROL
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -print | sed 's|^\./||' | LC_ALL=C sort |
   xargs md5sum) >"$root/DEBIAN/md5sums"
mkdir -p "$out"
deb=$out/esgx_${version}_${arch}.deb
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "package: $deb"
echo "package: web console bundle $console_hash (publish it with the release)"
dpkg-deb --field "$deb" Depends
if command -v lintian >/dev/null; then
  echo "package: lintian $deb"
  lintian --tag-display-limit 0 "$deb" 2>&1 | grep -v "^running with root privileges" | tee "$work/lintian.out" || true
  if grep -q '^E:' "$work/lintian.out"; then
    echo "package: lintian reports errors" >&2
    exit 1
  fi
  echo "package: lintian: no errors"
else
  echo "package: lintian not installed (apt-get install lintian); not checked"
fi
