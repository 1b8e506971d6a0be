#!/usr/bin/perl
# SPEC "Directives": every configuration error fails `nginx -t` with a
# message naming the directive (or file / variable) and the problem, and
# settings inherit downward like nginx's own, a level that sets a directive
# replacing what it inherits.

use strict;
use warnings;
use Test::More;
use Harness;

my $h = Harness->new;
my $P = 'proxy_pass http://%%UPSTREAM%%;';
my $secret_file = $h->write_file('good.secret', "file-secret\n");
$h->write_file('empty.secret', '');
$h->write_file('crlf-only.secret', "\r\n");

# nginx -t with $loc inside "location / { }".
sub t_loc {
    my ($loc, %o) = @_;
    $loc =~ s/;\s*/;\n            /g;     # one directive a line, as nginx.conf:LINE points
    return $h->nginx_t("server {\n    listen 127.0.0.1:%%PORT%%;\n"
                       . "    location / {\n            $loc $P\n    }\n}", %o);
}

sub accepted {
    my ($conf, $name, %o) = @_;
    my ($rc, $out) = ref $conf ? @$conf : t_loc($conf, %o);
    is($rc, 0, "nginx -t accepts: $name") or diag $out;
}

# Fails with [emerg]; the message itself names the directive and matches
# every @want (the problem: the value, the file, the range).
sub refused {
    my ($conf, $name, $directive, @want) = @_;
    my ($rc, $out) = ref $conf ? @$conf : t_loc($conf);
    isnt($rc, 0, "nginx -t fails: $name");
    like($out, qr/\[emerg\]/, "$name: reported as [emerg]");
    like($out, qr/\[emerg\] [^\n]*"\Q$directive\E"/, "$name: the message names \"$directive\"");
    like($out, $_, "$name: the message says $_") for @want;
}

# ------------------------------------------------------------ valid

accepted(<<"EOF", 'every directive with valid values', env => { WH_CONF_SECRET => 'x' });
    webhook_signature novu;
    webhook_signature_secret "literal";
    webhook_signature_secret \$http_x_tenant;
    webhook_signature_secret file=$secret_file;
    webhook_signature_secret env=WH_CONF_SECRET;
    webhook_signature_tolerance 5m;
    webhook_signature_mode report;
    webhook_signature_status 599;
    webhook_signature_log_level notice;
EOF
accepted("webhook_signature $_; webhook_signature_secret s;", "webhook_signature $_")
    for qw(off novu notifykit auto);
accepted("webhook_signature novu; webhook_signature_secret s; webhook_signature_tolerance $_;",
         "webhook_signature_tolerance $_") for qw(300 5m 1500ms 1h off);
accepted("webhook_signature novu; webhook_signature_secret s; webhook_signature_status $_;",
         "webhook_signature_status $_") for qw(400 401 403 599);
accepted("webhook_signature novu; webhook_signature_secret s; webhook_signature_mode $_;",
         "webhook_signature_mode $_") for qw(enforce report);
accepted("webhook_signature novu; webhook_signature_secret s; webhook_signature_log_level $_;",
         "webhook_signature_log_level $_") for qw(info notice warn error);
accepted('webhook_signature off;', 'webhook_signature off needs no secret');
accepted([$h->nginx_t("webhook_signature_secret s; server { listen 127.0.0.1:%%PORT%%; "
                      . "location / { webhook_signature novu; $P } }")],
         'a secret at http level serves a scheme set in a location');
accepted([$h->nginx_t("webhook_signature_tolerance 1m; webhook_signature_status 403; "
                      . "webhook_signature_mode report; webhook_signature_log_level warn; "
                      . "server { listen 127.0.0.1:%%PORT%%; location / { $P } }")],
         'the directives are valid at http level');

# ------------------------------------------------------------ secrets

refused('webhook_signature novu;', 'a scheme with no secret at all', 'webhook_signature', qr/secret/);
refused('webhook_signature auto;', 'auto with no secret at all', 'webhook_signature', qr/secret/);
refused([$h->nginx_t("webhook_signature notifykit; server { listen 127.0.0.1:%%PORT%%; location / { $P } }")],
        'a scheme set at http level with no secret anywhere', 'webhook_signature', qr/secret/);
refused('webhook_signature novu; webhook_signature_secret "";', 'a literal empty secret',
        'webhook_signature_secret', qr/empty/);
my $empty = $h->prefix . '/empty.secret';
refused("webhook_signature novu; webhook_signature_secret file=$empty;", 'an empty secret file',
        'webhook_signature_secret', qr/\Q$empty\E/);
my $crlf = $h->prefix . '/crlf-only.secret';
refused("webhook_signature novu; webhook_signature_secret file=$crlf;",
        'a secret file holding only CR LF (empty once stripped)', 'webhook_signature_secret', qr/\Q$crlf\E/);
my $missing = $h->prefix . '/no-such.secret';
refused("webhook_signature novu; webhook_signature_secret file=$missing;", 'a missing secret file',
        'webhook_signature_secret', qr/\Q$missing\E/);
my $dir = $h->prefix . '/html';
refused("webhook_signature novu; webhook_signature_secret file=$dir;",
        'an unreadable secret file (a directory)', 'webhook_signature_secret', qr/\Q$dir\E/);
refused([t_loc('webhook_signature novu; webhook_signature_secret env=WH_CONF_UNSET;',
               env => { WH_CONF_UNSET => undef })], 'an unset environment variable',
        'webhook_signature_secret', qr/WH_CONF_UNSET/);
refused([t_loc('webhook_signature novu; webhook_signature_secret env=WH_CONF_EMPTY;',
               env => { WH_CONF_EMPTY => '' })], 'an empty environment variable',
        'webhook_signature_secret', qr/WH_CONF_EMPTY/);
accepted('webhook_signature novu; webhook_signature_secret env=WH_CONF_SET;',
         'a set environment variable', env => { WH_CONF_SET => 'value' });

# ------------------------------------------------------------ values

my $base = 'webhook_signature novu; webhook_signature_secret s;';
refused("$base webhook_signature_tolerance $_;", "webhook_signature_tolerance $_",
        'webhook_signature_tolerance', qr/invalid|\Q$_\E/) for qw(5x abc -5);
refused("$base webhook_signature_status $_;", "webhook_signature_status $_",
        'webhook_signature_status', qr/\Q$_\E|400|invalid/) for qw(399 600 abc 0);
refused("$base webhook_signature_mode audit;", 'unknown webhook_signature_mode',
        'webhook_signature_mode', qr/audit/);
refused('webhook_signature stripe; webhook_signature_secret s;', 'unknown scheme',
        'webhook_signature', qr/stripe/);
refused('webhook_signature on; webhook_signature_secret s;', 'webhook_signature on (not a scheme)',
        'webhook_signature', qr/"on"/);
refused("$base webhook_signature_log_level $_;", "webhook_signature_log_level $_",
        'webhook_signature_log_level', qr/\Q$_\E/) for qw(debug crit verbose);

# ------------------------------------------------------------ inheritance at run time

my ($H1, $H2, $L, $SV) = ('http-secret-one-Pp6h', 'http-secret-two-Qq7j', 'loc-secret-Rr8k', 'server-secret-Ss9l');
$h->run(<<"EOF");
    webhook_signature novu;
    webhook_signature_secret "$H1";
    webhook_signature_secret "$H2";
    webhook_signature_status 403;
    webhook_signature_tolerance 10s;
    webhook_signature_log_level warn;

    server {
        listen 127.0.0.1:%%PORT%%;
        server_name localhost;
        location /inherit  { $P }
        location /replace  { webhook_signature_secret "$L"; $P }
        location /off      { webhook_signature off; $P }
        location /nk       { webhook_signature notifykit; $P }
        location /status   { webhook_signature_status 401; $P }
    }
    server {
        listen 127.0.0.1:%%PORT2%%;
        server_name second;
        webhook_signature_secret "$SV";
        webhook_signature_mode report;
        location / { $P }
        location /enforce { webhook_signature_mode enforce; $P }
    }
EOF

my $BODY = '{"event":"inherit"}';
sub hook {
    my ($uri, $headers, %o) = @_;
    return $h->request(uri => $uri, headers => $headers, body => $BODY, %o);
}

{
    my $r = hook('/inherit', [novu_headers($H2, now_ms(), $BODY)]);
    $h->passed_ok($r, $BODY, 'inherit: http-level scheme and secrets apply in a location');
    is($h->access_for($r)->{key}, 2, 'inherit: the second http-level secret is key 2');
    $h->rejected_ok(hook('/inherit', [novu_headers('x', now_ms(), $BODY)]), 'mismatch', 'novu',
                    'inherit: http-level status 403 and log level warn', status => 403, level => 'warn');
    $h->rejected_ok(hook('/inherit', [novu_headers($H1, now_s() - 30, $BODY)]), 'stale', 'novu',
                    'inherit: http-level tolerance 10s (30 s old is stale)', status => 403, level => 'warn');

    $h->passed_ok(hook('/replace', [novu_headers($L, now_ms(), $BODY)]), $BODY,
                  'inherit: a location secret verifies');
    $h->rejected_ok(hook('/replace', [novu_headers($H1, now_ms(), $BODY)]), 'mismatch', 'novu',
                    'inherit: a location secret replaces (not appends) the inherited list',
                    status => 403, level => 'warn');

    $r = hook('/off', []);
    $h->passed_ok($r, $BODY, 'inherit: webhook_signature off in a location disables the check');
    is($h->access_for($r)->{result}, '-', 'inherit: ... and nothing was checked');

    $h->passed_ok(hook('/nk', [nk_headers($H1, now_s(), $BODY)]), $BODY,
                  'inherit: a location scheme uses the inherited secrets');
    $h->rejected_ok(hook('/status', []), 'missing', 'novu',
                    'inherit: a location status overrides the inherited one', status => 401, level => 'warn');

    $h->passed_ok(hook('/', [novu_headers($SV, now_ms(), $BODY)], port => 'PORT2'), $BODY,
                  'inherit: a server-level secret verifies');
    $r = hook('/enforce', [novu_headers($H1, now_ms(), $BODY)], port => 'PORT2');
    $h->rejected_ok($r, 'mismatch', 'novu', 'inherit: a server-level secret replaces the http-level list',
                    status => 403, level => 'warn');
    $r = hook('/', [novu_headers('x', now_ms(), $BODY)], port => 'PORT2');
    $h->passed_ok($r, $BODY, 'inherit: server-level report mode is inherited by its locations');
    $h->failure_logged_ok($r, 'mismatch', 'novu', 'inherit: report line', report => 1, level => 'warn');
}

$h->finish;
done_testing;
