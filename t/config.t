#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
#
# SPEC "Directives": every configuration error fails `nginx -t` with a
# message naming the directive (or file / variable) and the problem, and
# settings inherit downward like nginx's own, a level that sets a directive
# replacing what it inherits.

use strict;
use warnings;
use Test::More;
use Harness;

my $h = Harness->new;
$h->write_file('good.secret', "file-secret\n");
$h->write_file('empty.secret', '');
$h->write_file('crlf-only.secret', "\r\n");

# The server every t_loc() configuration is in: %%LOCATION%% is replaced
# by the directives under test, one a line, as nginx.conf:LINE points.
my $SERVER = <<'EOF';
    server {
        listen 127.0.0.1:%%PORT%%;

        location / {
%%LOCATION%%
            proxy_pass http://%%UPSTREAM%%;
        }
    }
EOF

# nginx -t with the directives $loc inside "location / { }"; %o as
# nginx_t's (vars, env).
sub t_loc {
    my ($loc, %o) = @_;
    $loc =~ s/^[ \t]*/            /mg;
    (my $conf = $SERVER) =~ s/^%%LOCATION%%\n/$loc/m;
    return $h->nginx_t($conf, %o);
}

# $conf: directives for t_loc(), or [exit code, output] of an nginx -t.
sub accepted {
    my ($name, $conf, %o) = @_;
    my ($rc, $out) = ref $conf ? @$conf : t_loc($conf, %o);
    is($rc, 0, "nginx -t accepts: $name") or diag $out;
}

# Fails with [emerg]; the message itself names the directive and matches
# $want (the problem: the value, the file, the range).
sub refused {
    my ($name, $directive, $want, $conf, %o) = @_;
    my ($rc, $out) = ref $conf ? @$conf : t_loc($conf, %o);
    my $c = checks();
    $c->ok($rc != 0, 'nginx -t fails');
    $c->like($out, qr/\[emerg\]/, 'reported as [emerg]');
    $c->like($out, qr/\[emerg\] [^\n]*"\Q$directive\E"/,
             "the message names \"$directive\"");
    $c->like($out, $want, "the message says $want");
    $c->done("nginx -t fails: $name", $out);
}

# ------------------------------------------------------------ valid

my %env = (env => { WH_CONF_SECRET => 'x' });
accepted('every directive with valid values', <<'EOF', %env);
    webhook_signature novu;
    webhook_signature_secret "literal";
    webhook_signature_secret $http_x_tenant;
    webhook_signature_secret file=%%PREFIX%%/good.secret;
    webhook_signature_secret env=WH_CONF_SECRET;
    webhook_signature_tolerance 5m;
    webhook_signature_mode report;
    webhook_signature_status 599;
    webhook_signature_log_level notice;
EOF

for my $scheme (qw(off novu notifykit auto)) {
    my %vars = (SCHEME => $scheme);
    accepted("webhook_signature $scheme", <<'EOF', vars => \%vars);
    webhook_signature %%SCHEME%%;
    webhook_signature_secret s;
EOF
}

for my $tolerance (qw(300 5m 1500ms 1h off)) {
    my %vars = (TOLERANCE => $tolerance);
    accepted("webhook_signature_tolerance $tolerance", <<'EOF', vars => \%vars);
    webhook_signature novu;
    webhook_signature_secret s;
    webhook_signature_tolerance %%TOLERANCE%%;
EOF
}

for my $status (qw(400 401 403 599)) {
    my %vars = (STATUS => $status);
    accepted("webhook_signature_status $status", <<'EOF', vars => \%vars);
    webhook_signature novu;
    webhook_signature_secret s;
    webhook_signature_status %%STATUS%%;
EOF
}

for my $mode (qw(enforce report)) {
    my %vars = (MODE => $mode);
    accepted("webhook_signature_mode $mode", <<'EOF', vars => \%vars);
    webhook_signature novu;
    webhook_signature_secret s;
    webhook_signature_mode %%MODE%%;
EOF
}

for my $level (qw(info notice warn error)) {
    my %vars = (LEVEL => $level);
    accepted("webhook_signature_log_level $level", <<'EOF', vars => \%vars);
    webhook_signature novu;
    webhook_signature_secret s;
    webhook_signature_log_level %%LEVEL%%;
EOF
}

accepted('webhook_signature off needs no secret', <<'EOF');
    webhook_signature off;
EOF

my @secret_at_http = $h->nginx_t(<<'EOF');
    webhook_signature_secret s;

    server {
        listen 127.0.0.1:%%PORT%%;

        location / {
            webhook_signature novu;
            proxy_pass http://%%UPSTREAM%%;
        }
    }
EOF
accepted('a secret at http level serves a scheme set in a location',
         \@secret_at_http);

my @all_at_http = $h->nginx_t(<<'EOF');
    webhook_signature_tolerance 1m;
    webhook_signature_status 403;
    webhook_signature_mode report;
    webhook_signature_log_level warn;

    server {
        listen 127.0.0.1:%%PORT%%;

        location / {
            proxy_pass http://%%UPSTREAM%%;
        }
    }
EOF
accepted('the directives are valid at http level', \@all_at_http);

# ------------------------------------------------------------ secrets

refused('a scheme with no secret at all', 'webhook_signature', qr/secret/,
        <<'EOF');
    webhook_signature novu;
EOF
refused('auto with no secret at all', 'webhook_signature', qr/secret/,
        <<'EOF');
    webhook_signature auto;
EOF

my @scheme_at_http = $h->nginx_t(<<'EOF');
    webhook_signature notifykit;

    server {
        listen 127.0.0.1:%%PORT%%;

        location / {
            proxy_pass http://%%UPSTREAM%%;
        }
    }
EOF
refused('a scheme set at http level with no secret anywhere',
        'webhook_signature', qr/secret/, \@scheme_at_http);

refused('a literal empty secret', 'webhook_signature_secret', qr/empty/,
        <<'EOF');
    webhook_signature novu;
    webhook_signature_secret "";
EOF

my $empty = $h->prefix . '/empty.secret';
refused('an empty secret file', 'webhook_signature_secret', qr/\Q$empty\E/,
        <<'EOF');
    webhook_signature novu;
    webhook_signature_secret file=%%PREFIX%%/empty.secret;
EOF

my $crlf = $h->prefix . '/crlf-only.secret';
refused('a secret file holding only CR LF (empty once stripped)',
        'webhook_signature_secret', qr/\Q$crlf\E/, <<'EOF');
    webhook_signature novu;
    webhook_signature_secret file=%%PREFIX%%/crlf-only.secret;
EOF

my $missing = $h->prefix . '/no-such.secret';
refused('a missing secret file', 'webhook_signature_secret',
        qr/\Q$missing\E/, <<'EOF');
    webhook_signature novu;
    webhook_signature_secret file=%%PREFIX%%/no-such.secret;
EOF

my $dir = $h->prefix . '/html';
refused('an unreadable secret file (a directory)',
        'webhook_signature_secret', qr/\Q$dir\E/, <<'EOF');
    webhook_signature novu;
    webhook_signature_secret file=%%PREFIX%%/html;
EOF

# A "$" in a literal secret would silently be a variable: only text
# without variables, or exactly one variable, is a secret value.
for my $case (['text mixed with a variable', 'Zx$9kqW'],
              ['a variable the client sets, after text', 'pw$arg_k'],
              ['a regex capture', '$1'],
              ['two variables', '$http_a$http_b'],
              ['a variable, then text', '${http_x}tail']) {
    my ($what, $value) = @$case;
    my @t = t_loc(<<'EOF', vars => { VALUE => $value });
    webhook_signature novu;
    webhook_signature_secret '%%VALUE%%';
EOF
    refused("webhook_signature_secret '$value' ($what)",
            'webhook_signature_secret', qr/"file="[^\n]*"env="/, \@t);
    unlike($t[1], qr/\Q$value\E/,
           "nginx -t does not print the refused secret '$value'");
}
accepted('exactly one variable as a secret ($http_x_tenant)', <<'EOF');
    webhook_signature novu;
    webhook_signature_secret $http_x_tenant;
EOF
accepted('exactly one variable in braces (${http_x_tenant})', <<'EOF');
    webhook_signature novu;
    webhook_signature_secret ${http_x_tenant};
EOF
{
    # nginx itself refuses a variable nobody defines, naming it
    my ($rc, $out) = t_loc(<<'EOF');
    webhook_signature novu;
    webhook_signature_secret $no_such_secret;
EOF
    ok($rc != 0 && $out =~ /\[emerg\] unknown "no_such_secret" variable/,
       'nginx -t fails: a secret from an unknown variable') or diag $out;
}

# The size limit is on the key, after trailing CR and LF are stripped.
$h->write_file('max.secret', ('k' x 65536) . "\n");
$h->write_file('max-crlf.secret', ('k' x 65536) . "\r\n\r\n");
$h->write_file('over.secret', ('k' x 65537) . "\n");
accepted('a 65,536-byte secret file with a trailing newline', <<'EOF');
    webhook_signature novu;
    webhook_signature_secret file=%%PREFIX%%/max.secret;
EOF
accepted('a 65,536-byte secret file with trailing CR LF CR LF', <<'EOF');
    webhook_signature novu;
    webhook_signature_secret file=%%PREFIX%%/max-crlf.secret;
EOF
refused('a 65,537-byte secret (with a trailing newline)',
        'webhook_signature_secret', qr/larger than 65536 bytes/, <<'EOF');
    webhook_signature novu;
    webhook_signature_secret file=%%PREFIX%%/over.secret;
EOF

refused('an unset environment variable', 'webhook_signature_secret',
        qr/WH_CONF_UNSET/, <<'EOF', env => { WH_CONF_UNSET => undef });
    webhook_signature novu;
    webhook_signature_secret env=WH_CONF_UNSET;
EOF

refused('an empty environment variable', 'webhook_signature_secret',
        qr/WH_CONF_EMPTY/, <<'EOF', env => { WH_CONF_EMPTY => '' });
    webhook_signature novu;
    webhook_signature_secret env=WH_CONF_EMPTY;
EOF

%env = (env => { WH_CONF_SET => 'value' });
accepted('a set environment variable', <<'EOF', %env);
    webhook_signature novu;
    webhook_signature_secret env=WH_CONF_SET;
EOF

# ------------------------------------------------------------ values

for my $tolerance (qw(5x abc -5)) {
    refused("webhook_signature_tolerance $tolerance",
            'webhook_signature_tolerance', qr/invalid|\Q$tolerance\E/,
            <<'EOF', vars => { TOLERANCE => $tolerance });
    webhook_signature novu;
    webhook_signature_secret s;
    webhook_signature_tolerance %%TOLERANCE%%;
EOF
}

for my $status (qw(399 600 abc 0)) {
    refused("webhook_signature_status $status",
            'webhook_signature_status', qr/\Q$status\E|400|invalid/,
            <<'EOF', vars => { STATUS => $status });
    webhook_signature novu;
    webhook_signature_secret s;
    webhook_signature_status %%STATUS%%;
EOF
}

refused('unknown webhook_signature_mode', 'webhook_signature_mode',
        qr/audit/, <<'EOF');
    webhook_signature novu;
    webhook_signature_secret s;
    webhook_signature_mode audit;
EOF

refused('unknown scheme', 'webhook_signature', qr/paypal/, <<'EOF');
    webhook_signature paypal;
    webhook_signature_secret s;
EOF

refused('webhook_signature on (not a scheme)', 'webhook_signature',
        qr/"on"/, <<'EOF');
    webhook_signature on;
    webhook_signature_secret s;
EOF

for my $level (qw(debug crit verbose)) {
    refused("webhook_signature_log_level $level",
            'webhook_signature_log_level', qr/\Q$level\E/,
            <<'EOF', vars => { LEVEL => $level });
    webhook_signature novu;
    webhook_signature_secret s;
    webhook_signature_log_level %%LEVEL%%;
EOF
}

# ------------------------------------------------------------ presets

# Keys are decoded as each preset's sender encodes them, when the
# configuration loads; a key that cannot work is reported where it was
# configured, without its value.  The RFC 8032 7.1 TEST 1 public key, and
# a P-256 public key (base64 DER SubjectPublicKeyInfo).
my $ED25519 = 'd75a980182b10ab7d54bfed3c964073'
            . 'a0ee172f3daa62325af021a68f707511a';
my $P256 = 'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEuxX8CR6eZiIjNHcWfLzbs6KD9T'
         . 'ccuVw97KZjomom0I9APvVc4mZabzhIaPbwj9tluyT3c62SkFuMp6LV9OpGkw==';

accepted('every preset with a key it can use', [$h->nginx_t(<<'EOF',
    server {
        listen 127.0.0.1:%%PORT%%;
        webhook_signature_secret "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

        location /sw { webhook_signature standard_webhooks; }
        location /svix { webhook_signature svix; }
        location /stripe { webhook_signature stripe; }
        location /discord {
            webhook_signature discord;
            webhook_signature_secret %%ED25519%%;
        }
        location /sendgrid {
            webhook_signature sendgrid;
            webhook_signature_secret "%%P256%%";
        }
        location /twilio {
            webhook_signature twilio;
            webhook_signature_url "https://api.example.com$request_uri";
        }
        location /hmac {
            webhook_signature hmac;
            webhook_signature_hmac header=X-Sig prefix=sha512= algorithm=sha512
                                   encoding=base64;
        }
    }
EOF
    vars => { ED25519 => $ED25519, P256 => $P256 })]);

for my $case (
    [ 'a discord key that is not 64 hex digits', 'discord',
      'zz-not-a-discord-key-Q7', qr/64 hex digits/ ],
    [ 'a discord key one digit short', 'discord',
      substr($ED25519, 1), qr/64 hex digits/ ],
    [ 'a whsec_ secret whose base64 does not decode', 'standard_webhooks',
      'whsec_not*base64*Q7', qr/base64 after the "whsec_" prefix/ ],
    [ 'an svix secret that is not base64', 'svix',
      'not-base64-Q7', qr/base64/ ],
    [ 'a sendgrid key that is not a P-256 public key', 'sendgrid',
      'bm90LWEta2V5LVE3', qr/P-256 public key/ ],
    [ 'a sendgrid key given as an Ed25519 key', 'sendgrid',
      $ED25519, qr/P-256 public key/ ],
) {
    my ($name, $preset, $key, $want) = @$case;
    my ($rc, $out) = t_loc(<<"EOF");
    webhook_signature $preset;
    webhook_signature_secret "$key";
EOF
    refused($name, 'webhook_signature_secret',
            qr/$want[^\n]*"webhook_signature\ \Q$preset\E"\ needs\ it,
                 \ in\ \S*nginx\.conf:\d+/x,
            [$rc, $out]);
    unlike($out, qr/\Q$key\E/, "$name: the key is not in the message");
}

refused('a key inherited from the server, bad for the location\'s preset',
        'webhook_signature_secret', qr/64 hex digits/, [$h->nginx_t(<<'EOF')]);
    server {
        listen 127.0.0.1:%%PORT%%;
        webhook_signature_secret "novu-secret";

        location /novu { webhook_signature novu; }
        location /discord { webhook_signature discord; }
    }
EOF

refused('webhook_signature hmac without webhook_signature_hmac',
        'webhook_signature_hmac', qr/requires/, <<'EOF');
    webhook_signature hmac;
    webhook_signature_secret s;
EOF

for my $case (
    [ 'without header=', 'prefix=sha256=', qr/requires "header="/ ],
    [ 'an empty header=', 'header=', qr/"header=" must name a header/ ],
    [ 'a header= that is no header name', 'header=X:Sig',
      qr/"header=" must name a header/ ],
    [ 'algorithm=md5', 'header=X-Sig algorithm=md5',
      qr/"algorithm=" must be sha1, sha256 or sha512/ ],
    [ 'encoding=base32', 'header=X-Sig encoding=base32',
      qr/"encoding=" must be hex or base64/ ],
    [ 'an unknown parameter', 'header=X-Sig digest=sha256',
      qr/invalid parameter "digest=sha256"/ ],
    [ 'a parameter twice', 'header=X-Sig header=Y-Sig',
      qr/invalid parameter "header=Y-Sig"/ ],
) {
    my ($name, $params, $want) = @$case;
    refused("webhook_signature_hmac $name", 'webhook_signature_hmac', $want,
            <<"EOF");
    webhook_signature hmac;
    webhook_signature_hmac $params;
    webhook_signature_secret s;
EOF
}

for my $url ('api.example.com/hook', '/hook', 'ftp://example.com/hook') {
    refused("webhook_signature_url $url", 'webhook_signature_url',
            qr/absolute URL/, <<"EOF");
    webhook_signature twilio;
    webhook_signature_url "$url";
    webhook_signature_secret s;
EOF
}

# -------------------------------------------------- inheritance at run time

my ($H1, $H2, $L, $SV) = ('http-secret-one-Pp6h', 'http-secret-two-Qq7j',
                          'loc-secret-Rr8k', 'server-secret-Ss9l');
$h->run(<<'EOF', vars => { H1 => $H1, H2 => $H2, L => $L, SV => $SV });
    webhook_signature novu;
    webhook_signature_secret "%%H1%%";
    webhook_signature_secret "%%H2%%";
    webhook_signature_status 403;
    webhook_signature_tolerance 10s;
    webhook_signature_log_level warn;

    server {
        listen 127.0.0.1:%%PORT%%;
        server_name localhost;

        location /inherit {
            proxy_pass http://%%UPSTREAM%%;
        }

        location /replace {
            webhook_signature_secret "%%L%%";
            proxy_pass http://%%UPSTREAM%%;
        }

        location /off {
            webhook_signature off;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /nk {
            webhook_signature notifykit;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /status {
            webhook_signature_status 401;
            proxy_pass http://%%UPSTREAM%%;
        }
    }

    server {
        listen 127.0.0.1:%%PORT2%%;
        server_name second;
        webhook_signature_secret "%%SV%%";
        webhook_signature_mode report;

        location / {
            proxy_pass http://%%UPSTREAM%%;
        }

        location /enforce {
            webhook_signature_mode enforce;
            proxy_pass http://%%UPSTREAM%%;
        }
    }
EOF

my $BODY = '{"event":"inherit"}';
sub hook {
    my ($uri, $headers, %o) = @_;
    return $h->request(uri => $uri, headers => $headers, body => $BODY, %o);
}

{
    my $r = hook('/inherit', [novu_headers($H2, now_ms(), $BODY)]);
    $h->passed_ok($r, $BODY,
                  'inherit: http-level scheme and secrets apply in a location');
    is($h->access_for($r)->{key}, 2,
       'inherit: the second http-level secret is key 2');
    $h->rejected_ok(hook('/inherit', [novu_headers('x', now_ms(), $BODY)]),
                    'mismatch', 'novu',
                    'inherit: http-level status 403 and log level warn',
                    status => 403, level => 'warn');
    $h->rejected_ok(hook('/inherit', [novu_headers($H1, now_s() - 30, $BODY)]),
                    'stale', 'novu',
                    'inherit: http-level tolerance 10s (30 s old is stale)',
                    status => 403, level => 'warn');

    $h->passed_ok(hook('/replace', [novu_headers($L, now_ms(), $BODY)]), $BODY,
                  'inherit: a location secret verifies');
    $h->rejected_ok(hook('/replace', [novu_headers($H1, now_ms(), $BODY)]),
                    'mismatch', 'novu',
                    'inherit: a location secret replaces (not appends)'
                    . ' the inherited list',
                    status => 403, level => 'warn');

    $r = hook('/off', []);
    $h->passed_ok($r, $BODY,
                  'inherit: webhook_signature off in a location'
                  . ' disables the check');
    is($h->access_for($r)->{result}, '-',
       'inherit: ... and nothing was checked');

    $h->passed_ok(hook('/nk', [nk_headers($H1, now_s(), $BODY)]), $BODY,
                  'inherit: a location scheme uses the inherited secrets');
    $h->rejected_ok(hook('/status', []), 'missing', 'novu',
                    'inherit: a location status overrides the inherited one',
                    status => 401, level => 'warn');

    $h->passed_ok(hook('/', [novu_headers($SV, now_ms(), $BODY)],
                       port => 'PORT2'),
                  $BODY, 'inherit: a server-level secret verifies');
    $r = hook('/enforce', [novu_headers($H1, now_ms(), $BODY)],
              port => 'PORT2');
    $h->rejected_ok($r, 'mismatch', 'novu',
                    'inherit: a server-level secret replaces'
                    . ' the http-level list',
                    status => 403, level => 'warn');
    $r = hook('/', [novu_headers('x', now_ms(), $BODY)], port => 'PORT2');
    $h->passed_ok($r, $BODY,
                  'inherit: server-level report mode is inherited'
                  . ' by its locations');
    $h->failure_logged_ok($r, 'mismatch', 'novu', 'inherit: report line',
                          report => 1, level => 'warn');
}

$h->finish;
done_testing;
