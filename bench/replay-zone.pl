#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
#
# How many records a replay zone holds: fills zones of each size (novu,
# full=open, one keep-alive connection, every message new) until a copy's
# $webhook_signature_result is zone_full, then reads the zone's gauges
# (webhook_signature_metrics).  Prints records, bytes per record and
# records per MiB.  Run through `./build.sh bench replay`, or:
#
#   WEBHOOK_MODULE_SO=build/ngx_http_webhook_signature_module.so \
#       perl -I t/lib bench/replay-zone.pl [SIZE ...]     (default 32k 1m)

use strict;
use warnings;
use Test::More;
use Harness;

my @sizes = @ARGV ? @ARGV : qw(32k 1m);
my $S = 'replay-zone-bench-secret';

sub bytes {
    my ($size) = @_;
    my ($n, $unit) = $size =~ /^(\d+)([km]?)$/i or die "bad size $size\n";
    return $n * { '' => 1, k => 1024, m => 1024 * 1024 }->{lc $unit};
}

my @rows;
for my $size (@sizes) {
    my $h = Harness->new;
    $h->run(<<'EOF', vars => { S => $S, SIZE => $size });
    webhook_signature_replay_zone z:%%SIZE%% full=open;

    server {
        listen 127.0.0.1:%%PORT%%;

        location / {
            webhook_signature novu;
            webhook_signature_secret "%%S%%";
            webhook_signature_replay z;
            add_header X-Result $webhook_signature_result always;
            proxy_pass http://%%UPSTREAM%%;
        }

        location = /metrics {
            webhook_signature_metrics;
        }
    }
EOF
    my ($conn, $records) = (undef, 0);
    while (1) {
        # a new connection before nginx's keepalive_requests (1000) ends one
        if ($records % 500 == 0) {
            $conn->close if $conn;
            $conn = $h->connect('PORT');
        }
        my $body = '{"n":' . $records . '}';
        my $r = $h->request(conn => $conn, uri => '/', no_tid => 1,
                            body => $body,
                            headers => [novu_headers($S, now_s(), $body)]);
        die "unexpected status $r->{status}\n" if $r->{status} != 200;
        last if ($r->{headers}{'x-result'} // '') eq 'zone_full';
        $records++;
    }
    $conn->close;
    my $m = $h->request(uri => '/metrics', no_tid => 1)->{body};
    my ($done) = $m =~ /replay_entries\{replay_zone="z",state="done"\} (\d+)/;
    my ($used) = $m =~ /zone_bytes\{replay_zone="z",type="used"\} (\d+)/;
    is($done, $records, "$size: the gauge counts the $records records");
    push @rows, [$size, $records, bytes($size) / $records,
                 int($records * 1024 * 1024 / bytes($size)), $used];
    $h->stop;
}

diag(sprintf "%-6s %9s %14s %15s %12s", 'zone', 'records', 'bytes/record',
             'records/MiB', 'used bytes');
diag(sprintf "%-6s %9d %14.1f %15d %12d", @$_) for @rows;

done_testing;
