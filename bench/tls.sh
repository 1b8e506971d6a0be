#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# What a user sees: the module's extra CPU per request in a TLS front, next
# to what the same front spends on TLS and proxying anyway (issue 14).  Run
# through `./build.sh bench tls`, as a phase of `./build.sh bench`, or alone:
#
#   bench/tls.sh MODULE_SO
#
# ONE front nginx (the system nginx, worker_processes 1) loads the module
# and serves two servers over HTTPS (a self-signed P-256 certificate made
# for the run), each with the same one `location /`, both proxying over
# keep-alive connections to a second, plain nginx that answers `return 200`:
#
#   plain   proxy_pass only;
#   module  the same, after `webhook_signature novu;` with one literal
#           secret, enforcing.
#
# Both are one worker's servers: the same binary, the same TLS library state
# and heap, the same CPU, so what differs is the module's work.  h2load
# sends a fixed number of POSTs (one body, signed once at the start with
# tools/webhook-sign; webhook_signature_tolerance 1h keeps the signature
# valid during the run) over keep-alive HTTPS connections, HTTP/1.1 (--h1)
# and HTTP/2, one request at a time per connection, at a fixed rate; the
# front worker's CPU time (utime + stime from /proc/PID/stat, clock ticks)
# is read before and after, and
#
#   CPU per request = (ticks after - ticks before) / requests.
#
# Why a fixed rate: a worker that is not saturated spends less per request
# the more requests each wake-up finds waiting, so as fast as h2load can
# (its CPU shared with the upstream) the busier module worker was charged
# less per request than the plain one for the same work, and whatever else
# ran on the machine filled the plain worker's longer idle gaps (cold
# caches); at 64 KiB the module's extra came out at 26-40 us, under the
# 49 us its HMAC alone takes (`openssl speed`).  At the
# same rate both see the same arrivals, as a front sees its senders', and
# the difference is the CPU the module adds to that traffic.  The rates
# (TLS_REQUESTS) leave the client room to keep them; tls.md says how close
# each run came.
#
# Each pair of body size and protocol runs a warm-up, then ROUNDS rounds of
# plain and module, in that order in odd rounds and reversed in even ones
# (A B B A), so that a machine drifting faster or slower favours neither;
# the ratio module / plain is taken per round, and the report gives its
# median and its spread (lowest to highest) over the rounds.  These are
# wall-clock CPU figures of a shared machine, noisy where the instruction
# counts (bench/instructions.sh) are not: the spread says how much, and
# tls.tsv records per run how busy the worker's CPU was with others and
# how much the hypervisor stole.  Beside them, what the HMAC-SHA256 of
# each body costs alone on the worker's CPU (`openssl speed`, 2 s a size).
#
# Fails (non-zero) unless both servers answer a signed request with 200
# over both protocols, the module answers a forged and an unsigned one with
# 401, and every benchmark response is a 2xx (the upstream answers only
# 200) over the protocol asked for.
#
# With two or more cores the front worker gets CPU 1, h2load and the
# upstream CPU 0 (as in bench/run.sh).
#
# Knobs (environment): TLS_ROUNDS (7), TLS_CLIENTS (8, connections),
# TLS_REQUESTS ("1024:16000:4000 65536:4500:1500": per body size, the
# requests per run and their rate per second, 0 for as fast as h2load can;
# each run about 1 s of the worker's CPU here, 100 clock ticks),
# TLS_PROTOCOLS (a subset of "h1 h2"), BENCH_OUT result folder
# (build/bench), TLS_KEEP=1 keeps the private prefix (under build/).  The
# whole run takes about 4 minutes.  Writes build/bench/tls.md and tls.tsv
# (one row per run; tls.floor.tsv the HMAC alone), the nginx error logs and
# configurations in build/bench/tls/.

set -euo pipefail

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH")
# shellcheck source=bench/lib.sh
. "$BENCH/lib.sh"
MODULE_SO=${1:?usage: bench/tls.sh MODULE_SO}
MODULE_SO=$(cd "$(dirname "$MODULE_SO")" && pwd)/$(basename "$MODULE_SO")

OUT=${BENCH_OUT:-$ROOT/build/bench}
ROUNDS=${TLS_ROUNDS:-7}
CLIENTS=${TLS_CLIENTS:-8}
REQUESTS=${TLS_REQUESTS:-1024:16000:4000 65536:4500:1500}
read -r -a PROTOCOLS <<< "${TLS_PROTOCOLS:-h1 h2}"
SECRET=whsec_bench_0123456789abcdef0123456789abcdef
TICKS_PER_SECOND=$(getconf CLK_TCK)
# as bench/run.sh: glibc keeps its heap rather than trimming it and faulting
# it back in with every 64 KiB body
MALLOC_TUNABLES=glibc.malloc.trim_threshold=268435456

# nginx's worker_cpu_affinity mask, the CPU list of h2load and the
# upstream, and the worker's for `openssl speed`; empty: not pinned
if [ "$(nproc)" -ge 2 ]; then
    FRONT_CPU=10 CLIENT_CPUS=(taskset -c 0) WORKER_CPUS=(taskset -c 1)
else
    FRONT_CPU='' CLIENT_CPUS=() WORKER_CPUS=()
fi

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'tls: %s\n' "$*" >&2; exit 1; }

[ -f "$MODULE_SO" ] || die "no module at $MODULE_SO: run ./build.sh first"
for tool in nginx h2load openssl curl perl; do
    command -v "$tool" >/dev/null || die "$tool not found: run ./build.sh bench tls, which installs it"
done
curl -V | grep -qw HTTP2 || die "this curl cannot speak HTTP/2 (the checks need it)"
for protocol in "${PROTOCOLS[@]}"; do
    case $protocol in h1|h2) ;; *) die "unknown protocol $protocol (TLS_PROTOCOLS: h1 h2)" ;; esac
done

mkdir -p "$ROOT/build" "$OUT/tls"
WORK=$(mktemp -d "$ROOT/build/tls.XXXXXX")
# workers run as nobody: the prefix must be readable for them
chmod 755 "$WORK"
FRONT_PID=''
UPSTREAM_PID=''


# Stops the two nginx (by their pids: they are our children, the front's
# master in the foreground) and keeps their logs and configurations.
cleanup() {
    stop "$FRONT_PID"
    stop "$UPSTREAM_PID"
    local name
    for name in front upstream; do
        cp "$WORK/$name/error.log" "$OUT/tls/$name.error.log" 2>/dev/null || true
        cp "$WORK/$name/nginx.conf" "$OUT/tls/$name.nginx.conf" 2>/dev/null || true
    done
    if [ "${TLS_KEEP:-0}" = 1 ]; then
        say "kept $WORK"
    else
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM


# --- nginx configurations ---------------------------------------------------

# nginx 1.25.1 made HTTP/2 a server's `http2 on;` and deprecated the
# listen parameter; 1.22 (Debian bookworm) knows only the parameter.
NGINX_VERSION=$(nginx -v 2>&1 | sed -n 's|.*nginx/\([0-9.]*\).*|\1|p')
[ -n "$NGINX_VERSION" ] || die "cannot tell nginx's version from: $(nginx -v 2>&1)"
if [ "$(printf '%s\n' 1.25.1 "$NGINX_VERSION" | sort -V | head -n 1)" = 1.25.1 ]; then
    LISTEN_HTTP2='' SERVER_HTTP2='http2 on;'
else
    LISTEN_HTTP2=' http2' SERVER_HTTP2=''
fi

# Two servers, one location each, the same but for the module's three
# directives; each listener speaks HTTP/2 and HTTP/1.1, as the client's
# ALPN asks.  Bodies up to 128 KiB stay in memory (as /mem/ in
# bench/run.sh): nginx's default 16 KiB buffer would write every 64 KiB
# body to a temp file, the same for both, which is the disk's noise.
server_block() {
    local port=$1 line
    shift
    echo "    server {"
    echo "        listen 127.0.0.1:$port ssl$LISTEN_HTTP2;"
    [ -z "$SERVER_HTTP2" ] || echo "        $SERVER_HTTP2"
    echo "        location / {"
    for line in "$@"; do
        echo "            $line"
    done
    echo "            proxy_pass http://app;"
    echo "        }"
    echo "    }"
}

write_front_conf() {
    local dir=$WORK/front
    cat <<EOF
daemon off;
worker_processes 1;
${FRONT_CPU:+worker_cpu_affinity $FRONT_CPU;}
pid $dir/nginx.pid;
# error: the forged and unsigned checks' lines are logged (before any
# measurement); nothing during the runs
error_log $dir/error.log error;
load_module $MODULE_SO;
events { worker_connections 256; }
http {
$(common_http "$dir")
    ssl_certificate $dir/cert.pem;
    ssl_certificate_key $dir/key.pem;
    # 1.22's default lacks TLSv1.3 (added in 1.23.4); a sender today
    # negotiates it
    ssl_protocols TLSv1.2 TLSv1.3;
    client_max_body_size 2m;
    client_body_buffer_size 128k;
    upstream app {
        server 127.0.0.1:$UPSTREAM_PORT;
        keepalive 32;
        keepalive_requests 1000000;
        keepalive_timeout 1h;
    }
    proxy_http_version 1.1;
    proxy_set_header Connection "";
$(server_block "$PLAIN_PORT")
$(server_block "$MODULE_PORT" "webhook_signature novu;" \
               "webhook_signature_secret $SECRET;" "webhook_signature_tolerance 1h;")
}
EOF
}


# --- bodies and signatures --------------------------------------------------

# The Novu-Signature header value for a body, as tools/webhook-sign (the
# repository's signer) prints it: millisecond timestamp, as Novu Cloud.
sign() {
    local body=$1 line args=() i
    line=$("$ROOT/tools/webhook-sign" --scheme novu --secret-file "$WORK/secret" \
               --body-file "$body" --ms) || die "webhook-sign failed"
    # shell-quoted by webhook-sign itself: -H 'Novu-Signature: ...'
    eval "args=($line)"
    for ((i = 0; i < ${#args[@]}; i++)); do
        if [ "${args[i]}" = -H ] && [[ ${args[i + 1]} == Novu-Signature:* ]]; then
            echo "${args[i + 1]#Novu-Signature: }"
            return
        fi
    done
    die "webhook-sign printed no Novu-Signature: $line"
}


# --- checks -----------------------------------------------------------------

# "STATUS VERSION" of one POST over TLS
post() {
    local protocol=$1 port=$2 body=$3 signature=$4 flag=--http1.1
    [ "$protocol" = h2 ] && flag=--http2
    curl -ks "$flag" -o /dev/null -w '%{http_code} %{http_version}' \
        -H 'Content-Type: application/json' \
        ${signature:+-H "Novu-Signature: $signature"} \
        --data-binary "@$body" "https://127.0.0.1:$port/hook"
}

# Before any measurement: both servers pass a signed request over the
# protocol, the module rejects a forged and an unsigned one; so the module
# really verifies, and the plain server is no stricter than a proxy.
check_verifies() {
    local protocol=$1 size=$2 body=$WORK/body.json.$2 signature=${SIGNATURE[$2]}
    local forged version=1.1 got
    [ "$protocol" = h2 ] && version=2
    forged=${signature%?}0
    [ "$forged" != "$signature" ] || forged=${signature%?}1

    got=$(post "$protocol" "$PLAIN_PORT" "$body" "$signature")
    [ "$got" = "200 $version" ] || die "plain, $protocol, $size bytes: a signed request got '$got', not '200 $version'"
    got=$(post "$protocol" "$MODULE_PORT" "$body" "$signature")
    [ "$got" = "200 $version" ] || die "module, $protocol, $size bytes: a signed request got '$got', not '200 $version' (see $OUT/tls/front.error.log)"
    got=$(post "$protocol" "$MODULE_PORT" "$body" "$forged")
    [ "$got" = "401 $version" ] || die "module, $protocol, $size bytes: a forged request got '$got', not '401 $version'"
    got=$(post "$protocol" "$MODULE_PORT" "$body" "")
    [ "$got" = "401 $version" ] || die "module, $protocol, $size bytes: an unsigned request got '$got', not '401 $version'"
}


# --- measuring --------------------------------------------------------------

worker_pid() {
    local pid
    pid=$(awk '{ print $1 }' "/proc/$FRONT_PID/task/$FRONT_PID/children")
    [ -n "$pid" ] || die "the front nginx (pid $FRONT_PID) has no worker"
    echo "$pid"
}

# the worker's utime + stime in clock ticks (fields 14 and 15, counted
# after the comm, which may hold spaces)
cpu_ticks() {
    sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}

# and its time on a CPU in nanoseconds, the scheduler's own account: a
# cross-check in tls.tsv, not the figure reported
cpu_ns() {
    awk '{ print $1 }' "/proc/$1/schedstat"
}

# "busy steal total" clock ticks of the worker's CPU (all CPUs when not
# pinned), from /proc/stat: busy is user, nice, system, irq and softirq
# time, and what of it is not the worker's is what else ran there (an
# engineer's build on a shared machine, say; interrupts, the loopback's
# softirqs); steal is what the hypervisor gave to someone else.  Both make
# the worker's own CPU time noisier (shared caches, a slower core).
machine_ticks() {
    awk -v cpu="cpu${FRONT_CPU:+1}" '$1 == cpu {
            busy = $2 + $3 + $4 + $7 + $8; total = busy + $5 + $6 + $9
            print busy, $9, total; exit }' /proc/stat
}

# One h2load run of COUNT requests.  Prints "ticks ns rps others steal
# tls": the worker's CPU over the run (clock ticks, and ns from
# schedstat), h2load's requests per second, the percentage of the worker's
# CPU busy with others and stolen, the TLS protocol and cipher; dies unless
# every request got a 2xx over the protocol asked for.
drive() {
    local config=$1 protocol=$2 size=$3 count=$4 rate=$5
    local port=$PLAIN_PORT worker t0 t1 ns0 ns1 m0 m1 out args=() alpn=h2
    [ "$config" = module ] && port=$MODULE_PORT
    [ "$protocol" = h1 ] && { args=(--h1); alpn=http/1.1; }
    # h2load's rate is per connection
    if [ "$rate" -gt 0 ]; then
        args+=("--rps=$(( (rate + CLIENTS - 1) / CLIENTS ))")
    fi

    worker=$(worker_pid)
    m0=$(machine_ticks)
    t0=$(cpu_ticks "$worker")
    ns0=$(cpu_ns "$worker")
    out=$("${CLIENT_CPUS[@]}" h2load -n "$count" -c "$CLIENTS" -m 1 "${args[@]}" \
              -d "$WORK/body.json.$size" -H 'content-type: application/json' \
              -H "novu-signature: ${SIGNATURE[$size]}" \
              "https://127.0.0.1:$port/hook" 2>&1) \
        || die "h2load failed against $config ($protocol, $size bytes): $(tail -n 5 <<<"$out")"
    # h2load closes its connections as it exits: the worker's share of that
    # belongs to this run, not the next
    sleep 0.2
    t1=$(cpu_ticks "$worker")
    ns1=$(cpu_ns "$worker")
    m1=$(machine_ticks)

    # "Application protocol: h2"; "requests: N total, N started, N done,
    # N succeeded, ..."; "status codes: N 2xx, ..."
    perl -e '
        my ($count, $alpn, $what, $ticks, $ns, $m0, $m1, $mine) = @ARGV;
        local $/;
        my $out = <STDIN>;
        my ($proto) = $out =~ /^Application protocol: (\S+)/m;
        my ($done, $ok) = $out =~ /^requests: \d+ total, \d+ started, (\d+) done, (\d+) succeeded/m;
        my ($two) = $out =~ /^status codes: (\d+) 2xx/m;
        my ($rps) = $out =~ /^finished in [^,]+, ([\d.]+) req\/s/m;
        my ($tls) = $out =~ /^TLS Protocol: (\S+)/m;
        my ($cipher) = $out =~ /^Cipher: (\S+)/m;
        die "$what: h2load negotiated ", $proto // "nothing", ", not $alpn\n"
            unless ($proto // "") eq $alpn;
        die "$what: h2load finished ", $done // "?", " requests, ", $ok // "?",
            " succeeded, of $count\n" unless ($done // -1) == $count && ($ok // -1) == $count;
        die "$what: ", $two // 0, " of $count responses were 2xx\n"
            unless ($two // -1) == $count;
        my @a = split " ", $m0;
        my @b = split " ", $m1;
        my $total = $b[2] - $a[2] || 1;
        # the worker is not the only one on an unpinned machine
        my $others = ($b[0] - $a[0] - $mine) * 100 / $total;
        printf "%d %d %s %.1f %.1f %s/%s\n", $ticks, $ns, $rps // 0,
            $others < 0 ? 0 : $others, ($b[1] - $a[1]) * 100 / $total,
            $tls // "?", $cipher // "?";
    ' "$count" "$alpn" "$config, $protocol, $size bytes" "$((t1 - t0))" "$((ns1 - ns0))" \
        "$m0" "$m1" "$( [ -n "$FRONT_CPU" ] && echo $((t1 - t0)) || echo 0)" \
        <<<"$out" || die "bad run (h2load said: $(grep -E '^(requests|status codes):' <<<"$out" | paste -sd ' '))"
}

# The order of a round: plain first in odd rounds, module first in even
# ones (A B B A).
round_order() {
    if [ $(( $1 % 2 )) -eq 1 ]; then echo plain module; else echo module plain; fi
}

# field N (2: requests, 3: rate) of a size's entry in TLS_REQUESTS
plan_of() {
    local size=$1 field=$2 entry
    for entry in $REQUESTS; do
        [ "${entry%%:*}" = "$size" ] || continue
        entry=$(cut -d: -f"$field" <<<"$entry")
        [[ $entry =~ ^[0-9]+$ ]] || die "TLS_REQUESTS: $size has no field $field (SIZE:REQUESTS:RATE)"
        echo "$entry"
        return
    done
    die "no entry for size $size in TLS_REQUESTS"
}

machine() {
    echo "cpu: $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo), $(nproc) cores"
    echo "system: $(sed -n 's/^PRETTY_NAME="\(.*\)"$/\1/p' /etc/os-release), kernel $(uname -r)"
    echo "nginx: $NGINX_VERSION ($(command -v nginx)), $(openssl version)"
    echo "h2load: $(h2load --version | awk '{ print $NF }'), $CLIENTS connections, 1 stream each, $ROUNDS rounds"
}


# --- main -------------------------------------------------------------------

read -r UPSTREAM_PORT PLAIN_PORT MODULE_PORT <<< "$(free_ports 3)"
mkdir -p "$WORK/upstream" "$WORK/front"
printf '%s\n' "$SECRET" > "$WORK/secret"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$WORK/front/key.pem" -out "$WORK/front/cert.pem" -days 1 \
    -subj /CN=localhost 2>"$WORK/openssl.log" \
    || die "openssl cannot make a certificate: $(tail -n 3 "$WORK/openssl.log")"

SIZES=()
declare -A SIGNATURE
for entry in $REQUESTS; do
    size=${entry%%:*}
    SIZES+=("$size")
    make_body json "$size" >/dev/null
    SIGNATURE[$size]=$(sign "$WORK/body.json.$size")
done

write_upstream_conf > "$WORK/upstream/nginx.conf"
GLIBC_TUNABLES=$MALLOC_TUNABLES "${CLIENT_CPUS[@]}" \
    nginx -p "$WORK/upstream" -c "$WORK/upstream/nginx.conf" -e "$WORK/upstream/error.log" &
UPSTREAM_PID=$!
wait_for_url "http://127.0.0.1:$UPSTREAM_PORT/" "$UPSTREAM_PID" \
    || die "the upstream nginx does not start; see $OUT/tls/upstream.error.log"

write_front_conf > "$WORK/front/nginx.conf"
nginx -t -q -p "$WORK/front" -c "$WORK/front/nginx.conf" -e "$WORK/front/error.log" \
    || die "the front nginx's configuration does not load (nginx $NGINX_VERSION; see $OUT/tls/front.nginx.conf)"
GLIBC_TUNABLES=$MALLOC_TUNABLES \
    nginx -p "$WORK/front" -c "$WORK/front/nginx.conf" -e "$WORK/front/error.log" &
FRONT_PID=$!
wait_for_url "https://127.0.0.1:$PLAIN_PORT/" "$FRONT_PID" \
    || die "the front nginx does not start; see $OUT/tls/front.error.log"
say "front nginx $NGINX_VERSION (pid $FRONT_PID, worker $(worker_pid)): plain on $PLAIN_PORT, module on $MODULE_PORT"

for protocol in "${PROTOCOLS[@]}"; do
    for size in "${SIZES[@]}"; do
        check_verifies "$protocol" "$size"
    done
done
say "both servers pass signed requests over ${PROTOCOLS[*]}; the module answers forged and unsigned ones with 401"

machine > "$OUT/tls.machine.txt"
TSV=$OUT/tls.tsv
echo "protocol size config round requests rate ticks ns rps others steal tls" > "$TSV"
for size in "${SIZES[@]}"; do
    count=$(plan_of "$size" 2)
    rate=$(plan_of "$size" 3)
    for protocol in "${PROTOCOLS[@]}"; do
        pace="$rate/s"
        [ "$rate" -gt 0 ] || pace="as fast as h2load can"
        say "$protocol, $size-byte bodies: warming up, then $ROUNDS rounds of $count requests to each ($pace)"
        for config in plain module; do
            drive "$config" "$protocol" "$size" $((count / 4)) "$rate" >/dev/null
        done
        for round in $(seq "$ROUNDS"); do
            for config in $(round_order "$round"); do
                result=$(drive "$config" "$protocol" "$size" "$count" "$rate")
                echo "$protocol $size $config $round $count $rate $result" >> "$TSV"
                read -r ticks _ <<< "$result"
                say "  round $round $config: $(awk -v t="$ticks" -v n="$count" -v hz="$TICKS_PER_SECOND" \
                                          'BEGIN { printf "%.2f", t * 1e6 / hz / n }') us CPU/request ($result)"
            done
        done
    done
done

# nothing worse than the checks' rejections (logged at error, before the
# runs): an [alert], [crit] or [emerg] would say nginx misbehaved
if grep -E '\[(alert|crit|emerg)\]' "$WORK/front/error.log" "$WORK/upstream/error.log" >&2; then
    die "nginx logged the lines above"
fi

# the HMAC alone, where the worker ran: "hmac(sha256)  1331740.98k" is
# thousands of bytes per second
echo "size openssl_us" > "$OUT/tls.floor.tsv"
for size in "${SIZES[@]}"; do
    line=$("${WORKER_CPUS[@]}" openssl speed -seconds 2 -bytes "$size" \
               -hmac sha256 2>/dev/null | tail -n 1) || die "openssl speed failed"
    awk -v size="$size" '{ v = $NF; sub(/k$/, "", v);
                           printf "%d %.3f\n", size, size / (v * 1000) * 1e6 }' \
        <<<"$line" >> "$OUT/tls.floor.tsv"
done

perl "$BENCH/tls-report.pl" "$TSV" "$TICKS_PER_SECOND" "$OUT/tls.machine.txt" \
    "$OUT/tls.floor.tsv" | tee "$OUT/tls.md"
