#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# What bench/instructions.sh and bench/tls.sh share, sourced by both: the
# nginx processes a phase starts and stops, the http{} settings common to
# them, the upstream that answers every proxied request, the request
# bodies.  The sourcing script sets WORK (its private prefix) and
# UPSTREAM_PORT, and UPSTREAM_LISTEN (more listen parameters) if it wants.

# Stops one of the phase's processes (no-op without a pid).
stop() {
    local pid=$1
    [ -n "$pid" ] || return 0
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

# N distinct free local ports, space-separated: all held open until all
# are chosen.
free_ports() {
    perl -MIO::Socket::INET -e '
        my @s = map { IO::Socket::INET->new(Listen => 1, LocalAddr => "127.0.0.1",
                                            LocalPort => 0, ReuseAddr => 1)
                      // die "no free port: $!\n" } 1 .. $ARGV[0];
        print join(" ", map { $_->sockport } @s), "\n"' "$1"
}

# Until URL answers at all (any status; TLS unverified); false as soon as
# the process PID is gone, or after a minute.
wait_for_url() {
    local url=$1 pid=$2
    for _ in $(seq 600); do
        curl -ks -o /dev/null "$url" && return 0
        kill -0 "$pid" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

# The http{} settings of every nginx a phase runs, under DIR.  No
# connection is closed for age during a run: reconnecting (and behind TLS,
# a handshake in every 1000th request, nginx's default) would be counted
# in whichever location or round it happened.
common_http() {
    local dir=$1
    cat <<EOF
    access_log off;
    client_body_temp_path $dir/body;
    proxy_temp_path $dir/proxy;
    fastcgi_temp_path $dir/fastcgi;
    uwsgi_temp_path $dir/uwsgi;
    scgi_temp_path $dir/scgi;
    keepalive_requests 1000000;
    keepalive_timeout 1h;
EOF
}

# The upstream: a plain nginx answering 200 to everything.
write_upstream_conf() {
    local dir=$WORK/upstream
    cat <<EOF
daemon off;
master_process off;
pid $dir/nginx.pid;
error_log $dir/error.log error;
events { worker_connections 256; }
http {
$(common_http "$dir")
    server {
        listen 127.0.0.1:$UPSTREAM_PORT${UPSTREAM_LISTEN:+ $UPSTREAM_LISTEN};
        client_max_body_size 2m;
        # return discards the request body, as a fast application would
        location / { return 200 "ok\n"; }
    }
}
EOF
}

# Deterministic bodies of KIND (json, or form: Twilio's SMS parameters,
# the text long) and SIZE bytes, the same bytes in every run; prints the
# file's name.
make_body() {
    local kind=$1 size=$2 file=$WORK/body.$1.$2
    perl -e '
        my ($kind, $size) = @ARGV;
        srand(14);
        my $fill = sub { join "", map { ("a".."z", "A".."Z", "0".."9")[int rand 62] } 1 .. $_[0] };
        my ($head, $tail) = $kind eq "form"
            ? ("AccountSid=AC0123456789abcdef0123456789abcdef&ApiVersion=2010-04-01&Body=",
               "&From=%2B15005550006&MessageSid=SM0123456789abcdef0123456789abcdef"
               . "&NumMedia=0&NumSegments=1&SmsStatus=received&To=%2B15005550001")
            : ("{\"type\":\"bench\",\"data\":\"", "\"}");
        binmode STDOUT;
        print $head, $fill->($size - length($head) - length($tail)), $tail;
    ' "$kind" "$size" > "$file"
    [ "$(stat -c %s "$file")" = "$size" ] || die "body $file is not $size bytes"
    echo "$file"
}
