#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
#
# SPEC "Replay rejection (round 2)": webhook_signature_replay_zone and
# webhook_signature_replay with the real nginx: a copy in flight (429), a
# copy after a 2xx (replay), the retry after a 500, a timeout or a client
# abort (passes), key=id, expiry, two workers, a reload, a full zone
# (closed and open), re-encoded signatures, report mode, a preset without
# a timestamp, nginx -t failures, HTTP/2.

use strict;
use warnings;
use Test::More;
use Time::HiRes qw(time sleep);
use IO::Socket::INET;
use MIME::Base64 qw(encode_base64 decode_base64);
use Digest::SHA qw(hmac_sha256 hmac_sha256_hex);
use Harness;

my $S = 'replay-secret-Qq7w';
my $WH = 'whsec_' . encode_base64('replay-svix-key-0123456789', '');
my $GH = 'replay-github-Zz2x';

my $h = Harness->new;
$h->run(<<'EOF', vars => { S => $S, WH => $WH, GH => $GH });
    webhook_signature_replay_zone wh:1m;
    webhook_signature_replay_zone gh:1m ttl=2s;

    server {
        listen 127.0.0.1:%%PORT%%;
        listen 127.0.0.1:%%PORT_H2%% http2;
        server_name localhost;

        location /novu {
            webhook_signature novu;
            webhook_signature_secret "%%S%%";
            webhook_signature_replay wh;
            proxy_read_timeout 1s;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /slow {
            webhook_signature novu;
            webhook_signature_secret "%%S%%";
            webhook_signature_replay wh;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /svix {
            webhook_signature svix;
            webhook_signature_secret "%%WH%%";
            webhook_signature_replay wh key=id;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /report {
            webhook_signature novu;
            webhook_signature_secret "%%S%%";
            webhook_signature_mode report;
            webhook_signature_replay wh;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /github {
            webhook_signature github;
            webhook_signature_secret "%%GH%%";
            webhook_signature_replay gh duplicate=409;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /plain {
            webhook_signature novu;
            webhook_signature_secret "%%S%%";
            proxy_pass http://%%UPSTREAM%%;
        }
    }
EOF

my $n = 0;
sub novu_copy {
    my ($body) = @_;
    $body //= '{"n":' . ++$n . ',"at":' . time() . '}';
    return { body => $body, headers => [novu_headers($S, now_s(), $body)] };
}

sub send_copy {
    my ($msg, $uri, %o) = @_;
    return $h->request(method => 'POST', uri => $uri, body => $msg->{body},
                       headers => $o{headers} || $msg->{headers}, %o);
}

# the one TAP line for "this copy reached the upstream, answered $status"
sub forwarded {
    my ($r, $status, $name) = @_;
    my $c = checks();
    $c->is($r->{status}, $status, 'status');
    $c->is(scalar(() = $h->upstream_for($r)), 1, 'reached the upstream');
    $c->done($name);
}

sub refused {
    my ($r, $status, $result, $name, %o) = @_;
    my $c = checks();
    $c->is($r->{status}, $status, 'status');
    $c->is(scalar(() = $h->upstream_for($r)), 0, 'nothing upstream');
    $c->is($r->{body}, $o{body}, 'body') if defined $o{body};
    $c->is($r->{headers}{'retry-after'}, $o{retry}, 'Retry-After')
        if exists $o{retry};
    my @l = $h->failure_lines($r);
    $c->is(scalar @l, 1, 'one failure line');
    $c->like($l[0] // '', qr/check failed: \Q$result\E \(scheme: /, 'line');
    my $a = $h->access_for($r);
    $c->is($a && $a->{result}, $result, '$webhook_signature_result');
    $c->done($name);
}

# starts a copy and returns its socket without reading the answer
sub start_copy {
    my ($msg, $uri) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1:' . $h->port('PORT'))
        or die "connect: $!";
    my %hd = @{$msg->{headers}};
    print $s "POST $uri HTTP/1.1\r\nHost: localhost\r\n"
           . join('', map { "$_: $hd{$_}\r\n" } keys %hd)
           . 'Content-Length: ' . length($msg->{body}) . "\r\n"
           . "Connection: close\r\n\r\n$msg->{body}";
    return $s;
}

sub read_all {
    my ($s) = @_;
    local $/;
    my $x = <$s> // '';
    return $x =~ m{^HTTP/1\.\d (\d+)} ? $1 : 0;
}

my $NOVU_REPLAY = '{"message":"Webhook already delivered",'
                . '"code":"WebhookReplayError"}';
my $NOVU_INFLIGHT = '{"message":"Webhook delivery in progress.'
                  . ' Please retry later","code":"WebhookInFlightError"}';

# ---------------------------------------------------------------- key=mac

my $m = novu_copy();
forwarded(send_copy($m, '/novu'), 200, 'the first copy is forwarded');
refused(send_copy($m, '/novu'), 401, 'replay',
        'a copy after a 2xx is a replay: 401, not forwarded',
        body => $NOVU_REPLAY);

(my $upper = $m->{headers}[1]) =~ s/v1=(\w+)/'v1=' . uc $1/e;
refused(send_copy($m, '/novu', headers => ['Novu-Signature' => $upper]),
        401, 'replay', 'the signature in upper-case hex is the same copy');
refused(send_copy($m, '/novu', headers => ['Novu-Signature' =>
            $m->{headers}[1] . ',v1=' . ('ab' x 32)]),
        401, 'replay', 'an extra bogus v1= does not make a copy new');

$m = novu_copy();
my $first = start_copy($m, '/slow?delay=1.5');
sleep 0.5;
refused(send_copy($m, '/novu'), 429, 'inflight',
        'a copy while the first is in flight: 429, Retry-After: 1',
        body => $NOVU_INFLIGHT, retry => 1);
is(read_all($first), 200, 'the copy in flight is answered 200');
refused(send_copy($m, '/novu'), 401, 'replay',
        'once it was answered 2xx, a copy is a replay');

$m = novu_copy();
forwarded(send_copy($m, '/novu?status=500'), 500, 'a copy answered 500');
forwarded(send_copy($m, '/novu'), 200,
          'after an upstream 500 the retry passes');

$m = novu_copy();
forwarded(send_copy($m, '/novu?delay=3'), 504,
          'a copy the upstream times out on (504)');
forwarded(send_copy($m, '/novu'), 200,
          'after an upstream timeout the retry passes');

$m = novu_copy();
my $s = start_copy($m, '/novu?delay=3');
sleep 0.5;
close $s;
sleep 0.5;
forwarded(send_copy($m, '/novu'), 200,
          'after a client abort the retry passes');

# ---------------------------------------------------------------- report

$m = novu_copy();
forwarded(send_copy($m, '/report'), 200, 'report: the first copy');
{
    my $r = send_copy($m, '/report');
    my $c = checks();
    $c->is($r->{status}, 200, 'status');
    $c->is(scalar(() = $h->upstream_for($r)), 1, 'forwarded');
    my @l = $h->failure_lines($r);
    $c->like($l[0] // '', qr/check failed \(report only\): replay/, 'line');
    $c->is($h->access_for($r)->{result}, 'replay', 'result');
    $c->done('report mode forwards a replay and logs it');
}

# ---------------------------------------------------------------- key=id

sub svix_copy {
    my ($id, $body) = @_;
    my $t = now_s();
    my $mac = encode_base64(hmac_sha256("$id.$t.$body",
                                        decode_base64(substr $WH, 6)), '');
    return { body => $body, headers => ['svix-id' => $id,
             'svix-timestamp' => $t, 'svix-signature' => "v1,$mac"] };
}

my $id = 'msg_' . int(time * 1000);
forwarded(send_copy(svix_copy($id, '{"e":1}'), '/svix'), 200,
          'key=id: the first delivery is forwarded');
sleep 1.1;
refused(send_copy(svix_copy($id, '{"e":1}'), '/svix'), 200, 'replay',
        'key=id: a re-signed copy of a delivered id is answered 200',
        body => '{"status":"duplicate"}');
forwarded(send_copy(svix_copy("$id-2", '{"e":1}'), '/svix'), 200,
          'key=id: another id is another message');

# ---------------------------------------------------------------- ttl=

my $gb = '{"zen":"' . time . '"}';
my $gm = { body => $gb, headers => ['X-Hub-Signature-256' =>
           'sha256=' . hmac_sha256_hex($gb, $GH)] };
forwarded(send_copy($gm, '/github'), 200, 'github with ttl=: first copy');
refused(send_copy($gm, '/github'), 409, 'replay',
        'github: a copy is a replay (duplicate=409)');
sleep 2.3;
forwarded(send_copy($gm, '/github'), 200,
          'github: after ttl= the record is gone');

# ---------------------------------------------------------------- reload

$m = novu_copy();
forwarded(send_copy($m, '/novu'), 200, 'a copy before the reload');
ok($h->reload, 'nginx -s reload');
refused(send_copy($m, '/novu'), 401, 'replay',
        'the zone keeps its records across a reload');

# ---------------------------------------------------------------- HTTP/2

$m = novu_copy();
{
    my $r = $h->h2(uri => '/novu', body => $m->{body},
                   headers => $m->{headers});
    forwarded($r, 200, 'HTTP/2: the first copy is forwarded');
    $r = $h->h2(uri => '/novu', body => $m->{body},
                headers => $m->{headers});
    my $c = checks();
    $c->is($r->{status}, 401, 'status');
    $c->is(scalar(() = $h->upstream_for($r)), 0, 'nothing upstream');
    $c->is($r->{body}, $NOVU_REPLAY, 'body');
    $c->done('HTTP/2: a copy is a replay');
}

$m = novu_copy();
forwarded(send_copy($m, '/plain'), 200, 'without webhook_signature_replay');
forwarded(send_copy($m, '/plain'), 200, '... a copy is forwarded (off)');

# ---------------------------------------------------------------- nginx -t

my @bad = (
    [ 'an unknown zone', <<'EOF', qr/unknown \S+_replay_zone "nope"/ ],
    location / {
        webhook_signature novu;
        webhook_signature_secret "x";
        webhook_signature_replay nope;
    }
EOF
    [ 'github without ttl=', <<'EOF', qr/_replay" with "github".*ttl=/ ],
    location / {
        webhook_signature github;
        webhook_signature_secret "x";
        webhook_signature_replay z;
    }
EOF
    [ 'key=id with novu', <<'EOF', qr/"webhook_signature_replay" key=id/ ],
    location / {
        webhook_signature novu;
        webhook_signature_secret "x";
        webhook_signature_replay z key=id;
    }
EOF
    [ 'gitlab', <<'EOF', qr/_replay" cannot be used with "gitlab"/ ],
    location / {
        webhook_signature gitlab;
        webhook_signature_secret "x";
        webhook_signature_replay z2;
    }
EOF
    [ 'a zone too small', <<'EOF', qr/zone "small:4k" is too small/ ],
    webhook_signature_replay_zone small:4k;
EOF
);
for (@bad) {
    my ($name, $loc, $re) = @$_;
    my $conf = "    webhook_signature_replay_zone z:64k;\n"
             . "    webhook_signature_replay_zone z2:64k ttl=1h;\n"
             . ($loc =~ /^\s*location/
                ? "    server {\n        listen 127.0.0.1:%%PORT_T%%;\n"
                  . "$loc    }\n"
                : $loc);
    my ($rc, $out) = $h->nginx_t($conf);
    my $c = checks();
    $c->ok($rc != 0, 'nginx -t fails');
    $c->like($out, $re, 'message');
    $c->done("nginx -t: $name");
}
{
    my ($rc, $out) = $h->nginx_t(<<'EOF');
    webhook_signature_replay_zone z:64k ttl=1h;
    server {
        listen 127.0.0.1:%%PORT_T%%;
        location / {
            webhook_signature github;
            webhook_signature_secret "x";
            webhook_signature_replay z;
        }
    }
EOF
    is($rc, 0, 'nginx -t: github with ttl= is fine') or diag($out);
}

# ---------------------------------------------------------------- full zone

# A second nginx: two workers sharing the smallest zones (8 pages).  Its
# [alert] lines are the point, so it is checked here, not by finish().

my $f = Harness->new;
$f->run(<<'EOF', vars => { S => $S }, workers => 2);
    webhook_signature_replay_zone tiny:32k;
    webhook_signature_replay_zone open:32k full=open;
    webhook_signature_replay_zone mixed:32k;

    server {
        listen 127.0.0.1:%%PORT%% reuseport;
        server_name localhost;

        location /closed {
            webhook_signature novu;
            webhook_signature_secret "%%S%%";
            webhook_signature_tolerance 2s;
            webhook_signature_replay tiny;
            add_header X-Pid $pid always;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /open {
            webhook_signature novu;
            webhook_signature_secret "%%S%%";
            webhook_signature_replay open;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /long {
            webhook_signature novu;
            webhook_signature_secret "%%S%%";
            webhook_signature_replay mixed;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /short {
            webhook_signature novu;
            webhook_signature_secret "%%S%%";
            webhook_signature_tolerance 1s;
            webhook_signature_replay mixed;
            proxy_pass http://%%UPSTREAM%%;
        }
    }
EOF

sub f_send {
    my ($uri, $msg) = @_;
    $msg //= novu_copy();
    return $f->request(method => 'POST', uri => $uri, body => $msg->{body},
                       headers => $msg->{headers});
}

{
    my $m = novu_copy();
    my $r = f_send('/closed', $m);
    my %pids = ($r->{headers}{'x-pid'} => 1);
    my $ok = $r->{status} == 200;
    for (1 .. 60) {
        my $c = f_send('/closed', $m);
        $ok &&= $c->{status} == 401;
        $pids{$c->{headers}{'x-pid'} // ''} = 1;
        last if keys %pids > 1;
    }
    ok($ok && keys %pids > 1,
       'two workers share the zone: a copy is a replay on either')
        or diag(join ' ', keys %pids);
}

my $start = time;
my ($stored, $r) = (1, undef);
for (1 .. 2000) {
    $r = f_send('/closed');
    last if $r->{status} != 200;
    $stored++;
}
diag("records in a 32k zone: $stored (" . int(32768 / $stored)
     . ' bytes each, zone overhead included)');
{
    my $c = checks();
    $c->is($r->{status}, 503, 'status');
    $c->is($r->{headers}{'retry-after'}, 1, 'Retry-After');
    $c->is($r->{body}, '{"message":"Webhook replay store is full.'
           . ' Please retry later","code":"WebhookReplayStoreFullError"}',
           'body');
    $c->is(scalar(() = $f->upstream_for($r)), 0, 'nothing upstream');
    $c->ok($stored > 100, "$stored records stored");
    $c->done('a full zone: 503 with Retry-After (full=closed)');
}
sleep 2.5 - (time - $start) if time - $start < 2.5;
is(f_send('/closed')->{status}, 503,
   'records outlive the tolerance: the zone is still full after 2.5 s');
sleep 5.5 - (time - $start) if time - $start < 5.5;
is(f_send('/closed')->{status}, 200,
   'after twice the tolerance (and a second) records expire: room again');

# two lifetimes in one zone: a long-lived record older than short-lived
# ones that expired does not keep those from being dropped when it is full
{
    my $long = novu_copy();
    my $c = checks();
    $c->is(f_send('/long', $long)->{status}, 200, 'a long-lived record');
    my ($n, $x) = (0, undef);
    for (1 .. 400) {
        $x = f_send('/short');
        last if $x->{status} != 200;
        $n++;
    }
    $c->is($x->{status}, 503, "full after $n short-lived records");
    sleep 3.2;
    $c->is(f_send('/short')->{status}, 200,
           'once they expired (3 s) there is room again');
    $c->is(f_send('/long', $long)->{status}, 401,
           'the long-lived record is still there');
    $c->done('a zone with two lifetimes drops every expired record');
}

for (1 .. 400) {
    $r = f_send('/open');
    last if $r->{status} != 200;
}
{
    my $last = f_send('/open');
    my $c = checks();
    $c->is($last->{status}, 200, 'status');
    $c->is(scalar(() = $f->upstream_for($last)), 1, 'forwarded');
    $c->done('full=open: a request a full zone cannot record is forwarded');
}
{
    $f->stop;
    my @alerts = $f->error_lines(qr/\[alert\]/);
    my @other = grep { !/webhook_signature_replay_zone "(tiny|open|mixed)" is full/ }
                @alerts;
    my $c = checks();
    $c->ok(scalar(grep { /"tiny" is full/ } @alerts) >= 1, 'tiny logged');
    $c->ok(scalar(grep { /"open" is full, forwarding unrecorded/ } @alerts)
           >= 1, 'open logged');
    $c->ok(@alerts < 12, 'at most about one a second: ' . scalar @alerts);
    $c->is(scalar @other, 0, 'no other alert');
    $c->done('a full zone logs [alert], at most once a second per zone');
}

$h->finish;

done_testing;
