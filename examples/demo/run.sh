#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# Runs the system nginx with the module in a private prefix, in front of the
# demo upstream, and prints curl commands to try.  Ctrl-C stops both.
#
#   examples/demo/run.sh /abs/path/ngx_http_webhook_signature_module.so
#
# DEMO_PORT (default 8080) and DEMO_UPSTREAM_PORT (default 8081) move it.
#
# DEMO_CHECK=1 runs it unattended instead (tools/fresh-root.sh does): once
# nginx listens, the script sends the requests it prints itself -- the signed
# Novu and NotifyKit ones must get 200 from the demo upstream, the forged one
# 401 without reaching it -- then stops both and exits 0 if all three
# answered so, 1 if not (printing nginx's error log).
#
#   DEMO_CHECK=1 ./build.sh demo

set -euo pipefail

MODULE_SO=${1:?usage: $0 /abs/path/ngx_http_webhook_signature_module.so}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PORT=${DEMO_PORT:-8080}
UPSTREAM_PORT=${DEMO_UPSTREAM_PORT:-8081}
SECRET=demo-novu-secret
NOTIFYKIT_SECRET=whsec_demo-notifykit-secret

PREFIX=$(mktemp -d /tmp/webhook-signature-demo.XXXXXX)
chmod 755 "$PREFIX"    # nginx workers (nobody) write request bodies here
mkdir -p "$PREFIX/logs"

sed -e "s|@MODULE_SO@|$MODULE_SO|" -e "s|@PREFIX@|$PREFIX|g" \
    -e "s|@PORT@|$PORT|" -e "s|@UPSTREAM_PORT@|$UPSTREAM_PORT|" \
    -e "s|@SECRET@|$SECRET|" -e "s|@NOTIFYKIT_SECRET@|$NOTIFYKIT_SECRET|" \
    "$HERE/nginx.conf.in" > "$PREFIX/nginx.conf"

# Unattended, a server already on a port would answer in the demo's place.
if [ -n "${DEMO_CHECK:-}" ]; then
    for port in "$PORT" "$UPSTREAM_PORT"; do
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "run.sh: 127.0.0.1:$port is in use; pick free ports with DEMO_PORT and DEMO_UPSTREAM_PORT" >&2
            rm -rf "$PREFIX"
            exit 1
        fi
    done
fi

nginx_pid= upstream_pid= status=0
stop() {
    trap - INT TERM EXIT
    echo
    echo "stopping nginx and the demo upstream"
    [ -n "$nginx_pid" ] && kill -QUIT "$nginx_pid" 2>/dev/null && wait "$nginx_pid" 2>/dev/null
    [ -n "$upstream_pid" ] && kill "$upstream_pid" 2>/dev/null && wait "$upstream_pid" 2>/dev/null
    rm -rf "$PREFIX"
    exit "$status"
}
trap stop INT TERM EXIT

perl "$HERE/upstream.pl" "$UPSTREAM_PORT" &
upstream_pid=$!

nginx -p "$PREFIX" -c "$PREFIX/nginx.conf" -e "$PREFIX/logs/error.log" &
nginx_pid=$!

for _ in $(seq 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
    kill -0 "$nginx_pid" 2>/dev/null || { cat "$PREFIX/logs/error.log" >&2; status=1; exit 1; }
    sleep 0.1
done

# DEMO_CHECK=1: one request as printed below, judged.
#   check_request WHAT WANT_STATUS WANT_UPSTREAM(yes|no) CURL_ARGS...
check_request() {
    local what=$1 want=$2 want_upstream=$3 got reached=no
    shift 3
    got=$(curl -s -o "$PREFIX/reply" -w '%{http_code}' "$@") || got="curl failed ($?)"
    grep -q '"upstream":"reached"' "$PREFIX/reply" 2>/dev/null && reached=yes
    if [ "$got" = "$want" ] && [ "$reached" = "$want_upstream" ]; then
        echo "demo check: $what -> $got, upstream reached: $reached: ok"
    else
        echo "demo check: $what -> $got, upstream reached: $reached;" \
             "expected $want, upstream reached: $want_upstream: FAILED" >&2
        status=1
    fi
}

self_check() {
    local t body sig
    t=$(date +%s%3N); body='{"workflowId":"welcome"}'
    sig=$(printf '%s' "$t.$body" | openssl dgst -sha256 -hmac "$SECRET" -r | cut -d' ' -f1)
    check_request "1. correctly signed Novu request" 200 yes \
        -H "Novu-Signature: t=$t,v1=$sig" -H 'Content-Type: application/json' \
        --data "$body" "http://127.0.0.1:$PORT/api/novu"
    check_request "2. forged Novu request" 401 no \
        -H "Novu-Signature: t=$t,v1=$sig" -H 'Content-Type: application/json' \
        --data '{"workflowId":"forged"}' "http://127.0.0.1:$PORT/api/novu"

    t=$(date +%s); body='{"event":"email.delivered"}'
    sig=$(printf '%s' "$t.$body" | openssl dgst -sha256 -hmac "$NOTIFYKIT_SECRET" -r | cut -d' ' -f1)
    check_request "3. NotifyKit delivery" 200 yes \
        -H "X-Webhook-Timestamp: $t" -H "X-Webhook-Signature: t=$t,v1=$sig" \
        --data "$body" "http://127.0.0.1:$PORT/webhooks/notifykit"

    if [ "$status" -eq 0 ]; then
        echo "demo check: all 3 requests answered as the demo says"
    else
        echo "demo check: nginx's error log:" >&2
        cat "$PREFIX/logs/error.log" >&2
    fi
}

cat <<TXT

nginx with ngx_http_webhook_signature_module is listening on 127.0.0.1:$PORT
in front of a demo upstream on 127.0.0.1:$UPSTREAM_PORT.  Paste into another terminal:

# 1. correctly signed, as Novu signs (timestamp in ms) -> 200, the upstream answers
t=\$(date +%s%3N); body='{"workflowId":"welcome"}'
sig=\$(printf '%s' "\$t.\$body" | openssl dgst -sha256 -hmac '$SECRET' -r | cut -d' ' -f1)
curl -i -H "Novu-Signature: t=\$t,v1=\$sig" -H 'Content-Type: application/json' --data "\$body" http://127.0.0.1:$PORT/api/novu

# 2. forged: the same signature over a different body -> 401, the upstream never sees it
curl -i -H "Novu-Signature: t=\$t,v1=\$sig" -H 'Content-Type: application/json' --data '{"workflowId":"forged"}' http://127.0.0.1:$PORT/api/novu

# 3. a NotifyKit delivery (timestamp in seconds, two headers) -> 200
t=\$(date +%s); body='{"event":"email.delivered"}'
sig=\$(printf '%s' "\$t.\$body" | openssl dgst -sha256 -hmac '$NOTIFYKIT_SECRET' -r | cut -d' ' -f1)
curl -i -H "X-Webhook-Timestamp: \$t" -H "X-Webhook-Signature: t=\$t,v1=\$sig" --data "\$body" http://127.0.0.1:$PORT/webhooks/notifykit

Failures are logged in $PREFIX/logs/error.log, results in $PREFIX/logs/access.log:
tail -f $PREFIX/logs/error.log $PREFIX/logs/access.log
TXT

if [ -n "${DEMO_CHECK:-}" ]; then
    echo
    self_check
    stop
fi

echo
echo "Press Ctrl-C to stop."
wait "$nginx_pid"
