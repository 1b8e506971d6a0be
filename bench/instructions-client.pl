#!/usr/bin/env perl
# SPDX-License-Identifier: BSD-2-Clause
#
# Drives one location of the nginx that bench/instructions.sh runs under
# callgrind, over one keep-alive connection:
#
#   1. with --forged, one request whose body has one byte changed, which
#      must get 401 (a location that passes it verifies nothing, and its
#      count would mean nothing);
#   2. --warmup requests, which must get 200: the connection, the
#      upstream's keep-alive connection, the location's first-request and
#      lazy costs are paid here;
#   3. with --pid, callgrind's counters are zeroed (callgrind_control -z),
#      then --count requests are sent one after another, each answer read
#      before the next request goes, then the counters are dumped
#      (callgrind_control --dump=LABEL).  Every instruction of that dump is
#      nginx's work for those requests, and only theirs.
#
# Every request is built before the connection opens, so that signing takes
# no time while nginx is counted (nginx waits in epoll_wait meanwhile,
# which costs it nothing, but a wall-clock second passing costs nginx a
# time update; see bench/callgrind-summary.pl).
#
#   instructions-client.pl --port P --path /m/01 --body FILE --count N \
#       [--warmup W] [--header 'Name: value' ...] [--content-type T] \
#       [--novu SECRET [--distinct] [--tenant T | --tenants K]] \
#       [--forged] [--replayed] [--pid PID --label L] \
#       [--crypto FILE --scheme NAME (--secret S | --public-key HEX)]
#
# --novu signs each request itself as Novu Cloud does (Novu-Signature
# t=<ms>,v1=<hex HMAC-SHA256 of "<t>.<body>">): the same signature for
# every request, or with --distinct a new message for each (timestamps one
# millisecond apart), as a replay zone requires.  --tenant T sends
# X-Tenant: T and signs with SECRET_T; --tenants K spreads request i over
# tenants t0000..t(K-1) the same way.  Other schemes come signed in
# --header (from tools/webhook-sign).
#
# --replayed: after the count, the first warm-up request once more, which
# must be refused (401: a replay zone with key=mac), so that a row said to
# run with the zone on did.
#
# --crypto writes, for the first counted request, the arguments of
# bench/crypto_alone (algorithm, key, signature, the signed message's
# pieces as the core feeds them), so that the crypto is counted over the
# very string this location verified; crypto_alone fails if the signature
# does not verify, which checks the pieces too.

use strict;
use warnings;
use Getopt::Long;
use IO::Socket::INET;
use Socket qw(IPPROTO_TCP TCP_NODELAY SOL_SOCKET SO_SNDBUF);
use Digest::SHA qw(hmac_sha256_hex);
use MIME::Base64 qw(decode_base64);
use Time::HiRes qw(time);

my %o = (warmup => 3, 'content-type' => 'application/json', header => []);
GetOptions(\%o, 'port=i', 'path=s', 'body=s', 'count=i', 'warmup=i',
           'header=s@', 'content-type=s', 'novu=s', 'distinct', 'tenant=s',
           'tenants=i', 'forged', 'replayed', 'pid=i', 'label=s', 'crypto=s',
           'scheme=s', 'secret=s', 'public-key=s', 'work=s')
    or die "instructions-client: bad options\n";
for (qw(port path body count)) {
    defined $o{$_} or die "instructions-client: --$_ is required\n";
}

sub slurp {
    my ($path) = @_;
    open my $fh, '<:raw', $path or die "instructions-client: $path: $!\n";
    local $/;
    my $data = <$fh>;
    return $data // '';
}

my $body = slurp($o{body});
# Timestamps in milliseconds, as Novu Cloud sends them; one base for the
# whole run, so --distinct messages never repeat.
my $ts0 = int(time() * 1000);

sub tenant_of {
    my ($i) = @_;
    return $o{tenant} if defined $o{tenant};
    return sprintf 't%04d', $i % $o{tenants} if $o{tenants};
    return undef;
}

# The signature headers of request i, and what crypto_alone needs for it.
sub novu_headers {
    my ($i) = @_;
    my $ts = $o{distinct} ? $ts0 + $i : $ts0;
    my $tenant = tenant_of($i);
    my $secret = defined $tenant ? "$o{novu}_$tenant" : $o{novu};
    my $mac = hmac_sha256_hex("$ts.$body", $secret);
    my @h = ("Novu-Signature: t=$ts,v1=$mac");
    unshift @h, "X-Tenant: $tenant" if defined $tenant;
    return (\@h, ['hmac-sha256', unpack('H*', $secret), $mac, "=$ts.", "\@$o{body}"]);
}

sub request_head {
    my ($headers, $length) = @_;
    return "POST $o{path} HTTP/1.1\r\nHost: bench\r\n"
         . "Content-Type: $o{'content-type'}\r\nContent-Length: $length\r\n"
         . join('', map { "$_\r\n" } @$headers) . "\r\n";
}

# Built before connecting: request i's head (the body is the same for all).
my $total = ($o{forged} ? 1 : 0) + $o{warmup} + $o{count};
my (@heads, $first_crypto);
for my $i (0 .. $total - 1) {
    my ($h, $crypto) = defined $o{novu} ? novu_headers($i) : ($o{header}, undef);
    push @heads, request_head($h, length $body);
    $first_crypto = $crypto if $i == $total - $o{count};
}

# --- the crypto_alone arguments of the counted requests ----------------

sub header_value {
    my ($name) = @_;
    for (@{$o{header}}) {
        return $1 if /\A\Q$name\E:\s*(.*)\z/i;
    }
    die "instructions-client: no $name header for --scheme $o{scheme}\n";
}

sub write_file {
    my ($name, $data) = @_;
    my $path = "$o{work}/$name";
    open my $fh, '>:raw', $path or die "instructions-client: $path: $!\n";
    print $fh $data;
    close $fh or die "instructions-client: $path: $!\n";
    return $path;
}

sub form_decode {
    my ($s) = @_;
    $s =~ tr/+/ /;
    $s =~ s/%([0-9A-Fa-f]{2})/chr hex $1/ge;
    return $s;
}

# Pieces as the core feeds them (src/scheme.cpp's templates, check.cpp's
# feed_pieces()): what precedes the body joined in one update of the HMAC,
# then the body; Ed25519 verifies them joined.
sub crypto_args {
    my $scheme = $o{scheme} // 'novu';
    return @$first_crypto if $first_crypto;
    my $secret_hex = unpack 'H*', $o{secret} // '';
    my $b = "\@$o{body}";

    if ($scheme eq 'stripe') {
        my ($t, $sig) = header_value('Stripe-Signature') =~ /\At=(\d+),v1=([0-9a-f]{64})\z/
            or die "instructions-client: unexpected Stripe-Signature\n";
        return ('hmac-sha256', $secret_hex, $sig, "=$t.", $b);
    }
    if ($scheme eq 'standard_webhooks') {
        my $id = header_value('webhook-id');
        my $ts = header_value('webhook-timestamp');
        my ($sig) = header_value('webhook-signature') =~ /\Av1,(\S+)\z/
            or die "instructions-client: unexpected webhook-signature\n";
        (my $key = $o{secret}) =~ s/\Awhsec_//;
        return ('hmac-sha256', unpack('H*', decode_base64($key)),
                unpack('H*', decode_base64($sig)), "=$id.$ts.", $b);
    }
    if ($scheme eq 'github') {
        my ($sig) = header_value('X-Hub-Signature-256') =~ /\Asha256=([0-9a-f]{64})\z/
            or die "instructions-client: unexpected X-Hub-Signature-256\n";
        return ('hmac-sha256', $secret_hex, $sig, $b);
    }
    if ($scheme eq 'twilio') {
        # the URL as webhook_signature_url's default spells it, then every
        # form parameter sorted by name as <name><value> (names here are
        # ASCII and never repeat, so a plain sort is twilio-node's)
        my %p = map { my ($n, $v) = split /=/, $_, 2; (form_decode($n), form_decode($v // '')) }
                grep { length } split /&/, $body;
        my $message = "http://bench$o{path}" . join '', map { "$_$p{$_}" } sort keys %p;
        return ('hmac-sha1', $secret_hex,
                unpack('H*', decode_base64(header_value('X-Twilio-Signature'))),
                '@' . write_file('twilio.message', $message));
    }
    if ($scheme eq 'discord') {
        return ('ed25519', $o{'public-key'}, header_value('X-Signature-Ed25519'),
                '=' . header_value('X-Signature-Timestamp'), $b);
    }
    die "instructions-client: no crypto for --scheme $scheme\n";
}

if (defined $o{crypto}) {
    open my $fh, '>', $o{crypto} or die "instructions-client: $o{crypto}: $!\n";
    print $fh join("\t", crypto_args()), "\n";
    close $fh;
}

# --- the requests -----------------------------------------------------

my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $o{port},
                                 Proto => 'tcp')
    or die "instructions-client: cannot connect to port $o{port}: $!\n";
setsockopt($sock, IPPROTO_TCP, TCP_NODELAY, 1);
setsockopt($sock, SOL_SOCKET, SO_SNDBUF, 4 << 20);
binmode $sock;
my $inbuf = '';

sub send_all {
    my ($data) = @_;
    my $off = 0;
    while ($off < length $data) {
        my $n = syswrite($sock, $data, length($data) - $off, $off);
        die "instructions-client: write: $!\n" unless defined $n;
        $off += $n;
    }
}

sub fill {
    my $n = sysread($sock, $inbuf, 65536, length $inbuf);
    die "instructions-client: read: $!\n" unless defined $n;
    die "instructions-client: nginx closed the connection\n" if $n == 0;
}

# One answer: its status; the connection must stay open.
sub response {
    fill() while index($inbuf, "\r\n\r\n") < 0;
    my $end = index($inbuf, "\r\n\r\n") + 4;
    my $head = substr($inbuf, 0, $end, '');
    my ($status) = $head =~ m{\AHTTP/1\.1 (\d{3})}
        or die "instructions-client: not an HTTP/1.1 answer: $head\n";
    die "instructions-client: nginx closes the connection after $o{path}"
        . " (keep-alive is the point)\n" if $head =~ /^Connection:\s*close/mi;
    my ($length) = $head =~ /^Content-Length:\s*(\d+)/mi;
    if (defined $length) {
        fill() while length $inbuf < $length;
        substr($inbuf, 0, $length, '');
    } elsif ($head =~ /^Transfer-Encoding:\s*chunked/mi) {
        while (1) {
            fill() while $inbuf !~ /\A[0-9a-fA-F]+\r\n/;
            my ($size) = $inbuf =~ /\A([0-9a-fA-F]+)\r\n/;
            my $need = length($&) + hex($size) + 2;
            fill() while length $inbuf < $need;
            substr($inbuf, 0, $need, '');
            last if hex($size) == 0;
        }
    }
    return $status;
}

sub exchange {
    my ($i, $payload, $want) = @_;
    send_all($heads[$i] . $payload);
    my $status = response();
    $status == $want
        or die "instructions-client: $o{path}: request $i got $status, not $want\n";
}

sub callgrind {
    my @args = @_;
    # vgdb's "sending command" lines (stderr) with the answer, shown on failure
    my $pid = open my $fh, '-|';
    defined $pid or die "instructions-client: fork: $!\n";
    if ($pid == 0) {
        open STDERR, '>&', \*STDOUT;
        exec 'callgrind_control', @args;
        exit 127;
    }
    my $out = do { local $/; <$fh> } // '';
    close $fh or die "instructions-client: callgrind_control @args failed: $out\n";
}

my $i = 0;
if ($o{forged}) {
    my $forged = $body;
    substr($forged, length($forged) / 2, 1) =~ tr/a-zA-Z0-9/b-zaB-ZA1-90/;
    $forged ne $body or die "instructions-client: cannot forge this body\n";
    exchange($i++, $forged, 401);
}
exchange($i++, $body, 200) for 1 .. $o{warmup};

callgrind('-z', $o{pid}) if $o{pid};
exchange($i++, $body, 200) for 1 .. $o{count};
callgrind("--dump=$o{label}", $o{pid}) if $o{pid};
if ($o{replayed}) {
    $o{warmup} > 0 or die "instructions-client: --replayed needs a warm-up request\n";
    exchange($o{forged} ? 1 : 0, $body, 401);
}
close $sock;
