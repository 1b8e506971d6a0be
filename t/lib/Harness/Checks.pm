package Harness::Checks;

# What the tests assert about one request, as methods of the harness:
# passed (the upstream got exactly the body), rejected (status, the exact
# default JSON body, nothing upstream, one log line), the log line itself,
# and secrets never leaked.

use strict;
use warnings;
use Test::More;
use Digest::SHA qw(sha256_hex);

# Exact default bodies (docs/DESIGN-NOTES.md).
our %ERROR_BODY = (
    novu => {
        missing   => '{"message":"Signature not found. Please provide a signature in the `novu-signature` header","code":"SignatureNotFoundError"}',
        malformed => '{"message":"Signature is invalid. Please provide a valid signature in the `novu-signature` header","code":"SignatureInvalidError"}',
        stale     => '{"message":"Signature expired. Please provide a signature with a timestamp within the allowed tolerance in the `novu-signature` header","code":"SignatureExpiredError"}',
        mismatch  => '{"message":"Signature does not match the expected signature. Please ensure the signature provided in the `novu-signature` header is correct and try again.","code":"SignatureMismatchError"}',
        no_secret => '{"message":"Signature key not found. Please configure a secret key for this endpoint","code":"SigningKeyNotFoundError"}',
    },
    notifykit => {
        missing   => '{"error":"Missing signature"}',
        malformed => '{"error":"Malformed signature"}',
        stale     => '{"error":"Signature timestamp is outside the allowed tolerance"}',
        mismatch  => '{"error":"Invalid signature"}',
        no_secret => '{"error":"Signing secret is not configured"}',
    },
);

# A request that passed: 200 from the upstream, which got exactly $body.
sub passed_ok {
    my ($self, $res, $body, $name) = @_;
    my @up = $self->upstream_for($res);
    my $ok = 1;
    is($res->{status}, 200, "$name: status 200") or $ok = 0;
    is(scalar @up, 1, "$name: reached the upstream once") or $ok = 0;
    if (@up) {
        is($up[0]{len}, length $body, "$name: upstream got the body length") or $ok = 0;
        is($up[0]{sha256}, sha256_hex($body), "$name: upstream got the exact body bytes")
            or $ok = 0;
    }
    diag(($res->{raw} // '') . "\n" . join '', $self->failure_lines($res)) unless $ok;
    return $ok;
}

# A request the module rejected: status, the exact default JSON body, its
# Content-Type, nothing upstream, exactly one failure line in the log.
#   rejected_ok($res, 'mismatch', 'novu', $name, status => 401, level => 'error',
#               body => 'json' | 'any', report => 0, upstream_tried => 0)
sub rejected_ok {
    my ($self, $res, $result, $scheme, $name, %o) = @_;
    my $status = $o{status} // ($result eq 'no_secret' ? 500 : 401);
    my $ok = 1;
    is($res->{status}, $status, "$name: status $status") or $ok = 0;
    if (($o{body} // 'json') eq 'json') {
        is($res->{body}, $ERROR_BODY{$scheme}{$result}, "$name: $scheme $result JSON body")
            or $ok = 0;
        like($res->{headers}{'content-type'} // '', qr{^application/json\b},
             "$name: Content-Type application/json") or $ok = 0;
    }
    is(scalar $self->upstream_for($res), 0, "$name: nothing reached the upstream") or $ok = 0;
    $self->failure_logged_ok($res, $result, $scheme, $name, %o) or $ok = 0;
    diag($res->{raw} // '') unless $ok;
    return $ok;
}

sub failure_logged_ok {
    my ($self, $res, $result, $scheme, $name, %o) = @_;
    my $level = $o{level} // 'error';
    my $ro = $o{report} ? ' \(report only\)' : '';
    # a request that already went to an upstream keeps nginx's log context
    # from it: " while sending to client" and the upstream's address
    my ($action, $upstream) = $o{upstream_tried}
        ? (' while sending to client', ', upstream: "[^"]*"') : ('', '');
    my @l = $self->failure_lines($res);
    my $ok = is(scalar @l, 1, "$name: one failure line in the error log");
    like($l[0] // '', qr{ \[\Q$level\E\] \d+#\d+: \*\d+ webhook signature check failed$ro: \Q$result\E \(scheme: \Q$scheme\E\)$action, client: 127\.0\.0\.1, server: [^,]*, request: "[A-Z]+ [^"]*[?&]tid=$res->{tid}(?:&[^"]*)? HTTP/[\d.]+"$upstream, host: "[^"]*"},
         "$name: logged '$result (scheme: $scheme)' at [$level] with request context") or $ok = 0;
    diag(join '', @l) unless $ok;
    return $ok;
}

# The secret never appears in the error log, the access log or any response.
#   ignore => qr/.../ skips error-log lines (nginx's own "http map:" debug
#   lines print map values; the module's lines are never skipped).
sub no_secret_ok {
    my ($self, $secret, $name, @responses) = @_;
    my $ignore = ref $responses[0] eq 'Regexp' ? shift @responses : qr/(?!)/;
    my @in_log = grep { index($_, $secret) >= 0 && $_ !~ $ignore } $self->error_lines;
    is(scalar @in_log, 0, "$name: secret not in the (debug) error log")
        or diag(join '', @in_log[0 .. ($#in_log < 4 ? $#in_log : 4)]);
    ok(index($self->file('access.log'), $secret) < 0, "$name: secret not in the access log");
    my @leaks = grep { index($_->{raw} // '', $secret) >= 0 } @responses;
    is(scalar @leaks, 0, "$name: secret not in any of " . @responses . " responses");
}

1;
