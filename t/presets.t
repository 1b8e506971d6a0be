#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
#
# SPEC "Presets": every case of t/fixtures/presets/*.json (format in the
# README there), signed and judged by the sender's own library, sent
# through the real nginx: one nginx per file, one server per distinct
# configuration, nginx's clock started at the file's "now" (libfaketime).
# A case expecting "ok" reaches the upstream with its exact target and
# body, over HTTP/1.1 and HTTP/2; any other is a 401 with that
# $webhook_signature_result and nothing upstream.  A preset this build of
# the module does not know yet is skipped, saying so.

use strict;
use warnings;
use Test::More;
use FindBin;
use JSON::PP;
use MIME::Base64 qw(decode_base64);
use Harness;

my @FILES = sort glob "$FindBin::Bin/fixtures/presets/*.json";
my %RESULT = map { $_ => 1 } qw(ok missing malformed stale mismatch);
my %LIBRARY = map { $_ => 1 } qw(accept reject n/a);
my $CANON = JSON::PP->new->canonical;

# One server per configuration; _N is replaced by the server's number.
my $SERVER = <<'EOF';
    server {
        listen 127.0.0.1:%%PORT_N%%;
        listen 127.0.0.1:%%PORT_H2_N%% http2;

        location / {
            webhook_signature %%PRESET%%;
%%SETTINGS_N%%
            add_header X-Webhook-Result $webhook_signature_result always;
            proxy_pass http://%%UPSTREAM%%;
        }
    }
EOF

# nginx's own clock, for the diagnostics of a failed case.
my $CLOCK = <<'EOF';
    server {
        listen 127.0.0.1:%%PORT_CLOCK%%;

        location / {
            return 200 $msec;
        }
    }
EOF

plan skip_all => 'no t/fixtures/presets/*.json' unless @FILES;

run_file($_) for @FILES;
done_testing;

sub read_json {
    my ($path) = @_;
    open my $fh, '<:raw', $path or die "$path: $!";
    my $text = do { local $/; <$fh> };
    return eval { JSON::PP->new->utf8->decode($text) } // die "$path: $@";
}

sub body_of {
    my ($case) = @_;
    return decode_base64($case->{body_base64})
        if defined $case->{body_base64};
    my $b = $case->{body} // '';
    utf8::encode($b);                   # the JSON string's bytes, as UTF-8
    return $b;
}

# A double-quoted nginx string: only \ and " are special in it.
sub quoted {
    my ($v) = @_;
    $v =~ s/([\\"])/\\$1/g;
    return qq{"$v"};
}

# The location's directives for one configuration: a secret of plain
# characters inline, any other (with $, quotes, ;, spaces, controls,
# non-ASCII) from a file in the prefix.
sub settings {
    my ($h, $n, $cfg) = @_;
    my @l;
    my $i = 0;
    for my $s (@{$cfg->{secrets} || []}) {
        $i++;
        if ($s =~ m{^[A-Za-z0-9_.:/+=@^~,-]+$}) {
            push @l, 'webhook_signature_secret ' . quoted($s) . ';';
            next;
        }
        die "secret $i of configuration $n ends in CR or LF, which"
            . " file= strips\n" if $s =~ /[\r\n]\z/;
        my $bytes = $s;
        utf8::encode($bytes);
        my $path = $h->write_file("secret-$n-$i", $bytes, 0644);
        push @l, 'webhook_signature_secret ' . quoted("file=$path") . ';';
    }
    if (defined(my $t = $cfg->{tolerance})) {
        $t .= 's' if $t =~ /^\d+$/;
        push @l, 'webhook_signature_tolerance ' . quoted($t) . ';';
    }
    push @l, 'webhook_signature_url ' . quoted($cfg->{url}) . ';'
        if defined $cfg->{url};
    if (defined(my $p = $cfg->{hmac})) {
        my @p = ref $p ? @$p : split ' ', $p;
        push @l, join(' ', 'webhook_signature_hmac', map { quoted($_) } @p)
                 . ';';
    }
    return join "\n", map { " " x 12 . $_ } @l;
}

# The fixture's own rules (README "Format"), one TAP line.
sub consistent_ok {
    my ($f, $file, $name) = @_;
    my $c = checks();
    (my $base = $file) =~ s{.*/|\.json$}{}g;
    $c->is($f->{preset}, $base, 'preset is named as its file');
    $c->like($f->{now} // 0, qr/^\d+$/, 'now is unix seconds or null');
    $c->ok(ref $f->{cases} eq 'ARRAY' && @{$f->{cases}}, 'has cases');
    my @keys = grep { !/^(?:secrets|tolerance|url|hmac)$/ }
               map { keys %{$_->{config} || {}} } $f, @{$f->{cases} || []};
    $c->is("@keys", '', 'config has only secrets, tolerance, url, hmac');
    my @ok = grep { ($_->{expect} // '') eq 'ok' } @{$f->{cases} || []};
    $c->ok(scalar @ok, 'at least one case expects ok (sent over HTTP/2 too)');
    my %seen;
    for my $k (@{$f->{cases} || []}) {
        my $what = "case '" . ($k->{name} // '?') . "'";
        $c->ok(defined $k->{name} && !$seen{$k->{name}}++,
               "$what: a name of its own");
        $c->ok(defined $k->{method} && defined $k->{uri}
               && ref $k->{headers} eq 'ARRAY',
               "$what: method, uri and headers");
        $c->ok(defined $k->{body} != defined $k->{body_base64},
               "$what: body or body_base64");
        $c->ok($RESULT{$k->{expect} // ''}, "$what: expect is a result");
        $c->ok($LIBRARY{$k->{library} // ''}, "$what: library verdict");
        next if defined $k->{spec} || ($k->{library} // '') eq 'n/a';
        $c->is(($k->{library} // '') eq 'accept' ? 'ok' : 'not ok',
               ($k->{expect} // '') eq 'ok' ? 'ok' : 'not ok',
               "$what: library $k->{library} agrees with expect"
               . " $k->{expect} (no spec given)");
    }
    return $c->done($name);
}

sub run_file {
    my ($file) = @_;
    my $f = read_json($file);
    my $preset = $f->{preset} // '?';
    my $h = Harness->new;
    consistent_ok($f, $file, "$preset: the fixture is consistent"
                             . ' (library accept <=> expect ok, unless spec)');
    my @cases = @{$f->{cases} || []};
    return unless @cases && $preset =~ /^\w+$/;

    # one server per effective configuration
    my (%server_of, @servers, %vars);
    for my $k (@cases) {
        my %cfg = (%{$f->{config} || {}}, %{$k->{config} || {}});
        my $key = $CANON->encode(\%cfg);
        $server_of{$key} //= do { push @servers, \%cfg; scalar @servers };
        $k->{server} = $server_of{$key};
    }
    my $http = '';
    for my $n (1 .. @servers) {
        (my $s = $SERVER) =~ s/_N%%/_$n%%/g;
        $http .= "$s\n";
        $vars{"SETTINGS_$n"} = eval { settings($h, $n, $servers[$n - 1]) };
        if ($@) {
            fail("$preset: configuration $n can be written");
            return diag($@);
        }
    }
    $_->{settings} = $vars{"SETTINGS_$_->{server}"} for @cases;
    $http .= $CLOCK;
    $vars{PRESET} = $preset;

    my ($env, $main) = ({ TZ => 'UTC' }, '');
    if (defined $f->{now}) {
        ($env, $main) = $h->faketime($f->{now});
        if (!$env) {
            fail("$preset: nginx runs under libfaketime at now");
            return diag('libfaketime not found: apt-get install faketime'
                        . ' (./build.sh test installs it)');
        }
    }
    $h->write_config($http, vars => \%vars, main => $main);
    my ($rc, $out) = $h->nginx_t_file(undef, env => $env);
    if ($rc && $out =~ /invalid value "\Q$preset\E" in "webhook_signature"/) {
        SKIP: {
            skip "$preset: preset not known to this build of the module"
                 . " (nginx -t: invalid value for webhook_signature)", 1;
        }
        return;
    }
    if ($rc) {
        fail("$preset: nginx -t accepts the configuration");
        return diag($out, $h->file('nginx.conf'));
    }
    if (!eval { $h->start(env => $env) }) {
        fail("$preset: nginx starts");
        return diag($@);
    }

    my @runs = ((map { [$_, 'http1', "$preset: $_->{name}"] } @cases),
                map { [$_, 'h2', "$preset: $_->{name} (HTTP/2)"] }
                grep { $_->{expect} eq 'ok' } @cases);
    for (@runs) {
        my ($k, $how, $name) = @$_;
        next if eval { case_ok($h, $f, $k, $how, $name); 1 };
        fail($name);
        diag("died: $@");
    }
    $h->finish;
}

# Sends one case (over HTTP/1.1 or HTTP/2) and checks what nginx did.
sub case_ok {
    my ($h, $f, $k, $how, $name) = @_;
    my $n = $k->{server};
    my $body = body_of($k);
    my (@headers, $host, $length);
    for (@{$k->{headers}}) {
        my ($field, $value) = map { "$_" } @$_;
        if    (lc $field eq 'host')           { $host = $value }
        elsif (lc $field eq 'content-length') { $length = $value }
        else                                  { push @headers, $field, $value }
    }
    my $no_body = $body eq '' && $k->{method} =~ /^(?:GET|HEAD)$/;
    my $seen = () = $h->upstream_requests;
    my $log = length $h->error_log;
    my $r;
    if ($how eq 'h2') {
        $r = $h->h2(port => "PORT_H2_$n", method => $k->{method},
                    uri => $k->{uri}, no_tid => 1,
                    headers => [defined $host ? (Host => $host) : (),
                                @headers],
                    $no_body ? () : (body => $body));
    } else {
        $r = $h->request(port => "PORT_$n", method => $k->{method},
                         uri => $k->{uri}, no_tid => 1,
                         host => $host // 'localhost', headers => \@headers,
                         $no_body ? () : (body => $body),
                         defined $length ? (content_length => $length) : ());
    }
    my @up = $h->upstream_requests;
    splice @up, 0, $seen;
    my $result = $r->{headers}{'x-webhook-result'};
    my $c = checks();
    if ($k->{expect} eq 'ok') {
        $c->is($r->{status}, 200, 'status 200 (the upstream\'s)');
        $c->is($result, 'ok', '$webhook_signature_result ok');
        $c->is(scalar @up, 1, 'reached the upstream once');
        if (@up) {
            $c->is($up[0]{method}, $k->{method}, 'upstream got the method');
            $c->is($up[0]{uri}, $k->{uri},
                   'upstream got the request target');
            $c->is($up[0]{len}, length $body, 'upstream got the length');
            $c->is($up[0]{sha256}, sha256_hex($body),
                   'upstream got the exact body bytes');
        }
    } else {
        $c->is($r->{status}, 401, 'status 401');
        $c->is($result, $k->{expect},
               "\$webhook_signature_result $k->{expect}");
        $c->is(scalar @up, 0, 'nothing reached the upstream');
    }
    return $c->done($name) if $c->passing;
    my $clock = $h->request(port => 'PORT_CLOCK', no_tid => 1)->{body};
    my @lines = grep { /webhook signature/ } split /\n/,
                substr($h->error_log, $log);
    return $c->done($name,
        'status: ' . ($r->{status} // 'none')
        . ', result: ' . ($result // 'none') . ", expect: $k->{expect}"
        . ", library: $k->{library}"
        . (defined $k->{spec} ? " (spec: $k->{spec})" : ''),
        'nginx clock: ' . (defined $f->{now} && $clock =~ /^[\d.]+$/
            ? sprintf('now %+.3f s', $clock - $f->{now}) : $clock),
        "server $n:\n$k->{settings}",
        'response: ' . substr($r->{raw} // '', 0, 600),
        @lines ? ('error log:', @lines) : ());
}
