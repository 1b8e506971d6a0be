#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
#
# The Debian package (./build.sh deb) on this machine's own nginx: installed
# with apt-get it puts the module, its load_module file and the
# modules-enabled link where Debian's libnginx-mod-* packages put theirs;
# the system configuration plus one snippet with a protected location then
# passes `nginx -t`, and an nginx loading the module through that link
# verifies signatures.  Removing the package disables the module (nginx -t
# then rejects the directive), reinstalling re-enables it, an administrator
# who deleted the link keeps it deleted, and purging leaves /etc/nginx,
# /usr/lib/nginx/modules and /usr/share/nginx exactly as they were.
#
# It changes the system (dpkg, /etc/nginx/conf.d) and so runs only as root,
# only when the package is not installed already, and restores everything,
# on failure too.  ./build.sh test builds the .deb and sets WEBHOOK_DEB.

use strict;
use warnings;
use Test::More;
use Fcntl qw(:flock);
use File::Copy qw(copy);
use FindBin;
use Harness;
use Harness::Cmd ();

my $PKG     = 'libnginx-mod-http-webhook-signature';
my $SO      = '/usr/lib/nginx/modules/ngx_http_webhook_signature_module.so';
my $AVAIL   = '/usr/share/nginx/modules-available/'
            . 'mod-http-webhook-signature.conf';
my $LINK    = '/etc/nginx/modules-enabled/50-mod-http-webhook-signature.conf';
my $SNIPPET = '/etc/nginx/conf.d/zz-webhook-signature-deb-test.conf';
my $NGINX   = '/usr/sbin/nginx';
my @WATCHED = ('/etc/nginx', '/usr/lib/nginx/modules', '/usr/share/nginx');
my $SECRET  = 'deb-test-novu-secret';

my $deb = $ENV{WEBHOOK_DEB};
plan skip_all =>
    'WEBHOOK_DEB is not set (./build.sh test builds the .deb and sets it)'
    unless $deb;
plan skip_all => 'the package test installs a .deb into the system: run as root'
    unless $> == 0;
plan skip_all =>
    'not a Debian nginx (no apt-get, dpkg or /etc/nginx/modules-enabled)'
    unless -x '/usr/bin/apt-get' && -x '/usr/bin/dpkg'
        && -d '/etc/nginx/modules-enabled';
BAIL_OUT("WEBHOOK_DEB=$deb does not exist; run ./build.sh deb") unless -f $deb;

# Command output, stdout and stderr together, for the checks and diag().
sub run_cmd {
    my ($rc, $out, $err) = Harness::Cmd::run_cmd(
        { env => { DEBIAN_FRONTEND => 'noninteractive' } }, @_);
    return ($rc, $out . $err);
}

sub pkg_status {
    my ($rc, $out) = run_cmd('dpkg-query', '-W',
                             '-f', '${db:Status-Abbrev}', $PKG);
    return 'un' if $rc;     # dpkg has never heard of it
    $out =~ s/\s+$//;
    return $out;
}

# One parallel run at a time touches the system's dpkg and nginx files.
open my $lock, '>', '/run/lock/webhook-signature-deb-test.lock'
    or die "lock: $!";
flock($lock, LOCK_EX) or die "flock: $!";

plan skip_all => "$PKG is installed already (" . pkg_status() . '):'
                 . ' this test would remove it'
    unless pkg_status() =~ /^[up]n/;
plan skip_all => "$SNIPPET exists: not ours to overwrite" if -e $SNIPPET;
{
    my ($rc, $out) = run_cmd($NGINX, '-t');
    plan skip_all => 'the system nginx configuration fails nginx -t'
                     . " before the test: $out"
        if $rc;
}

# Every file, directory and link under the watched trees, with its target.
sub snapshot {
    my ($rc, $out) = run_cmd('find', @WATCHED,
                             '-path', '/usr/share/nginx/src', '-prune',
                             '-o', '-printf', '%y %m %p -> %l\n');
    return join "\n", sort split /\n/, $out;
}
my $before = snapshot();

# Whatever happens, leave the system as it was.
my $installed_by_us = 0;
END {
    local $?;
    unlink $SNIPPET;
    run_cmd('apt-get', 'purge', '-y', '-q',
            '-o', 'DPkg::Lock::Timeout=300', $PKG)
        if $installed_by_us && pkg_status() !~ /^[up]n/;
}

my $h = Harness->new(module => 0);
my $P = $h->prefix;
# apt's download sandbox user must be able to read the file.
copy($deb, "$P/pkg.deb") or die "copy: $!";
chmod 0644, "$P/pkg.deb";
$h->write_file('novu.key', "$SECRET\n", 0600);

sub apt {
    my ($what, @args) = @_;
    $installed_by_us = 1;
    my ($rc, $out) = run_cmd('apt-get', $what, '-y', '-q',
                             '--no-install-recommends',
                             '-o', 'DPkg::Lock::Timeout=300', @args);
    is($rc, 0, "apt-get $what @args") or diag($out);
    return $out;
}

sub nginx_t {
    my ($rc, $out) = run_cmd($NGINX, '-t');
    return ($rc, $out);
}

sub enabled_ok {
    my ($name) = @_;
    ok(-l $LINK, "$name: $LINK is a link");
    is(readlink($LINK), $AVAIL, "$name: to the load_module file");
    ok(!-e "$LINK.removed", "$name: no set-aside link left");
}

# ------------------------------------------------------------ install

apt('install', "$P/pkg.deb");
like(pkg_status(), qr/^ii/, 'the package is installed');
{
    my (undef, $ver) = run_cmd('dpkg-query', '-W', '-f', '${Version}', $PKG);
    (my $want = do { local (@ARGV, $/) = ("$FindBin::Bin/../VERSION"); <> })
        =~ s/\s+//g;
    is($ver, $want, 'its version is the VERSION file');
    my (undef, $dep) = run_cmd('dpkg-query', '-W', '-f', '${Depends}', $PKG);
    my (undef, $provides) = run_cmd('dpkg-query', '-W', '-f', '${Provides}',
                                    'nginx');
    my ($abi) = $provides =~ /(nginx-abi-[\w.~+-]+)/;
    ok($abi, "the installed nginx provides an ABI ($abi)");
    like($dep, qr/(?:^|, )\Q$abi\E(?:,|$)/,
         'the package depends on exactly that ABI');
    my ($rc, $out) = run_cmd('dpkg', '--verify', $PKG);
    is("$rc$out", '0', 'dpkg --verify: every installed file is as packaged');
}
ok(-f $SO, "the module is at $SO");
is(do { local (@ARGV, $/) = ($AVAIL); <> },
   "load_module modules/ngx_http_webhook_signature_module.so;\n",
   "$AVAIL loads it as Debian's module packages do");
enabled_ok('install');

# ------------------------------------------------------------ the system nginx

$h->write_file($SNIPPET, $h->expand(<<'EOF'));
# Written by the test t/deb.t of ngx_http_webhook_signature_module;
# it removes it.
server {
    listen 127.0.0.1:%%PORT%%;
    server_name webhook-deb-test.invalid;

    location = /api/novu {
        webhook_signature        novu;
        webhook_signature_secret file=%%PREFIX%%/novu.key;
        proxy_pass http://%%UPSTREAM%%;
    }
}
EOF
{
    my ($rc, $out) = nginx_t();
    is($rc, 0, 'nginx -t: the system configuration'
               . ' with a protected location passes') or diag($out);
    like($out, qr{/etc/nginx/nginx\.conf test is successful},
         'nginx -t: on /etc/nginx/nginx.conf');
}

# The module loaded the way the system nginx loads it: Debian's nginx.conf
# includes modules-enabled/*.conf, whose load_module path is relative to the
# prefix; /usr/share/nginx/modules links to /usr/lib/nginx/modules, and so
# does this prefix's.  http {} includes the very snippet above.
symlink('/usr/lib/nginx/modules', "$P/modules") or die "symlink: $!";
$h->write_file('nginx.conf',
               $h->expand(<<'EOF', vars => { SNIPPET => $SNIPPET }));
include /etc/nginx/modules-enabled/*.conf;
daemon off;
worker_processes 1;
pid %%PREFIX%%/nginx.pid;
error_log %%PREFIX%%/error.log;

events {
    worker_connections 64;
}

http {
    client_body_temp_path %%PREFIX%%/client_body_temp;
    proxy_temp_path       %%PREFIX%%/proxy_temp;
    access_log %%PREFIX%%/access.log;
    include %%SNIPPET%%;
}
EOF
$h->start;
{
    my $body = '{"workflowId":"welcome","payload":{"name":"Ada"}}';
    my $r = $h->request(uri => '/api/novu', host => 'webhook-deb-test.invalid',
                        headers => [novu_headers($SECRET, now_ms(), $body)],
                        body => $body);
    is($r->{status}, 200, 'installed module: a signed request gets 200');
    my @up = $h->upstream_for($r);
    is($up[0]{sha256}, sha256_hex($body),
       'installed module: the upstream got the body');
    $r = $h->request(uri => '/api/novu', host => 'webhook-deb-test.invalid',
                     headers => [novu_headers('wrong', now_ms(), $body)],
                     body => $body);
    is($r->{status}, 401, 'installed module: a forged request gets 401');
    is(scalar $h->upstream_for($r), 0,
       'installed module: and never reaches the upstream');
    my @maps = grep { m{\Q$SO\E} }
               do { open my $fh, '<', "/proc/$h->{nginx_pid}/maps"; <$fh> };
    ok(@maps, "the running nginx mapped $SO");
}
$h->finish;

# ------------------------------------------------------------ remove, reinstall

# Out of the system configuration before the package's nginx-reload trigger
# fires: a running system nginx must never see the test's snippet.
my $snippet_text = do { local (@ARGV, $/) = ($SNIPPET); <> };
unlink $SNIPPET;
apt('remove', $PKG);
ok(!-e $SO, 'remove: the module is gone');
ok(!-e $AVAIL, 'remove: the load_module file is gone');
ok(!-e $LINK && !-l $LINK, 'remove: the modules-enabled link is gone');
ok(-l "$LINK.removed",
   'remove: set aside as .removed, as Debian module packages do');
{
    $h->write_file($SNIPPET, $snippet_text);
    my ($rc, $out) = nginx_t();
    isnt($rc, 0, 'remove: nginx -t now fails on the snippet...');
    like($out, qr/unknown directive "webhook_signature"/,
         '...because the module is no longer loaded');
    unlink $SNIPPET;
    ($rc, $out) = nginx_t();
    is($rc, 0, 'remove: without the snippet the system configuration passes')
        or diag($out);
}

apt('install', "$P/pkg.deb");
enabled_ok('reinstall after remove');

unlink $LINK;
apt('install', '--reinstall', "$P/pkg.deb");
ok(!-e $LINK && !-l $LINK,
   'an administrator who deleted the link keeps it deleted on reinstall');

# ------------------------------------------------------------ purge

apt('purge', $PKG);
like(pkg_status(), qr/^[up]n/, 'purge: the package is gone from dpkg');
ok(!-e "$LINK.removed" && !-l "$LINK.removed" && !-l $LINK,
   'purge: no link left');
{
    my ($rc, $out) = nginx_t();
    is($rc, 0, 'purge: the system configuration passes nginx -t') or diag($out);
}
is(snapshot(), $before, 'purge: /etc/nginx, /usr/lib/nginx/modules'
                        . ' and /usr/share/nginx are as before');

done_testing;
