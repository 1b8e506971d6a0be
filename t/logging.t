#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
#
# SPEC "Logging": one error-log line per failure, in the exact form, with
# nginx's request context, at webhook_signature_log_level; the report-only
# form; nothing for a success; secrets, body bytes and the expected
# signature never in the log, even at debug level.

use strict;
use warnings;
use Test::More;
use Digest::SHA qw(hmac_sha256_hex);
use Harness;

my $S = 'logging-secret-Mm3d';
my $h = Harness->new;
$h->run(<<'EOF', vars => { SECRET => $S });
    map $http_x_tenant $tenant_secret {
        default "";
    }

    server {
        listen 127.0.0.1:%%PORT%%;
        server_name localhost;
        webhook_signature novu;
        webhook_signature_secret "%%SECRET%%";

        location /default {
            proxy_pass http://%%UPSTREAM%%;
        }

        location /info {
            webhook_signature_log_level info;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /notice {
            webhook_signature_log_level notice;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /warn {
            webhook_signature_log_level warn;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /error {
            webhook_signature_log_level error;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /nk-info {
            webhook_signature notifykit;
            webhook_signature_log_level info;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /report-warn {
            webhook_signature_mode report;
            webhook_signature_log_level warn;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /nosecret {
            webhook_signature_secret $tenant_secret;
            webhook_signature_log_level notice;
            proxy_pass http://%%UPSTREAM%%;
        }

        # A location error_log at notice: an info line is filtered out,
        # a warn line is kept.
        location /info-filtered {
            webhook_signature_log_level info;
            error_log %%PREFIX%%/filtered.log notice;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /warn-filtered {
            webhook_signature_log_level warn;
            error_log %%PREFIX%%/filtered.log notice;
            proxy_pass http://%%UPSTREAM%%;
        }
    }
EOF

my $BODY = '{"marker":"BODY-BYTES-Qz8Lk"}';

sub hook {
    my ($uri, $headers, %o) = @_;
    return $h->request(uri => $uri, headers => $headers,
                       body => $o{body} // $BODY, %o);
}
sub forged { [novu_headers('attacker-key', now_ms(), $BODY)] }

my @responses;

{
    my $r = hook('/default', forged());
    push @responses, $r;
    $h->rejected_ok($r, 'mismatch', 'novu', 'log: the default level is error');
    my ($line) = $h->failure_lines($r);
    my $exact = '^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[error\] \d+#\d+: \*\d+'
              . ' webhook signature check failed: mismatch \(scheme: novu\),'
              . ' client: 127\.0\.0\.1, server: localhost,'
              . ' request: "POST /default\?tid=' . $r->{tid} . ' HTTP/1\.1",'
              . ' host: "localhost"$';
    like($line // '', qr/$exact/,
         'log: the exact line: message, then client, server, request, host');
}

for my $level (qw(info notice warn error)) {
    my $r = hook("/$level", forged());
    push @responses, $r;
    $h->rejected_ok($r, 'mismatch', 'novu',
                    "log: webhook_signature_log_level $level",
                    level => $level);
}
push @responses, my $r = hook('/nk-info', []);
$h->rejected_ok($r, 'missing', 'notifykit', 'log: notifykit at info',
                level => 'info');
push @responses, $r = hook('/nosecret', forged());
$h->rejected_ok($r, 'no_secret', 'novu',
                'log: no_secret at the configured level (notice)',
                level => 'notice');

for my $result (['missing', []], ['malformed', ['Novu-Signature' => 't=1']],
                ['stale', [novu_headers($S, 1000, $BODY)]],
                ['mismatch', forged()]) {
    my ($name, $headers) = @$result;
    push @responses, $r = hook('/default', $headers);
    $h->failure_logged_ok($r, $name, 'novu',
                          "log: result '$name' is named in the line");
}

push @responses, $r = hook('/report-warn', forged());
is($r->{status}, 200, 'log: report mode lets the request through');
$h->failure_logged_ok($r, 'mismatch', 'novu',
                      'log: the "(report only)" line at warn',
                      level => 'warn', report => 1);

push @responses, $r = hook('/default', [novu_headers($S, now_ms(), $BODY)]);
is($r->{status}, 200, 'log: a good request passes');
is(scalar $h->failure_lines($r), 0, 'log: no failure line for a good request');
push @responses, $r = hook('/report-warn', [novu_headers($S, now_ms(), $BODY)]);
is(scalar $h->failure_lines($r), 0,
   'log: no failure line for a good request in report mode');

{
    my $ri = hook('/info-filtered', forged());
    my $rw = hook('/warn-filtered', forged());
    push @responses, $ri, $rw;
    is($ri->{status}, 401, 'log: filtered location still rejects');
    my $filtered = $h->file('filtered.log');
    unlike($filtered, qr/check failed.*tid=$ri->{tid}\b/,
           'log: an info line is not written to an error_log at notice');
    my $warn = '\[warn\] .*webhook signature check failed:'
             . ' mismatch \(scheme: novu\).*tid=' . $rw->{tid} . '\b';
    like($filtered, qr/$warn/,
         'log: a warn line is written to an error_log at notice');
}

# ------------------------------------------------------------ never in the log

{
    my $t = now_ms();
    my $expected = hmac_sha256_hex("$t.$BODY", $S);
    push @responses, $r = hook('/default', ['Novu-Signature'
                                            => "t=$t,v1=" . ('0' x 64)]);
    $h->rejected_ok($r, 'mismatch', 'novu', 'log: a mismatch for a known body');
    my @l = grep { index($_, $expected) >= 0 } $h->error_lines;
    is(scalar @l, 0, 'log: the expected signature of a forged request'
                     . ' is never logged (it would be a valid forgery)')
        or diag @l;
    ok(index($h->file('access.log'), $expected) < 0,
       'log: ... nor in the access log');
    ok(!grep({ index($_->{raw}, $expected) >= 0 } @responses),
       'log: ... nor in any response');

    my $big = '{"marker":"BIG-BODY-BYTES-Rr5Tt","pad":"' . ('z' x 20000) . '"}';
    push @responses, hook('/default',
                          [novu_headers('attacker-key', now_ms(), $big)],
                          body => $big);
    push @responses, hook('/default', [novu_headers($S, now_ms(), $big)],
                          body => $big);
    push @responses, hook('/default', [novu_headers($S, 1000, $big)],
                          body => $big);
    for my $marker ('BODY-BYTES-Qz8Lk', 'BIG-BODY-BYTES-Rr5Tt') {
        my @b = grep { index($_, $marker) >= 0 } $h->error_lines;
        is(scalar @b, 0,
           "log: body bytes ($marker) never appear in the debug error log")
            or diag @b[0 .. 2];
    }
}

$h->no_secret_ok($S, 'log: the secret', @responses);

$h->finish;
done_testing;
