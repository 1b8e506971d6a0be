#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
#
# SPEC "The schemes: novu": the Novu-Signature header, its timestamp units,
# the empty body signed as {}, every malformed form, missing, stale,
# mismatch and the tolerance.

use strict;
use warnings;
use Test::More;
use Digest::SHA qw(hmac_sha256_hex);
use Harness;

my $S = 'novu-secret-Kq7vP';
my $h = Harness->new;
$h->run(<<'EOF', vars => { SECRET => $S });
    server {
        listen 127.0.0.1:%%PORT%%;
        server_name localhost;
        webhook_signature novu;
        webhook_signature_secret "%%SECRET%%";

        location /novu {
            proxy_pass http://%%UPSTREAM%%;
        }

        location /tol10 {
            webhook_signature_tolerance 10s;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /tol1500ms {
            webhook_signature_tolerance 1500ms;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /toloff {
            webhook_signature_tolerance off;
            proxy_pass http://%%UPSTREAM%%;
        }
    }
EOF

my $BODY = '{"workflowId":"welcome","payload":{"name":"Ada"}}';

sub hex_for {
    my ($t, $body, $secret) = @_;
    hmac_sha256_hex("$t.$body", $secret // $S);
}

sub post {
    my ($uri, $headers, $body, %o) = @_;
    return $h->request(uri => $uri, headers => $headers,
                       body => $body // $BODY, %o);
}

# ------------------------------------------------------------ passing

{
    my $t = now_ms();
    my $r = post('/novu', [novu_headers($S, $t, $BODY)]);
    $h->passed_ok($r, $BODY, 'novu: a millisecond timestamp'
                             . ' (Date.now(), 13 digits) verifies');
    is($h->access_for($r)->{timestamp}, $t,
       'novu: the ms timestamp is taken as sent');

    $h->passed_ok(post('/novu', [novu_headers($S, now_s(), $BODY)]), $BODY,
                  'novu: a seconds timestamp (10 digits) verifies');

    my $t0 = '0' . now_s();
    $h->passed_ok(post('/novu', ['Novu-Signature'
                                 => "t=$t0,v1=" . hex_for($t0, $BODY)]),
                  $BODY, 'novu: the signed string uses t exactly as sent'
                         . ' (leading zero, seconds)');
}

{
    my $t = now_ms();
    $h->passed_ok($h->request(uri => '/novu',
                              headers => [novu_headers($S, $t, '{}')]),
                  '', 'novu: GET with no body is verified as {}');
    my $r = $h->request(uri => '/novu', headers => [
        'Novu-Signature' => "t=$t,v1=" . hex_for($t, '')]);
    $h->rejected_ok($r, 'mismatch', 'novu',
                    'novu: GET with no body signed over "" is a mismatch');

    $h->passed_ok(post('/novu', [novu_headers($S, $t, '{}')], ''), '',
                  'novu: POST with Content-Length: 0 is verified as {}');
    $h->passed_ok(post('/novu', [novu_headers($S, $t, '{}')], '{}'), '{}',
                  'novu: POST with body {} verifies');
}

{
    my $t = now_ms();
    my $sig = novu_sig($S, $t, $BODY);
    $h->passed_ok(post('/novu', ['X-Novu-Signature' => $sig]), $BODY,
                  'novu: X-Novu-Signature is used'
                  . ' when Novu-Signature is absent');
    $h->passed_ok(post('/novu', ['novu-signature' => $sig]), $BODY,
                  'novu: the header name is case-insensitive');
    $h->passed_ok(post('/novu', ['Novu-Signature' => $sig,
                                 'X-Novu-Signature' => 'garbage']),
                  $BODY, 'novu: Novu-Signature wins over X-Novu-Signature'
                         . ' (valid one first)');
    $h->rejected_ok(post('/novu', ['Novu-Signature' => 'garbage',
                                   'X-Novu-Signature' => $sig]),
                    'malformed', 'novu',
                    'novu: Novu-Signature wins over X-Novu-Signature'
                    . ' (malformed one first)');
}

{
    my $t = now_ms();
    my $good = hex_for($t, $BODY);
    my $bad = hex_for($t, $BODY, 'other-secret');
    my $bad2 = hex_for($t, "$BODY ", $S);
    $h->passed_ok(post('/novu', ['Novu-Signature' => "t=$t,v1=$bad,v1=$good"]),
                  $BODY, 'novu: several v1, the second matches');
    $h->passed_ok(post('/novu', ['Novu-Signature' => "t=$t,v1=$good,v1=$bad"]),
                  $BODY, 'novu: several v1, the first matches');
    $h->passed_ok(post('/novu', ['Novu-Signature' => "t=$t,v1=$bad,v1=$bad2,"
                                 . "v1=$bad,v1=$bad2,v1=$good"]),
                  $BODY, 'novu: five v1, the last matches');
    $h->rejected_ok(post('/novu', ['Novu-Signature'
                                   => "t=$t,v1=$bad,v1=$bad2"]),
                    'mismatch', 'novu',
                    'novu: several v1, none matches -> mismatch');
    $h->passed_ok(post('/novu', ['Novu-Signature' => "t=$t,v1=" . uc $good]),
                  $BODY, 'novu: uppercase hex verifies');
    (my $mixed = $good) =~ s/([a-f])([a-f0-9]*)$/\U$1\E$2/;
    $h->passed_ok(post('/novu', ['Novu-Signature' => "t=$t,v1=$mixed"]), $BODY,
                  'novu: mixed-case hex verifies');
    $h->passed_ok(post('/novu', ['Novu-Signature' => "t=$t ,  v1=$good"]),
                  $BODY, 'novu: spaces around parts are ignored');
    $h->passed_ok(post('/novu', ['Novu-Signature' => "t=$t\t,\tv1=$good"]),
                  $BODY, 'novu: tabs around parts are ignored');
    $h->passed_ok(post('/novu', ['Novu-Signature'
                                 => "t=$t,v0=abc,v1=$good,scheme=x"]),
                  $BODY, 'novu: other keys are ignored');
    $h->passed_ok(post('/novu', ['Novu-Signature' => "v1=$good,t=$t"]), $BODY,
                  'novu: v1 before t verifies');
}

# ------------------------------------------------------------ malformed

{
    my $t = now_s();
    my $v = hex_for($t, $BODY);
    my $ms = now_ms();
    my @cases = (
        ['empty value',                   ''],
        ['a trailing comma (empty part)', "t=$t,v1=$v,"],
        ['a leading comma (empty part)',  ",t=$t,v1=$v"],
        ['two commas (empty part)',       "t=$t,,v1=$v"],
        ['a part without =',              "t=$t,v1=$v,novu"],
        ['a part with an empty key',      "t=$t,v1=$v,=abc"],
        ['no t',                          "v1=$v"],
        ['no v1',                         "t=$t"],
        ['t repeated (same value)',       "t=$t,t=$t,v1=$v"],
        ['t empty',                       "t=,v1=" . hex_for('', $BODY)],
        ['t a space',                     "t= ,v1=" . hex_for(' ', $BODY)],
        ['t with a letter (12a)',
         "t=${t}a,v1=" . hex_for("${t}a", $BODY)],
        ['t negative (-5)',               "t=-5,v1=" . hex_for('-5', $BODY)],
        ['t negative (-now)',             "t=-$t,v1=" . hex_for("-$t", $BODY)],
        ['t with a plus sign (+now)',     "t=+$t,v1=" . hex_for("+$t", $BODY)],
        ['t with +5',                     "t=+5,v1=" . hex_for('+5', $BODY)],
        ['t with a space after =',        "t= $t,v1=" . hex_for(" $t", $BODY)],
        ['t with a space inside',
         "t=" . substr($t, 0, 4) . ' ' . substr($t, 4) . ",v1=$v"],
        ['t a decimal fraction',
         "t=$t.5,v1=" . hex_for("$t.5", $BODY)],
        ['t in hex (0x)',
         sprintf('t=0x%x,v1=%s', $t, hex_for(sprintf('0x%x', $t), $BODY))],
        ['t with fullwidth digits',       "t=\xEF\xBC\x91\xEF\xBC\x92,v1=$v"],
        ['v1 of 63 hex digits',           "t=$t,v1=" . substr($v, 1)],
        ['v1 of 65 hex digits',           "t=$t,v1=${v}0"],
        ['v1 with a non-hex digit',       "t=$t,v1=" . substr($v, 0, 63) . 'g'],
        ['v1 empty',                      "t=$t,v1="],
        ['v1 of 128 hex digits',          "t=$t,v1=$v$v"],
        ['one good v1 and one of 63',     "t=$t,v1=$v,v1=" . substr($v, 1)],
        ['v1 base64 instead of hex',      "t=$t,v1=" . ('QUJD' x 11)],
        ['non-ASCII bytes in an ignored part', "t=$t,v1=$v,x=caf\xC3\xA9"],
        ['a non-ASCII byte after the value',   "t=$t,v1=$v\x80"],
        ['a very long header of t parts', join(',', ("t=$t") x 500) . ",v1=$v"],
    );
    for my $c (@cases) {
        my ($what, $value) = @$c;
        $h->rejected_ok(post('/novu', ['Novu-Signature' => $value]),
                        'malformed', 'novu', "novu malformed: $what");
    }

    my $sig = "t=$t,v1=$v";
    $h->rejected_ok(post('/novu', ['Novu-Signature' => $sig,
                                   'Novu-Signature' => $sig]),
                    'malformed', 'novu',
                    'novu malformed: Novu-Signature sent twice (both valid)');
    $h->rejected_ok(post('/novu', ['X-Novu-Signature' => $sig,
                                   'X-Novu-Signature' => $sig]),
                    'malformed', 'novu',
                    'novu malformed: X-Novu-Signature sent twice (both valid)');
    $h->rejected_ok(post('/novu', ['Novu-Signature' => "t=1,v1=zz"]),
                    'malformed', 'novu',
                    'novu: malformed is reported before stale');
}

# ------------------------------------------------------------ missing

$h->rejected_ok(post('/novu', []), 'missing', 'novu',
                'novu missing: no signature header');
$h->rejected_ok($h->request(uri => '/novu'), 'missing', 'novu',
                'novu missing: GET without any header');
{
    my $t = now_s();
    $h->rejected_ok(post('/novu', [nk_headers($S, $t, $BODY)]),
                    'missing', 'novu',
                    'novu missing: only the notifykit headers');
}

# ------------------------------------------------------------ stale

{
    my ($s, $ms) = (now_s(), now_ms());
    my @stale = (
        ['seconds, 400 s in the past',        $s - 400],
        ['seconds, 400 s in the future',      $s + 400],
        ['milliseconds, 400 s in the past',   $ms - 400_000],
        ['milliseconds, 400 s in the future', $ms + 400_000],
        ['13 digits are milliseconds: 000 + seconds is 1970 in ms', "000$s"],
        ['a 30-digit timestamp',              '9' x 30],
        ['t=0',                               '0'],
    );
    for my $c (@stale) {
        my ($what, $t) = @$c;
        my $r = post('/novu', [novu_headers($S, $t, $BODY)]);
        $h->rejected_ok($r, 'stale', 'novu',
                        "novu stale (default tolerance 5m): $what");
    }
    $h->rejected_ok(post('/novu', ['Novu-Signature' => "t=" . ($s - 400)
                                   . ",v1=" . ('0' x 64)]),
                    'stale', 'novu', 'novu: stale is reported before mismatch');

    $h->passed_ok(post('/novu', [novu_headers($S, $s - 290, $BODY)]), $BODY,
                  'novu: default tolerance 5m, 290 s in the past passes');
    $h->passed_ok(post('/novu', [novu_headers($S, $s + 290, $BODY)]), $BODY,
                  'novu: default tolerance 5m, 290 s in the future passes');
    $h->passed_ok(post('/novu', [novu_headers($S, "00$s", $BODY)]), $BODY,
                  'novu: 12 digits are seconds (00 + seconds passes)');
    $h->passed_ok(post('/novu', [novu_headers($S, '0' . now_ms(), $BODY)]),
                  $BODY, 'novu: 14 digits are milliseconds (0 + ms passes)');
    $h->passed_ok(post('/novu', [novu_headers($S, now_ms() - 290_000, $BODY)]),
                  $BODY, 'novu: default tolerance 5m,'
                         . ' ms timestamp 290 s in the past passes');
}

# Exactly at the tolerance passes: send right after a second starts so
# nginx judges the request in the same whole second.
for my $d (-10, 10) {
    my $s = second_start();
    $h->passed_ok(post('/tol10', [novu_headers($S, $s + $d, $BODY)]), $BODY,
                  'novu: seconds timestamp exactly at the tolerance'
                  . " ($d s) passes");
}
for my $d (-11, 11) {
    my $s = second_start();
    $h->rejected_ok(post('/tol10', [novu_headers($S, $s + $d, $BODY)]),
                    'stale', 'novu',
                    'novu: seconds timestamp 1 s past the tolerance'
                    . " ($d s) is stale");
}
for my $c ([-9700, 1], [9700, 1], [-10300, 0], [10300, 0]) {
    my ($d, $pass) = @$c;
    my $r = post('/tol10', [novu_headers($S, now_ms() + $d, $BODY)]);
    my $what = "novu: ms timestamp ${d} ms off, tolerance 10s,";
    $pass ? $h->passed_ok($r, $BODY, "$what passes")
          : $h->rejected_ok($r, 'stale', 'novu',
                            "$what is stale (ms precision)");
}
$h->passed_ok(post('/tol1500ms', [novu_headers($S, now_ms() - 1000, $BODY)]),
              $BODY, 'novu: tolerance 1500ms, 1000 ms old passes');
$h->rejected_ok(post('/tol1500ms', [novu_headers($S, now_ms() - 2500, $BODY)]),
                'stale', 'novu',
                'novu: tolerance 1500ms, 2500 ms old is stale');

$h->passed_ok(post('/toloff', [novu_headers($S, 1, $BODY)]), $BODY,
              'novu: tolerance off accepts a timestamp from 1970');
$h->passed_ok(post('/toloff', [novu_headers($S, now_s() + 86400 * 365,
                                            $BODY)]),
              $BODY, 'novu: tolerance off accepts a timestamp a year ahead');
$h->rejected_ok(post('/toloff', ['Novu-Signature'
                                 => 't=1,v1=' . hex_for(1, $BODY, 'wrong')]),
                'mismatch', 'novu',
                'novu: tolerance off still checks the signature');

# ------------------------------------------------------------ mismatch

{
    my $t = now_ms();
    $h->rejected_ok(post('/novu', [novu_headers('wrong-secret', $t, $BODY)]),
                    'mismatch', 'novu',
                    'novu mismatch: signed with another secret');
    (my $changed = $BODY) =~ s/Ada/Adb/;
    $h->rejected_ok(post('/novu', [novu_headers($S, $t, $BODY)], $changed),
                    'mismatch', 'novu',
                    'novu mismatch: body changed by one byte');
    $h->rejected_ok(post('/novu', [novu_headers($S, $t, $BODY)], "$BODY\n"),
                    'mismatch', 'novu',
                    'novu mismatch: a byte appended to the body');
    $h->rejected_ok(post('/novu', ['Novu-Signature' => 't=' . ($t - 1)
                                   . ',v1=' . hex_for($t, $BODY)]),
                    'mismatch', 'novu',
                    'novu mismatch: t changed after signing');
    $h->rejected_ok(post('/novu', ['Novu-Signature'
                                   => "t=$t,v1=" . hex_for($t, '{ }')], '{}'),
                    'mismatch', 'novu',
                    'novu mismatch: the body is not re-serialised');
    my $secret_prefix = substr($S, 0, -1);
    $h->rejected_ok(post('/novu', [novu_headers($secret_prefix, $t, $BODY)]),
                    'mismatch', 'novu',
                    'novu mismatch: a secret missing its last byte');
}

$h->finish;
done_testing;
