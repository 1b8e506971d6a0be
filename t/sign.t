#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
#
# tools/webhook-sign (./build.sh sign): for every preset the headers it
# prints are what the sender sends, recomputed here independently
# (Digest::SHA, openssl, the senders' published vectors); and the Novu and
# NotifyKit headers, pasted into curl, get 200 from the module with the
# exact bytes reaching the upstream, while a tampered body, secret or
# timestamp gets 401 (the presets do not run through nginx here).

use strict;
use warnings;
use Test::More;
use FindBin;
use Harness;
use Harness::Cmd;
use Digest::SHA qw(hmac_sha1 hmac_sha256 hmac_sha512);
use MIME::Base64 qw(encode_base64 decode_base64);
use Time::Local qw(timegm);

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

# ------------------------------------------------------------ the presets
#
# Each preset's headers, recomputed here from the sender's documented
# scheme (Digest::SHA, openssl), not from the tool's table.

my $PS = 'preset-secret-9x';
$h->write_file('preset.key', "$PS\n", 0600);
my $T = 1700000000;

sub mac {
    my ($alg, $enc, $key, $msg) = @_;
    my $raw = { sha1 => \&hmac_sha1, sha256 => \&hmac_sha256,
                sha512 => \&hmac_sha512 }->{$alg}->($msg, $key);
    return $enc eq 'hex' ? unpack('H*', $raw) : encode_base64($raw, '');
}
sub hex256 { mac('sha256', 'hex', $PS, $_[0]) }
sub b64256 { mac('sha256', 'base64', $PS, $_[0]) }
sub opts { join(' ', map { "-H '$_'" } @_) . "\n" }

sub sign_preset {
    my ($scheme, @extra) = @_;
    return sign('--scheme', $scheme, '--secret-file', "$P/preset.key",
                '--body-file', "$P/body.json", @extra);
}

my $WH_KEY = 'MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
$h->write_file('whsec.key', "whsec_$WH_KEY\n", 0600);
$h->write_file('bare.key', "$WH_KEY\n", 0600);
my $URL = 'https://api.example.com/hooks/in?tenant=a&x=%2F%3A';

for my $case (
    ['stripe', ['--timestamp', $T],
     ["Stripe-Signature: t=$T,v1=" . hex256("$T.$BODY")]],
    ['calendly', ['--timestamp', $T],
     ["Calendly-Webhook-Signature: t=$T,v1=" . hex256("$T.$BODY")]],
    ['paddle', ['--timestamp', $T],
     ["Paddle-Signature: ts=$T;h1=" . hex256("$T:$BODY")]],
    ['slack', ['--timestamp', $T],
     ["X-Slack-Request-Timestamp: $T",
      'X-Slack-Signature: v0=' . hex256("v0:$T:$BODY")]],
    ['zoom', ['--timestamp', $T],
     ["x-zm-request-timestamp: $T",
      'x-zm-signature: v0=' . hex256("v0:$T:$BODY")]],
    ['twitch', ['--timestamp', $T, '--id', 'befa7b53-d79d-478f-86b9-120f112b044e'],
     ['Twitch-Eventsub-Message-Id: befa7b53-d79d-478f-86b9-120f112b044e',
      'Twitch-Eventsub-Message-Timestamp: 2023-11-14T22:13:20Z',
      'Twitch-Eventsub-Message-Signature: sha256='
      . hex256("befa7b53-d79d-478f-86b9-120f112b044e2023-11-14T22:13:20Z$BODY")]],
    ['twitch', ['--timestamp', '2023-11-14T22:13:20.123456789Z', '--id', 'm1'],
     ['Twitch-Eventsub-Message-Id: m1',
      'Twitch-Eventsub-Message-Timestamp: 2023-11-14T22:13:20.123456789Z',
      'Twitch-Eventsub-Message-Signature: sha256='
      . hex256("m12023-11-14T22:13:20.123456789Z$BODY")]],
    ['github', [], ['X-Hub-Signature-256: sha256=' . hex256($BODY)]],
    ['bitbucket', [], ['X-Hub-Signature: sha256=' . hex256($BODY)]],
    ['jira', [], ['X-Hub-Signature: sha256=' . hex256($BODY)]],
    ['pagerduty', [], ['X-PagerDuty-Signature: v1=' . hex256($BODY)]],
    ['sentry', [], ['Sentry-Hook-Signature: ' . hex256($BODY)]],
    ['linear', [], ['Linear-Signature: ' . hex256($BODY)]],
    ['shopify', [], ['X-Shopify-Hmac-Sha256: ' . b64256($BODY)]],
    ['typeform', [], ['Typeform-Signature: sha256=' . b64256($BODY)]],
    ['woocommerce', [], ['X-WC-Webhook-Signature: ' . b64256($BODY)]],
    ['intercom', [],
     ['X-Hub-Signature: sha1=' . mac('sha1', 'hex', $PS, $BODY)]],
    ['vercel', [], ['x-vercel-signature: ' . mac('sha1', 'hex', $PS, $BODY)]],
    ['gitlab', [], ["X-Gitlab-Token: $PS"]],
    ['hmac', ['--hmac', 'header=X-Signature prefix=sha256= algorithm=sha256 encoding=hex'],
     ['X-Signature: sha256=' . hex256($BODY)]],
    ['hmac', ['--hmac', 'header=X-Sig'], ['X-Sig: ' . hex256($BODY)]],
    ['hmac', ['--hmac', 'header=X-Sig algorithm=sha512 encoding=base64'],
     ['X-Sig: ' . mac('sha512', 'base64', $PS, $BODY)]],
    ['hmac', ['--hmac', 'header=X-Sig prefix=v1= algorithm=sha1'],
     ['X-Sig: v1=' . mac('sha1', 'hex', $PS, $BODY)]],
) {
    my ($scheme, $extra, $want) = @$case;
    my $name = join ' ', $scheme, @$extra;
    my ($rc, $out, $err) = sign_preset($scheme, @$extra);
    is($rc, 0, "$name: exits 0") or diag $err;
    is($out, opts(@$want), "$name: the sender's headers, recomputed independently");
    unlike($out, qr/\Q$PS\E/, "$name: the secret is not printed")
        unless $scheme eq 'gitlab';
}

# Keys decoded as the senders decode them.
{
    my $key = decode_base64($WH_KEY);
    for my $s (['whsec.key', 'whsec_ prefix'], ['bare.key', 'no prefix']) {
        for my $scheme ('standard_webhooks', 'svix') {
            my $hp = $scheme eq 'svix' ? 'svix' : 'webhook';
            my (undef, $out) = sign('--scheme', $scheme,
                '--secret-file', "$P/$s->[0]", '--body-file', "$P/body.json",
                '--timestamp', $T, '--id', 'msg_fixed');
            is($out, opts("$hp-id: msg_fixed", "$hp-timestamp: $T",
                          "$hp-signature: v1,"
                          . mac('sha256', 'base64', $key, "msg_fixed.$T.$BODY")),
               "$scheme ($s->[1]): the key is the base64-decoded secret");
        }
    }

    $h->write_file('wc.key', qq(a&amp;b&#039;c&#X27;d&#00034;e&amp;lt;f\n), 0600);
    my (undef, $out) = sign('--scheme', 'woocommerce', '--secret-file',
                            "$P/wc.key", '--body-file', "$P/body.json");
    is($out, opts('X-WC-Webhook-Signature: '
                  . mac('sha256', 'base64', q(a&b'c'd"e&lt;f), $BODY)),
       'woocommerce: the key as wp_specialchars_decode(ENT_QUOTES) leaves it'
       . ' (one pass: &amp;lt; becomes &lt;)');
}

# Official vectors.
{
    $h->write_file('sw.body', '{"test": 2432232314}');
    my (undef, $out) = sign('--scheme', 'standard_webhooks',
        '--secret-file', "$P/whsec.key", '--body-file', "$P/sw.body",
        '--timestamp', '1614265330', '--id', 'msg_p5jXN8AQM9LWM0D4loKWxJek');
    like($out, qr{'webhook-signature: v1,g0hM9SsE\+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE='},
         'standard_webhooks: the specification\'s test vector');

    $h->write_file('gh.key', "It's a Secret to Everybody\n");
    $h->write_file('gh.body', 'Hello, World!');
    (undef, $out) = sign('--scheme', 'github', '--secret-file', "$P/gh.key",
                         '--body-file', "$P/gh.body");
    is($out, opts('X-Hub-Signature-256: sha256=757107ea0eb2509fc211221cce984b8a'
                  . '37570b6d7586c22c46f4379c8b043e17'),
       'github: the example in GitHub\'s documentation');
}

# Generated delivery ids and current timestamps.
{
    my $before = now_s();
    my (undef, $out) = sign('--scheme', 'standard_webhooks', '--secret-file',
                            "$P/whsec.key", '--body-file', "$P/body.json");
    my ($id) = $out =~ /'webhook-id: (msg_[0-9A-Za-z]{27})'/;
    ok($id, 'standard_webhooks: a generated webhook-id msg_<27 base62>');
    my ($t) = $out =~ /'webhook-timestamp: (\d+)'/;
    ok($t >= $before && $t <= now_s(), 'standard_webhooks: now, in seconds');
    my ($sig) = $out =~ /'webhook-signature: v1,([^']+)'/;
    is($sig, mac('sha256', 'base64', decode_base64($WH_KEY), "$id.$t.$BODY"),
       'standard_webhooks: the signature covers the generated id and timestamp');
    (undef, $out) = sign('--scheme', 'svix', '--secret-file', "$P/whsec.key",
                         '--body-file', "$P/body.json");
    ($id) = $out =~ /'svix-id: (msg_[0-9A-Za-z]{27})'/;
    ok($id, 'svix: a generated svix-id');
    my (undef, $again) = sign('--scheme', 'svix', '--secret-file', "$P/whsec.key",
                              '--body-file', "$P/body.json");
    isnt(($again =~ /'svix-id: ([^']+)'/)[0], $id, 'svix: a new id each run');

    (undef, $out) = sign_preset('twitch');
    my $UUID = qr/[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}/;
    my ($tid, $ts) = $out =~ /Id:\s($UUID)'.*Timestamp:
                              \s(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z)'/x;
    ok($tid && $ts, 'twitch: a random UUID and an RFC 3339 time with nanoseconds');
    like($out, qr/sha256=\Q@{[ hex256("$tid$ts$BODY") ]}\E'/,
         'twitch: signed over <id><timestamp><body>');
    my @tm = $ts =~ /^(\d+)-(\d+)-(\d+)T(\d+):(\d+):(\d+)/;
    my $epoch = timegm($tm[5], $tm[4], $tm[3], $tm[2], $tm[1] - 1, $tm[0]);
    ok(abs($epoch - now_s()) <= 1, 'twitch: the time is now (UTC)');

    $before = now_ms();
    (undef, $out) = sign_preset('hubspot', '--url', $URL);
    ($t) = $out =~ /Timestamp: (\d+)'/;
    ok($t >= $before && $t <= now_ms(), 'hubspot: now, in milliseconds');
}

# URL-bound presets.
{
    my (undef, $out) = sign_preset('square', '--url', $URL);
    is($out, 'curl -i -H \'x-square-hmacsha256-signature: '
             . b64256("$URL$BODY") . "' -H 'Content-Type: application/json'"
             . " --data-binary \@'$P/body.json' '$URL'\n",
       'square: <url><body>, and a curl command for that URL');

    (undef, $out) = sign_preset('hubspot', '--url', $URL, '--timestamp', '1700000000123');
    my $decoded = 'https://api.example.com/hooks/in?tenant=a&x=/:';
    my $want = b64256("POST$decoded${BODY}1700000000123");
    like($out, qr{^\Qcurl -i -H 'X-HubSpot-Request-Timestamp: 1700000000123'\E
                  \Q -H 'X-HubSpot-Signature-v3: $want' \E}x,
         'hubspot: <METHOD><url><body><ms>, with %2F %3A decoded as HubSpot does');

    (undef, $out) = sign('--scheme', 'hubspot', '--secret-file', "$P/preset.key",
                         '--body-file', "$P/empty.body", '--url', $URL,
                         '--timestamp', '1700000000123');
    like($out, qr{v3: \Q@{[ b64256("GET${decoded}1700000000123") ]}\E' '\Q$URL\E'\n\z},
         'hubspot: an empty body is a GET (what curl sends without data)');
    (undef, $out) = sign('--scheme', 'hubspot', '--secret-file', "$P/preset.key",
                         '--body-file', "$P/empty.body", '--url', $URL,
                         '--timestamp', '1700000000123', '--method', 'DELETE');
    like($out, qr{^curl -i -X DELETE .*v3: \Q@{[ b64256("DELETE${decoded}1700000000123") ]}\E'},
         'hubspot: --method is signed and sent');

    # twilio-node's spec/validation.spec.js vectors (auth token 12345).
    $h->write_file('twilio.key', "12345\n", 0600);
    my $TW = 'https://mycompany.com/myapp.php?foo=1&bar=2';
    for my $v (
        ['To=%2B18005551212&CallSid=CA1234567890ABCDE&Caller=%2B14158675309'
         . '&Digits=1234&From=%2B14158675309',
         'RSOYDt4T1cUTdK1PDd93/VVr8B8=', 'sorted form parameters'],
        ['MessagingBinding.Address=%2B1415xxxxxxx&MessagingBinding.Address=%2B1325xxxxxxx',
         '83O6e2vORAoJHUNzJjDWN1jz+BA=', 'a repeated name, its values sorted'],
        ['Sid=CA123&Digits=5678&SidAccount=AC123&Digits=1234&Digits=1234',
         'IK+Dwps556ElfBT0I3Rgjkr1wJU=', 'a repeated value counted once'],
    ) {
        my ($form, $want, $what) = @$v;
        $h->write_file('tw.body', $form);
        (undef, $out) = sign('--scheme', 'twilio', '--secret-file', "$P/twilio.key",
                             '--body-file', "$P/tw.body", '--url', $TW);
        is($out, "curl -i -H 'X-Twilio-Signature: $want'"
               . " -H 'Content-Type: application/x-www-form-urlencoded'"
               . " --data-binary \@'$P/tw.body' '$TW'\n",
           "twilio: $what (twilio-node's vector)");
    }
    $h->write_file('tw.body', 'Body=caf%C3%A9+%C3%A0+la&B=x+y&a=1');
    (undef, $out) = sign('--scheme', 'twilio', '--secret-file', "$P/twilio.key",
                         '--body-file', "$P/tw.body", '--url', $TW);
    $want = mac('sha1', 'base64', '12345',
                   "${TW}Bx yBodycaf\xc3\xa9 \xc3\xa0 laa1");
    like($out, qr{Signature: \Q$want\E'},
         'twilio: names and values percent- and +-decoded, UTF-8, code-unit order');

    $h->write_file('tw.json', '{"property": "value", "boolean": true}');
    (undef, $out) = sign('--scheme', 'twilio', '--secret-file', "$P/twilio.key",
                         '--body-file', "$P/tw.json", '--url', $TW, '--twilio-json');
    is($out, "curl -i -H 'X-Twilio-Signature: a9nBmqA0ju/hNViExpshrM61xv4='"
           . " -H 'Content-Type: application/json' --data-binary \@'$P/tw.json'"
           . " '$TW&bodySHA256=0a1ff7634d9ab3b95db5c9a2dfe9416e"
           . "41502b283a80c7cf19632632f96e6620'\n",
       'twilio --twilio-json: bodySHA256 added to the URL, the URL alone signed'
       . ' (twilio-node\'s vector)');
    (undef, $out) = sign('--scheme', 'twilio', '--secret-file', "$P/twilio.key",
                         '--body-file', "$P/tw.json", '--url',
                         'https://mycompany.com/myapp.php', '--twilio-json');
    my $final = 'https://mycompany.com/myapp.php?bodySHA256='
              . sha256_hex('{"property": "value", "boolean": true}');
    $want = mac('sha1', 'base64', '12345', $final);
    like($out, qr{Signature: \Q$want\E'.* '\Q$final\E'\n\z},
         'twilio --twilio-json: a URL without a query gets ?bodySHA256=');
}

# Public-key presets: a test key pair, the public key printed for nginx, and
# signatures that openssl verifies with that public key.
{
    run_cmd('openssl', 'genpkey', '-algorithm', 'ed25519', '-out', "$P/ed.pem");
    run_cmd('openssl', 'genpkey', '-algorithm', 'EC', '-pkeyopt',
            'ec_paramgen_curve:P-256', '-out', "$P/ec.pem");
    my (undef, $der) = run_cmd('openssl', 'pkey', '-in', "$P/ed.pem", '-pubout',
                               '-outform', 'DER');
    my (undef, $pub) = sign('--scheme', 'discord', '--key-file', "$P/ed.pem",
                            '--public-key');
    is($pub, unpack('H*', substr($der, -32)) . "\n",
       'discord --public-key: the raw Ed25519 public key, 64 hex digits');
    (undef, $der) = run_cmd('openssl', 'pkey', '-in', "$P/ec.pem", '-pubout',
                            '-outform', 'DER');
    my (undef, $pub_ec) = sign('--scheme', 'sendgrid', '--key-file', "$P/ec.pem",
                               '--public-key');
    is($pub_ec, encode_base64($der, '') . "\n",
       'sendgrid --public-key: base64 DER SubjectPublicKeyInfo');

    # PEM from what an operator would paste into webhook_signature_secret.
    chomp $pub;
    chomp $pub_ec;
    my $pem = sub {
        "-----BEGIN PUBLIC KEY-----\n" . encode_base64($_[0])
        . "-----END PUBLIC KEY-----\n" };
    $h->write_file('ed.pub', $pem->(pack('H*', '302a300506032b6570032100' . $pub)));
    $h->write_file('ec.pub', $pem->(decode_base64($pub_ec)));

    my %verify = (
        discord => sub {
            $h->write_file('sig.bin', pack 'H*', $_[1]);
            $h->write_file('msg.bin', $_[0]);
            (run_cmd('openssl', 'pkeyutl', '-verify', '-rawin', '-pubin',
                     '-inkey', "$P/ed.pub", '-in', "$P/msg.bin",
                     '-sigfile', "$P/sig.bin"))[0] == 0 },
        sendgrid => sub {
            $h->write_file('sig.bin', decode_base64($_[1]));
            $h->write_file('msg.bin', $_[0]);
            (run_cmd('openssl', 'dgst', '-sha256', '-verify', "$P/ec.pub",
                     '-signature', "$P/sig.bin", "$P/msg.bin"))[0] == 0 },
    );
    for my $c (['discord', 'ed.pem', 'X-Signature-Timestamp', 'X-Signature-Ed25519',
                qr/[0-9a-f]{128}/],
               ['sendgrid', 'ec.pem', 'X-Twilio-Email-Event-Webhook-Timestamp',
                'X-Twilio-Email-Event-Webhook-Signature', qr{[A-Za-z0-9+/]+=*}]) {
        my ($scheme, $key, $th, $sh, $sigre) = @$c;
        my ($rc, $out, $err) = sign('--scheme', $scheme, '--key-file', "$P/$key",
                                    '--body-file', "$P/body.json", '--timestamp', $T);
        is($rc, 0, "$scheme: exits 0") or diag $err;
        my ($sig) = $out =~ /\A-H '\Q$th\E: $T' -H '\Q$sh\E: ($sigre)'\n\z/;
        ok($sig, "$scheme: the timestamp and signature headers");
        ok($verify{$scheme}->("$T$BODY", $sig // ''),
           "$scheme: openssl verifies <ts><body> with the printed public key");
        ok(!$verify{$scheme}->("$T${BODY}x", $sig // ''),
           "$scheme: and not a tampered body");
        unlike($out, qr/PRIVATE/, "$scheme: no key material printed");
    }
}

# ------------------------------------------------------------ usage errors

for my $case (
    [['--scheme', 'mailgun', '--secret-file', "$P/novu.key",
      '--body-file', "$P/body.json"],
     qr/unknown scheme 'mailgun': use one of .*github/, 'an unknown scheme'],
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
    [['--scheme', 'standard_webhooks', '--secret-file', "$P/preset.key",
      '--body-file', "$P/body.json"],
     qr/not base64/, 'a standard_webhooks secret that is not base64'],
    [['--scheme', 'square', '--secret-file', "$P/preset.key",
      '--body-file', "$P/body.json"],
     qr/--url is required for square/, 'square without --url'],
    [['--scheme', 'twilio', '--secret-file', "$P/preset.key",
      '--body-file', "$P/body.json", '--url', 'https://a.example/#rc=5'],
     qr/fragment/, 'a signed URL with a #fragment'],
    [['--scheme', 'discord', '--secret-file', "$P/preset.key",
      '--body-file', "$P/body.json"],
     qr/--secret-file is for every scheme but discord/, 'discord with --secret-file'],
    [['--scheme', 'discord', '--body-file', "$P/body.json"],
     qr/--key-file is required for discord/, 'discord without --key-file'],
    [['--scheme', 'sendgrid', '--key-file', "$P/ed.pem",
      '--body-file', "$P/body.json"],
     qr/is not an EC P-256 key/, 'sendgrid with an Ed25519 key'],
    [['--scheme', 'discord', '--key-file', "$P/ec.pem", '--public-key'],
     qr/is not an Ed25519 key/, 'discord --public-key with an EC key'],
    [['--scheme', 'discord', '--key-file', "$P/preset.key", '--public-key'],
     qr/cannot read the private key/, 'a key file that is no PEM key'],
    [['--scheme', 'github', '--key-file', "$P/ed.pem",
      '--body-file', "$P/body.json"],
     qr/--key-file is for discord and sendgrid/, 'github with --key-file'],
    [['--scheme', 'stripe', '--secret-file', "$P/preset.key",
      '--body-file', "$P/body.json", '--ms'],
     qr/--ms is for novu and notifykit/, 'stripe --ms'],
    [['--scheme', 'github', '--secret-file', "$P/preset.key",
      '--body-file', "$P/body.json", '--id', 'x'],
     qr/--id is for standard_webhooks/, 'github --id'],
    [['--scheme', 'github', '--secret-file', "$P/preset.key",
      '--body-file', "$P/body.json", '--timestamp', '1'],
     qr/--timestamp is for schemes that sign a timestamp/, 'github --timestamp'],
    [['--scheme', 'twitch', '--secret-file', "$P/preset.key",
      '--body-file', "$P/body.json", '--timestamp', '2023-11-14 22:13:20'],
     qr/unix seconds or an RFC 3339 time/, 'twitch with a non-RFC 3339 time'],
    [['--scheme', 'stripe', '--secret-file', "$P/preset.key",
      '--body-file', "$P/body.json", '--twilio-json'],
     qr/--twilio-json is for twilio/, 'stripe --twilio-json'],
    [['--scheme', 'hmac', '--secret-file', "$P/preset.key",
      '--body-file', "$P/body.json"],
     qr/--scheme hmac needs --hmac/, 'hmac without --hmac'],
    [['--scheme', 'hmac', '--secret-file', "$P/preset.key",
      '--body-file', "$P/body.json", '--hmac', 'prefix=x'],
     qr/header=NAME is required/, 'an --hmac without header='],
    [['--scheme', 'hmac', '--secret-file', "$P/preset.key",
      '--body-file', "$P/body.json", '--hmac', 'header=X algorithm=md5'],
     qr/algorithm must be sha1, sha256 or sha512/, 'an --hmac with md5'],
    [['--scheme', 'hmac', '--secret-file', "$P/preset.key",
      '--body-file', "$P/body.json", '--hmac', 'header=X encoding=b64'],
     qr/encoding must be hex or base64/, 'an --hmac encoding'],
    [['--scheme', 'hmac', '--secret-file', "$P/preset.key",
      '--body-file', "$P/body.json", '--hmac', 'header=X salt=1'],
     qr/unknown parameter 'salt=1'/, 'an unknown --hmac parameter'],
    [['--scheme', 'github', '--secret-file', "$P/preset.key",
      '--body-file', "$P/body.json", '--hmac', 'header=X'],
     qr/--hmac is for hmac/, 'github --hmac'],
) {
    my ($args, $msg, $name) = @$case;
    my ($rc, $out, $err) = sign(@$args);
    is($rc, 2, "refuses $name (exit 2)");
    like($err, $msg, "refuses $name: says why");
    is($out, '', "refuses $name: prints no header");
}

{
    my ($rc, $out) = sign('--help');
    is($rc, 0, '--help: exits 0');
    my @missing = grep { $out !~ /^  \Q$_\E +\S/m }
        qw(novu notifykit stripe standard_webhooks svix github gitlab slack
           shopify paddle calendly zoom twitch pagerduty sentry bitbucket jira
           typeform intercom vercel woocommerce linear square hubspot twilio
           discord sendgrid hmac);
    is("@missing", '', '--help: lists every preset');
    like($out, qr/openssl genpkey -algorithm ed25519/,
         '--help: says how to make a test key pair');
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
