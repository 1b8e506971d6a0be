#!/usr/bin/env perl
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

# per-round paired figures against the baseline of the same round
my (%stat);
for my $size (@sizes) {
    my $base = $run{$size}{baseline};
    for my $config (@CONFIGS) {
        my $runs = $run{$size}{$config} or next;
        my (@rps, @cpu, @ratio, @extra, @user, @sys);
        for my $round (sort { $a <=> $b } keys %$runs) {
            my $r = $runs->{$round};
            push @rps, $r->{rps};
            push @cpu, $r->{cpu_us};
            push @user, $r->{user_us};
            push @sys, $r->{sys_us};
            next unless $base->{$round};
            push @ratio, $r->{rps} / $base->{$round}{rps};
            push @extra, $r->{cpu_us} - $base->{$round}{cpu_us};
        }
        $stat{$size}{$config} = {
            rps => median(@rps), cpu => median(@cpu),
            ratio => median(@ratio), extra => median(@extra),
            user => median(@user), sys => median(@sys),
            rounds => scalar @rps,
        };
    }
}

# What one HMAC pass costs inside the worker: rotation hashes every body
# twice, module once, the rest is the same; and what the module adds
# besides that pass.  Both paired by round.
my %pass;
for my $size (@sizes) {
    my ($base, $one, $two) = map { $run{$size}{$_} } qw(baseline module rotation);
    next unless $base && $one && $two;
    my (@hmac, @besides);
    for my $round (keys %$one) {
        next unless $base->{$round} && $two->{$round};
        my $hmac = $two->{$round}{cpu_us} - $one->{$round}{cpu_us};
        push @hmac, $hmac;
        push @besides, $one->{$round}{cpu_us} - $base->{$round}{cpu_us} - $hmac;
    }
    $pass{$size} = { hmac => median(@hmac), besides => median(@besides) };
}

local $/;
my $machine = '';
if (open my $fh, '<', "$dir/machine.txt") { $machine = <$fh> }
my $core = '';
if (open my $fh, '<', "$dir/core.txt") { $core = <$fh> }
$/ = "\n";

print "## Machine\n\n```\n$machine```\n\n";

print "## Throughput and worker CPU per request\n\n";
print "Medians over rounds. *ratio*: requests/s over the baseline's in the"
    . " same round; *extra*: worker CPU µs per request minus the baseline's"
    . " in the same round.\n\n";
print "| body | config | requests/s | ratio | worker CPU µs/req | user | sys | extra µs/req |\n";
print "|---|---|---:|---:|---:|---:|---:|---:|\n";
for my $size (@sizes) {
    for my $config (@CONFIGS) {
        my $s = $stat{$size}{$config} or next;
        printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n", $SIZE_NAME{$size} // $size,
            $config, fmt($s->{rps}, '%.0f'), fmt($s->{ratio}, '%.3f'),
            fmt($s->{cpu}), fmt($s->{user}), fmt($s->{sys}),
            $config eq 'baseline' ? '' : fmt($s->{extra});
    }
}

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

# --- memory --------------------------------------------------------------

# median peak over the repeats, per configuration
my (%mem, %peaks, %anon);
for my $r (rows('memory.tsv')) {
    push @{$peaks{$r->{config}}}, $r->{peak_rss_kb};
    push @{$anon{$r->{config}}}, $r->{peak_rss_kb} - $r->{rss_file_kb};
    $mem{$r->{config}} = { connections => $r->{connections} };
}
for (keys %peaks) {
    $mem{$_}{peak_rss_kb} = median(@{$peaks{$_}});
    $mem{$_}{anon_kb} = median(@{$anon{$_}});
}
if (%mem) {
    print "\n## Peak RSS of the worker, 1 MiB bodies in memory\n\n";
    print "Median of the repeats; each starts a fresh worker. *anonymous*:"
        . " VmHWM minus the file-backed pages (RssFile: code of nginx and of"
        . " the libraries it touched, shared with every other process), i.e."
        . " the peak of request memory.\n\n";
    print "| config | VmHWM KiB | over baseline KiB | per connection KiB | anonymous peak KiB | over baseline KiB | per connection KiB |\n";
    print "|---|---:|---:|---:|---:|---:|---:|\n";
    for my $config (@CONFIGS) {
        my $m = $mem{$config} or next;
        my $over = $m->{peak_rss_kb} - $mem{baseline}{peak_rss_kb};
        my $over_anon = $m->{anon_kb} - $mem{baseline}{anon_kb};
        my $base = $config eq 'baseline';
        printf "| %s | %d | %s | %s | %d | %s | %s |\n", $config, $m->{peak_rss_kb},
            $base ? '' : $over,
            $base ? '' : sprintf('%.1f', $over / $m->{connections}),
            $m->{anon_kb}, $base ? '' : $over_anon,
            $base ? '' : sprintf('%.1f', $over_anon / $m->{connections});
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
for my $size (sort { $a <=> $b } keys %pass) {
    printf "- %s: module's extra CPU besides one HMAC pass in the worker %s µs/req, limit 2 µs: %s\n",
        $SIZE_NAME{$size}, fmt($pass{$size}{besides}),
        verdict($pass{$size}{besides} <= 2);
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
if ($mem{module} && $mem{baseline}) {
    my $over = $mem{module}{peak_rss_kb} - $mem{baseline}{peak_rss_kb};
    my $over_anon = $mem{module}{anon_kb} - $mem{baseline}{anon_kb};
    my $limit = 64 * $mem{module}{connections};
    printf "- peak RSS (VmHWM) over baseline %d KiB, limit 64 KiB x %d connections = %d KiB: %s\n",
        $over, $mem{module}{connections}, $limit, verdict($over <= $limit);
    printf "- anonymous peak (VmHWM - RssFile) over baseline %d KiB, same limit: %s\n",
        $over_anon, verdict($over_anon <= $limit);
}
