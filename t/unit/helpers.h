/* SPDX-License-Identifier: BSD-2-Clause */

/*
 * Shared helpers for the cmocka unit tests of the verification core.
 *
 * Everything goes through the C API in webhook_signature.h.  The only other
 * library used is OpenSSL's one-shot HMAC(), as an independent reference for
 * bodies generated at run time; fixed vectors are pasted from the openssl
 * command line in the test files.
 *
 * Every function here is static inline so that a test file that does not use
 * one does not trip -Wunused-function under -Werror.
 */

#ifndef WS_TEST_HELPERS_H
#define WS_TEST_HELPERS_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "webhook_signature.h"


/* The edge clock used by most tests: 2025-05-06T19:53:54Z. */
#define NOW_S     INT64_C(1746561234)
#define NOW_MS    INT64_C(1746561234000)
#define TS        "1746561234"            /* NOW_S as sent */
#define TOL_5M    INT64_C(300000)         /* the directive's default, 5m */

/*
 * printf '%s' '1746561234.{"a":1}' | openssl dgst -sha256 -hmac 'secret'
 * The signature most parser tests carry: with secret "secret" and body
 * {"a":1} it verifies, so a header the parser accepts can also be checked
 * end to end.
 */
#define BODY_A1   "{\"a\":1}"
#define SECRET    "secret"
#define SIG_A1 \
    "26b35d49c3437dfcd545ea1a2aee3503655cb3893974a664063a1c2648bb40ff"

/* Well-formed signatures that match nothing used in the tests. */
#define SIG_ZERO \
    "0000000000000000000000000000000000000000000000000000000000000000"
#define SIG_OTHER \
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

#define COUNT_OF(a)  (sizeof(a) / sizeof((a)[0]))

/* the scheme whose keys most tests prepare (verbatim HMAC-SHA256) */
#define NOVU_ROW  ws_scheme_get(WS_SCHEME_NOVU)


/* ---- bytes ------------------------------------------------------------ */

static inline ws_bytes_t ws_b(const void *data, size_t len)
{
    ws_bytes_t b;

    b.data = (const unsigned char *) data;
    b.len = len;
    return b;
}

static inline ws_bytes_t ws_s(const char *s)
{
    return ws_b(s, strlen(s));
}


/*
 * One request header.  H() is for string literals only: sizeof keeps
 * embedded NUL bytes in the value.
 */
typedef struct {
    const char  *name;
    const char  *value;
    size_t       len;
} hdr_t;

#define H(n, v)  { (n), (v), sizeof(v) - 1 }

static inline hdr_t hdr_str(const char *name, const char *value)
{
    hdr_t h;

    h.name = name;
    h.value = value;
    h.len = strlen(value);
    return h;
}


/* Writes bytes with C escapes for anything not printable ASCII. */
static inline void fprint_escaped(FILE *f, const void *data, size_t len)
{
    const unsigned char *p = (const unsigned char *) data;
    size_t i;

    fputc('"', f);
    for (i = 0; i < len; i++) {
        if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '"' && p[i] != '\\') {
            fputc(p[i], f);
        } else {
            fprintf(f, "\\x%02x", p[i]);
        }
    }
    fputc('"', f);
}


static inline const char *scheme_label(ws_scheme_e scheme)
{
    return ws_scheme_name(scheme);
}

static inline const char *result_label(ws_result_e r)
{
    switch (r) {
    case WS_RESULT_NONE:      return "NONE";
    case WS_RESULT_OK:        return "OK";
    case WS_RESULT_MISSING:   return "MISSING";
    case WS_RESULT_MALFORMED: return "MALFORMED";
    case WS_RESULT_STALE:     return "STALE";
    case WS_RESULT_MISMATCH:  return "MISMATCH";
    case WS_RESULT_NO_SECRET: return "NO_SECRET";
    case WS_RESULT_ERROR:     return "ERROR";
    case WS_RESULT_REPLAY:    return "REPLAY";
    case WS_RESULT_INFLIGHT:  return "INFLIGHT";
    case WS_RESULT_ZONE_FULL: return "ZONE_FULL";
    }
    return "?";
}


/* Fails the test, naming both results, when they differ. */
#define assert_result(actual, expected)                                     \
    do {                                                                    \
        ws_result_e a_ = (actual), e_ = (expected);                         \
        if (a_ != e_) {                                                     \
            print_error("%s:%d: result %s, expected %s\n", __FILE__,        \
                        __LINE__, result_label(a_), result_label(e_));      \
            fail();                                                         \
        }                                                                   \
    } while (0)

#define assert_scheme(actual, expected)                                     \
    do {                                                                    \
        ws_scheme_e a_ = (actual), e_ = (expected);                         \
        if (a_ != e_) {                                                     \
            print_error("%s:%d: scheme %s, expected %s\n", __FILE__,        \
                        __LINE__, scheme_label(a_), scheme_label(e_));      \
            fail();                                                         \
        }                                                                   \
    } while (0)


/* ---- driving a check ---------------------------------------------------- */

static inline void add_headers(ws_check_t *check, const hdr_t *hdrs, size_t n)
{
    size_t i;

    for (i = 0; i < n && hdrs[i].name != NULL; i++) {
        ws_check_add_header(check, ws_s(hdrs[i].name),
                            ws_b(hdrs[i].value, hdrs[i].len));
    }
}

static inline ws_check_t *new_check(ws_scheme_e scheme, const hdr_t *hdrs,
    size_t n)
{
    ws_check_t *check = ws_check_create(ws_scheme_get(scheme));

    assert_non_null(check);
    add_headers(check, hdrs, n);
    return check;
}

/*
 * Secrets as C strings (no NUL inside); up to 8.  Writes into out[].
 */
static inline size_t secrets_of(const char *const *secrets, size_t n,
    ws_bytes_t *out)
{
    size_t i;

    assert_true(n <= 8);
    for (i = 0; i < n; i++) {
        out[i] = ws_s(secrets[i]);
    }
    return n;
}

/*
 * Runs begin, one update with the whole body (none if the body is empty)
 * and finish on a check whose headers were judged OK.  Returns the first
 * result that is not OK, else finish's result.
 */
static inline ws_result_e body_phase(ws_check_t *check,
    const ws_bytes_t *secrets, size_t nsecrets, const void *body, size_t len)
{
    ws_result_e r = ws_check_begin(check, secrets, nsecrets);

    if (r != WS_RESULT_OK) {
        return r;
    }
    if (len > 0) {
        r = ws_check_update(check, body, len);
        if (r != WS_RESULT_OK) {
            return r;
        }
    }
    return ws_check_finish(check);
}

/*
 * The whole life of a check as the glue drives it: headers, then (only if
 * they are OK) begin/update/finish.  Returns the one result reported;
 * *key_index (if not NULL) gets ws_check_key_index() and *scheme (if not
 * NULL) ws_check_scheme() at the end.
 */
typedef struct {
    ws_result_e  result;
    ws_result_e  headers_result;
    ws_scheme_e  scheme;
    size_t       key_index;
} run_t;

static inline run_t run_check(ws_scheme_e scheme, const hdr_t *hdrs,
    size_t nhdrs, int64_t now_ms, int64_t tolerance_ms,
    const char *const *secrets, size_t nsecrets, const void *body, size_t len)
{
    run_t       run;
    ws_bytes_t  keys[8];
    ws_check_t *check = new_check(scheme, hdrs, nhdrs);

    secrets_of(secrets, nsecrets, keys);

    run.headers_result = ws_check_headers(check, now_ms, tolerance_ms);
    run.result = run.headers_result;
    if (run.result == WS_RESULT_OK) {
        run.result = body_phase(check, nsecrets ? keys : NULL, nsecrets,
                                body, len);
    }
    run.scheme = ws_check_scheme(check);
    run.key_index = ws_check_key_index(check);
    ws_check_destroy(check);
    return run;
}

/* run_check with the common defaults: NOW_MS, 5m, secret "secret". */
static inline run_t run_default(ws_scheme_e scheme, const hdr_t *hdrs,
    size_t nhdrs, const void *body, size_t len)
{
    static const char *const one[] = { SECRET };

    return run_check(scheme, hdrs, nhdrs, NOW_MS, TOL_5M, one, 1, body, len);
}


/*
 * A table of header sets and the one result each must end with (the full
 * run, with secret "secret" and body {"a":1}, so a header set that parses
 * with SIG_A1 ends OK).  Every case runs; each failure is printed with its
 * label and headers, then the test fails once at the end.
 */
typedef struct {
    const char   *label;
    ws_scheme_e   scheme;
    hdr_t         h[4];      /* up to 4 headers, terminated by name NULL */
    ws_result_e   expect;
} hdr_case_t;

static inline size_t run_header_cases(const hdr_case_t *cases, size_t n)
{
    size_t i, j, failures = 0;

    for (i = 0; i < n; i++) {
        const hdr_case_t *c = &cases[i];
        run_t run = run_default(c->scheme, c->h, COUNT_OF(c->h), BODY_A1,
                                sizeof(BODY_A1) - 1);

        if (run.result == c->expect) {
            continue;
        }
        failures++;
        fprintf(stderr, "FAILED CASE [%s] scheme %s:", c->label,
                scheme_label(c->scheme));
        for (j = 0; j < COUNT_OF(c->h) && c->h[j].name != NULL; j++) {
            fprintf(stderr, " %s: ", c->h[j].name);
            fprint_escaped(stderr, c->h[j].value, c->h[j].len);
            fprintf(stderr, ";");
        }
        fprintf(stderr, " -> %s, expected %s\n", result_label(run.result),
                result_label(c->expect));
    }
    return failures;
}

#define RUN_CASES(cases)                                                    \
    do {                                                                    \
        size_t f_ = run_header_cases((cases), COUNT_OF(cases));             \
        if (f_ != 0) {                                                      \
            print_error("%zu of %zu cases failed (listed above)\n", f_,     \
                        COUNT_OF(cases));                                   \
            fail();                                                         \
        }                                                                   \
    } while (0)


/* ---- independent reference MAC ----------------------------------------- */

/*
 * Lowercase hex of HMAC-SHA256(key, t "." body), computed by OpenSSL's
 * one-shot HMAC() over one contiguous buffer.  out must hold 65 bytes.
 */
static inline void ref_sig(const void *key, size_t keylen, const char *t,
    const void *body, size_t len, char *out)
{
    static const char    hex[] = "0123456789abcdef";
    unsigned char        mac[EVP_MAX_MD_SIZE];
    unsigned int         maclen = 0;
    size_t               tlen = strlen(t), i;
    unsigned char       *msg = malloc(tlen + 1 + len + 1);

    assert_non_null(msg);
    memcpy(msg, t, tlen);
    msg[tlen] = '.';
    if (len > 0) {
        memcpy(msg + tlen + 1, body, len);
    }
    assert_non_null(HMAC(EVP_sha256(), key, (int) keylen, msg,
                         tlen + 1 + len, mac, &maclen));
    free(msg);
    assert_int_equal(maclen, 32);
    for (i = 0; i < 32; i++) {
        out[2 * i] = hex[mac[i] >> 4];
        out[2 * i + 1] = hex[mac[i] & 0xf];
    }
    out[64] = '\0';
}


/* ---- seeded PRNG (xorshift64*) ------------------------------------------ */

typedef struct {
    uint64_t s;
} prng_t;

static inline uint64_t prng_next(prng_t *r)
{
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return r->s * UINT64_C(2685821657736338717);
}

/* Uniform-enough integer in [0, bound]; bound < 2^32. */
static inline size_t prng_upto(prng_t *r, size_t bound)
{
    return (size_t) (prng_next(r) % ((uint64_t) bound + 1));
}

static inline void prng_fill(prng_t *r, unsigned char *buf, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++) {
        buf[i] = (unsigned char) (prng_next(r) >> 56);
    }
}

/*
 * ws_check_begin_secrets() from the parallel arrays the tests keep:
 * keys[i] (may be NULL) with secrets[i].
 */
static inline ws_result_e begin_keyed(ws_check_t *check,
    const ws_bytes_t *secrets, ws_key_t *const *keys, size_t n)
{
    ws_secret_t prepared[16];
    size_t      i;

    assert_true(n <= sizeof(prepared) / sizeof(prepared[0]));
    for (i = 0; i < n; i++) {
        prepared[i].value = secrets[i];
        prepared[i].key = keys != NULL ? keys[i] : NULL;
    }
    return ws_check_begin_secrets(check, prepared, n);
}

#endif /* WS_TEST_HELPERS_H */
