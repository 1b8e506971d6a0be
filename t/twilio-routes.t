#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
#
# Twilio's signature covers the URL and, through it, the body: a form's
# parameters, or a JSON body's digest in the URL's bodySHA256.  No request
# whose body the signature does not cover passes: not one that spells
# bodySHA256 so that only a decoded URL variant names it, not a body of
# another type under a URL-only signature, not a form type padded with a
# tab.  And webhook_signature_url inherited from a level whose own scheme
# signs no URL still applies below.  (Found by an independent review.)

use strict;
use warnings;
use Test::More;
use Harness;
use Digest::SHA qw(hmac_sha1 sha256_hex);
use MIME::Base64 qw(encode_base64);

my $TOKEN  = 'twilio-auth-token-7Hq2';
my $PUBLIC = 'https://public.example.com';

my $h = Harness->new;
$h->run(<<'EOF', vars => { TOKEN => $TOKEN, PUBLIC => $PUBLIC });
    server {
        listen 127.0.0.1:%%PORT%%;
        webhook_signature stripe;
        webhook_signature_secret "%%TOKEN%%";
        webhook_signature_url "%%PUBLIC%%$request_uri";

        location /tw {
            webhook_signature twilio;
            proxy_pass http://%%UPSTREAM%%;
        }
    }
EOF

sub signature { encode_base64(hmac_sha1($_[0], $TOKEN), '') }

sub send_twilio {
    my ($uri, $signed_url, $type, $body) = @_;
    return $h->request(uri => $uri, no_tid => 1, body => $body,
                       host => 'public.example.com',
                       headers => [
                           'X-Twilio-Signature' => signature($signed_url),
                           'Content-Type' => $type ]);
}

# 401, and nothing reached the upstream
sub refused_ok {
    my ($res, $name) = @_;
    my $c = $h->checks;
    $c->is($res->{status}, 401, 'status 401');
    $c->is(scalar $h->upstream_for($res), 0, 'nothing reached the upstream');
    $c->done($name, $res->{raw} // '');
}

sub tid { 'tid=' . ($h->{tid} + 1) }

# a genuine JSON delivery: the URL (with the body's digest) alone is signed
my $json = '{"real":true}';
my $uri = "/tw/json?" . tid() . '&bodySHA256=' . sha256_hex($json);
my $res = send_twilio($uri, "$PUBLIC$uri", 'application/json', $json);
$h->passed_ok($res, $json, 'JSON delivery, webhook_signature_url inherited'
                           . ' from a stripe level: 200, the exact body');

# its signature replayed with a forged body and "bodySHA256" escaped
($uri = "/tw/json?" . tid() . '&bodySHA256=' . sha256_hex($json))
    =~ s/bodySHA256/%62odySHA256/;
(my $signed = "$PUBLIC$uri") =~ s/%62odySHA256/bodySHA256/;
$res = send_twilio($uri, $signed, 'application/json', '{"forged":true}');
refused_ok($res,
    'a JSON delivery\'s signature, "%62odySHA256" and a forged body: 401');

# a URL-only signature (a GET webhook's) with a body of another type
$uri = "/tw/sms?" . tid() . '&From=%2B15551234567&Body=hi';
$res = send_twilio($uri, "$PUBLIC$uri", 'text/plain', 'Body=FORGED');
refused_ok($res,
    'a URL-only signature with a text/plain body: 401');

# ... or a form type padded with a tab (the form is then signed: it is not)
$uri = "/tw/sms?" . tid() . '&From=%2B15551234567&Body=hi';
$res = send_twilio($uri, "$PUBLIC$uri",
                   "application/x-www-form-urlencoded\t", 'Body=FORGED');
refused_ok($res,
    'a URL-only signature, a form type with a tab and a forged form: 401');

# a genuine form delivery, its type padded with a tab
my $form = 'Body=Hello&From=%2B15551234567';
$uri = "/tw/sms?" . tid();
$res = send_twilio($uri, "$PUBLIC${uri}BodyHelloFrom+15551234567",
                   "\tapplication/x-www-form-urlencoded; charset=utf-8",
                   $form);
$h->passed_ok($res, $form, 'a genuine form, its type padded with a tab:'
                           . ' 200, the exact body');

$h->finish;
done_testing;
