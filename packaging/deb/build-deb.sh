#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# Packages a built module as a Debian libnginx-mod-* package, laid out the
# way Debian's own module packages are (what dh_nginx produces):
#
#   /usr/lib/nginx/modules/ngx_http_webhook_signature_module.so
#   /usr/share/nginx/modules-available/mod-http-webhook-signature.conf
#   /etc/nginx/modules-enabled/50-mod-http-webhook-signature.conf  (postinst)
#
# and depending on the nginx ABI the module was compiled for.
#
#   packaging/deb/build-deb.sh MODULE_SO OUT_DIR
#
# The module must have been built against Debian's nginx-dev
# (/usr/share/nginx/src): only then does it match the nginx package's ABI.
# Prints the path of the .deb.

set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PACKAGE=libnginx-mod-http-webhook-signature
MODULE_FILE=ngx_http_webhook_signature_module.so
CONF_NAME=mod-http-webhook-signature.conf
ABI_SUBSTVARS=/usr/share/nginx/src/debian/libnginx-mod.abisubstvars

die() { printf 'build-deb.sh: %s\n' "$*" >&2; exit 1; }

[ $# -eq 2 ] || die "usage: $0 MODULE_SO OUT_DIR"
MODULE_SO=$1
OUT_DIR=$2
[ -f "$MODULE_SO" ] || die "no module at $MODULE_SO; run ./build.sh first"

# The one version of the project: the VERSION file.
VERSION=$(tr -d ' \n' < "$ROOT/VERSION")
[[ $VERSION =~ ^[0-9][0-9A-Za-z.+~-]*$ ]] || die "VERSION holds '$VERSION', not a Debian version"
ARCH=$(dpkg --print-architecture)

# nginx-dev records the ABI its headers belong to; the nginx package
# Provides exactly that name, so the dependency holds only for an nginx
# this module can be loaded into.  (dh_nginx reads the same file.)
nginx_abi() {
    local abi
    [ -r "$ABI_SUBSTVARS" ] || die "$ABI_SUBSTVARS is missing: install nginx-dev"
    abi=$(sed -n 's/^nginx:abi=//p' "$ABI_SUBSTVARS")
    [ -n "$abi" ] || die "no nginx:abi in $ABI_SUBSTVARS"
    echo "$abi"
}

# Shared-library dependencies (libssl3, libstdc++6, ...) computed by
# dpkg-shlibdeps from the .so itself, as debhelper would.
shlib_depends() {
    local work=$1
    (cd "$work" && dpkg-shlibdeps -O "debian/$PACKAGE/usr/lib/nginx/modules/$MODULE_FILE") \
        | sed -n 's/^shlibs:Depends=//p'
}

stage_files() {
    local pkg=$1 doc=$1/usr/share/doc/$PACKAGE

    # DEBIAN/ first: dpkg-shlibdeps finds the package root by it.
    install -d -m 755 "$pkg/DEBIAN" "$pkg/usr/lib/nginx/modules" \
        "$pkg/usr/share/nginx/modules-available" "$doc/examples"
    # Debian ships modules stripped (debug symbols go to a -dbgsym package).
    install -m 644 "$MODULE_SO" "$pkg/usr/lib/nginx/modules/$MODULE_FILE"
    strip --strip-unneeded --remove-section=.comment --remove-section=.note \
        "$pkg/usr/lib/nginx/modules/$MODULE_FILE"

    # The same line dh_nginx writes: relative to nginx's prefix, where
    # /usr/share/nginx/modules links to /usr/lib/nginx/modules.
    echo "load_module modules/$MODULE_FILE;" \
        > "$pkg/usr/share/nginx/modules-available/$CONF_NAME"
    chmod 644 "$pkg/usr/share/nginx/modules-available/$CONF_NAME"

    install -m 644 "$HERE/copyright" "$doc/copyright"
    install -m 644 "$ROOT/README.md" "$ROOT/SECURITY.md" "$doc/"
    install -m 644 "$ROOT"/examples/*.conf "$doc/examples/"
    install -m 755 "$ROOT/tools/webhook-sign" "$doc/examples/webhook-sign"
}

write_control() {
    local pkg=$1 depends=$2 size
    size=$(du -k -s --exclude=DEBIAN "$pkg" | cut -f1)
    sed -e '/^#/d' -e "s|@PACKAGE@|$PACKAGE|" -e "s|@VERSION@|$VERSION|" \
        -e "s|@ARCH@|$ARCH|" -e "s|@DEPENDS@|$depends|" -e "s|@SIZE@|$size|" \
        "$HERE/control.in" > "$pkg/DEBIAN/control"
    local script
    for script in postinst prerm postrm; do
        install -m 755 "$HERE/$script" "$pkg/DEBIAN/$script"
    done
    (cd "$pkg" && find usr -type f -print0 | sort -z | xargs -0 md5sum) \
        > "$pkg/DEBIAN/md5sums"
    chmod 644 "$pkg/DEBIAN/md5sums"
}

WORK=
trap '[ -z "$WORK" ] || rm -rf "$WORK"' EXIT

main() {
    local work abi libs deb
    WORK=$(mktemp -d)
    work=$WORK

    # dpkg-shlibdeps wants the debian/<package>/ layout and a control file.
    mkdir -p "$work/debian"
    printf 'Source: %s\n\nPackage: %s\nArchitecture: any\n' "$PACKAGE" "$PACKAGE" \
        > "$work/debian/control"
    local pkg=$work/debian/$PACKAGE
    mkdir -p "$pkg"
    chmod 755 "$pkg"

    stage_files "$pkg"
    abi=$(nginx_abi)
    libs=$(shlib_depends "$work")
    [ -n "$libs" ] || die "dpkg-shlibdeps found no library dependencies"
    write_control "$pkg" "$abi, $libs"

    mkdir -p "$OUT_DIR"
    deb=$(cd "$OUT_DIR" && pwd)/${PACKAGE}_${VERSION}_${ARCH}.deb
    dpkg-deb --root-owner-group -Zxz --build "$pkg" "$deb" >/dev/null
    echo "$deb"
}

main
