#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
#
# Keys of secrets from variables are kept per worker (src/key_cache.*, up
# to 4,096): what keeping them must not change, driven through one real
# worker.  A secret verifies as itself only, under its own scheme's key
# format (a standard_webhooks "whsec_" secret is not the same key to a
# novu location with the same bytes); twice the cache's capacity of
# tenants all verify, and the first verifies again after its key was
# evicted; a request whose body is still coming keeps the key it began
# with while its key is evicted; a tenant's new secret after a reload is
# a new key and the old one stops verifying.

use strict;
use warnings;
use Test::More;
use Harness;
use Digest::SHA qw(hmac_sha256 hmac_sha256_hex);
use MIME::Base64 qw(encode_base64);

my $TENANTS = 8400;     # twice the cache's 4,096, and more
my $SHARED_KEY = 'kc-shared-key-bytes';
my $WHSEC = 'whsec_' . encode_base64($SHARED_KEY, '');

sub secret_of { sprintf 'kc-secret-t%04d-%s', $_[0], $_[1] // 'v1' }

sub tenant_map {
    my (%override) = @_;
    my $map = "map \$http_x_tenant \$tenant_secret {\n        default \"\";\n"
            . "        shared \"$WHSEC\";\n";
    for my $i (0 .. $TENANTS - 1) {
        $map .= sprintf "        t%04d \"%s\";\n", $i,
                        $override{$i} // secret_of($i);
    }
    return "$map    }";
}

my $CONF = <<'CONF';
    %%MAP%%

    server {
        listen 127.0.0.1:%%PORT%%;
        server_name localhost;
        webhook_signature_tolerance 1h;

        location /novu {
            webhook_signature novu;
            webhook_signature_secret $tenant_secret;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /sw {
            webhook_signature standard_webhooks;
            webhook_signature_secret $tenant_secret;
            proxy_pass http://%%UPSTREAM%%;
        }
    }
CONF

my $h = Harness->new;
$h->run($CONF, vars => { MAP => tenant_map() });

my $BODY = '{"event":"key-cache"}';

sub novu {
    my ($tenant, $secret, %o) = @_;
    return $h->request(uri => '/novu', body => $BODY,
                       headers => [novu_headers($secret, now_ms(), $BODY),
                                   'X-Tenant' => $tenant], %o);
}

# Standard Webhooks: base64 HMAC-SHA256 over "id.ts.body", keyed with the
# secret's decoded bytes.
sub standard {
    my ($tenant, $key) = @_;
    my ($id, $ts) = ('msg_kc', now_s());
    my $sig = encode_base64(hmac_sha256("$id.$ts.$BODY", $key), '');
    return $h->request(uri => '/sw', body => $BODY, headers => [
        'webhook-id' => $id, 'webhook-timestamp' => $ts,
        'webhook-signature' => "v1,$sig", 'X-Tenant' => $tenant]);
}

# ------------------------------------------------------------ key formats

$h->passed_ok(standard('shared', $SHARED_KEY), $BODY,
              'standard_webhooks: the whsec_ secret keys its decoded bytes');
$h->rejected_ok(novu('shared', $SHARED_KEY), 'mismatch', 'novu',
                'novu, the same secret after standard_webhooks kept its key: '
                . 'the decoded bytes are not novu\'s key');
$h->passed_ok(novu('shared', $WHSEC), $BODY,
              'novu: the same secret is its own bytes');
$h->passed_ok(standard('shared', $SHARED_KEY), $BODY,
              'standard_webhooks again, after novu kept its key: still the '
              . 'decoded bytes');
$h->rejected_ok(standard('shared', $WHSEC), 'mismatch', 'standard_webhooks',
                'standard_webhooks: the verbatim bytes are not its key');

# ------------------------------------------------------------ eviction

# t0000's body is held back while every other tenant comes: its key is
# evicted from the cache under the request, which must still verify.
my $held = Harness::Conn->new($h->port);
{
    my $ts = now_ms();
    my $raw = "POST /novu?tid=held HTTP/1.1\r\nHost: localhost\r\n"
            . "Novu-Signature: " . novu_sig(secret_of(0), $ts, $BODY) . "\r\n"
            . "X-Tenant: t0000\r\nContent-Type: application/json\r\n"
            . "Content-Length: " . length($BODY) . "\r\n\r\n"
            . substr($BODY, 0, 5);
    ok($held->write($raw), 'a request for t0000 begins, its body held back');
}

my ($passed, @failed) = (0);
for my $i (1 .. $TENANTS - 1) {
    my $t = sprintf 't%04d', $i;
    my $r = novu($t, secret_of($i), no_tid => 1);
    $r->{status} == 200 ? $passed++ : push @failed, "$t: $r->{status}";
}
is($passed, $TENANTS - 1,
   "every one of $TENANTS tenants verifies with its own secret, twice the "
   . 'cache over') or diag("@failed[0 .. ($#failed < 9 ? $#failed : 9)]");

ok($held->write(substr($BODY, 5)), 'the held body is sent');
is($held->read_response(10)->{status}, 200,
   'the held request verifies with the key it began with, evicted since');
$held->close;

$h->passed_ok(novu('t0000', secret_of(0)), $BODY,
              'the evicted tenant verifies again (keyed anew)');
$h->rejected_ok(novu('t0001', secret_of(2)), 'mismatch', 'novu',
                'a tenant with another tenant\'s kept key: mismatch');

# ------------------------------------------------------------ reload

$h->passed_ok(novu('t0005', secret_of(5)), $BODY,
              't0005 verifies before its secret changes');
ok($h->reload($CONF, vars => { MAP => tenant_map(5 => secret_of(5, 'v2')) }),
   'reload with a new secret for t0005');
$h->rejected_ok(novu('t0005', secret_of(5)), 'mismatch', 'novu',
                'after the reload the old secret no longer verifies');
$h->passed_ok(novu('t0005', secret_of(5, 'v2')), $BODY,
              'after the reload the new secret verifies');
$h->passed_ok(novu('t0006', secret_of(6)), $BODY,
              'the other tenants are unchanged');

# nginx's own "http map:" debug lines print map values (README); the
# module's lines never do
$h->no_secret_ok($_, "kept keys: $_ in no log line of the module's",
                 qr/\] \d+#\d+: \*\d+ http (?:map|script)/)
    for secret_of(0), $WHSEC, $SHARED_KEY;

done_testing;
