#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# Benchmarks the module against a plain proxy and against the njs and Lua
# verifiers a user would otherwise write.  Run through `./build.sh bench`.
#
#   bench/run.sh MODULE_SO
#
# Everything runs on 127.0.0.1 in a private prefix with free ports: one small
# upstream nginx (`return 200`) and, in front of it, one nginx per
# configuration (worker_processes 1): baseline (plain proxy_pass), module
# (webhook_signature novu, enforcing), rotation (the module with two
# secrets, the matching one second, so every body is hashed twice: the
# difference to module is what one HMAC pass costs inside the worker), njs
# and lua.  Each is first shown to reject a forged request, then driven by
# wrk with pre-signed POST bodies, the configurations interleaved round by
# round.  Measured per run: requests per second and the worker's CPU time
# per request (from /proc/PID/schedstat over the requests nginx counted;
# the user/system split from /proc/PID/stat).  Also: the worker's peak
# RSS with 1 MiB bodies held in memory, where the worker's CPU goes by
# shared object (perf), the HMAC floor (`openssl speed`), the core alone
# (bench/core_bench.cpp) and callgrind instructions per request.
#
# With two or more cores the measured front workers get CPU 1 and wrk and
# the upstream share CPU 0, so that the worker's CPU time is its own work
# rather than a share of a core it fights for.
#
# Knobs (environment): BENCH_DURATION seconds per run (3), BENCH_ROUNDS (9),
# BENCH_CONNECTIONS (8), BENCH_SIZES ("1024 65536 1048576"), BENCH_CONFIGS
# (a subset of "baseline module rotation njs lua"; keep baseline), BENCH_PHASES
# (a subset of "speed profile memory floor callgrind instructions tls"),
# BENCH_CALLGRIND=0 to skip both callgrind phases, BENCH_OUT result folder
# (build/bench).  The instructions phase is bench/instructions.sh (its own
# nginx under callgrind, every configuration; build/bench/instructions.md),
# the tls phase bench/tls.sh (its own nginx behind HTTPS, plain and module;
# build/bench/tls.md).

set -euo pipefail

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH")
MODULE_SO=${1:?usage: bench/run.sh MODULE_SO}
MODULE_SO=$(cd "$(dirname "$MODULE_SO")" && pwd)/$(basename "$MODULE_SO")

DURATION=${BENCH_DURATION:-3}
ROUNDS=${BENCH_ROUNDS:-9}
CONNECTIONS=${BENCH_CONNECTIONS:-8}
CALLGRIND=${BENCH_CALLGRIND:-1}
OUT=${BENCH_OUT:-$ROOT/build/bench}

SIZES=(${BENCH_SIZES:-1024 65536 1048576})
CONFIGS=(${BENCH_CONFIGS:-baseline module rotation njs lua})
PHASES=" ${BENCH_PHASES:-speed profile memory floor callgrind instructions tls} "
SECRET=whsec_bench_0123456789abcdef0123456789abcdef
LUA_MODULES=/usr/lib/nginx/modules
TICKS_PER_SECOND=$(getconf CLK_TCK)
MEMORY_REPEATS=3

# glibc returns the top of the heap to the kernel whenever 128 KiB of it are
# free, and faults it back in on the next large allocation: with 64 KiB
# bodies that made 0 to 11 page faults per request, varying from run to run
# and configuration to configuration with how requests happened to overlap,
# and the faults, not the configurations, decided the system CPU.  Every
# nginx here keeps its heap instead, so the comparison is of the work done.
MALLOC_TUNABLES=glibc.malloc.trim_threshold=268435456

# nginx's worker_cpu_affinity masks and wrk's CPU list; empty: not pinned
if [ "$(nproc)" -ge 2 ]; then
    FRONT_CPU=10 UPSTREAM_CPU=01 CLIENT_CPUS=(taskset -c 0)
else
    FRONT_CPU= UPSTREAM_CPU= CLIENT_CPUS=()
fi

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'bench: %s\n' "$*" >&2; exit 1; }

[ -f "$MODULE_SO" ] || die "no module at $MODULE_SO: run ./build.sh first"
for tool in nginx wrk openssl curl perl g++; do
    command -v "$tool" >/dev/null || die "$tool not found: run ./build.sh bench, which installs it"
done
if [[ $PHASES == *" tls "* ]]; then
    command -v h2load >/dev/null || die "h2load not found (the tls phase): run ./build.sh bench, which installs nghttp2-client"
fi
for so in ngx_http_js_module.so ngx_http_lua_module.so ndk_http_module.so; do
    [ -f "$LUA_MODULES/$so" ] || die "$LUA_MODULES/$so missing: run ./build.sh bench, which installs libnginx-mod-http-js and libnginx-mod-http-lua"
done

# Workers run as nobody: the prefix must be readable for them.
WORK=$(mktemp -d /tmp/webhook-bench.XXXXXX)
chmod 755 "$WORK"
mkdir -p "$OUT"

declare -A PORT

stop_nginx() {
    local pidfile=$WORK/$1/nginx.pid pid
    [ -f "$pidfile" ] || return 0
    pid=$(cat "$pidfile")
    kill -QUIT "$pid" 2>/dev/null || true
    for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    rm -f "$pidfile"
}

# Stops our nginx instances (by their pid files) and keeps their error logs.
cleanup() {
    local dir name
    mkdir -p "$OUT/logs"
    for dir in "$WORK"/*/; do
        [ -d "$dir" ] || continue
        name=$(basename "$dir")
        stop_nginx "$name"
        [ -f "$dir/error.log" ] && cp "$dir/error.log" "$OUT/logs/$name.error.log"
    done
    rm -rf "$WORK"
}
trap cleanup EXIT

free_port() {
    perl -MIO::Socket::INET -e \
        'print IO::Socket::INET->new(Listen => 1, LocalAddr => "127.0.0.1",
                                     LocalPort => 0, ReuseAddr => 1)->sockport'
}


# --- nginx configurations --------------------------------------------------

# The parts every instance shares: one worker, its own pid, logs and temp
# folders inside the prefix.
common_head() {
    local name=$1 cpu=$FRONT_CPU
    [ "$name" = upstream ] && cpu=$UPSTREAM_CPU
    cat <<EOF
worker_processes 1;
${cpu:+worker_cpu_affinity $cpu;}
pid $WORK/$name/nginx.pid;
# error: nginx warns about every body written to a temp file
error_log $WORK/$name/error.log error;
EOF
}

common_http() {
    local name=$1
    cat <<EOF
    access_log off;
    client_body_temp_path $WORK/$name/body;
    proxy_temp_path $WORK/$name/proxy;
    fastcgi_temp_path $WORK/$name/fastcgi;
    uwsgi_temp_path $WORK/$name/uwsgi;
    scgi_temp_path $WORK/$name/scgi;
EOF
}

write_upstream_conf() {
    cat <<EOF
$(common_head upstream)
events { worker_connections 1024; }
http {
$(common_http upstream)
    server {
        listen 127.0.0.1:${PORT[upstream]};
        client_max_body_size 2m;
        # return discards the request body, as a fast application would
        location / { return 200 "ok\n"; }
    }
}
EOF
}

# What each configuration adds in front of proxy_pass: the same locations,
# only the verification differs.
load_modules() {
    case $1 in
        module|rotation) echo "load_module $MODULE_SO;" ;;
        njs)    echo "load_module $LUA_MODULES/ngx_http_js_module.so;" ;;
        lua)    echo "load_module $LUA_MODULES/ndk_http_module.so;"
                echo "load_module $LUA_MODULES/ngx_http_lua_module.so;" ;;
    esac
}

http_setup() {
    case $1 in
        njs) echo "    js_path $BENCH/peers;"
             echo "    js_import novu from novu_verify.js;" ;;
        lua) echo "    lua_package_path \"$BENCH/peers/?.lua;;\";" ;;
    esac
}

verifier() {
    case $1 in
        module) echo "webhook_signature novu; webhook_signature_secret $SECRET; proxy_pass http://app;" ;;
        # the matching secret second: every request is hashed twice
        rotation) echo "webhook_signature novu; webhook_signature_secret ${SECRET}_retired;" \
                       "webhook_signature_secret $SECRET; proxy_pass http://app;" ;;
        njs)    echo "set \$webhook_secret $SECRET; js_content novu.verify;" ;;
        lua)    echo "access_by_lua_block { require(\"novu_verify\").verify(\"$SECRET\") } proxy_pass http://app;" ;;
        *)      echo "proxy_pass http://app;" ;;
    esac
}

# nginx unlinks a spilled body's temp file as it creates it; njs can only
# read it back by name if nginx keeps it (for the request's lifetime).
spill_setup() {
    [ "$1" = njs ] && echo "client_body_in_file_only clean;"
    return 0
}

# /mem/ holds bodies up to 2 MiB in memory; /spill/ writes any body over
# 16 KiB to a temp file.
write_front_conf() {
    local name=$1 master=${2:-on}
    cat <<EOF
$(common_head "$name")
master_process $master;
$(load_modules "$name")
events { worker_connections 1024; }
http {
$(common_http "$name")
$(http_setup "$name")
    upstream app {
        server 127.0.0.1:${PORT[upstream]};
        keepalive 32;
    }
    server {
        listen 127.0.0.1:${PORT[$name]};
        client_max_body_size 2m;
        proxy_http_version 1.1;
        proxy_set_header Connection "";

        location = /status { stub_status; }
        location /mem/ {
            client_body_buffer_size 2m;
            $(verifier "$name")
        }
        location /spill/ {
            client_body_buffer_size 16k;
            $(spill_setup "$name")
            $(verifier "$name")
        }
        location @upstream { proxy_pass http://app; }
    }
}
EOF
}

wait_for_port() {
    local port=$1
    for _ in $(seq 100); do
        curl -s -o /dev/null "http://127.0.0.1:$port/" && return 0
        sleep 0.1
    done
    return 1
}

start_nginx() {
    local name=$1
    mkdir -p "$WORK/$name"
    if [ "$name" = upstream ]; then
        write_upstream_conf > "$WORK/$name/nginx.conf"
    else
        write_front_conf "$name" > "$WORK/$name/nginx.conf"
    fi
    GLIBC_TUNABLES=$MALLOC_TUNABLES \
        nginx -p "$WORK/$name" -c "$WORK/$name/nginx.conf" -e "$WORK/$name/error.log" \
        || die "nginx ($name) did not start; see $WORK/$name/error.log"
    wait_for_port "${PORT[$name]}" || die "nginx ($name) does not answer on port ${PORT[$name]}"
}

worker_pid() {
    local master
    master=$(cat "$WORK/$1/nginx.pid")
    cat "/proc/$master/task/$master/children" | awk '{ print $1 }'
}

# "utime stime minflt": CPU in clock ticks and minor page faults (fields 14,
# 15 and 10, counted after the comm)
cpu_ticks() {
    sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12, $13, $8 }'
}

# requests nginx has accepted so far (stub_status counts its own request)
served_requests() {
    curl -s "http://127.0.0.1:$1/status" | awk 'NR == 3 { print $3 }'
}

# "VmHWM RssFile" in KiB: the peak, and the file-backed part of the resident
# set (code of nginx and the libraries it has touched, shared with other
# processes); file pages stay once touched, so the peak's anonymous part,
# the request memory, is at least VmHWM - RssFile.
peak_rss_kb() {
    awk '/^VmHWM:/ { hwm = $2 } /^RssFile:/ { file = $2 }
         END { print hwm, file }' "/proc/$1/status"
}


# --- requests ---------------------------------------------------------------

path_for() {
    case $1 in
        1048576) echo /spill/hook ;;
        *)       echo /mem/hook ;;
    esac
}

make_body() {
    local size=$1 file=$WORK/body.$1
    # printable bytes: 3 random bytes make 4 base64 characters
    head -c $(( (size + 3) / 4 * 3 )) /dev/urandom | base64 -w0 > "$file"
    truncate -s "$size" "$file"
    echo "$file"
}

# Novu-Signature for a body, timestamped now in milliseconds (as Novu Cloud)
sign() {
    local body=$1 ts mac
    ts=$(date +%s%3N)
    mac=$( { printf '%s.' "$ts"; cat "$body"; } \
           | openssl dgst -sha256 -hmac "$SECRET" -r | cut -d' ' -f1)
    echo "t=$ts,v1=$mac"
}

post_status() {
    local port=$1 path=$2 body=$3 signature=$4
    curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
        ${signature:+-H "Novu-Signature: $signature"} \
        --data-binary "@$body" "http://127.0.0.1:$port$path"
}

# Each verifier must pass a signed request and reject a forged or unsigned
# one, for an in-memory and a spilled body, before its speed means anything.
check_verifies() {
    local name=$1 port=${PORT[$1]} size body path good forged got
    for size in 1024 1048576; do
        body=$WORK/body.$size
        path=$(path_for "$size")
        good=$(sign "$body")
        forged=${good%?}0
        [ "$forged" != "$good" ] || forged=${good%?}1

        got=$(post_status "$port" "$path" "$body" "$good")
        [ "$got" = 200 ] || die "$name: a signed $size-byte request got $got, not 200 (see $OUT/logs/$name.error.log)"
        [ "$name" = baseline ] && continue

        got=$(post_status "$port" "$path" "$body" "$forged")
        [ "$got" = 401 ] || die "$name: a forged $size-byte request got $got, not 401"
        got=$(post_status "$port" "$path" "$body" "")
        [ "$got" = 401 ] || die "$name: an unsigned $size-byte request got $got, not 401"
    done
    say "$name: signed requests pass, forged and unsigned ones get 401"
}

# "steal total" in clock ticks over all CPUs, from /proc/stat: the time the
# hypervisor gave this VM's CPUs to someone else, and all the time (user to
# steal; guest time is already counted in user).
machine_ticks() {
    awk '$1 == "cpu" { total = 0; for (i = 2; i <= 9; i++) total += $i
                       print $9, total; exit }' /proc/stat
}

# The worker's time on a CPU in nanoseconds, from the scheduler's own
# accounting (exact, where /proc/PID/stat counts in clock ticks).
cpu_ns() {
    awk '{ print $1 }' "/proc/$1/schedstat"
}

# One wrk run.  Prints "requests rps cpu_us user_us sys_us faults steal":
# the worker's CPU time per request (total from schedstat; user and system
# from /proc/PID/stat, in clock ticks), its minor page faults per request,
# and the share of the machine's CPU time stolen by the hypervisor during
# the run (a VM's neighbours at work: such runs are slower for reasons of
# their own).
drive() {
    local name=$1 path=$2 body=$3 seconds=$4
    local port=${PORT[$1]} worker t0 t1 ns0 ns1 m0 m1 n0 n1 out requests
    local status_errors socket_errors duration

    worker=$(worker_pid "$name")
    n0=$(served_requests "$port")
    t0=$(cpu_ticks "$worker")
    ns0=$(cpu_ns "$worker")
    m0=$(machine_ticks)

    out=$(BENCH_BODY_FILE=$body BENCH_SIGNATURE=$(sign "$body") \
          "${CLIENT_CPUS[@]}" wrk -t1 -c"$CONNECTIONS" -d"${seconds}s" -s "$BENCH/post.lua" \
              "http://127.0.0.1:$port$path" | grep '^BENCH ') \
        || die "wrk failed against $name"

    m1=$(machine_ticks)
    ns1=$(cpu_ns "$worker")
    t1=$(cpu_ticks "$worker")
    n1=$(served_requests "$port")

    requests=$(sed 's/.*requests=\([0-9]*\).*/\1/' <<<"$out")
    duration=$(sed 's/.*duration_us=\([0-9]*\).*/\1/' <<<"$out")
    status_errors=$(sed 's/.*status_errors=\([0-9]*\).*/\1/' <<<"$out")
    socket_errors=$(sed 's/.*socket_errors=\([0-9]*\).*/\1/' <<<"$out")
    [ "$status_errors" -eq 0 ] || die "$name answered $status_errors requests with an error status (see $OUT/logs/$name.error.log)"
    [ "$socket_errors" -eq 0 ] || say "$name: $socket_errors socket errors (counted out)"

    # the status request of n1 is not a benchmark request
    awk -v req="$requests" -v us="$duration" -v served=$((n1 - n0 - 1)) \
        -v t0="$t0" -v t1="$t1" -v hz="$TICKS_PER_SECOND" \
        -v ns="$((ns1 - ns0))" -v m0="$m0" -v m1="$m1" \
        'BEGIN { split(t0, a, " "); split(t1, b, " "); split(m0, c, " "); split(m1, d, " ")
                 user = (b[1] - a[1]) * 1e6 / hz / served
                 sys = (b[2] - a[2]) * 1e6 / hz / served
                 faults = (b[3] - a[3]) / served
                 steal = d[2] > c[2] ? (d[1] - c[1]) * 100 / (d[2] - c[2]) : 0
                 printf "%d %.1f %.2f %.2f %.2f %.2f %.1f\n", req, req / (us / 1e6),
                        ns / 1e3 / served, user, sys, faults, steal }'
}


# --- phases -----------------------------------------------------------------

# The configurations in the order a round runs them: as listed in odd
# rounds, reversed in even ones (A B B A), so that a machine getting
# slower or faster during a size's rounds does not favour whoever runs
# first; a configuration's run and the baseline's it is compared with stay
# moments apart.
round_order() {
    if [ $(( $1 % 2 )) -eq 1 ]; then
        printf '%s\n' "${CONFIGS[@]}"
    else
        printf '%s\n' "${CONFIGS[@]}" | tac
    fi
}

phase_speed() {
    local size round name body path result
    echo "size config round requests rps cpu_us user_us sys_us faults steal" > "$OUT/speed.tsv"

    for size in "${SIZES[@]}"; do
        body=$WORK/body.$size
        path=$(path_for "$size")
        say "speed, $size-byte bodies: warming up"
        for name in "${CONFIGS[@]}"; do
            drive "$name" "$path" "$body" 1 >/dev/null
        done
        for round in $(seq "$ROUNDS"); do
            for name in $(round_order "$round"); do
                result=$(drive "$name" "$path" "$body" "$DURATION")
                echo "$size $name $round $result" >> "$OUT/speed.tsv"
                say "  $size B round $round $name: $result (requests, req/s, worker CPU us/req: total user sys, page faults/req, steal %)"
            done
        done
    done
}

# Peak RSS of a fresh worker after a run of 1 MiB bodies held in memory;
# a peak depends on how requests happened to overlap, so it is repeated.
# At CONNECTIONS and at four times as many: what grows with the number of
# requests in flight (a copy of the body would) shows apart from what a
# worker pays once (the code it maps).
phase_memory() {
    local name round connections body=$WORK/body.1048576
    echo "config round peak_rss_kb rss_file_kb connections" > "$OUT/memory.tsv"
    for connections in "$CONNECTIONS" $((4 * CONNECTIONS)); do
        say "memory: 1 MiB bodies in memory, $connections connections"
        for round in $(seq "$MEMORY_REPEATS"); do
            for name in "${CONFIGS[@]}"; do
                stop_nginx "$name"
                start_nginx "$name"
                CONNECTIONS=$connections drive "$name" /mem/hook "$body" "$DURATION" >/dev/null
                echo "$name $round $(peak_rss_kb "$(worker_pid "$name")") $connections" \
                    >> "$OUT/memory.tsv"
            done
        done
    done
}

# The HMAC's own cost (openssl speed counts user CPU time) and the core's.
phase_floor() {
    local size line
    echo "size openssl_us" > "$OUT/floor.tsv"
    for size in "${SIZES[@]}"; do
        line=$(openssl speed -seconds 3 -bytes "$size" -hmac sha256 2>/dev/null | tail -n 1)
        # "hmac(sha256)  891103.31k" is thousands of bytes per second
        awk -v size="$size" '{ v = $NF; sub(/k$/, "", v);
                               printf "%d %.3f\n", size, size / (v * 1000) * 1e6 }' \
            <<<"$line" >> "$OUT/floor.tsv"
    done

    say "core microbenchmark"
    g++ -std=c++17 -O2 -Wall -Wextra -Werror -I"$ROOT/src" "$ROOT"/src/*.cpp \
        "$BENCH/core_bench.cpp" -lcrypto -o "$OUT/core_bench"
    "$OUT/core_bench" 3 0 "${SIZES[@]}" > "$OUT/core.txt"
    cat "$OUT/core.txt" >&2
}

# Where the worker's CPU goes, by shared object (the kernel, nginx, libc,
# libcrypto, the module): perf samples the worker for DURATION seconds in
# the middle of a wrk run, and each object's share of the worker's CPU time
# (schedstat) is divided by the requests served meanwhile.  An object's
# share is little disturbed by noise elsewhere, so this shows what the
# module's own code costs even when the totals move between runs.
profile_run() {
    local name=$1 size=$2 port=${PORT[$1]} body=$WORK/body.$2
    local path worker wrk_pid n0 n1 ns0 ns1 data=$WORK/perf.$1.$2

    path=$(path_for "$size")
    worker=$(worker_pid "$name")
    BENCH_BODY_FILE=$body BENCH_SIGNATURE=$(sign "$body") \
        "${CLIENT_CPUS[@]}" wrk -t1 -c"$CONNECTIONS" -d"$((DURATION + 2))s" -s "$BENCH/post.lua" \
            "http://127.0.0.1:$port$path" >/dev/null &
    wrk_pid=$!
    sleep 1

    n0=$(served_requests "$port")
    ns0=$(cpu_ns "$worker")
    perf record -q -o "$data" -p "$worker" -- sleep "$DURATION" >/dev/null 2>&1 \
        || { wait "$wrk_pid"; return 1; }
    ns1=$(cpu_ns "$worker")
    n1=$(served_requests "$port")
    wait "$wrk_pid" || true

    # "12.34%  libcrypto.so.3" lines; the status request is not counted
    perf report -i "$data" --stdio --sort dso -g none 2>/dev/null \
        | awk -v size="$size" -v name="$name" -v ns="$((ns1 - ns0))" -v served=$((n1 - n0 - 1)) \
              '$1 ~ /%$/ { pct = $1; sub(/%/, "", pct)
                          printf "%s %s %s %.3f\n", size, name, $2, pct / 100 * ns / 1e3 / served }'
    rm -f "$data"
}

phase_profile() {
    local size name
    if ! command -v perf >/dev/null; then
        say "profile: perf not found, skipped (./build.sh bench installs linux-perf)"
        return 0
    fi
    echo "size config object us_per_req" > "$OUT/profile.tsv"
    for size in "${SIZES[@]}"; do
        for name in baseline module; do
            say "profile: $name, $size-byte bodies"
            profile_run "$name" "$size" >> "$OUT/profile.tsv" \
                || { say "profile: perf record failed (perf_event_paranoid?), skipped"; return 0; }
        done
    done
}

# Instructions per request of one nginx process (master_process off) under
# callgrind: counted only over a fixed number of keep-alive requests, after
# a warm-up, so start-up and shutdown are left out.
callgrind_run() {
    local name=$1 size=$2 count=$3 dir=$WORK/cg-$1 body=$WORK/body.$2
    local path pid signature urls=() i dump

    stop_nginx "$name"
    mkdir -p "$dir"
    write_front_conf "$name" off | sed "s#$WORK/$name/#$dir/#; s/^worker_processes 1;/daemon off;/" \
        > "$dir/nginx.conf"
    valgrind --tool=callgrind --instr-atstart=no \
        --callgrind-out-file="$dir/callgrind.out" \
        nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" 2>"$dir/valgrind.log" &
    pid=$!
    wait_for_port "${PORT[$name]}" || sleep 5

    path=$(path_for "$size")
    signature=$(sign "$body")
    for i in $(seq "$count"); do urls+=("http://127.0.0.1:${PORT[$name]}$path"); done

    post_status "${PORT[$name]}" "$path" "$body" "$signature" >/dev/null   # warm-up
    callgrind_control -i on "$pid" >/dev/null 2>&1
    curl -s -H 'Content-Type: application/json' -H "Novu-Signature: $signature" \
        --data-binary "@$body" "${urls[@]}" >/dev/null
    callgrind_control -d "$pid" >/dev/null 2>&1
    kill -QUIT "$pid"
    wait "$pid" || true

    dump=$(ls "$dir"/callgrind.out.* 2>/dev/null | head -n 1)
    [ -n "$dump" ] || die "callgrind wrote no dump; see $dir/valgrind.log"
    awk -v n="$count" '/^(summary|totals):/ { print int($2 / n); exit }' "$dump"
    mkdir -p "$OUT/callgrind"
    cp "$dump" "$OUT/callgrind/$name.$size.out"
    rm -rf "$dir"
}

phase_callgrind() {
    local size name count
    command -v valgrind >/dev/null || die "valgrind not found: run ./build.sh bench"
    echo "size config instructions" > "$OUT/callgrind.tsv"
    for size in "${SIZES[@]}"; do
        case $size in 1048576) count=10 ;; 65536) count=100 ;; *) count=1000 ;; esac
        for name in baseline module; do
            say "callgrind: $name, $count requests of $size bytes"
            echo "$size $name $(callgrind_run "$name" "$size" "$count")" >> "$OUT/callgrind.tsv"
        done
    done
}

# The module's own cost in instructions per request, every configuration
# side by side in one nginx (bench/instructions.sh, which writes its own
# report); the instances above keep running meanwhile, idle.
phase_instructions() {
    say "instructions per request (bench/instructions.sh: $OUT/instructions.md)"
    BENCH_OUT=$OUT "$BENCH/instructions.sh" "$MODULE_SO" >/dev/null
}

# What a user sees behind TLS: the worker's CPU per request, plain and
# module, over HTTPS keep-alive, HTTP/1.1 and HTTP/2 (bench/tls.sh, which
# writes its own report); the instances above keep running meanwhile, idle.
phase_tls() {
    say "a TLS front (bench/tls.sh: $OUT/tls.md)"
    BENCH_OUT=$OUT "$BENCH/tls.sh" "$MODULE_SO" >/dev/null
}

machine() {
    echo "cpu: $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo), $(nproc) cores"
    echo "kernel: $(uname -r)"
    echo "nginx: $(nginx -v 2>&1 | sed 's/.*\///')"
    echo "openssl: $(openssl version)"
    echo "wrk: $DURATION s per run, $ROUNDS rounds, $CONNECTIONS connections, 1 thread"
}


# --- main -------------------------------------------------------------------

for name in upstream "${CONFIGS[@]}"; do
    PORT[$name]=$(free_port)
done
# check_verifies uses 1 KiB and 1 MiB bodies whatever BENCH_SIZES says
for size in $(printf '%s\n' 1024 1048576 "${SIZES[@]}" | sort -un); do
    make_body "$size" >/dev/null
done

machine > "$OUT/machine.txt"
for name in upstream "${CONFIGS[@]}"; do
    start_nginx "$name"
done
for name in "${CONFIGS[@]}"; do
    check_verifies "$name"
done

for phase in speed profile memory floor callgrind instructions tls; do
    [[ $PHASES == *" $phase "* ]] || continue
    case $phase in
        callgrind|instructions) [ "$CALLGRIND" = 0 ] && continue ;;
    esac
    "phase_$phase"
done

perl "$BENCH/report.pl" "$OUT" | tee "$OUT/report.md"
