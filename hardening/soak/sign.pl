#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
#
# Writes one batch of pre-signed soak requests, signed with the clock of now
# (the soak re-signs every round, so timestamps stay fresh):
#   <dir>/h1/pool         the raw HTTP/1.1 requests wrk sends (mix.lua), in
#                         order, as records:
#                           S <name> <length>\n<bytes>    a shared body tail
#                           R <length> <tail|->\n<bytes>  a request: its
#                                                         bytes, then the tail's
#                           C <n>\n                       the n-th R again,
#                                                         byte for byte
#   <dir>/h1/plan         "<kind> <requests> <copies>": what the pool holds
#   <dir>/h2/index        "kind id count clients streams body-file header..."
#                         lines, one h2load run each (tab-separated; soak)
#   <dir>/probe.*         one more valid message for curl (reload): its
#                         path, body and headers
# Kinds are "<category>-<detail>"; the category (valid, forged, stale,
# malformed, missing) is what the soak asserts on.  Every request carries
# ?kind=<kind>, and every valid message ?id=<id> (its body holds the id too),
# so nginx's logs and the X-Soak-Kind header tell them apart.
#
# The front has a replay zone, so every valid message is new (a fresh id in
# the body; the GETs, which have no body, a fresh millisecond timestamp) and
# only its first copy may reach the upstream.  Some are sent again byte for
# byte (same timestamp, signature and body): one copy 16-255 requests later
# (sequential), 1-3 copies right behind it (concurrent, over the other
# connections) and, for reload, one copy 2,000-10,000 requests later (across
# a reload).  Over HTTP/2 each valid message is one h2load run of 16 copies
# at once (2 connections x 8 streams) or of 4 one after the other.
#
#   sign.pl <dir> soak|reload <HTTP/1.1 requests> <state file>
# The state file carries the next id from round to round.
use strict;
use warnings;
use Digest::SHA qw(hmac_sha256_hex);
use File::Path qw(make_path remove_tree);

my ($dir, $mode, $h1_total, $state) = @ARGV;
die "usage: $0 <dir> soak|reload <HTTP/1.1 requests> <state file>\n"
    unless defined $state && $mode =~ /^(soak|reload)$/;
my $connection = $mode eq 'soak' ? 'keep-alive' : 'close';

# The two secrets configured (rotation): valid requests use either.
my @SECRETS = ('soak-old-secret', 'whsec_soak-current-secret');
my $STALE   = 2 * 3600;             # seconds; the soak's tolerance is 1h
my $now     = time;

my $H2_PASSES   = 12;               # HTTP/2: the kinds, this many times
my $H2_PER_PASS = 2000;             # requests of the other kinds per pass

# Ids count up across rounds and phases.  A GET's signed message is its
# timestamp (and "{}"): each takes the next millisecond, from this round's
# start on unless an earlier round's GETs ran past it (a round's GETs run
# less than a second ahead: inside the tolerance), so none repeats one.
my ($next_id, $next_get, $epoch_ms) = (1, 0, $now * 1000);
if (open my $fh, '<', $state) {
    ($next_id, $next_get, $epoch_ms) = split ' ', scalar <$fh>;
}
$next_get = $now * 1000 - $epoch_ms if $next_get < $now * 1000 - $epoch_ms;

my %FILL;
sub fill {
    my ($size, $seed) = @_;
    my $fill = $FILL{$seed % 26} //= join '', map { chr(97 + ($seed * 7 + $_) % 26) } 0 .. 63;
    return substr($fill x int($size / 64 + 1), 0, $size);
}

# A JSON body of about <size> bytes; with an id, the id comes first.
sub json_body {
    my ($size, $seed, $id) = @_;
    my $s = defined $id ? qq({"id":$id,"event":"soak","seed":$seed,"data":")
                        : qq({"event":"soak","seed":$seed,"data":");
    return $s . fill($size - length($s) - 2, $seed) . '"}';
}

# The large valid bodies: a message's own start, then one of these tails
# (shared, so the pool holds each 100 KB once).
my @TAILS = map { fill(100_000 + 37 * $_, $_) . '"}' } 0 .. 2;
sub large_body {
    my ($id, $n) = @_;
    return [qq({"id":$id,"event":"soak","seed":$n,"data":"), $n % 3];
}
sub parts { my ($b) = @_; ref $b ? ($b->[0], $TAILS[$b->[1]]) : ($b) }
sub flat  { join '', parts(@_) }
sub empty { my ($b) = @_; !ref $b && $b eq '' }

sub mac { my ($secret, $t, $body) = @_; hmac_sha256_hex("$t.", parts($body), $secret) }
sub novu  { my ($secret, $t, $body) = @_;
            ('Novu-Signature' => "t=$t,v1=" . mac($secret, $t, empty($body) ? '{}' : $body)) }
sub nk    { my ($secret, $t, $body) = @_;
            ('X-Webhook-Timestamp' => $t, 'X-Webhook-Signature' => "t=$t,v1=" . mac($secret, $t, $body)) }

my $ZERO = '0' x 64;

# kind => [weight per 100, sub(n, id) returning (body, headers...), chunked?]
# n counts the kind's requests; id is a valid message's own.
my @KINDS = (
    ['valid-novu-small',      26, sub { my $b = json_body(200 + $_[0] % 700, $_[0], $_[1]); ($b, novu($SECRETS[$_[0] % 2], $now, $b)) }],
    ['valid-novu-ms',          5, sub { my $b = json_body(300, $_[0], $_[1]); ($b, novu($SECRETS[1], $now * 1000 + 123, $b)) }],
    ['valid-novu-get',         2, sub { ('', novu($SECRETS[0], $epoch_ms + $next_get++, '')) }],
    ['valid-nk-small',        15, sub { my $b = json_body(150 + $_[0] % 500, $_[0], $_[1]); ($b, nk($SECRETS[1], $now, $b)) }],
    ['valid-nk-chunked',       3, sub { my $b = json_body(5000, $_[0], $_[1]); ($b, nk($SECRETS[0], $now, $b)) }, 'chunked'],
    ['valid-novu-large',       2, sub { my $b = large_body($_[1], $_[0]); ($b, novu($SECRETS[1], $now, $b)) }],
    ['forged-novu-small',     12, sub { my $b = json_body(400, $_[0]); ($b, novu('not-the-secret', $now, $b)) }],
    ['forged-nk-small',        4, sub { my $b = json_body(400, $_[0]); ($b, 'X-Webhook-Timestamp' => $now, 'X-Webhook-Signature' => "t=$now,v1=$ZERO") }],
    ['forged-novu-large',      1, sub { my $b = json_body(150_000, $_[0]); ($b, novu('not-the-secret', $now, $b)) }],
    ['forged-novu-body',       2, sub { my $b = json_body(600, $_[0]); my @h = novu($SECRETS[0], $now, $b); ($b . ' ', @h) }],
    ['stale-novu',             8, sub { my $b = json_body(300, $_[0]); ($b, novu($SECRETS[0], $now - $STALE, $b)) }],
    ['stale-nk-future',        2, sub { my $b = json_body(300, $_[0]); ($b, nk($SECRETS[1], $now + $STALE, $b)) }],
    ['malformed-novu-t',       4, sub { ('{}', 'Novu-Signature' => "t=12x4,v1=$ZERO") }],
    ['malformed-novu-v1',      3, sub { ('{}', 'Novu-Signature' => "t=$now,v1=abc") }],
    ['malformed-novu-ctl',     2, sub { ('{}', 'Novu-Signature' => "t=$now,\x01v1=$ZERO") }],
    ['malformed-novu-utf8',    1, sub { ('{}', 'Novu-Signature' => "t=$now,v1=$ZERO,x=\xc3\xa9") }],
    ['malformed-nk-differs',   2, sub { my $b = json_body(200, 1); ($b, 'X-Webhook-Timestamp' => $now + 1, 'X-Webhook-Signature' => "t=$now,v1=" . mac($SECRETS[0], $now, $b)) }],
    ['missing-none',           6, sub { (json_body(200, $_[0])) }],
);

sub chunked {
    my ($body) = @_;
    my $out = '';
    for (my $i = 0; $i < length $body; $i += 1000) {
        my $piece = substr($body, $i, 1000);
        $out .= sprintf("%x\r\n%s\r\n", length $piece, $piece);
    }
    return $out . "0\r\n\r\n";
}

sub write_file {
    my ($path, $content) = @_;
    open my $fh, '>:raw', $path or die "$path: $!";
    print $fh $content;
    close $fh;
}

# A raw HTTP/1.1 request: (bytes, tail index or undef).  A large body's tail
# is left to the reader.
sub http1 {
    my ($kind, $query, $chunked, $body, @h) = @_;
    my $method = (empty($body) && $kind =~ /get/) ? 'GET' : 'POST';
    my $head = "$method /hook?$query HTTP/1.1\r\nHost: soak\r\n"
             . "Connection: $connection\r\n";
    while (my ($name, $value) = splice @h, 0, 2) { $head .= "$name: $value\r\n" }
    return ("$head\r\n", undef) if $method eq 'GET';
    $head .= "Content-Type: application/json\r\n";
    if ($chunked) {
        $head .= "Transfer-Encoding: chunked\r\n";
        return ("$head\r\n" . chunked(flat($body)), undef);
    }
    my $length = 0;
    $length += length for parts($body);
    $head .= "Content-Length: $length\r\n";
    return ("$head\r\n$body", undef) unless ref $body;
    return ("$head\r\n$body->[0]", $body->[1]);
}

remove_tree($dir);
make_path("$dir/h1", "$dir/h2");
srand($next_id);

# HTTP/1.1: kinds drawn by weight, so that they interleave on every
# connection; the other kinds' <weight> requests each are written once (R)
# and repeated (C), every valid message is new, some sent again.
open my $pool, '>:raw', "$dir/h1/pool" or die "$dir/h1/pool: $!";
print $pool "S $_ ", length($TAILS[$_]), "\n", $TAILS[$_] for 0 .. $#TAILS;
my @wheel = map { my $k = $_; ($k) x $KINDS[$k][1] } 0 .. $#KINDS;
my (%plan, %copies, %made, %first, @later);
my $records = 0;
my $record = sub {
    my ($kind, $bytes, $tail) = @_;
    print $pool "R ", length($bytes), " ", $tail // '-', "\n", $bytes;
    $plan{$kind}++;
    return ++$records;
};
my $copy = sub {
    my ($kind, $r) = @_;
    print $pool "C $r\n";
    $plan{$kind}++;
    $copies{$kind}++ if $kind =~ /^valid-/;
};
for my $p (1 .. $h1_total) {
    my ($kind, $weight, $make, $chunked) = @{$KINDS[$wheel[int rand @wheel]]};
    my $n = ($made{$kind}++ % $weight) + 1;
    if ($kind !~ /^valid-/) {
        if ($made{$kind} <= $weight) {
            $first{"$kind $n"} = $record->($kind, http1($kind, "kind=$kind&n=$n", $chunked, $make->($n)));
        } else {
            $copy->($kind, $first{"$kind $n"});
        }
    } else {
        my $id = $next_id++;
        my $r = $record->($kind, http1($kind, "kind=$kind&id=$id", $chunked, $make->($made{$kind}, $id)));
        if (rand() < 0.02) { $copy->($kind, $r) for 1 .. 1 + int rand 3 }
        push @{$later[$p + 16 + int rand 240]}, [$kind, $r] if rand() < 0.04;
        push @{$later[$p + 2000 + int rand 8000]}, [$kind, $r]
            if $mode eq 'reload' && rand() < 0.03;
    }
    $copy->(@$_) for @{$later[$p] || []};
    $later[$p] = undef;
}
for my $due (@later[$h1_total + 1 .. $#later]) { $copy->(@$_) for @{$due || []} }
close $pool or die "$dir/h1/pool: $!";
write_file("$dir/h1/plan", join '', map { "$_ $plan{$_} " . ($copies{$_} // 0) . "\n" } sort keys %plan);

sub h2_run {
    my ($kind, $id, $run, $file, $body, @h) = @_;
    write_file($file, flat($body));
    my @headers;
    while (my ($name, $value) = splice @h, 0, 2) { push @headers, "$name: $value" }
    return join("\t", $kind, $id, @$run, $file, @headers);
}

# HTTP/2 (soak): one h2load run per line (h2load sends one body and one
# header set per run).  The other kinds' counts are in proportion to their
# weights; each valid kind has two runs a pass, each one new message.
my (@h2, %h2_line);
if ($mode eq 'soak') {
    for my $pass (1 .. $H2_PASSES) {
        for my $k (@KINDS) {
            my ($kind, $weight, $make) = @$k;
            next if $kind =~ /ctl|utf8|chunked|get/;    # HTTP/1.1-only forms
            if ($kind !~ /^valid-/) {
                $h2_line{$kind} //= h2_run($kind, '-', [int($H2_PER_PASS * $weight / 100) || 1, 2, 8],
                                           "$dir/h2/$kind.body", $make->(1));
                push @h2, $h2_line{$kind};
                next;
            }
            for my $run ([16, 2, 8], [4, 1, 1]) {
                my $id = $next_id++;
                push @h2, h2_run($kind, $id, $run, "$dir/h2/$kind.$id.body", $make->($id, $id));
            }
        }
    }
}
write_file("$dir/h2/index", join('', map { "$_\n" } @h2));

# The reload's probe: delivered before the first reload, sent again after
# the last (by soak.sh, with curl).
if ($mode eq 'reload') {
    my $id = $next_id++;
    my $body = json_body(300, 1, $id);
    my %h = (novu($SECRETS[0], $now, $body), 'Content-Type' => 'application/json');
    write_file("$dir/probe.path", "/hook?kind=valid-probe&id=$id");
    write_file("$dir/probe.body", $body);
    write_file("$dir/probe.headers", join '', map { "$_: $h{$_}\n" } sort keys %h);
}

write_file($state, "$next_id $next_get $epoch_ms\n");
