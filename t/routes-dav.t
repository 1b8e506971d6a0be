#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
#
# SPEC "Outcomes", the content phase's own handlers: a rejected PUT kept
# by "error_page 401 = @named" into a dav location stores nothing (only
# GET, HEAD and POST reach the content phase's handlers once a request
# was rejected).  Needs nginx built with the dav module (Debian's is).

use strict;
use warnings;
use Test::More;
use Harness;

my $nginx = $ENV{NGINX_BINARY} || '/usr/sbin/nginx';
plan skip_all => "$nginx has no dav module"
    unless `$nginx -V 2>&1` =~ /http_dav_module/;

my $S = 'dav-secret-Kd2w';
my $h = Harness->new;
mkdir $h->prefix . '/dav';
chmod 0777, $h->prefix . '/dav';

$h->run(<<'EOF_CONF', vars => { S => $S });
    server {
        listen 127.0.0.1:%%PORT%%;
        server_name localhost;

        webhook_signature novu;
        webhook_signature_secret "%%S%%";

        location /hook {
            error_page 401 = @put;
            proxy_pass http://%%UPSTREAM%%;
        }

        location @put {
            webhook_signature off;
            root %%PREFIX%%/dav;
            dav_methods PUT;
        }

        location /open {
            webhook_signature off;
            root %%PREFIX%%/dav;
            dav_methods PUT;
        }
    }
EOF_CONF

my $BODY = '{"event":"dav"}';
sub stored { -e $h->prefix . "/dav/$_[0]" }

my $r = $h->request(method => 'PUT', uri => '/hook', body => $BODY,
                    headers => [novu_headers('attacker', now_ms(), $BODY)],
                    no_tid => 1);
my $c = $h->checks;
$c->is($r->{status}, 401, 'status 401');
$c->ok(!stored('hook'), 'no file stored');
$c->done('a rejected PUT kept by error_page = @named is not stored by dav',
         $r->{raw});

$r = $h->request(method => 'PUT', uri => '/open', body => $BODY,
                 no_tid => 1);
ok($r->{status} == 201 && stored('open'),
   'control: an unprotected PUT is stored by dav') or diag $r->{raw};

$h->finish;
done_testing;
