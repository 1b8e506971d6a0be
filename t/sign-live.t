#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
#
# tools/webhook-sign (./build.sh sign) through the real nginx, for every
# preset: the headers (and, for URL-bound presets, the URL) it prints for a
# body pass the module and the exact bytes reach the upstream; the same
# headers with one body byte changed (GitLab: another token) are rejected
# and reach nothing.  Every preset but gitlab records in a replay zone
# (ttl= for those without a timestamp): the same request again is a
# replay, refused, and reaches nothing.

use strict;
use warnings;
use Test::More;
use FindBin;
use Harness;
use Harness::Cmd;

my $ROOT = "$FindBin::Bin/..";
my $TOOL = "$ROOT/tools/webhook-sign";
my $PUBLIC = 'https://api.example.com';
my $HMAC = 'header=X-Body-Signature prefix=sha512= algorithm=sha512'
         . ' encoding=base64';

my $h = Harness->new;
my $P = $h->prefix;

$h->write_file('plain.key', "edge-test-secret-9Qz\n", 0600);
$h->write_file('other.key', "not-the-secret\n", 0600);
$h->write_file('whsec.key', "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n", 0600);
$h->write_file('wc.key', "wc-s3cret&amp;K9\n", 0600);

# Key pairs for the public-key presets, made per run.
my %PEM = (discord => 'ed25519', sendgrid => 'ec');
for my $preset (sort keys %PEM) {
    my @algo = $PEM{$preset} eq 'ec'
        ? ('-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256')
        : ('-algorithm', 'ed25519');
    my ($rc, $out) = run_cmd('openssl', 'genpkey', @algo,
                             '-out', "$P/$preset.pem");
    die "openssl genpkey: $out" if $rc;
    ($rc, $out) = run_cmd($TOOL, '--scheme', $preset,
                          '--key-file', "$P/$preset.pem", '--public-key');
    die "webhook-sign --public-key: $out" if $rc;
    chomp $out;
    $h->write_file("$preset.pub", "$out\n");
}

my @PRESETS = qw(stripe standard_webhooks svix github gitlab slack shopify
                 paddle calendly zoom twitch pagerduty sentry bitbucket jira
                 typeform intercom vercel woocommerce linear square hubspot
                 twilio discord sendgrid hmac);
my %URL_BOUND = map { $_ => 1 } qw(square hubspot twilio);

sub key_file {
    my ($preset) = @_;
    return "$P/$preset.pub" if $PEM{$preset};
    return "$P/whsec.key" if $preset =~ /^(?:standard_webhooks|svix)$/;
    return "$P/wc.key" if $preset eq 'woocommerce';
    return "$P/plain.key";
}

my $locations = '';
for my $preset (@PRESETS) {
    my $key = key_file($preset);
    $locations .= "        location /p/$preset {\n"
                . "            webhook_signature $preset;\n"
                . "            webhook_signature_secret file=$key;\n";
    $locations .= '            webhook_signature_url'
                . qq( "$PUBLIC\$request_uri";\n) if $URL_BOUND{$preset};
    $locations .= "            webhook_signature_hmac $HMAC;\n"
        if $preset eq 'hmac';
    $locations .= "            webhook_signature_replay every;\n"
        unless $preset eq 'gitlab';
    $locations .= "            proxy_pass http://%%UPSTREAM%%;\n"
                . "        }\n";
}

$h->run($h->expand(<<'EOF', vars => { LOCATIONS => $locations }));
    webhook_signature_replay_zone every:1m ttl=1h;

    server {
        listen 127.0.0.1:%%PORT%%;

%%LOCATIONS%%
    }
EOF

sub body_for {
    my ($preset) = @_;
    return 'Body=Hello+there%21&From=%2B15551234567&To=%2B15557654321'
        if $preset eq 'twilio';
    return sprintf('{"action":"create","webhookTimestamp":%d}',
                   Harness::now_ms()) if $preset eq 'linear';
    return qq({"event":"test","preset":"$preset",)
         . qq("text":"caf\xc3\xa9 \\"q\\"\\n"})
        . ($preset eq 'sendgrid' ? "\r\n" : '');
}

# webhook-sign's output: -H 'Name: value' options, and for a URL-bound
# preset the whole curl command ending in the URL.
sub parse_curl {
    my ($out) = @_;
    my @headers;
    while ($out =~ /-H '([^:']+): ([^']*)'/g) { push @headers, $1, $2 }
    my ($url) = $out =~ /'(https?:[^']*)'\s*$/;
    return (\@headers, $url);
}

for my $preset (@PRESETS) {
    my $body = body_for($preset);
    $h->write_file("$preset.body", $body);
    my $tid = $h->{tid} + 1;
    my $path = "/p/$preset?tid=$tid";

    my @args = ('--scheme', $preset, '--body-file', "$P/$preset.body");
    push @args, $PEM{$preset} ? ('--key-file', "$P/$preset.pem")
                              : ('--secret-file', key_file($preset));
    push @args, '--url', "$PUBLIC$path" if $URL_BOUND{$preset};
    push @args, '--content-type', 'application/x-www-form-urlencoded'
        if $preset eq 'twilio';
    push @args, '--hmac', $HMAC if $preset eq 'hmac';

    my ($rc, $out) = run_cmd($TOOL, @args);
    my ($headers, $url) = parse_curl($out);
    my $uri = $url ? substr($url, length $PUBLIC) : $path;
    unless (is($rc, 0, "$preset: webhook-sign signs") && @$headers) {
        diag $out;
        next;
    }
    push @$headers, 'Content-Type', 'application/json'
        unless grep { lc eq 'content-type' } @$headers;

    my $res = $h->request(uri => $uri, no_tid => 1, body => $body,
                          headers => $headers, host => 'api.example.com');
    $h->passed_ok($res, $body, "$preset: signed by webhook-sign: 200,"
                               . ' the exact body upstream');

    unless ($preset eq 'gitlab') {
        my $copy = $h->request(uri => $uri, no_tid => 1, body => $body,
                               headers => $headers, host => 'api.example.com');
        my $c = $h->checks;
        $c->is($copy->{status}, 401, 'status 401');
        $c->is(scalar $h->upstream_for($res), 1, 'only the first upstream');
        $c->is(scalar(() = $h->error_lines(
                   qr/check failed: replay \(scheme: \Q$preset\E\)/)), 1,
               'logged as a replay');
        $c->done("$preset: the same request again is a replay: 401,"
                 . ' never upstream', $copy->{raw} // '');
    }

    my @forged = @$headers;
    my $forged_body = $body;
    if ($preset eq 'gitlab') {
        @forged = map { $_ eq 'edge-test-secret-9Qz' ? 'not-the-secret' : $_ }
                  @forged;
    } else {
        $forged_body =~ s/test|Hello|create/TEST/ or die "no byte to change";
    }
    $tid = $h->{tid} + 1;
    (my $forged_uri = $uri) =~ s/tid=\d+/tid=$tid/;
    $res = $h->request(uri => $forged_uri, no_tid => 1, body => $forged_body,
                       headers => \@forged, host => 'api.example.com');
    my $c = $h->checks;
    $c->is($res->{status}, 401, 'status 401');
    $c->is(scalar $h->upstream_for($res), 0, 'nothing reached the upstream');
    $c->done("$preset: forged after signing: 401, never upstream",
             $res->{raw} // '');
}

$h->finish;
done_testing;
