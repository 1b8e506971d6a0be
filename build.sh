#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# One entry point: install what is missing, build, test, demo.
#
#   ./build.sh          install dependencies, build the module, print its path
#   ./build.sh test     build, then run the unit and integration tests
#   ./build.sh demo     build, then run the module in front of a demo upstream
#   ./build.sh deb      build, then package it as a Debian libnginx-mod-* .deb
#   ./build.sh sign     print curl headers signed as a webhook sender signs them
#   ./build.sh compat   build and test against upstream nginx (tools/nginx-compat.sh)
#   ./build.sh bench    build, then benchmark against a plain proxy, njs and Lua
#   ./build.sh bench replay [SIZE ...]  records a replay zone holds (32k, 1m)
#   ./build.sh bench instructions [--guard]  instructions per request (callgrind)
#   ./build.sh bench tls   the worker's CPU per request behind HTTPS, h1 and h2
#   ./build.sh fuzz [seconds]  run the libFuzzer targets (default 60 s each)
#   ./build.sh soak     >= 1,000,000 mixed requests and replays, reloads under load
#
# SANITIZE=1 ./build.sh test  runs the integration tests against the module
# built with ASan+UBSan; VALGRIND=1 ./build.sh test runs nginx under valgrind.
#
# NGINX_SRC=/path/to/nginx-source builds against that tree instead of
# Debian's nginx-dev (/usr/share/nginx/src).

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD=$ROOT/build
MODULE_NAME=ngx_http_webhook_signature_module
MODULE_SO=$BUILD/$MODULE_NAME.so
DEBIAN_SRC=/usr/share/nginx/src
PACKAGES=(nginx nginx-dev libssl-dev libcmocka-dev g++ make dpkg-dev
          perl curl openssl)

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'build.sh: %s\n' "$*" >&2; exit 1; }

usage() {
    sed -n 's/^#   \(\.\/build\.sh\)/\1/p' "$0" >&2
    exit 2
}

# Extra packages per subcommand, so `test` installs no fuzzing or load tools.
FUZZ_PACKAGES=(clang libclang-rt-dev)   # the fuzzer runtime is only a Recommends of clang
SOAK_PACKAGES=(wrk nghttp2-client procps)
BENCH_PACKAGES=(wrk libnginx-mod-http-js libnginx-mod-http-lua valgrind linux-perf
                nghttp2-client)   # BENCHMARKS.md
VALGRIND_PACKAGES=(valgrind)
# bench/instructions.sh: callgrind, and the Lua peer it counts beside the module
INSTRUCTIONS_PACKAGES=(valgrind libnginx-mod-http-lua)
# bench/tls.sh: h2load, for HTTP/1.1 and HTTP/2 over TLS alike
TLS_PACKAGES=(nghttp2-client)
TEST_PACKAGES=(faketime     # t/presets.t starts nginx's clock at a fixture's "now"
               python3-prometheus-client)   # t/metrics.t parses the exposition

# the unit tests and SANITIZE=1's module build
SANITIZER_FLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer"

missing_packages() {
    local pkg
    for pkg in "${PACKAGES[@]}" "$@"; do
        dpkg-query -W -f '${Status}' "$pkg" 2>/dev/null \
            | grep -q 'install ok installed' || echo "$pkg"
    done
}

# install_dependencies [extra packages...]
install_dependencies() {
    command -v dpkg-query >/dev/null || die "not a Debian system: install ${PACKAGES[*]} $* yourself"

    local missing
    missing=$(missing_packages "$@" | paste -sd ' ')
    [ -z "$missing" ] && return 0

    [ "$(id -u)" -eq 0 ] || die "missing packages: $missing; run as root or install them: apt-get install $missing"

    say "installing: $missing"
    # The nginx package would start the system service on port 80 from its
    # postinst; we only need the binary, so service starts are denied.
    local policy=/usr/sbin/policy-rc.d own_policy=
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' > "$policy"
        chmod 755 "$policy"
        own_policy=1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    # shellcheck disable=SC2086
    apt-get install -y -q --no-install-recommends $missing
    [ -n "$own_policy" ] && rm -f "$policy"
    return 0
}

configure_nginx() {
    local src=$1 objs=$2 extra=${3:-}

    if [ "$src" = "$DEBIAN_SRC" ]; then
        # Debian's own configure flags plus --with-compat make the module's
        # signature match the packaged nginx binary.  Linked, as Debian links
        # nginx, with full RELRO (-z now): symbols are bound once in the
        # master, not lazily in every worker.
        (cd "$src" && . ./conf_flags && ./configure \
            --with-cc-opt="$(dpkg-buildflags --get CFLAGS) -fPIC $(dpkg-buildflags --get CPPFLAGS) $extra" \
            --with-ld-opt="$(DEB_BUILD_MAINT_OPTIONS=hardening=+bindnow dpkg-buildflags --get LDFLAGS) -fPIC $extra" \
            "${NGX_CONF_FLAGS[@]}" \
            --add-dynamic-module="$ROOT" --builddir="$objs") >"$objs.configure.log" 2>&1
    else
        local configure=./configure
        [ -x "$src/configure" ] || configure=./auto/configure
        (cd "$src" && $configure --with-compat \
            ${extra:+--with-cc-opt="$extra" --with-ld-opt="$extra"} \
            --add-dynamic-module="$ROOT" --builddir="$objs") >"$objs.configure.log" 2>&1
    fi || die "nginx configure failed in $src; see $objs.configure.log"

    echo "$src $extra" > "$objs/.source"
}

# build_module [objs dir] [output .so] [extra compiler and linker flags]
build_module() {
    local objs=${1:-$BUILD/objs} so=${2:-$MODULE_SO} extra=${3:-}
    install_dependencies

    local src=${NGINX_SRC:-$DEBIAN_SRC}
    [ -d "$src/src/http" ] || die "no nginx source tree at $src (set NGINX_SRC or install nginx-dev)"
    src=$(cd "$src" && pwd)

    mkdir -p "$objs"
    if [ ! -f "$objs/Makefile" ] || [ "$(cat "$objs/.source" 2>/dev/null)" != "$src $extra" ] \
        || [ "$ROOT/config" -nt "$objs/Makefile" ] || [ "$ROOT/config.make" -nt "$objs/Makefile" ] \
        || [ "$ROOT/build.sh" -nt "$objs/Makefile" ]
    then
        say "configuring nginx from $src"
        configure_nginx "$src" "$objs" "$extra"
    fi

    say "building $MODULE_NAME${extra:+ ($extra)}"
    make -f "$objs/Makefile" -C "$src" -j"$(nproc)" modules >"$objs.make.log" 2>&1 \
        || { tail -n 40 "$objs.make.log" >&2; die "module build failed; see $objs.make.log"; }
    cp "$objs/$MODULE_NAME.so" "$so"
}

run_unit_tests() {
    local out=$BUILD/unit flags=(-g -O1 $SANITIZER_FLAGS)
    mkdir -p "$out"
    say "unit tests (cmocka)"

    # C tests drive the C API; C++ ones (test_*.cpp) the core's classes
    local test name failed=0
    for test in "$ROOT"/t/unit/test_*.c "$ROOT"/t/unit/test_*.cpp; do
        name=$(basename "${test%.*}")
        say "  $name"
        case $test in
            *.c) cc -std=c11 -Wall -Wextra -Werror "${flags[@]}" \
                     -I"$ROOT/src" -c "$test" -o "$out/$name.o" ;;
            *)   g++ -std=c++17 -Wall -Wextra -Werror "${flags[@]}" \
                     -I"$ROOT/src" -c "$test" -o "$out/$name.o" ;;
        esac
        g++ -std=c++17 -Wall -Wextra -Werror "${flags[@]}" -I"$ROOT/src" \
            "$ROOT"/src/*.cpp "$out/$name.o" -lcmocka -lcrypto -o "$out/$name"
        "$out/$name" || failed=1
    done
    return $failed
}

run_integration_tests() {
    say "integration tests (prove, real nginx $(nginx -v 2>&1 | sed 's/.*\///'))"
    (cd "$ROOT" && WEBHOOK_MODULE_SO=$MODULE_SO prove -I t/lib -j2 t/)
}

# The .deb carries a module built against Debian's nginx-dev only: its
# dependency on the nginx ABI is true for nothing else.
build_deb() {
    [ "${NGINX_SRC:-$DEBIAN_SRC}" = "$DEBIAN_SRC" ] \
        || die "the .deb is built against Debian's nginx-dev; unset NGINX_SRC"
    build_module
    say "packaging the module as a .deb"
    "$ROOT/packaging/deb/build-deb.sh" "$MODULE_SO" "$BUILD"
}

# SANITIZE=1 / VALGRIND=1 ./build.sh test: the same integration suite with
# the module built with ASan+UBSan (into build/asan/, so the normal .so stays
# as it is) and the runtime preloaded into nginx, or with nginx under
# valgrind memcheck.  hardening/test.sh sets nginx up and judges the reports.
run_hardened_integration_tests() {
    local status=0
    if [ -n "${SANITIZE:-}" ]; then
        local so=$BUILD/asan/$MODULE_NAME.so
        build_module "$BUILD/asan/objs" "$so" "$SANITIZER_FLAGS"
        "$ROOT/hardening/test.sh" sanitize "$so" || status=1
    fi
    if [ -n "${VALGRIND:-}" ]; then
        install_dependencies "${VALGRIND_PACKAGES[@]}"
        "$ROOT/hardening/test.sh" valgrind "$MODULE_SO" || status=1
    fi
    return $status
}

cmd=${1:-build}
case "$cmd" in
    build)
        build_module
        echo "$MODULE_SO"
        ;;
    test)
        build_module
        install_dependencies "${TEST_PACKAGES[@]}"
        status=0
        run_unit_tests || status=1
        if [ "${NGINX_SRC:-$DEBIAN_SRC}" = "$DEBIAN_SRC" ]; then
            # t/deb.t installs it (as root) and removes it again
            WEBHOOK_DEB=$(build_deb) || status=1
            export WEBHOOK_DEB
        fi
        if [ -n "${SANITIZE:-}${VALGRIND:-}" ]; then
            run_hardened_integration_tests || status=1
        else
            run_integration_tests || status=1
        fi
        [ $status -eq 0 ] || die "tests failed"
        say "all tests passed"
        ;;
    demo)
        build_module
        exec "$ROOT/examples/demo/run.sh" "$MODULE_SO"
        ;;
    deb)
        build_deb
        ;;
    sign)
        shift
        perl -MDigest::SHA -e 1 2>/dev/null \
            || die "signing needs perl with Digest::SHA: apt-get install perl"
        exec "$ROOT/tools/webhook-sign" "$@"
        ;;
    compat)
        shift
        exec "$ROOT/tools/nginx-compat.sh" "$@"
        ;;
    bench)
        build_module
        if [ "${2:-}" = replay ]; then
            WEBHOOK_MODULE_SO=$MODULE_SO exec perl -I "$ROOT/t/lib" \
                "$ROOT/bench/replay-zone.pl" "${@:3}"
        fi
        if [ "${2:-}" = instructions ]; then
            install_dependencies "${INSTRUCTIONS_PACKAGES[@]}"
            exec "$ROOT/bench/instructions.sh" "${@:3}" "$MODULE_SO"
        fi
        if [ "${2:-}" = tls ]; then
            install_dependencies "${TLS_PACKAGES[@]}"
            exec "$ROOT/bench/tls.sh" "$MODULE_SO"
        fi
        install_dependencies "${BENCH_PACKAGES[@]}"
        exec "$ROOT/bench/run.sh" "$MODULE_SO"
        ;;
    fuzz)
        install_dependencies "${FUZZ_PACKAGES[@]}"
        "$ROOT/fuzz/run.sh" "${2:-60}"
        ;;
    soak)
        build_module
        install_dependencies "${SOAK_PACKAGES[@]}"
        "$ROOT/hardening/soak/soak.sh" "$MODULE_SO"
        ;;
    -h|--help|help)
        usage
        ;;
    *)
        usage
        ;;
esac
