#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# Builds nginx itself and the module from upstream nginx sources, then runs
# the integration tests against that nginx: proof that the module compiles
# (nginx builds with -Werror) and behaves the same on each version.
#
#   tools/nginx-compat.sh [SOURCE ...]
#
# A SOURCE is an nginx source directory (a release tarball unpacked, or a
# checkout) or a git ref (release-1.24.0, master, ...) of the nginx git
# repository named by NGINX_GIT.  Without arguments: the versions the README
# lists as tested.  Each build goes to build/compat/<name>/; the module
# built for Debian (build/*.so) is left alone.  Needs what ./build.sh needs
# (run it once first) plus libpcre2-dev and zlib1g-dev, installed here when
# missing.

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=$ROOT/build/compat
MODULE_NAME=ngx_http_webhook_signature_module
DEFAULT_SOURCES=(release-1.24.0 release-1.26.3 release-1.28.3 release-1.30.4
                 release-1.31.4 master)
# What the integration tests use besides the core: TLS, HTTP/2, stub_status,
# auth_request; --with-debug for the debug-level log tests.
CONFIGURE_FLAGS=(--with-compat --with-debug --with-threads --with-http_ssl_module
                 --with-http_v2_module --with-http_auth_request_module
                 --with-http_stub_status_module)
EXTRA_PACKAGES=(libpcre2-dev zlib1g-dev)

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'nginx-compat.sh: %s\n' "$*" >&2; exit 1; }

install_extra_packages() {
    local pkg missing=()
    for pkg in "${EXTRA_PACKAGES[@]}"; do
        dpkg-query -W -f '${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' \
            || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    [ "$(id -u)" -eq 0 ] || die "missing packages: ${missing[*]}; apt-get install them"
    say "installing: ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# Copies SOURCE into $OUT/<name>/src and prints <name>.
unpack() {
    local source=$1 name dir
    if [ -d "$source" ]; then
        [ -f "$source/auto/configure" ] || [ -f "$source/configure" ] \
            || die "$source is not an nginx source tree"
        name=$(basename "$(cd "$source" && pwd)")
        dir=$OUT/$name
        rm -rf "$dir" && mkdir -p "$dir/src"
        cp -a "$source/." "$dir/src/"
    else
        [ -n "${NGINX_GIT:-}" ] \
            || die "'$source' is not a directory; to build a git ref set NGINX_GIT to a clone of https://github.com/nginx/nginx"
        git --git-dir="$NGINX_GIT" rev-parse -q --verify "$source^{commit}" >/dev/null \
            || die "no ref '$source' in $NGINX_GIT"
        name=$source
        dir=$OUT/$name
        rm -rf "$dir" && mkdir -p "$dir/src"
        git --git-dir="$NGINX_GIT" archive "$source" | tar -x -C "$dir/src"
    fi
    echo "$name"
}

build_one() {
    local name=$1 dir=$OUT/$1 configure=./configure
    [ -x "$dir/src/configure" ] || configure=./auto/configure
    say "$name: configure and build nginx with the module"
    (cd "$dir/src" && $configure "${CONFIGURE_FLAGS[@]}" \
        --add-dynamic-module="$ROOT" --builddir="$dir/objs") >"$dir/configure.log" 2>&1 \
        || die "$name: configure failed; see $dir/configure.log"
    make -C "$dir/src" -f "$dir/objs/Makefile" -j"$(nproc)" >"$dir/make.log" 2>&1 \
        || { tail -n 30 "$dir/make.log" >&2; die "$name: build failed; see $dir/make.log"; }
}

test_one() {
    local name=$1 dir=$OUT/$1
    say "$name: integration tests against $("$dir/objs/nginx" -v 2>&1 | sed 's/.*: //')"
    (cd "$ROOT" && NGINX_BINARY=$dir/objs/nginx \
        WEBHOOK_MODULE_SO=$dir/objs/$MODULE_NAME.so prove -I t/lib -j2 t/) \
        >"$dir/prove.log" 2>&1
}

main() {
    local sources=("$@") source name failed=() passed=()
    if [ ${#sources[@]} -eq 0 ]; then
        sources=("${DEFAULT_SOURCES[@]}")
    fi
    install_extra_packages
    mkdir -p "$OUT"

    for source in "${sources[@]}"; do
        name=$(unpack "$source")
        build_one "$name"
        if test_one "$name"; then
            passed+=("$name")
        else
            tail -n 15 "$OUT/$name/prove.log" >&2
            failed+=("$name")
        fi
    done

    say "passed: ${passed[*]:-none}"
    [ ${#failed[@]} -eq 0 ] || die "tests failed on: ${failed[*]} (logs in $OUT/<name>/prove.log)"
}

main "$@"
