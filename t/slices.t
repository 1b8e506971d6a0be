#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
#
# SPEC "Outcomes": hashing never blocks the worker.  A large body nginx
# read before the module's turn (here: proxy_pass to a dead port, then
# error_page 502 = into a verifying location) is hashed in bounded slices
# between events, all secrets in one pass over each slice, so another
# request on the same worker is answered meanwhile; the verdict is the
# same as for a body hashed as it is read; a reload meanwhile loses
# nothing.

use strict;
use warnings;
use Test::More;
use POSIX ();
use Time::HiRes qw(time sleep);
use Harness;

my @SECRETS = map { "slices-secret-$_-Ab9z" } 1 .. 8;
my $h = Harness->new;

my %vars = map { ("S$_" => $SECRETS[$_ - 1]) } 1 .. 8;
$h->run(<<'EOF', vars => \%vars);
    server {
        listen 127.0.0.1:%%PORT%%;
        server_name localhost;
        client_body_buffer_size 16k;
        client_max_body_size 64m;

        location /read-first {
            proxy_pass http://127.0.0.1:1;
            error_page 502 = @verify;
        }

        location @verify {
            webhook_signature novu;
            webhook_signature_secret "%%S1%%";
            webhook_signature_secret "%%S2%%";
            webhook_signature_secret "%%S3%%";
            webhook_signature_secret "%%S4%%";
            webhook_signature_secret "%%S5%%";
            webhook_signature_secret "%%S6%%";
            webhook_signature_secret "%%S7%%";
            webhook_signature_secret "%%S8%%";
            proxy_pass http://%%UPSTREAM%%;
        }

        location /quick {
            return 200 "quick\n";
        }
    }
EOF

# Debug lines carry no request context: a request's lines are found by the
# connection number of its request line.
sub conn_of {
    my ($tid) = @_;
    my ($n) = $h->error_log
              =~ /\*(\d+) http request line: "\S+ [^"]*tid=$tid\b/;
    return $n // 'none';
}
sub slice_lines {
    my ($tid) = @_;
    my $n = conn_of($tid);
    my $re = qr/\*$n webhook signature: hashed \d+ body bytes, going on/;
    my @l = $h->error_log =~ /$re/g;
    return scalar @l;
}

sub body_of { my ($mib) = @_; '{"pad":"' . ('s' x ($mib * 1024 * 1024)) . '"}' }

# Sends a forged body of $mib MiB from a child process and returns when
# its hashing has begun: (child pid, its tid).  The child writes the status
# it got to $status_file.
sub forged_in_background {
    my ($mib, $status_file) = @_;
    my $body = body_of($mib);
    my $tid = $h->{tid} + 1;
    my $pid = fork() // die "fork: $!";
    if (!$pid) {
        my $r = $h->request(uri => '/read-first', body => $body,
                            timeout => 120,
                            headers => [novu_headers('attacker', now_ms(),
                                                     $body)]);
        $h->write_file($status_file, "$r->{status}\n");
        POSIX::_exit(0);
    }
    $h->{tid}++;    # the child used this tid

    my $deadline = time + 60 * $Harness::SCALE;
    sleep 0.05 until slice_lines($tid) or time > $deadline;
    return ($pid, $tid);
}

# Several slices, a temp file, the last of eight secrets: byte exact.
{
    my $body = body_of(4);
    my $r = $h->request(uri => '/read-first', body => $body, timeout => 60,
                        headers => [novu_headers($SECRETS[7], now_ms(),
                                                 $body)]);
    $h->passed_ok($r, $body, 'slices: a 4 MiB body read before the module,'
                             . ' hashed in slices, verifies (8th secret)');
    is($h->access_for($r)->{key}, 8, 'slices: ... $webhook_signature_key 8');
    ok(slice_lines($r->{tid}) > 1,
       'slices: ... it took several turns of the event loop');
    my $f = $h->request(uri => '/read-first', body => $body, timeout => 60,
                        headers => [novu_headers('attacker', now_ms(),
                                                 $body)]);
    $h->rejected_ok($f, 'mismatch', 'novu', 'slices: the same body forged'
                    . ' is rejected', upstream_tried => 1);
}

# While a forged 32 MiB body is hashed with 8 secrets, another request on
# the same (only) worker is answered.
{
    my ($pid, $tid) = forged_in_background(32, 'big.status');
    ok(slice_lines($tid), 'slices: the 32 MiB body is being hashed in slices');

    my $q = $h->request(uri => '/quick');
    is($q->{status}, 200, 'slices: meanwhile another request is answered');

    waitpid $pid, 0;
    is($h->file('big.status'), "401\n",
       'slices: the forged 32 MiB body is then rejected');

    my $log = $h->error_log;
    my $n = conn_of($tid);
    my $quick = index $log, "GET /quick?tid=$q->{tid} ";
    my $done = $log =~ /\*$n webhook signature: hashed the whole body/
               ? $-[0] : undef;
    ok(defined $quick && defined $done && $quick >= 0 && $quick < $done,
       'slices: the other request was served before the hashing ended')
        or diag("quick at " . ($quick // 'none') . ", done at "
                . ($done // 'none'));
}

# A reload while a body is being hashed: the old worker finishes it.
{
    my ($pid) = forged_in_background(32, 'reload.status');
    kill 'HUP', $h->{nginx_pid};
    waitpid $pid, 0;
    is($h->file('reload.status'), "401\n",
       'slices: a reload while hashing: the old worker answers (401)');
}

$h->finish;
done_testing;
