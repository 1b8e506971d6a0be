#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
#
# SPEC "The schemes: notifykit" (X-Webhook-Timestamp + X-Webhook-Signature,
# empty body signed as empty, whsec_ secrets verbatim) and the `auto`
# scheme's choice between novu and notifykit.

use strict;
use warnings;
use Test::More;
use Digest::SHA qw(hmac_sha256_hex);
use MIME::Base64 qw(decode_base64);
use Harness;

my $S     = 'nk-secret-Wq2rT';
my $WHSEC = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
my $h = Harness->new;
$h->run(<<'EOF', vars => { SECRET => $S, WHSEC => $WHSEC });
    server {
        listen 127.0.0.1:%%PORT%%;
        server_name localhost;
        webhook_signature_secret "%%SECRET%%";

        location /nk {
            webhook_signature notifykit;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /nk10 {
            webhook_signature notifykit;
            webhook_signature_tolerance 10s;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /whsec {
            webhook_signature notifykit;
            webhook_signature_secret "%%WHSEC%%";
            proxy_pass http://%%UPSTREAM%%;
        }

        location /auto {
            webhook_signature auto;
            proxy_pass http://%%UPSTREAM%%;
        }
    }
EOF

my $BODY = '{"type":"email.delivered","data":{"id":"msg_1"}}';

sub hex_for {
    my ($t, $body, $secret) = @_;
    hmac_sha256_hex("$t." . ($body // ''), $secret // $S);
}

sub post {
    my ($uri, $headers, $body, %o) = @_;
    return $h->request(uri => $uri, headers => $headers,
                       body => $body // $BODY, %o);
}

# ------------------------------------------------------------ passing

{
    my $t = now_s();
    my $r = post('/nk', [nk_headers($S, $t, $BODY)]);
    $h->passed_ok($r, $BODY, 'notifykit: a valid seconds signature verifies');
    is($h->access_for($r)->{timestamp}, $t,
       'notifykit: $webhook_signature_timestamp is t as sent');

    $h->passed_ok(post('/nk', [nk_headers($S, now_ms(), $BODY)]), $BODY,
                  'notifykit: millisecond timestamps follow the novu rule');
    $h->passed_ok(post('/nk', [nk_headers($S, $t + 60, $BODY)]), $BODY,
                  'notifykit: a future timestamp inside the window passes'
                  . ' (symmetric window)');
    $h->passed_ok(post('/nk', [nk_headers($S, $t, '')], ''), '',
                  'notifykit: an empty POST body is signed as empty');
    $h->passed_ok($h->request(uri => '/nk',
                              headers => [nk_headers($S, $t, '')]),
                  '', 'notifykit: GET without a body is signed as empty');
    $h->rejected_ok(post('/nk', [nk_headers($S, $t, '{}')], ''),
                    'mismatch', 'notifykit',
                    'notifykit: an empty body is NOT signed as {}');

    my $good = hex_for($t, $BODY);
    my $bad  = hex_for($t, $BODY, 'nope');
    $h->passed_ok(post('/nk', ['X-Webhook-Timestamp' => $t,
                               'X-Webhook-Signature'
                               => "t=$t,v1=$bad,v1=$good"]),
                  $BODY, 'notifykit: several v1, any may match');
    $h->passed_ok(post('/nk', ['X-Webhook-Timestamp' => $t,
                               'X-Webhook-Signature'
                               => "t=$t,v1=" . uc $good]),
                  $BODY, 'notifykit: uppercase hex verifies');
    $h->passed_ok(post('/nk', ['x-webhook-timestamp' => $t,
                               'x-webhook-signature' => "t=$t,v1=$good"]),
                  $BODY, 'notifykit: header names are case-insensitive');
}

# ------------------------------------------------------------ whsec_ secrets

{
    my $t = now_s();
    $h->passed_ok(post('/whsec', [nk_headers($WHSEC, $t, $BODY)]), $BODY,
                  'notifykit: a whsec_ secret is used verbatim as the key');
    (my $tail = $WHSEC) =~ s/^whsec_//;
    $h->rejected_ok(post('/whsec', [nk_headers($tail, $t, $BODY)]),
                    'mismatch', 'notifykit',
                    'notifykit: the whsec_ prefix is part of the key'
                    . ' (not stripped)');
    $h->rejected_ok(post('/whsec',
                         [nk_headers(decode_base64($tail), $t, $BODY)]),
                    'mismatch', 'notifykit',
                    'notifykit: the whsec_ secret is not base64-decoded');
}

# ------------------------------------------------------- missing / malformed

{
    my $t = now_s();
    my $sig = nk_sig($S, $t, $BODY);
    $h->rejected_ok(post('/nk', []), 'missing', 'notifykit',
                    'notifykit missing: neither header');
    $h->rejected_ok(post('/nk', [novu_headers($S, $t, $BODY)]),
                    'missing', 'notifykit',
                    'notifykit missing: only a Novu-Signature');
    $h->rejected_ok(post('/nk', ['X-Webhook-Signature' => $sig]),
                    'malformed', 'notifykit',
                    'notifykit malformed: X-Webhook-Signature'
                    . ' without X-Webhook-Timestamp');
    $h->rejected_ok(post('/nk', ['X-Webhook-Timestamp' => $t]),
                    'missing', 'notifykit',
                    'notifykit missing: X-Webhook-Timestamp'
                    . ' without X-Webhook-Signature');
    $h->rejected_ok(post('/nk', ['X-Webhook-Timestamp' => $t + 1,
                                 'X-Webhook-Signature' => $sig]),
                    'malformed', 'notifykit',
                    'notifykit malformed: t differs from X-Webhook-Timestamp');
    $h->rejected_ok(post('/nk', ['X-Webhook-Timestamp' => "0$t",
                                 'X-Webhook-Signature' => $sig]),
                    'malformed', 'notifykit',
                    'notifykit malformed: t equal in value but not exactly'
                    . ' (leading zero)');
    $h->rejected_ok(post('/nk', ['X-Webhook-Timestamp' => "abc",
                                 'X-Webhook-Signature'
                                 => 't=abc,v1=' . hex_for('abc', $BODY)]),
                    'malformed', 'notifykit',
                    'notifykit malformed: a non-decimal timestamp');
    $h->rejected_ok(post('/nk', ['X-Webhook-Timestamp' => '',
                                 'X-Webhook-Signature' => $sig]),
                    'malformed', 'notifykit',
                    'notifykit malformed: an empty X-Webhook-Timestamp');
    my @bad_sigs = (
        ['empty value',             ''],
        ['no v1',                   "t=$t"],
        ['no t',                    'v1=' . hex_for($t, $BODY)],
        ['a trailing comma',        "$sig,"],
        ['a part without =',        "$sig,x"],
        ['t repeated',              "t=$t,$sig"],
        ['v1 of 63 hex digits',     substr($sig, 0, -1)],
        ['v1 with a non-hex digit', substr($sig, 0, -1) . 'z'],
        ['non-ASCII bytes',         "$sig,k=\xE2\x9C\x93"],
    );
    for (@bad_sigs) {
        my ($what, $value) = @$_;
        $h->rejected_ok(post('/nk', ['X-Webhook-Timestamp' => $t,
                                     'X-Webhook-Signature' => $value]),
                        'malformed', 'notifykit',
                        "notifykit malformed: signature header with $what");
    }
    $h->rejected_ok(post('/nk', ['X-Webhook-Timestamp' => $t,
                                 'X-Webhook-Signature' => $sig,
                                 'X-Webhook-Signature' => $sig]),
                    'malformed', 'notifykit',
                    'notifykit malformed: X-Webhook-Signature sent twice');
    $h->rejected_ok(post('/nk', ['X-Webhook-Timestamp' => $t,
                                 'X-Webhook-Timestamp' => $t,
                                 'X-Webhook-Signature' => $sig]),
                    'malformed', 'notifykit',
                    'notifykit malformed: X-Webhook-Timestamp sent twice');
}

# ------------------------------------------------------------ stale / mismatch

{
    my ($s, $ms) = (now_s(), now_ms());
    for (['400 s in the past',       $s - 400],
         ['400 s in the future',     $s + 400],
         ['ms, 400 s in the past',   $ms - 400_000],
         ['ms, 400 s in the future', $ms + 400_000]) {
        my ($what, $t) = @$_;
        $h->rejected_ok(post('/nk', [nk_headers($S, $t, $BODY)]),
                        'stale', 'notifykit', "notifykit stale: $what");
    }
    $h->passed_ok(post('/nk10', [nk_headers($S, $s - 5, $BODY)]), $BODY,
                  'notifykit: tolerance 10s, 5 s old passes');
    $h->rejected_ok(post('/nk10', [nk_headers($S, $s - 30, $BODY)]),
                    'stale', 'notifykit',
                    'notifykit: tolerance 10s, 30 s old is stale');
    my $t = $s - 400;
    $h->rejected_ok(post('/nk', ['X-Webhook-Timestamp' => $t,
                                 'X-Webhook-Signature'
                                 => "t=$t,v1=" . ('a' x 64)]),
                    'stale', 'notifykit',
                    'notifykit: stale is reported before mismatch');

    $h->rejected_ok(post('/nk', [nk_headers('wrong', $s, $BODY)]),
                    'mismatch', 'notifykit',
                    'notifykit mismatch: another secret');
    (my $changed = $BODY) =~ s/msg_1/msg_2/;
    $h->rejected_ok(post('/nk', [nk_headers($S, $s, $BODY)], $changed),
                    'mismatch', 'notifykit',
                    'notifykit mismatch: body changed by one byte');
}

# ------------------------------------------------------------ auto

{
    my $t = now_ms();
    my $ts = now_s();
    my $r = post('/auto', [novu_headers($S, $t, $BODY)]);
    $h->passed_ok($r, $BODY, 'auto: Novu-Signature present -> novu verifies');
    $h->passed_ok(post('/auto', ['X-Novu-Signature'
                                 => novu_sig($S, $t, $BODY)]),
                  $BODY, 'auto: X-Novu-Signature present -> novu verifies');
    $h->passed_ok(post('/auto', [nk_headers($S, $ts, $BODY)]), $BODY,
                  'auto: no Novu-Signature, X-Webhook-Signature present'
                  . ' -> notifykit verifies');
    $h->passed_ok($h->request(uri => '/auto',
                              headers => [novu_headers($S, $t, '{}')]),
                  '', 'auto: novu GET without a body is verified as {}');
    $h->passed_ok($h->request(uri => '/auto',
                              headers => [nk_headers($S, $ts, '')]),
                  '',
                  'auto: notifykit GET without a body is verified as empty');

    $h->rejected_ok(post('/auto', [novu_headers('wrong', $t, $BODY),
                                   nk_headers($S, $ts, $BODY)]),
                    'mismatch', 'novu',
                    'auto: Novu-Signature wins when both schemes are present');
    $h->rejected_ok(post('/auto', [nk_headers('wrong', $ts, $BODY)]),
                    'mismatch', 'notifykit',
                    'auto: a failing notifykit request'
                    . ' is reported as notifykit');
    $h->rejected_ok(post('/auto', ['X-Webhook-Signature'
                                   => nk_sig($S, $ts, $BODY)]),
                    'malformed', 'notifykit',
                    'auto: X-Webhook-Signature alone -> notifykit malformed');
    $h->rejected_ok(post('/auto', []), 'missing', 'novu',
                    'auto: neither header -> missing, reported as novu');
    $h->rejected_ok(post('/auto', ['X-Webhook-Timestamp' => $ts]),
                    'missing', 'novu',
                    'auto: X-Webhook-Timestamp alone -> missing,'
                    . ' reported as novu');
}

$h->finish;
done_testing;
