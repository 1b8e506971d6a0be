#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
#
# examples/: every snippet, inside examples/nginx.conf, passes `nginx -t`
# (alone and all together), and then runs: requests signed with
# tools/webhook-sign pass, forged ones are rejected, and each example's
# promise (TLS, redirects, rotation key numbers, per-tenant secrets,
# report-only logging) holds.  The demo's template passes `nginx -t` too.
#
# examples/presets/: one location per sender, inside a TLS server for
# api.example.com.  Each passes `nginx -t`, and all of them run together:
# a request signed the way that sender signs (computed here, with
# Digest::SHA and openssl) reaches the upstream byte for byte; a forged and
# an unsigned one get 401.  A preset the built module does not know yet
# (nginx -t names it an invalid value, or the directive it needs unknown)
# is skipped, saying so.
#
# The examples name system paths (/etc/nginx/secrets, /etc/ssl, /var/log/nginx,
# ports 80 and 443, upstreams on 127.0.0.1:3000...): the test moves them
# into a temp prefix, to free ports and to the harness's upstream, and
# checks that no system path is left.

use strict;
use warnings;
use Test::More;
use FindBin;
use Harness;
use Harness::Cmd;
use Digest::SHA qw(hmac_sha256 hmac_sha256_hex hmac_sha1 hmac_sha1_hex);
use MIME::Base64 qw(encode_base64 decode_base64);
use POSIX qw(strftime);
use Time::HiRes ();

my $ROOT = "$FindBin::Bin/..";
my $EX   = "$ROOT/examples";
my $SIGN = "$ROOT/tools/webhook-sign";

my %SECRET = (
    'novu.key'      => 'novu-current-key-K3s9',
    'novu-next.key' => 'novu-next-key-P8q2',
    'acme.key'      => 'whsec_acme-tenant-secret',
    'globex.key'    => 'whsec_globex-tenant-secret',
    'notifykit.key' => 'whsec_notifykit-endpoint-secret',
    'wrong.key'     => 'not-the-secret',
);
my %ENV_FOR_NGINX = (NOTIFYKIT_WEBHOOK_SECRET => $SECRET{'notifykit.key'});
my @SNIPPETS = qw(novu-bridge.conf notifykit.conf rotation.conf per-tenant.conf
                  report-only.conf novu-inbox.conf replay-metrics.conf);
my $BODY = qq({"workflowId":"welcome","stepId":"email",\n)
         . qq("payload":{"name":"Ada"}});

sub slurp {
    my ($path) = @_;
    open my $fh, '<:raw', $path or die "$path: $!";
    local $/;
    return scalar <$fh>;
}

# The secrets, a self-signed certificate and the log folder in a prefix.
sub prepare_prefix {
    my ($h) = @_;
    my $p = $h->prefix;
    mkdir "$p/$_" for qw(secrets tls logs conf.d);
    chmod 0755, "$p/logs";
    $h->write_file("secrets/$_", "$SECRET{$_}\n", 0600) for keys %SECRET;
    my %vars = (ACME => $SECRET{'acme.key'}, GLOBEX => $SECRET{'globex.key'});
    $h->write_file('secrets/tenants.map', $h->expand(<<'EOF', vars => \%vars),
acme    "%%ACME%%";
globex  "%%GLOBEX%%";
EOF
                   0600);
    my ($rc, undef, $out) = run_cmd('openssl', 'req', '-x509', '-newkey', 'ec',
        '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
        '-subj', '/CN=example.com',
        '-keyout', "$p/tls/key.pem", '-out', "$p/tls/cert.pem");
    die "openssl req failed: $out" if $rc;
}

# An example's text with its system paths, ports and upstreams moved.
sub localize {
    my ($h, $text) = @_;
    my $p = $h->prefix;
    my $up = $h->{upstream_port};
    $text =~ s{load_module /usr/lib/nginx/modules/(\S+);}
              {load_module $h->{so};}g;
    $text =~ s{^user \S+;\n}{}m if $> != 0;    # only root can switch users
    $text =~ s{/run/nginx\.pid}{$p/nginx.pid}g;
    $text =~ s{/var/log/nginx/error\.log}{$p/error.log}g;
    $text =~ s{/var/log/nginx/}{$p/logs/}g;
    $text =~ s{/etc/nginx/secrets/}{$p/secrets/}g;
    $text =~ s{/etc/nginx/webhooks/}{$p/webhooks/}g;
    $text =~ s{proxy_pass http://127\.0\.0\.1:\d+;}
              {proxy_pass http://127.0.0.1:$up;}g;
    $text =~ s{/etc/ssl/certs/[\w.-]+\.pem}{$p/tls/cert.pem}g;
    $text =~ s{/etc/ssl/private/[\w.-]+\.key}{$p/tls/key.pem}g;
    $text =~ s{include /etc/nginx/conf\.d/\*\.conf;}
              {include $p/conf.d/*.conf;}g;
    $text =~ s{listen 443 ssl}
              {'listen 127.0.0.1:' . $h->port('PORT_TLS') . ' ssl'}ge;
    $text =~ s{listen 80;}{'listen 127.0.0.1:' . $h->port('PORT_HTTP') . ';'}ge;
    $text =~ s{listen 127\.0\.0\.1:9113;}
              {'listen 127.0.0.1:' . $h->port('PORT_METRICS') . ';'}ge;
    $text =~ s{server 127\.0\.0\.1:\d+;}{server 127.0.0.1:$up;}g;
    # Temp files of request bodies inside the prefix, not /var/lib/nginx.
    my $temp = $h->expand(<<'EOF');
    client_body_temp_path %%PREFIX%%/client_body_temp;
    proxy_temp_path %%PREFIX%%/proxy_temp;
EOF
    $text =~ s/^(http \{\n)/$1$temp/m;
    return $text;
}

sub system_paths_left {
    my ($text) = @_;
    (my $code = $text) =~ s/#.*//g;
    return join ', ', $code =~ m{(?<![\w/])(/(?:etc|var|run|usr)/\S+)}g;
}

# Writes nginx.conf (around the given snippets) into the prefix; returns it.
sub install_example {
    my ($h, @snippets) = @_;
    my $p = $h->prefix;
    unlink glob "$p/conf.d/*.conf";
    for my $s (@snippets) {
        my $text = localize($h, slurp("$EX/$s"));
        my $left = system_paths_left($text);
        is($left, '', "$s: every system path is one the test moves") if $left;
        $h->write_file("conf.d/$s", $text);
    }
    # In the foreground, so the harness stops it by its PID.
    return $h->write_file('nginx.conf',
                          "daemon off;\n"
                          . localize($h, slurp("$EX/nginx.conf")));
}

sub nginx_t_ok {
    my ($h, $name) = @_;
    my ($rc, $out) = $h->nginx_t_file(undef, env => \%ENV_FOR_NGINX);
    my $c = checks();
    $c->is($rc, 0, 'exit code 0');
    $c->like($out, qr/test is successful/, 'says the test is successful');
    $c->done("$name: nginx -t passes", $out);
}

# curl over TLS (or plain HTTP) to the example; headers from webhook-sign.
#   scheme, key => signs body_file with that secret; send => other bytes;
#   headers => ['Name: value', ...] sent as they are
sub call {
    my ($h, %a) = @_;
    my $p = $h->prefix;
    $h->write_file('body.json', $a{body} // $BODY);
    my @cmd = ('curl', '-sS', '-k', '--max-time', '10', '-o', "$p/res.body",
               '-D', "$p/res.head", '-w', '%{http_code}',
               '-X', $a{method} // 'POST');
    if ($a{scheme}) {
        my ($rc, $headers, $err) = run_cmd($SIGN, '--scheme', $a{scheme},
            '--secret-file', "$p/secrets/$a{key}",
            '--body-file', "$p/body.json",
            @{$a{sign} || []});
        die "webhook-sign: $err" if $rc;
        # The values are digits and hex: no quote inside the quotes.
        push @cmd, map { ('-H', $_) } $headers =~ /-H '([^']*)'/g;
    }
    push @cmd, map { ('-H', $_) } @{$a{headers} || []};
    $h->write_file('body.json', $a{send}) if defined $a{send};
    push @cmd, '-H', 'Content-Type: application/json',
               '--data-binary', "\@$p/body.json"
        if ($a{method} // 'POST') eq 'POST';
    my $port = $a{http} ? $h->port('PORT_HTTP') : $h->port('PORT_TLS');
    my $scheme = $a{http} ? 'http' : 'https';
    push @cmd, '--resolve', "$a{host}:$port:127.0.0.1",
               "$scheme://$a{host}:$port$a{uri}";
    my ($rc, $code) = run_cmd(@cmd);
    my @up = grep { $_->{uri} eq $a{uri} } $h->upstream_requests;
    return { status => $code + 0, curl => $rc, up => \@up,
             head => $h->file('res.head'), body => $h->file('res.body') };
}

sub passed {
    my ($r, $body, $name) = @_;
    my $c = checks();
    $c->is($r->{status}, 200, '200');
    $c->is(scalar @{$r->{up}}, 1, 'reached the upstream once');
    $c->is($r->{up}[0]{sha256}, sha256_hex($body), 'with the exact body')
        if @{$r->{up}};
    $c->done("$name: 200, the exact body upstream", $r->{head} . $r->{body});
}

sub rejected {
    my ($r, $status, $name) = @_;
    my $c = checks();
    $c->is($r->{status}, $status, $status);
    $c->is(scalar @{$r->{up}}, 0, 'never reached the upstream');
    $c->done("$name: $status, never upstream", $r->{head} . $r->{body});
}

# nginx writes the access log after the response: polls for $count lines.
sub log_lines {
    my ($h, $file, $count) = @_;
    my $deadline = time + 5;
    while (1) {
        my @l = split /\n/, $h->file($file);
        return @l if @l >= $count || time > $deadline;
        select undef, undef, undef, 0.05;
    }
}

my $n = 0;
sub uri { my ($path) = @_; $path . ($path =~ /\?/ ? '&' : '?') . 'n=' . ++$n }

# Starts one example; runs $checks->($h); stops it.
sub live {
    my ($snippet, $checks) = @_;
    my $h = Harness->new;
    prepare_prefix($h);
    install_example($h, $snippet);
    nginx_t_ok($h, $snippet);
    $h->start(env => \%ENV_FOR_NGINX);
    $checks->($h);
    $h->finish;
}

# ------------------------------------------------------------ nginx -t

{
    my $h = Harness->new(upstream => 0);
    $h->{upstream_port} = 9;
    prepare_prefix($h);
    install_example($h, @SNIPPETS);
    nginx_t_ok($h, 'all snippets together');
}

{
    # The demo (./build.sh demo) fills its template as run.sh does.
    my $h = Harness->new(upstream => 0);
    my $p = $h->prefix;
    mkdir "$p/logs";
    my $conf = slurp("$EX/demo/nginx.conf.in");
    my %fill = (MODULE_SO => $h->{so}, PREFIX => $p, PORT => 8080,
                UPSTREAM_PORT => 8081, SECRET => 'demo-novu-secret',
                NOTIFYKIT_SECRET => 'whsec_demo-notifykit-secret');
    $conf =~ s/\@(\w+)\@/$fill{$1}/g;
    $h->write_file('nginx.conf', $conf);
    my ($rc, $out) = $h->nginx_t_file;
    is($rc, 0, 'demo: nginx -t passes') or diag($out);
}

# ------------------------------------------------------- each example live

live('novu-bridge.conf', sub {
    my ($h) = @_;
    my %to = (host => 'bridge.example.com');
    passed(call($h, %to, uri => uri('/api/novu?action=execute'),
                scheme => 'novu', key => 'novu.key', sign => ['--ms']),
           $BODY, 'novu bridge: a POST signed as Novu Cloud signs it (ms)');
    passed(call($h, %to, uri => uri('/api/novu?action=discover'),
                method => 'GET', scheme => 'novu', key => 'novu.key',
                body => ''),
           '', 'novu bridge: a signed GET discover');
    rejected(call($h, %to, uri => uri('/api/novu?action=execute'),
                  scheme => 'novu', key => 'novu.key',
                  send => $BODY =~ s/Ada/Eve/r),
             401, 'novu bridge: a tampered body');
    rejected(call($h, %to, uri => uri('/api/novu?action=execute'),
                  scheme => 'novu', key => 'wrong.key'),
             401, 'novu bridge: another secret');
    my $r = call($h, %to, uri => uri('/api/novu'));
    rejected($r, 401, 'novu bridge: unsigned');
    like($r->{body}, qr/"code":"SignatureNotFoundError"/,
         'novu bridge: answered in Novu\'s shape');
    passed(call($h, %to, uri => uri('/_next/static/app.js'), method => 'GET'),
           '', 'novu bridge: the rest of the Next.js app is not checked');
    $r = call($h, %to, http => 1, uri => uri('/api/novu'), method => 'GET');
    is($r->{status}, 301, 'novu bridge: plain HTTP redirects');
    like($r->{head}, qr{^Location: https://bridge\.example\.com/api/novu}mi,
         'novu bridge: to the https URL');
});

live('notifykit.conf', sub {
    my ($h) = @_;
    my %to = (host => 'hooks.example.com');
    passed(call($h, %to, uri => uri('/webhooks/notifykit'),
                scheme => 'notifykit', key => 'notifykit.key'),
           $BODY, 'notifykit: a delivery signed with the env= secret');
    my $r = call($h, %to, uri => uri('/webhooks/notifykit'),
                 scheme => 'notifykit', key => 'notifykit.key',
                 send => "$BODY ");
    rejected($r, 401, 'notifykit: a body with one more byte');
    is($r->{body}, '{"error":"Invalid signature"}',
       'notifykit: answered in NotifyKit\'s shape');
    rejected(call($h, %to, uri => uri('/webhooks/notifykit'),
                  scheme => 'notifykit', key => 'notifykit.key',
                  sign => ['--timestamp', now_s() - 600]),
             401, 'notifykit: a 10-minute-old delivery');
    rejected(call($h, %to, uri => uri('/elsewhere')), 404,
             'notifykit: other paths');
});

live('rotation.conf', sub {
    my ($h) = @_;
    my %to = (host => 'rotate.example.com');
    passed(call($h, %to, uri => uri('/api/novu'), scheme => 'novu',
                key => 'novu-next.key'),
           $BODY, 'rotation: the new secret');
    passed(call($h, %to, uri => uri('/api/novu'), scheme => 'novu',
                key => 'novu.key'),
           $BODY, 'rotation: the old secret, still listed');
    rejected(call($h, %to, uri => uri('/api/novu'), scheme => 'novu',
                  key => 'wrong.key'),
             401, 'rotation: a third secret');
    my @log = log_lines($h, 'logs/novu-rotation.log', 3);
    like($log[0], qr/" 200 sig=ok key=1$/,
         'rotation: the log says key=1 for the new secret');
    like($log[1], qr/" 200 sig=ok key=2$/,
         'rotation: key=2 for the old one');
    like($log[2], qr/" 401 sig=mismatch key=-$/,
         'rotation: and sig=mismatch for a wrong one');
});

live('per-tenant.conf', sub {
    my ($h) = @_;
    my %to = (host => 'tenants.example.com');
    my $r = call($h, %to, uri => uri('/webhooks/acme'),
                 scheme => 'notifykit', key => 'acme.key');
    passed($r, $BODY, 'per-tenant: acme signed with its own secret');
    is($r->{up}[0]{headers}{'x-tenant'}, 'acme',
       'per-tenant: the upstream is told the tenant');
    passed(call($h, %to, uri => uri('/webhooks/globex'),
                scheme => 'notifykit', key => 'globex.key'),
           $BODY, 'per-tenant: globex signed with its own secret');
    rejected(call($h, %to, uri => uri('/webhooks/acme'),
                  scheme => 'notifykit', key => 'globex.key'),
             401, "per-tenant: acme's endpoint with globex's secret");
    rejected(call($h, %to, uri => uri('/webhooks/initech'),
                  scheme => 'notifykit', key => 'acme.key'),
             404, 'per-tenant: an unknown tenant');
});

live('report-only.conf', sub {
    my ($h) = @_;
    my %to = (host => 'report.example.com');
    passed(call($h, %to, uri => uri('/api/novu'), scheme => 'novu',
                key => 'novu.key'),
           $BODY, 'report-only: a signed request');
    passed(call($h, %to, uri => uri('/api/novu'), scheme => 'novu',
                key => 'wrong.key'),
           $BODY, 'report-only: a wrongly signed one still goes through');
    passed(call($h, %to, uri => uri('/api/novu')), $BODY,
           'report-only: an unsigned one too');
    my @sig = map { /sig=(\S+)$/ }
              log_lines($h, 'logs/webhook-audit.log', 3);
    is("@sig", 'ok mismatch missing',
       'report-only: the audit log has sig= for each');
    my $warn = qr/\[warn\].*webhook signature check failed \(report only\):/;
    my @warn = grep { /$warn (mismatch|missing)/ }
               split /^/m, $h->file('logs/webhook-report.log');
    is(scalar @warn, 2,
       'report-only: each failure is a [warn] line in the error log');
});

live('replay-metrics.conf', sub {
    my ($h) = @_;
    my %to = (host => 'hooks.example.com');
    my $p = $h->prefix;
    $h->write_file('body.json', $BODY);
    my ($rc, $out, $err) = run_cmd($SIGN, '--scheme', 'novu', '--secret-file',
                                   "$p/secrets/novu.key", '--body-file',
                                   "$p/body.json");
    die "webhook-sign: $err" if $rc;
    my @signed = $out =~ /-H '([^']*)'/g;
    my $u = uri('/api/novu');
    passed(call($h, %to, uri => $u, headers => \@signed), $BODY,
           'replay-metrics: a signed request');
    my $copy = call($h, %to, uri => $u, headers => \@signed);
    my $c = checks();
    $c->is($copy->{status}, 401, '401');
    $c->is(scalar(grep { $_->{uri} eq $u } $h->upstream_requests), 1,
           'the first copy only reached the upstream');
    $c->done('replay-metrics: the same request again is refused',
             $copy->{head} . $copy->{body});
    my $m = $h->request(port => 'PORT_METRICS', uri => '/metrics',
                        no_tid => 1)->{body};
    $c = checks();
    $c->like($m, qr/^nginx_webhook_signature_requests_total\{zone=
                    "hooks\.example\.com",scheme="novu",result="replay",
                    mode="enforce"\}\ 1$/mx, 'one replay counted');
    $c->like($m, qr/^nginx_webhook_signature_replay_entries\{replay_zone=
                    "webhooks",state="done"\}\ 1$/mx, 'one record done');
    $c->like($m, qr/^nginx_webhook_signature_replay_zone_bytes\{replay_zone=
                    "webhooks",type="max"\}\ 8388608$/mx, 'the zone is 8m');
    $c->done('replay-metrics: /metrics counts it', $m);
});

# ---------------------------------------------------- examples/presets live
#
# Each sender's signature, computed here as the sender computes it.

my @PRESETS = qw(stripe standard_webhooks svix github gitlab slack shopify
                 paddle calendly zoom twitch pagerduty sentry bitbucket jira
                 typeform intercom vercel woocommerce linear square hubspot
                 twilio discord sendgrid hmac);
my $HOST = 'api.example.com';

# What each snippet reads with file= (discord.pub and sendgrid.pub, the
# public keys, are made by prepare_presets).
my %PRESET_SECRET = (
    'stripe.key'            => 'whsec_stripe-endpoint-secret-4eC39H',
    'standard_webhooks.key' => 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    'svix.key'              => 'whsec_' . encode_base64('svix endpoint key, 32 bytes long', ''),
    'github.key'            => "It's a Secret to Everybody",
    'gitlab.key'            => 'glpat-hook-token-8Zq1',
    'slack.key'             => '8f742231b10e8888abcd99yyyzzz85a5',
    'shopify-new.key'       => 'shpss_new-client-secret',
    'shopify-old.key'       => 'shpss_old-client-secret',
    'paddle.key'            => 'pdl_ntfset_01gkpjp8bkm3tm53kdgkx6sms7_6h3qd3uFSi9YCD3OLYAShQI90XTI5vEI',
    'calendly.key'          => 'calendly-signing-key-Gx2',
    'zoom.key'              => 'zoom-secret-token-Wm4',
    'twitch.key'            => 'twitch-eventsub-secret-0123456789',
    'pagerduty.key'         => 'pagerduty-v3-secret-Rt7',
    'sentry.key'            => 'sentry-client-secret-Lp0',
    'bitbucket.key'         => 'bitbucket-hook-secret-Hs5',
    'jira.key'              => 'jira-admin-hook-secret-Vb8',
    'typeform.key'          => 'typeform-form-secret-Qa3',
    'intercom.key'          => 'intercom-client-secret-Nc6',
    'vercel.key'            => 'vercel-webhook-secret-Yd9',
    # Entities are decoded as WooCommerce does: the key is wc-s3cret&K9.
    'woocommerce.key'       => 'wc-s3cret&amp;K9',
    'linear.key'            => 'lin_wh_signing-secret-Tf1',
    'square.key'            => 'square-signature-key-Ej2',
    'hubspot.key'           => 'hubspot-client-secret-Ku4',
    'twilio.key'            => 'twilio-auth-token-12345',
    'hmac.key'              => 'generic-hmac-secret-Ow5',
);

my $PRESET_SERVER = <<'EOF';
server {
    listen 443 ssl http2;
    server_name api.example.com;

    ssl_certificate     /etc/ssl/certs/api.example.com.pem;
    ssl_certificate_key /etc/ssl/private/api.example.com.key;

    include /etc/nginx/webhooks/*.conf;

    location / {
        return 404;
    }
}
EOF

sub b64 { encode_base64($_[0], '') }

# openssl on files in the prefix's signer/ folder: returns stdout.
sub openssl {
    my ($h, @args) = @_;
    my ($rc, $out, $err) = run_cmd('openssl', @args);
    die "openssl @args: $err" if $rc;
    return $out;
}

# The senders' key pairs: the public halves as their dashboards show them.
sub prepare_presets {
    my ($h) = @_;
    my $p = $h->prefix;
    mkdir "$p/$_" for qw(webhooks signer);
    $h->write_file("secrets/$_", "$PRESET_SECRET{$_}\n", 0600)
        for keys %PRESET_SECRET;
    openssl($h, 'genpkey', '-algorithm', 'ed25519',
            '-out', "$p/signer/discord.pem");
    my $der = openssl($h, 'pkey', '-in', "$p/signer/discord.pem",
                      '-pubout', '-outform', 'DER');
    $h->write_file('secrets/discord.pub',
                   unpack('H*', substr($der, -32)) . "\n", 0600);
    openssl($h, 'ecparam', '-name', 'prime256v1', '-genkey', '-noout',
            '-out', "$p/signer/sendgrid.pem");
    $der = openssl($h, 'ec', '-in', "$p/signer/sendgrid.pem",
                   '-pubout', '-outform', 'DER');
    $h->write_file('secrets/sendgrid.pub', b64($der) . "\n", 0600);
}

# openssl COMMAND -out SIG ARGS, with MSG among ARGS naming the message.
sub sign_file {
    my ($h, $msg, $command, @args) = @_;
    my $p = $h->prefix;
    $h->write_file('signer/msg', $msg);
    openssl($h, $command, '-out', "$p/signer/sig",
            map { $_ eq 'MSG' ? "$p/signer/msg" : $_ } @args);
    return $h->file('signer/sig');
}

sub rfc3339_now {
    my $t = Time::HiRes::time();
    return strftime('%Y-%m-%dT%H:%M:%S', gmtime int $t)
         . sprintf('.%09dZ', ($t - int $t) * 1e9);
}

sub form_decode {
    my ($s) = @_;
    $s =~ tr/+/ /;
    $s =~ s/%([0-9A-Fa-f]{2})/chr hex $1/ge;
    return $s;
}

# preset => sub ($h, $body, $url) returning the signature headers.
my %SIGNER = (
    stripe => sub {
        my ($h, $body) = @_;
        my $t = now_s();
        ('Stripe-Signature' => "t=$t,v1="
            . hmac_sha256_hex("$t.$body", $PRESET_SECRET{'stripe.key'}));
    },
    standard_webhooks => sub {
        my ($h, $body) = @_;
        my ($id, $t) = ('msg_p5jXN8AQM9LWM0D4loKWxJek', now_s());
        my $key = decode_base64($PRESET_SECRET{'standard_webhooks.key'}
                                =~ s/^whsec_//r);
        ('webhook-id' => $id, 'webhook-timestamp' => $t,
         'webhook-signature' => 'v1,' . b64(hmac_sha256("$id.$t.$body", $key)));
    },
    svix => sub {
        my ($h, $body) = @_;
        my ($id, $t) = ('msg_2KWPBgLlAfxdpx2AI54pPJ85f4W', now_s());
        my $key = decode_base64($PRESET_SECRET{'svix.key'} =~ s/^whsec_//r);
        ('svix-id' => $id, 'svix-timestamp' => $t,
         'svix-signature' => 'v1,' . b64(hmac_sha256("$id.$t.$body", $key)));
    },
    github => sub {
        ('X-Hub-Signature-256' => 'sha256='
            . hmac_sha256_hex($_[1], $PRESET_SECRET{'github.key'}));
    },
    gitlab => sub { ('X-Gitlab-Token' => $PRESET_SECRET{'gitlab.key'}) },
    slack => sub {
        my ($h, $body) = @_;
        my $t = now_s();
        ('X-Slack-Request-Timestamp' => $t,
         'X-Slack-Signature' => 'v0='
            . hmac_sha256_hex("v0:$t:$body", $PRESET_SECRET{'slack.key'}));
    },
    shopify => sub {
        ('X-Shopify-Hmac-Sha256'
            => b64(hmac_sha256($_[1], $PRESET_SECRET{'shopify-new.key'})));
    },
    paddle => sub {
        my ($h, $body) = @_;
        my $t = now_s();
        ('Paddle-Signature' => "ts=$t;h1="
            . hmac_sha256_hex("$t:$body", $PRESET_SECRET{'paddle.key'}));
    },
    calendly => sub {
        my ($h, $body) = @_;
        my $t = now_s();
        ('Calendly-Webhook-Signature' => "t=$t,v1="
            . hmac_sha256_hex("$t.$body", $PRESET_SECRET{'calendly.key'}));
    },
    zoom => sub {
        my ($h, $body) = @_;
        my $t = now_s();
        ('x-zm-request-timestamp' => $t,
         'x-zm-signature' => 'v0='
            . hmac_sha256_hex("v0:$t:$body", $PRESET_SECRET{'zoom.key'}));
    },
    twitch => sub {
        my ($h, $body) = @_;
        my ($id, $t) = ('befa7b53-d79d-478f-86b9-120f112b044e', rfc3339_now());
        ('Twitch-Eventsub-Message-Id' => $id,
         'Twitch-Eventsub-Message-Timestamp' => $t,
         'Twitch-Eventsub-Message-Signature' => 'sha256='
            . hmac_sha256_hex("$id$t$body", $PRESET_SECRET{'twitch.key'}));
    },
    pagerduty => sub {
        ('X-PagerDuty-Signature' => 'v1='
            . hmac_sha256_hex($_[1], $PRESET_SECRET{'pagerduty.key'}));
    },
    sentry => sub {
        ('Sentry-Hook-Signature'
            => hmac_sha256_hex($_[1], $PRESET_SECRET{'sentry.key'}));
    },
    bitbucket => sub {
        ('X-Hub-Signature' => 'sha256='
            . hmac_sha256_hex($_[1], $PRESET_SECRET{'bitbucket.key'}));
    },
    jira => sub {
        ('X-Hub-Signature' => 'sha256='
            . hmac_sha256_hex($_[1], $PRESET_SECRET{'jira.key'}));
    },
    typeform => sub {
        ('Typeform-Signature' => 'sha256='
            . b64(hmac_sha256($_[1], $PRESET_SECRET{'typeform.key'})));
    },
    intercom => sub {
        ('X-Hub-Signature' => 'sha1='
            . hmac_sha1_hex($_[1], $PRESET_SECRET{'intercom.key'}));
    },
    vercel => sub {
        ('x-vercel-signature'
            => hmac_sha1_hex($_[1], $PRESET_SECRET{'vercel.key'}));
    },
    woocommerce => sub {
        ('X-WC-Webhook-Signature'
            => b64(hmac_sha256($_[1], 'wc-s3cret&K9')));
    },
    linear => sub {
        ('Linear-Signature'
            => hmac_sha256_hex($_[1], $PRESET_SECRET{'linear.key'}));
    },
    square => sub {
        my ($h, $body, $url) = @_;
        ('x-square-hmacsha256-signature'
            => b64(hmac_sha256("$url$body", $PRESET_SECRET{'square.key'})));
    },
    hubspot => sub {
        my ($h, $body, $url) = @_;
        my $t = now_ms();
        ('X-HubSpot-Request-Timestamp' => $t,
         'X-HubSpot-Signature-v3'
            => b64(hmac_sha256("POST$url$body$t", $PRESET_SECRET{'hubspot.key'})));
    },
    twilio => sub {
        my ($h, $body, $url) = @_;
        my @kv = map { [map { form_decode($_) } split /=/, $_, 2] }
                 split /&/, $body;
        my $msg = $url . join '', map { "$_->[0]$_->[1]" }
                  sort { $a->[0] cmp $b->[0] || $a->[1] cmp $b->[1] } @kv;
        ('X-Twilio-Signature'
            => b64(hmac_sha1($msg, $PRESET_SECRET{'twilio.key'})));
    },
    discord => sub {
        my ($h, $body) = @_;
        my $t = now_s();
        my $sig = sign_file($h, "$t$body", 'pkeyutl', '-sign', '-rawin',
                            '-inkey', $h->prefix . '/signer/discord.pem',
                            '-in', 'MSG');
        ('X-Signature-Timestamp' => $t,
         'X-Signature-Ed25519' => unpack('H*', $sig));
    },
    sendgrid => sub {
        my ($h, $body) = @_;
        my $t = now_s();
        my $sig = sign_file($h, "$t$body", 'dgst', '-sha256',
                            '-sign', $h->prefix . '/signer/sendgrid.pem', 'MSG');
        ('X-Twilio-Email-Event-Webhook-Timestamp' => $t,
         'X-Twilio-Email-Event-Webhook-Signature' => b64($sig));
    },
    hmac => sub {
        ('X-Signature' => 'sha256='
            . hmac_sha256_hex($_[1], $PRESET_SECRET{'hmac.key'}));
    },
);

# The body each sender would post (all contain "Ada", which a forger turns
# into "Eve"); a content type other than JSON where the sender uses one.
sub preset_body {
    my ($name) = @_;
    return ('application/x-www-form-urlencoded',
            'MessageSid=SM0123456789abcdef&From=%2B15557654321'
            . '&To=%2B15551234567&Body=Hi+Ada%2C+on+our+way%21')
        if $name eq 'twilio';
    return ('application/json',
            qq({"action":"create","type":"Issue","data":{"title":"Ada"},)
            . '"webhookTimestamp":' . now_ms() . '}')
        if $name eq 'linear';
    return ('application/json', qq({"event":"test","data":{"name":"Ada"}}\r\n))
        if $name eq 'sendgrid';
    return ('application/json',
            qq({"id":"evt_1","type":"test.created",\n"data":{"name":"Ada"}}));
}

# A POST to the preset's location: signed => headers of that sender over
# the body; send => other body bytes (a forgery); headers => extra ones.
sub preset_call {
    my ($h, $name, %a) = @_;
    my $p = $h->prefix;
    my $uri = uri("/webhooks/$name");
    my ($ctype, $body) = preset_body($name);
    my @headers = $a{signed}
        ? $SIGNER{$name}->($h, $body, "https://$HOST$uri") : ();
    push @headers, @{$a{headers} || []};
    $body = $a{send}->($body) if $a{send};
    $h->write_file('body.bin', $body);
    my $port = $h->port('PORT_TLS');
    my @cmd = ('curl', '-sS', '-k', '--max-time', '10', '-o', "$p/res.body",
               '-D', "$p/res.head", '-w', '%{http_code}',
               '-H', "Content-Type: $ctype",
               (map { ('-H', "$headers[2 * $_]: $headers[2 * $_ + 1]") }
                0 .. @headers / 2 - 1),
               '--data-binary', "\@$p/body.bin",
               '--resolve', "$HOST:$port:127.0.0.1",
               "https://$HOST:$port$uri");
    my ($rc, $code) = run_cmd(@cmd);
    my @up = grep { $_->{uri} eq $uri } $h->upstream_requests;
    return { status => $code + 0, curl => $rc, up => \@up, sent => $body,
             head => $h->file('res.head'), body => $h->file('res.body') };
}

# Writes examples/nginx.conf with the TLS server around the given presets.
sub install_presets {
    my ($h, @names) = @_;
    my $p = $h->prefix;
    install_example($h);
    unlink glob "$p/webhooks/*.conf";
    $h->write_file('conf.d/presets.conf', localize($h, $PRESET_SERVER));
    for my $name (@names) {
        my $text = localize($h, slurp("$EX/presets/$name.conf"));
        my $left = system_paths_left($text);
        is($left, '', "presets/$name.conf: every system path is one the"
                      . ' test moves') if $left;
        $h->write_file("webhooks/$name.conf", $text);
    }
}

my (@supported, %unsupported);
{
    my $h = Harness->new(upstream => 0);
    $h->{upstream_port} = 9;
    prepare_prefix($h);
    prepare_presets($h);
    for my $name (@PRESETS) {
        my $text = slurp("$EX/presets/$name.conf");
        like($text, qr/\A# SPDX-License-Identifier: BSD-2-Clause\n/,
             "presets/$name.conf: the SPDX line first");
        install_presets($h, $name);
        my ($rc, $out) = $h->nginx_t_file(undef, env => \%ENV_FOR_NGINX);
        my $no = qr/invalid value "\Q$name\E" in "webhook_signature"/;
        my ($why) = $out =~ /($no|unknown directive "webhook_signature_\w+")/;
        if ($rc && $why) {
            $unsupported{$name} = $why;
            next;
        }
        nginx_t_ok($h, "presets/$name.conf");
        push @supported, $name;
    }
    if (@supported) {
        install_presets($h, @supported);
        nginx_t_ok($h, 'every supported preset in one server');
    }
}

for my $name (grep { $unsupported{$_} } @PRESETS) {
    SKIP: {
        skip("presets/$name.conf: the built module does not support it yet"
             . " (nginx -t: $unsupported{$name})", 1);
    }
}

if (@supported) {
    my $h = Harness->new;
    prepare_prefix($h);
    prepare_presets($h);
    install_presets($h, @supported);
    $h->start(env => \%ENV_FOR_NGINX);
    my $forge = sub { $_[0] =~ s/Ada/Eve/r };
    for my $name (@supported) {
        my $r = preset_call($h, $name, signed => 1);
        passed($r, $r->{sent}, "presets/$name: signed as $name signs it");
        if ($name eq 'gitlab') {
            rejected(preset_call($h, $name,
                                 headers => ['X-Gitlab-Token' => 'guessed']),
                     401, "presets/$name: another token");
        } else {
            rejected(preset_call($h, $name, signed => 1, send => $forge),
                     401, "presets/$name: a forged body");
        }
        $r = preset_call($h, $name);
        rejected($r, 401, "presets/$name: unsigned");
        like($r->{body}, qr/^\{"error":"/,
             "presets/$name: answered {\"error\":...}");
    }
    if (grep { $_ eq 'shopify' } @supported) {
        my ($ctype, $body) = preset_body('shopify');
        my $r = preset_call($h, 'shopify', headers => ['X-Shopify-Hmac-Sha256'
            => b64(hmac_sha256($body, $PRESET_SECRET{'shopify-old.key'}))]);
        passed($r, $body, 'presets/shopify: the old secret during a rotation');
    }
    $h->finish;
}

done_testing;
