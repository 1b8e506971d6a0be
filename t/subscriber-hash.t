#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
#
# SPEC "Novu Inbox subscriber hash": $webhook_signature_subscriber_hash is
# the lowercase hex HMAC-SHA256 of webhook_signature_subscriber_id keyed
# with the location's first webhook_signature_secret (the seed's formula,
# novu-inbox-hmac.txt), for an id from a header, a cookie and a variable
# that auth_request set; empty when the id is empty or no secret is
# configured; the application gets it through proxy_set_header and never
# the secret.

use strict;
use warnings;
use Test::More;
use Harness;
use Digest::SHA qw(hmac_sha256_hex);

my $SECRET = 'novu-api-secret-Hh3k';
my $NEXT   = 'novu-next-secret-Jj4m';

my $h = Harness->new;
$h->write_file('novu.key', "$SECRET\n", 0600);
$h->run(<<'EOF', vars => { NEXT => $NEXT });
    server {
        listen 127.0.0.1:%%PORT%%;
        webhook_signature_secret file=%%PREFIX%%/novu.key;
        webhook_signature_secret "%%NEXT%%";

        # the application's pages: not webhooks, so nothing is checked
        location /header {
            webhook_signature_subscriber_id $http_x_subscriber_id;
            proxy_set_header X-Subscriber-Hash
                             $webhook_signature_subscriber_hash;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /cookie {
            webhook_signature_subscriber_id $cookie_subscriber;
            proxy_set_header X-Subscriber-Hash
                             $webhook_signature_subscriber_hash;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /session {
            auth_request /auth;
            auth_request_set $session_subscriber
                             $upstream_http_x_session_subscriber;
            webhook_signature_subscriber_id $session_subscriber;
            proxy_set_header X-Subscriber-Hash
                             $webhook_signature_subscriber_hash;
            proxy_pass http://%%UPSTREAM%%;
        }

        location = /auth {
            internal;
            proxy_pass http://127.0.0.1:%%PORT_AUTH%%;
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
        }

        # the webhook route: checked, and the hash is there too
        location /bridge {
            webhook_signature novu;
            webhook_signature_subscriber_id $http_x_subscriber_id;
            proxy_set_header X-Subscriber-Hash
                             $webhook_signature_subscriber_hash;
            proxy_pass http://%%UPSTREAM%%;
        }
    }

    server {
        listen 127.0.0.1:%%PORT_NOSECRET%%;

        location / {
            webhook_signature_subscriber_id $http_x_subscriber_id;
            proxy_set_header X-Subscriber-Hash
                             $webhook_signature_subscriber_hash;
            proxy_pass http://%%UPSTREAM%%;
        }
    }

    # the session service: who the session cookie belongs to
    server {
        listen 127.0.0.1:%%PORT_AUTH%%;

        location / {
            add_header X-Session-Subscriber $cookie_session always;
            return 204;
        }
    }
EOF

# The hash the application received, and whether the secret reached it.
sub received {
    my ($res) = @_;
    my @up = $h->upstream_for($res);
    return (undef, 0) unless @up == 1;
    my $headers = $up[0]{headers} // {};
    my $all = join "\n", map { "$_: $headers->{$_}" } sort keys %$headers;
    return ($headers->{'x-subscriber-hash'},
            $all =~ /\Q$SECRET\E|\Q$NEXT\E/ ? 1 : 0);
}

sub hash_ok {
    my ($res, $id, $name) = @_;
    my ($hash, $leaked) = received($res);
    my $c = $h->checks;
    $c->is($res->{status}, 200, 'status 200');
    $c->is($hash, hmac_sha256_hex($id, $SECRET),
           'X-Subscriber-Hash is HMAC-SHA256(first secret, id), hex');
    $c->is($leaked, 0, 'no secret reached the application');
    $c->done($name, $res->{raw} // '');
}

sub no_hash_ok {
    my ($res, $name) = @_;
    my ($hash) = received($res);
    my $c = $h->checks;
    $c->is($res->{status}, 200, 'status 200');
    $c->ok(!defined $hash || $hash eq '', 'no X-Subscriber-Hash');
    $c->done($name, $res->{raw} // '');
}

for my $id ('subscriber-42', 'ada@example.com', "caf\xc3\xa9-7") {
    hash_ok($h->request(uri => '/header',
                        headers => [ 'X-Subscriber-Id' => $id ]),
            $id, "id from a header ($id)");
}

hash_ok($h->request(uri => '/cookie',
                    headers => [ Cookie => 'theme=dark; subscriber=sub-7' ]),
        'sub-7', 'id from a cookie');
hash_ok($h->request(uri => '/session',
                    headers => [ Cookie => 'session=sub-from-session-9' ]),
        'sub-from-session-9', 'id set by auth_request (auth_request_set)');

no_hash_ok($h->request(uri => '/header'), 'no id: empty');
no_hash_ok($h->request(uri => '/header',
                       headers => [ 'X-Subscriber-Id' => '' ]),
           'an empty id: empty');
no_hash_ok($h->request(uri => '/session'),
           'auth_request set no id: empty');
no_hash_ok($h->request(port => 'PORT_NOSECRET',
                       headers => [ 'X-Subscriber-Id' => 'sub-1' ]),
           'no secret configured: empty');

# on a checked route too, once the request passed
my $body = '{"action":"discover"}';
my $res = $h->request(uri => '/bridge', body => $body,
                      headers => [ Harness::novu_headers($SECRET,
                                                         Harness::now_s(),
                                                         $body),
                                   'X-Subscriber-Id' => 'sub-bridge' ]);
hash_ok($res, 'sub-bridge', 'a verified Novu request carries it as well');

my @log = grep { /\Q$SECRET\E|\Q$NEXT\E/ } $h->error_lines;
is(scalar @log, 0, 'no secret in the error log');

$h->finish;
done_testing;
