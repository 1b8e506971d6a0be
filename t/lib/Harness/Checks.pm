# SPDX-License-Identifier: BSD-2-Clause

package Harness::Checks;

# What the tests assert about one request, as methods of the harness:
# passed (the upstream got exactly the body), rejected (status, the exact
# default JSON body, nothing upstream, one log line), the log line itself,
# and secrets never leaked.
#
# Each of them is ONE behaviour and so ONE TAP line, named by the test:
# its sub-checks are all made, and only the failing ones are printed
# (what was checked, got, expected) with diag() under the "not ok" line.
# checks() gives test files the same for their own helpers:
#
#   my $c = checks();
#   $c->is($r->{status}, 200, 'status');
#   $c->like($r->{body}, qr/.../, 'body');
#   $c->ok(!$r->{timeout}, 'no timeout');
#   $c->same($got_ref, $want_ref, 'record');    # is_deeply's comparison
#   $c->done($name, @more_diag);                # the one TAP line
#   $c->passing                                 # no sub-check failed yet

use strict;
use warnings;
use Test::More;
use Digest::SHA qw(sha256_hex);

# Exact default bodies (docs/DESIGN-NOTES.md).
our %ERROR_BODY = (
    novu => {
        missing   => '{"message":"Signature not found. Please provide a'
                   . ' signature in the `novu-signature` header",'
                   . '"code":"SignatureNotFoundError"}',
        malformed => '{"message":"Signature is invalid. Please provide a'
                   . ' valid signature in the `novu-signature` header",'
                   . '"code":"SignatureInvalidError"}',
        stale     => '{"message":"Signature expired. Please provide a'
                   . ' signature with a timestamp within the allowed'
                   . ' tolerance in the `novu-signature` header",'
                   . '"code":"SignatureExpiredError"}',
        mismatch  => '{"message":"Signature does not match the expected'
                   . ' signature. Please ensure the signature provided in'
                   . ' the `novu-signature` header is correct and try'
                   . ' again.","code":"SignatureMismatchError"}',
        no_secret => '{"message":"Signature key not found. Please'
                   . ' configure a secret key for this endpoint",'
                   . '"code":"SigningKeyNotFoundError"}',
    },
    notifykit => {
        missing   => '{"error":"Missing signature"}',
        malformed => '{"error":"Malformed signature"}',
        stale     => '{"error":"Signature timestamp is outside the'
                   . ' allowed tolerance"}',
        mismatch  => '{"error":"Invalid signature"}',
        no_secret => '{"error":"Signing secret is not configured"}',
    },
);

sub checks { Harness::Checks::Group->new }

# A request that passed: 200 from the upstream, which got exactly $body.
sub passed_ok {
    my ($self, $res, $body, $name) = @_;
    my @up = $self->upstream_for($res);
    my $c = checks();
    $c->is($res->{status}, 200, 'status 200');
    $c->is(scalar @up, 1, 'reached the upstream once');
    if (@up) {
        $c->is($up[0]{len}, length $body, 'upstream got the body length');
        $c->is($up[0]{sha256}, sha256_hex($body),
               'upstream got the exact body bytes');
    }
    return $c->done($name, ($res->{raw} // '') . "\n"
                           . join '', $self->failure_lines($res));
}

# A request the module rejected: status, the exact default JSON body, its
# Content-Type, nothing upstream, exactly one failure line in the log.
#   rejected_ok($res, 'mismatch', 'novu', $name, status => 401,
#               level => 'error', body => 'json' | 'any', report => 0,
#               upstream_tried => 0)
sub rejected_ok {
    my ($self, $res, $result, $scheme, $name, %o) = @_;
    my $status = $o{status} // ($result eq 'no_secret' ? 500 : 401);
    my $c = checks();
    $c->is($res->{status}, $status, "status $status");
    if (($o{body} // 'json') eq 'json') {
        # every preset answers as notifykit does (SPEC: {"error": ...})
        $c->is($res->{body},
               ($ERROR_BODY{$scheme} // $ERROR_BODY{notifykit})->{$result},
               "$scheme $result JSON body");
        $c->like($res->{headers}{'content-type'} // '',
                 qr{^application/json\b}, 'Content-Type application/json');
    }
    $c->is(scalar $self->upstream_for($res), 0,
           'nothing reached the upstream');
    my @l = $self->_failure_checks($c, $res, $result, $scheme, %o);
    return $c->done($name, $res->{raw} // '', join '', @l);
}

# Exactly one failure line for the request, in the exact form:
#   failure_logged_ok($res, 'mismatch', 'novu', $name, level => 'error',
#                     report => 0, upstream_tried => 0,
#                     after_subrequest => 0)
sub failure_logged_ok {
    my ($self, $res, $result, $scheme, $name, %o) = @_;
    my $c = checks();
    my @l = $self->_failure_checks($c, $res, $result, $scheme, %o);
    return $c->done($name, join '', @l);
}

# The sub-checks of failure_logged_ok, added to $c; returns the lines.
sub _failure_checks {
    my ($self, $c, $res, $result, $scheme, %o) = @_;
    my $level = $o{level} // 'error';
    my $ro = $o{report} ? ' \(report only\)' : '';
    # a request that already went to an upstream keeps nginx's log context
    # from it: " while sending to client" and the upstream's address; after
    # an auth_request subrequest's upstream, the action only
    my ($action, $upstream) = $o{upstream_tried}
        ? (' while sending to client', ', upstream: "[^"]*"')
        : $o{after_subrequest} ? (' while sending to client', '') : ('', '');
    my $re = ' \[' . quotemeta($level) . '\] \d+#\d+: \*\d+'
           . " webhook signature check failed$ro: " . quotemeta($result)
           . ' \(scheme: ' . quotemeta($scheme) . '\)' . $action
           . ', client: 127\.0\.0\.1, server: [^,]*, request: "[A-Z]+ [^"]*'
           . "[?&]tid=$res->{tid}" . '(?:&[^"]*)? HTTP/[\d.]+"' . $upstream
           . ', host: "[^"]*"';
    my @l = $self->failure_lines($res);
    $c->is(scalar @l, 1, 'one failure line in the error log');
    $c->like($l[0] // '', qr/$re/,
             "logged '$result (scheme: $scheme)' at [$level]"
             . ' with request context');
    return @l;
}

# The secret never appears in the error log, the access log or any response.
#   ignore => qr/.../ skips error-log lines (nginx's own "http map:" debug
#   lines print map values; the module's lines are never skipped).
sub no_secret_ok {
    my ($self, $secret, $name, @responses) = @_;
    my $ignore = ref $responses[0] eq 'Regexp' ? shift @responses : qr/(?!)/;
    my @in_log = grep { index($_, $secret) >= 0 && $_ !~ $ignore }
                 $self->error_lines;
    my @leaks = grep { index($_->{raw} // '', $secret) >= 0 } @responses;
    my $c = checks();
    $c->is(scalar @in_log, 0, 'secret not in the (debug) error log');
    $c->ok(index($self->file('access.log'), $secret) < 0,
           'secret not in the access log');
    $c->is(scalar @leaks, 0, 'secret not in any of ' . @responses
                             . ' responses');
    return $c->done($name, @in_log[0 .. ($#in_log < 4 ? $#in_log : 4)]);
}


package Harness::Checks::Group;

# Sub-checks with Test::More's comparisons, collected and reported by
# done() as one ok() (see the header of Harness::Checks).

use strict;
use warnings;
use Test::More ();

sub new { bless { failed => [] }, $_[0] }

sub _show {
    my ($v) = @_;
    return 'undef' unless defined $v;
    return "'$v'";
}

sub _record {
    my ($self, $ok, $what, @detail) = @_;
    push @{$self->{failed}}, join "\n", "failed: $what", @detail
        unless $ok;
    return $ok;
}

sub ok {
    my ($self, $ok, $what) = @_;
    return $self->_record($ok ? 1 : 0, $what);
}

# As Test::More::is: eq, and undef equals only undef.
sub is {
    my ($self, $got, $want, $what) = @_;
    my $ok = defined $got && defined $want ? $got eq $want
                                           : !defined $got && !defined $want;
    return $self->_record($ok, $what, '       got: ' . _show($got),
                          '  expected: ' . _show($want));
}

# As Test::More::like: undef is matched as ''.
sub like {
    my ($self, $got, $re, $what) = @_;
    my $ok = ($got // '') =~ $re;
    return $self->_record($ok ? 1 : 0, $what,
                          '       got: ' . _show($got),
                          "  expected to match $re");
}

# As Test::More::is_deeply.
sub same {
    my ($self, $got, $want, $what) = @_;
    my $ok = Test::More::eq_array([$got], [$want]);
    my ($g, $w) = map { join '', Test::More::explain($_) } $got, $want;
    return $self->_record($ok, $what, "       got: $g", "  expected: $w");
}

sub passing { !@{$_[0]{failed}} }

# The one TAP line: ok if every sub-check passed, else diag of the failed
# ones and of @more (the response, the log lines...).  A failure is
# reported at the test file's line that called the harness.
sub done {
    my ($self, $name, @more) = @_;
    my $up = 0;
    $up++ while ((caller $up)[0] // '') =~ /^Harness(?:::|$)/;
    local $Test::Builder::Level = $Test::Builder::Level + $up + 1;
    my @failed = @{$self->{failed}};
    return 1 if Test::More::ok(!@failed, $name);
    Test::More::diag(join "\n", @failed,
                     grep { defined && /\S/ } @more);
    return 0;
}

1;
