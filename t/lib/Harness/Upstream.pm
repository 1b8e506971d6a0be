# SPDX-License-Identifier: BSD-2-Clause

package Harness::Upstream;

# The recording backend nginx proxies to: a forked Perl HTTP/1.x server that
# reads each request (Content-Length or chunked body), appends one JSON line
# {"method","uri","len","sha256","headers"} to a log file and answers 200
# with the same JSON.  One request per connection.  A query argument
# status=NNN answers with that status; delay=S answers S seconds later from
# a child process, so that the server goes on accepting meanwhile (a slow
# upstream, or one nginx times out on).

use strict;
use warnings;
use IO::Socket::INET;
use POSIX ();
use Digest::SHA qw(sha256_hex);
use JSON::PP;

my $JSON = JSON::PP->new->canonical->ascii;

# Returns (pid, port) of a server logging to $log.
sub start {
    my ($log) = @_;
    my $srv = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
                                    LocalPort => 0, Proto => 'tcp',
                                    Listen => 128, ReuseAddr => 1)
        or die "upstream listen: $!";
    my $port = $srv->sockport;
    my $pid = fork() // die "fork: $!";
    if (!$pid) {
        $SIG{TERM} = sub { POSIX::_exit(0) };
        $SIG{CHLD} = 'IGNORE';
        while (1) {
            my $c = $srv->accept or next;
            eval { _serve($c, $log) };
            close $c;
        }
    }
    close $srv;
    return ($pid, $port);
}

sub _fill {
    my ($c, $buf) = @_;
    my $n = sysread($c, $$buf, 65536, length $$buf);
    die "eof\n" unless $n;
}

# One request per connection: record what arrived, answer it as JSON.
sub _serve {
    my ($c, $log) = @_;
    local $SIG{ALRM} = sub { die "timeout\n" };
    alarm 20;
    my $buf = '';
    _fill($c, \$buf) until $buf =~ /\r\n\r\n/;
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
            _fill($c, \$buf) until $buf =~ /\r\n/;
            $buf =~ s/^([0-9a-fA-F]+)[^\r]*\r\n// or die "bad chunk\n";
            my $size = hex $1;
            if ($size == 0) {
                _fill($c, \$buf) until $buf =~ /^\r\n|\r\n\r\n/;
                last;
            }
            _fill($c, \$buf) while length $buf < $size + 2;
            $body .= substr($buf, 0, $size + 2, '');
            chop $body; chop $body;
        }
    } elsif (my $len = $h{'content-length'}) {
        _fill($c, \$buf) while length $buf < $len;
        $body = substr($buf, 0, $len);
    }
    my $rec = $JSON->encode({ method => $method, uri => $uri,
                              len => length $body,
                              sha256 => sha256_hex($body), headers => \%h });
    open my $fh, '>>', $log or die;
    syswrite $fh, "$rec\n";
    close $fh;
    my ($status) = $uri =~ /[?&]status=(\d{3})/;
    my ($delay) = $uri =~ /[?&]delay=(\d+(?:\.\d+)?)/;
    if ($delay) {
        alarm 0;
        my $pid = fork() // die "fork: $!";
        return if $pid;
        $SIG{PIPE} = 'IGNORE';
        select(undef, undef, undef, $delay);
    }
    print $c 'HTTP/1.1 ' . ($status ? "$status Test" : '200 OK') . "\r\n"
           . "Content-Type: application/json\r\n"
           . 'Content-Length: ' . length($rec) . "\r\n"
           . "Connection: close\r\n\r\n$rec";
    alarm 0;
    POSIX::_exit(0) if $delay;
}

1;
