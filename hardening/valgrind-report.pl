#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
#
# Judges the valgrind logs of a `VALGRIND=1 ./build.sh test` run (one log a
# process: vg.<pid>): fails on any memcheck error, and on any definite leak
# whose allocation stack goes through the module (its functions or the
# core's).  Leaks of nginx's own by-design allocations are counted and
# printed, not judged: nginx does not free its cycle at exit.
#
#   hardening/valgrind-report.pl <log dir>
use strict;
use warnings;

my $dir = shift or die "usage: $0 <valgrind log dir>\n";
my @logs = glob "$dir/vg.*";
die "no valgrind logs in $dir: did nginx run under valgrind?\n" unless @logs;

my $MODULE = qr/ngx_http_webhook_signature|webhook::|ws_check_|ngx_http_webhook_signature_module\.so/;
my ($errors, $module_leaks, $other_leaks, $processes) = (0, 0, 0, 0);
my @shown;

for my $log (@logs) {
    open my $fh, '<', $log or die "$log: $!";
    my $text = do { local $/; <$fh> };
    next unless $text =~ /ERROR SUMMARY: (\d+) errors/;
    $processes++;
    if ($1 > 0) {
        $errors += $1;
        push @shown, "$log:\n$text";
    }
    # Loss records are paragraphs: "N bytes in M blocks are definitely lost
    # in loss record X of Y" followed by the allocation stack.
    for my $record (split /\n==\d+== \n/, $text) {
        next unless $record =~ /definitely lost in loss record/;
        if ($record =~ $MODULE) {
            $module_leaks++;
            push @shown, "$log:\n$record";
        } else {
            $other_leaks++;
        }
    }
}

printf "valgrind: %d nginx processes checked, %d memcheck errors, "
     . "%d definite leaks from the module, %d from nginx itself (by design)\n",
       $processes, $errors, $module_leaks, $other_leaks;
print STDERR join("\n", @shown[0 .. ($#shown < 4 ? $#shown : 4)]), "\n" if @shown;
die "no process finished under valgrind (no ERROR SUMMARY in $dir)\n" unless $processes;
exit($errors || $module_leaks ? 1 : 0);
