# SPDX-License-Identifier: BSD-2-Clause

package Harness;

# A small nginx-tests style harness: a temp prefix, a templated nginx.conf,
# the system nginx started by PID, a recording upstream, a raw HTTP/1.1
# client, HTTP/2 through curl, signing helpers and log helpers.
# Beside it: Harness/Upstream.pm (the recording backend), Harness/Conn.pm
# (one raw HTTP/1.1 connection), Harness/Checks.pm (the assertions:
# passed_ok, rejected_ok, failure_logged_ok, no_secret_ok, each one TAP
# line, and checks() for a test's own).
#
#   my $h = Harness->new;                    # prefix + upstream
#   $h->run(<<'EOF', vars => { SECRET => $S });   # write nginx.conf, start
#       server {
#           listen 127.0.0.1:%%PORT%%;
#           webhook_signature_secret "%%SECRET%%";
#           ...
#       }
#   EOF
#   my $r = $h->request(uri => '/x', headers => [...], body => '...');
#   ...
#   $h->finish;                              # stop, assert no alerts
#
# A configuration is written literally (a <<'EOF' heredoc, nginx's own
# $variables as they are) with %%NAME%% placeholders, filled by expand()
# wherever one is written (run, reload, write_config, conf_text, nginx_t):
#   %%PREFIX%%     the temp prefix
#   %%UPSTREAM%%   127.0.0.1:<port> of the recording upstream
#   %%PORT%%, %%PORT_<anything>%%   a free port per name ($h->port(NAME))
#   %%NAME%%       vars => { NAME => value } of that call (reload merges
#                  them with run's)
# A %%NAME%% left unfilled dies, so a typo cannot change the config.
#
# KEEP=1 keeps the prefix; NGINX_BINARY overrides /usr/sbin/nginx.
# $h->faketime($unix_seconds) starts nginx's clock at a given second.
#
# Hardening runs (SANITIZE=1 / VALGRIND=1 ./build.sh test) change how nginx
# runs, never what the tests assert:
#   NGINX_ENV="K=V K=V"     environment for nginx only (LD_PRELOAD of the
#                           sanitizer runtime must not reach perl or curl);
#                           workers inherit it by fork from the master, which
#                           loaded the runtime before nginx cleared environ
#   NGINX_WRAPPER="cmd ..." runs nginx under a command (valgrind)
#   HARNESS_TIMEOUT_SCALE=N multiplies the harness's waits (valgrind is slow)

use strict;
use warnings;
use Exporter 'import';
use Test::More;
use File::Temp qw(tempdir);
use IO::Socket::INET;
use POSIX qw(WNOHANG);
use Time::HiRes qw(time sleep);
use Digest::SHA qw(sha256_hex hmac_sha256_hex);
use JSON::PP;
use Harness::Checks;
use Harness::Conn;
use Harness::Upstream;

our @ISA = ('Harness::Checks');
our %ERROR_BODY;
*ERROR_BODY = \%Harness::Checks::ERROR_BODY;
sub checks { Harness::Checks::checks() }
our @EXPORT = qw(novu_sig novu_headers nk_sig nk_headers now_s now_ms
                 second_start sha256_hex json_decode checks %ERROR_BODY);

my $NGINX = $ENV{NGINX_BINARY} || '/usr/sbin/nginx';
my @WRAPPER = split ' ', $ENV{NGINX_WRAPPER} // '';
my %NGINX_ENV = map { /^([^=]+)=(.*)$/s ? ($1 => $2) : () }
                split ' ', $ENV{NGINX_ENV} // '';
our $SCALE = $ENV{HARNESS_TIMEOUT_SCALE} || 1;
my $JSON  = JSON::PP->new->canonical->ascii;
my @LIVE;
$SIG{PIPE} = 'IGNORE';

# ---------------------------------------------------------------- signing

sub now_s  { int(time()) }
sub now_ms { int(time() * 1000) }

# Waits until just after a second boundary and returns that second, so that
# a request sent now is judged by nginx within the same whole second.
sub second_start {
    my $t = time();
    sleep(1 - ($t - int $t) + 0.02) if $t - int($t) > 0.3;
    return int(time());
}

sub novu_sig {
    my ($secret, $t, $body) = @_;
    $body = '{}' if !defined $body || $body eq '';
    return "t=$t,v1=" . hmac_sha256_hex("$t.$body", $secret);
}
sub novu_headers { ('Novu-Signature' => novu_sig(@_)) }

sub nk_sig {
    my ($secret, $t, $body) = @_;
    return "t=$t,v1=" . hmac_sha256_hex("$t." . ($body // ''), $secret);
}
sub nk_headers {
    ('X-Webhook-Timestamp' => $_[1], 'X-Webhook-Signature' => nk_sig(@_))
}

sub json_decode { my $v = eval { JSON::PP->new->decode($_[0]) }; $v }

# ---------------------------------------------------------------- lifecycle

sub new {
    my ($class, %o) = @_;
    my $self = bless { module => $o{module} // 1, tid => 0, ports => {},
                       owner => $$ }, $class;
    if ($self->{module}) {
        my $so = $ENV{WEBHOOK_MODULE_SO};
        plan skip_all =>
            'WEBHOOK_MODULE_SO is not set (./build.sh test sets it)'
            unless $so;
        BAIL_OUT("WEBHOOK_MODULE_SO=$so does not exist; run ./build.sh")
            unless -f $so;
        $self->{so} = $so;
    }
    my $p = tempdir('webhook-t-XXXXXXXX', TMPDIR => 1, CLEANUP => !$ENV{KEEP});
    chmod 0755, $p;                 # workers run as nobody
    mkdir "$p/html";
    $self->{prefix} = $p;
    diag("prefix kept: $p") if $ENV{KEEP};
    @$self{qw(upstream_pid upstream_port)}
        = Harness::Upstream::start("$p/upstream.log")
        unless defined $o{upstream} && !$o{upstream};
    push @LIVE, $self;
    return $self;
}

sub prefix { $_[0]{prefix} }

# A free port per name, held until nginx starts.
sub port {
    my ($self, $name) = @_;
    $name //= 'PORT';
    return $self->{ports}{$name}{port} if $self->{ports}{$name};
    my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                  Proto => 'tcp', Listen => 1, ReuseAddr => 1)
        or die "cannot allocate a port: $!";
    $self->{ports}{$name} = { port => $s->sockport, sock => $s };
    return $s->sockport;
}

sub _release_ports {
    close delete $_->{sock} for grep { $_->{sock} } values %{$_[0]{ports}};
}

sub write_file {
    my ($self, $rel, $content, $mode) = @_;
    my $path = $rel =~ m{^/} ? $rel : "$self->{prefix}/$rel";
    open my $fh, '>:raw', $path or die "$path: $!";
    print $fh $content;
    close $fh;
    chmod $mode // 0644, $path;
    return $path;
}

# The placeholders of a configuration, filled in one pass (a value is
# never scanned again): PREFIX, UPSTREAM, PORT*, then the test's own vars.
# Any %%NAME%% left unfilled dies, naming it.
sub expand {
    my ($self, $text, %o) = @_;
    my $vars = $o{vars} || {};
    my @taken = grep { /^(?:PREFIX|UPSTREAM|PORT\w*)$/ } keys %$vars;
    die "vars: @taken are the harness's own placeholders\n" if @taken;
    my %unfilled;
    my $fill = sub {
        my ($n) = @_;
        return $self->{prefix} if $n eq 'PREFIX';
        return "127.0.0.1:$self->{upstream_port}" if $n eq 'UPSTREAM';
        return $self->port($n) if $n =~ /^PORT\w*$/;
        return $vars->{$n} if defined $vars->{$n};
        $unfilled{$n} = 1;
        return "%%$n%%";
    };
    $text =~ s/%%(\w+)%%/$fill->($1)/ge;
    die 'unfilled placeholder(s) ' . join(', ', map { "%%$_%%" }
        sort keys %unfilled) . " in:\n$text" if %unfilled;
    return $text;
}

# The nginx.conf around every test's http {} contents; conf_text fills
# the frame's own %%NAME%%s, then expand() the rest.
my $FRAME = <<'EOF';
%%LOAD_MODULE%%
daemon off;
master_process on;
worker_processes %%WORKERS%%;
pid %%DIR%%/nginx.pid;
error_log %%DIR%%/error.log %%ERROR_LEVEL%%;
%%MAIN%%

events {
    worker_connections 512;
}

http {
    client_body_temp_path %%DIR%%/client_body_temp;
    proxy_temp_path       %%DIR%%/proxy_temp;
    fastcgi_temp_path     %%DIR%%/fastcgi_temp;
    uwsgi_temp_path       %%DIR%%/uwsgi_temp;
    scgi_temp_path        %%DIR%%/scgi_temp;

    log_format harness '%%LOG_FORMAT%%';
    access_log %%DIR%%/access.log harness;

    server {
        listen 127.0.0.1:%%PORT_STATUS%%;

        location / {
            %%STATUS_OFF%%
            stub_status;
        }
    }

%%HTTP%%
}
EOF

# The whole nginx.conf around the test's http {} contents.
#   vars => { NAME => value } fills %%NAME%% (see expand)
#   main => '...'          extra main-context lines (e.g. "env FOO;")
#   error_level => 'debug' level of the harness error_log
#   workers => 2           worker_processes (default 1)
#   log_format => '...'    format of PREFIX/access.log
#   workers => N           worker_processes (default 1)
sub conf_text {
    my ($self, $http, %o) = @_;
    my %frame = (
        DIR         => $o{dir} // $self->{prefix},
        ERROR_LEVEL => $o{error_level} // 'debug',
        LOG_FORMAT  => $o{log_format} // ($self->{module}
            ? '$request_method $request_uri $status'
              . ' r=$webhook_signature_result'
              . ' t=$webhook_signature_timestamp k=$webhook_signature_key'
            : '$request_method $request_uri $status'),
        LOAD_MODULE => $self->{module} ? "load_module $self->{so};" : '',
        STATUS_OFF  => $self->{module} ? 'webhook_signature off;' : '',
        MAIN        => $o{main} // '',
        WORKERS     => $o{workers} // 1,
        HTTP        => $http,
    );
    my $names = join '|', keys %frame;
    (my $text = $FRAME) =~ s/%%($names)%%/$frame{$1}/g;
    return $self->expand($text, %o);
}

sub write_config {
    my ($self, $http, %o) = @_;
    $self->{conf_opts} = \%o;
    $self->write_file('nginx.conf', $self->conf_text($http, %o));
}

# A port is free when allocated and released just before nginx starts; a
# test running beside this one may take it in between (nginx then fails to
# bind it): the configuration is written again with other ports.
sub run {
    my ($self, $http, %o) = @_;
    for my $attempt (1 .. 3) {
        $self->write_config($http, %o);
        my $started = eval { $self->start(%o) };
        return $started if $started;
        die $@ unless $@ =~ /Address already in use/ && $attempt < 3;
        diag("a port was taken by another test; retrying with others");
        $self->{ports} = {};
    }
}

sub _exec_nginx {
    my ($env, @args) = @_;
    $env = { %NGINX_ENV, %{$env || {}} };
    for my $k (keys %$env) {
        if (defined $env->{$k}) { $ENV{$k} = $env->{$k} }
        else                    { delete $ENV{$k} }
    }
    { exec @WRAPPER, $NGINX, @args }
    print STDERR "exec $NGINX: $!\n";
    POSIX::_exit(127);
}

sub start {
    my ($self, %o) = @_;
    my $p = $self->{prefix};
    $self->_release_ports;
    my $pid = fork() // die "fork: $!";
    if (!$pid) {
        open STDOUT, '>>', "$p/stderr.log";
        open STDERR, '>&', \*STDOUT;
        _exec_nginx($o{env}, '-p', "$p/", '-c', 'nginx.conf',
                    '-e', "$p/error.log");
    }
    $self->{nginx_pid} = $pid;
    my @ports = map { $_->{port} } values %{$self->{ports}};
    my $deadline = time + 10 * $SCALE;
    for my $port (@ports) {
        until (IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port",
                                     Timeout => 1)) {
            if (waitpid($pid, WNOHANG) == $pid or time > $deadline) {
                delete $self->{nginx_pid};
                die "nginx did not start:\n" . $self->file('stderr.log')
                    . join('', grep { /\[(emerg|alert|crit)\]/ }
                                    $self->error_lines);
            }
            sleep 0.02;
        }
    }
    # the ports answering is not enough: another test may hold one of them
    until ($self->worker_pids) {
        if (waitpid($pid, WNOHANG) == $pid or time > $deadline) {
            delete $self->{nginx_pid};
            die "nginx did not start:\n" . $self->file('stderr.log')
                . join('', grep { /\[(emerg|alert|crit)\]/ }
                                $self->error_lines);
        }
        sleep 0.02;
    }
    return 1;
}

sub stop {
    my ($self) = @_;
    my $pid = delete $self->{nginx_pid} or return;
    for my $sig ('QUIT', 'TERM', 'KILL') {
        kill $sig, $pid;
        my $deadline = time + ($sig eq 'QUIT' ? 15 : 3) * $SCALE;
        while (time < $deadline) {
            return $sig if waitpid($pid, WNOHANG) == $pid;
            sleep 0.02;
        }
    }
    return 'lost';
}

sub worker_pids {
    my ($self) = @_;
    my $master = $self->{nginx_pid} or return;
    my @pids;
    opendir my $dh, '/proc' or return;
    for my $pid (grep { /^\d+$/ } readdir $dh) {
        open my $fh, '<', "/proc/$pid/stat" or next;
        my $stat = <$fh> // next;
        my ($ppid) = $stat =~ /\)\s+\S+\s+(\d+)/;
        push @pids, $pid if defined $ppid && $ppid == $master;
    }
    @pids = sort { $a <=> $b } @pids;
    return @pids;
}

# HUP, then wait until only new workers remain.  False when the new
# configuration was refused (old workers keep running).  With a new
# configuration, the options of run() apply unless given again (vars are
# merged).
sub reload {
    my ($self, $http, %o) = @_;
    if (defined $http) {
        my %prev = %{$self->{conf_opts} || {}};
        my %vars = (%{$prev{vars} || {}}, %{$o{vars} || {}});
        $self->write_config($http, %prev, %o, vars => \%vars);
    }
    my %old = map { $_ => 1 } $self->worker_pids;
    my $mark = -s "$self->{prefix}/error.log" // 0;
    $self->_release_ports;
    kill 'HUP', $self->{nginx_pid};
    my $deadline = time + 10 * $SCALE;
    while (time < $deadline) {
        my @w = $self->worker_pids;
        return 1 if @w && !grep { $old{$_} } @w;
        return 0 if substr($self->file('error.log'), $mark) =~ /\[emerg\]/;
        sleep 0.05;
    }
    return 0;
}

# nginx -t on a configuration in its own sub-prefix: (exit code, output).
sub nginx_t {
    my ($self, $http, %o) = @_;
    my $d = $self->{prefix} . '/t' . ++$self->{tn};
    mkdir $d;
    chmod 0755, $d;
    $self->write_file("$d/nginx.conf", $self->conf_text($http, %o, dir => $d));
    return $self->nginx_t_file($d, %o);
}

# nginx -t on <dir>/nginx.conf as written (default: the harness's prefix),
# run as every nginx of the harness is (NGINX_ENV, NGINX_WRAPPER):
# (exit code, output).
sub nginx_t_file {
    my ($self, $d, %o) = @_;
    $d //= $self->{prefix};
    my $pid = open(my $fh, '-|') // die "fork: $!";
    if (!$pid) {
        open STDERR, '>&', \*STDOUT;
        _exec_nginx($o{env}, '-t', '-p', "$d/", '-c', 'nginx.conf',
                    '-e', "$d/error.log");
    }
    my $out = do { local $/; <$fh> } // '';
    close $fh;
    return ($? >> 8, $out);
}

sub _cleanup {
    my ($self) = @_;
    local $?;
    return unless $self->{owner} == $$;
    $self->stop;
    if (my $pid = delete $self->{upstream_pid}) {
        kill 'KILL', $pid;
        waitpid $pid, 0;
    }
}
sub DESTROY { $_[0]->_cleanup }
END { $_->_cleanup for @LIVE }

# Stop nginx, then the assertions every test file ends with.
# Stops nginx and checks its logs.  expected => qr/.../: the [alert] lines
# a test provokes on purpose (e.g. a full replay zone's), not counted.
sub finish {
    my ($self, %o) = @_;
    my $how = $self->stop // 'not running';
    is($how, 'QUIT', 'nginx stops gracefully on QUIT');
    my @bad = grep { /\[(alert|crit|emerg)\]/
                     && !($o{expected} && /$o{expected}/) }
              $self->error_lines;
    # nginx >= 1.25.1 deprecates "listen ... http2", which 1.22 requires.
    my $deprecated = qr/the "listen \.\.\. http2" directive is deprecated/;
    push @bad, map { "stderr: $_" }
               grep { /\S/ && !/$deprecated/ }
               split /\n/, $self->file('stderr.log');
    is(scalar @bad, 0, 'no [alert], [crit] or [emerg] in the error log')
        or diag(join '', @bad[0 .. ($#bad < 9 ? $#bad : 9)]);
    ok($self->file('error.log') !~ /Sanitizer/,
       'no Sanitizer report in the error log');
}

sub upstream_requests {
    my ($self) = @_;
    return map { $JSON->decode($_) } grep { /\S/ }
           split /\n/, $self->file('upstream.log');
}

# The upstream records of one client request (matched by its tid).
sub upstream_for {
    my ($self, $res) = @_;
    return grep { $_->{uri} =~ /[?&]tid=$res->{tid}(?:&|$)/ }
           $self->upstream_requests;
}

# ---------------------------------------------------------------- client

# Builds a raw HTTP/1.1 request and sends it.  Options:
#   method, uri, host, headers => [name => value, ...] (duplicates allowed),
#   body => bytes | chunked => [chunk, ...], content_length => N (override),
#   keepalive => 1 (no "Connection: close"), conn => Harness::Conn,
#   split => [offset | 'head' | 'head+N' | 'chunks', ...], delay => 0.3,
#   expect => 1 (Expect: 100-continue; the body is sent only after a 100),
#   raw => bytes (send exactly these), port => name, timeout => 5, no_tid => 1.
# Every request gets a unique "tid=N" query argument; the result carries it.
sub request {
    my ($self, %a) = @_;
    my $tid = ++$self->{tid};
    my $uri = $a{uri} // '/';
    $uri .= ($uri =~ /\?/ ? '&' : '?') . "tid=$tid" unless $a{no_tid};
    my @h = @{$a{headers} || []};
    my ($body, @chunk_ends);
    my $method = $a{method}
              // (defined $a{body} || $a{chunked} ? 'POST' : 'GET');
    my $head = "$method $uri HTTP/1.1\r\n"
             . 'Host: ' . ($a{host} // 'localhost') . "\r\n";
    while (my ($k, $v) = splice @h, 0, 2) { $head .= "$k: $v\r\n" }
    if ($a{chunked}) {
        $head .= "Transfer-Encoding: chunked\r\n";
        $body = '';
        for (@{$a{chunked}}) {
            $body .= sprintf("%x\r\n%s\r\n", length, $_);
            push @chunk_ends, length $body;
        }
        $body .= "0\r\n\r\n";
    } elsif (defined $a{body}) {
        $body = $a{body};
        $head .= 'Content-Length: ' . ($a{content_length} // length $body)
               . "\r\n";
    }
    $head .= "Expect: 100-continue\r\n" if $a{expect};
    $head .= "Connection: close\r\n" unless $a{keepalive} || $a{conn};
    $head .= "\r\n";
    my $raw = $a{raw} // $head . ($body // '');
    my $hl = length $head;
    my @cuts = map { $_ eq 'chunks' ? ($hl, map { $hl + $_ } @chunk_ends)
                     : /^head(?:\+(\d+))?$/ ? $hl + ($1 // 0) : $_ }
               @{$a{split} || []};
    $a{expect} ||= 0;
    push @cuts, $hl if $a{expect};
    my $c = $a{conn} || $self->connect($a{port});
    my $res = $c->send_pieces($raw, \@cuts, $a{delay} // 0.3,
                              ($a{timeout} // 5) * $SCALE,
                              $a{expect} ? $hl : undef);
    $c->close unless $a{conn};
    $res->{tid} = $tid;
    return $res;
}

sub connect {
    my ($self, $port) = @_;
    return Harness::Conn->new($self->port($port));
}

# HTTP/2 (h2c prior knowledge) through curl.  Options: method, uri (sent
# as written: no globbing, no dot-segment removal), headers (an empty
# value is sent empty), body (sent from a file, so with a Content-Length;
# Content-Type: application/json unless headers have one), stream => 1
# (body piped from stdin: no Content-Length, DATA frames only), port,
# no_tid => 1.
sub h2 {
    my ($self, %a) = @_;
    my $tid = ++$self->{tid};
    my $uri = $a{uri} // '/';
    $uri .= ($uri =~ /\?/ ? '&' : '?') . "tid=$tid" unless $a{no_tid};
    my $d = $self->{prefix};
    my @cmd = ('curl', '-sS', '--http2-prior-knowledge', '--globoff',
               '--path-as-is', '--max-time', 10 * $SCALE,
               '-o', "$d/h2.body", '-D', "$d/h2.head", '-w', '%{http_code}');
    my @h = @{$a{headers} || []};
    my $type;
    while (my ($k, $v) = splice @h, 0, 2) {
        push @cmd, '-H', length $v ? "$k: $v" : "$k;";
        $type = 1 if lc $k eq 'content-type';
    }
    if (defined $a{body}) {
        $self->write_file('h2.req', $a{body});
        push @cmd, '-H', 'Content-Type: application/json' unless $type;
        push @cmd, '-H', 'Expect:';
        push @cmd, $a{stream} ? ('-T', '-') : ('--data-binary', "\@$d/h2.req");
    }
    push @cmd, '-X', $a{method} // (defined $a{body} ? 'POST' : 'GET');
    push @cmd, 'http://127.0.0.1:' . $self->port($a{port} // 'PORT_H2') . $uri;
    unlink "$d/h2.body", "$d/h2.head";
    my $pid = open(my $fh, '-|') // die "fork: $!";
    if (!$pid) {
        open STDIN, '<', $a{stream} ? "$d/h2.req" : '/dev/null';
        open STDERR, '>', "$d/h2.err";
        { exec @cmd }
        POSIX::_exit(127);
    }
    my $code = do { local $/; <$fh> };
    close $fh;
    my %res = (tid => $tid, curl_rc => $? >> 8, status => $code + 0,
               body => $self->file('h2.body'),
               raw_head => $self->file('h2.head'),
               curl_err => $self->file('h2.err'));
    ($res{version}) = $res{raw_head} =~ m{^HTTP/(\S+)};
    for (split /\r\n/, $res{raw_head}) {
        $res{headers}{lc $1} = $2 if /^([^:\s]+):\s*(.*)$/;
    }
    $res{raw} = $res{raw_head} . $res{body};
    $res{json} = json_decode($res{body})
        if ($res{headers}{'content-type'} // '') =~ /json/;
    return \%res;
}

# ---------------------------------------------------------------- clock

# nginx's clock started at unix second $t under Debian's libfaketime and
# running on from there (never frozen): (env for start/nginx_t_file, main
# context lines), or () when libfaketime is not installed.  The library is
# preloaded after NGINX_ENV's LD_PRELOAD (a sanitizer runtime must come
# first); under ASan the allocator's release-to-OS timer is turned off,
# as it reads the clock inside a lock before libfaketime is initialised
# (libfaketime 0.9.10 then deadlocks in dlsym).  The monotonic clock stays
# real, so nginx's timers are unaffected; TZ=UTC makes libfaketime read
# the time as UTC; "env FAKETIME" keeps it for the workers, whose
# environment nginx clears.  Perl and curl keep the real clock.
sub faketime {
    my ($self, $t) = @_;
    my ($lib) = grep { -f } map { glob }
                '/usr/lib/*/faketime/libfaketime.so.1',
                '/usr/lib/faketime/libfaketime.so.1';
    return unless $lib;
    my %env = (
        LD_PRELOAD => join(':', grep { defined && length }
                                $NGINX_ENV{LD_PRELOAD}, $lib),
        FAKETIME => POSIX::strftime('@%Y-%m-%d %H:%M:%S', gmtime $t),
        FAKETIME_DONT_FAKE_MONOTONIC => 1,
        TZ => 'UTC',
    );
    $env{ASAN_OPTIONS} = join ':', grep { defined && length }
        $NGINX_ENV{ASAN_OPTIONS}, 'allocator_release_to_os_interval_ms=-1'
        if ($NGINX_ENV{LD_PRELOAD} // '') =~ /asan/
           || defined $NGINX_ENV{ASAN_OPTIONS};
    return (\%env, "env FAKETIME;\nenv FAKETIME_DONT_FAKE_MONOTONIC;");
}

# ---------------------------------------------------------------- logs

sub file {
    my ($self, $rel) = @_;
    open my $fh, '<:raw', "$self->{prefix}/$rel" or return '';
    local $/;
    return scalar <$fh>;
}

sub error_log { $_[0]->file('error.log') }
sub error_lines {
    my ($self, $re) = @_;
    my @l = split /^/m, $self->error_log;
    return $re ? grep { $_ =~ $re } @l : @l;
}

# The module's failure lines written for one request.
sub failure_lines {
    my ($self, $res) = @_;
    my $request = qr/request: "[^"]*[?&]tid=$res->{tid}(?:[& ])/;
    return grep { /webhook signature check failed/ && /$request/ }
           $self->error_lines;
}

# The access log line of one request, parsed from the default format
# (polls briefly: nginx logs after the response is sent).
sub access_for {
    my ($self, $res) = @_;
    my $deadline = time + 3 * $SCALE;
    my $line = '^(\S+) (\S*[?&]tid=' . $res->{tid} . '(?:&\S*)?) (\d+)'
             . '(?: r=(\S*) t=(\S*) k=(\S*))?$';
    while (1) {
        for (split /\n/, $self->file('access.log')) {
            next unless m{$line};
            return { method => $1, uri => $2, status => $3, result => $4,
                     timestamp => $5, key => $6, line => $_ };
        }
        return undef if time > $deadline;
        sleep 0.02;
    }
}

# "Active connections" of stub_status, polled until it drops to 1 (only the
# status request itself); returns the last value seen.
sub wait_idle {
    my ($self, $secs) = @_;
    my $deadline = time + ($secs // 5) * $SCALE;
    my $n;
    while (1) {
        my $r = $self->request(port => 'PORT_STATUS', uri => '/', no_tid => 1);
        ($n) = $r->{body} =~ /Active connections:\s*(\d+)/;
        return $n if !defined $n || $n <= 1 || time > $deadline;
        sleep 0.1;
    }
}

1;
