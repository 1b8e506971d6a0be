#!/usr/bin/perl
# SPEC "Logging and variables": $webhook_signature_result,
# $webhook_signature_timestamp and $webhook_signature_key in the access log
# and in later phases (proxy_set_header), for ok, every failure, report
# mode and locations the module did not check ("-").

use strict;
use warnings;
use Test::More;
use Harness;

my ($A, $B) = ('vars-secret-one-Nn4f', 'vars-secret-two-Oo5g');
my $SET = join ' ', map { "proxy_set_header X-Sig-$_->[0] \$webhook_signature_$_->[1];" }
          ['Result', 'result'], ['Ts', 'timestamp'], ['Key', 'key'];
my $P = 'proxy_pass http://%%UPSTREAM%%;';
my $h = Harness->new;
$h->run(<<"EOF");
    map \$http_x_tenant \$tenant_secret { default ""; }
    server {
        listen 127.0.0.1:%%PORT%%;
        server_name localhost;

        location /v         { webhook_signature novu; webhook_signature_secret "$A";
                              webhook_signature_secret "$B"; $SET $P }
        location /v-nk      { webhook_signature notifykit; webhook_signature_secret "$A"; $SET $P }
        location /v-ns      { webhook_signature novu; webhook_signature_secret \$tenant_secret; $P }
        location /v-report  { webhook_signature novu; webhook_signature_secret "$A";
                              webhook_signature_mode report; $SET $P }
        location /unchecked { $SET $P }
        location /off       { webhook_signature off; webhook_signature_secret "$A"; $SET $P }
    }
EOF

my $BODY = '{"event":"vars"}';

sub hook {
    my ($uri, $headers) = @_;
    my $r = $h->request(uri => $uri, headers => $headers, body => $BODY);
    return ($r, $h->access_for($r), ($h->upstream_for($r))[0]);
}

sub vars_are {
    my ($log, $want, $name) = @_;
    ok($log, "$name: access log line found") or return;
    for my $k (qw(result timestamp key)) {
        my $w = $want->{$k};
        ref $w ? like($log->{$k}, $w, "$name: \$webhook_signature_$k")
               : is($log->{$k}, $w, "$name: \$webhook_signature_$k");
    }
}

my $UNSET = qr/^-?$/;    # not found ("-") or empty: no value

{
    my $t = now_ms();
    my ($r, $log, $up) = hook('/v', [novu_headers($A, $t, $BODY)]);
    vars_are($log, { result => 'ok', timestamp => $t, key => 1 }, 'ok, first secret');
    is($up->{headers}{'x-sig-result'}, 'ok', 'ok: $webhook_signature_result reaches later phases');
    is($up->{headers}{'x-sig-ts'}, $t, 'ok: $webhook_signature_timestamp reaches later phases');
    is($up->{headers}{'x-sig-key'}, 1, 'ok: $webhook_signature_key reaches later phases');

    my $ts = '0' . now_s();
    ($r, $log, $up) = hook('/v', [novu_headers($B, $ts, $BODY)]);
    vars_are($log, { result => 'ok', timestamp => $ts, key => 2 }, 'ok, second secret, t with a leading zero as sent');
    is($up->{headers}{'x-sig-key'}, 2, 'ok: key 2 reaches later phases');

    ($r, $log) = hook('/v-nk', [nk_headers($A, $ts, $BODY)]);
    vars_are($log, { result => 'ok', timestamp => $ts, key => 1 }, 'notifykit ok');
}

{
    my ($r, $log) = hook('/v', []);
    vars_are($log, { result => 'missing', timestamp => $UNSET, key => $UNSET }, 'missing');
    ($r, $log) = hook('/v', ['Novu-Signature' => 'v1=abc']);
    vars_are($log, { result => 'malformed', timestamp => $UNSET, key => $UNSET }, 'malformed (no t)');
    ($r, $log) = hook('/v', [novu_headers($A, 1000, $BODY)]);
    vars_are($log, { result => 'stale', timestamp => 1000, key => $UNSET }, 'stale');
    my $t = now_ms();
    ($r, $log) = hook('/v', [novu_headers('nope', $t, $BODY)]);
    vars_are($log, { result => 'mismatch', timestamp => $t, key => $UNSET }, 'mismatch');
    ($r, $log) = hook('/v-ns', [novu_headers($A, $t, $BODY)]);
    vars_are($log, { result => 'no_secret', timestamp => $t, key => $UNSET }, 'no_secret');
    is($log->{status}, 500, 'no_secret: logged with status 500');
}

{
    my $t = now_ms();
    my ($r, $log, $up) = hook('/v-report', [novu_headers('nope', $t, $BODY)]);
    vars_are($log, { result => 'mismatch', timestamp => $t, key => $UNSET }, 'report mode mismatch');
    is($up->{headers}{'x-sig-result'}, 'mismatch', 'report mode: the upstream can see the result');
    ok(!defined $up->{headers}{'x-sig-key'}, 'report mode: no key for a failed request');
}

{
    my ($r, $log, $up) = hook('/unchecked', [novu_headers($A, now_ms(), $BODY)]);
    vars_are($log, { result => '-', timestamp => '-', key => '-' }, 'unchecked location (not found)');
    ok(!defined $up->{headers}{'x-sig-result'}, 'unchecked location: the result is empty upstream');
    ($r, $log) = hook('/off', [novu_headers($A, now_ms(), $BODY)]);
    vars_are($log, { result => '-', timestamp => '-', key => '-' }, 'webhook_signature off (not found)');
    is($log->{status}, 200, 'webhook_signature off: passes without a check');
}

$h->finish;
done_testing;
