#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
#
# Writes the seed corpora of the fuzz targets (fuzz/corpus/<target>/): valid
# Novu and NotifyKit requests and each malformed form listed in SPEC.md, in
# the input format of fuzz_input.hpp.  The seeds are committed; run this
# again only to change them:  perl fuzz/make-seeds.pl
use strict;
use warnings;
use Digest::SHA qw(hmac_sha256_hex);
use File::Basename qw(dirname);
use File::Path qw(make_path remove_tree);

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
printf "wrote %d seeds per target under %s\n", scalar keys %seeds, $dir;
