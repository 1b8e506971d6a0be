#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
#
# SPEC "Logging and variables": $webhook_signature_result,
# $webhook_signature_timestamp and $webhook_signature_key in the access log
# and in later phases (proxy_set_header), for ok, every failure, report
# mode and locations the module did not check ("-").

use strict;
use warnings;
use Test::More;
use Harness;

my ($A, $B) = ('vars-secret-one-Nn4f', 'vars-secret-two-Oo5g');
my $h = Harness->new;
$h->run(<<'EOF', vars => { A => $A, B => $B });
    map $http_x_tenant $tenant_secret {
        default "";
    }

    server {
        listen 127.0.0.1:%%PORT%%;
        server_name localhost;

        location /v {
            webhook_signature novu;
            webhook_signature_secret "%%A%%";
            webhook_signature_secret "%%B%%";
            proxy_set_header X-Sig-Result $webhook_signature_result;
            proxy_set_header X-Sig-Ts $webhook_signature_timestamp;
            proxy_set_header X-Sig-Key $webhook_signature_key;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /v-nk {
            webhook_signature notifykit;
            webhook_signature_secret "%%A%%";
            proxy_set_header X-Sig-Result $webhook_signature_result;
            proxy_set_header X-Sig-Ts $webhook_signature_timestamp;
            proxy_set_header X-Sig-Key $webhook_signature_key;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /v-ns {
            webhook_signature novu;
            webhook_signature_secret $tenant_secret;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /v-report {
            webhook_signature novu;
            webhook_signature_secret "%%A%%";
            webhook_signature_mode report;
            proxy_set_header X-Sig-Result $webhook_signature_result;
            proxy_set_header X-Sig-Ts $webhook_signature_timestamp;
            proxy_set_header X-Sig-Key $webhook_signature_key;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /unchecked {
            proxy_set_header X-Sig-Result $webhook_signature_result;
            proxy_set_header X-Sig-Ts $webhook_signature_timestamp;
            proxy_set_header X-Sig-Key $webhook_signature_key;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /off {
            webhook_signature off;
            webhook_signature_secret "%%A%%";
            proxy_set_header X-Sig-Result $webhook_signature_result;
            proxy_set_header X-Sig-Ts $webhook_signature_timestamp;
            proxy_set_header X-Sig-Key $webhook_signature_key;
            proxy_pass http://%%UPSTREAM%%;
        }
    }
EOF

my $BODY = '{"event":"vars"}';

sub hook {
    my ($uri, $headers) = @_;
    my $r = $h->request(uri => $uri, headers => $headers, body => $BODY);
    return ($r, $h->access_for($r), ($h->upstream_for($r))[0]);
}

# The access log line has the three variables: a value, or a regex.
sub vars_are {
    my ($name, $log, %want) = @_;
    my $c = checks();
    if ($c->ok($log, 'access log line found')) {
        for my $k (qw(result timestamp key)) {
            my $w = $want{$k};
            ref $w ? $c->like($log->{$k}, $w, "\$webhook_signature_$k")
                   : $c->is($log->{$k}, $w, "\$webhook_signature_$k");
        }
    }
    $c->done($name, $log ? $log->{line} : ());
}

my $UNSET = qr/^-?$/;    # not found ("-") or empty: no value

{
    my $t = now_ms();
    my ($r, $log, $up) = hook('/v', [novu_headers($A, $t, $BODY)]);
    vars_are('ok, first secret', $log,
             result => 'ok', timestamp => $t, key => 1);
    is($up->{headers}{'x-sig-result'}, 'ok',
       'ok: $webhook_signature_result reaches later phases');
    is($up->{headers}{'x-sig-ts'}, $t,
       'ok: $webhook_signature_timestamp reaches later phases');
    is($up->{headers}{'x-sig-key'}, 1,
       'ok: $webhook_signature_key reaches later phases');

    my $ts = '0' . now_s();
    ($r, $log, $up) = hook('/v', [novu_headers($B, $ts, $BODY)]);
    vars_are('ok, second secret, t with a leading zero as sent', $log,
             result => 'ok', timestamp => $ts, key => 2);
    is($up->{headers}{'x-sig-key'}, 2, 'ok: key 2 reaches later phases');

    ($r, $log) = hook('/v-nk', [nk_headers($A, $ts, $BODY)]);
    vars_are('notifykit ok', $log,
             result => 'ok', timestamp => $ts, key => 1);
}

{
    my ($r, $log) = hook('/v', []);
    vars_are('missing', $log,
             result => 'missing', timestamp => $UNSET, key => $UNSET);
    ($r, $log) = hook('/v', ['Novu-Signature' => 'v1=abc']);
    vars_are('malformed (no t)', $log,
             result => 'malformed', timestamp => $UNSET, key => $UNSET);
    ($r, $log) = hook('/v', [novu_headers($A, 1000, $BODY)]);
    vars_are('stale', $log,
             result => 'stale', timestamp => 1000, key => $UNSET);
    my $t = now_ms();
    ($r, $log) = hook('/v', [novu_headers('nope', $t, $BODY)]);
    vars_are('mismatch', $log,
             result => 'mismatch', timestamp => $t, key => $UNSET);
    ($r, $log) = hook('/v-ns', [novu_headers($A, $t, $BODY)]);
    vars_are('no_secret', $log,
             result => 'no_secret', timestamp => $t, key => $UNSET);
    is($log->{status}, 500, 'no_secret: logged with status 500');
}

{
    my $t = now_ms();
    my ($r, $log, $up) = hook('/v-report', [novu_headers('nope', $t, $BODY)]);
    vars_are('report mode mismatch', $log,
             result => 'mismatch', timestamp => $t, key => $UNSET);
    is($up->{headers}{'x-sig-result'}, 'mismatch',
       'report mode: the upstream can see the result');
    ok(!defined $up->{headers}{'x-sig-key'},
       'report mode: no key for a failed request');
}

{
    my ($r, $log, $up) = hook('/unchecked',
                              [novu_headers($A, now_ms(), $BODY)]);
    vars_are('unchecked location (not found)', $log,
             result => '-', timestamp => '-', key => '-');
    ok(!defined $up->{headers}{'x-sig-result'},
       'unchecked location: the result is empty upstream');
    ($r, $log) = hook('/off', [novu_headers($A, now_ms(), $BODY)]);
    vars_are('webhook_signature off (not found)', $log,
             result => '-', timestamp => '-', key => '-');
    is($log->{status}, 200, 'webhook_signature off: passes without a check');
}

$h->finish;
done_testing;
