#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
#
# SPEC "Counters for alerting": webhook_signature_metrics counts every
# result of every mode in shared memory, across two workers, answers them
# in Prometheus's text format (parsed by prometheus_client's own parser)
# and as JSON, over HTTP/1.1 and HTTP/2, keeps them across a reload, and
# carries them over by label when the layout changes.

use strict;
use warnings;
use Test::More;
use Harness;
use Digest::SHA qw(hmac_sha256_hex);
use JSON::PP;

my $PYTHON = '/usr/bin/python3';
plan skip_all => 'python3-prometheus-client is not installed'
    unless system($PYTHON, '-c',
                  'import prometheus_client.parser') == 0;

my ($A, $B, $S) = ('metrics-secret-one-Qq1r', 'metrics-secret-two-Rr2s',
                   'whsec_metrics-stripe-Ss3t');
my $h = Harness->new;

my $CONF = <<'EOF';
    map $http_x_tenant $tenant_secret {
        default "";
    }

    server {
        listen 127.0.0.1:%%PORT%% reuseport;
        server_name hooks.example www.hooks.example;

        location /novu {
            webhook_signature novu;
            webhook_signature_secret "%%A%%";
            webhook_signature_secret "%%B%%";
            proxy_pass http://%%UPSTREAM%%;
        }

        location /report {
            webhook_signature novu;
            webhook_signature_secret "%%A%%";
            webhook_signature_mode report;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /nosecret {
            webhook_signature novu;
            webhook_signature_secret $tenant_secret;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /stripe {
            webhook_signature_metrics_zone billing;
            webhook_signature stripe;
            webhook_signature_secret "%%S%%";
            proxy_pass http://%%UPSTREAM%%;
        }
    }

    server {
        listen 127.0.0.1:%%PORT_M%%;
        webhook_signature_metrics_zone scrape;

        location = /metrics {
            webhook_signature_metrics;
        }

        location = /metrics.json {
            webhook_signature_metrics json;
        }

        location = /signed {
            webhook_signature novu;
            webhook_signature_secret "%%A%%";
            webhook_signature_metrics;
        }
    }

    server {
        listen 127.0.0.1:%%PORT_H2%% http2;

        location = /metrics {
            webhook_signature_metrics;
        }

        location /nk {
            webhook_signature notifykit;
            webhook_signature_secret "%%A%%";
            proxy_pass http://%%UPSTREAM%%;
        }
    }
%%EXTRA%%
EOF

my %RUN = (vars => { A => $A, B => $B, S => $S, EXTRA => '' },
           workers => 2, log_format => '$pid $request_uri $status');
$h->run($CONF, %RUN);

my $BODY = '{"event":"metrics"}';

sub stripe_headers {
    my ($secret, $t, $body) = @_;
    ('Stripe-Signature' => "t=$t,v1=" . hmac_sha256_hex("$t.$body", $secret))
}

# ---------------------------------------------------------------- expected

# Every series the configuration can produce, at 0.
my @RESULTS = qw(ok missing malformed stale mismatch no_secret);
my %want;
sub series {
    my ($zone, $scheme, $mode, $nkeys) = @_;
    $want{"requests|$zone|$scheme|$_|$mode"} //= 0 for @RESULTS;
    $want{"keys|$zone|$scheme|$_"} //= 0 for 1 .. $nkeys;
}
series('hooks.example', 'novu', 'enforce', 2);
series('hooks.example', 'novu', 'report', 2);
series('billing', 'stripe', 'enforce', 1);
series('scrape', 'novu', 'enforce', 1);
series('_', 'notifykit', 'enforce', 1);

my %pids;
sub send_hook {
    my ($uri, $zone, $scheme, $result, $mode, $key, @headers) = @_;
    my $r = $h->request(port => 'PORT', uri => $uri, body => $BODY,
                        headers => [@headers]);
    $want{"requests|$zone|$scheme|$result|$mode"}++;
    $want{"keys|$zone|$scheme|$key"}++ if $key;
    return $r;
}

# The worker that served a request, from its access log line.
sub pid_of {
    my ($r) = @_;
    for (1 .. 150) {
        for (split /\n/, $h->file('access.log')) {
            return $1 if /^(\d+) \S*[?&]tid=$r->{tid}(?:&\S*)? /;
        }
        select undef, undef, undef, 0.02;
    }
    return;
}

# ---------------------------------------------------------------- requests

my $now = now_s();
my $stale = $now - 3600;
my @novu = ('/novu', 'hooks.example', 'novu');

# ok with the first secret until both workers have served some
my $n = 0;
while ($n < 4 || keys %pids < 2) {
    my $r = send_hook(@novu, 'ok', 'enforce', 1,
                      novu_headers($A, now_s(), $BODY));
    $pids{pid_of($r) // 'none'}++;
    last if ++$n >= 400;
}
delete $pids{none};
is(scalar keys %pids, 2, "both workers served ($n ok requests)");

send_hook(@novu, 'ok', 'enforce', 2, novu_headers($B, $now, $BODY))
    for 1 .. 2;
send_hook(@novu, 'missing', 'enforce', 0) for 1 .. 3;
send_hook(@novu, 'malformed', 'enforce', 0, 'Novu-Signature' => 'junk')
    for 1 .. 2;
send_hook(@novu, 'stale', 'enforce', 0, novu_headers($A, $stale, $BODY))
    for 1 .. 2;
send_hook(@novu, 'mismatch', 'enforce', 0,
          novu_headers('wrong', $now, $BODY)) for 1 .. 3;
send_hook('/nosecret', 'hooks.example', 'novu', 'no_secret', 'enforce', 0,
          novu_headers($A, $now, $BODY)) for 1 .. 2;

my @report = ('/report', 'hooks.example', 'novu');
send_hook(@report, 'mismatch', 'report', 0,
          novu_headers('wrong', $now, $BODY)) for 1 .. 2;
send_hook(@report, 'ok', 'report', 1, novu_headers($A, $now, $BODY));
send_hook(@report, 'missing', 'report', 0);

my @stripe = ('/stripe', 'billing', 'stripe');
send_hook(@stripe, 'ok', 'enforce', 1, stripe_headers($S, $now, $BODY))
    for 1 .. 2;
send_hook(@stripe, 'mismatch', 'enforce', 0,
          stripe_headers('whsec_wrong', $now, $BODY));
send_hook(@stripe, 'stale', 'enforce', 0, stripe_headers($S, $stale, $BODY));

{
    my $r = $h->h2(uri => '/nk', body => $BODY,
                   headers => [nk_headers($A, $now, $BODY)]);
    is($r->{status}, 200, 'notifykit over HTTP/2 verified');
    $want{'requests|_|notifykit|ok|enforce'}++;
    $want{'keys|_|notifykit|1'}++;
}

# ---------------------------------------------------------------- parsing

# The text exposition through prometheus_client's parser:
# { "requests|zone|scheme|result|mode" => value, "keys|zone|scheme|key" }
# plus the families' names, types and help.
my $PARSE = <<'PY';
import json, sys
from prometheus_client.parser import text_string_to_metric_families
out = {"families": [], "samples": []}
for f in text_string_to_metric_families(sys.stdin.read()):
    out["families"].append([f.name, f.type, f.documentation])
    for s in f.samples:
        out["samples"].append([s.name, s.labels, s.value])
print(json.dumps(out))
PY

sub parse_text {
    my ($text) = @_;
    my $in = $h->write_file('exposition.txt', $text);
    my $out = `$PYTHON -c '$PARSE' < $in 2>&1`;
    my $v = json_decode($out) or return (undef, $out);
    my %got;
    for (@{$v->{samples}}) {
        my ($name, $l, $value) = @$_;
        my $k = $name eq 'nginx_webhook_signature_requests_total'
              ? "requests|$l->{zone}|$l->{scheme}|$l->{result}|$l->{mode}"
              : $name eq 'nginx_webhook_signature_key_matches_total'
              ? "keys|$l->{zone}|$l->{scheme}|$l->{key}"
              : "unknown|$name";
        $got{$k} = $value;
    }
    return (\%got, $v->{families});
}

sub flatten_json {
    my ($j) = @_;
    my %got;
    for my $zone (keys %{$j->{zones} || {}}) {
        for my $scheme (keys %{$j->{zones}{$zone}}) {
            my $s = $j->{zones}{$zone}{$scheme};
            for my $mode (keys %{$s->{requests}}) {
                $got{"requests|$zone|$scheme|$_|$mode"}
                    = $s->{requests}{$mode}{$_}
                    for keys %{$s->{requests}{$mode}};
            }
            $got{"keys|$zone|$scheme|$_"} = $s->{key_matches}{$_}
                for keys %{$s->{key_matches}};
        }
    }
    return \%got;
}

sub scrape_ok {
    my ($name, $r, $want) = @_;
    my $c = checks();
    $c->is($r->{status}, 200, 'status 200');
    $c->is($r->{headers}{'content-type'}, 'text/plain; version=0.0.4',
           'Content-Type');
    my ($got, $families) = parse_text($r->{body});
    if ($c->ok($got, 'prometheus_client parses it')) {
        $c->same($families, [
            ['nginx_webhook_signature_requests', 'counter',
             'Signature checks by result.'],
            ['nginx_webhook_signature_key_matches', 'counter',
             'Verified requests by 1-based secret index.'],
        ], 'two counter families, with HELP and TYPE');
        $c->same($got, $want, 'every series, at its exact count');
    } else {
        $c->ok(0, "parser: $families");
    }
    $c->done($name);
    return $got;
}

# ---------------------------------------------------------------- scrapes

{
    my $r = $h->request(port => 'PORT_M', uri => '/signed', no_tid => 1);
    is($r->{status}, 401,
       'a metrics location under webhook_signature: unsigned, 401');
    $want{'requests|scrape|novu|missing|enforce'}++;

    my $t = now_s();
    $want{'requests|scrape|novu|ok|enforce'}++;
    $want{'keys|scrape|novu|1'}++;
    $r = $h->request(port => 'PORT_M', uri => '/signed', no_tid => 1,
                     method => 'GET', headers => [novu_headers($A, $t, '')]);
    scrape_ok('a metrics location under webhook_signature: signed, counts '
              . 'itself', $r, {%want});
}

my $text = $h->request(port => 'PORT_M', uri => '/metrics', no_tid => 1);
my $counts = scrape_ok('exact counts per label set, two workers', $text,
                       {%want});

{
    my $r = $h->request(port => 'PORT_M', uri => '/metrics.json',
                        no_tid => 1);
    is($r->{headers}{'content-type'}, 'application/json',
       'json: Content-Type application/json');
    my $j = json_decode($r->{body});
    ok($j, 'json: JSON::PP parses it') or diag $r->{body};
    is_deeply(flatten_json($j || {}), $counts,
              'json: the same series and counts as the text format');
}

{
    my $r = $h->h2(port => 'PORT_H2', uri => '/metrics', no_tid => 1);
    scrape_ok('HTTP/2 scrape', $r, {%want});
}

{
    my $r = $h->request(port => 'PORT_M', uri => '/metrics', no_tid => 1,
                        method => 'HEAD');
    my $c = checks();
    $c->is($r->{status}, 200, 'status 200');
    $c->is($r->{headers}{'content-type'}, 'text/plain; version=0.0.4',
           'Content-Type');
    $c->is($r->{body} // '', '', 'no body');
    $c->done('HEAD: headers only');

    $r = $h->request(port => 'PORT_M', uri => '/metrics', no_tid => 1,
                     body => 'x');
    is($r->{status}, 405, 'POST: 405');
}

# ---------------------------------------------------------------- reloads

{
    my @before = $h->worker_pids;
    ok($h->reload, 'reload with the same configuration');
    my $r = $h->request(port => 'PORT_M', uri => '/metrics', no_tid => 1);
    scrape_ok('reload, same layout: the counts are kept', $r, {%want});
}

{
    my $extra = <<'EOF';
    server {
        listen 127.0.0.1:%%PORT_X%%;
        webhook_signature_metrics_zone added;

        location / {
            webhook_signature github;
            webhook_signature_secret "%%A%%";
            webhook_signature_secret "%%B%%";
            webhook_signature_secret "%%S%%";
            proxy_pass http://%%UPSTREAM%%;
        }
    }
EOF
    $h->port('PORT_X');
    ok($h->reload($CONF, vars => { EXTRA => $h->expand($extra,
                           vars => { A => $A, B => $B, S => $S }) }),
       'reload with another zone and more secrets');
    series('added', 'github', 'enforce', 3);
    # the key slots grew to 3: rows with fewer secrets show theirs only
    my $r = $h->request(port => 'PORT_M', uri => '/metrics', no_tid => 1);
    scrape_ok('reload, new layout: the counts carried over by label', $r,
              {%want});

    $r = $h->request(port => 'PORT', uri => '/novu', body => $BODY,
                     headers => [novu_headers($B, now_s(), $BODY)]);
    $want{'requests|hooks.example|novu|ok|enforce'}++;
    $want{'keys|hooks.example|novu|2'}++;
    $r = $h->request(port => 'PORT_M', uri => '/metrics', no_tid => 1);
    scrape_ok('reload, new layout: counting goes on', $r, {%want});
}

# ---------------------------------------------------------------- nginx -t

for my $case (
    [ "location /m { webhook_signature_metrics prometheus; }",
      qr/invalid value "prometheus" in "webhook_signature_metrics"/,
      'webhook_signature_metrics with a bad argument' ],
    [ "location /m { webhook_signature_metrics; webhook_signature_metrics; }",
      qr/"webhook_signature_metrics" directive is duplicate/,
      'webhook_signature_metrics twice' ],
    [ "webhook_signature_metrics_zone a;\n"
      . "        webhook_signature_metrics_zone b;",
      qr/"webhook_signature_metrics_zone" directive is duplicate/,
      'webhook_signature_metrics_zone twice' ],
    [ 'webhook_signature_metrics_zone "";',
      qr/"webhook_signature_metrics_zone" directive has an empty zone name/,
      'webhook_signature_metrics_zone empty' ],
    [ 'location /m { webhook_signature_metrics_zone "a\nb"; }',
      qr/has a control character in the zone name/,
      'webhook_signature_metrics_zone with a line feed' ],
) {
    my ($body, $re, $name) = @$case;
    my ($rc, $out) = $h->nginx_t(<<"EOF");
    server {
        listen 127.0.0.1:%%PORT_T%%;
        $body
    }
EOF
    ok($rc != 0 && $out =~ $re, "nginx -t fails: $name") or diag $out;
}

{
    my ($rc, $out) = $h->nginx_t(<<'EOF');
    webhook_signature_metrics_zone "edge \"1\" \\ x";

    server {
        listen 127.0.0.1:%%PORT_T%%;

        location /m {
            webhook_signature_metrics;
        }
    }
EOF
    is($rc, 0, 'nginx -t passes: a zone label with quotes and backslashes,'
               . ' no location that checks') or diag $out;
}

# ---------------------------------------------------------------- replay

# A second nginx, two workers: the replay results are counted once each
# (a refused copy is not also an "ok"), and each replay zone's gauges say
# what it holds.

my $g = Harness->new;
$g->run(<<'EOF', vars => { A => $A }, workers => 2);
    webhook_signature_replay_zone wh:64k;
    webhook_signature_replay_zone open:32k full=open;
    webhook_signature_metrics_zone replays;

    server {
        listen 127.0.0.1:%%PORT%% reuseport;
        server_name localhost;

        location /replay {
            webhook_signature novu;
            webhook_signature_secret "%%A%%";
            webhook_signature_replay wh;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /report {
            webhook_signature novu;
            webhook_signature_secret "%%A%%";
            webhook_signature_mode report;
            webhook_signature_replay wh;
            proxy_pass http://%%UPSTREAM%%;
        }

        location /open {
            webhook_signature novu;
            webhook_signature_secret "%%A%%";
            webhook_signature_replay open;
            add_header X-Result $webhook_signature_result always;
            proxy_pass http://%%UPSTREAM%%;
        }

        location = /metrics {
            webhook_signature_metrics;
        }

        location = /metrics.json {
            webhook_signature_metrics json;
        }
    }
EOF

my %rwant = ('keys|replays|novu|1' => 0);
for my $mode (qw(enforce report)) {
    $rwant{"requests|replays|novu|$_|$mode"} = 0
        for @RESULTS, qw(replay inflight zone_full);
}

my $seq = 0;
sub message {
    my $body = '{"replay":' . ++$seq . '}';
    return [$body, novu_headers($A, now_s(), $body)];
}

# sends a copy, counts what it should count, says whether it got $status
sub g_send {
    my ($uri, $m, $status, $result, $mode) = @_;
    my $r = $g->request(uri => $uri, body => $m->[0],
                        headers => [@$m[1, 2]]);
    $rwant{"requests|replays|novu|$result|$mode"}++;
    $rwant{'keys|replays|novu|1'}++;
    $r->{as_expected} = $r->{status} == $status;
    return $r;
}

my ($done, @bad) = (0);
{
    my @sent;
    my $m = message();
    push @sent, g_send('/replay', $m, 200, 'ok', 'enforce');
    push @sent, g_send('/replay', $m, 401, 'replay', 'enforce') for 1 .. 3;
    $m = message();
    push @sent, g_send('/replay?status=500', $m, 500, 'ok', 'enforce');
    push @sent, g_send('/replay', $m, 200, 'ok', 'enforce');
    $m = message();
    push @sent, g_send('/report', $m, 200, 'ok', 'report');
    push @sent, g_send('/report', $m, 200, 'replay', 'report');
    $done += 3;
    @bad = map { "$_->{tid}: $_->{status}" } grep { !$_->{as_expected} }
           @sent;
}
is("@bad", '', 'replay: every copy answered as expected');

# inflight: the first copy held by the upstream, a copy meanwhile
{
    my $m = message();
    my $pid = fork() // die "fork: $!";
    if ($pid == 0) {
        $g->request(uri => '/replay?delay=1.5', body => $m->[0],
                    headers => [@$m[1, 2]], timeout => 10);
        exit 0;
    }
    $rwant{'requests|replays|novu|ok|enforce'}++;
    $rwant{'keys|replays|novu|1'}++;
    my $pending = qr/^nginx_webhook_signature_replay_entries
                     \{replay_zone="wh",state="pending"\}\ 1$/mx;
    my $seen;
    for (1 .. 100) {
        $seen = $g->request(uri => '/metrics', no_tid => 1)->{body}
                =~ $pending;
        last if $seen;
        select undef, undef, undef, 0.02;
    }
    ok($seen, 'a copy in flight is a pending entry');
    my $r = g_send('/replay', $m, 429, 'inflight', 'enforce');
    ok($r->{as_expected}, 'a copy of it meanwhile: 429');
    waitpid($pid, 0);
    $done++;
}

# full=open: forwarded unrecorded, and counted as zone_full
my ($stored, $r) = (0, undef);
for (1 .. 1000) {
    $r = g_send('/open', message(), 200, 'ok', 'enforce');
    last if ($r->{headers}{'x-result'} // '') ne 'ok';
    $stored++;
}
$rwant{'requests|replays|novu|ok|enforce'}--;
$rwant{'requests|replays|novu|zone_full|enforce'}++;
{
    my $c = checks();
    $c->is($r->{status}, 200, 'status');
    $c->is($r->{headers}{'x-result'}, 'zone_full',
           '$webhook_signature_result');
    $c->is(scalar(() = $g->upstream_for($r)), 1, 'forwarded');
    $c->done('full=open: a copy the zone cannot hold is forwarded,'
             . ' its result zone_full');
}

# the counters as parse_text has them, and the gauges by zone and label
sub replay_samples {
    my ($text) = @_;
    my ($got, $families) = parse_text($text);
    return ($got, $families) unless $got;
    my %gauges;
    for (split /\n/, $text) {
        next unless /^nginx_webhook_signature_replay_(entries|zone_bytes)
                     \{replay_zone="(\w+)",(?:state|type)="(\w+)"\}\ (\d+)$/x;
        $gauges{($1 eq 'entries' ? 'entries' : 'bytes') . "|$2|$3"} = $4;
    }
    delete $got->{"unknown|nginx_webhook_signature_replay_$_"}
        for qw(entries zone_bytes);
    return ($got, $families, \%gauges);
}

{
    my $text = $g->request(uri => '/metrics', no_tid => 1);
    my ($got, $families, $gauges) = replay_samples($text->{body});
    my $c = checks();
    $c->ok($got, 'prometheus_client parses it') or diag $families;
    $c->same($families, [
        ['nginx_webhook_signature_requests', 'counter',
         'Signature checks by result.'],
        ['nginx_webhook_signature_key_matches', 'counter',
         'Verified requests by 1-based secret index.'],
        ['nginx_webhook_signature_replay_entries', 'gauge',
         'Entries held in a replay zone.'],
        ['nginx_webhook_signature_replay_zone_bytes', 'gauge',
         'Replay zone size and use.'],
    ], 'four families, two of them gauges');
    $c->same($got, {%rwant}, 'every series, at its exact count');
    $c->is($gauges->{'entries|wh|pending'}, 0, 'wh: nothing pending');
    $c->is($gauges->{'entries|wh|done'}, $done, "wh: $done done");
    $c->is($gauges->{'entries|open|pending'}, 0, 'open: nothing pending');
    $c->is($gauges->{'entries|open|done'}, $stored, "open: $stored done");
    $c->is($gauges->{'bytes|wh|max'}, 65536, 'wh: max is its size');
    $c->is($gauges->{'bytes|open|max'}, 32768, 'open: max is its size');
    $c->ok($gauges->{'bytes|wh|used'} > 0
           && $gauges->{'bytes|wh|used'} < $gauges->{'bytes|open|used'},
           'wh: some pages used, fewer than the full zone');
    $c->ok($gauges->{'bytes|open|used'} > 0.8 * 32768
           && $gauges->{'bytes|open|used'} <= 32768,
           'open: full, over 80 % used: ' . $gauges->{'bytes|open|used'});
    $c->done('replay results counted once, gauges per replay zone');

    my $j = json_decode($g->request(uri => '/metrics.json',
                                    no_tid => 1)->{body});
    my %jg;
    for my $z (keys %{$j->{replay_zones} || {}}) {
        my $e = $j->{replay_zones}{$z};
        $jg{"entries|$z|$_"} = $e->{entries}{$_} for keys %{$e->{entries}};
        $jg{"bytes|$z|$_"} = $e->{bytes}{$_} for keys %{$e->{bytes}};
    }
    $c = checks();
    $c->same(flatten_json($j || {}), $got, 'the same counters');
    $c->same(\%jg, $gauges, 'the same gauges');
    $c->done('json: replay_zones holds the same gauges');
}

{
    ok($g->reload, 'reload');
    my $text = $g->request(uri => '/metrics', no_tid => 1);
    my (undef, undef, $gauges) = replay_samples($text->{body});
    is($gauges->{'entries|wh|done'}, $done,
       'the replay zone keeps its records across a reload');
}

# its [alert] ("zone is full") is the point, so it is checked here
{
    $g->stop;
    my @alerts = $g->error_lines(qr/\[(alert|crit|emerg)\]/);
    my @other = grep { !/webhook_signature_replay_zone "open" is full, / }
                @alerts;
    is("@other", '', 'no [alert] but the full zone\'s');
}

$h->finish;
done_testing;
