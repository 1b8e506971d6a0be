#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# Runs the integration suite (prove t/) with nginx in a hardening mode, then
# fails if any sanitizer or memcheck report was written.  Called by
# `SANITIZE=1 ./build.sh test` and `VALGRIND=1 ./build.sh test`.
#
#   hardening/test.sh sanitize <module.so built with ASan+UBSan>
#   hardening/test.sh valgrind <module.so>
#
# The tests and their assertions are the usual ones; only how nginx runs
# changes (t/lib/Harness.pm: NGINX_ENV, NGINX_WRAPPER, HARNESS_TIMEOUT_SCALE).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MODE=${1:-}
SO=${2:-}

die() { printf 'hardening/test.sh: %s\n' "$*" >&2; exit 1; }
say() { printf '==> %s\n' "$*" >&2; }

[ -f "$SO" ] || die "usage: $0 sanitize|valgrind <module.so> (run it through ./build.sh test)"

# A fresh directory for the reports, writable by the workers (user nobody).
fresh_report_dir() {
    local dir=$1
    rm -rf "$dir"
    mkdir -p "$dir"
    chmod 1777 "$dir"
}

prove_suite() {
    (cd "$ROOT" && WEBHOOK_MODULE_SO=$SO prove -I t/lib -j2 t/)
}

# ASan + UBSan.  The module is instrumented; nginx is not, so the ASan
# runtime is preloaded into the nginx master (it must come first in the
# library list); workers are forked from it, not exec'd, and keep the
# runtime and its options even though nginx clears their environment.
#
# detect_leaks=0: nginx frees neither its cycle nor its connection and event
# arrays at exit, by design, and Debian's nginx is stripped of its static
# function names, so a suppression cannot tell those from request-time
# allocations (it would have to cover every worker stack); the module's own
# frames cannot be named either, its .so being unloaded before the exit-time
# leak report.  Leaks are covered instead by LeakSanitizer in the unit tests
# and fuzz targets (the core), the valgrind mode (--keep-debuginfo names the
# module's frames) and the soak test's RSS bound.
sanitize() {
    local reports=$ROOT/build/asan/reports libasan
    libasan=$(gcc -print-file-name=libasan.so)
    [ -f "$libasan" ] || die "gcc's libasan.so not found ($libasan): install gcc's sanitizer runtime (apt-get install libasan8)"
    # (Output captured first: grep -q closing a pipe early fails under pipefail.)
    local symbols
    symbols=$(nm -D "$SO")
    [[ $symbols == *__asan_report* ]] || die "$SO is not built with AddressSanitizer"

    fresh_report_dir "$reports"
    local asan="log_path=$reports/asan:detect_leaks=0:detect_stack_use_after_return=1:check_initialization_order=1"
    local ubsan="log_path=$reports/ubsan:print_stacktrace=1"

    # The runtime must really be live inside nginx, or a clean run proves
    # nothing: at verbosity=1 it announces itself when nginx starts.
    local banner
    banner=$(LD_PRELOAD=$libasan ASAN_OPTIONS=verbosity=1 /usr/sbin/nginx -v 2>&1)
    [[ $banner == *AddressSanitizer* ]] \
        || die "the ASan runtime did not start inside nginx with LD_PRELOAD=$libasan"

    say "integration tests, module built with ASan+UBSan ($SO), $libasan preloaded into nginx"
    local status=0
    NGINX_ENV="LD_PRELOAD=$libasan ASAN_OPTIONS=$asan UBSAN_OPTIONS=$ubsan" \
        prove_suite || status=1

    local found
    found=$(find "$reports" -type f | wc -l)
    if [ "$found" -ne 0 ]; then
        find "$reports" -type f | head -n 5 | xargs -r head -n 40 >&2
        die "$found sanitizer report(s) in $reports (shown above: the first 5)"
    fi
    [ $status -eq 0 ] || die "integration tests failed under the sanitizers"
    say "sanitizers: integration suite passed, 0 reports"
}

# Valgrind memcheck.  nginx runs as usual (master and worker); valgrind
# follows fork() by itself, so every worker is checked, each process
# writing its own log.  --keep-debuginfo keeps the module's symbols after
# nginx unloads it, so leaks can be attributed.
valgrind_mode() {
    local reports=$ROOT/build/valgrind
    command -v valgrind >/dev/null || die "valgrind not found: apt-get install valgrind"
    fresh_report_dir "$reports"

    local wrapper="valgrind --tool=memcheck --log-file=$reports/vg.%p
        --suppressions=$ROOT/hardening/valgrind.supp --keep-debuginfo=yes
        --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=none
        --num-callers=30 --track-origins=yes"

    say "integration tests, nginx under valgrind memcheck (slow)"
    local status=0
    NGINX_WRAPPER=$(echo $wrapper) HARNESS_TIMEOUT_SCALE=10 prove_suite || status=1

    "$ROOT/hardening/valgrind-report.pl" "$reports" || status=1
    [ $status -eq 0 ] || die "integration tests failed under valgrind (logs: $reports)"
    say "valgrind: integration suite passed, 0 errors, 0 leaks from the module"
}

case "$MODE" in
    sanitize) sanitize ;;
    valgrind) valgrind_mode ;;
    *) die "unknown mode '$MODE': sanitize or valgrind" ;;
esac
