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
    for (lines("$_[0]/facts")) {
        my ($k, @v) = split;
        if ($k eq 'generation') { my $g = shift @v; $f{generation}{$_} = $g for @v; next }
        $f{$k} = \@v;
    }
    return \%f;
}

# What each category must end as: status and $webhook_signature_result.
my %EXPECT = (valid => [200, 'ok'], forged => [401, 'mismatch'], stale => [401, 'stale'],
              malformed => [401, 'malformed'], missing => [401, 'missing']);
# A copy of a valid message that the replay zone refused: status, result
# and its letter below.
my %REFUSED = (401 => ['replay', 'R'], 429 => ['inflight', 'I']);

# A request cut off by a load generator stopping (the end of a wrk run):
# nginx logs 499 (client closed while proxying) or 400 (closed while the
# body was read).  Allowed only up to the connections open at that moment.
sub aborted { $_[0] == 499 || $_[0] == 400 }

sub n { $_[0] // 0 }

# front.log: "kind id status result upstream_addr protocol pid msec";
# upstream.log: "kind id request_length Novu-Signature X-Webhook-Signature".
# <generation> maps a worker's pid to the reload it came with (0: the first).
# Returns the counts that the load generators' figures are checked against.
sub judge_front {
    my ($dir, $allowed_aborts, $generation) = @_;
    my (%cat, %proto, %wrong, %h1, %kind, %copies);
    my ($fivexx, $forwarded, $forwarded_bad, $aborts, $total, $large) = (0) x 6;
    for (lines("$dir/front.log")) {
        my ($kind, $id, $status, $result, $upstream, $proto, $pid) = split;
        my ($category) = $kind =~ /^([a-z]+)-/ or next;
        $total++;
        $cat{$category}++;
        $proto{$proto}++;
        $h1{"$kind $status"}++ if $proto eq 'HTTP/1.1';
        $large++ if $kind =~ /large/;
        $fivexx++ if $status >= 500;
        if ($upstream ne '-') {
            $forwarded++;
            $forwarded_bad++ unless $category eq 'valid' && $result eq 'ok';
        }
        # Each copy of a valid message, as a letter and the generation of
        # the worker that answered it: O delivered (200 ok, forwarded),
        # R replay, I inflight (refused, not forwarded), A or a (forwarded)
        # cut off.
        my $letter;
        if (aborted($status)) {
            $aborts++;
            $letter = $upstream ne '-' ? 'a' : 'A';
        } elsif ($category eq 'valid') {
            $letter = $status == 200 && $result eq 'ok' && $upstream ne '-' ? 'O'
                    : $REFUSED{$status} && $REFUSED{$status}[0] eq $result && $upstream eq '-'
                    ? $REFUSED{$status}[1] : undef;
            $wrong{"$category -> $status $result" . ($upstream eq '-' ? '' : ' forwarded')}++
                unless $letter;
        } else {
            my ($want_status, $want_result) = @{$EXPECT{$category}};
            $wrong{"$category -> $status $result"}++
                if $status != $want_status || $result ne $want_result;
        }
        next unless $category eq 'valid' && $letter;
        $kind{$kind}{messages}++ unless exists $copies{$id};
        $kind{$kind}{$letter}++;
        $copies{$id} .= $letter . n($generation->{$pid}) . ' ';
    }

    my (%up, %sig);
    my ($up_lines, $up_bad, $sig_twice) = (0) x 3;
    my $upstream = "$dir/../" . ($dir =~ /reload$/ ? 'reload-upstream' : 'upstream') . "/upstream.log";
    for (lines($upstream)) {
        my ($kind, $id, $length, $novu, $nk) = split;
        $up_lines++;
        $up_bad++ unless $kind =~ /^valid-/;
        $up{$id}++;
        $sig_twice++ if $sig{$novu ne '-' ? $novu : $nk}++;
    }

    # Per message: exactly one copy delivered, the others refused (a copy
    # cut off may leave none delivered, and may itself have reached the
    # upstream); it reached the upstream as often as the front forwarded it.
    my ($messages, $copy_count, $bad, $up_differs, $twice, $twice_cut, $later_gen) = (0) x 7;
    my @examples;
    for my $id (keys %copies) {
        my @c = split ' ', $copies{$id};
        my %n;
        $n{substr $_, 0, 1}++ for @c;
        $messages++;
        $copy_count += @c - 1;
        unless (n($n{O}) == 1 || (n($n{O}) == 0 && n($n{A}) + n($n{a}) > 0)) {
            $bad++;
            push @examples, "id $id: $copies{$id}" if @examples < 5;
        }
        $up_differs++ if n($up{$id}) != n($n{O}) + n($n{a});
        if (n($up{$id}) > 1) { $n{a} ? $twice_cut++ : $twice++ }
        # refused by a worker that came with a later reload than the one
        # that delivered the message: the record outlived a reload
        my ($delivered) = map { substr $_, 1 } grep { /^O/ } @c;
        $later_gen += grep { /^[RI]/ && substr($_, 1) > $delivered } @c if defined $delivered;
    }
    my $up_unknown = grep { $_ eq '-' || !exists $copies{$_} } keys %up;

    printf "  requests: %d (%s)\n", $total,
        join(', ', map { "$_ $proto{$_}" } sort keys %proto);
    printf "  by category: %s; %d with a large (temp-file) body\n",
        join(', ', map { "$_ $cat{$_}" } sort keys %cat), $large;
    check(!%wrong, "every request judged as its kind (valid 200 ok, or a copy 401 replay / 429 inflight; "
                 . "forged 401 mismatch, stale 401 stale, malformed 401 malformed, missing 401 missing)")
        or print map { "         $_: $wrong{$_}\n" } sort keys %wrong;
    check($forwarded_bad == 0, "no request other than a verified valid one was forwarded ($forwarded_bad)");
    check($up_lines == $forwarded && $up_bad == 0,
          sprintf("the upstream got exactly the forwarded requests: %d of %d, %d not valid",
                  $up_lines, $forwarded, $up_bad));
    my %r = (R => 0, I => 0);
    for my $k (values %kind) { $r{$_} += n($k->{$_}) for qw(R I) }
    printf "  valid messages: %d, %d more copies: %d refused replay (401), %d inflight (429)\n",
        $messages, $copy_count, $r{R}, $r{I};
    check($bad == 0, "every valid message delivered by exactly one copy (200, forwarded), "
                   . "every other copy refused, not forwarded: $bad otherwise")
        or print map { "         $_\n" } @examples;
    check($up_differs == 0 && $up_unknown == 0,
          "every valid message reached the upstream as often as the front forwarded it "
          . "(once): $up_differs otherwise, $up_unknown unknown there");
    check($twice == 0 && $sig_twice == 0,
          "no message reached the upstream twice, by id ($twice"
          . ($twice_cut ? "; $twice_cut after a copy cut off" : '') . ") or by signature ($sig_twice)");
    check($fivexx == 0, "no 5xx, no zone_full ($fivexx)");
    check($aborts <= $allowed_aborts,
          "requests cut off when a load generator stopped: $aborts (at most $allowed_aborts)");
    return { total => $total, h1 => \%h1, kind => \%kind, messages => $messages,
             later_gen => $later_gen, copies => \%copies };
}

# wrk.out: "SOAK kind status count" and "SOAK-ERRORS connect read write timeout"
# With <front> (the soak, each request once): wrk's counts are the front's.
sub judge_wrk {
    my ($dir, $front) = @_;
    my (%bad, %seen, $responses, $errors);
    $_ = 0 for $responses, $errors;
    for (lines("$dir/wrk.out")) {
        if (/^SOAK (\S+) (\d+) (\d+)$/) {
            my ($kind, $status, $n) = ($1, $2, $3);
            $responses += $n;
            $seen{"$kind $status"} += $n;
            my ($category) = $kind =~ /^([a-z]+)-/;
            $bad{"$kind $status"} += $n
                unless $category && ($status == $EXPECT{$category}[0]
                                     || ($category eq 'valid' && $REFUSED{$status}));
        } elsif (/^SOAK-ERRORS (\d+) (\d+) (\d+) (\d+)$/) {
            $errors += $1 + $2 + $3 + $4;
        }
    }
    print "  wrk (HTTP/1.1): $responses responses\n";
    check(!%bad, "wrk: every response had its kind's status (a valid message's copies 401 or 429)")
        or print map { "         $_: $bad{$_}\n" } sort keys %bad;
    check($errors == 0, "wrk: no connect, read, write or timeout error (no request lost): $errors");
    return unless $front;
    my %h1 = %{$front->{h1}};
    my @differ = grep { n($seen{$_}) != n($h1{$_}) } sort keys %{{ %seen, %h1 }};
    check(!@differ, "wrk saw every response the front logged over HTTP/1.1, kind by kind and status by status")
        or print map { "         $_: wrk " . n($seen{$_}) . ", front " . n($h1{$_}) . "\n" } @differ[0 .. ($#differ < 9 ? $#differ : 9)];
}

# h2.out: "H2RUN kind id count", then h2load's "requests:" and "status
# codes:" lines.  A valid message's run: one 2xx, the other copies 4xx.
# Returns kind => [runs, copies] of the valid messages' runs.
sub judge_h2 {
    my ($dir) = @_;
    my ($kind, $count, $runs, $total, $lost, %bad, %valid) = ('', 0, 0, 0, 0);
    for (lines("$dir/h2.out")) {
        if (/^H2RUN (\S+) (\S+) (\d+)/) {
            ($kind, $count) = ($1, $3);
            $runs++;
            if ($kind =~ /^valid-/) { $valid{$kind}[0]++; $valid{$kind}[1] += $count - 1 }
        } elsif (/^requests: (\d+) total.* (\d+) failed, (\d+) errored, (\d+) timeout/) {
            $total += $1;
            $lost += $3 + $4;
        } elsif (my @n = /^status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx/) {
            my $all = $n[0] + $n[1] + $n[2] + $n[3];
            my $right = $kind =~ /^valid-/ ? $n[0] == 1 && $n[2] == $count - 1 && $all == $count
                                           : $n[2] == $all;
            $bad{$kind}++ unless $right;
        } elsif (/h2load failed/) {
            $bad{"$kind: h2load failed"}++;
        }
    }
    print "  h2load (HTTP/2): $total requests in $runs runs\n";
    check($runs > 0 && $total > 0, "h2load ran");
    check(!%bad, "h2load: every response had its kind's status (a valid message's run: one 2xx, its other copies 4xx)")
        or print map { "         $_: $bad{$_} runs\n" } sort keys %bad;
    check($lost == 0, "h2load: no errored or timed-out request: $lost");
    return \%valid;
}

# plan: sign.pl's "kind requests copies" lines of every round, against the
# front's valid messages and copies, kind by kind, HTTP/1.1 and HTTP/2.
sub judge_plan {
    my ($dir, $front, $h2) = @_;
    my (%plan, @differ);
    for (lines("$dir/plan")) {
        my ($kind, $requests, $copies) = split;
        $plan{$kind}[0] += $requests;
        $plan{$kind}[1] += $copies;
    }
    my $sent = 0;
    $sent += $_->[0] for values %plan;
    my $h1 = 0;
    $h1 += $_ for values %{$front->{h1}};
    check($h1 == $sent, "every request of the rounds' pools reached the front once over HTTP/1.1: $h1 of $sent");
    for my $kind (sort grep { /^valid-/ } keys %plan) {
        my $k = $front->{kind}{$kind} || {};
        my $want_messages = $plan{$kind}[0] - $plan{$kind}[1] + n($h2->{$kind}[0]);
        my $want_copies = $plan{$kind}[1] + n($h2->{$kind}[1]);
        my $copies = n($k->{R}) + n($k->{I}) + n($k->{A}) + n($k->{a}) + n($k->{O}) - n($k->{messages});
        printf "  %-18s %7d messages, %6d copies: %6d 401 replay, %6d 429 inflight\n",
            $kind, n($k->{messages}), $copies, n($k->{R}), n($k->{I});
        push @differ, "$kind: $k->{messages} messages (sent $want_messages), $copies copies (sent $want_copies)"
            if n($k->{messages}) != $want_messages || $copies != $want_copies;
    }
    check(!@differ, "the counts add up: each kind's messages and copies are what sign.pl made and the load generators sent")
        or print map { "         $_\n" } @differ;
}

sub judge_error_log {
    my ($dir) = @_;
    my @log = lines("$dir/error.log");
    my @bad = grep { /exited on signal|\[(alert|crit|emerg)\]/ } @log;
    check(!@bad, "no worker died, no [alert], [crit] or [emerg] in the error log")
        or print map { "         $_" } @bad[0 .. ($#bad < 4 ? $#bad : 4)];
    my $full = grep { /webhook_signature_replay_zone .* is full/ } @log;
    check($full == 0, "the replay zone was never full: $full \"is full\" alerts");
}

print "soak (build/soak/soak):\n";
my $f = facts("$work/soak");
my $rounds = () = grep { /^Running/ } lines("$work/soak/wrk.out");
my $front = judge_front("$work/soak", 16 * $rounds, {});
my $total = $front->{total};
check($total >= $target, "at least $target requests: $total in $f->{seconds}[0] s ("
      . int($total / ($f->{seconds}[0] || 1)) . " req/s)");
judge_wrk("$work/soak", $front);
my $h2 = judge_h2("$work/soak");
judge_plan("$work/soak", $front, $h2);
judge_error_log("$work/soak");

# The zone: a record takes a 128-byte slab chunk at least, so the zone
# holds at most <size> / 128 of them.  More records than that were made
# and every message was delivered: expired records made room.
my ($zone_bytes, $ttl) = @{$f->{replay_zone}};
my $most = int($zone_bytes / 128);
my $made = $front->{messages};
my $times = $made / $most;
my $what = sprintf("replay records made: %d, %.1f times the most the zone holds (%d MiB / 128 B = %d; "
                   . "record lifetime %d s), every message delivered to the end", $made, $times, $zone_bytes >> 20, $most, $ttl);
if ($target >= 1_000_000) {
    check($times >= 3, "$what (at least 3 times)");
} else {
    print "  --   $what (3 times and more is judged at 1,000,000 requests)\n";
}

check("@{$f->{workers_start}}" eq "@{$f->{workers_end}}",
      "the worker is the same process at the end: @{$f->{workers_start}} -> @{$f->{workers_end}}");
# "<requests> <VmRSS> <RssAnon> <RssShmem>" (KiB): the private part is what
# a leak would grow; the shared part is the zone's pages as they are first
# touched, bounded by its size.
my ($n0, @m0) = @{$f->{rss_start}};
my ($n1, @m1) = @{$f->{rss_first}};
my ($n2, @m2) = @{$f->{rss_last}};
printf "  worker RSS (all / private / shared KiB): %d / %d / %d at the start, "
     . "%d / %d / %d after %d requests, %d / %d / %d after %d\n",
    @m0, @m1, $n1, @m2, $n2;
check(defined $m1[1] && $m1[1] > 0 && $m2[1] - $m1[1] < 1024,
      sprintf("worker private memory (RssAnon) growth %d KiB (< 1024) from %d KiB after %d requests to %d KiB after %d",
              $m2[1] - n($m1[1]), n($m1[1]), $n1, $m2[1], $n2));
# The zone's pages are touched as records first need them: the high-water
# mark of live records, about <new messages a second> x lifetime.
my $shared = 0;
for (lines("$work/soak/samples")) { my @v = split; $shared = $v[3] if @v > 3 && $v[3] > $shared }
printf "  replay zone pages touched (the worker's RssShmem, with nginx's few other shared pages): "
     . "at most %d KiB of %d KiB, about %d records at the high-water mark\n",
    $shared, $zone_bytes >> 10, $shared * 1024 / 128;
check($f->{fds}[1] - $f->{fds}[0] <= 64,
      "worker file descriptors once idle: $f->{fds}[1], at the start $f->{fds}[0] (+ at most 64 upstream keepalive)");
check($f->{temp_files}[0] == 0, "no request body temp file left behind: $f->{temp_files}[0]");

print "reload under load (build/soak/reload):\n";
my $r = facts("$work/reload");
check($r->{reloads}[1] == $r->{reloads}[0],
      "nginx -s reload $r->{reloads}[0] times, new workers each time: $r->{reloads}[1]");
my $reload = judge_front("$work/reload", 8, $r->{generation});
judge_wrk("$work/reload");
judge_error_log("$work/reload");
check($reload->{later_gen} > 0,
      "copies refused by a worker of a later reload than the one that delivered the message: "
      . "$reload->{later_gen} (the records outlived the reloads)");
my ($probe) = grep { /valid-probe/ } lines("$work/reload/front.log");
my ($probe_id) = $probe ? (split ' ', $probe)[1] : ('');
check("@{$r->{probe}}" eq "200 401" && ($reload->{copies}{$probe_id} // '') =~ /^O0 R$r->{reloads}[0] $/,
      "the probe delivered before the first reload was refused after the last: @{$r->{probe}} ("
      . ($reload->{copies}{$probe_id} // 'not logged') =~ s/ $//r . ")");

print $failed ? "soak: $failed check(s) FAILED\n" : "soak: all checks passed\n";
exit($failed ? 1 : 0);
