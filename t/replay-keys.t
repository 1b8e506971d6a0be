#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
#
# What makes two copies the same message for a replay zone, where an
# independent review found holes: a secret rotation (the copy recorded
# under the old secret is found after the new one was put first), two
# senders sharing a zone with key=id (one's ids never refuse the other's
# messages), Twilio URLs spelt another way (the key is the URL the sender
# signed), a verified request redirected into a location with a replay
# zone (try_files, error_page: looked up there), ttl= shorter than twice
# the tolerance (records live at least that long), and a reload that
# resizes a zone (its delivered records are carried over), and
# webhook_signature_replay off below a level that records.

use strict;
use warnings;
use Test::More;
use MIME::Base64 qw(encode_base64 decode_base64);
use Digest::SHA qw(hmac_sha1 hmac_sha256);
use Harness;

my ($A, $B) = ('rotation-secret-old-Aa1', 'rotation-secret-new-Bb2');
my $W1 = 'whsec_' . encode_base64('standard-sender-one-key-01', '');
my $W2 = 'whsec_' . encode_base64('standard-sender-two-key-02', '');
my $TW = 'twilio-replay-token-Cc3';

my $CONF = <<'EOF';
    webhook_signature_replay_zone wh:%%WH_SIZE%%;
    webhook_signature_replay_zone tw:1m ttl=1h;
    webhook_signature_replay_zone short:1m ttl=1s;
    webhook_signature_replay_zone mix:32k;

    server {
        listen 127.0.0.1:%%PORT%%;
        server_name localhost;

        location /novu {
            webhook_signature novu;
%%NOVU_SECRETS%%
            webhook_signature_replay wh;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /one {
            webhook_signature standard_webhooks;
            webhook_signature_secret "%%W1%%";
            webhook_signature_replay wh key=id;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /two {
            webhook_signature standard_webhooks;
            webhook_signature_secret "%%W2%%";
            webhook_signature_replay wh key=id;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /tw/ {
            webhook_signature twilio;
            webhook_signature_secret "%%TW%%";
            webhook_signature_url "https://public.example.com$request_uri";
            webhook_signature_replay tw;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /tf {
            webhook_signature novu;
            webhook_signature_secret "%%A%%";
            root %%PREFIX%%/html;
            try_files /nonexistent @app;
        }

        location @app {
            webhook_signature novu;
            webhook_signature_secret "%%A%%";
            webhook_signature_replay wh;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /nested {
            webhook_signature novu;
            webhook_signature_secret "%%A%%";
            webhook_signature_replay wh;
            proxy_pass http://%%UPSTREAM%%;

            location /nested/off {
                webhook_signature_replay off;
                proxy_pass http://%%UPSTREAM%%;
            }
        }

        location /b {
            webhook_signature novu;
            webhook_signature_secret "%%B%%";
            webhook_signature_replay wh;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /ab {
            webhook_signature novu;
            webhook_signature_secret "%%A%%";
            webhook_signature_secret "%%B%%";
            webhook_signature_replay wh;
            proxy_pass http://%%UPSTREAM%%;
        }

%%MIX%%

        location /ttl {
            webhook_signature novu;
            webhook_signature_secret "%%A%%";
            webhook_signature_tolerance 3s;
            webhook_signature_replay short;
            proxy_pass http://%%UPSTREAM%%;
        }
    }
EOF

sub secrets {
    join "\n", map { "            webhook_signature_secret \"$_\";" } @_;
}

my $h = Harness->new;

# two lifetimes in the zone "mix", in the order given
sub mix {
    $h->expand(join "\n", map { <<"EOF" } @_);
        location /$_ {
            webhook_signature novu;
            webhook_signature_secret "$A";
            webhook_signature_tolerance @{[ $_ eq 'long' ? '1h' : '1s' ]};
            webhook_signature_replay mix;
            proxy_pass http://%%UPSTREAM%%;
        }
EOF
}

my %VARS = (A => $A, B => $B, W1 => $W1, W2 => $W2, TW => $TW,
            WH_SIZE => '1m', MIX => mix('long', 'short'));
$h->run($CONF, vars => { %VARS, NOVU_SECRETS => secrets($A) });

my $n = 0;
sub novu_copy {
    my ($secret) = @_;
    my $body = '{"n":' . ++$n . '}';
    return { body => $body, headers => [novu_headers($secret, now_s(), $body)] };
}

sub send_copy {
    my ($m, $uri, %o) = @_;
    return $h->request(uri => $uri, body => $m->{body}, no_tid => $o{no_tid},
                       headers => $o{headers} || $m->{headers}, %o);
}

# the status, and how many times it reached the upstream
sub outcome {
    my ($r) = @_;
    return "$r->{status} " . scalar(() = $h->upstream_for($r));
}

# ---------------------------------------------------------------- rotation

{
    my $m = novu_copy($A);
    my $c = checks();
    $c->is(outcome(send_copy($m, '/novu')), '200 1', 'first copy forwarded');
    $c->is(outcome(send_copy($m, '/novu')), '401 0', 'a copy refused');
    $c->ok($h->reload($CONF, vars => { %VARS,
                                       NOVU_SECRETS => secrets($B, $A) }),
           'reload: the new secret first, the old one second');
    $c->is(outcome(send_copy($m, '/novu')), '401 0',
           'the copy recorded under the old secret is still refused');
    my $fresh = novu_copy($A);
    $c->is(outcome(send_copy($fresh, '/novu')), '200 1',
           'a new message signed with the old secret is forwarded');
    $c->is(outcome(send_copy($fresh, '/novu')), '401 0', 'and its copy not');
    my $new = novu_copy($B);
    $c->is(outcome(send_copy($new, '/novu')), '200 1', 'new secret: first');
    $c->ok($h->reload($CONF, vars => { %VARS, NOVU_SECRETS => secrets($B) }),
           'reload: the old secret removed');
    $c->is(outcome(send_copy($new, '/novu')), '401 0',
           'a copy of a message verified with the new secret is refused');
    $c->is(outcome(send_copy($fresh, '/novu')), '401 0',
           'a copy of one signed with the old secret no longer verifies');
    $c->done('a secret rotation does not reopen the replay window');
}

# ---------------------------------------------------------------- key=id

sub standard_copy {
    my ($secret, $id, $body) = @_;
    my $t = now_s();
    my $mac = encode_base64(hmac_sha256("$id.$t.$body",
                                        decode_base64(substr $secret, 6)), '');
    return { body => $body, headers => ['webhook-id' => $id,
             'webhook-timestamp' => $t, 'webhook-signature' => "v1,$mac"] };
}

{
    my $id = 'msg_' . int(rand 1e9);
    my $c = checks();
    $c->is(outcome(send_copy(standard_copy($W1, $id, '{"s":1}'), '/one')),
           '200 1', 'sender one, id forwarded');
    $c->is(outcome(send_copy(standard_copy($W2, $id, '{"s":2}'), '/two')),
           '200 1', 'sender two, the same id in the same zone: forwarded');
    my $dup = send_copy(standard_copy($W2, $id, '{"s":2}'), '/two');
    $c->is(outcome($dup), '200 0', 'sender two again: a duplicate');
    $c->is($dup->{body}, '{"status":"duplicate"}', 'its body');
    $c->done('key=id: two senders sharing a zone never share an id');
}

# ---------------------------------------------------------------- twilio

{
    my $form = 'Body=hello&From=%2B15551234567';
    my $path = '/tw/sms?tid=tw1&x=1';
    my $sig = encode_base64(hmac_sha1("https://public.example.com$path"
                                      . 'Bodyhello' . 'From+15551234567',
                                      $TW), '');
    my @headers = ('X-Twilio-Signature' => $sig,
                   'Content-Type' => 'application/x-www-form-urlencoded');
    my $c = checks();
    my @got = map { $h->request(uri => $_, no_tid => 1,
                                host => 'public.example.com', body => $form,
                                headers => \@headers)->{status} }
              $path, $path, '/tw/sms?tid=tw1&x=%31',
              '/tw/z/../sms?tid=tw1&x=1', '/tw/sms?tid=%74w1&x=1';
    my $arrivals = grep { $_->{uri} =~ /tid=(tw1|%74w1)/ }
                   $h->upstream_requests;
    $c->is("@got", '200 401 401 401 401',
           'the first copy forwarded, the others refused');
    $c->is($arrivals, 1, 'one arrival in all');
    my @replays = $h->error_lines(qr/check failed: replay \(scheme: twilio\)/);
    $c->is(scalar @replays, 4, 'each refused as a replay (each verified)');
    $c->done('twilio: a copy whose URL is spelt another way is the same');
}

# ---------------------------------------------------------------- redirects

{
    my $m = novu_copy($A);
    my $c = checks();
    $c->is(outcome(send_copy($m, '/tf')), '200 1',
           'verified in /tf, recorded in @app (try_files)');
    $c->is(outcome(send_copy($m, '/tf')), '401 0', 'its copy refused');
    my @l = $h->failure_lines(send_copy($m, '/tf'));
    $c->like($l[0] // '', qr/check failed: replay \(scheme: novu\)/,
             'logged as a replay');
    $c->done('a request redirected into a location with a replay zone is'
             . ' looked up and recorded there');
}

# ---------------------------------------------------------------- ttl=

{
    my $m = novu_copy($A);
    my $c = checks();
    $c->is(outcome(send_copy($m, '/ttl')), '200 1', 'first copy');
    sleep 1.5;
    $c->is(outcome(send_copy($m, '/ttl')), '401 0',
           'after ttl=1s, within the 3 s tolerance: still refused');
    $c->done('ttl= shorter than twice the tolerance does not shorten it');
}

# ---------------------------------------------------------------- secret lists

{
    my $m = novu_copy($B);
    my $c = checks();
    $c->is(outcome(send_copy($m, '/ab')), '200 1',
           'verified by the second of two secrets');
    $c->is(outcome(send_copy($m, '/b')), '401 0',
           'a copy where that secret is the only one: refused');
    $m = novu_copy($B);
    $c->is(outcome(send_copy($m, '/b')), '200 1', 'the other way round');
    $c->is(outcome(send_copy($m, '/ab')), '401 0', 'refused');
    $c->done('locations sharing a zone with other secret lists: a copy is'
             . ' found by the secret that verified it');
}

# ---------------------------------------------------------------- off

{
    my $m = novu_copy($A);
    my $c = checks();
    $c->is(outcome(send_copy($m, '/nested/off')), '200 1', 'off: first');
    $c->is(outcome(send_copy($m, '/nested/off')), '200 1', 'off: a copy');
    $c->is(outcome(send_copy($m, '/nested')), '200 1', 'enclosing: first');
    $c->is(outcome(send_copy($m, '/nested')), '401 0', 'enclosing: a copy');
    $c->done('webhook_signature_replay off cancels an enclosing level\'s');
}

# ---------------------------------------------------------------- resize

{
    my $m = novu_copy($B);
    my $c = checks();
    $c->is(outcome(send_copy($m, '/novu')), '200 1', 'first copy');
    $c->ok($h->reload($CONF, vars => { %VARS, WH_SIZE => '2m',
                                       NOVU_SECRETS => secrets($B) }),
           'reload: the zone resized from 1m to 2m');
    $c->is(outcome(send_copy($m, '/novu')), '401 0',
           'a copy of a message delivered before is still refused');
    my @l = $h->error_lines(qr/"wh": \d+ records carried over/);
    $c->like($l[0] // '', qr/\[notice\].*"wh": [1-9]\d* records carried/,
             'logged at notice');
    $c->done('a reload that resizes a zone keeps its delivered records');
}

# ---------------------------------------------------------------- resize,
# with a request in flight

{
    my $m = novu_copy($B);
    my $delayed = sub { scalar grep { $_->{uri} =~ /[?&]delay=2\b/ }
                               $h->upstream_requests };
    my $before = $delayed->();
    my $pid = fork() // die "fork: $!";
    if ($pid == 0) {
        send_copy($m, '/novu?delay=2', timeout => 10);
        exit 0;
    }
    # in flight once the upstream has it (a loaded machine takes a while)
    for (1 .. 200) {
        last if $delayed->() > $before;
        select(undef, undef, undef, 0.05);
    }
    $h->{tid}++;                # the child sent with the tid after ours
    my $c = checks();
    $c->ok($delayed->() > $before, 'the request in flight reached the upstream');
    $c->ok($h->reload($CONF, vars => { WH_SIZE => '4m' }),
           'reload: resized while a request is in flight');
    $c->is(outcome(send_copy($m, '/novu')), '429 0',
           'a copy to the new workers: in flight (429)');
    waitpid($pid, 0);
    $c->is(substr(outcome(send_copy($m, '/novu')), 0, 1), '4',
           'after it was answered, a copy is still refused');
    $c->done('a resize carries records in flight over, pending');
}

# ---------------------------------------------------------------- reordered
# lifetimes: records of another lifetime in a queue after a reload

{
    my $long = novu_copy($A);
    my $c = checks();
    $c->is(outcome(send_copy($long, '/long')), '200 1', 'a long-lived record');
    $c->ok($h->reload($CONF, vars => { MIX => mix('short', 'long') }),
           'reload: the locations in the other order');
    my ($n, $x) = (0, undef);
    for (1 .. 400) {
        $x = send_copy(novu_copy($A), '/short');
        last if $x->{status} != 200;
        $n++;
    }
    $c->is($x->{status}, 503, "full after $n short-lived records");
    sleep 3.5;
    $c->is(send_copy(novu_copy($A), '/short')->{status}, 200,
           'once they expired there is room again');
    $c->is(outcome(send_copy($long, '/long')), '401 0',
           'the long-lived record is still there');
    $c->done('a reload that reorders lifetimes: a full zone still drops'
             . ' every expired record');
}

$h->finish(expected => qr/\[alert\].* webhook_signature_replay_zone "mix" is full,/);
done_testing;
