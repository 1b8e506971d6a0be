#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
#
# Writes the seed corpora of the fuzz targets (fuzz/corpus/<target>/): valid
# Novu and NotifyKit requests and each malformed form listed in SPEC.md, and
# every case of the preset fixtures (t/fixtures/presets/*.json: real
# headers, bodies, secrets and URLs of each sender), in the input format of
# fuzz_input.hpp; for fuzz_parsers, the fixtures' signatures, timestamps,
# URLs, bodies and secrets in its format.  The seeds are committed; run this
# again only to change them:
#
#   perl fuzz/make-seeds.pl [more fixture directories...]
use strict;
use warnings;
use Digest::SHA qw(hmac_sha256_hex);
use File::Basename qw(dirname basename);
use File::Path qw(make_path remove_tree);
use JSON::PP;
use MIME::Base64 qw(decode_base64);

my $dir   = dirname(__FILE__) . '/corpus';
my $NOW_S = 1746561234;                     # the clock fuzz_input.hpp defaults to
my $T     = "$NOW_S";
my $TMS   = "${NOW_S}000";
my $BODY  = '{"a":1}';
my $HEAD  = "novu $TMS 300000";

sub sig { my ($secret, $t, $body) = @_; hmac_sha256_hex("$t.$body", $secret) }
my $V = sig('secret', $T, $BODY);
my $X = '0' x 64;

# name => [settings line, [headers], [secrets], [splits], body]
my %seeds = (
    # valid
    novu_seconds      => [$HEAD, ["Novu-Signature: t=$T,v1=$V"], ['secret'], [], $BODY],
    novu_millis       => [$HEAD, ["Novu-Signature: t=$TMS,v1=" . sig('secret', $TMS, $BODY)], ['secret'], [], $BODY],
    novu_fallback     => [$HEAD, ["X-Novu-Signature: t=$T,v1=$V"], ['secret'], [], $BODY],
    novu_get_empty    => [$HEAD, ["novu-signature: t=$T,v1=" . sig('secret', $T, '{}')], ['secret'], [], ''],
    novu_two_v1       => [$HEAD, ["Novu-Signature: t=$T,v1=$X,v1=$V"], ['secret'], [], $BODY],
    novu_rotation     => [$HEAD, ["Novu-Signature: t=$T,v1=$V"], ['old', 'secret'], [], $BODY],
    novu_upper_spaces => [$HEAD, ["NOVU-SIGNATURE:  t=$T , v1=" . uc($V) . " ,v0=ignored"], ['secret'], [], $BODY],
    novu_split_body   => ["novu $TMS off", ["Novu-Signature: t=$T,v1=" . sig('k', $T, 'x' x 200)], ['k'], [1, 7, 100, 199], 'x' x 200],
    novu_mismatch     => [$HEAD, ["Novu-Signature: t=$T,v1=$X"], ['secret'], [], $BODY],
    novu_stale        => [$HEAD, ["Novu-Signature: t=" . ($NOW_S - 301) . ",v1=$V"], ['secret'], [], $BODY],
    novu_future_ms    => [$HEAD, ["Novu-Signature: t=" . ($TMS + 300001) . ",v1=$V"], ['secret'], [], $BODY],
    novu_huge_t       => [$HEAD, ["Novu-Signature: t=99999999999999999999999,v1=$V"], ['secret'], [], $BODY],
    novu_no_secret    => [$HEAD, ["Novu-Signature: t=$T,v1=$V"], [], [], $BODY],
    novu_empty_secret => [$HEAD, ["Novu-Signature: t=$T,v1=$V"], ['secret', ''], [], $BODY],
    nk_valid          => ["notifykit $TMS 300000", ["X-Webhook-Timestamp: $T", "X-Webhook-Signature: t=$T,v1=" . sig('whsec_abc', $T, $BODY)], ['whsec_abc'], [3], $BODY],
    nk_empty_body     => ["notifykit $TMS 300000", ["X-Webhook-Timestamp: $T", "X-Webhook-Signature: t=$T,v1=" . sig('whsec_abc', $T, '')], ['whsec_abc'], [], ''],
    auto_novu         => ["auto $TMS 300000", ["Novu-Signature: t=$T,v1=$V", "X-Webhook-Signature: t=$T,v1=$X"], ['secret'], [], $BODY],
    auto_nk           => ["auto $TMS 300000", ["X-Webhook-Timestamp: $T", "X-Webhook-Signature: t=$T,v1=" . sig('secret', $T, $BODY)], ['secret'], [], $BODY],
    auto_missing      => ["auto $TMS 300000", ["Content-Type: application/json"], ['secret'], [], $BODY],
    novu_missing      => [$HEAD, ["X-Webhook-Signature: t=$T,v1=$V"], ['secret'], [], $BODY],
    off               => ["off", ["Novu-Signature: t=$T,v1=$V"], ['secret'], [], $BODY],
    # malformed, one file per form in SPEC.md
    mal_empty_value   => [$HEAD, ["Novu-Signature: "], ['secret'], [], $BODY],
    mal_empty_part    => [$HEAD, ["Novu-Signature: t=$T,,v1=$V"], ['secret'], [], $BODY],
    mal_trailing_comma=> [$HEAD, ["Novu-Signature: t=$T,v1=$V,"], ['secret'], [], $BODY],
    mal_no_equals     => [$HEAD, ["Novu-Signature: t=$T,v1=$V,garbage"], ['secret'], [], $BODY],
    mal_empty_key     => [$HEAD, ["Novu-Signature: t=$T,=x,v1=$V"], ['secret'], [], $BODY],
    mal_no_t          => [$HEAD, ["Novu-Signature: v1=$V"], ['secret'], [], $BODY],
    mal_no_v1         => [$HEAD, ["Novu-Signature: t=$T"], ['secret'], [], $BODY],
    mal_t_twice       => [$HEAD, ["Novu-Signature: t=$T,t=$T,v1=$V"], ['secret'], [], $BODY],
    mal_t_sign        => [$HEAD, ["Novu-Signature: t=+$T,v1=$V"], ['secret'], [], $BODY],
    mal_t_negative    => [$HEAD, ["Novu-Signature: t=-1,v1=$V"], ['secret'], [], $BODY],
    mal_t_fraction    => [$HEAD, ["Novu-Signature: t=$T.5,v1=$V"], ['secret'], [], $BODY],
    mal_t_empty       => [$HEAD, ["Novu-Signature: t=,v1=$V"], ['secret'], [], $BODY],
    mal_v1_short      => [$HEAD, ["Novu-Signature: t=$T,v1=" . substr($V, 1)], ['secret'], [], $BODY],
    mal_v1_long       => [$HEAD, ["Novu-Signature: t=$T,v1=${V}0"], ['secret'], [], $BODY],
    mal_v1_not_hex    => [$HEAD, ["Novu-Signature: t=$T,v1=" . ('g' x 64)], ['secret'], [], $BODY],
    mal_header_twice  => [$HEAD, ["Novu-Signature: t=$T,v1=$V", "novu-signature: t=$T,v1=$V"], ['secret'], [], $BODY],
    mal_non_ascii     => [$HEAD, ["Novu-Signature: t=$T,v1=$V,x=\xc3\xa9"], ['secret'], [], $BODY],
    mal_control_byte  => [$HEAD, ["Novu-Signature: t=$T,\x01v1=$V"], ['secret'], [], $BODY],
    mal_nul_byte      => [$HEAD, ["Novu-Signature: t=$T\0,v1=$V"], ['secret'], [], $BODY],
    mal_nk_no_ts      => ["notifykit $TMS 300000", ["X-Webhook-Signature: t=$T,v1=$V"], ['secret'], [], $BODY],
    mal_nk_no_sig     => ["notifykit $TMS 300000", ["X-Webhook-Timestamp: $T"], ['secret'], [], $BODY],
    mal_nk_t_differs  => ["notifykit $TMS 300000", ["X-Webhook-Timestamp: " . ($NOW_S + 1), "X-Webhook-Signature: t=$T,v1=$V"], ['secret'], [], $BODY],
    mal_nk_ts_twice   => ["notifykit $TMS 300000", ["X-Webhook-Timestamp: $T", "X-Webhook-Timestamp: $T", "X-Webhook-Signature: t=$T,v1=$V"], ['secret'], [], $BODY],
);

# ---- the preset fixtures ----------------------------------------------

my $root = dirname(__FILE__) . '/..';
my %fixtures;       # preset => file; later directories win
for my $d ("$root/t/fixtures/presets", @ARGV) {
    $fixtures{basename($_, '.json')} = $_ for grep { !/package/ } glob("$d/*.json");
}

# Each preset's default tolerance (webhook_signature_tolerance unset), as
# the fuzz input's settings line writes it.
my %tolerance = (paddle => 5000, calendly => 180000, twitch => 600000,
                 linear => 60000);
my %untimed = map { $_ => 1 } qw(github gitlab shopify pagerduty sentry
    bitbucket jira typeform intercom vercel woocommerce square twilio hmac);

sub tolerance_ms {
    my ($preset, $t) = @_;
    return $untimed{$preset} ? 'off' : ($tolerance{$preset} // 300000) unless defined $t;
    return 'off' if $t eq 'off';
    my ($n, $unit) = $t =~ /^(\d+)(ms|s|m|h)?$/ or die "tolerance $t";
    return $n * { ms => 1, s => 1000, m => 60000, h => 3600000 }->{$unit // 's'};
}

my (%parsers, %seen);
sub parser_seed {
    my ($tag, $text) = @_;
    return if $seen{"$tag$text"}++;
    $parsers{sprintf '%s_%03d', { d => 'decode', t => 'time', w => 'twilio',
        q => 'query', j => 'json', k => 'key' }->{$tag}, scalar keys %seen}
        = "$tag$text";
}
# The fixtures' strings as UTF-8 bytes, as they are sent.
sub bytes_of {
    my ($v) = @_;
    return [map { bytes_of($_) } @$v] if ref $v eq 'ARRAY';
    return { map { $_ => bytes_of($v->{$_}) } keys %$v } if ref $v eq 'HASH';
    utf8::encode($v) if defined $v && !ref $v;
    return $v;
}
my $CLOCK = pack('Q>', 1746561234000) . pack('Q>', 300000) . pack('Q>', 600000);

for my $preset (sort keys %fixtures) {
    my $f = bytes_of decode_json(do { local $/; open my $fh, '<:raw', $fixtures{$preset} or die $!; <$fh> });
    my $n = 0;
    for my $case (@{$f->{cases}}) {
        my %config = (%{$f->{config}}, %{$case->{config} // {}});
        my $now = defined $f->{now} ? $f->{now} * 1000 : 1746561234000;
        my $body = defined $case->{body_base64} ? decode_base64($case->{body_base64})
                                                : $case->{body};
        my ($host) = map { $_->[1] } grep { lc $_->[0] eq 'host' } @{$case->{headers}};
        my $url = $config{url} // '$scheme://$host$request_uri';
        $url =~ s/\$scheme/http/g;
        $url =~ s/\$host/$host \/\/ 'localhost'/ge;
        $url =~ s/\$request_uri/$case->{uri}/g;

        my @lines = ("$case->{method}", "\@url $url");
        $lines[0] = "\@method $lines[0]";
        if ($config{hmac}) {
            for (split ' ', $config{hmac}) {
                my ($k, $v) = split /=/, $_, 2;
                push @lines, "\@hmac-$k $v";
            }
        }
        my @headers = map { "$_->[0]: $_->[1]" } @{$case->{headers}};
        my $settings = "$preset $now " . tolerance_ms($preset, $config{tolerance});
        $seeds{sprintf '%s_%02d', $preset, $n++}
            = [$settings, [@lines, @headers], $config{secrets}, [], $body];

        for my $h (@{$case->{headers}}) {
            my $v = $h->[1];
            for my $token (split /[,; ]+/, $v) {
                $token =~ s/^[a-z0-9]+[=,]//;
                parser_seed('d', $token) if length $token >= 8;
            }
            parser_seed('t', "$CLOCK$v") if $h->[0] =~ /timestamp/i;
        }
        parser_seed('w', "$url\n$body") if $preset eq 'twilio';
        parser_seed('q', "bodySHA256\n$url") if $url =~ /\?/;
        parser_seed('j', "webhookTimestamp\n$body") if $preset eq 'linear';
        parser_seed('k', $_) for @{$config{secrets}};
    }
}
parser_seed('t', "$CLOCK$_") for qw(1746561234 1746561234000 2025-05-06T19:53:54Z
    2025-05-06t19:53:54.123456z 2024-02-29T23:59:60.5+01:30 0000-01-01T00:00:00-23:59
    9999-12-31T23:59:59.999Z 99999999999999999999);
parser_seed('d', $_) for qw(AAAA AA== AAA= 00ff 00FF whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw);
parser_seed('k', $_) for ('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'a&amp;b&#39;&#x27;&quot;',
    '-----BEGIN PUBLIC KEY-----');
parser_seed('j', "webhookTimestamp\n" . '{"a":"x\\"y","webhookTimestamp":1746561234000,"b":[{"c":1}]}');
parser_seed('w', "https://x.example/t?a=1\nb=2&a=%41+B&&c&d=%zz");

remove_tree($dir);
for my $target (qw(headers verify)) {
    make_path("$dir/$target");
    for my $name (sort keys %seeds) {
        my ($settings, $headers, $secrets, $splits, $body) = @{$seeds{$name}};
        my $text = "$settings\n" . join('', map { "$_\n" } @$headers);
        if ($target eq 'verify') {      # the headers target ignores these
            $text .= join('', map { "\@secret $_\n" } @$secrets)
                   . join('', map { "\@split $_\n" } @$splits);
        }
        $text .= "\n$body";
        open my $fh, '>:raw', "$dir/$target/$name" or die "$dir/$target/$name: $!";
        print $fh $text;
        close $fh;
    }
}
make_path("$dir/parsers");
for my $name (sort keys %parsers) {
    open my $fh, '>:raw', "$dir/parsers/$name" or die "$dir/parsers/$name: $!";
    print $fh $parsers{$name};
    close $fh;
}
printf "wrote %d seeds for headers and verify, %d for parsers, under %s (fixtures: %d presets)\n",
    scalar keys %seeds, scalar keys %parsers, $dir, scalar keys %fixtures;
