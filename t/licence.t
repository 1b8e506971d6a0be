#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
#
# The licence and the house: BSD-2-Clause in LICENSE, an SPDX line in every
# source file (tools/check-spdx.sh), Debian's machine-readable copyright,
# and no placeholder left anywhere.

use strict;
use warnings;
use Test::More;
use FindBin;

my $root = "$FindBin::Bin/..";
plan skip_all => 'not a git checkout' unless -e "$root/.git";

sub slurp { open my $fh, '<', $_[0] or return ''; local $/; <$fh> }

like(slurp("$root/LICENSE"), qr/Redistribution\s and\s use\s in\s source\s and
     \s binary\s forms,\s with\s or\s without\s+modification,
     \s are\s permitted/x,
     'LICENSE is the BSD-2-Clause text');

my $out = `cd '$root' && tools/check-spdx.sh 2>&1`;
is($? >> 8, 0, 'every source file carries an SPDX line') or diag $out;

my $copyright = slurp("$root/packaging/deb/copyright");
like($copyright, qr{^Format:\ https://www\.debian\.org/doc/
                    packaging-manuals/copyright-format/1\.0/$}mx,
     'packaging/deb/copyright is in the machine-readable format');
like($copyright, qr/^License: BSD-2-Clause$/m,
     'packaging/deb/copyright names BSD-2-Clause');
like(slurp("$root/packaging/deb/control.in"),
     qr/^Maintainer: [^<\n]+ <[^@\s]+@[^>\s]+>$/m,
     'the package has a Maintainer with a contact address');

my $grep = "git grep -n -I -e TO-BE-DECIDED -e 'TO BE FILLED'";
my $found = `cd '$root' && $grep -- . ':!t/licence.t'`;
is($found, '', 'no placeholder is left in the repository');

done_testing;
