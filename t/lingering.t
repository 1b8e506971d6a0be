#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
#
# A body nginx discarded only in part: the signed body must be all the
# client sent.  nginx answers 413 to a body over client_max_body_size and
# discards it while error_page serves another location; when
# lingering_time runs out first, nginx gives the discard up and finalizes
# the request, which runs its post_action.  A protected post_action
# location then reads the rest of the body, whose length is what nginx
# left in content_length_n.  A signature over that rest alone must not
# verify: the rest is not the body the client sent (its Content-Length
# says more).  (Found by review: a shortcut that took a content_length_n
# equal to the bytes hashed for the header's value let it through.)

use strict;
use warnings;
use Test::More;
use Harness;

my $S = 'lingering-secret-Mm3t';
my $h = Harness->new;

$h->run(<<'EOF', vars => { S => $S });
    server {
        listen 127.0.0.1:%%PORT%%;
        server_name localhost;
        webhook_signature novu;
        webhook_signature_secret "%%S%%";
        lingering_time 2s;
        lingering_timeout 20s;

        location /big {
            webhook_signature off;
            client_max_body_size 10;
            error_page 413 = /slow;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /slow {
            webhook_signature off;
            post_action /hook;
            proxy_pass http://%%UPSTREAM%%/slow?delay=6;
        }

        location /hook {
            proxy_pass http://%%UPSTREAM%%;
        }
    }
EOF

# 40 bytes sent with the head (discarded), the signed rest 2.8 s later,
# after lingering_time gave the discard up
my $tail = '{"genuine":"tail"}';
my $junk = 'J' x 40;
my $r = $h->request(uri => '/big',
                    headers => [novu_headers($S, now_s(), $tail)],
                    body => $junk . $tail, split => ['head+' . length $junk],
                    delay => 2.8, timeout => 15);

# the post_action ends after the /slow answer
my @hook;
for (1 .. 100) {
    last if grep { /webhook signature/ } $h->error_lines;
    select(undef, undef, undef, 0.1);
}
@hook = grep { $_->{uri} =~ m{^/hook} } $h->upstream_requests;

my $c = checks();
$c->is(scalar @hook, 0, 'nothing reached the upstream through post_action');
$c->ok(scalar(grep { /webhook signature check failed: mismatch/ }
              $h->error_lines),
       'the check failed as a mismatch (the body is not all there)');
$c->done('lingering_time: the rest of a discarded body does not verify'
         . ' in a post_action location', $r->{raw} // '');

$h->finish;
done_testing;
