#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# The soak and reload-under-load tests (`./build.sh soak`), loopback only.
#
#   hardening/soak/soak.sh <module.so>
#
# 1. Soak: the system nginx with the module (one worker) in front of a second
#    nginx that answers 200 and logs what reached it.  Rounds of wrk
#    (HTTP/1.1 keep-alive, a Lua mix of pre-signed requests) and, at the same
#    time, h2load (HTTP/2) send valid, forged, stale, malformed and unsigned
#    requests, small and large (temp-file) bodies, until SOAK_REQUESTS
#    (default 1,000,000) were handled, within SOAK_MAX_SECONDS (default 900).
#    Requests are re-signed every round, so timestamps stay fresh.
# 2. Reload under load: wrk (HTTP/1.1, Connection: close) for RELOAD_SECONDS
#    while the front nginx is reloaded ten times (nginx -s reload).
# judge.pl then checks every figure and prints it; any failed check fails.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SO=${1:-}
TARGET=${SOAK_REQUESTS:-1000000}
MAX_SECONDS=${SOAK_MAX_SECONDS:-900}
ROUND_SECONDS=${SOAK_ROUND_SECONDS:-20}
RELOAD_SECONDS=${RELOAD_SECONDS:-30}
RELOADS=10
NGINX=/usr/sbin/nginx
WORK=$ROOT/build/soak

die() { printf 'soak: %s\n' "$*" >&2; exit 1; }
say() { printf '==> %s\n' "$*" >&2; }

[ -f "$SO" ] || die "usage: $0 <module.so> (run it through ./build.sh soak)"
for tool in wrk h2load perl curl; do
    command -v $tool >/dev/null || die "$tool not found: ./build.sh soak installs wrk and nghttp2-client"
done

free_port() {
    perl -MIO::Socket::INET -e 'print IO::Socket::INET->new(Listen => 1,
        LocalAddr => "127.0.0.1", LocalPort => 0, ReuseAddr => 1)->sockport'
}

# PIDs of the children of a master process.
children() {
    local master=$1
    ps --ppid "$master" -o pid= | sort -n | xargs
}

wait_port() {
    local port=$1 pid=$2 i
    for i in $(seq 100); do
        curl -s -o /dev/null "http://127.0.0.1:$port/" && return 0
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    die "nginx did not come up on port $port (see $WORK/*/error.log)"
}

MASTERS=()
stop_all() {
    local pid
    for pid in "${MASTERS[@]}"; do
        kill -QUIT "$pid" 2>/dev/null || true
    done
    for pid in "${MASTERS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    MASTERS=()
}
# On any exit: stop our background loops (by their PIDs) and our nginx.
cleanup() {
    touch "$WORK/stop" "$WORK/sampled" 2>/dev/null || true
    local job
    for job in $(jobs -p); do
        kill "$job" 2>/dev/null || true
    done
    stop_all
}
trap cleanup EXIT

# start_nginx <dir> <conf text>: starts nginx in its own prefix; sets $STARTED.
start_nginx() {
    local dir=$1 conf=$2
    mkdir -p "$dir"
    chmod 755 "$dir"
    printf '%s\n' "$conf" > "$dir/nginx.conf"
    "$NGINX" -p "$dir/" -c nginx.conf -e "$dir/error.log" 2>>"$dir/stderr.log" &
    STARTED=$!
    MASTERS+=("$STARTED")
}

common_conf() {
    local dir=$1
    cat <<CONF
daemon off;
master_process on;
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
worker_rlimit_nofile 8192;
events { worker_connections 4096; }
CONF
}

upstream_conf() {
    local dir=$1 port=$2
    common_conf "$dir"
    cat <<CONF
http {
    client_body_temp_path $dir/client_body_temp;
    log_format up '\$arg_kind \$request_length';
    server {
        listen 127.0.0.1:$port backlog=4096;
        keepalive_requests 100000;
        access_log off;
        client_max_body_size 1m;
        client_body_buffer_size 512k;
        location /hook {
            access_log $dir/upstream.log up buffer=256k flush=1s;
            return 200 "ok \$arg_kind\n";
        }
        location / { return 204; }      # start-up probes, not counted
    }
}
CONF
}

front_conf() {
    local dir=$1 port=$2 h2port=$3 status_port=$4 up_port=$5
    echo "load_module $SO;"
    common_conf "$dir"
    cat <<CONF
http {
    client_body_temp_path $dir/client_body_temp;
    proxy_temp_path $dir/proxy_temp;
    log_format front '\$arg_kind \$status \$webhook_signature_result \$upstream_addr \$server_protocol';
    access_log off;

    upstream app {
        server 127.0.0.1:$up_port;
        keepalive 64;
    }
    server {
        listen 127.0.0.1:$port backlog=4096;
        listen 127.0.0.1:$h2port http2 backlog=4096;
        keepalive_requests 100000;

        location /hook {
            webhook_signature           auto;
            webhook_signature_secret    soak-old-secret;
            webhook_signature_secret    whsec_soak-current-secret;
            # Requests are signed once per round: a wide window keeps them
            # fresh; the stale ones are two hours off.
            webhook_signature_tolerance 1h;
            # Failures are counted from the access log; logging each of
            # several hundred thousand at [error] would only fill the disk.
            webhook_signature_log_level info;

            client_body_buffer_size 16k;      # larger bodies go to temp files
            client_max_body_size    1m;
            add_header X-Soak-Kind \$arg_kind always;
            access_log $dir/front.log front buffer=256k flush=1s;

            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_pass http://app;
        }
    }
    server {
        listen 127.0.0.1:$status_port;
        location / { webhook_signature off; stub_status; }
    }
}
CONF
}

handled() {
    curl -s "http://127.0.0.1:$1/" | awk 'NR == 3 { print $3 }'
}

fd_count() {
    ls "/proc/$1/fd" 2>/dev/null | wc -l
}

rss_kb() {
    awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0
}

# Every second: "<requests handled> <worker RSS KiB>", until the stop file.
sample_rss() {
    local status_port=$1 worker=$2 out=$3 stop=$4
    while [ ! -e "$stop" ]; do
        echo "$(handled "$status_port") $(rss_kb "$worker")" >>"$out"
        sleep 1
    done
}

# h2load over every kind of a batch, in passes, until the stop file appears.
h2_loop() {
    local batch=$1 port=$2 out=$3 stop=$4
    local kind count body headers args
    while [ ! -e "$stop" ]; do
        while IFS=$'\t' read -r kind count body headers; do
            args=()
            if [ -n "$headers" ]; then
                while IFS= read -r h; do args+=(-H "$h"); done < <(tr '\t' '\n' <<<"$headers")
            fi
            echo "H2RUN $kind"
            h2load -n "$count" -c 2 -m 8 -d "$body" -H 'Content-Type: application/json' \
                "${args[@]}" "http://127.0.0.1:$port/hook?kind=$kind" 2>&1 \
                | grep -E '^(requests|status codes):' || echo "h2load failed"
        done < "$batch/h2/index"
    done >>"$out"
}

# Starts the upstream in <up> and the front nginx in <dir> on free ports;
# sets the caller's port (HTTP/1.1), h2port, sport (stub_status) and master.
start_front_and_upstream() {
    local dir=$1 up=$2 uport
    port=$(free_port); h2port=$(free_port); sport=$(free_port); uport=$(free_port)

    start_nginx "$up" "$(upstream_conf "$up" "$uport")"
    wait_port "$uport" "$STARTED"
    start_nginx "$dir" "$(front_conf "$dir" "$port" "$h2port" "$sport" "$uport")"
    master=$STARTED
    wait_port "$sport" "$master"
}

soak_phase() {
    local dir=$WORK/soak up=$WORK/upstream
    local port h2port sport master
    start_front_and_upstream "$dir" "$up"

    local workers start=$SECONDS round=0 n=0 fds_start
    workers=$(children "$master")
    fds_start=$(fd_count "${workers%% *}")
    say "soak: front nginx $master (worker $workers), target $TARGET requests"
    : >"$dir/wrk.out"; : >"$dir/h2.out"; : >"$dir/samples"
    rm -f "$WORK/sampled"
    sample_rss "$sport" "${workers%% *}" "$dir/samples" "$WORK/sampled" &
    local sampler=$!

    while [ "$n" -lt "$TARGET" ]; do
        [ $((SECONDS - start)) -lt "$MAX_SECONDS" ] \
            || die "only $n of $TARGET requests in ${MAX_SECONDS}s: raise SOAK_MAX_SECONDS on a slow machine"
        round=$((round + 1))
        perl "$HERE/sign.pl" "$WORK/batch" keep-alive 2000
        rm -f "$WORK/stop"
        h2_loop "$WORK/batch" "$h2port" "$dir/h2.out" "$WORK/stop" &
        local h2pid=$!
        wrk -t 1 -c 16 -d "${ROUND_SECONDS}s" -s "$HERE/mix.lua" \
            "http://127.0.0.1:$port/" -- "$WORK/batch" >>"$dir/wrk.out" 2>&1 \
            || die "wrk failed (see $dir/wrk.out)"
        touch "$WORK/stop"
        wait "$h2pid"
        n=$(handled "$sport")
        say "soak: round $round, $n requests handled, worker RSS $(rss_kb "${workers%% *}") KiB"
    done
    touch "$WORK/sampled"
    wait "$sampler"

    # RSS after the first 100,000 requests (the first sample past them) and
    # after the last ones, the load being over.
    echo "workers_start $workers" >"$dir/facts"
    echo "workers_end $(children "$master")" >>"$dir/facts"
    echo "rss_first $(awk '$1 >= 100000 { print; exit }' "$dir/samples")" >>"$dir/facts"
    echo "rss_last $(handled "$sport") $(rss_kb "${workers%% *}")" >>"$dir/facts"
    echo "seconds $((SECONDS - start))" >>"$dir/facts"
    # Once the clients are gone, the worker holds what it held at the start
    # plus at most the upstream keepalive pool (64), and no temp file is left.
    sleep 2
    echo "fds $fds_start $(fd_count "${workers%% *}")" >>"$dir/facts"
    echo "temp_files $(find "$dir/client_body_temp" -type f | wc -l)" >>"$dir/facts"
    stop_all        # flushes the buffered access logs
}

# True once <master> has a child that is not in the list <old> (10 s at most).
wait_new_worker() {
    local master=$1 old=" $2 " pid
    for _ in $(seq 100); do
        for pid in $(children "$master"); do
            [[ $old == *" $pid "* ]] || return 0
        done
        sleep 0.1
    done
    return 1
}

reload_phase() {
    local dir=$WORK/reload up=$WORK/reload-upstream
    local port h2port sport master
    start_front_and_upstream "$dir" "$up"

    perl "$HERE/sign.pl" "$WORK/batch" close 10
    say "reload under load: wrk for ${RELOAD_SECONDS}s, $RELOADS reloads"
    wrk -t 1 -c 8 -d "${RELOAD_SECONDS}s" -s "$HERE/mix.lua" \
        "http://127.0.0.1:$port/" -- "$WORK/batch" >"$dir/wrk.out" 2>&1 &
    local wrkpid=$! old generations=0
    sleep 2
    for _ in $(seq "$RELOADS"); do
        old=$(children "$master")
        "$NGINX" -p "$dir/" -c nginx.conf -e "$dir/error.log" -s reload 2>>"$dir/stderr.log"
        # A reload took effect once the master has a worker it did not have.
        if wait_new_worker "$master" "$old"; then
            generations=$((generations + 1))
        fi
        sleep $(( (RELOAD_SECONDS - 4) / RELOADS ))
    done
    wait "$wrkpid" || die "wrk failed during reloads (see $dir/wrk.out)"
    echo "reloads $RELOADS $generations" >"$dir/facts"
    stop_all
}

rm -rf "$WORK"
mkdir -p "$WORK"
chmod 755 "$WORK"
soak_phase
reload_phase
perl "$HERE/judge.pl" "$WORK" "$TARGET"
