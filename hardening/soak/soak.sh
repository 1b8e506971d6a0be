#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# The soak and reload-under-load tests (`./build.sh soak`), loopback only.
#
#   hardening/soak/soak.sh <module.so>
#
# 1. Soak: the system nginx with the module (one worker) and a replay zone in
#    front of a second nginx that answers 200 and logs what reached it.
#    Rounds of wrk (HTTP/1.1 keep-alive, each round a pool of
#    SOAK_ROUND_REQUESTS pre-signed requests sent once, in order) and, at the
#    same time, h2load (HTTP/2) send valid, forged, stale, malformed and
#    unsigned requests, small and large (temp-file) bodies, and copies of
#    valid messages (sequential and concurrent), until SOAK_REQUESTS (default
#    1,000,000) were handled, within SOAK_MAX_SECONDS (default 900).
#    Requests are signed for each round, so timestamps stay fresh; every
#    valid message is new.
# 2. Reload under load: wrk (HTTP/1.1, Connection: close) for RELOAD_SECONDS
#    while the front nginx, with a replay zone too, is reloaded ten times
#    (nginx -s reload); a probe message delivered before the first reload is
#    sent again after the last.
# judge.pl then checks every figure and prints it; any failed check fails.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SO=${1:-}
TARGET=${SOAK_REQUESTS:-1000000}
MAX_SECONDS=${SOAK_MAX_SECONDS:-900}
ROUND_REQUESTS=${SOAK_ROUND_REQUESTS:-25000}
RELOAD_SECONDS=${RELOAD_SECONDS:-30}
RELOAD_REQUESTS=150000          # the reload's pool, cycled if it runs out
RELOADS=10
# The soak's replay zone: a record lives twice the tolerance and a second
# (21 s: requests are signed once per round of SOAK_ROUND_REQUESTS, a few
# seconds of sending).  The 2,500-4,000 new valid messages a second of a
# 2-core machine keep some 50,000-85,000 records live, under what 12m holds
# (about 98,000), while a soak of 1,000,000 requests makes well over
# 400,000: the zone fills four times over, which works only if expired
# records make room.  Copies follow their message by at most a few hundred
# requests, well within the lifetime.
SOAK_ZONE_MB=12
SOAK_TOLERANCE=10
# The reload's zone keeps every record of the phase (1h tolerance: two
# hours): 150,000 requests hold about 80,000 valid messages, 16m at most
# 131,072 records.
RELOAD_ZONE_MB=16
RELOAD_TOLERANCE=3600
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
    log_format up '\$arg_kind \$arg_id \$request_length \$http_novu_signature \$http_x_webhook_signature';
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

# front_conf <dir> <port> <h2port> <status port> <upstream port> <replay zone>
#            <tolerance in seconds>
front_conf() {
    local dir=$1 port=$2 h2port=$3 status_port=$4 up_port=$5 zone=$6
    local tolerance=$7
    echo "load_module $SO;"
    common_conf "$dir"
    cat <<CONF
http {
    client_body_temp_path $dir/client_body_temp;
    proxy_temp_path $dir/proxy_temp;
    log_format front '\$arg_kind \$arg_id \$status \$webhook_signature_result \$upstream_addr \$server_protocol \$pid \$msec';
    access_log off;
    webhook_signature_replay_zone $zone;

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
            # Requests are signed once per round: the window keeps them
            # fresh; the stale ones are two hours off.
            webhook_signature_tolerance ${tolerance}s;
            # Failures are counted from the access log; logging each of
            # several hundred thousand at [error] would only fill the disk.
            webhook_signature_log_level info;
            # Copies of a message delivered are refused (401), copies of
            # one in flight too (429), neither forwarded.
            webhook_signature_replay    ${zone%%:*} key=mac;

            client_body_buffer_size 16k;      # larger bodies go to temp files
            client_max_body_size    1m;
            add_header X-Soak-Kind \$arg_kind always;
            access_log $dir/front.log front buffer=256k flush=1s;

            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_pass http://app;
        }
        location = /soak-idle { return 204; }   # mix.lua's, once its pool is sent
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

# "<VmRSS> <RssAnon> <RssShmem>" in KiB: all of the worker's resident
# memory, its private part (what a leak grows) and the shared memory it
# touched (the replay zone's pages, up to the zone's size).
memory_kb() {
    awk '/^(VmRSS|RssAnon|RssShmem):/ { v[$1] = $2 }
         END { print v["VmRSS:"] + 0, v["RssAnon:"] + 0, v["RssShmem:"] + 0 }' \
        "/proc/$1/status" 2>/dev/null || echo 0 0 0
}

# Every second: "<requests handled> <VmRSS> <RssAnon> <RssShmem>", until
# the stop file.
sample_rss() {
    local status_port=$1 worker=$2 out=$3 stop=$4
    while [ ! -e "$stop" ]; do
        echo "$(handled "$status_port") $(memory_kb "$worker")" >>"$out"
        sleep 1
    done
}

# h2load over the runs of a batch until the stop file appears: every run
# once, then again and again those of the other kinds (a valid message is
# new in one run only: the copies are the run's own).
h2_loop() {
    local batch=$1 port=$2 out=$3 stop=$4
    local kind id count clients streams body headers args query pass=0
    while [ ! -e "$stop" ]; do
        pass=$((pass + 1))
        while IFS=$'\t' read -r kind id count clients streams body headers; do
            [ ! -e "$stop" ] || break
            [ "$pass" -eq 1 ] || [ "$id" = - ] || continue
            args=()
            if [ -n "$headers" ]; then
                while IFS= read -r h; do args+=(-H "$h"); done < <(tr '\t' '\n' <<<"$headers")
            fi
            query="kind=$kind"
            [ "$id" = - ] || query="$query&id=$id"
            echo "H2RUN $kind $id $count"
            h2load -n "$count" -c "$clients" -m "$streams" -d "$body" \
                -H 'Content-Type: application/json' \
                "${args[@]}" "http://127.0.0.1:$port/hook?$query" 2>&1 \
                | grep -E '^(requests|status codes):' || echo "h2load failed"
        done < "$batch/h2/index"
    done >>"$out"
}

# Starts the upstream in <up> and the front nginx in <dir>, with the replay
# zone <zone> and the tolerance <seconds>, on free ports; sets the caller's
# port (HTTP/1.1), h2port, sport (stub_status) and master.
start_front_and_upstream() {
    local dir=$1 up=$2 zone=$3 tolerance=$4 uport
    port=$(free_port); h2port=$(free_port); sport=$(free_port); uport=$(free_port)

    start_nginx "$up" "$(upstream_conf "$up" "$uport")"
    wait_port "$uport" "$STARTED"
    start_nginx "$dir" "$(front_conf "$dir" "$port" "$h2port" "$sport" "$uport" "$zone" "$tolerance")"
    master=$STARTED
    wait_port "$sport" "$master"
}

soak_phase() {
    local dir=$WORK/soak up=$WORK/upstream
    local port h2port sport master
    start_front_and_upstream "$dir" "$up" "soak:${SOAK_ZONE_MB}m" "$SOAK_TOLERANCE"

    local workers start=$SECONDS round=0 n=0 fds_start left
    workers=$(children "$master")
    fds_start=$(fd_count "${workers%% *}")
    say "soak: front nginx $master (worker $workers), target $TARGET requests"
    : >"$dir/wrk.out"; : >"$dir/h2.out"; : >"$dir/samples"; : >"$dir/plan"
    echo "replay_zone $((SOAK_ZONE_MB * 1024 * 1024)) $((2 * SOAK_TOLERANCE + 1))" >"$dir/facts"
    rm -f "$WORK/sampled"
    sample_rss "$sport" "${workers%% *}" "$dir/samples" "$WORK/sampled" &
    local sampler=$!

    while [ "$n" -lt "$TARGET" ]; do
        left=$((MAX_SECONDS - (SECONDS - start)))
        [ "$left" -gt 0 ] \
            || die "only $n of $TARGET requests in ${MAX_SECONDS}s: raise SOAK_MAX_SECONDS on a slow machine"
        round=$((round + 1))
        perl "$HERE/sign.pl" "$WORK/batch" soak "$ROUND_REQUESTS" "$WORK/ids"
        cat "$WORK/batch/h1/plan" >>"$dir/plan"
        rm -f "$WORK/stop"
        h2_loop "$WORK/batch" "$h2port" "$dir/h2.out" "$WORK/stop" &
        local h2pid=$!
        # The pool once (mix.lua stops wrk then); -d only bounds the round.
        wrk -t 1 -c 16 -d "${left}s" -s "$HERE/mix.lua" \
            "http://127.0.0.1:$port/" -- "$WORK/batch" once >>"$dir/wrk.out" 2>&1 \
            || die "wrk failed (see $dir/wrk.out)"
        touch "$WORK/stop"
        wait "$h2pid"
        # what the judge counts: the front's access log (buffered for a
        # second, so this may fall short and run one more round, never less)
        n=$(wc -l <"$dir/front.log")
        say "soak: round $round, $n requests logged, worker RSS $(rss_kb "${workers%% *}") KiB"
    done
    touch "$WORK/sampled"
    wait "$sampler"

    # Memory at the start, after the first 100,000 requests (the first
    # sample past them; a tenth of a smaller target) and after the last
    # ones, the load being over.
    local warm=$(( TARGET < 1000000 ? TARGET / 10 : 100000 ))
    echo "workers_start $workers" >>"$dir/facts"
    echo "workers_end $(children "$master")" >>"$dir/facts"
    echo "rss_start $(head -n 1 "$dir/samples")" >>"$dir/facts"
    echo "rss_first $(awk -v warm="$warm" '$1 >= warm { print; exit }' "$dir/samples")" >>"$dir/facts"
    echo "rss_last $(handled "$sport") $(memory_kb "${workers%% *}")" >>"$dir/facts"
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

# The children of <master> not in the list <old>.
new_children() {
    local master=$1 old=" $2 " pid
    for pid in $(children "$master"); do
        [[ $old == *" $pid "* ]] || printf '%s ' "$pid"
    done
}

# probe <batch> <port>: sends the batch's probe message, prints the status.
probe() {
    local batch=$1 port=$2
    curl -s -o /dev/null -w '%{http_code}' -H @"$batch/probe.headers" \
        --data-binary @"$batch/probe.body" "http://127.0.0.1:$port$(cat "$batch/probe.path")" \
        || echo "curl-failed"
}

reload_phase() {
    local dir=$WORK/reload up=$WORK/reload-upstream
    local port h2port sport master
    start_front_and_upstream "$dir" "$up" "reload:${RELOAD_ZONE_MB}m" "$RELOAD_TOLERANCE"

    perl "$HERE/sign.pl" "$WORK/batch" reload "$RELOAD_REQUESTS" "$WORK/ids"
    say "reload under load: wrk for ${RELOAD_SECONDS}s, $RELOADS reloads"
    wrk -t 1 -c 8 -d "${RELOAD_SECONDS}s" -s "$HERE/mix.lua" \
        "http://127.0.0.1:$port/" -- "$WORK/batch" cycle >"$dir/wrk.out" 2>&1 &
    local wrkpid=$! old generations=0 first g
    sleep 2
    # Which worker generation each worker is (the front log names the
    # worker that answered), and the probe: delivered now, sent again once
    # the last reload is done; the zone, kept across reloads, refuses it.
    echo "generation 0 $(children "$master")" >"$dir/facts"
    first=$(probe "$WORK/batch" "$port")
    for g in $(seq "$RELOADS"); do
        old=$(children "$master")
        "$NGINX" -p "$dir/" -c nginx.conf -e "$dir/error.log" -s reload 2>>"$dir/stderr.log"
        # A reload took effect once the master has a worker it did not have.
        if wait_new_worker "$master" "$old"; then
            generations=$((generations + 1))
            echo "generation $g $(new_children "$master" "$old")" >>"$dir/facts"
        fi
        sleep $(( (RELOAD_SECONDS - 4) / RELOADS ))
    done
    echo "probe $first $(probe "$WORK/batch" "$port")" >>"$dir/facts"
    wait "$wrkpid" || die "wrk failed during reloads (see $dir/wrk.out)"
    echo "reloads $RELOADS $generations" >>"$dir/facts"
    stop_all
}

rm -rf "$WORK"
mkdir -p "$WORK"
chmod 755 "$WORK"
soak_phase
reload_phase
perl "$HERE/judge.pl" "$WORK" "$TARGET"
