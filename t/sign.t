#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
#
# tools/webhook-sign (./build.sh sign): the headers it prints are what Novu
# and NotifyKit send (checked against `openssl dgst`), and pasted into curl
# they get 200 from the module with the exact bytes reaching the upstream,
# while a tampered body, secret or timestamp gets 401.

use strict;
use warnings;
use Test::More;
use FindBin;
use Harness;
use Harness::Cmd;

my $ROOT = "$FindBin::Bin/..";
my $TOOL = "$ROOT/tools/webhook-sign";
my $NOVU_SECRET = 'novu-secret-7f3k';
my $NK_SECRET   = 'whsec_notifykit-Qm2';

my $h = Harness->new;
my $P = $h->prefix;
# A secret file as operators write them: with a trailing newline.
$h->write_file('novu.key', "$NOVU_SECRET\n", 0600);
$h->write_file('nk.key', "$NK_SECRET\r\n", 0600);
$h->write_file('empty.key', "\n");
# Newlines, quotes and a NUL: --data-binary must carry them all.
my $BODY = qq({"workflowId":"welcome",\n)
         . qq("payload":{"name":"O'Brien \\"Ada\\""}}\n\0end);
$h->write_file('body.json', $BODY);
$h->write_file('empty.body', '');

sub sign { run_cmd($TOOL, @_) }

sub openssl_hmac {
    my ($key, $data) = @_;
    $h->write_file('hmac.in', $data);
    my ($rc, $out) = run_cmd('openssl', 'dgst', '-sha256', '-hmac', $key,
                             '-r', "$P/hmac.in");
    die "openssl dgst failed" if $rc;
    return (split ' ', $out)[0];
}

# ------------------------------------------------------------ the headers

{
    my ($rc, $out) = sign('--scheme', 'novu', '--secret-file', "$P/novu.key",
                          '--body-file', "$P/body.json",
                          '--timestamp', '1700000000123');
    is($rc, 0, 'novu: exits 0');
    my $want = openssl_hmac($NOVU_SECRET, "1700000000123.$BODY");
    is($out, "-H 'Novu-Signature: t=1700000000123,v1=$want'\n",
       'novu: one Novu-Signature header over "<t>.<body>",'
       . ' matching openssl dgst');
    unlike($out, qr/\Q$NOVU_SECRET\E/, 'novu: the secret is not printed');
}

{
    my ($rc, $out) = sign('--scheme', 'novu', '--secret-file', "$P/novu.key",
                          '--body-file', "$P/empty.body",
                          '--timestamp', '1700000000');
    my $want = openssl_hmac($NOVU_SECRET, '1700000000.{}');
    is($out, "-H 'Novu-Signature: t=1700000000,v1=$want'\n",
       'novu: an empty body is signed as {} (as Novu signs its GET requests)');
}

{
    my ($rc, $out) = sign('--scheme', 'notifykit', '--secret-file', "$P/nk.key",
                          '--body-file', "$P/body.json",
                          '--timestamp', '1700000000');
    is($rc, 0, 'notifykit: exits 0');
    my $want = openssl_hmac($NK_SECRET, "1700000000.$BODY");
    is($out, "-H 'X-Webhook-Timestamp: 1700000000' "
           . "-H 'X-Webhook-Signature: t=1700000000,v1=$want'\n",
       'notifykit: the timestamp and signature headers,'
       . ' CRLF stripped from the secret file');

    ($rc, $out) = sign('--scheme', 'notifykit', '--secret-file', "$P/nk.key",
                       '--body-file', "$P/empty.body",
                       '--timestamp', '1700000000');
    $want = openssl_hmac($NK_SECRET, '1700000000.');
    like($out, qr/v1=$want'/, 'notifykit: an empty body is signed as empty');
}

{
    my $before = now_ms();
    my (undef, $out) = sign('--scheme', 'novu', '--secret-file', "$P/novu.key",
                            '--body-file', "$P/body.json", '--ms');
    my ($t) = $out =~ /t=(\d+),/;
    ok($t >= $before && $t <= now_ms(),
       '--ms: the current time in milliseconds');
    (undef, $out) = sign('--scheme', 'novu', '--secret-file', "$P/novu.key",
                         '--body-file', "$P/body.json");
    ($t) = $out =~ /t=(\d+),/;
    ok(abs($t - now_s()) <= 1, 'default: the current time in seconds');
}

{
    my ($rc, $out) = sign('--scheme', 'novu', '--secret-file', "$P/novu.key",
                          '--body-file', "$P/body.json",
                          '--timestamp', '1700000000',
                          '--url',
                          'https://bridge.example.com/api/novu?action=execute');
    my $want = qr{^curl -i -H 'Novu-Signature: t=1700000000,v1=[0-9a-f]{64}' }
             . qr{-H 'Content-Type: application/json' }
             . qr{--data-binary \@'\Q$P\E/body.json' }
             . qr{'https://bridge.example.com/api/novu\?action=execute'\n\z};
    like($out, qr/$want/,
         '--url: a whole curl command sending the body file byte for byte');
}

{
    my ($rc, $out) = run_cmd("$ROOT/build.sh", 'sign', '--scheme', 'novu',
                             '--secret-file', "$P/novu.key",
                             '--body-file', "$P/body.json",
                             '--timestamp', '1700000000123');
    my (undef, $direct) = sign('--scheme', 'novu',
                               '--secret-file', "$P/novu.key",
                               '--body-file', "$P/body.json",
                               '--timestamp', '1700000000123');
    is($out, $direct, './build.sh sign runs the same tool');
}

# ------------------------------------------------------------ usage errors

for my $case (
    [['--scheme', 'github', '--secret-file', "$P/novu.key",
      '--body-file', "$P/body.json"],
     qr/unknown scheme 'github'/, 'an unknown scheme'],
    [['--secret-file', "$P/novu.key", '--body-file', "$P/body.json"],
     qr/--scheme/, 'no --scheme'],
    [['--scheme', 'novu', '--body-file', "$P/body.json"],
     qr/--secret-file is required/, 'no --secret-file'],
    [['--scheme', 'novu', '--secret-file', "$P/missing.key",
      '--body-file', "$P/body.json"],
     qr/cannot read the secret file/, 'a missing secret file'],
    [['--scheme', 'novu', '--secret-file', "$P/empty.key",
      '--body-file', "$P/body.json"],
     qr/secret file .* is empty/, 'a secret file holding only a newline'],
    [['--scheme', 'novu', '--secret-file', "$P/novu.key",
      '--body-file', "$P/body.json", '--timestamp', '17e9'],
     qr/--timestamp must be a decimal integer/,
     'a timestamp that is not an integer'],
) {
    my ($args, $msg, $name) = @$case;
    my ($rc, $out, $err) = sign(@$args);
    is($rc, 2, "refuses $name (exit 2)");
    like($err, $msg, "refuses $name: says why");
    is($out, '', "refuses $name: prints no header");
}

# ------------------------------------------------------- against the module

$h->run(<<'EOF');
    server {
        listen 127.0.0.1:%%PORT%%;
        server_name localhost;

        location /api/novu {
            webhook_signature        novu;
            webhook_signature_secret file=%%PREFIX%%/novu.key;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /webhooks/notifykit {
            webhook_signature        notifykit;
            webhook_signature_secret file=%%PREFIX%%/nk.key;
            proxy_pass http://%%UPSTREAM%%;
        }
    }
EOF

my $BASE = 'http://127.0.0.1:' . $h->port;
my $n = 0;

# Pastes the tool's headers into curl the way its output says to (through a
# shell), sends body.json, returns (status, the upstream records of it).
sub curl_signed {
    my ($scheme, $key, $path, %o) = @_;
    my $uri = "$path?n=" . ++$n;
    my @sign = ('--scheme', $scheme, '--secret-file', "$P/$key",
                '--body-file', "$P/body.json", @{$o{sign} || []});
    my (undef, $headers) = sign(@sign);
    chomp $headers;
    $h->write_file('body.json', $o{send}) if defined $o{send};
    my ($rc, $status) = run_cmd('sh', '-c',
        "curl -sS -o /dev/null -w '%{http_code}' $headers "
        . "-H 'Content-Type: application/json' "
        . "--data-binary \@'$P/body.json' '$BASE$uri'");
    $h->write_file('body.json', $BODY);
    my @up = grep { $_->{uri} eq $uri } $h->upstream_requests;
    return ($status, @up);
}

for my $case (['novu', 'novu.key', '/api/novu', []],
              ['novu', 'novu.key', '/api/novu', ['--ms']],
              ['notifykit', 'nk.key', '/webhooks/notifykit', []]) {
    my ($scheme, $key, $path, $extra) = @$case;
    my $name = join ' ', $scheme, @$extra;
    my ($status, @up) = curl_signed($scheme, $key, $path, sign => $extra);
    is($status, 200, "$name: the pasted headers get 200");
    is(scalar @up, 1, "$name: the request reached the upstream");
    is($up[0]{sha256}, sha256_hex($BODY), "$name: with the exact body bytes");

    ($status, @up) = curl_signed($scheme, $key, $path, sign => $extra,
                                 send => $BODY =~ s/Ada/Eve/r);
    is($status, 401, "$name: a tampered body gets 401");
    is(scalar @up, 0, "$name: and never reaches the upstream");

    my $other = $key eq 'novu.key' ? 'nk.key' : 'novu.key';
    ($status) = curl_signed($scheme, $other, $path, sign => $extra);
    is($status, 401, "$name: another secret gets 401");

    ($status) = curl_signed($scheme, $key, $path,
                            sign => ['--timestamp', now_s() - 3600]);
    is($status, 401, "$name: an hour-old timestamp gets 401");
}

{
    # --url prints a command to run as it is.
    my (undef, $cmd) = sign('--scheme', 'novu', '--secret-file', "$P/novu.key",
                            '--body-file', "$P/body.json",
                            '--url', "$BASE/api/novu?n=url");
    my ($rc, $out) = run_cmd('sh', '-c', $cmd);
    like($out, qr{^HTTP/1\.1 200 }, '--url: the printed curl command gets 200');
    my @up = grep { $_->{uri} eq '/api/novu?n=url' } $h->upstream_requests;
    is($up[0]{sha256}, sha256_hex($BODY),
       '--url: the upstream got the exact body');
}

$h->finish;
done_testing;
