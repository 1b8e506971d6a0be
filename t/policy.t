#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
#
# SPEC "Outcomes" and the policy directives: webhook_signature_status,
# webhook_signature_mode report, error_page, internal redirects (checked at
# most once per main request), subrequests never checked.
# auth_request, satisfy and deny (nginx's access phase) are in t/access.t.

use strict;
use warnings;
use Test::More;
use Harness;

my $S     = 'policy-secret-Kk1a';
my $OTHER = 'policy-other-Ll2s';
my $h = Harness->new;
$h->write_file('html/custom401.html', "custom 401 page\n");
$h->write_file('html/named.html', "named page\n");
$h->write_file('html/ssi.html',
               "before <!--# include virtual=\"/ssi-target\" --> after\n");

$h->run(<<'EOF', vars => { S => $S, OTHER => $OTHER });
    map $http_x_tenant $tenant_secret {
        default "";
        acme "%%S%%";
    }

    server {
        listen 127.0.0.1:%%PORT%%;
        server_name localhost;
        webhook_signature_secret "%%S%%";

        location /s403 {
            webhook_signature novu;
            webhook_signature_status 403;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /s400 {
            webhook_signature notifykit;
            webhook_signature_status 400;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /s599 {
            webhook_signature novu;
            webhook_signature_status 599;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /report {
            webhook_signature novu;
            webhook_signature_mode report;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /report-nk {
            webhook_signature notifykit;
            webhook_signature_mode report;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /report-ns {
            webhook_signature novu;
            webhook_signature_mode report;
            webhook_signature_secret $tenant_secret;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /rw {
            rewrite ^ /rw-target last;
        }

        location /rw-target {
            webhook_signature novu;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /tf {
            webhook_signature novu;
            try_files /nonexistent @tf_other;
        }

        location @tf_other {
            webhook_signature novu;
            webhook_signature_secret "%%OTHER%%";
            proxy_pass http://%%UPSTREAM%%;
        }

        location /big {
            client_max_body_size 10;
            error_page 413 = @protected413;
            proxy_pass http://%%UPSTREAM%%;
        }

        location @protected413 {
            webhook_signature novu;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /big-keep {
            client_max_body_size 10;
            error_page 413 @protected413;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /big-chunked {
            webhook_signature novu;
            client_max_body_size 100;
            error_page 413 @protected413;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /rep-tf {
            webhook_signature novu;
            webhook_signature_mode report;
            try_files /nonexistent @enforce_tf;
        }

        location @enforce_tf {
            webhook_signature novu;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /rep-rep {
            webhook_signature novu;
            webhook_signature_mode report;
            try_files /nonexistent @report_tf;
        }

        location @report_tf {
            webhook_signature novu;
            webhook_signature_mode report;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /s444 {
            webhook_signature novu;
            webhook_signature_status 444;
            proxy_pass http://%%UPSTREAM%%;
        }

        location = /ssi.html {
            ssi on;
            default_type text/html;
            root %%PREFIX%%/html;
        }

        location /ssi-target {
            webhook_signature novu;
            proxy_pass http://%%UPSTREAM%%;
        }
    }

    server {
        listen 127.0.0.1:%%PORT2%%;
        server_name errpage;
        webhook_signature novu;
        webhook_signature_secret "%%S%%";
        error_page 401 /custom401.html;

        location / {
            proxy_pass http://%%UPSTREAM%%;
        }

        location = /custom401.html {
            root %%PREFIX%%/html;
        }

        location /named {
            error_page 401 = @named;
            proxy_pass http://%%UPSTREAM%%;
        }

        location @named {
            root %%PREFIX%%/html;
            try_files /named.html =404;
        }
    }
EOF

my $BODY = '{"event":"policy"}';

sub hook {
    my ($uri, $headers, %o) = @_;
    return $h->request(uri => $uri, headers => $headers,
                       body => $o{body} // $BODY, %o);
}
sub good   { [novu_headers($S, now_ms(), $_[0] // $BODY)] }
sub forged { [novu_headers('attacker', now_ms(), $BODY)] }

# ------------------------------------------------------------ status

$h->rejected_ok(hook('/s403', forged()), 'mismatch', 'novu',
                'status: webhook_signature_status 403 is used for a failure',
                status => 403);
$h->passed_ok(hook('/s403', good()), $BODY,
              'status: 403 location passes a good request');
$h->rejected_ok(hook('/s400', []), 'missing', 'notifykit',
                'status: webhook_signature_status 400', status => 400);
$h->rejected_ok(hook('/s599', ['Novu-Signature' => 'x']),
                'malformed', 'novu',
                'status: webhook_signature_status 599', status => 599);

# ------------------------------------------------------------ report mode

{
    my $r = hook('/report', forged());
    $h->passed_ok($r, $BODY,
                  'report: a mismatching request goes through'
                  . ' to the upstream');
    $h->failure_logged_ok($r, 'mismatch', 'novu', 'report: mismatch',
                          report => 1);
    is($h->access_for($r)->{result}, 'mismatch',
       'report: $webhook_signature_result is set (mismatch)');

    $r = hook('/report', []);
    $h->passed_ok($r, $BODY,
                  'report: a request without a signature goes through');
    $h->failure_logged_ok($r, 'missing', 'novu', 'report: missing',
                          report => 1);
    is($h->access_for($r)->{result}, 'missing',
       'report: $webhook_signature_result is missing');

    $r = hook('/report', [novu_headers($S, 1000, $BODY)]);
    $h->passed_ok($r, $BODY, 'report: a stale request goes through');
    $h->failure_logged_ok($r, 'stale', 'novu', 'report: stale',
                          report => 1);

    $r = hook('/report-nk', ['X-Webhook-Signature' => 'x']);
    $h->passed_ok($r, $BODY,
                  'report: a malformed notifykit request goes through');
    $h->failure_logged_ok($r, 'malformed', 'notifykit',
                          'report: notifykit malformed', report => 1);

    $r = hook('/report', good());
    $h->passed_ok($r, $BODY, 'report: a good request passes');
    is(scalar $h->failure_lines($r), 0,
       'report: no failure line for a good request');
    is($h->access_for($r)->{result}, 'ok',
       'report: $webhook_signature_result is ok');

    $r = hook('/report-ns', [@{good()}, 'X-Tenant' => 'initech']);
    my @l = $h->failure_lines($r);
    my $c = checks();
    $c->is($r->{status}, 500, 'status 500');
    $c->is($r->{body}, $ERROR_BODY{novu}{no_secret},
           'the no_secret JSON body');
    $c->is(scalar $h->upstream_for($r), 0, 'never forwarded');
    $c->is(scalar @l, 1, 'one failure line');
    my $re = 'webhook signature check failed(?: \(report only\))?:'
           . ' no_secret \(scheme: novu\)';
    $c->like($l[0] // '', qr/$re/, 'logged as no_secret');
    $c->done('report: no_secret is still 500 in report mode'
             . ' (its JSON body, never forwarded, logged once)',
             $r->{raw} // '', @l);
    $h->passed_ok(hook('/report-ns', [@{good()}, 'X-Tenant' => 'acme']),
                  $BODY, 'report: the tenant with a secret passes');
}

# ------------------------------------------------------------ error_page

{
    my $r = hook('/', forged(), port => 'PORT2');
    my $c = checks();
    $c->is($r->{status}, 401, 'status stays 401');
    $c->is($r->{body}, "custom 401 page\n",
           'the custom page, from a location that inherits protection');
    $c->is(scalar $h->upstream_for($r), 0, 'nothing reached the upstream');
    $c->is(scalar $h->failure_lines($r), 1, 'one failure line');
    $c->done('error_page 401 /custom401.html: a failure gets the custom'
             . ' page (401, checked once)', $r->{raw} // '');
    $h->passed_ok(hook('/', good(), port => 'PORT2'), $BODY,
                  'error_page 401: a good request passes');

    $r = $h->request(uri => '/custom401.html', port => 'PORT2');
    $c = checks();
    $c->is($r->{status}, 401, 'status 401');
    $c->is($r->{body}, "custom 401 page\n", 'the custom page');
    $c->done('error_page 401: the page itself is protected'
             . ' (401 without a signature, the custom page)',
             $r->{raw} // '');

    # GET (Novu signs GET requests too): the static named.html refuses POST.
    $r = $h->request(uri => '/named',
                     headers => [novu_headers('attacker', now_ms(), '{}')],
                     port => 'PORT2');
    $c = checks();
    $c->is($r->{status}, 200, 'status from the named location');
    $c->is($r->{body}, "named page\n",
           'the named location serves the response');
    $c->is(scalar $h->upstream_for($r), 0, 'nothing reached the upstream');
    $c->is(scalar $h->failure_lines($r), 1,
           'one failure line (not re-checked)');
    $c->done('error_page 401 = @named: the named location answers'
             . ' (checked once)', $r->{raw} // '');
}

# ------------------------------------------------------ internal redirects

$h->rejected_ok(hook('/rw', forged()), 'mismatch', 'novu',
                'redirect: rewrite ... last into a protected location'
                . ' is checked');
$h->passed_ok(hook('/rw', good()), $BODY,
              'redirect: rewrite ... last, a good request passes');

$h->passed_ok(hook('/tf', good()), $BODY,
              'redirect: try_files into a location with other secrets'
              . ' does not check again');
$h->rejected_ok(hook('/tf', [novu_headers($OTHER, now_ms(), $BODY)]),
                'mismatch', 'novu',
                'redirect: try_files: the first location\'s secrets decide');

{
    my $big = '{"big":"' . ('b' x 100) . '"}';
    my $r = hook('/big', [], body => $big);
    $h->rejected_ok($r, 'missing', 'novu',
                    'redirect: error_page 413 = @protected:'
                    . ' an unchecked request is checked there');

    $r = hook('/big', good($big), body => $big);
    my $c = checks();
    $c->ok($r->{status} >= 400, 'status >= 400');
    $c->is(scalar $h->upstream_for($r), 0, 'nothing reached the upstream');
    $c->done('redirect: error_page 413 = @protected: a signed request'
             . ' whose body was discarded fails closed', $r->{raw} // '');

    $r = hook('/big', good('{}'), body => $big);
    $c = checks();
    $c->ok($r->{status} >= 400, 'status >= 400');
    $c->is(scalar $h->upstream_for($r), 0, 'nothing reached the upstream');
    $c->done('redirect: error_page 413: a signature over {}'
             . ' does not pass a discarded body', $r->{raw} // '');
}

{
    my $big = '{"big":"' . ('b' x 100) . '"}';
    my $r = hook('/big-keep', good($big), body => $big);
    my $c = checks();
    $c->is($r->{status}, 413, 'status 413');
    $c->is(scalar $h->upstream_for($r), 0, 'nothing reached the upstream');
    $c->done('redirect: error_page 413 @protected (status kept):'
             . ' nginx\'s 413 is the answer', $r->{raw} // '');

    # Chunked: the size is found too large while the module waits for the
    # body.
    my @chunks = ('{"big":"', 'c' x 300, '"}');
    my $chunked = join '', @chunks;
    $r = $h->request(uri => '/big-chunked', headers => good($chunked),
                     chunked => \@chunks, split => ['chunks'],
                     delay => 0.1);
    $c = checks();
    $c->is($r->{status}, 413, 'status 413');
    $c->like($r->{body}, qr{<title>413 Request Entity Too Large</title>},
             'nginx\'s own 413 page, not a signature error');
    $c->is(scalar $h->upstream_for($r), 0,
           'the redirected request does not reach the upstream');
    $c->done('redirect: a chunked body over client_max_body_size'
             . ' while reading gets nginx\'s 413', $r->{raw} // '');
    $h->passed_ok($h->request(uri => '/big-chunked',
                              headers => good('{"small":1}'),
                              chunked => ['{"small":1}']),
                  '{"small":1}',
                  'redirect: a chunked body within the limit passes');
}

{
    my $r = hook('/rep-tf', forged());
    my $c = checks();
    $c->is($r->{status}, 401, 'status 401');
    $c->is($r->{body}, $ERROR_BODY{novu}{mismatch},
           'the mismatch JSON body');
    $c->is(scalar $h->upstream_for($r), 0, 'nothing reached the upstream');
    $c->done('redirect: report, then try_files into an enforcing location:'
             . ' the failure is enforced there', $r->{raw} // '');

    my @l = $h->failure_lines($r);
    $c = checks();
    $c->is(scalar @l, 2, 'two failure lines');
    $c->like($l[0] // '', qr/check failed \(report only\): mismatch/,
             'the first is report only');
    $c->like($l[1] // '', qr/check failed: mismatch/,
             'the second is the enforcing one');
    $c->done('redirect: report then enforce: logged twice,'
             . ' report only then enforcing', @l);
    $h->passed_ok(hook('/rep-tf', good()), $BODY,
                  'redirect: report then enforce: a good request passes');

    $r = hook('/rep-rep', forged());
    $h->passed_ok($r, $BODY,
                  'redirect: report then report:'
                  . ' a failing request goes through');
    is(scalar $h->failure_lines($r), 1,
       'redirect: report then report: logged once');
}

# ------------------------------------------------------------ status 444

{
    my $r = hook('/s444', forged());
    my $c = checks();
    $c->is($r->{raw}, '', 'no response');
    $c->is(scalar $h->upstream_for($r), 0, 'nothing reached the upstream');
    $c->done('status 444: the connection is closed without a response,'
             . ' nothing upstream');
    $h->failure_logged_ok($r, 'mismatch', 'novu',
                          'status 444: the failure is logged');
    $h->passed_ok(hook('/s444', good()), $BODY,
                  'status 444: a good request passes');
}

# ------------------------------------------------------------ subrequests

{
    my $r = $h->request(uri => '/ssi.html');
    my $c = checks();
    $c->is($r->{status}, 200,
           'status 200 (an unprotected page including a protected one)');
    $c->like($r->{body}, qr{^before \{.*"uri":"/ssi-target".*\} after$}s,
             'the include reached the upstream');
    $c->done('SSI: the include subrequest into a protected location'
             . ' is not checked', $r->{raw} // '');
}

$h->finish;
done_testing;
