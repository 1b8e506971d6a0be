#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# The module's own cost, counted: instructions per request with callgrind,
# the same in every run on any machine, however loaded (issue 14).  Run
# through `./build.sh bench instructions [--guard]`, or alone:
#
#   bench/instructions.sh [--guard] MODULE_SO
#
# ONE nginx process (master_process off, daemon off) runs under
# `valgrind --tool=callgrind --instr-atstart=no` and serves every location
# measured: plain proxy_pass to a small upstream (a second, plain nginx
# answering `return 200`), the module with each configuration under test,
# the Lua peer (bench/peers/novu_verify.lua) and a second plain one (the
# control: it must count as the first).  Each is a server of its own with
# one `location /`, so that requests to any of them take the same path
# through nginx up to the configuration's directives.
# bench/instructions-client.pl drives one at a time over one keep-alive
# connection: a forged request (must get 401), a warm-up, then callgrind's
# counters zeroed, COUNT pre-signed requests, one dump.  So every figure
# comes from the same run and the same binary, and
#
#   instructions per request = Ir of the location's dump / COUNT.
#
# Each configuration's requests (the same headers, body and signature) are
# also sent to the plain server: what nginx does for the signature headers
# themselves (parsing, proxying them) then cancels out, and "module -
# plain" is the module's work alone.  The
# signature check alone is counted the same way in bench/crypto_alone
# (the core's OpenSSL calls over the very message verified), and
#
#   overhead = (module - plain) - crypto alone
#
# is what the module adds besides the cryptography: parsing, context, body
# handling, comparison, logging, variables.  Allocator calls (malloc,
# calloc, realloc, memalign, operator new) per request come from the same
# dumps.  nginx re-formats its time strings once per wall-clock second, and
# under callgrind a 1 MiB request takes about a second: that cost depends on
# valgrind's speed, not on the code, and is left out of every figure
# (bench/callgrind-summary.pl, "clock").  So are the instructions inside
# the allocator (malloc, free and their kin; "allocator" there): glibc does
# more or less work for the same call depending on the heap's history, a
# few hundred instructions a request either way between two locations
# making the same calls, and any change to the process moves it; the calls
# themselves are counted (allocs per request, and how many more than
# plain).  And how a 1 MiB body arrives
# (how many reads, how many returns to epoll) depends on timing: with 4 MiB
# socket buffers (listen rcvbuf=, the client's SO_SNDBUF) it arrives whole
# and the count varies by a few hundred instructions per request at most
# (the control row shows how much); at 1 KiB it does not vary at all.
#
# Rows: novu (one literal secret; Lua beside it), stripe (t=,v1=),
# standard_webhooks, github (body only), twilio (a form body), discord
# (Ed25519), novu with the replay zone on (a new message per request),
# rotation (two secrets, the matching one second), a secret from a
# variable (map $http_x_tenant over 1,000 tenants: every request for one
# tenant, and at 1 KiB spread over all of them after each was used once;
# compared with novu_tenant, the literal secret over the same requests),
# each at 1 KiB and 64 KiB (in memory) and 1 MiB (client_body_buffer_size
# 16k: a temp file), enforcing.  discord's 1 MiB body is 1 KiB shorter: the
# core keeps an Ed25519 message whole up to 1 MiB, timestamp included.
#
# --guard: novu at 1 KiB only, 300 requests, and after them 150: exit
# status 1 when the overhead exceeds INSTRUCTIONS_GUARD_LIMIT (2000)
# instructions per request, or when the two counts differ by more than 50
# (then the measure is not deterministic on that machine).  The same
# configuration as the full run, so the same figure.  For CI: 10 s and the
# module's build.
#
# Knobs (environment): INSTRUCTIONS_COUNT ("1024:1000 65536:100
# 1048576:10", requests per size; the guard's 1024:300), INSTRUCTIONS_ROWS
# (a subset of the row names above, "novu lua replay" e.g.), BENCH_OUT
# (build/bench), INSTRUCTIONS_KEEP=1 keeps the private prefix (under
# build/), INSTRUCTIONS_LUA=0 runs without the Lua peer,
# INSTRUCTIONS_BREAKDOWN ("novu.1024 novu.1048576") the rows whose
# instructions the report follows function by function.  Writes
# build/bench/instructions.md and .tsv (the guard: instructions-guard.*),
# the dumps in build/bench/instructions/ (callgrind_annotate reads them;
# plain.ROW.SIZE.out is a row's plain twin, ROW.SIZE.crypto.out its
# crypto alone).

set -euo pipefail

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH")
# shellcheck source=bench/lib.sh
. "$BENCH/lib.sh"

GUARD=0
if [ "${1:-}" = --guard ]; then
    GUARD=1
    shift
fi
MODULE_SO=${1:?usage: bench/instructions.sh [--guard] MODULE_SO}
MODULE_SO=$(cd "$(dirname "$MODULE_SO")" && pwd)/$(basename "$MODULE_SO")

OUT=${BENCH_OUT:-$ROOT/build/bench}
GUARD_LIMIT=${INSTRUCTIONS_GUARD_LIMIT:-2000}
# how far the guard's two counts (N and N/2 requests) may differ
GUARD_STABLE=50
WARMUP=${INSTRUCTIONS_WARMUP:-3}
SECRET=whsec_bench_0123456789abcdef0123456789abcdef
TENANTS=1000
LUA_MODULES=/usr/lib/nginx/modules
# as bench/run.sh: glibc keeps its heap rather than trimming and faulting
# it back in; the same allocator work in every location
MALLOC_TUNABLES=glibc.malloc.trim_threshold=268435456

ALL_ROWS="novu lua stripe standard_webhooks github twilio discord replay rotation novu_tenant variable variable_spread control"
if [ "$GUARD" = 1 ]; then
    ROWS=(novu)
    COUNTS=${INSTRUCTIONS_COUNT:-1024:300}
else
    read -r -a ROWS <<< "${INSTRUCTIONS_ROWS:-$ALL_ROWS}"
    COUNTS=${INSTRUCTIONS_COUNT:-1024:1000 65536:100 1048576:10}
fi

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'instructions: %s\n' "$*" >&2; exit 1; }

[ -f "$MODULE_SO" ] || die "no module at $MODULE_SO: run ./build.sh first"
for tool in nginx valgrind callgrind_control perl g++ openssl curl; do
    command -v "$tool" >/dev/null || die "$tool not found: run ./build.sh bench instructions, which installs it"
done
# The Lua peer's server is in the configuration whichever rows run, so that
# every figure comes from the same nginx (its handlers run in every
# request); INSTRUCTIONS_LUA=0 leaves it out, and the lua row with it.
WITH_LUA=${INSTRUCTIONS_LUA:-1}
if [ "$WITH_LUA" = 0 ]; then
    read -r -a ROWS <<< "$(printf '%s\n' "${ROWS[@]}" | grep -vx lua | paste -sd ' ')"
else
    for so in ndk_http_module.so ngx_http_lua_module.so; do
        [ -f "$LUA_MODULES/$so" ] || die "$LUA_MODULES/$so missing: run ./build.sh bench instructions, which installs libnginx-mod-http-lua"
    done
fi

mkdir -p "$ROOT/build" "$OUT/instructions"
WORK=$(mktemp -d "$ROOT/build/instructions.XXXXXX")
FRONT_PID=''
UPSTREAM_PID=''


# Stops the two nginx (by their pids: they are our children) and keeps
# their logs.
cleanup() {
    stop "$FRONT_PID"
    stop "$UPSTREAM_PID"
    mkdir -p "$OUT/instructions/logs"
    cp "$WORK"/front/error.log "$OUT/instructions/logs/front.error.log" 2>/dev/null || true
    cp "$WORK"/front/valgrind.log "$OUT/instructions/logs/valgrind.log" 2>/dev/null || true
    cp "$WORK"/upstream/error.log "$OUT/instructions/logs/upstream.error.log" 2>/dev/null || true
    if [ "${INSTRUCTIONS_KEEP:-0}" = 1 ]; then
        say "kept $WORK"
    else
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM


# --- what is measured -------------------------------------------------------

# Every configuration has a server of its own, one in memory (m) and one
# that spills bodies to a temp file (s), on a port of its own, each with
# the same one `location /`: a request to any of them takes the same path
# through nginx (the same request line, the same location lookup) up to
# the configuration's directives.  (Locations of one server sit at
# different depths of nginx's location tree: ~100 instructions apart.)
CONFIGS=(plain novu stripe standard_webhooks github twilio discord replay
         rotation novu_tenant variable lua control)
declare -A PORT
PATH_=/hook

# the server (configuration) a row measures
server_of() {
    case $1 in
        variable_spread) echo variable ;;
        *) echo "$1" ;;
    esac
}

# Sizes per row: the spread over 1,000 tenants needs each tenant used once
# first, which at 64 KiB and 1 MiB would be most of the run.
sizes_of() {
    local size
    for size in $COUNTS; do
        size=${size%%:*}
        [ "$1" = variable_spread ] && [ "$size" != 1024 ] && continue
        echo "$size"
    done
}

count_of() {
    local pair
    for pair in $COUNTS; do
        [ "${pair%%:*}" = "$1" ] && { echo "${pair#*:}"; return; }
    done
    die "no count for size $1 in INSTRUCTIONS_COUNT"
}

# The directives of a configuration's location (besides proxy_pass).
verifier() {
    case $1 in
        novu)     echo "webhook_signature novu; webhook_signature_secret $SECRET;" ;;
        stripe)   echo "webhook_signature stripe; webhook_signature_secret $SECRET;" ;;
        standard_webhooks)
                  echo "webhook_signature standard_webhooks; webhook_signature_secret $SW_SECRET;" ;;
        github)   echo "webhook_signature github; webhook_signature_secret $SECRET;" ;;
        twilio)   echo "webhook_signature twilio; webhook_signature_secret $TWILIO_TOKEN;" ;;
        discord)  echo "webhook_signature discord; webhook_signature_secret $DISCORD_PUBLIC;" ;;
        replay)   echo "webhook_signature novu; webhook_signature_secret $SECRET;" \
                       "webhook_signature_replay bench_replay;" ;;
        # the matching secret second: the check hashes every body twice
        rotation) echo "webhook_signature novu; webhook_signature_secret ${SECRET}_retired;" \
                       "webhook_signature_secret $SECRET;" ;;
        # the secret the map gives tenant t0500, as a literal
        novu_tenant) echo "webhook_signature novu; webhook_signature_secret ${SECRET}_t0500;" ;;
        variable) echo "webhook_signature novu; webhook_signature_secret \$tenant_secret;" ;;
        lua)      echo "access_by_lua_block { require(\"novu_verify\").verify(\"$SECRET\") }" ;;
        plain|control) ;;
    esac
}

servers() {
    local name buffer
    for name in "${CONFIGS[@]}"; do
        [ "$name" = lua ] && [ "$WITH_LUA" = 0 ] && continue
        for buffer in m s; do
            # rcvbuf: a 1 MiB request arrives whole, read the same way in
            # every run (see the top)
            cat <<EOF
    server {
        listen 127.0.0.1:${PORT[$name.$buffer]} rcvbuf=4m;
        client_body_buffer_size $( [ $buffer = m ] && echo 2m || echo 16k );
        location / { $(verifier "$name") proxy_pass http://app; }
    }
EOF
        done
    done
}

tenant_map() {
    local i
    echo "    map \$http_x_tenant \$tenant_secret {"
    echo "        default \"\";"
    for i in $(seq 0 $((TENANTS - 1))); do
        printf '        t%04d "%s_t%04d";\n' "$i" "$SECRET" "$i"
    done
    echo "    }"
}

write_front_conf() {
    local dir=$WORK/front
    cat <<EOF
daemon off;
master_process off;
pid $dir/nginx.pid;
# error: a forged request's line is logged (warm-up only), nginx's warning
# about each body written to a temp file is not
error_log $dir/error.log error;
load_module $MODULE_SO;
$( [ "$WITH_LUA" = 1 ] && echo "load_module $LUA_MODULES/ndk_http_module.so;
load_module $LUA_MODULES/ngx_http_lua_module.so;" )
events { worker_connections 256; }
http {
$(common_http "$dir")
$( [ "$WITH_LUA" = 1 ] && echo "    lua_package_path \"$BENCH/peers/?.lua;;\";" )
    webhook_signature_replay_zone bench_replay:16m;
$(tenant_map)
    upstream app {
        server 127.0.0.1:$UPSTREAM_PORT;
        keepalive 8;
        keepalive_requests 1000000;
        keepalive_timeout 1h;
    }
    client_max_body_size 2m;
    proxy_http_version 1.1;
    proxy_set_header Connection "";
    server {
        listen 127.0.0.1:$FRONT_PORT;
        location = /ready { return 204; }
    }
$(servers)
}
EOF
}


# --- bodies and signatures --------------------------------------------------

# Deterministic bodies: the same bytes in every run.  JSON for all but
# twilio, whose body is a form (Twilio's SMS parameters, the text long).

body_for() {
    local name=$1 size=$2
    case $name in
        twilio)  make_body form "$size" ;;
        # the core keeps an Ed25519 message (timestamp and body) up to 1 MiB
        discord) make_body json $(( size >= 1048576 ? size - 1024 : size )) ;;
        *)       make_body json "$size" ;;
    esac
}

# The keys of the presets that do not take the secret verbatim.
make_keys() {
    SW_SECRET=whsec_$(printf 'bench standard webhooks key 0123' | base64 -w0)
    TWILIO_TOKEN=0123456789abcdef0123456789abcdef
    printf '%s\n' "$SECRET" > "$WORK/secret"
    printf '%s\n' "$SW_SECRET" > "$WORK/sw.secret"
    printf '%s\n' "$TWILIO_TOKEN" > "$WORK/twilio.secret"
    openssl genpkey -algorithm ed25519 -out "$WORK/discord.pem" 2>/dev/null \
        || die "openssl cannot make an Ed25519 key"
    DISCORD_PUBLIC=$("$ROOT/tools/webhook-sign" --scheme discord \
                         --key-file "$WORK/discord.pem" --public-key)
}

# The client options that sign a row's requests: novu's it signs itself
# (one signature for all, or a new message or tenant per request); the
# presets' come from tools/webhook-sign, signed now (their windows are 5
# minutes; a full run takes longer), as the sender signs.
SIGNED=()
sign_options() {
    local name=$1 body=$2 line args=() i
    SIGNED=()
    case $name in
        novu|lua|rotation|control) SIGNED=(--novu "$SECRET"); return ;;
        replay)   SIGNED=(--novu "$SECRET" --distinct); return ;;
        # the literal secret over the map's very requests (X-Tenant too):
        # a body split where those bytes put it is hashed at a cost of its
        # own, which the comparison leaves out
        variable|novu_tenant) SIGNED=(--novu "$SECRET" --tenant t0500); return ;;
        variable_spread) SIGNED=(--novu "$SECRET" --tenants "$TENANTS"); return ;;
        stripe|github) args=(--secret-file "$WORK/secret") ;;
        standard_webhooks) args=(--secret-file "$WORK/sw.secret") ;;
        twilio)   args=(--secret-file "$WORK/twilio.secret" --url "http://bench$PATH_") ;;
        discord)  args=(--key-file "$WORK/discord.pem") ;;
        *)        die "no signing for $name" ;;
    esac
    line=$("$ROOT/tools/webhook-sign" --scheme "$name" --body-file "$body" "${args[@]}") \
        || die "webhook-sign --scheme $name failed"
    # its output is shell-quoted by webhook-sign itself: -H '...' options,
    # or for twilio a whole curl command
    eval "args=($line)"
    for ((i = 0; i < ${#args[@]}; i++)); do
        if [ "${args[i]}" = -H ] && [[ ${args[i + 1]} != Content-Type:* ]]; then
            SIGNED+=(--header "${args[i + 1]}")
        fi
    done
    case $name in
        stripe|github) SIGNED+=(--secret "$SECRET") ;;
        standard_webhooks) SIGNED+=(--secret "$SW_SECRET") ;;
        twilio)   SIGNED+=(--secret "$TWILIO_TOKEN" --content-type application/x-www-form-urlencoded) ;;
        discord)  SIGNED+=(--public-key "$DISCORD_PUBLIC") ;;
    esac
}


# --- counting ---------------------------------------------------------------

# Drives one server; prints the dump's "total left allocs" and keeps the
# dump as $OUT/instructions/LABEL.out.
drive() {
    local label=$1 port=$2 body=$3 count=$4 warmup=$5
    shift 5
    local dump
    perl "$BENCH/instructions-client.pl" --port "$port" --path "$PATH_" \
        --body "$body" --count "$count" --warmup "$warmup" \
        --pid "$FRONT_PID" --label "$label" --work "$WORK" "$@" \
        || die "$label: the client failed (see $OUT/instructions/logs/front.error.log)"
    # the only numbered dump: each is moved away once read
    dump=$(ls "$WORK"/front/callgrind.out.[0-9]* 2>/dev/null | head -n 1)
    [ -n "$dump" ] || die "$label: callgrind wrote no dump"
    grep -qx "desc: Trigger: dump $label" "$dump" \
        || die "$label: $dump is not this location's dump"
    mv "$dump" "$OUT/instructions/$label.out"
    summarise "$OUT/instructions/$label.out"
}

summarise() {
    perl "$BENCH/callgrind-summary.pl" "$1" \
        | awk -F'\t' '$1 == "total" { t = $2 }
                      $1 == "clock" || $1 == "allocator" { left += $2 }
                      $1 == "allocs" { a = $2 } END { print t, left + 0, a }'
}

# bench/crypto_alone over the arguments the client wrote; prints its dump's
# "total left allocs".
crypto() {
    local label=$1 args_file=$2 count=$3 args dump=$WORK/crypto.out
    IFS=$'\t' read -r -a args < "$args_file"
    rm -f "$dump"*
    valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$dump" \
        "$WORK/crypto_alone" "${args[0]}" "${args[1]}" "${args[2]}" "$count" "${args[@]:3}" \
        2>"$WORK/crypto.log" \
        || die "$label: crypto_alone failed: $(tail -n 3 "$WORK/crypto.log")"
    mv "$dump.1" "$OUT/instructions/$label.crypto.out"
    summarise "$OUT/instructions/$label.crypto.out"
}

# One row: the plain location and the configuration's with the same
# requests, the crypto alone over the same message; appends
# "name size count" and the dumps' "total left allocs" (plain, module,
# crypto) and the crypto's count to RESULTS_FILE.
#
#   measure NAME SIZE RESULTS_FILE [COUNT [LABEL_PREFIX]]
measure() {
    local name=$1 size=$2 results=$3 count=${4:-} tag=${5:-}
    local buffer port plain body warmup=$WARMUP plain_r module_r crypto_r
    [ -n "$count" ] || count=$(count_of "$size")
    buffer=m
    [ "$size" -ge 1048576 ] && buffer=s
    port=${PORT[$(server_of "$name").$buffer]}
    plain=${PORT[plain.$buffer]}
    body=$(body_for "$name" "$size")
    # every tenant's key used once before the count
    [ "$name" = variable_spread ] && warmup=$TENANTS
    # LuaJIT compiles a trace once code has run about 56 times: that is a
    # one-time cost too
    if [ "$name" = lua ]; then
        warmup=100
        [ "$size" -ge 1048576 ] && warmup=20
    fi

    say "$name, $size-byte bodies: $count requests to plain (port $plain) and to $name (port $port)"
    sign_options "$name" "$body"
    plain_r=$(drive "${tag}plain.$name.$size" "$plain" "$body" "$count" "$warmup" "${SIGNED[@]}")
    sign_options "$name" "$body"
    case $name in
        control) module_r=$(drive "$tag$name.$size" "$port" "$body" "$count" "$warmup" "${SIGNED[@]}")
                 crypto_r="0 0 0" ;;
        replay)  module_r=$(drive "$tag$name.$size" "$port" "$body" "$count" "$warmup" --forged \
                                  --replayed --crypto "$WORK/crypto.args" --scheme "$name" "${SIGNED[@]}")
                 crypto_r=$(crypto "$tag$name.$size" "$WORK/crypto.args" "$count") ;;
        *)       module_r=$(drive "$tag$name.$size" "$port" "$body" "$count" "$warmup" --forged \
                                  --crypto "$WORK/crypto.args" --scheme "$name" "${SIGNED[@]}")
                 crypto_r=$(crypto "$tag$name.$size" "$WORK/crypto.args" "$count") ;;
    esac
    echo "$name $size $count $plain_r $module_r $crypto_r $count" >> "$results"
}

# overhead per request of a results file's row N (1: the first), rounded
overhead_of() {
    awk -v row="$(($2 + 1))" 'NR == row { printf "%.0f\n", ($7 - $8 - ($4 - $5)) / $3 - $10 / $13 }' "$1"
}


# --- main -------------------------------------------------------------------

read -r -a ports <<< "$(free_ports $((2 + 2 * ${#CONFIGS[@]})))"
UPSTREAM_PORT=${ports[0]}
# a 1 MiB request to the upstream arrives whole too (the front's rcvbuf=)
UPSTREAM_LISTEN=rcvbuf=4m
FRONT_PORT=${ports[1]}
i=2
for name in "${CONFIGS[@]}"; do
    PORT[$name.m]=${ports[i]}
    PORT[$name.s]=${ports[i + 1]}
    i=$((i + 2))
done
mkdir -p "$WORK/upstream" "$WORK/front"
make_keys

say "building bench/crypto_alone"
g++ -std=c++17 -O2 -Wall -Wextra -Werror "$BENCH/crypto_alone.cpp" -lcrypto \
    -o "$WORK/crypto_alone"

write_upstream_conf > "$WORK/upstream/nginx.conf"
nginx -p "$WORK/upstream" -c "$WORK/upstream/nginx.conf" -e "$WORK/upstream/error.log" &
UPSTREAM_PID=$!
wait_for_url "http://127.0.0.1:$UPSTREAM_PORT/ready" "$UPSTREAM_PID" || die "the upstream nginx does not start; see $WORK/upstream/error.log"

write_front_conf > "$WORK/front/nginx.conf"
nginx -t -q -p "$WORK/front" -c "$WORK/front/nginx.conf" -e "$WORK/front/error.log" \
    || die "the measured nginx's configuration does not load"
say "starting nginx under callgrind (port $FRONT_PORT)"
GLIBC_TUNABLES=$MALLOC_TUNABLES \
    valgrind --tool=callgrind --instr-atstart=no \
        --callgrind-out-file="$WORK/front/callgrind.out" \
        nginx -p "$WORK/front" -c "$WORK/front/nginx.conf" -e "$WORK/front/error.log" \
        2>"$WORK/front/valgrind.log" &
FRONT_PID=$!
wait_for_url "http://127.0.0.1:$FRONT_PORT/ready" "$FRONT_PID" || die "nginx under callgrind does not start; see $WORK/front/valgrind.log"
callgrind_control -i on "$FRONT_PID" >/dev/null 2>&1 \
    || die "callgrind_control cannot reach nginx under callgrind (pid $FRONT_PID)"

RESULTS=$WORK/results.tsv
CHECK=$WORK/check.tsv
HEAD="config size count plain_ir plain_left plain_allocs module_ir module_left module_allocs crypto_ir crypto_left crypto_allocs crypto_count"
echo "$HEAD" > "$RESULTS"
echo "$HEAD" > "$CHECK"
for name in "${ROWS[@]}"; do
    [[ " $ALL_ROWS " == *" $name "* ]] || die "unknown row $name (rows: $ALL_ROWS)"
    for size in $(sizes_of "$name"); do
        measure "$name" "$size" "$RESULTS"
    done
done
if [ "$GUARD" = 1 ]; then
    # then half the requests: a figure that moved with their number (a
    # one-time cost in the count) or between runs would not be one to fail
    # a build on.  Second, so that the first is measured as the full run
    # measures it (first after start-up: glibc's heap in the same state).
    count=$(count_of 1024)
    measure novu 1024 "$CHECK" $((count / 2)) half.
fi

report=$OUT/instructions.md
[ "$GUARD" = 1 ] && report=$OUT/instructions-guard.md
cp "$RESULTS" "${report%.md}.tsv"
perl "$BENCH/instructions-report.pl" "$RESULTS" "$OUT/instructions" "$GUARD_LIMIT" \
    | tee "$report"

if [ "$GUARD" = 1 ]; then
    overhead=$(overhead_of "$RESULTS" 1)
    half=$(overhead_of "$CHECK" 1)
    echo "instructions guard: novu 1 KiB overhead $overhead instructions per request" \
         "($(count_of 1024) requests; $half over half as many)" >&2
    if [ $(( overhead > half ? overhead - half : half - overhead )) -gt "$GUARD_STABLE" ]; then
        echo "instructions guard: FAIL: the count moved by more than $GUARD_STABLE with the number of requests: not a deterministic measure here" >&2
        exit 1
    fi
    if [ "$overhead" -gt "$GUARD_LIMIT" ]; then
        echo "instructions guard: FAIL: $overhead > $GUARD_LIMIT" >&2
        exit 1
    fi
    echo "instructions guard: ok ($overhead <= $GUARD_LIMIT)" >&2
fi
