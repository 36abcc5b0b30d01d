#!/bin/bash
# install_deb.sh: scripts/package.sh on this build, then the .deb checked without
# installing it into the machine (dpkg-deb -x into a temporary folder):
#   - the control fields: Depends names adduser and, from dpkg-shlibdeps, the libraries
#     the programs link (libc6, libmicrohttpd12, libcurl4, libjansson4, libsqlite3-0,
#     libssl3); /etc/default/esgxd is a conffile; md5sums are there;
#   - postinst makes the system user esgx and /var/lib/esgx (0700) and enables nothing;
#   - the layout: /usr/bin/esgx, /usr/bin/esgxd, /usr/libexec/esgx/esgx-enclave, the
#     units in /lib/systemd/system running /usr/bin/esgxd, gzipped man pages, copyright;
#   - the extracted esgx makes and builds a C project with the SDK of the package;
#   - lintian, when installed, reports no error (its output is printed).
set -u
SRC=${ESGX_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${ESGX_BUILD_DIR:-$SRC/build}
for b in esgx esgxd esgx-enclave; do
    [ -e "$BUILD/$b" ] || { echo "skip: $BUILD/$b not built" >&2; exit 77; }
done
for c in dpkg-deb dpkg-shlibdeps cmake clang-19; do
    command -v "$c" >/dev/null || { echo "skip: $c not installed" >&2; exit 77; }
done
T=$(mktemp -d "${TMPDIR:-/tmp}/esgx-deb.XXXXXX")
trap 'rm -rf "$T"' EXIT
fail() {
    echo "FAIL: $*" >&2
    [ -f "$T/package.log" ] && { echo "--- package.log:" >&2; tail -40 "$T/package.log" >&2; }
    exit 1
}
ok() { echo "ok - $*"; }

ESGX_PACKAGE_BUILD_DIR=$BUILD timeout 600 "$SRC/scripts/package.sh" "$T/dist" >"$T/package.log" 2>&1
rc=$?
cat "$T/package.log"
[ $rc = 0 ] || fail "scripts/package.sh exited $rc"
deb=$(ls "$T"/dist/esgx_*.deb 2>/dev/null | head -1)
[ -n "$deb" ] || fail "no .deb made"

deps=$(dpkg-deb --field "$deb" Depends)
for d in adduser libc6 libmicrohttpd12 libcurl4 libjansson4 libsqlite3-0 libssl3; do
    echo "$deps" | grep -qE "(^|, )$d( |,|$)" || fail "Depends lacks $d: $deps"
done
mkdir -p "$T/ctl" && dpkg-deb -e "$deb" "$T/ctl" || fail "dpkg-deb -e"
grep -qx /etc/default/esgxd "$T/ctl/conffiles" || fail "/etc/default/esgxd is not a conffile"
[ -s "$T/ctl/md5sums" ] || fail "no md5sums"
grep -q "adduser --system" "$T/ctl/postinst" || fail "postinst makes no system user"
grep -q "chmod 0700 /var/lib/esgx" "$T/ctl/postinst" || fail "postinst does not make /var/lib/esgx 0700"
grep -q "systemctl.*enable" "$T/ctl/postinst" && fail "postinst enables a unit"
ok "control: Depends from the linked libraries, conffile, md5sums, postinst user and state dir"

R=$T/root
dpkg-deb -x "$deb" "$R" || fail "dpkg-deb -x"
for f in usr/bin/esgx usr/bin/esgxd usr/libexec/esgx/esgx-enclave; do
    [ -x "$R/$f" ] || fail "$f missing"
done
for f in lib/systemd/system/esgxd.service lib/systemd/system/esgxd-network.service \
         usr/share/man/man1/esgx.1.gz usr/share/man/man8/esgxd.8.gz etc/default/esgxd \
         usr/share/doc/esgx/copyright usr/share/doc/esgx/changelog.gz \
         usr/share/esgx/sdk/esgx_fn0.h; do
    [ -e "$R/$f" ] || fail "$f missing"
done
grep -q "^ExecStart=/usr/bin/esgxd " "$R/lib/systemd/system/esgxd.service" ||
    fail "esgxd.service does not run /usr/bin/esgxd"
ok "layout: /usr/bin, /usr/libexec/esgx, units in /lib/systemd/system, gzipped man pages"

# the console bundle's hash is published with the package: changelog and SHA256SUMS agree
# with what the packaged esgxd serves
chash=$("$R/usr/bin/esgxd" --version | sed -n 's/^console sha256://p')
[ -n "$chash" ] || fail "the packaged esgxd names no console bundle"
zcat "$R/usr/share/doc/esgx/changelog.gz" | grep -q "Web console bundle: sha256:$chash" ||
    fail "the changelog does not give the console bundle's hash $chash"
[ "$(sha256sum <"$R/usr/share/doc/esgx/console.SHA256SUMS" | cut -d' ' -f1)" = "$chash" ] ||
    fail "console.SHA256SUMS does not hash to $chash"
grep -q "web console bundle sha256:$chash" "$T/package.log" || fail "package.sh did not print the hash"
ok "the console bundle's hash is in the changelog, its SHA256SUMS in /usr/share/doc/esgx"

mkdir -p "$T/work" && cd "$T/work" || fail "cd"
env -u ESGX_SDK_DIR "$R/usr/bin/esgx" new x --lang c >"$T/out" 2>&1 || { cat "$T/out"; fail "esgx new"; }
(cd x && env -u ESGX_SDK_DIR "$R/usr/bin/esgx" build) >"$T/out" 2>&1 || { cat "$T/out"; fail "esgx build"; }
grep -q "built .*x.wasm" "$T/out" || fail "esgx build printed no 'built'"
ok "the packaged esgx makes and builds a C project with the packaged SDK"

if command -v lintian >/dev/null; then
    grep -q "^package: lintian: no errors" "$T/package.log" || fail "lintian reports errors"
    ok "lintian: no errors"
else
    echo "skip: lintian not installed"
fi
