/* SPDX-License-Identifier: BSD-2-Clause */

/*
 * The MAC: known-answer vectors from the openssl command line, what an empty
 * body is signed as, several v1 values, uppercase hex, secret rotation and
 * ws_check_key_index(), no_secret, and chunked feeding == one-shot feeding.
 *
 * Sources: SPEC.md "The schemes" (HMAC-SHA256(secret, "<t>.<raw body>"),
 * secrets verbatim, novu empty body signed as "{}", notifykit empty body
 * signed as empty, any v1 may match); DESIGN-NOTES.md (no_secret decided
 * before the body, by ws_check_begin).
 */

#include "helpers.h"

#define NS   "Novu-Signature"
#define XWS  "X-Webhook-Signature"
#define XWT  "X-Webhook-Timestamp"

#define LIT(s)  (s), (sizeof(s) - 1)

#define WHSEC   "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


/* ---- known-answer vectors ----------------------------------------------- */

typedef struct {
    const char   *label;
    ws_scheme_e   scheme;
    const char   *t;
    const char   *secret;
    size_t        secret_len;
    const char   *body;
    size_t        body_len;
    int64_t       tolerance_ms;
    const char   *sig;          /* pasted from the command in the comment */
} vector_t;

static const vector_t vectors[] = {
    /* printf '%s' '1746561234.{"a":1}' | openssl dgst -sha256 -hmac 'secret' */
    { "novu, seconds", WS_SCHEME_NOVU, "1746561234", LIT("secret"),
      LIT("{\"a\":1}"), TOL_5M,
      "26b35d49c3437dfcd545ea1a2aee3503655cb3893974a664063a1c2648bb40ff" },

    /* printf '%s' '1746561234567.{"type":"message.sent","id":"abc"}' | openssl dgst -sha256 -hmac 'nv_test_key' */
    { "novu, milliseconds", WS_SCHEME_NOVU, "1746561234567",
      LIT("nv_test_key"), LIT("{\"type\":\"message.sent\",\"id\":\"abc\"}"),
      TOL_5M,
      "8c0de161f39b7395eb7877a0c8e7d96c8a83a03e6924e3d74b5ce93ba7363f66" },

    /* novu GET, no body, signed as {}:
     * printf '%s' '1746561234567.{}' | openssl dgst -sha256 -hmac 'nv_test_key' */
    { "novu, empty body signed as {}", WS_SCHEME_NOVU, "1746561234567",
      LIT("nv_test_key"), LIT(""), TOL_5M,
      "d10ff7502ced320062f8d0afa1360dc69dc8d1bdc8e0e304640f28b6793ebd07" },

    /* a body that is literally {} verifies the same way:
     * printf '%s' '1746561234567.{}' | openssl dgst -sha256 -hmac 'nv_test_key' */
    { "novu, body {}", WS_SCHEME_NOVU, "1746561234567",
      LIT("nv_test_key"), LIT("{}"), TOL_5M,
      "d10ff7502ced320062f8d0afa1360dc69dc8d1bdc8e0e304640f28b6793ebd07" },

    /* the whsec_ prefix is part of the key:
     * printf '%s' '1746561234.{"event":"email.delivered"}' | openssl dgst -sha256 -hmac 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' */
    { "notifykit, whsec_ secret verbatim", WS_SCHEME_NOTIFYKIT, "1746561234",
      LIT(WHSEC), LIT("{\"event\":\"email.delivered\"}"), TOL_5M,
      "5200ff8d67202cb1d25b40192236dac180ee0fb1a7a7ded7ef917de1a30af1d0" },

    /* notifykit empty body, signed as empty (not {}):
     * printf '%s' '1746561234.' | openssl dgst -sha256 -hmac 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' */
    { "notifykit, empty body signed as empty", WS_SCHEME_NOTIFYKIT,
      "1746561234", LIT(WHSEC), LIT(""), TOL_5M,
      "b6960c17e13670b1bbe09df60997f90624adad8fded6325556c173f72de86ac8" },

    /* printf '%s' '1746561234567.{"a":1}' | openssl dgst -sha256 -hmac 'secret' */
    { "notifykit, milliseconds", WS_SCHEME_NOTIFYKIT, "1746561234567",
      LIT("secret"), LIT("{\"a\":1}"), TOL_5M,
      "1b337bb96911b80547ec0cbc27dc1f7e7b86a205251303e4110e398f3d27d3a7" },

    /* body "caf\xc3\xa9 \x00 \xffend": UTF-8, a NUL byte, a lone 0xff:
     * printf '1746561234.caf\303\251 \000 \377end' | openssl dgst -sha256 -hmac 'secret' */
    { "novu, non-ASCII and NUL in body", WS_SCHEME_NOVU, "1746561234",
      LIT("secret"), LIT("caf\xc3\xa9 \x00 \xff" "end"), TOL_5M,
      "ad34371e8e3b60856d2284845110a8f80a19b36b13f11783e3bc27482a8f5cf4" },

    /* printf '1746561234.caf\303\251 \000 \377end' | openssl dgst -sha256 -hmac 'secret' */
    { "notifykit, non-ASCII and NUL in body", WS_SCHEME_NOTIFYKIT,
      "1746561234", LIT("secret"), LIT("caf\xc3\xa9 \x00 \xff" "end"), TOL_5M,
      "ad34371e8e3b60856d2284845110a8f80a19b36b13f11783e3bc27482a8f5cf4" },

    /* printf '1746561234567.caf\303\251 \000 \377end' | openssl dgst -sha256 -hmac 'secret' */
    { "novu ms, non-ASCII and NUL in body", WS_SCHEME_NOVU, "1746561234567",
      LIT("secret"), LIT("caf\xc3\xa9 \x00 \xff" "end"), TOL_5M,
      "18ad6c7ca2817e0381d760877a14389fb28908770cecab7e0b830296409b580c" },

    /* a NUL byte inside the secret, key bytes 73 65 00 63 72 65 74:
     * printf '%s' '1746561234.{"a":1}' | openssl dgst -sha256 -mac HMAC -macopt hexkey:73650063726574 */
    { "novu, NUL in secret", WS_SCHEME_NOVU, "1746561234",
      LIT("se\000cret"), LIT("{\"a\":1}"), TOL_5M,
      "7f6b981e48adc4068ab68ca3f1aadd19a276876375bb93faf9809479e5e45b98" },

    /* the 30-digit timestamp is signed as sent (tolerance off):
     * printf '%s' '123456789012345678901234567890.{"a":1}' | openssl dgst -sha256 -hmac 'secret' */
    { "novu, 30-digit timestamp, tolerance off", WS_SCHEME_NOVU,
      "123456789012345678901234567890", LIT("secret"), LIT("{\"a\":1}"),
      WS_TOLERANCE_OFF,
      "3c9a6a9de34d38d2a24ce6f78c4ada11e357ca03de7532c3306bf8c32df1c219" },
};


/* Builds the headers carrying signature value sigvalue for t. */
static size_t vector_headers(ws_scheme_e scheme, const char *t,
    const char *sigvalue, char *buf, size_t bufsize, hdr_t *hdrs)
{
    size_t n = 0;

    snprintf(buf, bufsize, "%s", sigvalue);
    if (scheme == WS_SCHEME_NOTIFYKIT) {
        hdrs[n++] = hdr_str(XWS, buf);
        hdrs[n++] = hdr_str(XWT, t);
    } else {
        hdrs[n++] = hdr_str(NS, buf);
    }
    return n;
}

/*
 * One full check: headers with signature value sigvalue, the given
 * secrets (bytes), the body fed in chunks of at most `chunk` bytes (0: one
 * update).  Returns the result; *key_index gets the index.
 */
static ws_result_e verify(ws_scheme_e scheme, const char *t,
    const char *sigvalue, int64_t tolerance_ms, const ws_bytes_t *secrets,
    size_t nsecrets, const void *body, size_t len, size_t chunk,
    size_t *key_index)
{
    char        buf[1024];
    hdr_t       hdrs[2];
    size_t      n = vector_headers(scheme, t, sigvalue, buf, sizeof(buf),
                                   hdrs);
    ws_check_t *check = new_check(scheme, hdrs, n);
    ws_result_e r;
    int64_t     now = strlen(t) >= 13 ? NOW_MS + 567 : NOW_MS;

    r = ws_check_headers(check, now, tolerance_ms);
    if (r == WS_RESULT_OK) {
        assert_int_equal(ws_check_key_index(check), 0);
        r = ws_check_begin(check, secrets, nsecrets);
    }
    if (r == WS_RESULT_OK) {
        const unsigned char *p = (const unsigned char *) body;
        size_t off = 0;

        while (off < len && r == WS_RESULT_OK) {
            size_t step = (chunk == 0 || len - off < chunk) ? len - off
                                                             : chunk;
            r = ws_check_update(check, p + off, step);
            off += step;
        }
        assert_int_equal(ws_check_key_index(check), 0);
        if (r == WS_RESULT_OK) {
            r = ws_check_finish(check);
        }
    }
    if (key_index != NULL) {
        *key_index = ws_check_key_index(check);
    }
    ws_check_destroy(check);
    return r;
}

static ws_result_e verify1(const vector_t *v, const char *sigvalue,
    const void *secret, size_t secret_len, const void *body, size_t len,
    size_t chunk, size_t *key_index)
{
    ws_bytes_t key = ws_b(secret, secret_len);

    return verify(v->scheme, v->t, sigvalue, v->tolerance_ms, &key, 1,
                  body, len, chunk, key_index);
}

#define VFAIL(v, ...)                                                       \
    do {                                                                    \
        fprintf(stderr, "FAILED VECTOR [%s]: ", (v)->label);                \
        fprintf(stderr, __VA_ARGS__);                                       \
        fprintf(stderr, "\n");                                              \
        failures++;                                                         \
    } while (0)

static void test_known_answer_vectors(void **state)
{
    size_t i, failures = 0;

    (void) state;

    for (i = 0; i < COUNT_OF(vectors); i++) {
        const vector_t *v = &vectors[i];
        char            sigvalue[256], upper[65], ref[65], badkey[64];
        unsigned char   flipped[256];
        size_t          k, idx = 99;
        ws_result_e     r;

        /* the test's own reference agrees with the openssl command line */
        ref_sig(v->secret, v->secret_len, v->t,
                v->body_len == 0 && v->scheme == WS_SCHEME_NOVU ? "{}"
                                                                : v->body,
                v->body_len == 0 && v->scheme == WS_SCHEME_NOVU ? 2
                                                                : v->body_len,
                ref);
        assert_string_equal(ref, v->sig);

        snprintf(sigvalue, sizeof(sigvalue), "t=%s,v1=%s", v->t, v->sig);

        /* the right secret verifies, key 1 */
        r = verify1(v, sigvalue, v->secret, v->secret_len, v->body,
                    v->body_len, 0, &idx);
        if (r != WS_RESULT_OK || idx != 1) {
            VFAIL(v, "right secret -> %s, key %zu", result_label(r), idx);
        }

        /* the same, one byte at a time */
        r = verify1(v, sigvalue, v->secret, v->secret_len, v->body,
                    v->body_len, 1, &idx);
        if (r != WS_RESULT_OK || idx != 1) {
            VFAIL(v, "byte by byte -> %s, key %zu", result_label(r), idx);
        }

        /* uppercase hex */
        for (k = 0; k < 64; k++) {
            upper[k] = (v->sig[k] >= 'a' && v->sig[k] <= 'f')
                       ? (char) (v->sig[k] - 'a' + 'A') : v->sig[k];
        }
        upper[64] = '\0';
        snprintf(sigvalue, sizeof(sigvalue), "t=%s,v1=%s", v->t, upper);
        r = verify1(v, sigvalue, v->secret, v->secret_len, v->body,
                    v->body_len, 0, &idx);
        if (r != WS_RESULT_OK || idx != 1) {
            VFAIL(v, "uppercase hex -> %s, key %zu", result_label(r), idx);
        }
        snprintf(sigvalue, sizeof(sigvalue), "t=%s,v1=%s", v->t, v->sig);

        /* a wrong secret: one more byte */
        assert_true(v->secret_len + 1 < sizeof(badkey));
        memcpy(badkey, v->secret, v->secret_len);
        badkey[v->secret_len] = 'x';
        r = verify1(v, sigvalue, badkey, v->secret_len + 1, v->body,
                    v->body_len, 0, &idx);
        if (r != WS_RESULT_MISMATCH || idx != 0) {
            VFAIL(v, "wrong secret -> %s, key %zu", result_label(r), idx);
        }

        /* a wrong secret: one byte less */
        r = verify1(v, sigvalue, v->secret, v->secret_len - 1, v->body,
                    v->body_len, 0, &idx);
        if (r != WS_RESULT_MISMATCH || idx != 0) {
            VFAIL(v, "truncated secret -> %s, key %zu", result_label(r), idx);
        }

        /* every body byte flipped in turn (or one byte added to empty) */
        assert_true(v->body_len < sizeof(flipped));
        if (v->body_len == 0) {
            flipped[0] = 'x';
            r = verify1(v, sigvalue, v->secret, v->secret_len, flipped, 1, 0,
                        &idx);
            if (r != WS_RESULT_MISMATCH || idx != 0) {
                VFAIL(v, "body \"x\" -> %s", result_label(r));
            }
        }
        for (k = 0; k < v->body_len; k++) {
            memcpy(flipped, v->body, v->body_len);
            flipped[k] ^= 0x01;
            r = verify1(v, sigvalue, v->secret, v->secret_len, flipped,
                        v->body_len, 0, &idx);
            if (r != WS_RESULT_MISMATCH || idx != 0) {
                VFAIL(v, "body byte %zu flipped -> %s", k, result_label(r));
            }
        }

        /* the body with one byte more or less */
        if (v->body_len > 0) {
            r = verify1(v, sigvalue, v->secret, v->secret_len, v->body,
                        v->body_len - 1, 0, &idx);
            if (r != WS_RESULT_MISMATCH) {
                VFAIL(v, "body short by one -> %s", result_label(r));
            }
            memcpy(flipped, v->body, v->body_len);
            flipped[v->body_len] = '\n';
            r = verify1(v, sigvalue, v->secret, v->secret_len, flipped,
                        v->body_len + 1, 0, &idx);
            if (r != WS_RESULT_MISMATCH) {
                VFAIL(v, "body with a trailing LF -> %s", result_label(r));
            }
        }

        /* one bit of the signature flipped */
        {
            char bad[65];

            memcpy(bad, v->sig, 65);
            bad[63] = bad[63] == '0' ? '1' : '0';
            snprintf(sigvalue, sizeof(sigvalue), "t=%s,v1=%s", v->t, bad);
            r = verify1(v, sigvalue, v->secret, v->secret_len, v->body,
                        v->body_len, 0, &idx);
            if (r != WS_RESULT_MISMATCH || idx != 0) {
                VFAIL(v, "signature changed -> %s", result_label(r));
            }
        }
    }

    if (failures != 0) {
        print_error("%zu vector checks failed (listed above)\n", failures);
        fail();
    }
}


/* ---- empty bodies ------------------------------------------------------- */

static void test_novu_empty_body_is_not_signed_as_empty(void **state)
{
    /* printf '%s' '1746561234.' | openssl dgst -sha256 -hmac 'secret' */
    const char *empty_sig =
        "23f5a87ab5abcf0bf864f43ff17bcf7e9c09c0414eba4b74230393274b788585";
    /* printf '%s' '1746561234.{}' | openssl dgst -sha256 -hmac 'secret' */
    const char *braces_sig =
        "3472b53e9b440d78808030da95fed08c6fad506a03f0d132d7d1fc486d25a212";
    ws_bytes_t key = ws_s("secret");
    char sigvalue[128];

    (void) state;

    /* under novu, a signature of "<t>." does not verify an empty body */
    snprintf(sigvalue, sizeof(sigvalue), "t=" TS ",v1=%s", empty_sig);
    assert_result(verify(WS_SCHEME_NOVU, TS, sigvalue, TOL_5M, &key, 1, "",
                         0, 0, NULL), WS_RESULT_MISMATCH);

    /* "<t>.{}" does, whether the body is empty or "{}" */
    snprintf(sigvalue, sizeof(sigvalue), "t=" TS ",v1=%s", braces_sig);
    assert_result(verify(WS_SCHEME_NOVU, TS, sigvalue, TOL_5M, &key, 1, "",
                         0, 0, NULL), WS_RESULT_OK);
    assert_result(verify(WS_SCHEME_NOVU, TS, sigvalue, TOL_5M, &key, 1, "{}",
                         2, 0, NULL), WS_RESULT_OK);
    assert_result(verify(WS_SCHEME_NOVU, TS, sigvalue, TOL_5M, &key, 1, "{}",
                         2, 1, NULL), WS_RESULT_OK);
    /* "{" alone is not empty: not completed to "{}" */
    assert_result(verify(WS_SCHEME_NOVU, TS, sigvalue, TOL_5M, &key, 1, "{",
                         1, 0, NULL), WS_RESULT_MISMATCH);
    assert_result(verify(WS_SCHEME_NOVU, TS, sigvalue, TOL_5M, &key, 1,
                         "{} ", 3, 0, NULL), WS_RESULT_MISMATCH);
}

static void test_notifykit_empty_body_is_signed_as_empty(void **state)
{
    /* printf '%s' '1746561234.{}' | openssl dgst -sha256 -hmac 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' */
    const char *braces_sig =
        "ff3ddcb636364977ee6fc3e5bce1380ff9f4ae572f4c0080794d04ed65333e4d";
    /* printf '%s' '1746561234.' | openssl dgst -sha256 -hmac 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' */
    const char *empty_sig =
        "b6960c17e13670b1bbe09df60997f90624adad8fded6325556c173f72de86ac8";
    ws_bytes_t key = ws_s(WHSEC);
    char sigvalue[128];

    (void) state;

    /* an empty body is not verified as {} under notifykit */
    snprintf(sigvalue, sizeof(sigvalue), "t=" TS ",v1=%s", braces_sig);
    assert_result(verify(WS_SCHEME_NOTIFYKIT, TS, sigvalue, TOL_5M, &key, 1,
                         "", 0, 0, NULL), WS_RESULT_MISMATCH);
    /* ... while a body that is {} is */
    assert_result(verify(WS_SCHEME_NOTIFYKIT, TS, sigvalue, TOL_5M, &key, 1,
                         "{}", 2, 0, NULL), WS_RESULT_OK);

    /* "<t>." verifies the empty body and nothing else */
    snprintf(sigvalue, sizeof(sigvalue), "t=" TS ",v1=%s", empty_sig);
    assert_result(verify(WS_SCHEME_NOTIFYKIT, TS, sigvalue, TOL_5M, &key, 1,
                         "", 0, 0, NULL), WS_RESULT_OK);
    assert_result(verify(WS_SCHEME_NOTIFYKIT, TS, sigvalue, TOL_5M, &key, 1,
                         "{}", 2, 0, NULL), WS_RESULT_MISMATCH);
}

static void test_empty_body_with_zero_length_updates(void **state)
{
    /* printf '%s' '1746561234.{}' | openssl dgst -sha256 -hmac 'secret' */
    const char *novu_sig = "t=" TS ",v1="
        "3472b53e9b440d78808030da95fed08c6fad506a03f0d132d7d1fc486d25a212";
    /* printf '%s' '1746561234.' | openssl dgst -sha256 -hmac 'secret' */
    const char *nk_sig = "t=" TS ",v1="
        "23f5a87ab5abcf0bf864f43ff17bcf7e9c09c0414eba4b74230393274b788585";
    ws_bytes_t key = ws_s("secret");
    static const char nothing[1] = { 0 };
    const hdr_t novu_hdrs[] = { hdr_str(NS, novu_sig) };
    const hdr_t nk_hdrs[] = { hdr_str(XWS, nk_sig), hdr_str(XWT, TS) };
    ws_check_t *check;
    int i;

    (void) state;

    /* empty chunks are still an empty body */
    check = new_check(WS_SCHEME_NOVU, novu_hdrs, COUNT_OF(novu_hdrs));
    assert_result(ws_check_headers(check, NOW_MS, TOL_5M), WS_RESULT_OK);
    assert_result(ws_check_begin(check, &key, 1), WS_RESULT_OK);
    for (i = 0; i < 3; i++) {
        assert_result(ws_check_update(check, nothing, 0), WS_RESULT_OK);
    }
    assert_result(ws_check_finish(check), WS_RESULT_OK);
    assert_int_equal(ws_check_key_index(check), 1);
    ws_check_destroy(check);

    check = new_check(WS_SCHEME_NOTIFYKIT, nk_hdrs, COUNT_OF(nk_hdrs));
    assert_result(ws_check_headers(check, NOW_MS, TOL_5M), WS_RESULT_OK);
    assert_result(ws_check_begin(check, &key, 1), WS_RESULT_OK);
    for (i = 0; i < 3; i++) {
        assert_result(ws_check_update(check, nothing, 0), WS_RESULT_OK);
    }
    assert_result(ws_check_finish(check), WS_RESULT_OK);
    ws_check_destroy(check);
}

static void test_secret_not_decoded(void **state)
{
    /* printf '%s' '1746561234.{"event":"email.delivered"}' | openssl dgst -sha256 -hmac 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' */
    const char *sigvalue = "t=" TS ",v1="
        "5200ff8d67202cb1d25b40192236dac180ee0fb1a7a7ded7ef917de1a30af1d0";
    const char *body = "{\"event\":\"email.delivered\"}";
    ws_bytes_t stripped = ws_s("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
    ws_bytes_t whole = ws_s(WHSEC);
    ws_bytes_t cut_at_nul = ws_s("se");

    (void) state;

    /* the key without its prefix is another key */
    assert_result(verify(WS_SCHEME_NOTIFYKIT, TS, sigvalue, TOL_5M,
                         &stripped, 1, body, strlen(body), 0, NULL),
                  WS_RESULT_MISMATCH);
    assert_result(verify(WS_SCHEME_NOTIFYKIT, TS, sigvalue, TOL_5M, &whole,
                         1, body, strlen(body), 0, NULL), WS_RESULT_OK);
    /* and the same key verifies under novu, which signs the same string */
    assert_result(verify(WS_SCHEME_NOVU, TS, sigvalue, TOL_5M, &whole, 1,
                         body, strlen(body), 0, NULL), WS_RESULT_OK);

    /* a secret with a NUL byte is not cut at it (vector "NUL in secret") */
    assert_result(verify(WS_SCHEME_NOVU, TS, "t=" TS ",v1="
                         "7f6b981e48adc4068ab68ca3f1aadd19a276876375bb93faf9809479e5e45b98",
                         TOL_5M, &cut_at_nul, 1, BODY_A1, 7, 0, NULL),
                  WS_RESULT_MISMATCH);
}


/* ---- several v1 ----------------------------------------------------------- */

static void test_several_v1(void **state)
{
    static const hdr_case_t cases[] = {
        { "match first", WS_SCHEME_NOVU,
          { H(NS, "t=" TS ",v1=" SIG_A1 ",v1=" SIG_ZERO ",v1=" SIG_OTHER) },
          WS_RESULT_OK },
        { "match middle", WS_SCHEME_NOVU,
          { H(NS, "t=" TS ",v1=" SIG_ZERO ",v1=" SIG_A1 ",v1=" SIG_OTHER) },
          WS_RESULT_OK },
        { "match last", WS_SCHEME_NOVU,
          { H(NS, "t=" TS ",v1=" SIG_ZERO ",v1=" SIG_OTHER ",v1=" SIG_A1) },
          WS_RESULT_OK },
        { "match last of five, t last", WS_SCHEME_NOVU,
          { H(NS, "v1=" SIG_ZERO ",v1=" SIG_OTHER ",v1=" SIG_ZERO ",v1="
              SIG_OTHER ",v1=" SIG_A1 ",t=" TS) },
          WS_RESULT_OK },
        { "same match twice", WS_SCHEME_NOVU,
          { H(NS, "t=" TS ",v1=" SIG_A1 ",v1=" SIG_A1) }, WS_RESULT_OK },
        { "no match among three", WS_SCHEME_NOVU,
          { H(NS, "t=" TS ",v1=" SIG_ZERO ",v1=" SIG_OTHER ",v1="
              "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff") },
          WS_RESULT_MISMATCH },
        { "right MAC only under v0", WS_SCHEME_NOVU,
          { H(NS, "t=" TS ",v0=" SIG_A1 ",v1=" SIG_ZERO) },
          WS_RESULT_MISMATCH },
        { "right MAC only under v2", WS_SCHEME_NOVU,
          { H(NS, "t=" TS ",v2=" SIG_A1 ",v1=" SIG_ZERO) },
          WS_RESULT_MISMATCH },
        { "notifykit match middle", WS_SCHEME_NOTIFYKIT,
          { H(XWS, "t=" TS ",v1=" SIG_ZERO ",v1=" SIG_A1 ",v1=" SIG_OTHER),
            H(XWT, TS) },
          WS_RESULT_OK },
        { "notifykit match last", WS_SCHEME_NOTIFYKIT,
          { H(XWS, "t=" TS ",v1=" SIG_ZERO ",v1=" SIG_A1), H(XWT, TS) },
          WS_RESULT_OK },
        { "notifykit no match", WS_SCHEME_NOTIFYKIT,
          { H(XWS, "t=" TS ",v1=" SIG_ZERO ",v1=" SIG_OTHER), H(XWT, TS) },
          WS_RESULT_MISMATCH },
        { "uppercase among several", WS_SCHEME_NOVU,
          { H(NS, "t=" TS ",v1=" SIG_ZERO ",v1="
              "26B35D49C3437DFCD545EA1A2AEE3503655CB3893974A664063A1C2648BB40FF")
          }, WS_RESULT_OK },
    };

    (void) state;
    RUN_CASES(cases);
}


/* ---- rotation and ws_check_key_index -------------------------------------- */

/* printf '%s' '1746561234.{"a":1}' | openssl dgst -sha256 -hmac 'old-secret' */
#define SIG_OLD \
    "ad7c0aa2b11b0635785ca45daea0374a94fbdfa95ff4e64e9b3fa0f420b65299"
/* printf '%s' '1746561234.{"a":1}' | openssl dgst -sha256 -hmac 'new-secret' */
#define SIG_NEW \
    "9526082251d38f61dcca0cd6fdf967a44b3d714fc676653f20abe8651da3f31f"
/* printf '%s' '1746561234.{"a":1}' | openssl dgst -sha256 -hmac 'newest-secret' */
#define SIG_NEWEST \
    "1d8fe19909b00360d8f18dc13ba4cdeff2a72856fbe3e04b0d62bb681b130b62"

typedef struct {
    const char   *label;
    const char   *sig;
    size_t        nsecrets;
    const char   *secrets[5];
    ws_result_e   expect;
    size_t        key_index;
} rotation_t;

static void test_rotation(void **state)
{
    static const rotation_t cases[] = {
        { "two, 2nd verifies", SIG_NEW, 2, { "old-secret", "new-secret" },
          WS_RESULT_OK, 2 },
        { "two, 1st verifies", SIG_OLD, 2, { "old-secret", "new-secret" },
          WS_RESULT_OK, 1 },
        { "two, none verifies", SIG_A1, 2, { "old-secret", "new-secret" },
          WS_RESULT_MISMATCH, 0 },
        { "three, 3rd verifies", SIG_NEWEST, 3,
          { "old-secret", "new-secret", "newest-secret" }, WS_RESULT_OK, 3 },
        { "three, 2nd verifies", SIG_NEW, 3,
          { "old-secret", "new-secret", "newest-secret" }, WS_RESULT_OK, 2 },
        { "three, 1st verifies", SIG_OLD, 3,
          { "old-secret", "new-secret", "newest-secret" }, WS_RESULT_OK, 1 },
        { "three, none verifies", SIG_A1, 3,
          { "old-secret", "new-secret", "newest-secret" },
          WS_RESULT_MISMATCH, 0 },
        { "three, 3rd verifies, other order", SIG_OLD, 3,
          { "newest-secret", "new-secret", "old-secret" }, WS_RESULT_OK, 3 },
        /* more secrets than a check holds inline: its vectors move */
        { "five, 5th verifies", SIG_OLD, 5,
          { "s1", "s2", "s3", "s4", "old-secret" }, WS_RESULT_OK, 5 },
        { "five, 3rd verifies", SIG_NEW, 5,
          { "s1", "s2", "new-secret", "s4", "s5" }, WS_RESULT_OK, 3 },
        { "five, none verifies", SIG_A1, 5,
          { "s1", "s2", "s3", "s4", "s5" }, WS_RESULT_MISMATCH, 0 },
        { "one, verifies", SIG_NEWEST, 1, { "newest-secret" },
          WS_RESULT_OK, 1 },
        { "one, does not verify", SIG_NEWEST, 1, { "new-secret" },
          WS_RESULT_MISMATCH, 0 },
    };
    static const ws_scheme_e schemes[] = {
        WS_SCHEME_NOVU, WS_SCHEME_NOTIFYKIT, WS_SCHEME_AUTO
    };
    size_t i, s, failures = 0;

    (void) state;

    for (s = 0; s < COUNT_OF(schemes); s++) {
        for (i = 0; i < COUNT_OF(cases); i++) {
            const rotation_t *c = &cases[i];
            char   sigvalue[128];
            hdr_t  hdrs[2];
            size_t n = 0;
            run_t  run;

            snprintf(sigvalue, sizeof(sigvalue), "t=" TS ",v1=%s", c->sig);
            if (schemes[s] == WS_SCHEME_NOVU) {
                hdrs[n++] = hdr_str(NS, sigvalue);
            } else {
                /* auto with notifykit's headers resolves to notifykit */
                hdrs[n++] = hdr_str(XWS, sigvalue);
                hdrs[n++] = hdr_str(XWT, TS);
            }
            run = run_check(schemes[s], hdrs, n, NOW_MS, TOL_5M, c->secrets,
                            c->nsecrets, BODY_A1, 7);
            if (run.result != c->expect || run.key_index != c->key_index) {
                fprintf(stderr, "FAILED ROTATION [%s] %s: %s key %zu,"
                        " expected %s key %zu\n", c->label,
                        scheme_label(schemes[s]), result_label(run.result),
                        run.key_index, result_label(c->expect),
                        c->key_index);
                failures++;
            }
        }
    }
    if (failures != 0) {
        print_error("%zu rotation cases failed (listed above)\n", failures);
        fail();
    }
}


/* ---- no_secret ----------------------------------------------------------- */

static void test_no_secret(void **state)
{
    const hdr_t novu[] = { H(NS, "t=" TS ",v1=" SIG_A1) };
    const hdr_t nk[] = { H(XWS, "t=" TS ",v1=" SIG_A1), H(XWT, TS) };
    const ws_bytes_t none[1] = { { (const unsigned char *) "", 0 } };
    const ws_bytes_t empty_last[2] = {
        { (const unsigned char *) "secret", 6 },
        { (const unsigned char *) "", 0 }
    };
    const ws_bytes_t empty_first[2] = {
        { (const unsigned char *) "", 0 },
        { (const unsigned char *) "secret", 6 }
    };
    const ws_bytes_t empty_middle[3] = {
        { (const unsigned char *) "old-secret", 10 },
        { (const unsigned char *) "", 0 },
        { (const unsigned char *) "secret", 6 }
    };
    struct {
        const char        *label;
        const ws_bytes_t  *secrets;
        size_t             n;
    } cases[] = {
        { "no secret (NULL, 0)", NULL, 0 },
        { "no secret (array, 0)", empty_last, 0 },
        { "the only secret empty", none, 1 },
        { "empty secret after a good one", empty_last, 2 },
        { "empty secret before a good one", empty_first, 2 },
        { "empty secret in the middle", empty_middle, 3 },
    };
    size_t i, s;

    (void) state;

    for (s = 0; s < 2; s++) {
        for (i = 0; i < COUNT_OF(cases); i++) {
            ws_check_t *check = s == 0
                ? new_check(WS_SCHEME_NOVU, novu, COUNT_OF(novu))
                : new_check(WS_SCHEME_NOTIFYKIT, nk, COUNT_OF(nk));
            ws_result_e r;

            assert_result(ws_check_headers(check, NOW_MS, TOL_5M),
                          WS_RESULT_OK);
            /* decided by begin, before any body byte */
            r = ws_check_begin(check, cases[i].secrets, cases[i].n);
            if (r != WS_RESULT_NO_SECRET) {
                print_error("%s, %s: %s, expected NO_SECRET\n",
                            s == 0 ? "novu" : "notifykit", cases[i].label,
                            result_label(r));
                ws_check_destroy(check);
                fail();
            }
            assert_int_equal(ws_check_key_index(check), 0);
            ws_check_destroy(check);
        }
    }

    /* control: the same request with the good secret alone verifies */
    {
        ws_check_t *check = new_check(WS_SCHEME_NOVU, novu, COUNT_OF(novu));

        assert_result(ws_check_headers(check, NOW_MS, TOL_5M), WS_RESULT_OK);
        assert_result(body_phase(check, &empty_last[0], 1, BODY_A1, 7),
                      WS_RESULT_OK);
        ws_check_destroy(check);
    }
}


/* ---- chunked feeding == one-shot feeding ----------------------------------- */

typedef struct {
    ws_scheme_e  scheme;
    const char  *t;
    char         sigvalue[128];
    hdr_t        hdrs[2];
    size_t       nhdrs;
} chunk_req_t;

static void chunk_req_init(chunk_req_t *req, ws_scheme_e scheme,
    const char *t, const char *sig)
{
    req->scheme = scheme;
    req->t = t;
    req->nhdrs = 0;
    snprintf(req->sigvalue, sizeof(req->sigvalue), "t=%s,v1=%s", t, sig);
    if (scheme == WS_SCHEME_NOTIFYKIT) {
        req->hdrs[req->nhdrs++] = hdr_str(XWS, req->sigvalue);
        req->hdrs[req->nhdrs++] = hdr_str(XWT, t);
    } else {
        req->hdrs[req->nhdrs++] = hdr_str(NS, req->sigvalue);
    }
}

/*
 * Feeds body split at cuts[0..ncuts) (sorted, each in [0, len]; equal cuts
 * make zero-length chunks); ncuts == SIZE_MAX means no update at all.
 */
static ws_result_e chunk_run(const chunk_req_t *req, const ws_bytes_t *keys,
    size_t nkeys, const unsigned char *body, size_t len, const size_t *cuts,
    size_t ncuts, size_t *key_index)
{
    ws_check_t *check = new_check(req->scheme, req->hdrs, req->nhdrs);
    ws_result_e r;
    size_t      i, from = 0;
    int64_t     now = strlen(req->t) >= 13 ? NOW_MS + 567 : NOW_MS;

    r = ws_check_headers(check, now, TOL_5M);
    assert_result(r, WS_RESULT_OK);
    r = ws_check_begin(check, keys, nkeys);
    assert_result(r, WS_RESULT_OK);

    if (ncuts != SIZE_MAX) {
        for (i = 0; i <= ncuts && r == WS_RESULT_OK; i++) {
            size_t to = i < ncuts ? cuts[i] : len;

            r = ws_check_update(check, body + from, to - from);
            from = to;
        }
    }
    if (r == WS_RESULT_OK) {
        r = ws_check_finish(check);
    }
    *key_index = ws_check_key_index(check);
    ws_check_destroy(check);
    return r;
}

/* Random sorted cut points; some duplicated, some at 0 or len. */
static size_t random_cuts(prng_t *rng, size_t len, size_t *cuts, size_t max)
{
    size_t n = prng_upto(rng, max), i, j;

    for (i = 0; i < n; i++) {
        switch (prng_upto(rng, 7)) {
        case 0:  cuts[i] = 0; break;
        case 1:  cuts[i] = len; break;
        case 2:  cuts[i] = i > 0 ? cuts[i - 1] : 0; break;  /* duplicate */
        default: cuts[i] = prng_upto(rng, len); break;
        }
    }
    for (i = 1; i < n; i++) {                /* insertion sort */
        size_t v = cuts[i];

        for (j = i; j > 0 && cuts[j - 1] > v; j--) {
            cuts[j] = cuts[j - 1];
        }
        cuts[j] = v;
    }
    return n;
}

#define MAX_CUTS 64

static void test_chunked_equals_one_shot(void **state)
{
    static const size_t fixed_lengths[] = {
        0, 1, 2, 3, 31, 32, 33, 63, 64, 65, 127, 128, 129, 1000, 4095, 4096,
        4097, 65535, 65536, 65537, 100000
    };
    static const struct {
        ws_scheme_e  scheme;
        const char  *t;
    } requests[] = {
        { WS_SCHEME_NOVU, "1746561234567" },
        { WS_SCHEME_NOVU, TS },
        { WS_SCHEME_NOTIFYKIT, TS },
        { WS_SCHEME_NOTIFYKIT, "1746561234567" },
    };
    prng_t rng = { UINT64_C(0x9e3779b97f4a7c15) };
    size_t nlengths = COUNT_OF(fixed_lengths) + 4;
    size_t li, ri, iter, failures = 0, runs = 0;

    (void) state;

    for (li = 0; li < nlengths; li++) {
        size_t len = li < COUNT_OF(fixed_lengths)
                     ? fixed_lengths[li]
                     : 65536 + prng_upto(&rng, 100000);
        unsigned char *body = malloc(len + 1);
        unsigned char *flipped = malloc(len + 1);
        char secret[32], decoy[32];

        assert_non_null(body);
        assert_non_null(flipped);
        prng_fill(&rng, body, len);
        snprintf(secret, sizeof(secret), "chunk-secret-%zu", li);
        snprintf(decoy, sizeof(decoy), "decoy-secret-%zu", li);

        for (ri = 0; ri < COUNT_OF(requests); ri++) {
            const int       novu = requests[ri].scheme == WS_SCHEME_NOVU;
            char            expected[65];
            chunk_req_t     req;
            ws_bytes_t      right[1], wrong[1], rotated[2];
            size_t          cuts[MAX_CUTS], ncuts, idx, flip_at = 0;
            ws_result_e     one_shot, one_shot_wrong, one_shot_flipped, r;

            ref_sig(secret, strlen(secret), requests[ri].t,
                    len == 0 && novu ? (const void *) "{}" : body,
                    len == 0 && novu ? 2 : len, expected);
            chunk_req_init(&req, requests[ri].scheme, requests[ri].t,
                           expected);
            right[0] = ws_s(secret);
            wrong[0] = ws_s(decoy);
            rotated[0] = ws_s(decoy);
            rotated[1] = ws_s(secret);

            memcpy(flipped, body, len);
            if (len > 0) {
                flip_at = prng_upto(&rng, len - 1);
                flipped[flip_at] ^= (unsigned char) (1u << prng_upto(&rng, 7));
            }

            /* one shot: a single update (none for an empty body) */
            ncuts = 0;
            one_shot = chunk_run(&req, right, 1, body, len, cuts,
                                 len == 0 ? SIZE_MAX : 0, &idx);
            if (one_shot != WS_RESULT_OK || idx != 1) {
                fprintf(stderr, "FAILED %s t=%s len=%zu: one shot -> %s\n",
                        scheme_label(req.scheme), req.t, len,
                        result_label(one_shot));
                failures++;
            }
            one_shot_wrong = chunk_run(&req, wrong, 1, body, len, cuts, 0,
                                       &idx);
            if (one_shot_wrong != WS_RESULT_MISMATCH || idx != 0) {
                fprintf(stderr, "FAILED %s t=%s len=%zu: one shot, wrong"
                        " secret -> %s\n", scheme_label(req.scheme), req.t,
                        len, result_label(one_shot_wrong));
                failures++;
            }
            one_shot_flipped = WS_RESULT_MISMATCH;
            if (len > 0) {
                one_shot_flipped = chunk_run(&req, right, 1, flipped, len,
                                             cuts, 0, &idx);
                if (one_shot_flipped != WS_RESULT_MISMATCH) {
                    fprintf(stderr, "FAILED %s t=%s len=%zu: one shot, byte"
                            " %zu flipped -> %s\n", scheme_label(req.scheme),
                            req.t, len, flip_at,
                            result_label(one_shot_flipped));
                    failures++;
                }
            }

            for (iter = 0; iter < 12; iter++) {
                const unsigned char *data = body;
                const ws_bytes_t    *keys = right;
                size_t               nkeys = 1, want_idx = 1;
                ws_result_e          want = one_shot;
                const char          *what = "right secret";

                switch (iter % 4) {
                case 1:
                    keys = wrong;
                    want = one_shot_wrong;
                    want_idx = 0;
                    what = "wrong secret";
                    break;
                case 2:
                    if (len > 0) {
                        data = flipped;
                        want = one_shot_flipped;
                        want_idx = 0;
                        what = "flipped byte";
                    }
                    break;
                case 3:
                    keys = rotated;
                    nkeys = 2;
                    want_idx = 2;
                    what = "2nd of two secrets";
                    break;
                }

                ncuts = random_cuts(&rng, len, cuts,
                                    iter < 4 ? 3 : MAX_CUTS);
                r = chunk_run(&req, keys, nkeys, data, len, cuts, ncuts,
                              &idx);
                runs++;
                if (r != want || idx != want_idx) {
                    size_t k;

                    fprintf(stderr, "FAILED %s t=%s len=%zu (%s): %zu cuts"
                            " [", scheme_label(req.scheme), req.t, len, what,
                            ncuts);
                    for (k = 0; k < ncuts; k++) {
                        fprintf(stderr, "%s%zu", k ? " " : "", cuts[k]);
                    }
                    fprintf(stderr, "] -> %s key %zu, one shot %s key %zu\n",
                            result_label(r), idx, result_label(want),
                            want_idx);
                    failures++;
                }
            }

            /* byte by byte (every chunk one byte) for the smaller bodies
               and for one 64 KB+ body */
            if (len <= 4097 || len == 65537) {
                size_t      off;
                ws_check_t *check = new_check(req.scheme, req.hdrs,
                                              req.nhdrs);

                r = ws_check_headers(check, strlen(req.t) >= 13
                                            ? NOW_MS + 567 : NOW_MS, TOL_5M);
                assert_result(r, WS_RESULT_OK);
                assert_result(ws_check_begin(check, right, 1), WS_RESULT_OK);
                for (off = 0; off < len && r == WS_RESULT_OK; off++) {
                    r = ws_check_update(check, body + off, 1);
                }
                if (r == WS_RESULT_OK) {
                    r = ws_check_finish(check);
                }
                ws_check_destroy(check);
                runs++;
                if (r != WS_RESULT_OK) {
                    fprintf(stderr, "FAILED %s t=%s len=%zu: byte by byte"
                            " -> %s\n", scheme_label(req.scheme), req.t, len,
                            result_label(r));
                    failures++;
                }
            }
        }
        free(body);
        free(flipped);
    }

    if (failures != 0) {
        print_error("%zu of %zu chunked runs failed (listed above)\n",
                    failures, runs);
        fail();
    }
}


int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_answer_vectors),
        cmocka_unit_test(test_novu_empty_body_is_not_signed_as_empty),
        cmocka_unit_test(test_notifykit_empty_body_is_signed_as_empty),
        cmocka_unit_test(test_empty_body_with_zero_length_updates),
        cmocka_unit_test(test_secret_not_decoded),
        cmocka_unit_test(test_several_v1),
        cmocka_unit_test(test_rotation),
        cmocka_unit_test(test_no_secret),
        cmocka_unit_test(test_chunked_equals_one_shot),
    };

    return cmocka_run_group_tests_name("hmac", tests, NULL, NULL);
}
