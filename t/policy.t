#!/usr/bin/perl
# SPEC "Outcomes" and the policy directives: webhook_signature_status,
# webhook_signature_mode report, error_page, internal redirects (checked at
# most once per main request), subrequests never checked, auth_request after
# the module, satisfy any, deny.

use strict;
use warnings;
use Test::More;
use MIME::Base64 ();
use Harness;

my $S     = 'policy-secret-Kk1a';
my $OTHER = 'policy-other-Ll2s';
my $h = Harness->new;
$h->write_file('html/custom401.html', "custom 401 page\n");
$h->write_file('html/named.html', "named page\n");
$h->write_file('htpasswd', "hook:{PLAIN}basicpass\n");
$h->write_file('html/ssi.html', "before <!--# include virtual=\"/ssi-target\" --> after\n");

my $P = "proxy_pass http://%%UPSTREAM%%;";
$h->run(<<"EOF");
    map \$http_x_tenant \$tenant_secret { default ""; acme "$S"; }
    server {
        listen 127.0.0.1:%%PORT%%;
        server_name localhost;
        webhook_signature_secret "$S";

        location /s403  { webhook_signature novu; webhook_signature_status 403; $P }
        location /s400  { webhook_signature notifykit; webhook_signature_status 400; $P }
        location /s599  { webhook_signature novu; webhook_signature_status 599; $P }

        location /report    { webhook_signature novu; webhook_signature_mode report; $P }
        location /report-nk { webhook_signature notifykit; webhook_signature_mode report; $P }
        location /report-ns { webhook_signature novu; webhook_signature_mode report;
                              webhook_signature_secret \$tenant_secret; $P }

        location /rw        { rewrite ^ /rw-target last; }
        location /rw-target { webhook_signature novu; $P }

        location /tf        { webhook_signature novu; try_files /nonexistent \@tf_other; }
        location \@tf_other { webhook_signature novu; webhook_signature_secret "$OTHER"; $P }

        location /big       { client_max_body_size 10; error_page 413 = \@protected413; $P }
        location \@protected413 { webhook_signature novu; $P }
        location /big-keep  { client_max_body_size 10; error_page 413 \@protected413; $P }
        location /big-chunked { webhook_signature novu; client_max_body_size 100;
                                error_page 413 \@protected413; $P }

        location /rep-tf    { webhook_signature novu; webhook_signature_mode report;
                              try_files /nonexistent \@enforce_tf; }
        location \@enforce_tf { webhook_signature novu; $P }
        location /rep-rep   { webhook_signature novu; webhook_signature_mode report;
                              try_files /nonexistent \@report_tf; }
        location \@report_tf { webhook_signature novu; webhook_signature_mode report; $P }

        location /s444      { webhook_signature novu; webhook_signature_status 444; $P }

        location /ar        { webhook_signature novu; auth_request /auth; $P }
        location = /auth    { internal; webhook_signature novu; webhook_signature_secret "$OTHER";
                              proxy_pass http://%%UPSTREAM%%/auth-check;
                              proxy_pass_request_body off; proxy_set_header Content-Length ""; }

        location /any-allow { satisfy any; allow 127.0.0.1; deny all; webhook_signature novu; $P }
        location /any-basic { satisfy any; auth_basic "hooks"; auth_basic_user_file %%PREFIX%%/htpasswd;
                              webhook_signature novu; $P }
        location /deny      { deny all; webhook_signature novu; $P }
        location /any-deny  { satisfy any; deny all; webhook_signature novu; $P }
        location /any-report { satisfy any; deny all; webhook_signature novu;
                               webhook_signature_mode report; $P }
        location /all-basic { auth_basic "hooks"; auth_basic_user_file %%PREFIX%%/htpasswd;
                              webhook_signature novu; $P }

        location = /ssi.html { ssi on; default_type text/html; root %%PREFIX%%/html; }
        location /ssi-target { webhook_signature novu; $P }
    }
    server {
        listen 127.0.0.1:%%PORT2%%;
        server_name errpage;
        webhook_signature novu;
        webhook_signature_secret "$S";
        error_page 401 /custom401.html;

        location /            { $P }
        location = /custom401.html { root %%PREFIX%%/html; }
        location /named       { error_page 401 = \@named; $P }
        location \@named      { root %%PREFIX%%/html; try_files /named.html =404; }
    }
EOF

my $BODY = '{"event":"policy"}';

sub hook {
    my ($uri, $headers, %o) = @_;
    return $h->request(uri => $uri, headers => $headers, body => $o{body} // $BODY, %o);
}
sub good   { [novu_headers($S, now_ms(), $_[0] // $BODY)] }
sub forged { [novu_headers('attacker', now_ms(), $BODY)] }

# ------------------------------------------------------------ status

$h->rejected_ok(hook('/s403', forged()), 'mismatch', 'novu',
                'status: webhook_signature_status 403 is used for a failure', status => 403);
$h->passed_ok(hook('/s403', good()), $BODY, 'status: 403 location passes a good request');
$h->rejected_ok(hook('/s400', []), 'missing', 'notifykit',
                'status: webhook_signature_status 400', status => 400);
$h->rejected_ok(hook('/s599', ['Novu-Signature' => 'x']), 'malformed', 'novu',
                'status: webhook_signature_status 599', status => 599);

# ------------------------------------------------------------ report mode

{
    my $r = hook('/report', forged());
    $h->passed_ok($r, $BODY, 'report: a mismatching request goes through to the upstream');
    $h->failure_logged_ok($r, 'mismatch', 'novu', 'report: mismatch', report => 1);
    my $a = $h->access_for($r);
    is($a->{result}, 'mismatch', 'report: $webhook_signature_result is set (mismatch)');

    $r = hook('/report', []);
    $h->passed_ok($r, $BODY, 'report: a request without a signature goes through');
    $h->failure_logged_ok($r, 'missing', 'novu', 'report: missing', report => 1);
    is($h->access_for($r)->{result}, 'missing', 'report: $webhook_signature_result is missing');

    $r = hook('/report', [novu_headers($S, 1000, $BODY)]);
    $h->passed_ok($r, $BODY, 'report: a stale request goes through');
    $h->failure_logged_ok($r, 'stale', 'novu', 'report: stale', report => 1);

    $r = hook('/report-nk', ['X-Webhook-Signature' => 'x']);
    $h->passed_ok($r, $BODY, 'report: a malformed notifykit request goes through');
    $h->failure_logged_ok($r, 'malformed', 'notifykit', 'report: notifykit malformed', report => 1);

    $r = hook('/report', good());
    $h->passed_ok($r, $BODY, 'report: a good request passes');
    is(scalar $h->failure_lines($r), 0, 'report: no failure line for a good request');
    is($h->access_for($r)->{result}, 'ok', 'report: $webhook_signature_result is ok');

    $r = hook('/report-ns', [@{good()}, 'X-Tenant' => 'initech']);
    is($r->{status}, 500, 'report: no_secret is still 500 in report mode');
    is($r->{body}, $ERROR_BODY{novu}{no_secret}, 'report: ... with the no_secret JSON body');
    is(scalar $h->upstream_for($r), 0, 'report: ... and never forwarded');
    my @l = $h->failure_lines($r);
    is(scalar @l, 1, 'report: ... one failure line');
    like($l[0] // '', qr/webhook signature check failed(?: \(report only\))?: no_secret \(scheme: novu\)/,
         'report: ... logged as no_secret');
    $h->passed_ok(hook('/report-ns', [@{good()}, 'X-Tenant' => 'acme']), $BODY,
                  'report: the tenant with a secret passes');
}

# ------------------------------------------------------------ error_page

{
    my $r = hook('/', forged(), port => 'PORT2');
    is($r->{status}, 401, 'error_page 401 /custom401.html: status stays 401');
    is($r->{body}, "custom 401 page\n",
       'error_page 401: the custom page is served from a location that inherits protection');
    is(scalar $h->upstream_for($r), 0, 'error_page 401: nothing reached the upstream');
    is(scalar $h->failure_lines($r), 1, 'error_page 401: one failure line (checked once)');
    $h->passed_ok(hook('/', good(), port => 'PORT2'), $BODY, 'error_page 401: a good request passes');

    $r = $h->request(uri => '/custom401.html', port => 'PORT2');
    is($r->{status}, 401, 'error_page 401: the page itself is protected (401 without a signature)');
    is($r->{body}, "custom 401 page\n", 'error_page 401: ... and shows the custom page');

    # GET (Novu signs GET requests too): the static named.html refuses POST.
    $r = $h->request(uri => '/named', headers => [novu_headers('attacker', now_ms(), '{}')],
                     port => 'PORT2');
    is($r->{status}, 200, 'error_page 401 = @named: status from the named location');
    is($r->{body}, "named page\n", 'error_page 401 = @named: the named location serves the response');
    is(scalar $h->upstream_for($r), 0, 'error_page 401 = @named: nothing reached the upstream');
    is(scalar $h->failure_lines($r), 1, 'error_page 401 = @named: one failure line (not re-checked)');
}

# ------------------------------------------------------------ internal redirects

$h->rejected_ok(hook('/rw', forged()), 'mismatch', 'novu',
                'redirect: rewrite ... last into a protected location is checked');
$h->passed_ok(hook('/rw', good()), $BODY, 'redirect: rewrite ... last, a good request passes');

$h->passed_ok(hook('/tf', good()), $BODY,
              'redirect: try_files into a location with other secrets does not check again');
$h->rejected_ok(hook('/tf', [novu_headers($OTHER, now_ms(), $BODY)]), 'mismatch', 'novu',
                'redirect: try_files: the first location\'s secrets decide');

{
    my $big = '{"big":"' . ('b' x 100) . '"}';
    my $r = hook('/big', [], body => $big);
    $h->rejected_ok($r, 'missing', 'novu',
                    'redirect: error_page 413 = @protected: an unchecked request is checked there');
    $r = hook('/big', good($big), body => $big);
    ok($r->{status} >= 400, 'redirect: error_page 413 = @protected: a signed request whose body was discarded fails closed')
        or diag $r->{raw};
    is(scalar $h->upstream_for($r), 0, 'redirect: error_page 413: ... nothing reached the upstream');
    $r = hook('/big', good('{}'), body => $big);
    ok($r->{status} >= 400, 'redirect: error_page 413: a signature over {} does not pass a discarded body')
        or diag $r->{raw};
    is(scalar $h->upstream_for($r), 0, 'redirect: error_page 413: ... nothing reached the upstream');
}

{
    my $big = '{"big":"' . ('b' x 100) . '"}';
    my $r = hook('/big-keep', good($big), body => $big);
    is($r->{status}, 413, 'redirect: error_page 413 @protected (status kept): nginx\'s 413 is the answer');
    is(scalar $h->upstream_for($r), 0, 'redirect: error_page 413 @protected: ... nothing reached the upstream');

    # Chunked: the size is found too large while the module waits for the body.
    my @chunks = ('{"big":"', 'c' x 300, '"}');
    my $chunked = join '', @chunks;
    $r = $h->request(uri => '/big-chunked', headers => good($chunked), chunked => \@chunks,
                     split => ['chunks'], delay => 0.1);
    is($r->{status}, 413, 'redirect: a chunked body over client_max_body_size while reading gets nginx\'s 413');
    like($r->{body}, qr{<title>413 Request Entity Too Large</title>},
         'redirect: ... with nginx\'s own 413 page, not a signature error');
    is(scalar $h->upstream_for($r), 0, 'redirect: ... the redirected request does not reach the upstream');
    $h->passed_ok($h->request(uri => '/big-chunked', headers => good('{"small":1}'),
                              chunked => ['{"small":1}']),
                  '{"small":1}', 'redirect: a chunked body within the limit passes');
}

{
    my $r = hook('/rep-tf', forged());
    my $name = 'redirect: report, then try_files into an enforcing location';
    is($r->{status}, 401, "$name: the failure is enforced there (401)");
    is($r->{body}, $ERROR_BODY{novu}{mismatch}, "$name: ... with the mismatch JSON body");
    is(scalar $h->upstream_for($r), 0, "$name: ... nothing reached the upstream");
    my @l = $h->failure_lines($r);
    is(scalar @l, 2, 'redirect: report then enforce: two failure lines');
    like($l[0] // '', qr/check failed \(report only\): mismatch/, 'redirect: ... the first is report only');
    like($l[1] // '', qr/check failed: mismatch/, 'redirect: ... the second is the enforcing one');
    $h->passed_ok(hook('/rep-tf', good()), $BODY, 'redirect: report then enforce: a good request passes');

    $r = hook('/rep-rep', forged());
    $h->passed_ok($r, $BODY, 'redirect: report then report: a failing request goes through');
    is(scalar $h->failure_lines($r), 1, 'redirect: report then report: logged once');
}

# ------------------------------------------------------------ status 444

{
    my $r = hook('/s444', forged());
    is($r->{raw}, '', 'status 444: the connection is closed without a response');
    is(scalar $h->upstream_for($r), 0, 'status 444: nothing reached the upstream');
    $h->failure_logged_ok($r, 'mismatch', 'novu', 'status 444: the failure is logged');
    $h->passed_ok(hook('/s444', good()), $BODY, 'status 444: a good request passes');
}

# ------------------------------------------------------------ auth_request

{
    my $r = hook('/ar', good());
    $h->passed_ok($r, $BODY, 'auth_request: the subrequest to a protected location is not checked');
    ok((grep { $_->{uri} eq '/auth-check' } $h->upstream_requests),
       'auth_request: the auth subrequest ran');
    my $before = () = $h->upstream_requests;
    $r = hook('/ar', forged());
    $h->rejected_ok($r, 'mismatch', 'novu', 'auth_request: the module runs before auth_request');
    is(scalar(() = $h->upstream_requests), $before, 'auth_request: no auth subrequest for a forged request');
    for my $kb (3, 6, 9, 12) {
        my $body = '{"pad":"' . ('a' x ($kb * 1024)) . '"}';
        $r = hook('/ar', good($body), body => $body, timeout => 5);
        ok(!$r->{timeout}, "auth_request: a $kb KB body in one write does not hang");
        $h->passed_ok($r, $body, "auth_request: a $kb KB body is verified and forwarded");
    }
}

{
    my $r = $h->request(uri => '/ssi.html');
    is($r->{status}, 200, 'SSI: an unprotected page including a protected location');
    like($r->{body}, qr{^before \{.*"uri":"/ssi-target".*\} after$}s,
         'SSI: the include subrequest into a protected location is not checked');
}

# ------------------------------------------------------------ satisfy / deny

$h->rejected_ok(hook('/any-allow', forged()), 'mismatch', 'novu',
                'satisfy any + allow 127.0.0.1 cannot bypass a failed check');
$h->rejected_ok(hook('/any-allow', []), 'missing', 'novu',
                'satisfy any + allow 127.0.0.1 cannot bypass a missing signature');
$h->passed_ok(hook('/any-allow', good()), $BODY, 'satisfy any + allow: a good request passes');

my $basic = ['Authorization' => 'Basic ' . MIME::Base64::encode_base64('hook:basicpass', '')];
$h->rejected_ok(hook('/any-basic', [@{forged()}, @$basic]), 'mismatch', 'novu',
                'satisfy any + valid auth_basic credentials cannot bypass a failed check');
$h->rejected_ok(hook('/any-basic', $basic), 'missing', 'novu',
                'satisfy any + valid auth_basic credentials cannot bypass a missing signature');
$h->passed_ok(hook('/any-basic', good()), $BODY,
              'satisfy any: a valid signature is a sufficient credential (no basic auth)');

$h->rejected_ok(hook('/any-deny', forged()), 'mismatch', 'novu',
                'satisfy any + deny all: a failed check is the module\'s 401');
$h->passed_ok(hook('/any-deny', good()), $BODY,
              'satisfy any + deny all: a verified request passes (the signature is a credential)');
{
    my $r = hook('/any-report', forged());
    is($r->{status}, 403, 'satisfy any + report: a failing request is neutral, deny all decides (403)');
    is(scalar $h->upstream_for($r), 0, 'satisfy any + report: ... nothing reached the upstream');
    $h->failure_logged_ok($r, 'mismatch', 'novu', 'satisfy any + report', report => 1);
    $h->passed_ok(hook('/any-report', good()), $BODY,
                  'satisfy any + report: a verified request passes deny all');
}

$h->rejected_ok(hook('/all-basic', forged()), 'mismatch', 'novu',
                'satisfy all: the module runs before auth_basic (its JSON 401, not auth_basic\'s)');
ok(!defined $h->request(uri => '/all-basic', headers => forged(), body => $BODY)->{headers}{'www-authenticate'},
   'satisfy all: ... no WWW-Authenticate challenge for a failed signature');
{
    my $r = hook('/all-basic', good());
    is($r->{status}, 401, 'satisfy all: a verified request still needs auth_basic credentials');
    like($r->{headers}{'www-authenticate'} // '', qr/Basic/, 'satisfy all: ... auth_basic\'s challenge');
    is(scalar $h->upstream_for($r), 0, 'satisfy all: ... nothing reached the upstream');
}
$h->passed_ok(hook('/all-basic', [@{good()}, @$basic]), $BODY,
              'satisfy all: signature and credentials pass');

$h->rejected_ok(hook('/deny', forged()), 'mismatch', 'novu',
                'deny all: the module answers first (its 401, not 403)');
{
    my $r = hook('/deny', good());
    is($r->{status}, 403, 'deny all: a verified request is still denied by deny all');
    is(scalar $h->upstream_for($r), 0, 'deny all: ... nothing reached the upstream');
}

$h->finish;
done_testing;
