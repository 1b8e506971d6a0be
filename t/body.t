#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
#
# SPEC "The schemes" (raw body bytes after chunked decoding / HTTP/2 frames)
# and "Outcomes": every way nginx can hold a body (with the headers, read
# asynchronously, pre-read + rest, temp file, in-file-only, chunked, HTTP/2,
# unbuffered proxying), early answers without reading the body
# (Expect: 100-continue), 413s, and keep-alive after a rejection.

use strict;
use warnings;
use Test::More;
use Time::HiRes qw(time);
use Harness;

my $S = 'body-secret-Hy3x';
my $h = Harness->new;
$h->run(<<'EOF', vars => { SECRET => $S });
    server {
        listen 127.0.0.1:%%PORT%%;
        listen 127.0.0.1:%%PORT_H2%% http2;
        server_name localhost;
        client_body_buffer_size 1k;
        client_max_body_size 1m;
        webhook_signature novu;
        webhook_signature_secret "%%SECRET%%";

        location / {
            proxy_pass http://%%UPSTREAM%%;
        }

        location /infile {
            client_body_in_file_only on;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /infile-clean {
            client_body_in_file_only clean;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /nobuf {
            proxy_request_buffering off;
            proxy_http_version 1.1;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /max {
            client_max_body_size 1k;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /plain {
            webhook_signature off;
            proxy_pass http://%%UPSTREAM%%;
        }

        # The body is read by proxy_pass here (nothing listens on port 1),
        # then error_page takes the request into a verifying location:
        # the module gets a body nginx has already read, whole.
        location /read-first {
            webhook_signature off;
            proxy_pass http://127.0.0.1:1;
            error_page 502 = @verify-read-body;
        }

        location @verify-read-body {
            proxy_pass http://%%UPSTREAM%%;
        }
    }
EOF

sub signed {
    my ($body, %o) = @_;
    [novu_headers($o{secret} // $S, $o{t} // now_ms(), $o{signed} // $body)];
}

# Forged: a valid signature, but for another body.
sub forged { my ($body) = @_; signed($body, signed => "$body-original") }

sub send_body {
    my ($uri, $headers, $body, %o) = @_;
    return $h->request(uri => $uri, headers => $headers, body => $body, %o);
}

my $small = '{"event":"small","n":' . ('1' x 400) . '}';
my $big   = join('', map { sprintf('{"i":%05d,"pad":"%s"},', $_, 'x' x 50) }
                     1 .. 1100);
my $bytes = join('', map { chr } 0 .. 255) x 4;
ok(length($big) > 64 * 1024,
   'the big body is > 64k (client_body_buffer_size is 1k)');

# ------------------------------------------------- HTTP/1.1, Content-Length

$h->passed_ok(send_body('/', signed($small), $small), $small,
              'body: a small body arriving with the headers'
              . ' is verified and forwarded');
$h->rejected_ok(send_body('/', forged($small), $small), 'mismatch', 'novu',
                'body: a forged small body arriving with the headers'
                . ' is rejected');

$h->passed_ok(send_body('/', signed($small), $small, split => ['head']),
              $small, 'body: a body sent 300 ms after the headers'
                      . ' (async read) is verified');
$h->rejected_ok(send_body('/', forged($small), $small, split => ['head']),
                'mismatch', 'novu',
                'body: a FORGED body sent 300 ms after the headers'
                . ' is rejected (no async bypass)');

my $two = 'p' x 500 . 'q' x 700;
$h->passed_ok(send_body('/', signed($two), $two, split => ['head+500']),
              $two, 'body: headers + 500 bytes, then the rest'
                    . ' (pre-read part + rest) is verified');
$h->rejected_ok(send_body('/', forged($two), $two, split => ['head+500']),
                'mismatch', 'novu',
                'body: a forged pre-read part + rest is rejected');
$h->passed_ok(send_body('/', signed($big), $big,
                        split => ['head+100', 'head+30000'], delay => 0.1),
              $big, 'body: a body in three writes is verified');

my $mark = length $h->error_log;
$h->passed_ok(send_body('/', signed($big), $big), $big,
              'body: a body larger than client_body_buffer_size'
              . ' (temp file) is verified');
like(substr($h->error_log, $mark),
     qr/a client request body is buffered to a temporary file/,
     'body: ... and nginx did buffer it to a temporary file');
$h->passed_ok(send_body('/', signed($big), $big, split => ['head']), $big,
              'body: a temp-file body sent after the headers is verified');
$h->rejected_ok(send_body('/', forged($big), $big), 'mismatch', 'novu',
                'body: a forged temp-file body is rejected');
$h->rejected_ok(send_body('/', forged($big), $big, split => ['head']),
                'mismatch', 'novu',
                'body: a forged temp-file body sent after the headers'
                . ' is rejected');

$h->passed_ok(send_body('/infile', signed($small), $small), $small,
              'body: client_body_in_file_only on is verified');
$h->passed_ok(send_body('/infile', signed($big), $big, split => ['head']),
              $big, 'body: client_body_in_file_only on'
                    . ' with a big async body is verified');
$h->rejected_ok(send_body('/infile', forged($small), $small),
                'mismatch', 'novu',
                'body: client_body_in_file_only on, forged body rejected');
$h->passed_ok(send_body('/infile', signed('', signed => '{}'), ''), '',
              'body: client_body_in_file_only on'
              . ' with an empty body is verified as {}');

# An empty body of unknown length (chunked "0\r\n\r\n", an HTTP/2 stream
# ended without DATA) has no buffers under client_body_in_file_only before
# nginx 1.31.0: it is empty, not discarded.
for my $where ('/infile', '/infile-clean') {
    $h->passed_ok($h->request(uri => $where,
                              headers => signed('', signed => '{}'),
                              chunked => []),
                  '', "body: $where, an empty chunked body is verified as {}");
    $h->rejected_ok($h->request(uri => $where,
                                headers => signed('', signed => '{"x":1}'),
                                chunked => []),
                    'mismatch', 'novu',
                    "body: $where, an empty chunked body signed over"
                    . ' another body is rejected');
    $h->passed_ok($h->h2(uri => $where, method => 'POST', body => '',
                         stream => 1, headers => signed('', signed => '{}')),
                  '', "h2: $where, a stream ended without DATA is verified"
                      . ' as {}');
}

my $utf8 = "{\"text\":\"h\xC3\xA9llo \xE2\x9C\x93 \xF0\x9F\x98\x80"
         . " \xE6\x97\xA5\xE6\x9C\xAC\"}";
$h->passed_ok(send_body('/', signed($utf8), $utf8), $utf8,
              'body: UTF-8 and emoji bytes are hashed exactly as received');
$h->passed_ok(send_body('/', signed($bytes), $bytes), $bytes,
              'body: every byte value 0..255 (NUL, CR, LF, 0x80..0xFF)'
              . ' is hashed exactly');
$h->rejected_ok(send_body('/', signed($utf8),
                          "{\"text\":\"h\xC3\xA9llo \xE2\x9C\x93"
                          . " \xF0\x9F\x98\x81 \xE6\x97\xA5\xE6\x9C\xAC\"}"),
                'mismatch', 'novu',
                'body: one changed byte inside an emoji is a mismatch');

$h->passed_ok(send_body('/nobuf', signed($big), $big), $big,
              'body: proxy_request_buffering off is still verified,'
              . ' full body forwarded');
$h->passed_ok(send_body('/nobuf', signed($small), $small, split => ['head']),
              $small, 'body: proxy_request_buffering off'
                      . ' with an async body is verified');
$h->rejected_ok(send_body('/nobuf', forged($small), $small,
                          split => ['head']),
                'mismatch', 'novu',
                'body: proxy_request_buffering off'
                . ' with a forged body is rejected');

# ------------------------------------------- read before the module's turn

# Usually the module hashes each buffer as nginx reads it; a body something
# else read first is hashed where nginx left it, memory and temp file.
$h->passed_ok(send_body('/read-first', signed($small), $small), $small,
              'read first: a body proxy_pass read before the redirect'
              . ' is verified');
$h->rejected_ok(send_body('/read-first', forged($small), $small),
                'mismatch', 'novu',
                'read first: a forged body read before the redirect'
                . ' is rejected',
                upstream_tried => 1);
$mark = length $h->error_log;
$h->passed_ok(send_body('/read-first', signed($big), $big,
                        split => ['head']),
              $big, 'read first: a temp-file body read before the redirect'
                    . ' is verified');
like(substr($h->error_log, $mark),
     qr/a client request body is buffered to a temporary file/,
     'read first: ... and it was in a temporary file');
$h->rejected_ok(send_body('/read-first', forged($big), $big),
                'mismatch', 'novu',
                'read first: a forged temp-file body read before the redirect'
                . ' is rejected',
                upstream_tried => 1);

# ------------------------------------------------------------ chunked

my @chunks = ('{"event":', '"chunked",', '"data":"' . ('c' x 3000) . '"}');
my $dechunked = join '', @chunks;
$h->passed_ok($h->request(uri => '/', headers => signed($dechunked),
                          chunked => \@chunks),
              $dechunked, 'chunked: the de-chunked body is verified');
$h->passed_ok($h->request(uri => '/', headers => signed($dechunked),
                          chunked => \@chunks,
                          split => ['chunks'], delay => 0.15),
              $dechunked, 'chunked: chunks arriving slowly are verified');
$h->rejected_ok($h->request(uri => '/', headers => forged($dechunked),
                            chunked => \@chunks,
                            split => ['chunks'], delay => 0.15),
                'mismatch', 'novu',
                'chunked: a forged body arriving slowly is rejected');
my $framed = join '', map { sprintf("%x\r\n%s\r\n", length, $_) } @chunks;
$h->rejected_ok($h->request(uri => '/', headers => signed($framed),
                            chunked => \@chunks),
                'mismatch', 'novu',
                'chunked: the chunk framing is not part of the signed body');
my @big_chunks = unpack('(a7000)*', $big);
$h->passed_ok($h->request(uri => '/', headers => signed($big),
                          chunked => \@big_chunks, split => ['head']),
              $big, 'chunked: a big chunked body (temp file) is verified');
$h->passed_ok($h->request(uri => '/', headers => signed('', signed => '{}'),
                          chunked => []),
              '', 'chunked: an empty chunked body is verified as {}');

# --------------------------------------------- unchanged for the upstream

{
    my @extra = ('Content-Type' => 'application/json',
                 'User-Agent' => 'Novu/2.0',
                 'X-Request-Id' => 'abc-123', 'Idempotency-Key' => 'k1');
    for my $case (['Content-Length', body => $big],
                  ['chunked', chunked => \@chunks]) {
        my ($name, %body) = @$case;
        my $bytes = $body{body} // join '', @{$body{chunked}};
        my @h = (@{signed($bytes)}, @extra);
        my $p = $h->request(uri => '/', headers => \@h, %body);
        my $u = $h->request(uri => '/plain', headers => \@h, %body);
        $h->passed_ok($p, $bytes, "unchanged ($name): verified");
        my ($up) = $h->upstream_for($p);
        my ($uu) = $h->upstream_for($u);
        is_deeply($up && $up->{headers}, $uu && $uu->{headers},
                  "unchanged ($name): the upstream gets the same headers"
                  . ' as without the module');
        is($up && $up->{sha256}, $uu && $uu->{sha256},
           "unchanged ($name): ... and the same body bytes");
    }
}

# ------------------------------------------------------------ early answers

{
    my $r = send_body('/', signed($small), $small, expect => 1);
    is($r->{continue}, 1, 'expect: a good request is sent 100 Continue');
    $h->passed_ok($r, $small, 'expect: ... then verified and forwarded');

    for (['malformed', ['Novu-Signature' => 't=1,v1=zz']],
         ['stale', signed($small, t => now_ms() - 3_600_000)],
         ['missing', []]) {
        my ($result, $headers) = @$_;
        $r = send_body('/', $headers, $small, expect => 1);
        is($r->{continue}, 0,
           "expect: $result is answered WITHOUT 100 Continue");
        ok(!$r->{body_sent} && !$r->{expect_timeout},
           "expect: $result: the client never sent the body");
        $h->rejected_ok($r, $result, 'novu',
                        "expect: $result rejected before the body is read");
    }

    $r = send_body('/', forged($small), $small, expect => 1);
    is($r->{continue}, 1,
       'expect: a mismatch needs the body, so 100 Continue is sent');
    $h->rejected_ok($r, 'mismatch', 'novu',
                    'expect: ... then the mismatch is rejected');

    # Headers only, a large Content-Length, no body ever sent.
    my $t0 = time;
    $r = $h->request(uri => '/', headers => signed($small, t => 1000),
                     body => '', content_length => 500_000, timeout => 4);
    ok(time - $t0 < 2,
       'early: a stale request is answered without waiting for its body');
    $h->rejected_ok($r, 'stale', 'novu',
                    'early: stale answered before the body arrives');
}

# ---------------------------------------------------- client_max_body_size

{
    my $r = send_body('/max', signed('m' x 2000), 'm' x 2000);
    is($r->{status}, 413,
       'max: Content-Length over client_max_body_size gets nginx\'s 413');
    like($r->{body}, qr/413 Request Entity Too Large/,
         'max: ... nginx\'s own 413 page');
    is(scalar $h->upstream_for($r), 0, 'max: ... nothing reached the upstream');

    my @c = unpack('(a500)*', 'm' x 3000);
    $r = $h->request(uri => '/max', headers => signed('m' x 3000),
                     chunked => \@c);
    is($r->{status}, 413,
       'max: a chunked body over client_max_body_size gets 413');
    is(scalar $h->upstream_for($r), 0, 'max: ... nothing reached the upstream');
    $r = $h->request(uri => '/max', headers => signed('m' x 3000),
                     chunked => \@c, split => ['chunks'], delay => 0.05);
    is($r->{status}, 413,
       'max: a slow chunked body over client_max_body_size gets 413');
    $r = $h->request(uri => '/max', headers => ['Novu-Signature' => 'bad'],
                     chunked => \@c);
    $h->rejected_ok($r, 'malformed', 'novu',
                    'max: a malformed chunked request over the limit'
                    . ' is rejected before reading');
    is($h->wait_idle, 1, 'max: no connection is leaked after the 413s'
                         . ' (stub_status back to 1)');

    my $raw = "POST /?tid=bad HTTP/1.1\r\nHost: localhost\r\n"
            . "Transfer-Encoding: chunked\r\n"
            . "Novu-Signature: " . novu_sig($S, now_ms(), 'abc') . "\r\n\r\n"
            . "3\r\nabc\r\nZZ\r\n0\r\n\r\n";
    $r = $h->request(raw => $raw);
    is($r->{status}, 400, 'chunked: a malformed chunk gets 400');
    is($h->wait_idle, 1, 'chunked: no connection is leaked after the 400');
}

# ------------------------------------------------------------ keep-alive

{
    my $c = $h->connect;
    my $r1 = send_body('/', forged($small), $small, conn => $c);
    $h->rejected_ok($r1, 'mismatch', 'novu',
                    'keep-alive: first request rejected (mismatch)');
    my $r2 = send_body('/', signed($small), $small, conn => $c);
    $h->passed_ok($r2, $small, 'keep-alive: a second request'
                               . ' on the same connection is answered');
    $c->close;

    $c = $h->connect;
    $r1 = send_body('/', signed($big, t => 1000), $big, conn => $c);
    $h->rejected_ok($r1, 'stale', 'novu',
                    'keep-alive: stale with a 64k body rejected unread');
    $r2 = send_body('/', signed($small), $small, conn => $c);
    $h->passed_ok($r2, $small, 'keep-alive: the unread body was discarded,'
                               . ' the next request is served');
    $c->close;

    # The client sends the body only after it has the 401.
    $c = $h->connect;
    my $body = 'late' x 1000;
    my $head = "POST /?tid=late HTTP/1.1\r\nHost: localhost\r\n"
             . "Novu-Signature: t=1,v1=x\r\n"
             . "Content-Length: " . length($body) . "\r\n\r\n";
    $c->write($head);
    $r1 = $c->read_response(3);
    is($r1->{status}, 401,
       'keep-alive: malformed rejected before the body was sent');
    $c->write($body);
    $r2 = send_body('/', signed($small), $small, conn => $c);
    $h->passed_ok($r2, $small, 'keep-alive: body sent after the 401'
                               . ' is discarded, next request served');
    $c->close;

    $c = $h->connect;
    $r1 = $h->request(uri => '/', headers => ['Novu-Signature' => ''],
                      chunked => \@chunks, conn => $c);
    $h->rejected_ok($r1, 'malformed', 'novu',
                    'keep-alive: malformed chunked request rejected');
    $r2 = send_body('/', signed($small), $small, conn => $c);
    $h->passed_ok($r2, $small, 'keep-alive: the chunked body was discarded,'
                               . ' the next request is served');
    $c->close;
}

# ------------------------------------------------------------ HTTP/2

{
    my $r = $h->h2(uri => '/', headers => signed($small), body => $small);
    is($r->{version}, '2', 'h2: the request was HTTP/2');
    $h->passed_ok($r, $small, 'h2: a small body is verified');
    $h->passed_ok($h->h2(uri => '/', headers => signed($big), body => $big),
                  $big, 'h2: a big body (temp file) is verified');
    $h->passed_ok($h->h2(uri => '/', headers => signed($big), body => $big,
                         stream => 1),
                  $big, 'h2: a big body without Content-Length'
                        . ' (DATA frames joined) is verified');
    $h->passed_ok($h->h2(uri => '/', headers => signed('', signed => '{}')),
                  '', 'h2: GET without a body is verified as {}');
    $h->rejected_ok($h->h2(uri => '/', headers => forged($small),
                           body => $small),
                    'mismatch', 'novu', 'h2: a forged small body is rejected');
    $h->rejected_ok($h->h2(uri => '/', headers => forged($big), body => $big,
                           stream => 1),
                    'mismatch', 'novu',
                    'h2: a forged big streamed body is rejected');
    $h->rejected_ok($h->h2(uri => '/', headers => ['Novu-Signature' => 't=1']),
                    'malformed', 'novu', 'h2: malformed is rejected');
    # An upload answered before its body is read: nginx resets the stream
    # while curl may still be sending, and curl 7.88 then sometimes drops
    # the response (the same happens with a plain "return 401"), so a reset
    # counts as the early answer here.
    for my $b ([small => $small], ['64k' => $big]) {
        my ($what, $body) = @$b;
        $r = $h->h2(uri => '/', headers => ['Novu-Signature' => 't=1'],
                    body => $body, stream => 1);
        ok($r->{status} == 401
           || ($r->{status} == 0 && $r->{curl_rc} =~ /^(?:18|52|92)$/),
           "h2: malformed with a $what body is answered early"
           . ' (401 or a stream reset)')
            or diag explain $r;
        is(scalar $h->upstream_for($r), 0,
           "h2: ... nothing reached the upstream ($what)");
        $h->failure_logged_ok($r, 'malformed', 'novu',
                              "h2: malformed with a $what body");
    }
    $r = $h->h2(uri => '/max', headers => signed($big), body => $big,
                stream => 1);
    ok($r->{status} == 413 || $r->{curl_rc},
       'h2: a stream over client_max_body_size gets 413 (or a reset)')
        or diag explain $r;
    is(scalar $h->upstream_for($r), 0, 'h2: ... nothing reached the upstream');
    is($h->wait_idle, 1, 'h2: no connection is leaked');
}

is($h->wait_idle, 1, 'no connection is left open at the end');
$h->finish;
done_testing;
