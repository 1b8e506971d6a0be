#!/usr/bin/env perl
# SPDX-License-Identifier: BSD-2-Clause
#
# Turns bench/tls.sh's runs (tls.tsv) into the Markdown table of tls.md.
# Usage: tls-report.pl TLS_TSV TICKS_PER_SECOND MACHINE_TXT [FLOOR_TSV]
#
# Ratios and extra CPU are taken per round (module against the plain run of
# the same round, moments apart), then the median over rounds; the spread
# is the lowest and the highest round.

use strict;
use warnings;

my ($tsv, $hz, $machine, $floor) = @ARGV;
die "usage: tls-report.pl TLS_TSV TICKS_PER_SECOND MACHINE_TXT [FLOOR_TSV]\n" unless $hz;

my %PROTOCOL = (h1 => 'HTTP/1.1', h2 => 'HTTP/2');
my %SIZE_NAME = (1024 => '1 KiB', 65536 => '64 KiB', 1048576 => '1 MiB');

sub median {
    my @v = sort { $a <=> $b } @_;
    return @v % 2 ? $v[$#v / 2] : ($v[@v / 2 - 1] + $v[@v / 2]) / 2;
}

sub size_name { $SIZE_NAME{$_[0]} // "$_[0] B" }

open my $fh, '<', $tsv or die "$tsv: $!\n";
my @head = split ' ', scalar <$fh>;
my (%run, @pairs, %seen, %tls);   # $run{protocol}{size}{config}{round} = row
while (<$fh>) {
    my %row;
    @row{@head} = split;
    # µs of CPU per request, from the ticks (reported) and from schedstat
    $row{us} = $row{ticks} * 1e6 / $hz / $row{requests};
    $row{ns_us} = $row{ns} / 1e3 / $row{requests};
    $run{$row{protocol}}{$row{size}}{$row{config}}{$row{round}} = \%row;
    push @pairs, "$row{protocol} $row{size}" unless $seen{"$row{protocol} $row{size}"}++;
    $tls{$row{tls}} = 1;
}
close $fh;

# per pair of protocol and size: medians and the per-round spread, from
# the given per-request figure (us or ns_us)
sub stats {
    my ($protocol, $size, $field) = @_;
    my $runs = $run{$protocol}{$size};
    my (@plain, @module, @ratio, @extra, @others, @steal, @reached);
    for my $round (sort { $a <=> $b } keys %{$runs->{plain}}) {
        my ($p, $m) = ($runs->{plain}{$round}, $runs->{module}{$round});
        next unless $p && $m && $p->{$field} > 0;
        push @plain, $p->{$field};
        push @module, $m->{$field};
        push @ratio, $m->{$field} / $p->{$field};
        push @extra, $m->{$field} - $p->{$field};
        push @others, $p->{others} // 0, $m->{others} // 0;
        push @steal, $p->{steal} // 0, $m->{steal} // 0;
        push @reached, map { $_->{rate} ? $_->{rps} * 100 / $_->{rate} : 100 } $p, $m;
    }
    return unless @ratio;
    my @r = sort { $a <=> $b } @ratio;
    my @e = sort { $a <=> $b } @extra;
    return { rounds => scalar @ratio, requests => $runs->{plain}{1}{requests},
             plain => median(@plain), module => median(@module),
             ratio => median(@ratio), extra => median(@extra),
             ratio_lo => $r[0], ratio_hi => $r[-1],
             extra_lo => $e[0], extra_hi => $e[-1],
             others => median(@others), others_hi => (sort { $a <=> $b } @others)[-1],
             steal => median(@steal), rate => $runs->{plain}{1}{rate} // 0,
             reached => (sort { $a <=> $b } @reached)[0] };
}

# sorted by protocol, then size
@pairs = sort { my @a = split ' ', $a; my @b = split ' ', $b;
                $a[0] cmp $b[0] || $a[1] <=> $b[1] } @pairs;

print "## A TLS front: the worker's CPU per request\n\n";
if ($machine && open my $m, '<', $machine) {
    print map { "- $_" } <$m>;
    print "- TLS: ", join(', ', sort keys %tls), "\n\n";
}
print "Median over the rounds; *ratio* and *extra* are taken per round"
    . " (module against the plain run of the same round), the spread is"
    . " the lowest and the highest round's. CPU from /proc/PID/stat"
    . " (utime + stime, in clock ticks of ", 1000 / $hz, " ms).\n\n";
print "| protocol | body | requests/run (per s) | plain µs CPU/request | module µs CPU/request"
    . " | ratio module/plain | extra µs | spread over rounds (ratio; extra µs) |\n";
print "|---|---|---:|---:|---:|---:|---:|---|\n";
for my $pair (@pairs) {
    my ($protocol, $size) = split ' ', $pair;
    my $s = stats($protocol, $size, 'us') or next;
    printf "| %s | %s | %d (%s) | %.2f | %.2f | %.3f | %.2f | %.3f–%.3f; %.2f–%.2f (%d rounds) |\n",
        $PROTOCOL{$protocol} // $protocol, size_name($size), $s->{requests},
        $s->{rate} ? $s->{rate} : 'max',
        $s->{plain}, $s->{module}, $s->{ratio}, $s->{extra},
        $s->{ratio_lo}, $s->{ratio_hi}, $s->{extra_lo}, $s->{extra_hi}, $s->{rounds};
}

# the HMAC alone (openssl speed), per size
my %hmac;
if ($floor && open my $f, '<', $floor) {
    scalar <$f>;
    while (<$f>) {
        my ($size, $us) = split;
        $hmac{$size} = $us;
    }
}
if (%hmac) {
    print "\nThe HMAC-SHA256 of the body alone, on the worker's CPU (`openssl speed`): ",
        join(', ', map { sprintf '%s %.2f µs', size_name($_), $hmac{$_} }
                   sort { $a <=> $b } keys %hmac), ".\n";
}

print "\nThe same runs timed by the scheduler (/proc/PID/schedstat, ns): a"
    . " check on the ticks' resolution. *others*: the share of the worker's"
    . " CPU busy with anything but the worker during a run (median, highest;"
    . " the loopback's softirqs included), *steal*: taken by the hypervisor"
    . " (median); both make the worker's CPU time noisier. *rate kept*: the"
    . " slowest run's requests per second, in % of the rate asked for (below"
    . " ~95 the client fell behind, and that run's arrivals were not"
    . " the others').\n\n";
print "| protocol | body | plain µs | module µs | ratio | extra µs | spread (ratio) | others % | steal % | rate kept % |\n";
print "|---|---|---:|---:|---:|---:|---|---:|---:|---:|\n";
for my $pair (@pairs) {
    my ($protocol, $size) = split ' ', $pair;
    my $s = stats($protocol, $size, 'ns_us') or next;
    printf "| %s | %s | %.2f | %.2f | %.3f | %.2f | %.3f–%.3f | %.1f (%.1f) | %.1f | %s |\n",
        $PROTOCOL{$protocol} // $protocol, size_name($size),
        $s->{plain}, $s->{module}, $s->{ratio}, $s->{extra},
        $s->{ratio_lo}, $s->{ratio_hi}, $s->{others}, $s->{others_hi}, $s->{steal},
        $s->{rate} ? sprintf('%.0f', $s->{reached}) : 'n/a';
}
