#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
#
# Judges a soak run (hardening/soak/soak.sh) from what nginx logged, what
# reached the upstream and what the load generators saw; prints the figures
# and exits non-zero if any check failed.
#
#   judge.pl <work dir> <target request count>
use strict;
use warnings;

my ($work, $target) = @ARGV;
die "usage: $0 <work dir> <target>\n" unless defined $target;

my $failed = 0;
sub check {
    my ($ok, $what) = @_;
    printf "  %-4s %s\n", $ok ? 'ok' : 'FAIL', $what;
    $failed++ unless $ok;
    return $ok;
}

sub lines {
    my ($file) = @_;
    open my $fh, '<', $file or die "$file: $!\n";
    return <$fh>;
}

sub facts {
    my %f;
    for (lines("$_[0]/facts")) { my ($k, @v) = split; $f{$k} = \@v }
    return \%f;
}

# What each category must end as: status and $webhook_signature_result.
my %EXPECT = (valid => [200, 'ok'], forged => [401, 'mismatch'], stale => [401, 'stale'],
              malformed => [401, 'malformed'], missing => [401, 'missing']);

# A request cut off by a load generator stopping (the end of a wrk run):
# nginx logs 499 (client closed while proxying) or 400 (closed while the
# body was read).  Allowed only up to the connections open at that moment.
sub aborted { $_[0] == 499 || $_[0] == 400 }

# front.log: "kind status result upstream_addr protocol"
sub judge_front {
    my ($dir, $allowed_aborts) = @_;
    my (%cat, %proto, %wrong, $fivexx, $forwarded, $forwarded_bad, $aborts, $total, $large);
    $_ = 0 for $fivexx, $forwarded, $forwarded_bad, $aborts, $total, $large;
    for (lines("$dir/front.log")) {
        my ($kind, $status, $result, $upstream, $proto) = split;
        my ($category) = $kind =~ /^([a-z]+)-/ or next;
        $total++;
        $cat{$category}++;
        $proto{$proto}++;
        $large++ if $kind =~ /large/;
        $fivexx++ if $status >= 500;
        if ($upstream ne '-') {
            $forwarded++;
            $forwarded_bad++ unless $category eq 'valid' && $result eq 'ok';
        }
        if (aborted($status)) { $aborts++; next }
        my ($want_status, $want_result) = @{$EXPECT{$category}};
        $wrong{"$category -> $status $result"}++
            if $status != $want_status || $result ne $want_result;
    }
    my @up = lines("$dir/../" . ($dir =~ /reload$/ ? 'reload-upstream' : 'upstream') . "/upstream.log");
    my $up_bad = grep { !/^valid-/ } @up;

    printf "  requests: %d (%s)\n", $total,
        join(', ', map { "$_ $proto{$_}" } sort keys %proto);
    printf "  by category: %s; %d with a large (temp-file) body\n",
        join(', ', map { "$_ $cat{$_}" } sort keys %cat), $large;
    check(!%wrong, "every request judged as its kind (valid 200 ok, forged 401 mismatch, "
                 . "stale 401 stale, malformed 401 malformed, missing 401 missing)")
        or print map { "         $_: $wrong{$_}\n" } sort keys %wrong;
    check($forwarded_bad == 0, "no request other than a verified valid one was forwarded ($forwarded_bad)");
    check(@up == $forwarded && $up_bad == 0,
          sprintf("the upstream got exactly the forwarded requests: %d of %d, %d not valid",
                  scalar @up, $forwarded, $up_bad));
    check($fivexx == 0, "no 5xx ($fivexx)");
    check($aborts <= $allowed_aborts,
          "requests cut off when a load generator stopped: $aborts (at most $allowed_aborts)");
    return $total;
}

# wrk.out: "SOAK kind status count" and "SOAK-ERRORS connect read write timeout"
sub judge_wrk {
    my ($dir) = @_;
    my (%bad, $responses, $errors);
    $_ = 0 for $responses, $errors;
    for (lines("$dir/wrk.out")) {
        if (/^SOAK (\S+) (\d+) (\d+)$/) {
            my ($kind, $status, $n) = ($1, $2, $3);
            $responses += $n;
            my ($category) = $kind =~ /^([a-z]+)-/;
            $bad{"$kind $status"} += $n
                if !$category || $status != $EXPECT{$category}[0];
        } elsif (/^SOAK-ERRORS (\d+) (\d+) (\d+) (\d+)$/) {
            $errors += $1 + $2 + $3 + $4;
        }
    }
    print "  wrk (HTTP/1.1): $responses responses\n";
    check(!%bad, "wrk: every response had its kind's status")
        or print map { "         $_: $bad{$_}\n" } sort keys %bad;
    check($errors == 0, "wrk: no connect, read, write or timeout error (no request lost): $errors");
}

# h2.out: "H2RUN kind", then h2load's "requests:" and "status codes:" lines.
sub judge_h2 {
    my ($dir) = @_;
    my ($kind, $runs, $total, $lost, %bad) = ('', 0, 0, 0);
    for (lines("$dir/h2.out")) {
        if (/^H2RUN (\S+)/) { $kind = $1; $runs++ }
        elsif (/^requests: (\d+) total.* (\d+) failed, (\d+) errored, (\d+) timeout/) {
            $total += $1;
            $lost += $3 + $4;
        } elsif (my @n = /^status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx/) {
            my ($category) = $kind =~ /^([a-z]+)-/;
            my $want = $EXPECT{$category}[0] == 200 ? $n[0] : $n[2];
            my $all = $n[0] + $n[1] + $n[2] + $n[3];
            $bad{$kind} += $all - $want if $want != $all;
        } elsif (/h2load failed/) {
            $bad{"$kind: h2load failed"}++;
        }
    }
    print "  h2load (HTTP/2): $total requests in $runs runs\n";
    check($runs > 0 && $total > 0, "h2load ran");
    check(!%bad, "h2load: every response had its kind's status")
        or print map { "         $_: $bad{$_}\n" } sort keys %bad;
    check($lost == 0, "h2load: no errored or timed-out request: $lost");
}

sub judge_error_log {
    my ($dir) = @_;
    my @bad = grep { /exited on signal|\[(alert|crit|emerg)\]/ } lines("$dir/error.log");
    check(!@bad, "no worker died, no [alert], [crit] or [emerg] in the error log")
        or print map { "         $_" } @bad[0 .. ($#bad < 4 ? $#bad : 4)];
}

print "soak (build/soak/soak):\n";
my $f = facts("$work/soak");
my $rounds = () = grep { /^Running/ } lines("$work/soak/wrk.out");
my $total = judge_front("$work/soak", 16 * $rounds);
check($total >= $target, "at least $target requests: $total in $f->{seconds}[0] s ("
      . int($total / ($f->{seconds}[0] || 1)) . " req/s)");
judge_wrk("$work/soak");
judge_h2("$work/soak");
judge_error_log("$work/soak");
check("@{$f->{workers_start}}" eq "@{$f->{workers_end}}",
      "the worker is the same process at the end: @{$f->{workers_start}} -> @{$f->{workers_end}}");
my ($n1, $rss1) = @{$f->{rss_first}};
my ($n2, $rss2) = @{$f->{rss_last}};
check(defined $rss1 && $rss1 > 0 && $rss2 - $rss1 < 1024,
      sprintf("worker RSS growth %d KiB (< 1024) from %d KiB after %d requests to %d KiB after %d",
              $rss2 - ($rss1 // 0), $rss1 // 0, $n1, $rss2, $n2));
check($f->{fds}[1] - $f->{fds}[0] <= 64,
      "worker file descriptors once idle: $f->{fds}[1], at the start $f->{fds}[0] (+ at most 64 upstream keepalive)");
check($f->{temp_files}[0] == 0, "no request body temp file left behind: $f->{temp_files}[0]");

print "reload under load (build/soak/reload):\n";
my $r = facts("$work/reload");
check($r->{reloads}[1] == $r->{reloads}[0],
      "nginx -s reload $r->{reloads}[0] times, new workers each time: $r->{reloads}[1]");
judge_front("$work/reload", 8);
judge_wrk("$work/reload");
judge_error_log("$work/reload");

print $failed ? "soak: $failed check(s) FAILED\n" : "soak: all checks passed\n";
exit($failed ? 1 : 0);
