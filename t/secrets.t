#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
#
# SPEC "webhook_signature_secret": rotation (any secret verifies, its index
# in $webhook_signature_key), variables (per-tenant map), file= (trailing
# CR/LF stripped), env=NAME, a per-request empty secret (500 no_secret),
# reload with a new secret file, and secrets never in logs or responses.

use strict;
use warnings;
use Test::More;
use Harness;

my %SEC = (
    old    => 'rotate-old-Aa1q',
    new    => 'rotate-new-Bb2w',
    acme   => 'tenant-acme-Cc3e',
    globex => 'tenant-globex-Dd4r',
    crlf   => 'file-crlf-Ee5t',
    lfs    => 'file-lfs-Ff6y',
    space  => 'file-space-Gg7u ',
    env    => 'env-secret-Hh8i',
    swap1  => 'swap-first-Ii9o',
    swap2  => 'swap-second-Jj0p',
);
my $h = Harness->new;
$h->write_file('crlf.secret',  "$SEC{crlf}\r\n");
$h->write_file('lfs.secret',   "$SEC{lfs}\n\r\n\n");
$h->write_file('space.secret', "$SEC{space}\n");
$h->write_file('swap.secret',  "$SEC{swap1}\n");

my %vars = (OLD => $SEC{old}, NEW => $SEC{new},
            ACME => $SEC{acme}, GLOBEX => $SEC{globex});
$h->run(<<'EOF', vars => \%vars, env => { WH_TEST_SECRET => $SEC{env} });
    map $http_x_tenant $tenant_secret {
        default "";
        acme    "%%ACME%%";
        globex  "%%GLOBEX%%";
    }

    server {
        listen 127.0.0.1:%%PORT%%;
        server_name localhost;
        webhook_signature novu;
        # The server level needs a secret of its own (it protects unmatched
        # URIs); every location below replaces it.
        webhook_signature_secret "server-level-unused";

        location /rotate {
            webhook_signature_secret "%%OLD%%";
            webhook_signature_secret "%%NEW%%";
            proxy_pass http://%%UPSTREAM%%;
        }

        location /tenant {
            webhook_signature_secret $tenant_secret;
            proxy_pass http://%%UPSTREAM%%;
        }

        # more secrets than the handler keeps on its stack (8): the
        # per-request copy comes from the pool, literals and the variable
        # in their places
        location /many {
            webhook_signature_secret "decoy-1";
            webhook_signature_secret "decoy-2";
            webhook_signature_secret "%%OLD%%";
            webhook_signature_secret "decoy-4";
            webhook_signature_secret "decoy-5";
            webhook_signature_secret "decoy-6";
            webhook_signature_secret "decoy-7";
            webhook_signature_secret "decoy-8";
            webhook_signature_secret "decoy-9";
            webhook_signature_secret $tenant_secret;
            webhook_signature_secret "%%NEW%%";
            proxy_pass http://%%UPSTREAM%%;
        }

        location /tenant-braces {
            webhook_signature_secret ${tenant_secret};
            proxy_pass http://%%UPSTREAM%%;
        }

        location /tenant-nk {
            webhook_signature notifykit;
            webhook_signature_secret $tenant_secret;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /crlf {
            webhook_signature_secret file=%%PREFIX%%/crlf.secret;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /lfs {
            webhook_signature_secret file=%%PREFIX%%/lfs.secret;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /space {
            webhook_signature_secret file=%%PREFIX%%/space.secret;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /env {
            webhook_signature_secret env=WH_TEST_SECRET;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /swap {
            webhook_signature_secret file=%%PREFIX%%/swap.secret;
            proxy_pass http://%%UPSTREAM%%;
        }
    }
EOF

my $BODY = '{"event":"secret-test"}';
my @responses;

sub hook {
    my ($uri, $secret, %o) = @_;
    my @extra = $o{tenant} ? ('X-Tenant' => $o{tenant}) : ();
    my $sig = $o{scheme} && $o{scheme} eq 'notifykit'
        ? [nk_headers($secret, now_s(), $BODY)]
        : [novu_headers($secret, now_ms(), $BODY)];
    my $r = $h->request(uri => $uri, headers => [@$sig, @extra],
                        body => $BODY, %{$o{req} || {}});
    push @responses, $r;
    return $r;
}

# ------------------------------------------------------------ rotation

{
    my $r = hook('/rotate', $SEC{old});
    $h->passed_ok($r, $BODY, 'rotation: the first secret verifies');
    is($h->access_for($r)->{key}, 1,
       'rotation: $webhook_signature_key is 1 for the first secret');
    $r = hook('/rotate', $SEC{new});
    $h->passed_ok($r, $BODY, 'rotation: the second secret verifies');
    is($h->access_for($r)->{key}, 2,
       'rotation: $webhook_signature_key is 2 for the second secret');
    $h->rejected_ok(hook('/rotate', $SEC{acme}), 'mismatch', 'novu',
                    'rotation: a secret not in the list is a mismatch');
}

# ------------------------------------------------------------ variables

{
    $h->passed_ok(hook('/tenant', $SEC{acme}, tenant => 'acme'), $BODY,
                  'variable secret: tenant acme verifies with its own secret');
    $h->passed_ok(hook('/tenant', $SEC{globex}, tenant => 'globex'), $BODY,
                  'variable secret: tenant globex verifies'
                  . ' with its own secret');
    $h->rejected_ok(hook('/tenant', $SEC{globex}, tenant => 'acme'),
                    'mismatch', 'novu',
                    'variable secret: another tenant\'s secret is a mismatch');
    my $r = hook('/many', $SEC{acme}, tenant => 'acme');
    $h->passed_ok($r, $BODY, 'eleven secrets: the variable (10th) verifies');
    is($h->access_for($r)->{key}, 10,
       'eleven secrets: $webhook_signature_key is 10 for the variable');
    $r = hook('/many', $SEC{old}, tenant => 'globex');
    $h->passed_ok($r, $BODY, 'eleven secrets: a literal (3rd) verifies');
    is($h->access_for($r)->{key}, 3,
       'eleven secrets: $webhook_signature_key is 3 for the literal');
    $r = hook('/many', $SEC{new}, tenant => 'acme');
    $h->passed_ok($r, $BODY, 'eleven secrets: the literal after the variable'
                             . ' verifies');
    is($h->access_for($r)->{key}, 11,
       'eleven secrets: the literal after the variable is the 11th');
    $h->rejected_ok(hook('/many', $SEC{globex}, tenant => 'acme'),
                    'mismatch', 'novu',
                    'eleven secrets: another tenant\'s secret is a mismatch');
    $h->passed_ok(hook('/tenant-braces', $SEC{acme}, tenant => 'acme'), $BODY,
                  'variable secret in braces: ${tenant_secret} is the map');
    $h->rejected_ok(hook('/tenant-braces', $SEC{globex}, tenant => 'acme'),
                    'mismatch', 'novu',
                    'variable secret in braces: another tenant\'s secret'
                    . ' is a mismatch');

    $h->rejected_ok(hook('/tenant', $SEC{acme}, tenant => 'initech'),
                    'no_secret', 'novu',
                    'variable secret: empty for this request'
                    . ' -> 500 no_secret, never forwarded');
    $h->rejected_ok(hook('/tenant', '', tenant => 'initech'),
                    'no_secret', 'novu',
                    'variable secret: empty secret and a request signed'
                    . ' with an empty key -> no_secret');
    $h->rejected_ok(hook('/tenant', $SEC{acme}), 'no_secret', 'novu',
                    'variable secret: no tenant header -> no_secret');
    $h->rejected_ok(hook('/tenant-nk', $SEC{acme}, tenant => 'initech',
                         scheme => 'notifykit'),
                    'no_secret', 'notifykit',
                    'variable secret: notifykit no_secret JSON');

    $r = hook('/tenant', $SEC{acme}, tenant => 'initech',
              req => { expect => 1 });
    is($r->{continue}, 0, 'variable secret: no_secret is decided'
                          . ' before the body (no 100 Continue)');
    $h->rejected_ok($r, 'no_secret', 'novu',
                    'variable secret: no_secret with Expect: 100-continue');

    push @responses, $r = $h->request(uri => '/tenant',
                                      headers => ['X-Tenant' => 'initech'],
                                      body => $BODY);
    $h->rejected_ok($r, 'missing', 'novu',
                    'variable secret: missing is reported before no_secret');
    push @responses, $r = $h->request(uri => '/tenant', body => $BODY,
                                      headers => ['X-Tenant' => 'initech',
                                                  'Novu-Signature' => 't=1']);
    $h->rejected_ok($r, 'malformed', 'novu',
                    'variable secret: malformed is reported before no_secret');
    push @responses, $r = $h->request(uri => '/tenant', body => $BODY,
                                      headers => ['X-Tenant' => 'initech',
                                                  novu_headers('x', 1000,
                                                               $BODY)]);
    $h->rejected_ok($r, 'stale', 'novu',
                    'variable secret: stale is reported before no_secret');
}

# ------------------------------------------------------------ file= and env=

$h->passed_ok(hook('/crlf', $SEC{crlf}), $BODY,
              'file=: a trailing CR LF is stripped');
$h->rejected_ok(hook('/crlf', "$SEC{crlf}\r\n"), 'mismatch', 'novu',
                'file=: the CR LF is not part of the key');
$h->passed_ok(hook('/lfs', $SEC{lfs}), $BODY,
              'file=: several trailing CR and LF are all stripped');
$h->passed_ok(hook('/space', $SEC{space}), $BODY,
              'file=: a trailing space is kept (only CR/LF stripped)');
(my $trimmed = $SEC{space}) =~ s/ $//;
$h->rejected_ok(hook('/space', $trimmed), 'mismatch', 'novu',
                'file=: ... so the key without it mismatches');

$h->passed_ok(hook('/env', $SEC{env}), $BODY,
              'env=NAME: the environment variable is the secret');
$h->rejected_ok(hook('/env', 'WH_TEST_SECRET'), 'mismatch', 'novu',
                'env=NAME: the variable name itself is not the secret');

# ------------------------------------------------------------ reload

$h->passed_ok(hook('/swap', $SEC{swap1}), $BODY,
              'reload: the secret file verifies before the swap');
$h->write_file('swap.secret', "$SEC{swap2}\r\n");
$h->passed_ok(hook('/swap', $SEC{swap1}), $BODY,
              'reload: the file is read at load time only'
              . ' (old secret still good)');
ok($h->reload, 'reload: nginx reloads with the new secret file');
$h->rejected_ok(hook('/swap', $SEC{swap1}), 'mismatch', 'novu',
                'reload: the old secret is rejected after the reload');
$h->passed_ok(hook('/swap', $SEC{swap2}), $BODY,
              'reload: the new secret verifies after the reload');
$h->passed_ok(hook('/env', $SEC{env}), $BODY,
              'reload: env= secret still read after the reload');

# ------------------------------------------------------------ never leaked

for my $k (qw(old new crlf lfs env swap1 swap2)) {
    $h->no_secret_ok($SEC{$k}, "secret '$k'", @responses);
}
(my $space = $SEC{space}) =~ s/ $//;
$h->no_secret_ok($space, "secret 'space'", @responses);
# nginx's own map code prints map values at debug level (README says so);
# no other line may carry them.
for my $k (qw(acme globex)) {
    $h->no_secret_ok($SEC{$k}, "map secret '$k'"
                     . " (outside nginx's http map/script debug lines)",
                     qr/\] \d+#\d+: \*\d+ http (?:map|script)/, @responses);
}

$h->finish;
done_testing;
