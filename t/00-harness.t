#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
#
# The harness itself, against nginx without the module: the recording
# upstream, the raw client (pieces, chunked, 100-continue, keep-alive),
# HTTP/2 through curl, reload, nginx -t and the log helpers.

use strict;
use warnings;
use Test::More;
use Harness;

my $h = Harness->new(module => 0);

$h->run(<<'EOF');
    server {
        listen 127.0.0.1:%%PORT%%;
        listen 127.0.0.1:%%PORT_H2%% http2;
        server_name localhost;
        client_body_buffer_size 1k;

        location / {
            proxy_pass http://%%UPSTREAM%%;
        }

        location /small {
            client_max_body_size 10;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /static {
            return 200 "static\n";
        }
    }
EOF

# The upstream got exactly $body, and answered with its record of it.
sub upstream_got {
    my ($res, $body, $name) = @_;
    my @up = $h->upstream_for($res);
    my $c = checks();
    $c->is($res->{status}, 200, '200');
    $c->is(scalar @up, 1, 'one upstream request');
    $c->is($up[0]{sha256}, sha256_hex($body), 'upstream saw the exact bytes');
    $c->is($up[0]{len}, length $body, 'upstream saw the length');
    $c->same($res->{json}, $up[0], "response body is the upstream's record");
    $c->done($name, $res->{raw} // '');
}

my $body = join '', map { chr($_ % 256) } 0 .. 5000;

upstream_got($h->request(uri => '/a', body => $body), $body,
             'body with headers');
upstream_got($h->request(uri => '/a', body => $body, split => ['head'],
                         delay => 0.2),
             $body, 'body after headers');
upstream_got($h->request(uri => '/a', body => $body,
                         split => ['head+500', 'head+3000']),
             $body, 'body in three pieces');
upstream_got($h->request(uri => '/a', chunked => ['abc', 'x' x 3000, "\0\r\n"]),
             'abc' . ('x' x 3000) . "\0\r\n", 'chunked body');
upstream_got($h->request(uri => '/a', chunked => ['abc', 'def'],
                         split => ['chunks'], delay => 0.1),
             'abcdef', 'slow chunked body');
upstream_got($h->request(uri => '/a', method => 'GET'), '',
             'GET without a body');

my $r = $h->request(uri => '/a', body => $body, expect => 1);
is($r->{continue}, 1, 'expect: nginx sent 100 Continue');
ok($r->{body_sent}, 'expect: the body was sent after it');
upstream_got($r, $body, 'expect: request');

$r = $h->request(uri => '/small', body => 'x' x 100, expect => 1);
is($r->{status}, 413, 'expect: 413 for a too large body');
is($r->{continue}, 0, 'expect: no 100 Continue before the 413');
ok(!$r->{body_sent}, 'expect: body not sent');

my $c = $h->connect;
my $r1 = $h->request(conn => $c, uri => '/a', body => 'one');
my $r2 = $h->request(conn => $c, uri => '/a', body => 'two');
upstream_got($r1, 'one', 'keep-alive first');
upstream_got($r2, 'two', 'keep-alive second on the same connection');
$c->close;

my $upstream_headers = ($h->upstream_for($r1))[0]{headers};
is($upstream_headers->{host},
   '127.0.0.1:' . ($h->upstream_requests)[0]{headers}{host} =~ s/.*://r,
   'upstream records request headers');

$r = $h->h2(uri => '/a', body => $body);
is($r->{version}, '2', 'h2: spoke HTTP/2');
upstream_got($r, $body, 'h2: body with Content-Length');
my $big = 'b' x 70000;
upstream_got($h->h2(uri => '/a', body => $big, stream => 1), $big,
             'h2: streamed body');
is($h->h2(uri => '/static')->{body}, "static\n", 'h2: GET');

my $log = $h->access_for($r1);
ok($log && $log->{method} eq 'POST' && $log->{status} == 200,
   'access log line found by tid')
    or diag $h->file('access.log');

is($h->wait_idle, 1, 'stub_status: one active connection when idle');

my @w = $h->worker_pids;
ok($h->reload, 'reload: new worker serves');
isnt(($h->worker_pids)[0], $w[0], 'reload: worker pid changed');
is($h->request(uri => '/static')->{body}, "static\n", 'reload: still serving');

my $good = <<'EOF';
    server {
        listen 127.0.0.1:%%PORT%%;
    }
EOF
my ($rc, $out) = $h->nginx_t($good);
is($rc, 0, 'nginx -t: good config') or diag $out;
($rc, $out) = $h->nginx_t(<<'EOF');
    server {
        listen 127.0.0.1:%%PORT%%;
        bogus_directive on;
    }
EOF
isnt($rc, 0, 'nginx -t: bad config fails');
like($out, qr/unknown directive "bogus_directive"/,
     'nginx -t: output captured');

($rc, $out) = $h->nginx_t($good, main => 'env HARNESS_X;',
                          env => { HARNESS_X => 'y' });
is($rc, 0, 'nginx -t: env passed');

# Placeholders: a test's own are filled, one left unfilled dies.
($rc, $out) = $h->nginx_t(<<'EOF', vars => { STATUS => 204 });
    server {
        listen 127.0.0.1:%%PORT%%;
        return %%STATUS%%;
    }
EOF
is($rc, 0, 'nginx -t: vars fill the test\'s placeholders') or diag $out;
like($h->file('t' . $h->{tn} . '/nginx.conf'), qr/^ {8}return 204;$/m,
     'nginx -t: ... written as given');
ok(!eval { $h->nginx_t($good =~ s/%%PORT%%/%%PROT%%/r); 1 }
   && $@ =~ /unfilled placeholder\(s\) %%PROT%%/,
   'a placeholder left unfilled dies, naming it');

# Signing helpers against known values.
is(novu_sig('k', 5, ''),
   'k' ? 't=5,v1=' . Digest::SHA::hmac_sha256_hex('5.{}', 'k') : '',
   'novu_sig signs an empty body as {}');
is(nk_sig('k', 5, ''), 't=5,v1=' . Digest::SHA::hmac_sha256_hex('5.', 'k'),
   'nk_sig signs an empty body as empty');
like(now_ms(), qr/^\d{13}$/, 'now_ms has 13 digits');
like(now_s(), qr/^\d{10}$/, 'now_s has 10 digits');

$h->finish;
done_testing;
