# SPDX-License-Identifier: BSD-2-Clause

package Harness::Conn;

# One client connection speaking raw HTTP/1.1: writes bytes in pieces,
# handles "Expect: 100-continue", reads whole responses (Content-Length,
# chunked or until close) and keeps leftover bytes for keep-alive.

use strict;
use warnings;
use IO::Select;
use IO::Socket::INET;
use JSON::PP;
use Time::HiRes qw(time sleep);

sub new {
    my ($class, $port) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port",
                                  Proto => 'tcp', Timeout => 5)
        or die "connect: $!";
    $s->autoflush(1);
    return bless { sock => $s, buf => '' }, $class;
}

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
    return undef
        if $left <= 0 || !IO::Select->new($self->{sock})->can_read($left);
    my $n = sysread($self->{sock}, $self->{buf}, 65536, length $self->{buf});
    return $n ? 1 : 0;
}

# Sends $raw cut at @$cuts with $delay between pieces; with $expect_at,
# waits for "100 Continue" (or a final response) before sending the rest.
sub send_pieces {
    my ($self, $raw, $cuts, $delay, $timeout, $expect_at) = @_;
    my ($pos, %pre) = (0, ('continue' => 0));
    $pre{body_sent} = 1;
    my @cuts = sort { $a <=> $b } grep { $_ > 0 && $_ < length $raw } @$cuts;
    for my $cut (@cuts, length $raw) {
        next if $cut <= $pos;
        if ($pos) {
            if (defined $expect_at && $pos == $expect_at) {
                my $r = $self->read_response(1.5 * ($Harness::SCALE || 1), 1);
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
        $pre{write_error} = 1
            unless $self->write(substr($raw, $pos, $cut - $pos));
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
        my ($status) = $head =~ m{^HTTP/\d\.\d (\d{3})}
            or return { %r, garbage => 1 };
        if ($status == 100) {
            return { %r, status => 100 } if $stop_at_100;
            $r{continue}++;
            next;
        }
        $r{status} = $status;
        for (split /\r\n/, $head) {
            next unless /^([^:\s]+):\s*(.*)$/;
            my $k = lc $1;
            $r{headers}{$k} = exists $r{headers}{$k}
                            ? "$r{headers}{$k}, $2" : $2;
        }
        my $h = $r{headers} || {};
        my $body = '';
        if ($status == 204 || $status == 304) {
        } elsif (($h->{'transfer-encoding'} // '') =~ /chunked/i) {
            while (1) {
                $self->_fill($deadline) or return { %r, timeout => 1 }
                    until $self->{buf} =~ /\r\n/;
                $self->{buf} =~ s/^([0-9a-fA-F]+)[^\r]*\r\n//
                    or return { %r, garbage => 1 };
                my $size = hex $1;
                my $need = $size ? $size + 2 : 2;
                $self->_fill($deadline) or return { %r, timeout => 1 }
                    while length $self->{buf} < $need;
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
        $r{json} = eval { JSON::PP->new->decode($body) }
            if ($h->{'content-type'} // '') =~ /json/;
        return \%r;
    }
}

1;
