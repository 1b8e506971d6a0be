#!/usr/bin/env perl
# SPDX-License-Identifier: BSD-2-Clause
#
# The tables of bench/instructions.sh, in Markdown, with issue 14's targets
# judged:
#
#   instructions-report.pl RESULTS_TSV DUMP_DIR [LIMIT]
#
# RESULTS_TSV has one line per row (totals of the dumps, not yet divided);
# DUMP_DIR holds the dumps themselves, for where the difference goes by
# object.  Every figure is per request, nginx's clock updates and the
# allocator's own instructions left out (bench/callgrind-summary.pl).

use strict;
use warnings;
use FindBin;

my ($results, $dumps, $limit) = @ARGV;
defined $dumps or die "usage: instructions-report.pl RESULTS_TSV DUMP_DIR [LIMIT]\n";
$limit //= 2000;

my %SIZE_NAME = (1024 => '1 KiB', 65536 => '64 KiB', 1048576 => '1 MiB');
my %WHAT = (
    novu              => 'novu, one literal secret',
    stripe            => 'stripe (t=,v1=)',
    standard_webhooks => 'standard_webhooks',
    github            => 'github (body only)',
    twilio            => 'twilio (form body, HMAC-SHA1)',
    discord           => 'discord (Ed25519)',
    replay            => 'novu + replay zone',
    rotation          => 'novu, 2 secrets, 2nd matches',
    novu_tenant       => 'novu, one literal secret, the map\'s requests',
    variable          => 'novu, secret from map (1 tenant)',
    variable_spread   => 'novu, secret from map (1,000 tenants)',
    lua               => 'Lua peer (novu)',
    control           => 'a 2nd plain server (control)',
);
# crypto passes a configuration needs: rotation hashes every body with
# both secrets
my %PASSES = (rotation => 2);

open my $fh, '<', $results or die "instructions-report: $results: $!\n";
my @head = split ' ', scalar <$fh>;
my (@rows, %row);
while (<$fh>) {
    my %r;
    @r{@head} = split;
    my $n = $r{count};
    $r{plain} = ($r{plain_ir} - $r{plain_left}) / $n;
    $r{module} = ($r{module_ir} - $r{module_left}) / $n;
    $r{crypto} = $r{crypto_count}
        ? ($PASSES{$r{config}} // 1) * ($r{crypto_ir} - $r{crypto_left}) / $r{crypto_count} : 0;
    $r{extra} = $r{module} - $r{plain};
    $r{overhead} = $r{extra} - $r{crypto};
    $r{allocs} = $r{module_allocs} / $n;
    $r{extra_allocs} = ($r{module_allocs} - $r{plain_allocs}) / $n;
    $r{left} = ($r{module_left} + $r{plain_left}) / $n;
    push @rows, \%r;
    $row{$r{config}}{$r{size}} = \%r;
}

sub n { defined $_[0] ? sprintf('%.0f', $_[0]) =~ s/\A-0\z/0/r : '' }
sub a { defined $_[0] ? sprintf('%.2f', $_[0]) : '' }
sub size_name { $SIZE_NAME{$_[0]} // "$_[0] B" }

print "### Instructions per request (callgrind, one nginx process)\n\n";
print "*plain*: the same requests to plain `proxy_pass`; *crypto alone*: the core's OpenSSL calls over the same signed message (bench/crypto_alone.cpp); *overhead* = module − plain − crypto alone; *allocs*: calls to malloc/calloc/realloc/memalign/operator new per request in the module's location, and how many more than in the plain one; *Lua overhead*: the Lua peer's location − plain − the same crypto.\n\n";
print "| configuration | body | requests | plain | module | module − plain | crypto alone | overhead | allocs/req | allocs over plain | Lua overhead |\n";
print "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
for my $r (@rows) {
    next if $r->{config} eq 'lua';
    my $lua = $r->{config} eq 'novu' ? $row{lua}{$r->{size}} : undef;
    my $lua_overhead = $lua ? $lua->{module} - $lua->{plain} - $r->{crypto} : undef;
    my $size = size_name($r->{size});
    $size .= ' − 1 KiB' if $r->{config} eq 'discord' && $r->{size} >= 1048576;
    printf "| %s | %s | %d | %s | %s | %s | %s | **%s** | %s | %s | %s |\n",
        $WHAT{$r->{config}} // $r->{config}, $size, $r->{count},
        n($r->{plain}), n($r->{module}), n($r->{extra}),
        n($r->{crypto}) . ($PASSES{$r->{config}} ? " ($PASSES{$r->{config}} passes)" : ''),
        n($r->{overhead}), a($r->{allocs}), a($r->{extra_allocs}), n($lua_overhead);
}
print "\n";

# --- targets ---------------------------------------------------------------

sub verdict { $_[0] ? 'met' : '**not met**' }
my @targets;
for my $r (@rows) {
    my $c = $r->{config};
    next unless $c =~ /\A(?:novu|stripe|standard_webhooks|github|twilio|discord)\z/;
    push @targets, sprintf '%s, %s: overhead %s ≤ %d: %s', $c, size_name($r->{size}),
        n($r->{overhead}), $limit, verdict($r->{overhead} <= $limit);
}
for my $size (sort { $a <=> $b } keys %{$row{novu} // {}}) {
    my $base = $row{novu}{$size};
    if (my $r = $row{replay}{$size}) {
        my $d = $r->{overhead} - $base->{overhead};
        push @targets, sprintf 'replay zone, %s: %s more than without ≤ 1500: %s',
            size_name($size), n($d), verdict($d <= 1500);
    }
    if (my $r = $row{rotation}{$size}) {
        my $d = $r->{overhead} - $base->{overhead};
        push @targets, sprintf 'rotation, %s: one more crypto pass plus %s ≤ 300: %s',
            size_name($size), n($d), verdict($d <= 300);
    }
    # a secret from a variable against the literal one over the same
    # requests, when that row ran
    my $literal = $row{novu_tenant}{$size} // $base;
    for my $v (qw(variable variable_spread)) {
        my $r = $row{$v}{$size} or next;
        my $d = $r->{overhead} - $literal->{overhead};
        push @targets, sprintf '%s, %s: %s more than a literal secret ≤ 1000: %s',
            $WHAT{$v}, size_name($size), n($d), verdict($d <= 1000);
    }
}
# a tenant's key, once made, is kept: none is made again per request
for my $r (grep { $_->{config} eq 'variable_spread' } @rows) {
    push @targets, sprintf 'kept keys, %s, %s: %s more allocator calls than plain (a key made again): %s',
        $WHAT{variable_spread}, size_name($r->{size}), a($r->{extra_allocs}),
        verdict($r->{extra_allocs} <= 0);
}
for my $r (@rows) {
    my $c = $r->{config};
    next if $c =~ /\A(?:variable|variable_spread|lua|control)\z/;
    push @targets, sprintf 'no allocation per request, %s, %s: %s more allocator calls than plain: %s',
        $c, size_name($r->{size}), a($r->{extra_allocs}), verdict($r->{extra_allocs} <= 0);
}
if (@targets) {
    print "Targets (issue 14):\n\n";
    print "- $_\n" for @targets;
    print "\n";
}

if (my @control = grep { $_->{config} eq 'control' } @rows) {
    printf "Control: the same requests to a second plain server differ from the first by %s instructions per request (%s).\n\n",
        join(', ', map { n($_->{extra}) } @control),
        join(', ', map { size_name($_->{size}) } @control);
}

my ($max_left) = sort { $b <=> $a } map { $_->{left} } @rows;
printf "Left out: nginx's time strings, re-formatted once per wall-clock second of the run, and the instructions inside malloc and free, which depend on the heap's history rather than on the calls (counted instead as allocs); at most %s instructions per request in any row, both locations together.\n\n",
    n($max_left) if defined $max_left;

# --- where the difference goes, by object -------------------------------

sub objects {
    my ($dump) = @_;
    my %o;
    open my $s, '-|', 'perl', "$FindBin::Bin/callgrind-summary.pl", $dump
        or die "instructions-report: callgrind-summary: $!\n";
    while (<$s>) {
        chomp;
        my @f = split /\t/;
        next unless $f[0] eq 'object';
        my $name = $f[1];
        $name = $name =~ /webhook_signature/ ? 'module'
              : $name =~ m{/nginx\z} ? 'nginx'
              : $name =~ /libcrypto/ ? 'libcrypto'
              : $name =~ m{/libc\.so} ? 'libc'
              : $name =~ /libstdc\+\+/ ? 'libstdc++'
              : $name =~ /luajit|lua/ ? 'lua'
              : 'other';
        $o{$name} += $f[2];
    }
    close $s;
    return \%o;
}

my @OBJECTS = qw(nginx module libcrypto libc libstdc++ lua other);
my @by_object;
for my $r (@rows) {
    my $label = "$r->{config}.$r->{size}";
    my ($m, $p) = ("$dumps/$label.out", "$dumps/plain.$label.out");
    next unless -f $m && -f $p;
    my ($mo, $po) = (objects($m), objects($p));
    push @by_object, sprintf "| %s | %s | %s |\n", $r->{config}, size_name($r->{size}),
        join ' | ', map { n((($mo->{$_} // 0) - ($po->{$_} // 0)) / $r->{count}) } @OBJECTS;
}
if (@by_object) {
    print "Module − plain by object, per request (clock updates included here, the allocator's instructions not; libcrypto is the cryptography, libc mostly memcpy and memset):\n\n";
    print "| configuration | body | ", join(' | ', @OBJECTS), " |\n";
    print "|---|---|", join('|', map { '---:' } @OBJECTS), "|\n";
    print @by_object;
    print "\n";
}

# --- where one row's instructions go -----------------------------------------

# Per function of one dump: self, inclusive, calls; and the calls edges.
sub functions {
    my ($dump) = @_;
    my (%fn, @calls, @sites);
    open my $s, '-|', 'perl', "$FindBin::Bin/callgrind-summary.pl", $dump
        or die "instructions-report: callgrind-summary: $!\n";
    while (<$s>) {
        chomp;
        my @f = split /\t/;
        if ($f[0] eq 'fn') {
            $fn{"$f[1]\t$f[2]"} = { self => $f[3], incl => $f[4], calls => $f[5] };
        } elsif ($f[0] eq 'call') {
            push @calls, [@f[1 .. 6]];
        } elsif ($f[0] eq 'site') {
            push @sites, [@f[1 .. 4]];
        }
    }
    close $s;
    return (\%fn, \@calls, \@sites);
}

sub short_object {
    my ($o) = @_;
    return 'module' if $o =~ /webhook_signature/;
    $o =~ s{.*/}{};
    return $o;
}

# C++ names without their argument lists and allocators, so that a table
# stays readable
sub short_fn {
    my ($f) = @_;
    $f =~ s/\(anonymous namespace\)::/::/g;
    $f =~ s/std::basic_string_view<char, std::char_traits<char> >/std::string_view/g;
    # ", std::allocator<T> >" (T itself may hold one level of <>)
    1 while $f =~ s/, std::allocator<(?:[^<>]|<[^<>]*>)*> ?>/>/g;
    $f =~ s/__gnu_cxx::__normal_iterator<(?:[^<>]|<[^<>]*>)*>/iterator/g;
    # the argument list (one level of nested parentheses), kept for
    # operator new, whose forms differ only there
    $f =~ s/\((?:[^()]|\([^()]*\))*\)( const)?(?= \[|\z|')//g unless $f =~ /\Aoperator new/;
    return $f;
}

my @breakdown = split ' ', ($ENV{INSTRUCTIONS_BREAKDOWN} // 'novu.1024 novu.1048576');
for my $label (@breakdown) {
    my ($config, $size) = split /\./, $label;
    my $r = $row{$config}{$size} or next;
    my ($m, $p) = ("$dumps/$label.out", "$dumps/plain.$label.out");
    next unless -f $m && -f $p;
    my $n = $r->{count};
    my ($fn, $calls, $sites) = functions($m);
    my ($pfn, undef, $psites) = functions($p);
    my $is_module = sub { $_[0] =~ /webhook_signature/ };

    printf "### Where %s at %s goes (per request)\n\n", $WHAT{$config} // $config, size_name($size);

    my ($mo, $po) = (objects($m), objects($p));
    my $d = sub { (($mo->{$_[0]} // 0) - ($po->{$_[0]} // 0)) / $n };
    printf "Overhead %s = the module's own code %s + libcrypto beyond the crypto alone %s + libc %s + libstdc++ %s + nginx %s + other %s (module − plain, by object, clock updates left out of the total only).\n\n",
        n($r->{overhead}), n($d->('module')), n($d->('libcrypto') - $r->{crypto}),
        n($d->('libc')), n($d->('libstdc++')), n($d->('nginx')), n($d->('lua') + $d->('other'));

    my @mine = grep { $is_module->($_) } keys %$fn;
    print "The module's functions, by self cost (top 15):\n\n| self | inclusive | calls | function |\n|---:|---:|---:|---|\n";
    for my $k ((sort { $fn->{$b}{self} <=> $fn->{$a}{self} } @mine)[0 .. 14]) {
        next unless defined $k && $fn->{$k}{self};
        printf "| %s | %s | %s | `%s` |\n", n($fn->{$k}{self} / $n), n($fn->{$k}{incl} / $n),
            a($fn->{$k}{calls} / $n), short_fn((split /\t/, $k)[1]);
    }
    print "\nThe module's functions, by inclusive cost (top 15; a `'2` is a recursive entry):\n\n| inclusive | self | calls | function |\n|---:|---:|---:|---|\n";
    for my $k ((sort { $fn->{$b}{incl} <=> $fn->{$a}{incl} } @mine)[0 .. 14]) {
        next unless defined $k;
        printf "| %s | %s | %s | `%s` |\n", n($fn->{$k}{incl} / $n), n($fn->{$k}{self} / $n),
            a($fn->{$k}{calls} / $n), short_fn((split /\t/, $k)[1]);
    }

    print "\nCalls from the module into other objects (top 20 by inclusive cost; a call back into nginx includes what nginx then does, the module's body filter among it):\n\n| inclusive | calls | from | to | object |\n|---:|---:|---|---|---|\n";
    my @out = grep { $is_module->($_->[0]) && !$is_module->($_->[2]) } @$calls;
    for my $c ((sort { $b->[5] <=> $a->[5] } @out)[0 .. 19]) {
        next unless defined $c;
        printf "| %s | %s | `%s` | `%s` | %s |\n", n($c->[5] / $n), a($c->[4] / $n),
            short_fn($c->[1]), short_fn($c->[3]), short_object($c->[2]);
    }

    print "\nAllocator calls per request by call site (module location; the plain one makes ",
        a((eval { my $t = 0; $t += $_->[3] for @$psites; $t }) / $n), "):\n\n| calls | caller | object | allocator |\n|---:|---|---|---|\n";
    my %plain_site = map { ("$_->[0]\t$_->[1]\t$_->[2]" => $_->[3]) } @$psites;
    for my $s (sort { $b->[3] <=> $a->[3] || $a->[1] cmp $b->[1] } @$sites) {
        my $over = $s->[3] - ($plain_site{"$s->[0]\t$s->[1]\t$s->[2]"} // 0);
        printf "| %s%s | `%s` | %s | `%s` |\n", a($s->[3] / $n),
            $over ? sprintf(' (+%s)', a($over / $n)) : '',
            short_fn($s->[1]), short_object($s->[0]), short_fn($s->[2]);
    }

    print "\nnginx's own functions whose self cost differs most from the plain location's:\n\n| module − plain | calls module / plain | function |\n|---:|---:|---|\n";
    my @ngx = grep { m{/nginx\t} } keys %{{ %$fn, %$pfn }};
    my %delta = map { $_ => (($fn->{$_}{self} // 0) - ($pfn->{$_}{self} // 0)) / $n } @ngx;
    for my $k ((sort { abs($delta{$b}) <=> abs($delta{$a}) } grep { $delta{$_} } @ngx)[0 .. 9]) {
        next unless defined $k;
        printf "| %s | %s / %s | `%s` |\n", n($delta{$k}), a(($fn->{$k}{calls} // 0) / $n),
            a(($pfn->{$k}{calls} // 0) / $n), short_fn((split /\t/, $k)[1]);
    }
    print "\n";
}
