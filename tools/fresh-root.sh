#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# shellcheck disable=SC2317  # the cleanup functions run from the EXIT trap
#
# The README's two commands, run as a newcomer runs them, on a bare Debian
# root: proves that `./build.sh demo` and `./build.sh test` install what they
# need and pass on a release, from nothing.
#
#   tools/fresh-root.sh SUITE        SUITE: bookworm (Debian 12) or trixie (Debian 13)
#
# As root, it
#   1. makes a bare root: debootstrap --variant=minbase
#      --include=ca-certificates,git SUITE (installs debootstrap if missing),
#      with the release's -updates and -security sources and an /etc/hosts,
#      as an installed system has them;
#   2. mounts /proc, binds /dev and /dev/pts, copies /etc/resolv.conf;
#   3. clones the committed HEAD of the checkout this script is in to
#      /root/<checkout's name> inside the root (uncommitted changes are not
#      tested), and copies ../shared beside it, where there is one;
#   4. inside chroot, in that clone: `DEMO_CHECK=1 ./build.sh demo` (the demo
#      sends the requests it prints and exits 0/1; see examples/demo/run.sh)
#      and then `./build.sh test`;
#   5. on any exit, stops what still runs inside the root, unmounts
#      everything, and deletes the root only once nothing is mounted under it.
# It exits non-zero if either command failed, and prints the timings.
#
# The root shares this machine's network (apt needs it): the demo is given
# two free ports, the tests pick their own.
#
# Knobs (environment):
#   KEEP_ROOT=1            keep the root afterwards (unmounted) to look into
#   FRESH_ROOT_CACHE=DIR   reuse DIR/SUITE-minbase.tar, the bootstrapped base,
#                          instead of running debootstrap; make it there if it
#                          is missing.  For iterating: CI runs without it, from
#                          scratch.
#   FRESH_ROOT_TMP=DIR     where the root is made (default /var/tmp)
#   DEBIAN_MIRROR=URL      default http://deb.debian.org/debian

set -euo pipefail

say() { printf '==> fresh-root: %s\n' "$*" >&2; }
die() { printf 'fresh-root.sh: %s\n' "$*" >&2; exit 1; }

SUITE=${1:-}
case "$SUITE" in
    bookworm|trixie) ;;
    *) die "usage: $0 bookworm|trixie" ;;
esac
[ "$(id -u)" -eq 0 ] || die "debootstrap, mount and chroot need root: run it as root (sudo $0 $SUITE)"

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CHECKOUT=$(git -C "$HERE" rev-parse --show-toplevel 2>/dev/null) \
    || die "$HERE is not in a git checkout: the root gets a clone of the checkout's HEAD"
NAME=$(basename "$CHECKOUT")
HEAD_SHA=$(git -C "$CHECKOUT" rev-parse HEAD)
SHARED=$(cd "$CHECKOUT/.." && pwd)/shared
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
TMP_BASE=${FRESH_ROOT_TMP:-/var/tmp}
CACHE_TAR=${FRESH_ROOT_CACHE:+$FRESH_ROOT_CACHE/$SUITE-minbase.tar}

WORK=      # our directory: WORK/root is the root, WORK/*.log beside it
ROOT=
MOUNTS=()  # mounted by us, in mount order

# ------------------------------------------------------------ cleanup

# Processes whose root is our root: only ours can be there (nginx left by a
# failed test, say); they would keep the mounts busy.
stop_root_processes() {
    local sig pid pids
    for sig in TERM KILL; do
        pids=()
        for pid in /proc/[0-9]*; do
            [ "$(readlink "$pid/root" 2>/dev/null)" = "$ROOT" ] && pids+=("${pid#/proc/}")
        done
        [ ${#pids[@]} -eq 0 ] && return 0
        say "stopping what still runs inside the root (SIG$sig): ${pids[*]}"
        kill -"$sig" "${pids[@]}" 2>/dev/null || true
        sleep 2
    done
}

# Everything mounted at or under the root, deepest first (ours or not).
mounts_under_root() {
    findmnt -rn -o TARGET | awk -v r="$ROOT" '$0 == r || index($0, r "/") == 1' | sort -r
}

unmount_all() {
    local i target
    for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do
        target=${MOUNTS[i]}
        mountpoint -q "$target" || continue
        umount "$target" 2>/dev/null || { sleep 1; umount "$target" 2>/dev/null; } \
            || { say "$target is busy: detaching it (umount -l)"; umount -l "$target" || true; }
    done
    MOUNTS=()
    # Whatever else ended up mounted in there (a command inside the root).
    local rest
    rest=$(mounts_under_root)
    if [ -n "$rest" ]; then
        say "unmounting what else is mounted in the root: $(echo "$rest" | paste -sd ' ')"
        echo "$rest" | while read -r target; do umount "$target" 2>/dev/null || umount -l "$target" || true; done
    fi
}

cleanup() {
    local status=$?
    trap - EXIT INT TERM
    set +e
    if [ -n "$ROOT" ] && [ -d "$ROOT" ]; then
        stop_root_processes
        unmount_all
        if [ -n "$(mounts_under_root)" ]; then
            say "still mounted under $ROOT, so it is NOT deleted:"
            mounts_under_root >&2
            say "unmount those (umount -R $ROOT), then: rm -rf $WORK"
            [ "$status" -eq 0 ] && status=1
        elif [ -n "${KEEP_ROOT:-}" ]; then
            say "kept the root (KEEP_ROOT=1): $ROOT"
            say "  enter it: mount -t proc proc $ROOT/proc && mount --bind /dev $ROOT/dev && chroot $ROOT"
            say "  delete it (after umount $ROOT/proc $ROOT/dev): rm -rf --one-file-system $WORK"
        else
            say "deleting $WORK"
            rm -rf --one-file-system "$WORK"
        fi
    elif [ -n "$WORK" ] && [ -d "$WORK" ] && [ -z "${KEEP_ROOT:-}" ]; then
        rm -rf --one-file-system "$WORK"
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ------------------------------------------------------------ the root

if ! command -v debootstrap >/dev/null; then
    say "installing debootstrap on this machine"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap >/dev/null \
        || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap >/dev/null; } \
        || die "could not install debootstrap: apt-get install debootstrap"
fi
if ! command -v findmnt >/dev/null || ! command -v mountpoint >/dev/null; then
    die "findmnt and mountpoint are missing: apt-get install util-linux"
fi

mkdir -p "$TMP_BASE"
WORK=$(mktemp -d "$TMP_BASE/fresh-root-$SUITE.XXXXXX")
WORK=$(cd "$WORK" && pwd -P)
ROOT=$WORK/root
mkdir "$ROOT"
chmod 755 "$WORK" "$ROOT"    # the root's / is readable to nginx's workers

if [ -n "$CACHE_TAR" ] && [ -f "$CACHE_TAR" ]; then
    say "unpacking the base $SUITE root from $CACHE_TAR (FRESH_ROOT_CACHE)"
    BASE_START=$SECONDS
    tar -C "$ROOT" --numeric-owner -xpf "$CACHE_TAR"
    BASE_HOW="unpacked from the cache"
else
    say "debootstrap --variant=minbase --include=ca-certificates,git $SUITE $ROOT $MIRROR (log: $WORK/debootstrap.log)"
    BASE_START=$SECONDS
    debootstrap --variant=minbase --include=ca-certificates,git "$SUITE" "$ROOT" "$MIRROR" \
        >"$WORK/debootstrap.log" 2>&1 \
        || { tail -n 30 "$WORK/debootstrap.log" >&2; die "debootstrap $SUITE failed; see the lines above"; }
    BASE_HOW="debootstrap"
fi
BASE_TIME=$((SECONDS - BASE_START))
say "base root ready ($BASE_HOW) in ${BASE_TIME} s"
if [ -n "$CACHE_TAR" ] && [ ! -f "$CACHE_TAR" ]; then
    say "saving the base root as $CACHE_TAR for the next run (FRESH_ROOT_CACHE)"
    mkdir -p "$FRESH_ROOT_CACHE"
    tar -C "$ROOT" --numeric-owner -cpf "$CACHE_TAR.part" . && mv "$CACHE_TAR.part" "$CACHE_TAR"
fi

# What an installed system has and debootstrap leaves out.
say "apt sources: $SUITE, $SUITE-updates, $SUITE-security; /etc/hosts; /etc/resolv.conf from this machine"
cat > "$ROOT/etc/apt/sources.list" <<EOF
deb $MIRROR $SUITE main
deb $MIRROR $SUITE-updates main
deb ${MIRROR%/debian}/debian-security $SUITE-security main
EOF
cat > "$ROOT/etc/hosts" <<EOF
127.0.0.1	localhost
::1		localhost ip6-localhost ip6-loopback
EOF
cp -L /etc/resolv.conf "$ROOT/etc/resolv.conf"

mount_in_root() {    # mount_in_root TARGET MOUNT-ARGS...
    local target=$ROOT$1
    shift
    mkdir -p "$target"
    say "mount $* $target"
    mount "$@" "$target"
    MOUNTS+=("$target")
    # Private: nothing mounted or unmounted here reaches this machine's /dev
    # (where / is a shared mount, as under systemd, a bind would be a peer).
    mount --make-private "$target"
}
mount_in_root /proc -t proc proc
mount_in_root /dev --bind /dev
mount_in_root /dev/pts --bind /dev/pts

say "cloning $CHECKOUT at HEAD ($(git -C "$CHECKOUT" log -1 --format='%h %s' HEAD)) into /root/$NAME"
[ -z "$(git -C "$CHECKOUT" status --porcelain --untracked-files=no)" ] \
    || say "note: $CHECKOUT has uncommitted changes; the root tests HEAD without them"
git clone -q --no-hardlinks "$CHECKOUT" "$ROOT/root/$NAME"
git -C "$ROOT/root/$NAME" checkout -q --detach "$HEAD_SHA"
if [ -d "$SHARED" ]; then
    say "copying $SHARED to /root/shared"
    cp -a "$SHARED" "$ROOT/root/shared"
else
    say "no $SHARED beside the checkout: none copied"
fi

# Two free ports on this machine for the demo (the root shares its network).
free_port_pair() {
    local port
    for _ in $(seq 50); do
        port=$((20000 + RANDOM % 40000))
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && continue
        (exec 3<>"/dev/tcp/127.0.0.1/$((port + 1))") 2>/dev/null && continue
        echo "$port"
        return 0
    done
    die "found no two free ports for the demo"
}
DEMO_PORT=$(free_port_pair)

# in_root COMMAND: runs COMMAND in the clone with a login's clean
# environment, none of this machine's.  In the background, waited for: a
# signal to this script then ends it at once (bash runs a trap only after the
# foreground command), and cleanup stops what runs inside the root.
in_root() {
    local command=$1 pid
    say "chroot $ROOT: cd /root/$NAME && $command"
    chroot "$ROOT" /usr/bin/env -i HOME=/root USER=root LOGNAME=root SHELL=/bin/bash \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        LANG=C.UTF-8 TERM=dumb \
        DEMO_PORT="$DEMO_PORT" DEMO_UPSTREAM_PORT="$((DEMO_PORT + 1))" \
        /bin/bash -c "cd /root/$NAME && $command" </dev/null &
    pid=$!
    wait "$pid"
}

status=0
demo_result=passed test_result=passed
DEMO_START=$SECONDS
in_root "DEMO_CHECK=1 ./build.sh demo" || { demo_result=FAILED; status=1; }
DEMO_TIME=$((SECONDS - DEMO_START))
TEST_START=$SECONDS
in_root "./build.sh test" || { test_result=FAILED; status=1; }
TEST_TIME=$((SECONDS - TEST_START))

nginx_version=$(chroot "$ROOT" nginx -v 2>&1 | sed 's/.*\///') || nginx_version=unknown
say "Debian $SUITE $(cat "$ROOT/etc/debian_version"), nginx $nginx_version, HEAD $(git -C "$CHECKOUT" rev-parse --short HEAD):"
printf '==> fresh-root:   %-48s %5d s\n' "base root ($BASE_HOW)" "$BASE_TIME" >&2
printf '==> fresh-root:   %-48s %5d s  %s\n' "DEMO_CHECK=1 ./build.sh demo (installs, builds)" "$DEMO_TIME" "$demo_result" \
    "./build.sh test" "$TEST_TIME" "$test_result" >&2
printf '==> fresh-root:   %-48s %5d s\n' "in all, before cleanup" "$SECONDS" >&2
[ "$status" -eq 0 ] || say "a command failed inside the $SUITE root: see its output above (KEEP_ROOT=1 keeps the root to look into)"
exit "$status"
