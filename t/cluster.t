#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
#
# SPEC "Replay rejection", a cluster of edges: two edge nginx with the
# module, each with its own replay zone, behind a third nginx (no module)
# that balances with "hash ... consistent" on a signed value: novu's t=
# taken out of the signature header by a map, standard_webhooks'
# webhook-id.  A copy sent to the balancer is refused whichever edge saw
# the message first; each message reached an application once.  The
# balancer answers 401 what it cannot route (no routing value, or a
# header not in the sender's exact form), so a copy cannot be steered to
# the other edge by re-encoding it.  When an edge leaves the ring, the
# messages it saw move and their copies pass once (the README says so).

use strict;
use warnings;
use Test::More;
use MIME::Base64 qw(encode_base64 decode_base64);
use Digest::SHA qw(hmac_sha256 sha256_hex);
use Harness;

my $S = 'cluster-secret-Hh4j';
my $WH = 'whsec_' . encode_base64('cluster-standard-key-0123', '');

my $EDGE = <<'EOF';
    webhook_signature_replay_zone webhooks:1m;

    server {
        listen 127.0.0.1:%%PORT%%;
        server_name edge;

        location /novu {
            webhook_signature novu;
            webhook_signature_secret "%%S%%";
            webhook_signature_replay webhooks;
            add_header X-Edge %%NAME%% always;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /standard {
            webhook_signature standard_webhooks;
            webhook_signature_secret "%%WH%%";
            webhook_signature_replay webhooks key=id;
            add_header X-Edge %%NAME%% always;
            proxy_pass http://%%UPSTREAM%%;
        }
    }
EOF

my @edges = map { Harness->new } 1 .. 2;
$edges[$_]->run($EDGE, vars => { S => $S, WH => $WH, NAME => "edge$_" })
    for 0 .. 1;

# The balancer of the README, its servers the two edges.
my $BALANCER = <<'EOF';
    # t= of a Novu (or Stripe) signature header in the sender's exact
    # form; anything else is not routed
    map $http_novu_signature $webhook_route_t {
        "~^t=(?<t>[0-9]+)(,v[0-9]+=[0-9a-f]+)+$"  $t;
        default                                   "";
    }

    upstream edges_by_t {
        hash $webhook_route_t consistent;
%%SERVERS%%
    }

    upstream edges_by_id {
        hash $http_webhook_id consistent;
%%SERVERS%%
    }

    server {
        listen 127.0.0.1:%%PORT%%;

        location /novu {
            if ($webhook_route_t = "") {
                return 401;
            }
            proxy_next_upstream off;
            proxy_pass http://edges_by_t;
        }

        location /standard {
            if ($http_webhook_id = "") {
                return 401;
            }
            proxy_next_upstream off;
            proxy_pass http://edges_by_id;
        }
    }
EOF

sub servers {
    join "\n", map { '        server 127.0.0.1:' . $_->port('PORT') . ';' }
               @_;
}

my $lb = Harness->new(module => 0, upstream => 0);
$lb->run($BALANCER, vars => { SERVERS => servers(@edges) });

my $seq = 0;

# a Novu message signed at t (distinct t values spread over the ring)
sub novu_message {
    my ($t) = @_;
    my $body = '{"cluster":' . ++$seq . '}';
    return { uri => '/novu', body => $body,
             headers => [novu_headers($S, $t, $body)] };
}

sub standard_message {
    my $id = 'msg_cluster_' . ++$seq;
    my $t = now_s();
    my $body = '{"standard":' . $seq . '}';
    my $mac = encode_base64(hmac_sha256("$id.$t.$body",
                                        decode_base64(substr $WH, 6)), '');
    return { uri => '/standard', body => $body,
             headers => ['webhook-id' => $id, 'webhook-timestamp' => $t,
                         'webhook-signature' => "v1,$mac"] };
}

sub send_to {
    my ($where, $m, %o) = @_;
    return $where->request(uri => $m->{uri}, body => $m->{body},
                           headers => $o{headers} || $m->{headers});
}

# how many times the application behind each edge received the request
sub arrivals {
    my ($r) = @_;
    return map { scalar(() = $_->upstream_for($r)) } @edges;
}

# how many times the applications received each body (by its SHA-256)
sub delivered {
    my %n;
    $n{$_->{sha256}}++ for map { $_->upstream_requests } @edges;
    return \%n;
}

# ---------------------------------------------------------------- routing

my (%first, @novu, @bad);
my $now = now_s();
for my $i (0 .. 29) {
    my $m = novu_message($now - 7 * $i);
    my $r = send_to($lb, $m);
    push @bad, "first copy of $i: $r->{status}" if $r->{status} != 200;
    $m->{edge} = $r->{headers}{'x-edge'} // '';
    $first{$m->{edge}}++;
    push @novu, $m;
}
is("@bad", '', 'novu: 30 messages through the balancer, each answered 200');
ok($first{edge0} && $first{edge1},
   'the ring spreads them over both edges: '
   . join(', ', map { "$_ $first{$_}" } sort keys %first));

@bad = ();
for my $m (@novu) {
    my $r = send_to($lb, $m);
    my @a = arrivals($r);
    push @bad, "$m->{body} from $m->{edge}: $r->{status} "
               . ($r->{headers}{'x-edge'} // '-') . " @a"
        unless $r->{status} == 401
               && ($r->{headers}{'x-edge'} // '') eq $m->{edge}
               && "@a" eq '0 0';
}
is("@bad", '', 'novu: a copy to the balancer reaches the edge that saw it'
               . ' first and is refused there (replay), not forwarded');

{
    # the premise: the zones are per edge
    my $m = $novu[0];
    my $other = $m->{edge} eq 'edge0' ? $edges[1] : $edges[0];
    my $r = send_to($other, $m);
    my $c = checks();
    $c->is($r->{status}, 200, 'status');
    $c->is(scalar(() = $other->upstream_for($r)), 1, 'forwarded');
    $c->done('premise: the same copy sent straight to the other edge'
             . ' passes (one zone per edge)');
    $m->{direct} = 1;
}

# ---------------------------------------------------------------- steering

{
    my $m = $novu[1];
    my $sig = $m->{headers}[1];
    (my $upper = $sig) =~ s/v1=(\w+)/'v1=' . uc $1/e;
    my @variants = (
        [ 'upper-case hex', ['Novu-Signature' => $upper] ],
        [ 'a space after the comma', ['Novu-Signature' =>
                                          join ', ', split /,/, $sig] ],
        [ 'a bogus second t=', ['Novu-Signature' => "$sig,t=1"] ],
        [ 'the fallback header', ['X-Novu-Signature' => $sig] ],
        [ 'both headers', ['Novu-Signature' => 't=1,v1=00',
                           'X-Novu-Signature' => $sig] ],
        [ 'a second Novu-Signature', ['Novu-Signature' => $sig,
                                      'Novu-Signature' => $sig] ],
    );
    my $c = checks();
    for (@variants) {
        my ($name, $headers) = @$_;
        my $r = send_to($lb, $m, headers => $headers);
        my @a = arrivals($r);
        $c->ok($r->{status} == 401 && "@a" eq '0 0',
               "$name: $r->{status}, arrivals @a");
    }
    $c->done('novu: a copy re-encoded to steer it elsewhere is refused');
}

# ---------------------------------------------------------------- key=id

{
    my (@msgs, %on);
    @bad = ();
    for (1 .. 12) {
        my $m = standard_message();
        my $r = send_to($lb, $m);
        push @bad, "$r->{status}" if $r->{status} != 200;
        $m->{edge} = $r->{headers}{'x-edge'} // '';
        $on{$m->{edge}}++;
        push @msgs, $m;
    }
    for my $m (@msgs) {
        my $r = send_to($lb, $m);
        my @a = arrivals($r);
        push @bad, "copy on " . ($r->{headers}{'x-edge'} // '-')
                   . ": $r->{status} $r->{body} @a"
            unless $r->{status} == 200
                   && $r->{body} eq '{"status":"duplicate"}'
                   && ($r->{headers}{'x-edge'} // '') eq $m->{edge}
                   && "@a" eq '0 0';
    }
    my $c = checks();
    $c->is("@bad", '', 'each first copy 200, each copy a duplicate');
    $c->ok($on{edge0} && $on{edge1}, 'both edges used: '
           . join(', ', map { "$_ $on{$_}" } sort keys %on));
    my $r = send_to($lb, $msgs[0], headers => [@{$msgs[0]{headers}}[2 .. 5]]);
    $c->is($r->{status}, 401, 'no webhook-id: not routed, 401');
    $c->done('standard_webhooks: hash $http_webhook_id consistent, key=id');
}

{
    my $d = delivered();
    my @twice = grep { $d->{$_} > 1 } keys %$d;
    my ($direct) = map { sha256_hex($_->{body}) } grep { $_->{direct} }
                   @novu;
    my $c = checks();
    $c->is(scalar keys %$d, 30 + 12, 'every message arrived');
    $c->same(\@twice, [$direct], 'none twice');
    $c->done('every message reached an application once (but the one'
             . ' sent straight to the other edge)');
}

# ---------------------------------------------------------------- a ring change

{
    # edge1 leaves: its messages now hash to edge0, which never saw them
    ok($lb->reload($BALANCER, vars => { SERVERS => servers($edges[0]) }),
       'the balancer reloaded without edge1');
    my ($moved) = grep { $_->{edge} eq 'edge1' && !$_->{direct} } @novu;
    my ($stayed) = grep { $_->{edge} eq 'edge0' && !$_->{direct} } @novu;
    my $c = checks();
    my $r = send_to($lb, $moved);
    $c->is($r->{status}, 200, 'a copy of a message edge1 saw passes once');
    $r = send_to($lb, $moved);
    $c->is($r->{status}, 401, 'then edge0 refuses it too');
    $r = send_to($lb, $stayed);
    $c->is($r->{status}, 401, 'a message edge0 saw is still refused');
    $c->done('an edge leaves the ring: only its messages move, and a copy'
             . ' of each passes once (the README says so)');
}

$lb->finish;
$_->finish for @edges;

done_testing;
