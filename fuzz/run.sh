#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# Builds the libFuzzer targets (clang, ASan + UBSan) and runs each for the
# given number of seconds from its seed corpus, then prints how many inputs
# each executed.  Called by `./build.sh fuzz [seconds]`.
#
#   fuzz/run.sh [seconds-per-target]      (default 60)
#
# New interesting inputs go to build/fuzz/corpus/<target> (kept between
# runs, never into the committed seeds); a crash leaves its input in
# build/fuzz/artifacts/ and fails the run.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=$ROOT/build/fuzz
SECONDS_PER_TARGET=${1:-60}
TARGETS=(headers verify)

die() { printf 'fuzz: %s\n' "$*" >&2; exit 1; }
say() { printf '==> %s\n' "$*" >&2; }

[[ $SECONDS_PER_TARGET =~ ^[1-9][0-9]*$ ]] || die "seconds must be a positive integer, not '$SECONDS_PER_TARGET'"
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

# Runs one target; prints "<target> <executions> <corpus size>".
run_target() {
    local target=$1 log=$OUT/fuzz_$target.log
    mkdir -p "$OUT/corpus/$target" "$OUT/artifacts"
    say "fuzzing fuzz_$target for ${SECONDS_PER_TARGET}s (log: $log)"
    if ! "$OUT/fuzz_$target" -max_total_time="$SECONDS_PER_TARGET" \
            -print_final_stats=1 -max_len=4096 -timeout=10 \
            -dict="$ROOT/fuzz/headers.dict" \
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
    echo "$target $execs $corpus"
}

mkdir -p "$OUT"
for target in "${TARGETS[@]}"; do
    build_target "$target"
done

results=()
for target in "${TARGETS[@]}"; do
    results+=("$(run_target "$target")")
done

printf '\n%-14s %14s %10s %12s\n' target executions exec/s corpus
for line in "${results[@]}"; do
    read -r target execs corpus <<<"$line"
    printf '%-14s %14s %10s %12s\n' "fuzz_$target" "$execs" \
        "$((execs / SECONDS_PER_TARGET))" "$corpus"
done
say "fuzzing: no crash in ${SECONDS_PER_TARGET}s per target"
