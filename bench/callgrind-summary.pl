#!/usr/bin/env perl
# SPDX-License-Identifier: BSD-2-Clause
#
# Reads one callgrind dump (the format of valgrind's docs, "Callgrind
# Format Specification": name compression, calls= lines followed by the
# call's inclusive cost) and prints, for bench/instructions.sh, what the
# instruction measure needs, as tab-separated lines:
#
#   total   IR                      the dump's summary: every instruction
#   clock   IR                      of those, nginx's time strings (below)
#   allocator IR                    of those, the allocator's own (below)
#   allocs  CALLS                   calls into the allocator (below)
#   object  OBJECT  SELF            instructions executed in each object
#   site    OBJECT  CALLER  CALLEE  CALLS   allocator calls by call site
#   fn      OBJECT  FUNCTION  SELF  INCLUSIVE  CALLS
#   call    OBJECT  FUNCTION  CALLEE_OBJECT  CALLEE  CALLS  INCLUSIVE
#
#   callgrind-summary.pl DUMP
#
# allocs counts the calls into malloc, calloc, realloc, the memalign family
# and operator new from outside them (operator new calling malloc is one
# allocation, not two).  allocator is what those calls and the calls to
# free and operator delete cost inside: glibc's malloc does more or less
# work for the same call depending on the heap's history (which chunks are
# free, where), so two locations making the same calls in one process
# differ by a few hundred instructions a request, either way, and a change
# anywhere in the process moves that; bench/instructions.sh leaves it out
# and counts the calls instead (libc's object figure is without it).
#
# clock: nginx formats its cached time strings again whenever the
# wall-clock second changes (ngx_time_update calling ngx_gmtime,
# ngx_sprintf and ngx_localtime), a few thousand instructions once per
# second of the run's wall-clock time.  Under callgrind a request that
# hashes 1 MiB takes about a second, so that cost is a matter of how long
# valgrind took, not of the code measured: bench/instructions.sh leaves it
# out of every figure (it is printed so that this can be checked).

use strict;
use warnings;

my $file = shift or die "usage: callgrind-summary.pl DUMP\n";
open my $fh, '<', $file or die "callgrind-summary: $file: $!\n";

my (%names, $ob, $fn, $cob, $cfn, $pending_calls);
my ($summary, $totals);
my (%self, %calls_edge, %incl_edge, %calls_into);

# "(12) name" defines id 12 of that kind, "(12)" refers to it
sub name {
    my ($kind, $spec) = @_;
    if ($spec =~ /\A\((\d+)\)(?: (.*))?\z/) {
        $names{$kind}{$1} = $2 if defined $2;
        return $names{$kind}{$1} // "?$1";
    }
    return $spec;
}

while (my $line = <$fh>) {
    chomp $line;
    if ($line =~ /\A(c?)(ob|fn|fl|fi|fe)=(.*)\z/) {
        my ($call, $kind, $spec) = ($1, $2, $3);
        # files share one name table, as do objects and functions
        my $table = $kind eq 'ob' ? 'ob' : $kind eq 'fn' ? 'fn' : 'fl';
        my $name = name($table, $spec);
        if ($call) {
            $cob = $name if $kind eq 'ob';
            $cfn = $name if $kind eq 'fn';
        } elsif ($kind eq 'ob') {
            $ob = $name;
        } elsif ($kind eq 'fn') {
            $fn = $name;
            $cob = undef;
        }
        next;
    }
    if ($line =~ /\Acalls=(\d+)/) {
        $pending_calls = $1;
        next;
    }
    if ($line =~ /\A(?:[-+]?\d+|\*|[-+]0x[0-9a-f]+|0x[0-9a-f]+)\s+(\d+)/) {
        my $cost = $1;
        if (defined $pending_calls) {
            # the inclusive cost of the calls just announced
            my $callee = ($cob // $ob) . "\t$cfn";
            my $caller = "$ob\t$fn";
            $calls_edge{$caller}{$callee} += $pending_calls;
            $incl_edge{$caller}{$callee} += $cost;
            $calls_into{$callee} += $pending_calls;
            $pending_calls = undef;
            $cob = undef;       # cob= holds for the next call only
        } else {
            $self{"$ob\t$fn"} += $cost;
        }
        next;
    }
    $summary = $1 if $line =~ /\Asummary:\s+(\d+)/;
    $totals = $1 if $line =~ /\Atotals:\s+(\d+)/;
}
close $fh;

my $total = $summary // $totals // die "callgrind-summary: no summary in $file\n";

sub func_of { (split /\t/, $_[0], 2)[1] }

my $ALLOC = qr/\A(?:(?:__libc_|__GI___libc_|__GI___)?(?:malloc|calloc|realloc|reallocarray
                      |memalign|valloc|pvalloc)
                   |(?:__)?posix_memalign|aligned_alloc|_mid_memalign
                   |operator\ new(?:\[\])?\(.*)
                (?:\.(?:constprop|part|isra|cold)\.\d+)*\z/x;

my $FREE = qr/\A(?:(?:__libc_|__GI___libc_)?(?:free|cfree)
                  |operator\ delete(?:\[\])?\(.*)
               (?:\.(?:constprop|part|isra|cold)\.\d+)*\z/x;

sub allocator { func_of($_[0]) =~ $ALLOC || func_of($_[0]) =~ $FREE }

my $CLOCK = qr/\A(?:ngx_gmtime|ngx_sprintf|ngx_localtime)\z/;

my ($allocs, $clock, $allocator) = (0, 0, 0);
my (%site, %incl, %object, %allocator_in);

for my $caller (keys %calls_edge) {
    my $outgoing = 0;
    for my $callee (keys %{$calls_edge{$caller}}) {
        $outgoing += $incl_edge{$caller}{$callee};
        if (func_of($callee) =~ $ALLOC && func_of($caller) !~ $ALLOC) {
            $allocs += $calls_edge{$caller}{$callee};
            $site{$caller}{func_of($callee)} += $calls_edge{$caller}{$callee};
        }
        if (allocator($callee) && !allocator($caller)) {
            $allocator += $incl_edge{$caller}{$callee};
            $allocator_in{(split /\t/, $callee)[0]} += $incl_edge{$caller}{$callee};
        }
        if (func_of($caller) eq 'ngx_time_update' && func_of($callee) =~ $CLOCK) {
            $clock += $incl_edge{$caller}{$callee};
        }
    }
    $incl{$caller} = $outgoing;
}

$object{(split /\t/, $_)[0]} += $self{$_} for keys %self;
$object{$_} -= $allocator_in{$_} for keys %allocator_in;

print "total\t$total\n";
print "clock\t$clock\n";
print "allocator\t$allocator\n";
print "allocs\t$allocs\n";
print "object\t$_\t$object{$_}\n" for sort { $object{$b} <=> $object{$a} } keys %object;
for my $caller (sort keys %site) {
    print "site\t$caller\t$_\t$site{$caller}{$_}\n" for sort keys %{$site{$caller}};
}
for my $caller (sort keys %calls_edge) {
    for my $callee (sort keys %{$calls_edge{$caller}}) {
        print "call\t$caller\t$callee\t$calls_edge{$caller}{$callee}\t$incl_edge{$caller}{$callee}\n";
    }
}
my %all = map { $_ => 1 } keys %self, keys %incl;
for my $f (sort keys %all) {
    my $self = $self{$f} // 0;
    printf "fn\t%s\t%d\t%d\t%d\n", $f, $self, $self + ($incl{$f} // 0),
           $calls_into{$f} // 0;
}
