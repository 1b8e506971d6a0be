#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
#
# SPEC "Outcomes": the signature is mandatory and never stands in for
# nginx's other access checks.  Under "satisfy all" allow/deny, auth_basic
# and auth_request answer first, so a denied client costs no body read (no
# temp file) and no check; under "satisfy any" a valid signature is
# required in addition to what the others decide among themselves.

use strict;
use warnings;
use Test::More;
use MIME::Base64 ();
use Harness;

my $S = 'access-secret-Pp4r';
my $OTHER = 'access-other-Mm5t';
my $h = Harness->new;
$h->write_file('htpasswd', "hook:{PLAIN}basicpass\n");

$h->run(<<'EOF', vars => { S => $S, OTHER => $OTHER });
    server {
        listen 127.0.0.1:%%PORT%%;
        server_name localhost;

        client_max_body_size 2m;
        webhook_signature novu;
        webhook_signature_secret "%%S%%";

        location /deny {
            deny all;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /deny-file {
            client_body_in_file_only on;
            deny all;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /allow-file {
            client_body_in_file_only on;
            allow 127.0.0.1;
            deny all;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /all-basic {
            auth_basic "hooks";
            auth_basic_user_file %%PREFIX%%/htpasswd;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /ar {
            auth_request /auth;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /ar-deny {
            auth_request /auth-deny;
            proxy_pass http://%%UPSTREAM%%;
        }

        location = /auth {
            internal;
            webhook_signature_secret "%%OTHER%%";
            proxy_pass http://%%UPSTREAM%%/auth-check;
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
        }

        location = /auth-deny {
            internal;
            return 403;
        }

        location /any-allow {
            satisfy any;
            allow 127.0.0.1;
            deny all;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /any-basic {
            satisfy any;
            auth_basic "hooks";
            auth_basic_user_file %%PREFIX%%/htpasswd;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /any-deny {
            satisfy any;
            deny all;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /any-deny-basic {
            satisfy any;
            deny all;
            auth_basic "hooks";
            auth_basic_user_file %%PREFIX%%/htpasswd;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /any-report {
            satisfy any;
            deny all;
            webhook_signature_mode report;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /any-none {
            satisfy any;
            proxy_pass http://%%UPSTREAM%%;
        }
    }
EOF

my $BODY = '{"event":"access"}';
my $BASIC = ['Authorization' => 'Basic '
             . MIME::Base64::encode_base64('hook:basicpass', '')];

sub hook {
    my ($uri, $headers, %o) = @_;
    return $h->request(uri => $uri, headers => $headers,
                       body => $o{body} // $BODY, %o);
}
sub good   { [novu_headers($S, now_ms(), $_[0] // $BODY)] }
sub forged { [novu_headers('attacker', now_ms(), $BODY)] }

# The module's debug line when it starts a check of this request.
sub checked {
    my ($r) = @_;
    return scalar grep { /webhook signature check started/
                         && /tid=$r->{tid}\b/ } $h->error_lines;
}

sub temp_files {
    my $dir = $h->prefix . '/client_body_temp';
    return scalar(() = `find $dir -type f 2>/dev/null`);
}

# A refusal by nginx's own check: its status, nothing upstream, and the
# module never ran (no check, no failure line).
sub refused_first {
    my ($r, $status, $name, %o) = @_;
    my $c = $h->checks;
    $c->is($r->{status}, $status, "status $status");
    $c->is(scalar $h->upstream_for($r), 0, 'nothing reached the upstream');
    $c->is(checked($r), 0, 'the module did not check it');
    $c->is(scalar $h->failure_lines($r), 0, 'no failure line');
    $c->like($r->{headers}{'www-authenticate'} // '', qr/^Basic/,
             "auth_basic's challenge") if $o{challenge};
    return $c->done($name, $r->{raw});
}

# ------------------------------------------------------------ satisfy all

refused_first(hook('/deny', forged()), 403,
              'satisfy all: deny all answers a forged request first (403)');
refused_first(hook('/deny', good()), 403,
              'satisfy all: deny all refuses a verified request too');
refused_first(hook('/deny', []), 403,
              'satisfy all: deny all answers an unsigned request first');

{
    my $big = '{"pad":"' . ('d' x (1024 * 1024)) . '"}';
    my $before = temp_files();
    refused_first(hook('/deny-file', good($big), body => $big), 403,
                  'satisfy all: a denied 1 MiB body is not checked');
    is(temp_files(), $before,
       'satisfy all: ... nor read into a temp file');
    $h->passed_ok(hook('/allow-file', good($big), body => $big), $big,
                  'control: an allowed 1 MiB body is verified');
    is(temp_files(), $before + 1,
       'control: ... and nginx kept its temp file (client_body_in_file_only)');
}

refused_first(hook('/all-basic', forged()), 401,
              'satisfy all: auth_basic answers a forged request without'
              . ' credentials first', challenge => 1);
refused_first(hook('/all-basic', good()), 401,
              'satisfy all: a verified request still needs auth_basic'
              . ' credentials', challenge => 1);
$h->rejected_ok(hook('/all-basic', [@{forged()}, @$BASIC]), 'mismatch',
                'novu', 'satisfy all: valid credentials do not pass a'
                . ' forged signature');
$h->passed_ok(hook('/all-basic', [@{good()}, @$BASIC]), $BODY,
              'satisfy all: signature and credentials pass');

{
    my $auth = sub { scalar grep { $_->{uri} eq '/auth-check' }
                                 $h->upstream_requests };
    my $before = $auth->();
    my $r = hook('/ar', forged());
    $h->rejected_ok($r, 'mismatch', 'novu',
                    'satisfy all: after auth_request grants, a forged'
                    . ' signature is rejected', after_subrequest => 1);
    is($auth->(), $before + 1,
       'satisfy all: auth_request answered first (its subrequest ran)');
    for my $kb (3, 6, 9, 12) {
        my $body = '{"pad":"' . ('a' x ($kb * 1024)) . '"}';
        $r = hook('/ar', good($body), body => $body, timeout => 5);
        $h->passed_ok($r, $body, "satisfy all: auth_request, then a $kb KB"
                                 . ' body is verified and forwarded');
    }
    refused_first(hook('/ar-deny', good()), 403,
                  'satisfy all: auth_request refuses before the check');
}

# ------------------------------------------------------------ satisfy any

$h->rejected_ok(hook('/any-allow', forged()), 'mismatch', 'novu',
                'satisfy any: allow grants, a forged signature is rejected');
$h->rejected_ok(hook('/any-allow', []), 'missing', 'novu',
                'satisfy any: allow grants, a missing signature is rejected');
$h->passed_ok(hook('/any-allow', good()), $BODY,
              'satisfy any: allow and a valid signature pass');

$h->rejected_ok(hook('/any-basic', [@{forged()}, @$BASIC]), 'mismatch',
                'novu', 'satisfy any: valid credentials do not pass a forged'
                . ' signature');
$h->rejected_ok(hook('/any-basic', $BASIC), 'missing', 'novu',
                'satisfy any: valid credentials do not pass a missing'
                . ' signature');
refused_first(hook('/any-basic', good()), 401,
              'satisfy any: a valid signature is no credential for'
              . ' auth_basic', challenge => 1);
$h->passed_ok(hook('/any-basic', [@{good()}, @$BASIC]), $BODY,
              'satisfy any: credentials and a valid signature pass');

refused_first(hook('/any-deny', good()), 403,
              'satisfy any: deny all refuses a verified request');
refused_first(hook('/any-deny', forged()), 403,
              'satisfy any: deny all refuses a forged request first');
$h->rejected_ok(hook('/any-deny-basic', [@{forged()}, @$BASIC]),
                'mismatch', 'novu', 'satisfy any: deny all, valid'
                . ' credentials, a forged signature is rejected');
$h->passed_ok(hook('/any-deny-basic', [@{good()}, @$BASIC]), $BODY,
              'satisfy any: deny all, valid credentials and a valid'
              . ' signature pass');

refused_first(hook('/any-report', forged()), 403,
              'satisfy any + report: deny all decides (403)');
refused_first(hook('/any-report', good()), 403,
              'satisfy any + report: a verified request is still denied');

$h->rejected_ok(hook('/any-none', forged()), 'mismatch', 'novu',
                'satisfy any, no other check: a forged signature is'
                . ' rejected');
$h->passed_ok(hook('/any-none', good()), $BODY,
              'satisfy any, no other check: the signature alone passes');

$h->finish;
done_testing;
