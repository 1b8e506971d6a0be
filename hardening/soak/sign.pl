#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
#
# Writes one batch of pre-signed soak requests, signed with the clock of now
# (the soak re-signs every round, so timestamps stay fresh):
#   <dir>/h1/index        "kind file" lines, cycled by wrk (mix.lua); the
#                         files are raw HTTP/1.1 requests
#   <dir>/h2/index        "kind count body-file header..." lines, one h2load
#                         run each (tab-separated)
# Kinds are "<category>-<detail>"; the category (valid, forged, stale,
# malformed, missing) is what the soak asserts on.  Every request carries
# ?kind=<kind> so nginx's logs and the X-Soak-Kind header tell them apart.
#
#   sign.pl <dir> <connection: keep-alive|close> <h2 requests per round>
use strict;
use warnings;
use Digest::SHA qw(hmac_sha256_hex);
use File::Path qw(make_path remove_tree);

my ($dir, $connection, $h2_total) = @ARGV;
die "usage: $0 <dir> keep-alive|close <h2 requests>\n" unless defined $h2_total;

# The two secrets configured (rotation): valid requests use either.
my @SECRETS = ('soak-old-secret', 'whsec_soak-current-secret');
my $STALE   = 2 * 3600;             # seconds; the soak's tolerance is 1h
my $now     = time;

sub json_body {
    my ($size, $seed) = @_;
    my $s = qq({"event":"soak","seed":$seed,"data":");
    my $fill = join '', map { chr(97 + ($seed * 7 + $_) % 26) } 0 .. 63;
    $s .= $fill x int(($size - length($s) - 2) / 64 + 1);
    return substr($s, 0, $size - 2) . '"}';
}

sub mac { my ($secret, $t, $body) = @_; hmac_sha256_hex("$t.$body", $secret) }
sub novu  { my ($secret, $t, $body) = @_;
            ('Novu-Signature' => "t=$t,v1=" . mac($secret, $t, $body eq '' ? '{}' : $body)) }
sub nk    { my ($secret, $t, $body) = @_;
            ('X-Webhook-Timestamp' => $t, 'X-Webhook-Signature' => "t=$t,v1=" . mac($secret, $t, $body)) }

my $ZERO = '0' x 64;

# kind => [weight per 100, sub returning (body, headers...), chunked?]
my @KINDS = (
    ['valid-novu-small',      26, sub { my $b = json_body(200 + $_[0] % 700, $_[0]); ($b, novu($SECRETS[$_[0] % 2], $now, $b)) }],
    ['valid-novu-ms',          5, sub { my $b = json_body(300, $_[0]); ($b, novu($SECRETS[1], $now * 1000 + 123, $b)) }],
    ['valid-novu-get',         2, sub { ('', novu($SECRETS[0], $now, '')) }],
    ['valid-nk-small',        15, sub { my $b = json_body(150 + $_[0] % 500, $_[0]); ($b, nk($SECRETS[1], $now, $b)) }],
    ['valid-nk-chunked',       3, sub { my $b = json_body(5000, $_[0]); ($b, nk($SECRETS[0], $now, $b)) }, 'chunked'],
    ['valid-novu-large',       2, sub { my $b = json_body(100_000 + 37 * $_[0], $_[0]); ($b, novu($SECRETS[1], $now, $b)) }],
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

remove_tree($dir);
make_path("$dir/h1", "$dir/h2");

# HTTP/1.1: <weight> distinct requests per kind, cycled in a shuffled order
# (fixed seed) so that kinds interleave on every connection.
my @index;
for my $k (@KINDS) {
    my ($kind, $weight, $make, $chunked) = @$k;
    for my $n (1 .. $weight) {
        my ($body, @h) = $make->($n);
        my $method = ($body eq '' && $kind =~ /get/) ? 'GET' : 'POST';
        my $head = "$method /hook?kind=$kind&n=$n HTTP/1.1\r\nHost: soak\r\n"
                 . "Connection: $connection\r\n";
        while (my ($name, $value) = splice @h, 0, 2) { $head .= "$name: $value\r\n" }
        my $payload = '';
        if ($method eq 'POST') {
            $head .= "Content-Type: application/json\r\n";
            if ($chunked) {
                $head .= "Transfer-Encoding: chunked\r\n";
                $payload = chunked($body);
            } else {
                $head .= "Content-Length: " . length($body) . "\r\n";
                $payload = $body;
            }
        }
        my $file = "$dir/h1/$kind.$n";
        write_file($file, "$head\r\n$payload");
        push @index, "$kind $file";
    }
}
srand(42);
for (my $i = $#index; $i > 0; $i--) { my $j = int rand($i + 1); @index[$i, $j] = @index[$j, $i] }
write_file("$dir/h1/index", join('', map { "$_\n" } @index));

# HTTP/2: one h2load run per kind (h2load sends one body and one header set
# per run), its count in proportion to the kind's weight.
my @h2;
for my $k (@KINDS) {
    my ($kind, $weight, $make) = @$k;
    next if $kind =~ /ctl|utf8|chunked|get/;    # HTTP/1.1-only forms
    my ($body, @h) = $make->(1);
    my $count = int($h2_total * $weight / 100) || 1;
    my $file = "$dir/h2/$kind.body";
    write_file($file, $body);
    my @headers;
    while (my ($name, $value) = splice @h, 0, 2) { push @headers, "$name: $value" }
    push @h2, join("\t", $kind, $count, $file, @headers);
}
write_file("$dir/h2/index", join('', map { "$_\n" } @h2));
