package Harness;

# A small nginx-tests style harness: a temp prefix, a templated nginx.conf,
# the system nginx started by PID, a recording upstream, a raw HTTP/1.1
# client, HTTP/2 through curl, signing helpers and log assertions.
#
#   my $h = Harness->new;                    # prefix + upstream
#   $h->run($http_block, %opts);             # write nginx.conf, start nginx
#   my $r = $h->request(uri => '/x', headers => [...], body => '...');
#   ...
#   $h->finish;                              # stop, assert no alerts
#
# KEEP=1 keeps the prefix; NGINX_BINARY overrides /usr/sbin/nginx.

use strict;
use warnings;
use Exporter 'import';
use Test::More;
use File::Temp qw(tempdir);
use IO::Socket::INET;
use IO::Select;
use POSIX qw(WNOHANG);
use Time::HiRes qw(time sleep);
use Digest::SHA qw(sha256_hex hmac_sha256_hex);
use JSON::PP;

our @EXPORT = qw(novu_sig novu_headers nk_sig nk_headers now_s now_ms
                 second_start sha256_hex json_decode %ERROR_BODY);

my $NGINX = $ENV{NGINX_BINARY} || '/usr/sbin/nginx';
my $JSON  = JSON::PP->new->canonical->ascii;
my @LIVE;
$SIG{PIPE} = 'IGNORE';

# Exact default bodies (docs/DESIGN-NOTES.md).
our %ERROR_BODY = (
    novu => {
        missing   => '{"message":"Signature not found. Please provide a signature in the `novu-signature` header","code":"SignatureNotFoundError"}',
        malformed => '{"message":"Signature is invalid. Please provide a valid signature in the `novu-signature` header","code":"SignatureInvalidError"}',
        stale     => '{"message":"Signature expired. Please provide a signature with a timestamp within the allowed tolerance in the `novu-signature` header","code":"SignatureExpiredError"}',
        mismatch  => '{"message":"Signature does not match the expected signature. Please ensure the signature provided in the `novu-signature` header is correct and try again.","code":"SignatureMismatchError"}',
        no_secret => '{"message":"Signature key not found. Please configure a secret key for this endpoint","code":"SigningKeyNotFoundError"}',
    },
    notifykit => {
        missing   => '{"error":"Missing signature"}',
        malformed => '{"error":"Malformed signature"}',
        stale     => '{"error":"Signature timestamp is outside the allowed tolerance"}',
        mismatch  => '{"error":"Invalid signature"}',
        no_secret => '{"error":"Signing secret is not configured"}',
    },
);

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
sub nk_headers { ('X-Webhook-Timestamp' => $_[1], 'X-Webhook-Signature' => nk_sig(@_)) }

sub json_decode { my $v = eval { JSON::PP->new->decode($_[0]) }; $v }

# ---------------------------------------------------------------- lifecycle

sub new {
    my ($class, %o) = @_;
    my $self = bless { module => $o{module} // 1, tid => 0, ports => {},
                       owner => $$ }, $class;
    if ($self->{module}) {
        my $so = $ENV{WEBHOOK_MODULE_SO};
        plan skip_all => 'WEBHOOK_MODULE_SO is not set (./build.sh test sets it)'
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
    $self->_start_upstream unless defined $o{upstream} && !$o{upstream};
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

sub _expand {
    my ($self, $text) = @_;
    $text =~ s/%%PREFIX%%/$self->{prefix}/g;
    $text =~ s/%%UPSTREAM%%/127.0.0.1:$self->{upstream_port}/g;
    $text =~ s/%%(PORT\w*)%%/$self->port($1)/ge;
    return $text;
}

# The whole nginx.conf around the test's http {} contents.
#   main => '...'          extra main-context lines (e.g. "env FOO;")
#   error_level => 'debug' level of the harness error_log
#   log_format => '...'    format of PREFIX/access.log
sub conf_text {
    my ($self, $http, %o) = @_;
    my $d = $o{dir} // $self->{prefix};
    my $level = $o{error_level} // 'debug';
    my $fmt = $o{log_format} // ($self->{module}
        ? '$request_method $request_uri $status r=$webhook_signature_result'
          . ' t=$webhook_signature_timestamp k=$webhook_signature_key'
        : '$request_method $request_uri $status');
    my $load = $self->{module} ? "load_module $self->{so};" : '';
    my $off  = $self->{module} ? 'webhook_signature off;' : '';
    my $main = $o{main} // '';
    return $self->_expand(<<"EOF");
$load
daemon off;
master_process on;
worker_processes 1;
pid $d/nginx.pid;
error_log $d/error.log $level;
$main
events { worker_connections 512; }
http {
    client_body_temp_path $d/client_body_temp;
    proxy_temp_path       $d/proxy_temp;
    fastcgi_temp_path     $d/fastcgi_temp;
    uwsgi_temp_path       $d/uwsgi_temp;
    scgi_temp_path        $d/scgi_temp;
    log_format harness '$fmt';
    access_log $d/access.log harness;
    server {
        listen 127.0.0.1:%%PORT_STATUS%%;
        location / { $off stub_status; }
    }
$http
}
EOF
}

sub write_config {
    my ($self, $http, %o) = @_;
    $self->{conf_opts} = \%o;
    $self->write_file('nginx.conf', $self->conf_text($http, %o));
}

sub run { my ($self, $http, %o) = @_; $self->write_config($http, %o); $self->start(%o) }

sub _exec_nginx {
    my ($env, @args) = @_;
    for my $k (keys %{$env || {}}) {
        if (defined $env->{$k}) { $ENV{$k} = $env->{$k} } else { delete $ENV{$k} }
    }
    { exec $NGINX, @args }
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
        _exec_nginx($o{env}, '-p', "$p/", '-c', 'nginx.conf', '-e', "$p/error.log");
    }
    $self->{nginx_pid} = $pid;
    my @ports = map { $_->{port} } values %{$self->{ports}};
    my $deadline = time + 10;
    for my $port (@ports) {
        until (IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port", Timeout => 1)) {
            if (waitpid($pid, WNOHANG) == $pid or time > $deadline) {
                delete $self->{nginx_pid};
                die "nginx did not start:\n" . $self->file('stderr.log')
                    . join('', grep { /\[(emerg|alert|crit)\]/ } $self->error_lines);
            }
            sleep 0.02;
        }
    }
    sleep 0.02 until $self->worker_pids or time > $deadline;
    return 1;
}

sub stop {
    my ($self) = @_;
    my $pid = delete $self->{nginx_pid} or return;
    for my $sig ('QUIT', 'TERM', 'KILL') {
        kill $sig, $pid;
        my $deadline = time + ($sig eq 'QUIT' ? 15 : 3);
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
# configuration was refused (old workers keep running).
sub reload {
    my ($self, $http, %o) = @_;
    $self->write_config($http, %{$self->{conf_opts} || {}}, %o) if defined $http;
    my %old = map { $_ => 1 } $self->worker_pids;
    my $mark = -s "$self->{prefix}/error.log" // 0;
    $self->_release_ports;
    kill 'HUP', $self->{nginx_pid};
    my $deadline = time + 10;
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
    my $pid = open(my $fh, '-|') // die "fork: $!";
    if (!$pid) {
        open STDERR, '>&', \*STDOUT;
        _exec_nginx($o{env}, '-t', '-p', "$d/", '-c', 'nginx.conf', '-e', "$d/error.log");
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
    if (my $pid = delete $self->{upstream_pid}) { kill 'KILL', $pid; waitpid $pid, 0 }
}
sub DESTROY { $_[0]->_cleanup }
END { $_->_cleanup for @LIVE }

# Stop nginx, then the assertions every test file ends with.
sub finish {
    my ($self) = @_;
    my $how = $self->stop // 'not running';
    is($how, 'QUIT', 'nginx stops gracefully on QUIT');
    my @bad = grep { /\[(alert|crit|emerg)\]/ } $self->error_lines;
    push @bad, map { "stderr: $_" } grep { /\S/ } split /\n/, $self->file('stderr.log');
    is(scalar @bad, 0, 'no [alert], [crit] or [emerg] in the error log')
        or diag(join '', @bad[0 .. ($#bad < 9 ? $#bad : 9)]);
    ok($self->file('error.log') !~ /Sanitizer/, 'no Sanitizer report in the error log');
}

# ---------------------------------------------------------------- upstream

sub _start_upstream {
    my ($self) = @_;
    my $srv = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                    Proto => 'tcp', Listen => 128, ReuseAddr => 1)
        or die "upstream listen: $!";
    $self->{upstream_port} = $srv->sockport;
    my $log = "$self->{prefix}/upstream.log";
    my $pid = fork() // die "fork: $!";
    if (!$pid) {
        $SIG{TERM} = sub { POSIX::_exit(0) };
        while (1) {
            my $c = $srv->accept or next;
            eval { _upstream_serve($c, $log) };
            close $c;
        }
    }
    close $srv;
    $self->{upstream_pid} = $pid;
}

sub _up_fill {
    my ($c, $buf) = @_;
    my $n = sysread($c, $$buf, 65536, length $$buf);
    die "eof\n" unless $n;
}

# One request per connection: record what arrived, answer it as JSON.
sub _upstream_serve {
    my ($c, $log) = @_;
    local $SIG{ALRM} = sub { die "timeout\n" };
    alarm 20;
    my $buf = '';
    _up_fill($c, \$buf) until $buf =~ /\r\n\r\n/;
    my $i = index($buf, "\r\n\r\n");
    my $head = substr($buf, 0, $i + 4, '');
    my ($line, @lines) = split /\r\n/, $head;
    my ($method, $uri) = split / /, $line;
    my %h;
    for (@lines) {
        my ($k, $v) = /^([^:]+):\s*(.*?)\s*$/ or next;
        $k = lc $k;
        $h{$k} = exists $h{$k} ? "$h{$k}, $v" : $v;
    }
    my $body = '';
    if (($h{'transfer-encoding'} // '') =~ /chunked/i) {
        while (1) {
            _up_fill($c, \$buf) until $buf =~ /\r\n/;
            $buf =~ s/^([0-9a-fA-F]+)[^\r]*\r\n// or die "bad chunk\n";
            my $size = hex $1;
            if ($size == 0) {
                _up_fill($c, \$buf) until $buf =~ /^\r\n|\r\n\r\n/;
                last;
            }
            _up_fill($c, \$buf) while length $buf < $size + 2;
            $body .= substr($buf, 0, $size + 2, '');
            chop $body; chop $body;
        }
    } elsif (my $len = $h{'content-length'}) {
        _up_fill($c, \$buf) while length $buf < $len;
        $body = substr($buf, 0, $len);
    }
    my $rec = $JSON->encode({ method => $method, uri => $uri, len => length $body,
                              sha256 => sha256_hex($body), headers => \%h });
    open my $fh, '>>', $log or die;
    syswrite $fh, "$rec\n";
    close $fh;
    print $c "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
           . "Content-Length: " . length($rec) . "\r\nConnection: close\r\n\r\n$rec";
    alarm 0;
}

sub upstream_requests {
    my ($self) = @_;
    return map { $JSON->decode($_) } grep { /\S/ } split /\n/, $self->file('upstream.log');
}

# The upstream records of one client request (matched by its tid).
sub upstream_for {
    my ($self, $res) = @_;
    return grep { $_->{uri} =~ /[?&]tid=$res->{tid}(?:&|$)/ } $self->upstream_requests;
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
    my $method = $a{method} // (defined $a{body} || $a{chunked} ? 'POST' : 'GET');
    my $head = "$method $uri HTTP/1.1\r\nHost: " . ($a{host} // 'localhost') . "\r\n";
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
        $head .= "Content-Length: " . ($a{content_length} // length $body) . "\r\n";
    }
    $head .= "Expect: 100-continue\r\n" if $a{expect};
    $head .= "Connection: close\r\n" unless $a{keepalive} || $a{conn};
    $head .= "\r\n";
    my $raw = $a{raw} // $head . ($body // '');
    my $hl = length $head;
    my @cuts = map { $_ eq 'chunks' ? ($hl, map { $hl + $_ } @chunk_ends)
                     : /^head(?:\+(\d+))?$/ ? $hl + ($1 // 0) : $_ } @{$a{split} || []};
    $a{expect} ||= 0;
    push @cuts, $hl if $a{expect};
    my $c = $a{conn} || $self->connect($a{port});
    my $res = $c->send_pieces($raw, \@cuts, $a{delay} // 0.3, $a{timeout} // 5,
                              $a{expect} ? $hl : undef);
    $c->close unless $a{conn};
    $res->{tid} = $tid;
    return $res;
}

sub connect {
    my ($self, $port) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1:' . $self->port($port),
                                  Proto => 'tcp', Timeout => 5)
        or die "connect: $!";
    $s->autoflush(1);
    return bless { sock => $s, buf => '' }, 'Harness::Conn';
}

# HTTP/2 (h2c prior knowledge) through curl.  Options: method, uri,
# headers, body (sent from a file, so with a Content-Length), stream => 1
# (body piped from stdin: no Content-Length, DATA frames only), port.
sub h2 {
    my ($self, %a) = @_;
    my $tid = ++$self->{tid};
    my $uri = $a{uri} // '/';
    $uri .= ($uri =~ /\?/ ? '&' : '?') . "tid=$tid";
    my $d = $self->{prefix};
    my @cmd = ('curl', '-sS', '--http2-prior-knowledge', '--max-time', '10',
               '-o', "$d/h2.body", '-D', "$d/h2.head", '-w', '%{http_code}');
    my @h = @{$a{headers} || []};
    while (my ($k, $v) = splice @h, 0, 2) { push @cmd, '-H', "$k: $v" }
    if (defined $a{body}) {
        $self->write_file('h2.req', $a{body});
        push @cmd, '-H', 'Content-Type: application/json', '-H', 'Expect:';
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
               body => $self->file('h2.body'), raw_head => $self->file('h2.head'),
               curl_err => $self->file('h2.err'));
    ($res{version}) = $res{raw_head} =~ m{^HTTP/(\S+)};
    for (split /\r\n/, $res{raw_head}) {
        $res{headers}{lc $1} = $2 if /^([^:\s]+):\s*(.*)$/;
    }
    $res{raw} = $res{raw_head} . $res{body};
    $res{json} = json_decode($res{body}) if ($res{headers}{'content-type'} // '') =~ /json/;
    return \%res;
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
    return grep { /webhook signature check failed/ && /request: "[^"]*[?&]tid=$res->{tid}(?:[& ])/ }
           $self->error_lines;
}

# The access log line of one request, parsed from the default format
# (polls briefly: nginx logs after the response is sent).
sub access_for {
    my ($self, $res) = @_;
    my $deadline = time + 3;
    while (1) {
        for (split /\n/, $self->file('access.log')) {
            next unless m{^(\S+) (\S*[?&]tid=$res->{tid}(?:&\S*)?) (\d+)(?: r=(\S*) t=(\S*) k=(\S*))?$};
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
    my $deadline = time + ($secs // 5);
    my $n;
    while (1) {
        my $r = $self->request(port => 'PORT_STATUS', uri => '/', no_tid => 1);
        ($n) = $r->{body} =~ /Active connections:\s*(\d+)/;
        return $n if !defined $n || $n <= 1 || time > $deadline;
        sleep 0.1;
    }
}

# ---------------------------------------------------------------- assertions

# A request that passed: 200 from the upstream, which got exactly $body.
sub passed_ok {
    my ($self, $res, $body, $name) = @_;
    my @up = $self->upstream_for($res);
    my $ok = 1;
    is($res->{status}, 200, "$name: status 200") or $ok = 0;
    is(scalar @up, 1, "$name: reached the upstream once") or $ok = 0;
    if (@up) {
        is($up[0]{len}, length $body, "$name: upstream got the body length") or $ok = 0;
        is($up[0]{sha256}, sha256_hex($body), "$name: upstream got the exact body bytes")
            or $ok = 0;
    }
    diag(($res->{raw} // '') . "\n" . join '', $self->failure_lines($res)) unless $ok;
    return $ok;
}

# A request the module rejected: status, the exact default JSON body, its
# Content-Type, nothing upstream, exactly one failure line in the log.
#   rejected_ok($res, 'mismatch', 'novu', $name, status => 401, level => 'error',
#               body => 'json' | 'any', report => 0)
sub rejected_ok {
    my ($self, $res, $result, $scheme, $name, %o) = @_;
    my $status = $o{status} // ($result eq 'no_secret' ? 500 : 401);
    my $ok = 1;
    is($res->{status}, $status, "$name: status $status") or $ok = 0;
    if (($o{body} // 'json') eq 'json') {
        is($res->{body}, $ERROR_BODY{$scheme}{$result}, "$name: $scheme $result JSON body")
            or $ok = 0;
        like($res->{headers}{'content-type'} // '', qr{^application/json\b},
             "$name: Content-Type application/json") or $ok = 0;
    }
    is(scalar $self->upstream_for($res), 0, "$name: nothing reached the upstream") or $ok = 0;
    $self->failure_logged_ok($res, $result, $scheme, $name, %o) or $ok = 0;
    diag($res->{raw} // '') unless $ok;
    return $ok;
}

sub failure_logged_ok {
    my ($self, $res, $result, $scheme, $name, %o) = @_;
    my $level = $o{level} // 'error';
    my $ro = $o{report} ? ' \(report only\)' : '';
    my @l = $self->failure_lines($res);
    my $ok = is(scalar @l, 1, "$name: one failure line in the error log");
    like($l[0] // '', qr{ \[\Q$level\E\] \d+#\d+: \*\d+ webhook signature check failed$ro: \Q$result\E \(scheme: \Q$scheme\E\), client: 127\.0\.0\.1, server: [^,]*, request: "[A-Z]+ [^"]*[?&]tid=$res->{tid}(?:&[^"]*)? HTTP/[\d.]+", host: "[^"]*"},
         "$name: logged '$result (scheme: $scheme)' at [$level] with request context") or $ok = 0;
    diag(join '', @l) unless $ok;
    return $ok;
}

# The secret never appears in the error log, the access log or any response.
#   ignore => qr/.../ skips error-log lines (nginx's own "http map:" debug
#   lines print map values; the module's lines are never skipped).
sub no_secret_ok {
    my ($self, $secret, $name, @responses) = @_;
    my $ignore = ref $responses[0] eq 'Regexp' ? shift @responses : qr/(?!)/;
    my @in_log = grep { index($_, $secret) >= 0 && $_ !~ $ignore } $self->error_lines;
    is(scalar @in_log, 0, "$name: secret not in the (debug) error log")
        or diag(join '', @in_log[0 .. ($#in_log < 4 ? $#in_log : 4)]);
    ok(index($self->file('access.log'), $secret) < 0, "$name: secret not in the access log");
    my @leaks = grep { index($_->{raw} // '', $secret) >= 0 } @responses;
    is(scalar @leaks, 0, "$name: secret not in any of " . @responses . " responses");
}

# ---------------------------------------------------------------- connection

package Harness::Conn;

use Time::HiRes qw(time sleep);

sub close { close $_[0]{sock} if $_[0]{sock}; delete $_[0]{sock} }

sub write {
    my ($self, $data) = @_;
    my $sel = IO::Select->new($self->{sock});
    while (length $data) {
        return 0 unless $sel->can_write(5);
        my $n = syswrite($self->{sock}, $data);
        return 0 unless $n;
        substr($data, 0, $n, '');
    }
    return 1;
}

# Reads more bytes: 1 data, 0 EOF, undef timeout.
sub _fill {
    my ($self, $deadline) = @_;
    my $left = $deadline - time;
    return undef if $left <= 0 || !IO::Select->new($self->{sock})->can_read($left);
    my $n = sysread($self->{sock}, $self->{buf}, 65536, length $self->{buf});
    return $n ? 1 : 0;
}

# Sends $raw cut at @$cuts with $delay between pieces; with $expect_at,
# waits for "100 Continue" (or a final response) before sending the rest.
sub send_pieces {
    my ($self, $raw, $cuts, $delay, $timeout, $expect_at) = @_;
    my ($pos, %pre) = (0, ('continue' => 0));
    $pre{body_sent} = 1;
    for my $cut ((sort { $a <=> $b } grep { $_ > 0 && $_ < length $raw } @$cuts), length $raw) {
        next if $cut <= $pos;
        if ($pos) {
            if (defined $expect_at && $pos == $expect_at) {
                my $r = $self->read_response(1.5, 1);
                if ($r->{status} != 100) {      # final answer (or silence)
                    return { %$r, body_sent => 0 } if $r->{status};
                    $pre{expect_timeout} = 1;
                } else {
                    $pre{continue}++;
                }
            } else {
                sleep $delay;
            }
        }
        $pre{write_error} = 1 unless $self->write(substr($raw, $pos, $cut - $pos));
        $pos = $cut;
    }
    my $r = $self->read_response($timeout);
    $r->{continue} += $pre{continue};
    return { %pre, %$r, continue => $r->{continue} };
}

# Reads one response (1xx interim responses are counted in {continue};
# with $stop_at_100 a "100 Continue" is returned as {status => 100}).
sub read_response {
    my ($self, $timeout, $stop_at_100) = @_;
    my $deadline = time + ($timeout // 5);
    my %r = (continue => 0, raw => '', status => 0);
    while (1) {
        my $i;
        until (($i = index($self->{buf}, "\r\n\r\n")) >= 0) {
            my $f = $self->_fill($deadline);
            next if $f;
            $r{raw} .= $self->{buf};
            return { %r, defined $f ? (closed => 1) : (timeout => 1) };
        }
        my $head = substr($self->{buf}, 0, $i + 4, '');
        $r{raw} .= $head;
        my ($status) = $head =~ m{^HTTP/\d\.\d (\d{3})} or return { %r, garbage => 1 };
        if ($status == 100) {
            return { %r, status => 100 } if $stop_at_100;
            $r{continue}++;
            next;
        }
        $r{status} = $status;
        for (split /\r\n/, $head) {
            next unless /^([^:\s]+):\s*(.*)$/;
            my $k = lc $1;
            $r{headers}{$k} = exists $r{headers}{$k} ? "$r{headers}{$k}, $2" : $2;
        }
        my $h = $r{headers} || {};
        my $body = '';
        if ($status == 204 || $status == 304) {
        } elsif (($h->{'transfer-encoding'} // '') =~ /chunked/i) {
            while (1) {
                $self->_fill($deadline) or return { %r, timeout => 1 } until $self->{buf} =~ /\r\n/;
                $self->{buf} =~ s/^([0-9a-fA-F]+)[^\r]*\r\n// or return { %r, garbage => 1 };
                my $size = hex $1;
                my $need = $size ? $size + 2 : 2;
                $self->_fill($deadline) or return { %r, timeout => 1 } while length $self->{buf} < $need;
                $body .= substr($self->{buf}, 0, $size);
                substr($self->{buf}, 0, $need, '');
                last unless $size;
            }
        } elsif (defined $h->{'content-length'}) {
            $self->_fill($deadline) or return { %r, timeout => 1 }
                while length $self->{buf} < $h->{'content-length'};
            $body = substr($self->{buf}, 0, $h->{'content-length'}, '');
        } else {
            1 while $self->_fill($deadline);
            $body = $self->{buf};
            $self->{buf} = '';
        }
        $r{raw} .= $body;
        $r{body} = $body;
        $r{json} = Harness::json_decode($body) if ($h->{'content-type'} // '') =~ /json/;
        return \%r;
    }
}

1;
