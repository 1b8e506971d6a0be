#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
#
# The README's reference is the module's: every directive in the module's
# command table has a heading with Syntax, Default and Context lines (the
# contexts the table allows), every variable the module adds a heading;
# and the README names nothing the module does not have.

use strict;
use warnings;
use Test::More;
use FindBin;

my $root = "$FindBin::Bin/..";
sub slurp { open my $fh, '<', $_[0] or die "$_[0]: $!"; local $/; <$fh> }

my $glue = join '', map { slurp($_) } glob "$root/ngx_module/*.cpp";
my $readme = slurp("$root/README.md");

# { ngx_string("name"), CONTEXTS|NGX_CONF_TAKE1, ...
my %directive;
while ($glue =~ /\{ ngx_string\("(webhook_\w+)"\),\s*\n\s*([A-Z_|0-9]+),/g) {
    my ($name, $flags) = ($1, $2);
    my %context = (MAIN => 'http', SRV => 'server', LOC => 'location');
    $directive{$name} = join ', ', map { $context{$_} }
        grep { $flags =~ /NGX_HTTP_${_}_CONF/ } qw(MAIN SRV LOC);
}
my @variables = $glue =~ /\{ ngx_string\("(webhook_signature_\w+)"\), NULL,/g;

ok(scalar keys %directive >= 6, 'the command table was read');
ok(scalar @variables >= 3, 'the variable table was read');

for my $name (sort keys %directive) {
    my ($block) = $readme =~ /^### \Q$name\E\n\n(.*?)\n\n/ms;
    my $ok = defined $block
             && $block =~ /^ +Syntax: +\Q$name\E /m
             && $block =~ /^ +Default: /m
             && $block =~ /^ +Context: +\Q$directive{$name}\E$/m;
    ok($ok, "README: $name has Syntax, Default and Context"
            . " ($directive{$name})") or diag $block // 'no heading';
}

for my $name (@variables) {
    like($readme, qr/^### \$\Q$name\E$/m, "README: \$$name has a heading");
}

my @documented = $readme =~ /^### (webhook_\w+)$/mg;
is_deeply([grep { !$directive{$_} } @documented], [],
          'README documents no directive the module lacks');

done_testing;
