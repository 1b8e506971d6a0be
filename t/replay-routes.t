#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
#
# SPEC "Replay rejection (round 2)" on the routes of SPEC "Outcomes": a
# copy the replay zone refuses (a replay after a 2xx, a copy while the
# first is in flight, a full zone with full=closed) reaches no upstream by
# any route nginx can take it on: error_page (with and without "=", to a
# URI or a named location, the same location or another), post_action,
# try_files, mirror, auth_request in the same location, and rewrite ...
# last, error_page and X-Accel-Redirect into a location with
# webhook_signature_replay; over HTTP/1.1 and HTTP/2.  A genuine request
# on each route reaches its upstreams byte for byte and is recorded once
# (a mirror subrequest is not recorded again), and its record is resolved
# by the final status: kept when error_page turned an upstream's 5xx into
# a 2xx, dropped when the answer stayed 5xx, so the sender's retry passes.
# report mode forwards and logs copies; key=id answers a duplicate 200
# itself, on these routes too.

use strict;
use warnings;
use Test::More;
use POSIX ();
use Time::HiRes qw(time sleep);
use MIME::Base64 qw(encode_base64 decode_base64);
use Digest::SHA qw(hmac_sha256);
use Harness;

my $S = 'rroutes-secret-Vb3k';
my $WH = 'whsec_' . encode_base64('rroutes-svix-key-0123456789', '');

# the upstream answers a first copy this much later: it stays in flight
my $DELAY = 4;

my $h = Harness->new;
$h->write_file('html/ok.json', "{\"queued\":true}\n");

$h->run(<<'EOF', vars => { S => $S, WH => $WH });
    webhook_signature_replay_zone wh:1m;
    webhook_signature_replay_zone ids:1m;

    server {
        listen 127.0.0.1:%%PORT%%;
        listen 127.0.0.1:%%PORT_H2%% http2;
        server_name localhost;

        webhook_signature novu;
        webhook_signature_secret "%%S%%";

        location /ep-same {
            webhook_signature_replay wh;
            error_page 401 429 /ep-same?$args;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /ep-other {
            webhook_signature_replay wh;
            error_page 401 429 /open/proxy?$args;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /ep-eq {
            webhook_signature_replay wh;
            error_page 401 429 = /open/proxy?$args;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /ep-named {
            webhook_signature_replay wh;
            error_page 401 429 = @open_proxy;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /post-action {
            webhook_signature_replay wh;
            post_action @open_proxy;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /try {
            webhook_signature_replay wh;
            try_files /nonexistent @open_proxy;
        }

        location /try-replayed {
            webhook_signature_replay wh;
            try_files /nonexistent @replayed;
        }

        location /mirror {
            webhook_signature_replay wh;
            mirror /mirror-replayed;
            proxy_pass http://%%UPSTREAM%%;
        }

        location = /mirror-replayed {
            internal;
            webhook_signature_replay wh;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /ar {
            webhook_signature_replay wh;
            auth_request /auth;
            proxy_pass http://%%UPSTREAM%%;
        }

        location = /auth {
            internal;
            webhook_signature off;
            proxy_pass http://%%UPSTREAM%%/auth-check;
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
        }

        location /xa {
            webhook_signature_replay wh;
            proxy_pass http://127.0.0.1:%%PORT_ACCEL%%;
        }

        location /rw {
            webhook_signature off;
            rewrite ^ /replayed last;
        }

        location /ep-into {
            webhook_signature off;
            proxy_pass http://127.0.0.1:1;
            error_page 502 = /replayed?$args;
        }

        location /ep-into-checked {
            proxy_pass http://127.0.0.1:1;
            error_page 502 = /replayed?$args;
        }

        location /xa-checked {
            proxy_pass http://127.0.0.1:%%PORT_ACCEL%%;
        }

        location /try-checked {
            try_files /nonexistent @replayed;
        }

        location /pa-checked {
            post_action @replayed;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /replayed {
            webhook_signature_replay wh;
            proxy_pass http://%%UPSTREAM%%;
        }

        location @replayed {
            webhook_signature_replay wh;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /up5-eq {
            webhook_signature_replay wh;
            proxy_intercept_errors on;
            error_page 500 = /open/fallback?$args;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /up5-plain {
            webhook_signature_replay wh;
            proxy_intercept_errors on;
            error_page 500 /open/fallback?$args;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /up5-code {
            webhook_signature_replay wh;
            proxy_intercept_errors on;
            error_page 500 =202 /ok.json;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /up5-into {
            webhook_signature_replay wh;
            proxy_intercept_errors on;
            error_page 500 = @fallback_replayed;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /dead-eq {
            webhook_signature_replay wh;
            proxy_pass http://127.0.0.1:1;
            error_page 502 = /open/fallback?$args;
        }

        location /dead-plain {
            webhook_signature_replay wh;
            proxy_pass http://127.0.0.1:1;
            error_page 502 /open/fallback?$args;
        }

        location @fallback_replayed {
            webhook_signature_replay wh;
            proxy_pass http://%%UPSTREAM%%/fallback?tid=$arg_tid;
        }

        location = /ok.json {
            root %%PREFIX%%/html;
        }

        location /report {
            webhook_signature_mode report;
            webhook_signature_replay wh;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /report-ep {
            webhook_signature_mode report;
            webhook_signature_replay wh;
            proxy_pass http://127.0.0.1:1;
            error_page 502 = /replayed?$args;
        }

        location /svix-ep {
            webhook_signature svix;
            webhook_signature_secret "%%WH%%";
            webhook_signature_replay ids key=id;
            error_page 401 429 /open/proxy?$args;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /svix-post-action {
            webhook_signature svix;
            webhook_signature_secret "%%WH%%";
            webhook_signature_replay ids key=id;
            post_action @open_proxy;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /svix-try {
            webhook_signature svix;
            webhook_signature_secret "%%WH%%";
            webhook_signature_replay ids key=id;
            try_files /nonexistent @open_proxy;
        }

        location /svix-mirror {
            webhook_signature svix;
            webhook_signature_secret "%%WH%%";
            webhook_signature_replay ids key=id;
            mirror /sink-mirror;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /svix-xa {
            webhook_signature svix;
            webhook_signature_secret "%%WH%%";
            webhook_signature_replay ids key=id;
            proxy_pass http://127.0.0.1:%%PORT_ACCEL%%;
        }

        location /svix-replayed {
            webhook_signature svix;
            webhook_signature_secret "%%WH%%";
            webhook_signature_replay ids key=id;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /open/ {
            webhook_signature off;

            location /open/proxy {
                proxy_pass http://%%UPSTREAM%%;
            }

            location /open/fallback {
                proxy_pass http://%%UPSTREAM%%/fallback?tid=$arg_tid;
            }
        }

        location @open_proxy {
            webhook_signature off;
            proxy_pass http://%%UPSTREAM%%;
        }

        location = /sink-mirror {
            internal;
            webhook_signature off;
            proxy_pass http://%%UPSTREAM%%;
        }
    }

    server {
        listen 127.0.0.1:%%PORT_ACCEL%%;
        server_name accel;
        access_log %%PREFIX%%/accel.log harness;

        location / {
            add_header X-Accel-Redirect /replayed?$args;
            return 200 "accel\n";
        }

        location /svix-xa {
            add_header X-Accel-Redirect /svix-replayed?$args;
            return 200 "accel\n";
        }
    }
EOF

my %BODY = (
    novu => {
        replay    => '{"message":"Webhook already delivered",'
                   . '"code":"WebhookReplayError"}',
        inflight  => '{"message":"Webhook delivery in progress.'
                   . ' Please retry later","code":"WebhookInFlightError"}',
        zone_full => '{"message":"Webhook replay store is full.'
                   . ' Please retry later",'
                   . '"code":"WebhookReplayStoreFullError"}',
    },
    svix => {
        replay    => '{"status":"duplicate"}',
        inflight  => '{"error":"Webhook delivery in progress"}',
    },
);
my %STATUS = (novu => { replay => 401, inflight => 429, zone_full => 503 },
              svix => { replay => 200, inflight => 429 });

# ---------------------------------------------------------------- helpers

my $n = 0;
sub message {
    my ($scheme) = @_;
    $n++;
    return { scheme => $scheme // 'novu', t => now_s(), id => "msg_$$-$n",
             body => '{"n":' . $n . ',"at":' . time() . '}' };
}

# a copy's headers: novu copies are byte-identical, svix copies re-signed
sub signed {
    my ($m) = @_;
    return [novu_headers($S, $m->{t}, $m->{body})] if $m->{scheme} eq 'novu';
    my $t = now_s();
    my $mac = encode_base64(hmac_sha256("$m->{id}.$t.$m->{body}",
                                        decode_base64(substr $WH, 6)), '');
    return ['svix-id' => $m->{id}, 'svix-timestamp' => $t,
            'svix-signature' => "v1,$mac"];
}

sub send_copy {
    my ($x, $proto, $uri, $m) = @_;
    my %a = (uri => $uri, body => $m->{body}, headers => signed($m));
    return $proto eq 'h2' ? $x->h2(%a) : $x->request(%a);
}

sub upstream_count { my ($x) = @_; scalar(() = $x->upstream_requests) }

# the X-Accel-Redirect backend's requests for one client request
sub accel_for {
    my ($r) = @_;
    return scalar grep { /[?&]tid=$r->{tid}\b/ }
                  split /\n/, $h->file('accel.log');
}

# Records the module made for one client request: its debug lines, found
# by the connection of its request line.
sub records {
    my ($x, $r) = @_;
    my $log = $x->error_log;
    my ($conn) = $log
        =~ /\*(\d+) http2? request line: "[^"]*[?&]tid=$r->{tid}\b/
        or return -1;
    my @l = $log =~ /\*$conn webhook signature replay: recorded in/g;
    return scalar @l;
}

# post_action and mirror run after the response: let them show.
sub settle { $_[0]->wait_idle; sleep 0.2 }

# One TAP line: a copy that passed, answered $o{status} (200); $o{up}
# copies (1) reached the upstream, each with the exact body (a redirect
# that made it a GET passes the body on all the same), at $o{uris} if
# given; $o{accel} copies at the X-Accel-Redirect backend; $o{records}
# (1) records made for it; no failure line.
sub passed {
    my ($x, $r, $m, $name, %o) = @_;
    my @up = $x->upstream_for($r);
    my $c = checks();
    $c->is($r->{status}, $o{status} // 200, 'status');
    $c->is(scalar @up, $o{up} // 1, 'copies upstream');
    for (@up) {
        $c->is($_->{sha256}, sha256_hex($m->{body}), "exact body at $_->{uri}");
    }
    $c->same([map { $_->{uri} } @up], $o{uris}, 'upstream URIs')
        if $o{uris};
    $c->is(accel_for($r), $o{accel}, 'X-Accel-Redirect backend')
        if defined $o{accel};
    $c->is(records($x, $r), $o{records} // 1, 'records made');
    $c->is(scalar $x->failure_lines($r), 0, 'no failure line');
    $c->done($name, $r->{raw}, join '', $x->failure_lines($r));
}

# One TAP line: a copy refused with $result: status, Retry-After (1 but
# for a replay), the module's body ($o{json}, or any 2xx; error_page
# answers with nginx's own page), nothing upstream by its tid (with
# $o{since}, no upstream request at all since then but auth_request's
# subrequest), $o{accel} (0) at the X-Accel-Redirect backend, $o{lines} (1)
# failure lines, the last for $result, $webhook_signature_result, no
# record made.
sub refused {
    my ($x, $r, $scheme, $result, $name, %o) = @_;
    my $status = $o{status} // $STATUS{$scheme}{$result};
    my $c = checks();
    $c->is($r->{status}, $status, 'status');
    $c->is($r->{headers}{'retry-after'}, $result eq 'replay' ? undef : 1,
           'Retry-After');
    $c->is($r->{body}, $BODY{$scheme}{$result}, 'JSON body')
        if $o{json} || $status < 300;
    $c->is(scalar(() = $x->upstream_for($r)), 0, 'nothing upstream');
    if (defined $o{since}) {
        my @new = grep { $_->{uri} ne '/auth-check' }
                  ($x->upstream_requests)[$o{since} .. upstream_count($x) - 1];
        $c->is(scalar @new, 0, 'no upstream request at all');
    }
    $c->is(accel_for($r), $o{accel} // 0, 'X-Accel-Redirect backend')
        if $x == $h;
    my @l = $x->failure_lines($r);
    $c->is(scalar @l, $o{lines} // 1, 'failure lines');
    $c->like($l[-1] // '', qr/check failed: \Q$result\E \(scheme: $scheme\)/,
             'failure line');
    my $a = $x->access_for($r);
    $c->is($a && $a->{result}, $result, '$webhook_signature_result');
    $c->is(records($x, $r), 0, 'no record made');
    $c->done($name, $r->{raw}, join '', @l);
}

# First copies in flight, second copies meanwhile.  Each case's first copy
# goes from a child over HTTP/1.1 with ?delay= (the upstream answers it
# $DELAY s after it arrived); once every first copy has reached the
# upstream, the second copies go ($proto).  Sets, per case, {second} (the
# response), {in_flight} (the first copy was not answered yet when the
# second was), {first} (the first copy's status).
sub while_in_flight {
    my ($x, $proto, @cases) = @_;
    for my $case (@cases) {
        my $tid = $x->{tid} + 1;
        my $file = "first-$tid.status";
        my $pid = fork() // die "fork: $!";
        if (!$pid) {
            my $r = send_copy($x, 'http/1.1', "$case->{uri}?delay=$DELAY",
                              $case->{msg});
            $x->write_file($file, "$r->{status}\n");
            POSIX::_exit(0);
        }
        $x->{tid}++;    # the child used this tid
        @$case{qw(pid file first_tid)} = ($pid, $file, $tid);
    }
    my $deadline = time + 10 * $Harness::SCALE;
    sleep 0.02 until time > $deadline
        || !grep { !$x->upstream_for({ tid => $_->{first_tid} }) } @cases;
    for my $case (@cases) {
        $case->{second} = send_copy($x, $proto, $case->{uri}, $case->{msg});
        $case->{in_flight} = !-e $x->prefix . "/$case->{file}";
    }
    waitpid $_->{pid}, 0 for @cases;
    settle($x);
    $_->{first} = $x->file($_->{file}) =~ s/\s+//gr for @cases;
}

# ---------------------------------------------------------------- routes

# route => the scheme, upstream copies of a genuine request (post_action
# and mirror make two), whether a refusal keeps the module's JSON body
# (error_page answers with nginx's own page), the X-Accel-Redirect
# backend's share.
my %ROUTE = (
    '/ep-same'          => { up => 1 },
    '/ep-other'         => { up => 1 },
    '/ep-eq'            => { up => 1 },
    '/ep-named'         => { up => 1 },
    '/post-action'      => { up => 2, json => 1 },
    '/try'              => { up => 1, json => 1 },
    '/try-replayed'     => { up => 1, json => 1 },
    '/mirror'           => { up => 2, json => 1 },
    '/ar'               => { up => 1, json => 1 },
    '/xa'               => { up => 1, json => 1, accel => 1 },
    '/rw'               => { up => 1, json => 1 },
    '/ep-into'          => { up => 1, json => 1 },
    '/svix-ep'          => { up => 1, scheme => 'svix' },
    '/svix-post-action' => { up => 2, json => 1, scheme => 'svix' },
    '/svix-try'         => { up => 1, json => 1, scheme => 'svix' },
    '/svix-mirror'      => { up => 2, json => 1, scheme => 'svix' },
    '/svix-xa'          => { up => 1, json => 1, scheme => 'svix',
                             accel => 1 },
);

# verified in a location without webhook_signature_replay, then taken into
# one with it: the location the request reaches is protected
my %INTO = (
    '/ep-into-checked' => { up => 1, json => 1 },
    '/xa-checked'      => { up => 1, json => 1, accel => 1 },
    '/try-checked'     => { up => 1, json => 1 },
);

sub genuine_ok {
    my ($proto, $uri, $want, $m, $what) = @_;
    my $r = send_copy($h, $proto, $uri, $m);
    settle($h) if $want->{up} > 1;
    passed($h, $r, $m, "$proto $uri: $what", up => $want->{up},
           accel => $want->{accel} // 0);
}

for my $proto ('http/1.1', 'h2') {
    # replay: a copy after the first was answered 2xx
    for my $uri (sort keys %ROUTE) {
        my $want = $ROUTE{$uri};
        my $scheme = $want->{scheme} // 'novu';
        my $m = message($scheme);
        genuine_ok($proto, $uri, $want, $m,
                   'a genuine request passes, recorded once');
        my $since = upstream_count($h);
        my $r = send_copy($h, $proto, $uri, $m);
        settle($h);
        my $how = $scheme eq 'svix' ? 'answered 200 "duplicate" (key=id)'
                                    : 'refused (401)';
        refused($h, $r, $scheme, 'replay', "$proto $uri: a replay is $how,"
                . ' nothing upstream', json => $want->{json},
                since => $since);
    }

    # inflight: a copy while the first is in flight; then, a replay
    my @cases = map { { uri => $_, want => $ROUTE{$_},
                        msg => message($ROUTE{$_}{scheme}) } }
                sort keys %ROUTE;
    while_in_flight($h, $proto, @cases);
    for my $case (@cases) {
        my ($uri, $want) = @$case{qw(uri want)};
        my $scheme = $want->{scheme} // 'novu';
        my $c = checks();
        $c->ok($case->{in_flight}, 'the first copy was still in flight');
        $c->is($case->{first}, 200, 'the first copy answered 200');
        $c->done("$proto $uri: a first copy kept in flight (delay=$DELAY)");
        refused($h, $case->{second}, $scheme, 'inflight', "$proto $uri: a"
                . ' copy in flight is refused (429), nothing upstream',
                json => $want->{json});
        my $r = send_copy($h, $proto, $uri, $case->{msg});
        settle($h);
        refused($h, $r, $scheme, 'replay', "$proto $uri: once the first"
                . ' was answered 200, a copy is a replay',
                json => $want->{json});
    }
}

# auth_request answers before the signature (SPEC "Outcomes", satisfy
# all): its subrequest runs for a refused copy too, the upstream does not.
{
    my $m = message();
    send_copy($h, 'http/1.1', '/ar', $m);
    my $auth = sub { scalar grep { $_->{uri} eq '/auth-check' }
                                 $h->upstream_requests };
    my $before = $auth->();
    my $r = send_copy($h, 'http/1.1', '/ar', $m);
    my $c = checks();
    $c->is($r->{status}, 401, 'status');
    $c->is($auth->(), $before + 1, 'the auth subrequest ran');
    $c->is(scalar(() = $h->upstream_for($r)), 0, 'nothing upstream');
    $c->done('/ar: auth_request decides first, then the replay is refused');
}

# ------------------------------------------------- into a replay location

# A request verified in a location without webhook_signature_replay and
# then taken (error_page, try_files, X-Accel-Redirect, post_action) into a
# location with it is recorded there, and a replay refused there, as if it
# had been checked there: the application behind that location is
# protected.  (The verdict stands across the redirect; the location's zone
# records a verified request that holds no record in it yet.)
{
    for my $proto ('http/1.1', 'h2') {
        for my $uri (sort keys %INTO) {
            my $want = $INTO{$uri};
            my $m = message();
            genuine_ok($proto, $uri, $want, $m, 'a genuine request'
                       . ' redirected into a replay location is recorded');
            my $since = upstream_count($h);
            my $r = send_copy($h, $proto, $uri, $m);
            settle($h);
            refused($h, $r, 'novu', 'replay', "$proto $uri: a replay"
                    . ' redirected into a replay location is refused',
                    json => 1, since => $since, accel => $want->{accel});
        }
        my @cases = map { { uri => $_, want => $INTO{$_}, msg => message() } }
                    sort keys %INTO;
        while_in_flight($h, $proto, @cases);
        for my $case (@cases) {
            refused($h, $case->{second}, 'novu', 'inflight', "$proto"
                    . " $case->{uri}: a copy in flight redirected into a"
                    . ' replay location is refused', json => 1,
                    accel => $case->{want}{accel});
        }

        # post_action after a location without webhook_signature_replay:
        # that location's upstream gets a copy, the replay location's not
        my $m = message();
        my $r = send_copy($h, $proto, '/pa-checked', $m);
        settle($h);
        passed($h, $r, $m, "$proto /pa-checked: a genuine request is"
               . ' recorded by its post_action into a replay location',
               up => 2);
        $r = send_copy($h, $proto, '/pa-checked', $m);
        settle($h);
        my @up = $h->upstream_for($r);
        my @l = $h->failure_lines($r);
        my $c = checks();
        $c->is($r->{status}, 200, 'status (the location has no replay)');
        $c->same([map { $_->{uri} } @up], ["/pa-checked?tid=$r->{tid}"],
                 'only the location\'s own upstream');
        $c->is(scalar @l, 1, 'one failure line');
        $c->like($l[0] // '', qr/check failed: replay \(scheme: novu\)/,
                 'failure line');
        $c->done("$proto /pa-checked: post_action does not take a replay"
                 . ' into a replay location');
    }
}

# ------------------------------------------ error_page on an upstream 5xx

# The record is resolved by the final answer: an error_page that answers
# 2xx keeps it (the copy after is a replay), one that answers 5xx drops it
# (the sender's retry passes).  Args: route, final status, upstream URIs
# of the first copy (TID for its tid), kept.
my @FINAL = (
    [ '/up5-eq?status=500', 200,
      ['/up5-eq?status=500&TID', '/fallback?TID'], 1,
      'error_page 500 = /uri answers 200' ],
    [ '/up5-plain?status=500', 500,
      ['/up5-plain?status=500&TID', '/fallback?TID'], 0,
      'error_page 500 /uri keeps the 500' ],
    [ '/up5-code?status=500', 202, ['/up5-code?status=500&TID'], 1,
      'error_page 500 =202 /static answers 202' ],
    [ '/up5-into?status=500', 200,
      ['/up5-into?status=500&TID', '/fallback?TID'], 1,
      'error_page 500 = @named (replay location) answers 200' ],
    [ '/dead-eq', 200, ['/fallback?TID'], 1,
      'a dead upstream, error_page 502 = /uri answers 200' ],
    [ '/dead-plain', 502, ['/fallback?TID'], 0,
      'a dead upstream, error_page 502 /uri keeps the 502' ],
    [ '/xa?status=500', 500, ['/replayed?status=500&TID'], 0,
      'X-Accel-Redirect into a location whose upstream answers 500' ],
);
for (@FINAL) {
    my ($uri, $status, $uris, $kept, $what) = @$_;
    my $m = message();
    my $r = send_copy($h, 'http/1.1', $uri, $m);
    passed($h, $r, $m, "$uri: $what, recorded once", status => $status,
           up => scalar @$uris,
           uris => [map { s/TID/tid=$r->{tid}/r } @$uris]);
    if ($kept) {
        my $since = upstream_count($h);
        $r = send_copy($h, 'http/1.1', $uri, $m);
        refused($h, $r, 'novu', 'replay', "$uri: $status kept the record:"
                . ' a copy is a replay, nothing upstream', json => 1,
                since => $since);
        $r = send_copy($h, 'http/1.1', '/replayed', $m);
        refused($h, $r, 'novu', 'replay', "$uri: ... in another location"
                . ' of the zone too', json => 1);
    } else {
        $r = send_copy($h, 'http/1.1', '/replayed', $m);
        passed($h, $r, $m, "$uri: $status dropped the record: the retry"
               . ' passes (recorded again)');
        $r = send_copy($h, 'http/1.1', $uri, $m);
        refused($h, $r, 'novu', 'replay', "$uri: ... and once that was"
                . ' answered 200, a copy is a replay', json => 1);
    }
}

# ---------------------------------------------------------------- report

for my $proto ('http/1.1', 'h2') {
    my $m = message();
    my $r = send_copy($h, $proto, '/report', $m);
    passed($h, $r, $m, "$proto /report: the first copy, recorded");
    for (1, 2) {
        $r = send_copy($h, $proto, '/report', $m);
        my @l = $h->failure_lines($r);
        my $c = checks();
        $c->is($r->{status}, 200, 'status');
        $c->is(scalar(() = $h->upstream_for($r)), 1, 'forwarded');
        $c->is(scalar @l, 1, 'one failure line');
        $c->like($l[0] // '', qr/\[error\] .* check failed \(report only\): /
                              . qr/replay \(scheme: novu\)/, 'line');
        $c->is($h->access_for($r)->{result}, 'replay', 'result');
        $c->is(records($h, $r), 0, 'not recorded again');
        $c->done("$proto /report: copy $_ after a 2xx is forwarded, logged"
                 . ' "(report only): replay"');
    }

    my ($case) = ({ uri => '/report', msg => message() });
    while_in_flight($h, $proto, $case);
    $r = $case->{second};
    my @l = $h->failure_lines($r);
    my $c = checks();
    $c->ok($case->{in_flight}, 'the first copy was still in flight');
    $c->is($case->{first}, 200, 'the first copy answered 200');
    $c->is($r->{status}, 200, 'status');
    $c->is($r->{headers}{'retry-after'}, undef, 'no Retry-After');
    $c->is(scalar(() = $h->upstream_for($r)), 1, 'forwarded');
    $c->like($l[0] // '', qr/check failed \(report only\): inflight/, 'line');
    $c->is($h->access_for($r)->{result}, 'inflight', 'result');
    $c->done("$proto /report: a copy in flight is forwarded, logged"
             . ' "(report only): inflight"');

    # let through by report, refused by the enforcing location it is
    # redirected into (error_page 502 = /replayed)
    $m = message();
    $r = send_copy($h, $proto, '/report-ep', $m);
    passed($h, $r, $m, "$proto /report-ep: the first copy, recorded once");
    $r = send_copy($h, $proto, '/report-ep', $m);
    refused($h, $r, 'novu', 'replay', "$proto /report-ep: a replay let"
            . ' through by report is refused where error_page leads',
            json => 1, lines => 2);
}

$h->finish;

# ---------------------------------------------------------------- zone_full

# A second nginx whose zone is full (records live an hour): its [alert]
# lines are the point, so it is checked here, not by finish().

my $f = Harness->new;
$f->run(<<'EOF', vars => { S => $S });
    webhook_signature_replay_zone tiny:32k ttl=1h;

    server {
        listen 127.0.0.1:%%PORT%%;
        listen 127.0.0.1:%%PORT_H2%% http2;
        server_name localhost;

        webhook_signature novu;
        webhook_signature_secret "%%S%%";
        webhook_signature_replay tiny;

        location /fill {
            proxy_pass http://%%UPSTREAM%%;
        }

        location /ep-other {
            error_page 503 /open/proxy?$args;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /ep-named {
            error_page 503 = @open_proxy;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /post-action {
            post_action @open_proxy;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /try {
            try_files /nonexistent @open_proxy;
        }

        location /mirror {
            mirror /sink-mirror;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /ar {
            auth_request /auth;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /rw {
            webhook_signature off;
            rewrite ^ /replayed last;
        }

        location /replayed {
            proxy_pass http://%%UPSTREAM%%;
        }

        location = /auth {
            internal;
            webhook_signature off;
            proxy_pass http://%%UPSTREAM%%/auth-check;
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
        }

        location /open/ {
            webhook_signature off;

            location /open/proxy {
                proxy_pass http://%%UPSTREAM%%;
            }
        }

        location @open_proxy {
            webhook_signature off;
            proxy_pass http://%%UPSTREAM%%;
        }

        location = /sink-mirror {
            internal;
            webhook_signature off;
            proxy_pass http://%%UPSTREAM%%;
        }
    }
EOF

{
    my ($stored, $r) = (0, undef);
    for (1 .. 2000) {
        $r = send_copy($f, 'http/1.1', '/fill', message());
        last if $r->{status} != 200;
        $stored++;
    }
    my $c = checks();
    $c->ok($stored > 100, "$stored records stored");
    $c->is($r->{status}, 503, 'then 503');
    $c->done('zone_full: the zone is filled');
}

my %FULL = (
    '/ep-other'    => {},
    '/ep-named'    => {},
    '/post-action' => { json => 1 },
    '/try'         => { json => 1 },
    '/mirror'      => { json => 1 },
    '/ar'          => { json => 1 },
    '/rw'          => { json => 1 },
);
for my $proto ('http/1.1', 'h2') {
    for my $uri (sort keys %FULL) {
        my $since = upstream_count($f);
        my $r = send_copy($f, $proto, $uri, message());
        settle($f);
        refused($f, $r, 'novu', 'zone_full', "$proto $uri: a genuine"
                . ' request a full zone cannot record is refused (503),'
                . ' nothing upstream', json => $FULL{$uri}{json},
                since => $since);
    }
}

{
    $f->stop;
    my @bad = $f->error_lines(qr/\[(alert|crit|emerg)\]/);
    my @other = grep { !/\[alert\] .*replay_zone "tiny" is full/ } @bad;
    my $c = checks();
    $c->ok(scalar @bad >= 1, 'the full zone was logged at alert');
    $c->is(scalar @other, 0, 'no other alert, crit or emerg');
    $c->done('zone_full: logged at alert, nothing else', @other);
}

done_testing;
