# SPDX-License-Identifier: BSD-2-Clause

package Harness::Cmd;

# Runs a command without a shell and captures what it prints:
#   my ($rc, $out, $err) = run_cmd(@cmd);
#   my ($rc, $out, $err) = run_cmd({ env => { NAME => value } }, @cmd);
# $rc is the exit code, $out its stdout, $err its stderr.

use strict;
use warnings;
use Exporter 'import';
use File::Temp qw(tempfile);
use POSIX ();

our @EXPORT = qw(run_cmd);

sub run_cmd {
    my $opt = ref $_[0] eq 'HASH' ? shift : {};
    my @cmd = @_;
    my ($efh, $efile) = tempfile(UNLINK => 1);
    my $pid = open(my $fh, '-|') // die "fork: $!";
    if (!$pid) {
        open STDERR, '>&', $efh or POSIX::_exit(126);
        my $env = $opt->{env} || {};
        @ENV{keys %$env} = values %$env;
        { exec @cmd }
        print STDERR "exec $cmd[0]: $!\n";
        POSIX::_exit(127);
    }
    my $out = do { local $/; <$fh> } // '';
    close $fh;
    my $rc = $? >> 8;
    my $err = do { local $/; open my $r, '<', $efile; <$r> } // '';
    return ($rc, $out, $err);
}

1;
