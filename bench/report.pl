#!/usr/bin/env perl
# SPDX-License-Identifier: BSD-2-Clause
#
# Turns the result files of bench/run.sh into a Markdown report with the
# issue's targets judged.  Usage: report.pl RESULT_DIR
#
# Ratios and extra CPU are taken per round (each configuration's run against
# the baseline run of the same round, which ran moments apart), then the
# median over rounds: slow drifts of a shared machine cancel out.

use strict;
use warnings;

my $dir = shift or die "usage: report.pl RESULT_DIR\n";

my @CONFIGS = qw(baseline module rotation njs lua);
my %SIZE_NAME = (0 => '0 B', 1024 => '1 KiB', 65536 => '64 KiB',
                 1048576 => '1 MiB');

sub rows {
    my ($file) = @_;
    open my $fh, '<', "$dir/$file" or return ();
    my @head = split ' ', scalar <$fh>;
    my @rows;
    while (<$fh>) {
        my %row;
        @row{@head} = split;
        push @rows, \%row;
    }
    return @rows;
}

sub median {
    my @v = sort { $a <=> $b } @_;
    return undef unless @v;
    return @v % 2 ? $v[$#v / 2] : ($v[@v / 2 - 1] + $v[@v / 2]) / 2;
}

sub fmt { defined $_[0] ? sprintf($_[1] // '%.2f', $_[0]) : 'n/a' }

sub verdict { $_[0] ? '**met**' : '**not met**' }

# --- speed ---------------------------------------------------------------

my (%run, %sizes);   # $run{size}{config}{round} = row
for my $r (rows('speed.tsv')) {
    $run{$r->{size}}{$r->{config}}{$r->{round}} = $r;
    $sizes{$r->{size}} = 1;
}
my @sizes = sort { $a <=> $b } keys %sizes;

my %floor = map { $_->{size} => $_->{openssl_us} } rows('floor.tsv');

# A run during which the hypervisor stole more than this share of the
# machine's CPU time (its other guests at work) is not a quiet run.
my $STEAL_LIMIT = 2;
my $MIN_QUIET_ROUNDS = 3;

sub quiet { my $ok = 1; $ok &&= ($_->{steal} // 0) <= $STEAL_LIMIT for @_; $ok }

# Per-round figures paired with the baseline's run of the same round, then
# medians; only rounds whose compared runs all pass $keep.
sub speed_stats {
    my ($keep) = @_;
    my (%stat, %pass);
    for my $size (@sizes) {
        my $base = $run{$size}{baseline};
        for my $config (@CONFIGS) {
            my $runs = $run{$size}{$config} or next;
            my (@rps, @cpu, @ratio, @extra, @user, @sys, @steal);
            for my $round (sort { $a <=> $b } keys %$runs) {
                my ($r, $b) = ($runs->{$round}, $base->{$round});
                next unless $b && $keep->($r, $b);
                push @rps, $r->{rps};
                push @cpu, $r->{cpu_us};
                push @user, $r->{user_us};
                push @sys, $r->{sys_us};
                push @steal, $r->{steal} // 0;
                push @ratio, $r->{rps} / $b->{rps};
                push @extra, $r->{cpu_us} - $b->{cpu_us};
            }
            next unless @rps;
            $stat{$size}{$config} = {
                rps => median(@rps), cpu => median(@cpu),
                ratio => median(@ratio), extra => median(@extra),
                user => median(@user), sys => median(@sys),
                steal => median(@steal), rounds => scalar @rps,
            };
        }

        # What one HMAC pass costs inside the worker: rotation hashes every
        # body twice, module once, the rest is the same; and what the
        # module adds besides that pass.
        my ($one, $two) = map { $run{$size}{$_} } qw(module rotation);
        next unless $base && $one && $two;
        my (@hmac, @besides);
        for my $round (keys %$one) {
            my @runs = ($base->{$round}, $one->{$round}, $two->{$round});
            next if grep { !defined } @runs;
            next unless $keep->(@runs);
            my $hmac = $runs[2]{cpu_us} - $runs[1]{cpu_us};
            push @hmac, $hmac;
            push @besides, $runs[1]{cpu_us} - $runs[0]{cpu_us} - $hmac;
        }
        $pass{$size} = { hmac => median(@hmac), besides => median(@besides),
                         rounds => scalar @hmac } if @hmac;
    }
    return (\%stat, \%pass);
}

my ($all_stat, $all_pass) = speed_stats(sub { 1 });
my ($quiet_stat, $quiet_pass) = speed_stats(\&quiet);

# Targets are judged on quiet rounds where there are enough of them.
my $enough_quiet = 1;
for my $size (@sizes) {
    my $q = $quiet_stat->{$size}{module};
    $enough_quiet = 0 unless $q && $q->{rounds} >= $MIN_QUIET_ROUNDS;
}
my ($judged, %stat, %pass) = $enough_quiet ? 'quiet rounds' : 'all rounds';
%stat = %{ $enough_quiet ? $quiet_stat : $all_stat };
%pass = %{ $enough_quiet ? $quiet_pass : $all_pass };

local $/;
my $machine = '';
if (open my $fh, '<', "$dir/machine.txt") { $machine = <$fh> }
my $core = '';
if (open my $fh, '<', "$dir/core.txt") { $core = <$fh> }
$/ = "\n";

print "## Machine\n\n```\n$machine```\n\n";

sub print_speed_table {
    my ($stat) = @_;
    print "| body | config | rounds | requests/s | ratio | worker CPU µs/req | user | sys | extra µs/req | steal % |\n";
    print "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n";
    for my $size (@sizes) {
        for my $config (@CONFIGS) {
            my $s = $stat->{$size}{$config} or next;
            printf "| %s | %s | %d | %s | %s | %s | %s | %s | %s | %s |\n",
                $SIZE_NAME{$size} // $size, $config, $s->{rounds},
                fmt($s->{rps}, '%.0f'), fmt($s->{ratio}, '%.3f'),
                fmt($s->{cpu}), fmt($s->{user}), fmt($s->{sys}),
                $config eq 'baseline' ? '' : fmt($s->{extra}), fmt($s->{steal}, '%.1f');
        }
    }
}

print "## Throughput and worker CPU per request\n\n";
print "Medians over rounds. *ratio*: requests/s over the baseline's in the"
    . " same round; *extra*: worker CPU µs per request minus the baseline's"
    . " in the same round; *steal*: share of the machine's CPU time the"
    . " hypervisor gave to other guests during the run.\n\n";
print "### All rounds\n\n";
print_speed_table($all_stat);
print "\n### Quiet rounds\n\n";
print "Only the rounds in which the compared runs (the configuration's and"
    . " the baseline's) each had at most $STEAL_LIMIT% steal.\n\n";
if (%$quiet_stat) {
    print_speed_table($quiet_stat);
} else {
    print "None.\n";
}
print "\nTargets below are judged on $judged"
    . ($enough_quiet ? '' : " (fewer than $MIN_QUIET_ROUNDS quiet rounds for some size:"
                            . " the machine was busy with other guests)")
    . ".\n\n";

# --- floor ---------------------------------------------------------------

my (%core_us, %keyed_us);
for (split /\n/, $core) {
    $core_us{$1} = [$2, $3] if /^core (\d+) bytes: ([\d.]+) us\/verification, ([\d.]+) MB/;
    $keyed_us{$1} = [$2, $3] if /^core-keyed (\d+) bytes: ([\d.]+) us\/verification, ([\d.]+) MB/;
}
print "\n## Cryptographic floor\n\n";
print "CPU time per verification of the core alone (bench/core_bench.cpp):"
    . " *keyed*, a secret without variables, keyed once; *per request*,"
    . " a secret with variables, keyed for each request.\n\n";
print "| body | HMAC-SHA256 µs (`openssl speed -hmac sha256`) | core keyed µs | core keyed MB/s | core per-request key µs |\n";
print "|---|---:|---:|---:|---:|\n";
for my $size (sort { $a <=> $b } keys %core_us) {
    printf "| %s | %s | %s | %s | %s |\n", $SIZE_NAME{$size} // $size,
        fmt($floor{$size}, '%.2f'), fmt($keyed_us{$size}[0]),
        fmt($keyed_us{$size}[1], '%.0f'), fmt($core_us{$size}[0]);
}

if (%pass) {
    print "\n## One HMAC pass inside the worker\n\n";
    print "*rotation* hashes every body twice (two secrets, the matching one"
        . " second), *module* once: their difference, per round, is what one"
        . " HMAC pass over the body costs inside a busy worker (caches shared"
        . " with the kernel's and nginx's work), next to `openssl speed`'s"
        . " hot loop. *besides* is the module's extra CPU minus that pass:"
        . " what verifying costs beyond the hashing.\n\n";
    print "| body | HMAC µs (`openssl speed`) | HMAC pass in the worker µs | module extra µs | besides the HMAC µs |\n";
    print "|---|---:|---:|---:|---:|\n";
    for my $size (sort { $a <=> $b } keys %pass) {
        printf "| %s | %s | %s | %s | %s |\n", $SIZE_NAME{$size} // $size,
            fmt($floor{$size}), fmt($pass{$size}{hmac}),
            fmt($stat{$size}{module}{extra}), fmt($pass{$size}{besides});
    }
}

# --- profile ---------------------------------------------------------------

sub object_label {
    my ($dso) = @_;
    return 'kernel' if $dso =~ /kernel/;
    return 'module' if $dso =~ /webhook_signature/;
    return 'libcrypto (SHA-256)' if $dso =~ /^libcrypto/;
    return 'libc' if $dso =~ /^libc\./;
    return 'libstdc++' if $dso =~ /^libstdc\+\+/;
    return 'nginx' if $dso eq 'nginx';
    return 'other';
}

my (%prof, %prof_sizes);
for my $r (rows('profile.tsv')) {
    $prof{$r->{size}}{object_label($r->{object})}{$r->{config}} += $r->{us_per_req};
    $prof_sizes{$r->{size}} = 1;
}
if (%prof) {
    my @order = ('kernel', 'nginx', 'libc', 'libcrypto (SHA-256)', 'module', 'libstdc++', 'other');
    print "\n## Where the worker's CPU goes (perf)\n\n";
    print "µs per request by shared object, from perf samples of the worker"
        . " over one run per configuration (not paired over rounds: a"
        . " snapshot). An object's share moves little with noise elsewhere,"
        . " so *module* and *libcrypto* show what verifying costs by itself.\n\n";
    print "| body | object | baseline | module | difference |\n|---|---|---:|---:|---:|\n";
    for my $size (sort { $a <=> $b } keys %prof_sizes) {
        my %total;
        for my $object (@order) {
            my $c = $prof{$size}{$object} or next;
            my ($b, $m) = map { $c->{$_} // 0 } qw(baseline module);
            $total{baseline} += $b;
            $total{module} += $m;
            printf "| %s | %s | %.2f | %.2f | %+.2f |\n", $SIZE_NAME{$size} // $size,
                $object, $b, $m, $m - $b;
        }
        printf "| %s | **all** | %.2f | %.2f | %+.2f |\n", $SIZE_NAME{$size} // $size,
            $total{baseline}, $total{module}, $total{module} - $total{baseline};
    }
}

# --- memory --------------------------------------------------------------

# median peak over the repeats, per configuration and number of connections
my (%mem, %peaks, %anon);
for my $r (rows('memory.tsv')) {
    push @{$peaks{$r->{connections}}{$r->{config}}}, $r->{peak_rss_kb};
    push @{$anon{$r->{connections}}{$r->{config}}}, $r->{peak_rss_kb} - $r->{rss_file_kb};
}
for my $c (keys %peaks) {
    for my $config (keys %{$peaks{$c}}) {
        $mem{$c}{$config} = { peak_rss_kb => median(@{$peaks{$c}{$config}}),
                              anon_kb => median(@{$anon{$c}{$config}}) };
    }
}
my @levels = sort { $a <=> $b } keys %mem;

# KiB over the baseline at a number of connections: VmHWM and anonymous
sub over_baseline {
    my ($c, $config) = @_;
    my ($m, $b) = ($mem{$c}{$config}, $mem{$c}{baseline});
    return unless $m && $b;
    return ($m->{peak_rss_kb} - $b->{peak_rss_kb}, $m->{anon_kb} - $b->{anon_kb});
}

if (%mem) {
    print "\n## Peak RSS of the worker, 1 MiB bodies in memory\n\n";
    print "Median of the repeats; each starts a fresh worker. *anonymous*:"
        . " VmHWM minus the file-backed pages (RssFile: code of nginx and of"
        . " the libraries it touched, shared with every other process), i.e."
        . " the peak of request memory. *growth per connection*: how much"
        . " more the excess over the baseline is at the higher number of"
        . " connections, per added connection; a copy of each body would"
        . " make it about 1024 KiB.\n\n";
    print "| config | connections | VmHWM KiB | over baseline KiB | anonymous peak KiB | over baseline KiB |\n";
    print "|---|---:|---:|---:|---:|---:|\n";
    for my $config (@CONFIGS) {
        for my $c (@levels) {
            my $m = $mem{$c}{$config} or next;
            my @over = $config eq 'baseline' ? ('', '') : over_baseline($c, $config);
            printf "| %s | %d | %d | %s | %d | %s |\n", $config, $c,
                $m->{peak_rss_kb}, $over[0], $m->{anon_kb}, $over[1];
        }
    }
    if (@levels == 2) {
        my ($lo, $hi) = @levels;
        print "\n| config | VmHWM excess growth per connection KiB | anonymous excess growth per connection KiB |\n";
        print "|---|---:|---:|\n";
        for my $config (grep { $_ ne 'baseline' } @CONFIGS) {
            my @l = over_baseline($lo, $config) or next;
            my @h = over_baseline($hi, $config) or next;
            printf "| %s | %.1f | %.1f |\n", $config,
                ($h[0] - $l[0]) / ($hi - $lo), ($h[1] - $l[1]) / ($hi - $lo);
        }
    }
}

# --- callgrind -----------------------------------------------------------

my %cg;
$cg{$_->{size}}{$_->{config}} = $_->{instructions} for rows('callgrind.tsv');
if (%cg) {
    print "\n## Instructions per request (callgrind, one nginx process)\n\n";
    print "| body | baseline | module | extra |\n|---|---:|---:|---:|\n";
    for my $size (sort { $a <=> $b } keys %cg) {
        my ($b, $m) = @{$cg{$size}}{qw(baseline module)};
        printf "| %s | %d | %d | %d |\n", $SIZE_NAME{$size} // $size, $b, $m, $m - $b;
    }
}

# --- targets -------------------------------------------------------------

print "\n## Targets\n\n";
for my $size (@sizes) {
    my $s = $stat{$size}{module} or next;
    next unless defined $floor{$size};
    my $limit = $floor{$size} + 2;
    printf "- %s: module's extra CPU %s µs/req, limit HMAC %.2f + 2 = %.2f µs: %s\n",
        $SIZE_NAME{$size}, fmt($s->{extra}), $floor{$size}, $limit,
        verdict($s->{extra} <= $limit);
}
if (my $s = $stat{1024}{module}) {
    printf "- 1 KiB throughput ratio %s, limit 0.95: %s\n", fmt($s->{ratio}, '%.3f'),
        verdict($s->{ratio} >= 0.95);
}
if ((my $s = $stat{65536}{module}) && defined $floor{65536}) {
    my $limit = $floor{65536} + 5;
    printf "- 64 KiB extra CPU %s µs/req, limit HMAC %.2f + 5 = %.2f µs (throughput ratio %s): %s\n",
        fmt($s->{extra}), $floor{65536}, $limit, fmt($s->{ratio}, '%.3f'),
        verdict($s->{extra} <= $limit);
}
if (my $s = $stat{1024}{module}) {
    my @peers = grep { defined } map { $stat{1024}{$_} ? $stat{1024}{$_}{extra} : undef } qw(njs lua);
    if (@peers) {
        my ($best) = sort { $a <=> $b } @peers;
        printf "- 1 KiB module extra %s µs vs best peer's %s µs (1/8 = %.2f): %s\n",
            fmt($s->{extra}), fmt($best), $best / 8, verdict($s->{extra} <= $best / 8);
    }
}
for my $c (@levels) {
    my ($over, $over_anon) = over_baseline($c, 'module') or next;
    my $limit = 64 * $c;
    printf "- peak RSS (VmHWM) over baseline at %d connections %d KiB, limit 64 KiB x %d = %d KiB: %s\n",
        $c, $over, $c, $limit, verdict($over <= $limit);
    printf "- anonymous peak over baseline at %d connections %d KiB, same limit: %s\n",
        $c, $over_anon, verdict($over_anon <= $limit);
}
