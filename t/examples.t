#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
#
# examples/: every snippet, inside examples/nginx.conf, passes `nginx -t`
# (alone and all together), and then runs: requests signed with
# tools/webhook-sign pass, forged ones are rejected, and each example's
# promise (TLS, redirects, rotation key numbers, per-tenant secrets,
# report-only logging) holds.  The demo's template passes `nginx -t` too.
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
                  report-only.conf);
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
    $text =~ s{/etc/ssl/certs/[\w.-]+\.pem}{$p/tls/cert.pem}g;
    $text =~ s{/etc/ssl/private/[\w.-]+\.key}{$p/tls/key.pem}g;
    $text =~ s{include /etc/nginx/conf\.d/\*\.conf;}
              {include $p/conf.d/*.conf;}g;
    $text =~ s{listen 443 ssl}
              {'listen 127.0.0.1:' . $h->port('PORT_TLS') . ' ssl'}ge;
    $text =~ s{listen 80;}{'listen 127.0.0.1:' . $h->port('PORT_HTTP') . ';'}ge;
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
#   scheme, key => signs body_file with that secret; send => other bytes
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

done_testing;
