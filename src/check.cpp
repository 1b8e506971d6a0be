// SPDX-License-Identifier: BSD-2-Clause
//
// The C API: one ws_check_t per request, driven by the nginx glue.

#include "webhook_signature.h"

#include "hmac.hpp"
#include "request_headers.hpp"
#include "scheme.hpp"
#include "timestamp.hpp"

#include <new>
#include <string_view>
#include <vector>

using webhook::HmacKey;
using webhook::HmacSha256;
using webhook::Mac;
using webhook::ParsedSignature;
using webhook::RequestHeaders;
using webhook::Scheme;

struct ws_check_s {
    ws_scheme_e              configured;
    const Scheme            *scheme = nullptr;     // resolved by headers()
    RequestHeaders           headers;
    ParsedSignature          parsed;
    std::vector<HmacSha256>  macs;                 // one per secret
    unsigned long long       body_bytes = 0;
    std::size_t              key_index = 0;

    explicit ws_check_s(ws_scheme_e id) : configured(id) {}

    bool watch_headers();
    const Scheme &resolve_scheme() const;
    bool feed_all(const void *data, std::size_t len);
};


struct ws_key_s {
    HmacKey  hmac;
};


namespace {

std::string_view view(ws_bytes_t bytes)
{
    return {reinterpret_cast<const char *>(bytes.data), bytes.len};
}

// The schemes a configuration may resolve to, in the order auto prefers them.
const ws_scheme_e kAutoOrder[] = { WS_SCHEME_NOVU, WS_SCHEME_NOTIFYKIT };

}  // namespace


bool ws_check_s::watch_headers()
{
    if (configured != WS_SCHEME_AUTO) {
        const Scheme *only = webhook::find_scheme(configured);
        return only != nullptr && only->watch_headers(headers);
    }
    for (ws_scheme_e id : kAutoOrder) {
        if (!webhook::find_scheme(id)->watch_headers(headers)) {
            return false;
        }
    }
    return true;
}

// Under auto the first scheme whose signature header came wins; with none,
// the request is judged (as missing) by the first scheme.
const Scheme &ws_check_s::resolve_scheme() const
{
    if (configured != WS_SCHEME_AUTO) {
        return *webhook::find_scheme(configured);
    }
    for (ws_scheme_e id : kAutoOrder) {
        const Scheme *candidate = webhook::find_scheme(id);
        if (candidate->sent_by(headers)) {
            return *candidate;
        }
    }
    return *webhook::find_scheme(kAutoOrder[0]);
}

bool ws_check_s::feed_all(const void *data, std::size_t len)
{
    for (HmacSha256 &mac : macs) {
        if (!mac.update(data, len)) {
            return false;
        }
    }
    return true;
}


extern "C" {

ws_check_t *ws_check_create(ws_scheme_e scheme)
{
    if (scheme == WS_SCHEME_OFF) {
        return nullptr;
    }

    ws_check_t *check = new (std::nothrow) ws_check_s(scheme);
    if (check != nullptr && !check->watch_headers()) {
        delete check;
        return nullptr;
    }
    return check;
}

void ws_check_destroy(ws_check_t *check)
{
    delete check;
}

void ws_check_add_header(ws_check_t *check, ws_bytes_t name, ws_bytes_t value)
{
    check->headers.offer(view(name), view(value));
}

ws_result_e ws_check_headers(ws_check_t *check, int64_t now_ms,
    int64_t tolerance_ms)
{
    try {
        check->scheme = &check->resolve_scheme();

        ws_result_e result = check->scheme->parse(*check->scheme,
                                                  check->headers,
                                                  check->parsed);
        if (result != WS_RESULT_OK) {
            check->parsed = ParsedSignature{};
            return result;
        }
        if (webhook::is_stale(check->parsed.timestamp, now_ms,
                              tolerance_ms))
        {
            return WS_RESULT_STALE;
        }
        return WS_RESULT_OK;

    } catch (...) {
        return WS_RESULT_ERROR;
    }
}

ws_key_t *ws_key_create(ws_bytes_t secret)
{
    ws_key_t *key = new (std::nothrow) ws_key_s;
    if (key != nullptr && !key->hmac.init(view(secret))) {
        delete key;
        return nullptr;
    }
    return key;
}

void ws_key_destroy(ws_key_t *key)
{
    delete key;
}

}  // extern "C"

// Both entry points key the MACs the same way; a secret comes either as
// bytes or as a prepared key.
namespace {

template <typename SecretAt>
ws_result_e begin_check(ws_check_t *check, size_t n, SecretAt secret_at)
{
    if (check->scheme == nullptr) {
        return WS_RESULT_ERROR;
    }
    if (n == 0) {
        return WS_RESULT_NO_SECRET;
    }
    for (size_t i = 0; i < n; i++) {
        ws_secret_t secret = secret_at(i);
        if (secret.key == nullptr && secret.value.len == 0) {
            return WS_RESULT_NO_SECRET;
        }
    }

    try {
        check->macs.clear();
        check->macs.resize(n);
        for (size_t i = 0; i < n; i++) {
            ws_secret_t secret = secret_at(i);
            bool ok = secret.key != nullptr
                      ? check->macs[i].init(secret.key->hmac)
                      : check->macs[i].init(view(secret.value));
            if (!ok) {
                return WS_RESULT_ERROR;
            }
        }
        for (std::string_view piece : check->parsed.signed_prefix) {
            if (!check->feed_all(piece.data(), piece.size())) {
                return WS_RESULT_ERROR;
            }
        }
        return WS_RESULT_OK;
    } catch (...) {
        return WS_RESULT_ERROR;
    }
}

}  // namespace

extern "C" {

ws_result_e ws_check_begin(ws_check_t *check, const ws_bytes_t *secrets,
    size_t n)
{
    return begin_check(check, n, [secrets](size_t i) {
        return ws_secret_t{secrets[i], nullptr};
    });
}

ws_result_e ws_check_begin_secrets(ws_check_t *check,
    const ws_secret_t *secrets, size_t n)
{
    return begin_check(check, n, [secrets](size_t i) { return secrets[i]; });
}

ws_result_e ws_check_update(ws_check_t *check, const void *data, size_t len)
{
    if (!check->feed_all(data, len)) {
        return WS_RESULT_ERROR;
    }
    check->body_bytes += len;
    return WS_RESULT_OK;
}

ws_result_e ws_check_finish(ws_check_t *check)
{
    if (check->scheme == nullptr || check->macs.empty()) {
        return WS_RESULT_ERROR;
    }

    std::string_view empty_body = check->scheme->empty_body;

    if (check->body_bytes == 0
        && !check->feed_all(empty_body.data(), empty_body.size()))
    {
        return WS_RESULT_ERROR;
    }

    check->key_index = 0;

    // Every pair is compared, whatever matched first, so the time taken does
    // not depend on which secret or signature matched.
    for (std::size_t i = 0; i < check->macs.size(); i++) {
        Mac computed;

        if (!check->macs[i].finish(computed)) {
            return WS_RESULT_ERROR;
        }
        for (const Mac &candidate : check->parsed.candidates) {
            if (webhook::macs_equal(computed, candidate)
                && check->key_index == 0)
            {
                check->key_index = i + 1;
            }
        }
    }

    return check->key_index != 0 ? WS_RESULT_OK : WS_RESULT_MISMATCH;
}

ws_scheme_e ws_check_scheme(const ws_check_t *check)
{
    return (check->scheme != nullptr ? *check->scheme
                                     : check->resolve_scheme()).id;
}

ws_bytes_t ws_check_timestamp(const ws_check_t *check)
{
    std::string_view t = check->parsed.timestamp;
    return {reinterpret_cast<const unsigned char *>(t.data()), t.size()};
}

size_t ws_check_key_index(const ws_check_t *check)
{
    return check->key_index;
}

const char *ws_scheme_name(ws_scheme_e scheme)
{
    switch (scheme) {
    case WS_SCHEME_OFF:  return "off";
    case WS_SCHEME_AUTO: return "auto";
    default:             break;
    }
    const Scheme *found = webhook::find_scheme(scheme);
    return found != nullptr ? found->name.data() : "unknown";
}

const char *ws_result_name(ws_result_e result)
{
    switch (result) {
    case WS_RESULT_NONE:      return "";
    case WS_RESULT_OK:        return "ok";
    case WS_RESULT_MISSING:   return "missing";
    case WS_RESULT_MALFORMED: return "malformed";
    case WS_RESULT_STALE:     return "stale";
    case WS_RESULT_MISMATCH:  return "mismatch";
    case WS_RESULT_NO_SECRET: return "no_secret";
    case WS_RESULT_ERROR:     return "error";
    }
    return "error";
}

const char *ws_error_body(ws_scheme_e scheme, ws_result_e result)
{
    const Scheme *found = webhook::find_scheme(scheme);
    return found != nullptr ? found->error_body(result) : nullptr;
}

}  // extern "C"
