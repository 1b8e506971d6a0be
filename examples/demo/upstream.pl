#!/usr/bin/env perl
# SPDX-License-Identifier: BSD-2-Clause
#
# The demo's application: answers every request with what it received, so
# you can see that a verified body reaches it byte for byte.
use strict;
use warnings;
use IO::Socket::INET;
use Digest::SHA qw(sha256_hex);

my $port = shift or die "usage: $0 PORT\n";
my $server = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => $port,
                                   Listen => 16, ReuseAddr => 1)
    or die "upstream: cannot listen on 127.0.0.1:$port: $!\n";
$SIG{TERM} = $SIG{INT} = sub { exit 0 };

while (my $client = $server->accept) {
    local $/ = "\r\n";
    my $request_line = <$client> // next;
    my ($method, $uri) = split ' ', $request_line;
    my $length = 0;
    while (my $line = <$client>) {
        last if $line eq "\r\n";
        $length = $1 if $line =~ /^Content-Length:\s*(\d+)/i;
    }
    my $body = '';
    read($client, $body, $length) if $length;
    my $reply = sprintf qq({"upstream":"reached","method":"%s","uri":"%s","body_length":%d,"body_sha256":"%s"}\n),
        $method, $uri, length $body, sha256_hex($body);
    print $client "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n",
        "Content-Length: ", length $reply, "\r\nConnection: close\r\n\r\n", $reply;
    close $client;
}
