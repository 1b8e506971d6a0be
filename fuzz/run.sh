#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# Builds the libFuzzer targets (every fuzz/fuzz_<target>.cpp; clang, ASan +
# UBSan) and runs each for the given number of seconds from its seed corpus,
# as many at once as there are CPUs (FUZZ_JOBS overrides), then prints how
# many inputs each executed.  Called by `./build.sh fuzz [seconds]`.
#
#   fuzz/run.sh [seconds-per-target] [target...]     (default 60, all)
#
# A target's dictionary is fuzz/<target>.dict, else fuzz/headers.dict.
# New interesting inputs go to build/fuzz/corpus/<target> (kept between
# runs, never into the committed seeds); a crash leaves its input in
# build/fuzz/artifacts/ and fails the run.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=$ROOT/build/fuzz
SECONDS_PER_TARGET=${1:-60}
shift || true
if [ $# -gt 0 ]; then
    TARGETS=("$@")
else
    TARGETS=()
    for src in "$ROOT"/fuzz/fuzz_*.cpp; do
        src=${src##*/fuzz_}
        TARGETS+=("${src%.cpp}")
    done
fi

die() { printf 'fuzz: %s\n' "$*" >&2; exit 1; }
say() { printf '==> %s\n' "$*" >&2; }

[[ $SECONDS_PER_TARGET =~ ^[1-9][0-9]*$ ]] || die "seconds must be a positive integer, not '$SECONDS_PER_TARGET'"
for target in "${TARGETS[@]}"; do
    [ -f "$ROOT/fuzz/fuzz_$target.cpp" ] || die "no target fuzz/fuzz_$target.cpp"
done
JOBS=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 1)}
[[ $JOBS =~ ^[1-9][0-9]*$ ]] || die "FUZZ_JOBS must be a positive integer, not '$JOBS'"
command -v clang++ >/dev/null || die "clang++ not found: install the clang package (./build.sh fuzz does)"

# -fno-sanitize-recover makes any UBSan finding abort, so libFuzzer records
# it as a crash instead of printing it and going on.
FLAGS=(-std=c++17 -g -O1 -Wall -Wextra -Werror
       -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
       -fno-omit-frame-pointer -I"$ROOT/src")

build_target() {
    local target=$1
    say "building fuzz_$target"
    clang++ "${FLAGS[@]}" "$ROOT"/src/*.cpp "$ROOT/fuzz/fuzz_$target.cpp" \
        -lcrypto -o "$OUT/fuzz_$target" \
        || die "fuzz_$target failed to build"
}

# Runs one target; writes "<target> <executions> <corpus size>" to
# $OUT/fuzz_<target>.result, or fails.
run_target() {
    local target=$1 log=$OUT/fuzz_$target.log dict=$ROOT/fuzz/$target.dict
    [ -f "$dict" ] || dict=$ROOT/fuzz/headers.dict
    rm -f "$OUT/fuzz_$target.result"
    mkdir -p "$OUT/corpus/$target" "$OUT/artifacts"
    say "fuzzing fuzz_$target for ${SECONDS_PER_TARGET}s (log: $log)"
    if ! "$OUT/fuzz_$target" -max_total_time="$SECONDS_PER_TARGET" \
            -print_final_stats=1 -max_len=4096 -timeout=10 \
            -dict="$dict" \
            -artifact_prefix="$OUT/artifacts/$target-" \
            "$OUT/corpus/$target" "$ROOT/fuzz/corpus/$target" >"$log" 2>&1
    then
        grep -E 'ERROR|SUMMARY|property failed|runtime error' "$log" | head -n 20 >&2
        die "fuzz_$target found a crash: the input is in $OUT/artifacts/ (reproduce: $OUT/fuzz_$target <file>); turn it into a cmocka test in t/unit/, fix, run again"
    fi
    local execs corpus
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    corpus=$(find "$OUT/corpus/$target" -type f | wc -l)
    [ -n "$execs" ] || die "no final stats in $log"
    echo "$target $execs $corpus" >"$OUT/fuzz_$target.result"
}

mkdir -p "$OUT"
for target in "${TARGETS[@]}"; do
    build_target "$target"
done

# At most $JOBS targets at once: with 2 CPUs and 3 targets of 60 s, about
# two minutes of wall time.
# A target passed if it wrote its result.
for target in "${TARGETS[@]}"; do
    while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do
        wait -n || true
    done
    run_target "$target" &
done
wait || true

results=() failed=()
for target in "${TARGETS[@]}"; do
    if [ -f "$OUT/fuzz_$target.result" ]; then
        results+=("$(cat "$OUT/fuzz_$target.result")")
    else
        failed+=("fuzz_$target")
    fi
done
[ ${#failed[@]} -eq 0 ] || die "failed: ${failed[*]} (above)"

printf '\n%-14s %14s %10s %12s\n' target executions exec/s corpus
for line in "${results[@]}"; do
    read -r target execs corpus <<<"$line"
    printf '%-14s %14s %10s %12s\n' "fuzz_$target" "$execs" \
        "$((execs / SECONDS_PER_TARGET))" "$corpus"
done
say "fuzzing: no crash in ${SECONDS_PER_TARGET}s per target"
