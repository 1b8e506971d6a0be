#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
#
# SPEC "Outcomes": a rejected request reaches no upstream, by any route.
# Every route nginx can take a rejected request on (error_page with and
# without "=", to a URI or a named location, same or other location;
# post_action; try_files; mirror; rewrite ... last; an "if" block; each
# kind of *_pass)
# times each kind of failure (missing: headers only; mismatch: body read;
# stale), over HTTP/1.1 and HTTP/2: the upstream receives nothing, not even
# a connection.  Static error pages, return and error_page =CODE still
# answer.

use strict;
use warnings;
use Test::More;
use IO::Socket::INET;
use POSIX ();
use Time::HiRes qw(time);
use Harness;

my $S = 'routes-secret-Qw7e';
my $h = Harness->new;

# A listener for fastcgi/uwsgi/scgi/memcached/grpc: counts connections.
my $sink_log = $h->prefix . '/sink.log';
my ($sink_pid, $sink_port) = start_sink($sink_log);

$h->write_file('html/err.html', "custom error page\n");
mkdir $h->prefix . '/html/mirrored';
$h->write_file('html/mirrored/page.html', "mirrored page\n");

$h->run(<<'EOF', vars => { SECRET => $S, SINK => "127.0.0.1:$sink_port" });
    server {
        listen 127.0.0.1:%%PORT%%;
        listen 127.0.0.1:%%PORT_H2%% http2;
        server_name localhost;

        webhook_signature novu;
        webhook_signature_secret "%%SECRET%%";

        location /ep-same {
            error_page 401 /ep-same;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /ep-eq {
            error_page 401 = /ep-eq;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /ep-other {
            error_page 401 /open/proxy;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /ep-named {
            error_page 401 @protected_proxy;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /ep-named-eq {
            error_page 401 = @open_proxy;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /post-action {
            post_action @open_proxy;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /try {
            try_files /nonexistent @open_proxy;
        }

        location /ep-try {
            error_page 401 /open/try;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /mirror {
            mirror /sink-mirror;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /ep-mirror {
            error_page 401 /mirrored/page.html;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /ep-rewrite {
            error_page 401 /open/rewrite;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /ep-fastcgi {
            error_page 401 /open/fastcgi;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /ep-uwsgi {
            error_page 401 /open/uwsgi;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /ep-scgi {
            error_page 401 /open/scgi;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /ep-memcached {
            error_page 401 /open/memcached;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /ep-grpc {
            error_page 401 /open/grpc;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /ep-if {
            error_page 401 /open/if;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /ep-if-set {
            error_page 401 /open/if-set?x=1;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /if-set {
            if ($arg_x) {
                set $if_seen 1;
            }
            proxy_pass http://%%UPSTREAM%%;
        }

        location /cut-post-action {
            client_max_body_size 100;
            client_body_timeout 1s;
            post_action @open_proxy;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /cut-error-page {
            client_max_body_size 100;
            client_body_timeout 1s;
            error_page 408 413 /open/proxy;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /ep-static {
            error_page 401 /err.html;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /ep-code {
            error_page 401 =418 /err.html;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /ep-return {
            error_page 401 = @returns;
            proxy_pass http://%%UPSTREAM%%;
        }

        location = /err.html {
            root %%PREFIX%%/html;
        }

        location @protected_proxy {
            proxy_pass http://%%UPSTREAM%%;
        }

        location @returns {
            return 409 "returned\n";
        }

        location /open/ {
            webhook_signature off;

            location /open/proxy {
                proxy_pass http://%%UPSTREAM%%;
            }

            location /open/if {
                if ($request_method) {
                    proxy_pass http://%%UPSTREAM%%;
                }
            }

            location /open/if-set {
                if ($arg_x) {
                    set $if_seen 1;
                }
                proxy_pass http://%%UPSTREAM%%;
            }

            location /open/try {
                try_files /nonexistent @open_proxy;
            }

            location /open/rewrite {
                rewrite ^ /open/proxy last;
            }

            location /open/fastcgi {
                fastcgi_pass %%SINK%%;
            }

            location /open/uwsgi {
                uwsgi_pass %%SINK%%;
            }

            location /open/scgi {
                scgi_pass %%SINK%%;
            }

            location /open/memcached {
                set $memcached_key "routes";
                memcached_pass %%SINK%%;
            }

            location /open/grpc {
                grpc_pass grpc://%%SINK%%;
            }
        }

        location @open_proxy {
            webhook_signature off;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /mirrored/ {
            webhook_signature off;
            mirror /sink-mirror;
            root %%PREFIX%%/html;
        }

        location = /sink-mirror {
            internal;
            webhook_signature off;
            proxy_pass http://%%UPSTREAM%%;
        }
    }
EOF

my $BODY = '{"event":"routes"}';

my %FAILURE = (
    missing  => sub { [] },
    mismatch => sub { [novu_headers('attacker', now_ms(), $BODY)] },
    stale    => sub { [novu_headers($S, now_ms() - 3_600_000, $BODY)] },
);

# What the client sees on each route (the rejection is answered as usual).
my %ROUTE = (
    '/ep-same'      => { status => 401 },
    '/ep-eq'        => { status => 401 },
    '/ep-other'     => { status => 401 },
    '/ep-named'     => { status => 401 },
    '/ep-named-eq'  => { status => 401 },
    '/post-action'  => { status => 401, json => 1 },
    '/try'          => { status => 401, json => 1 },
    '/ep-try'       => { status => 401 },
    '/mirror'       => { status => 401, json => 1 },
    '/ep-mirror'    => { status => 401, body => "mirrored page\n" },
    '/ep-rewrite'   => { status => 401 },
    '/ep-fastcgi'   => { status => 401 },
    '/ep-uwsgi'     => { status => 401 },
    '/ep-scgi'      => { status => 401 },
    '/ep-memcached' => { status => 401 },
    '/ep-grpc'      => { status => 401 },
    '/ep-if'        => { status => 401 },
    '/ep-if-set'    => { status => 401 },
    '/ep-static'    => { status => 401, body => "custom error page\n" },
    '/ep-code'      => { status => 418, body => "custom error page\n" },
    '/ep-return'    => { status => 409, body => "returned\n" },
);

sub upstream_count { scalar(() = $h->upstream_requests) }
sub sink_count { my $s = $h->file('sink.log'); scalar(() = $s =~ /\n/g) }

sub send_route {
    my ($proto, $uri, $headers) = @_;
    return $proto eq 'h2'
        ? $h->h2(uri => $uri, headers => $headers, body => $BODY)
        : $h->request(uri => $uri, headers => $headers, body => $BODY);
}

# post_action and mirror run after the response: give them time to show.
sub settle { $h->wait_idle; select undef, undef, undef, 0.2 }

for my $proto ('http/1.1', 'h2') {
    for my $uri (sort keys %ROUTE) {
        for my $kind (sort keys %FAILURE) {
            my $want = $ROUTE{$uri};
            my $name = "$proto $uri, $kind";
            my ($up, $sink) = (upstream_count(), sink_count());
            my $r = send_route($proto, $uri, $FAILURE{$kind}->());
            settle();
            my $c = $h->checks;
            # answered before the upload is read: curl 7.88 may report the
            # stream reset instead of the answer (see body.t)
            my $reset = $proto eq 'h2' && $kind ne 'mismatch'
                        && $r->{status} == 0 && $r->{curl_rc} == 92;
            $c->is($r->{status}, $want->{status}, 'status') unless $reset;
            $c->is(upstream_count() - $up, 0, 'nothing reached the upstream');
            $c->is(sink_count() - $sink, 0, 'no connection to the sink');
            $c->is($r->{body}, $want->{body}, 'body')
                if $want->{body} && !$reset;
            $c->is($r->{body}, $ERROR_BODY{novu}{$kind}, 'JSON body')
                if $want->{json} && !$reset;
            $c->is(scalar $h->failure_lines($r), 1, 'one failure line');
            $c->done("$name: answered $want->{status}, nothing upstream",
                     $r->{raw}, $r->{curl_err} // '');
        }
    }
}

# The guard says why a content handler did not run.
{
    my $r = $h->request(uri => '/ep-same', headers => $FAILURE{mismatch}->(),
                        body => $BODY);
    my @l = grep { /tid=$r->{tid}\b/ } $h->error_lines(
        qr/\[warn\].*: rejected request not passed to a content handler/);
    is(scalar @l, 1, 'the guard logs at warn that it kept a rejected '
       . 'request from a content handler');
}

# The same routes pass genuine requests: the guard only stops rejections.
for my $proto ('http/1.1', 'h2') {
    for my $uri ('/ep-same', '/post-action', '/mirror', '/ep-named') {
        my $r = send_route($proto, $uri, [novu_headers($S, now_ms(), $BODY)]);
        my $want = $uri =~ m{^/(post-action|mirror)$} ? 2 : 1;
        my $deadline = time + 5 * $Harness::SCALE;
        settle() until $h->upstream_for($r) >= $want || time > $deadline;
        my @up = $h->upstream_for($r);
        my $c = $h->checks;
        $c->is($r->{status}, 200, 'status 200');
        $c->is(scalar @up, $want, "$want copies upstream");
        $c->is($up[0]{sha256} // '', sha256_hex($BODY), 'exact body');
        $c->done("$proto $uri: a genuine request reaches the upstream",
                 $r->{raw});
    }
}

# An "if" without a content handler of its own, inside a location with
# one: genuine and unprotected requests are served as usual.
{
    my $r = $h->request(uri => '/if-set?x=1', body => $BODY,
                        headers => [novu_headers($S, now_ms(), $BODY)]);
    $h->passed_ok($r, $BODY, 'an "if" block inside a protected location:'
                             . ' a genuine request passes');
    $r = $h->request(uri => '/open/if-set?x=1');
    is($r->{status}, 200, 'an "if" block inside an unprotected location:'
                          . ' served by its proxy_pass');
}

# A check nginx cut short (413 while reading a chunked body, a body that
# never came) has no verdict: post_action and error_page lead nowhere.
for my $uri ('/cut-post-action', '/cut-error-page') {
    my $up = upstream_count();
    my $big = 'a' x 200;
    my $r = $h->request(uri => $uri, chunked => [$big],
                        headers => [novu_headers($S, now_ms(), $big)]);
    settle();
    my $c = $h->checks;
    $c->is($r->{status}, 413, 'status 413');
    $c->is(upstream_count() - $up, 0, 'nothing reached the upstream');
    $c->done("$uri: a body over client_max_body_size while reading,"
             . ' nothing upstream', $r->{raw});

    $up = upstream_count();
    $r = $h->request(uri => $uri, body => 'a' x 10, content_length => 50,
                     headers => [novu_headers($S, now_ms(), 'a' x 50)],
                     timeout => 5);
    settle();
    $c = $h->checks;
    $c->ok($r->{status} == 408 || $r->{status} == 0,
           'timed out (408 or closed)');
    $c->is(upstream_count() - $up, 0, 'nothing reached the upstream');
    $c->done("$uri: a body that never came, nothing upstream", $r->{raw});
}

# The sink does count connections: an unprotected location reaches it.
{
    my $sink = sink_count();
    $h->request(uri => '/open/fastcgi');
    settle();
    ok(sink_count() > $sink, 'control: fastcgi_pass from an unprotected '
       . 'location reaches the sink');
}

$h->finish;
kill 'KILL', $sink_pid;
waitpid $sink_pid, 0;
done_testing;


# A forked listener that appends a line per accepted connection and closes.
sub start_sink {
    my ($log) = @_;
    my $srv = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
                                    LocalPort => 0, Listen => 64,
                                    ReuseAddr => 1, Proto => 'tcp')
        or die "sink listen: $!";
    my $pid = fork() // die "fork: $!";
    if (!$pid) {
        while (my $c = $srv->accept) {
            open my $fh, '>>', $log or POSIX::_exit(1);
            print $fh "connection\n";
            close $fh;
            close $c;
        }
        POSIX::_exit(0);
    }
    my $port = $srv->sockport;
    close $srv;
    return ($pid, $port);
}
