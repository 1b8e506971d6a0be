/* SPDX-License-Identifier: BSD-2-Clause */

/*
 * The small API surface: result and scheme names, the default JSON error
 * bodies (DESIGN-NOTES.md, exactly), ws_check_destroy(NULL), creating a
 * check for each scheme, and the values a fresh check reports.
 */

#include "helpers.h"


static void test_result_names(void **state)
{
    (void) state;

    assert_string_equal(ws_result_name(WS_RESULT_OK), "ok");
    assert_string_equal(ws_result_name(WS_RESULT_MISSING), "missing");
    assert_string_equal(ws_result_name(WS_RESULT_MALFORMED), "malformed");
    assert_string_equal(ws_result_name(WS_RESULT_STALE), "stale");
    assert_string_equal(ws_result_name(WS_RESULT_MISMATCH), "mismatch");
    assert_string_equal(ws_result_name(WS_RESULT_NO_SECRET), "no_secret");
    assert_string_equal(ws_result_name(WS_RESULT_REPLAY), "replay");
    assert_string_equal(ws_result_name(WS_RESULT_INFLIGHT), "inflight");
    assert_string_equal(ws_result_name(WS_RESULT_ZONE_FULL), "zone_full");
}

static void test_scheme_names(void **state)
{
    (void) state;

    assert_string_equal(ws_scheme_name(WS_SCHEME_NOVU), "novu");
    assert_string_equal(ws_scheme_name(WS_SCHEME_NOTIFYKIT), "notifykit");
}


static void expect_body(ws_scheme_e scheme, ws_result_e result,
    const char *expected)
{
    const char *got = ws_error_body(scheme, result);

    if (got == NULL || strcmp(got, expected) != 0) {
        print_error("ws_error_body(%s, %s):\n  got      %s\n  expected %s\n",
                    scheme_label(scheme), result_label(result),
                    got != NULL ? got : "(NULL)", expected);
        fail();
    }
}

static void test_error_bodies_novu(void **state)
{
    (void) state;

    expect_body(WS_SCHEME_NOVU, WS_RESULT_MISSING,
        "{\"message\":\"Signature not found. Please provide a signature in"
        " the `novu-signature` header\",\"code\":\"SignatureNotFoundError\"}");
    expect_body(WS_SCHEME_NOVU, WS_RESULT_MALFORMED,
        "{\"message\":\"Signature is invalid. Please provide a valid signature"
        " in the `novu-signature` header\",\"code\":\"SignatureInvalidError\"}");
    expect_body(WS_SCHEME_NOVU, WS_RESULT_STALE,
        "{\"message\":\"Signature expired. Please provide a signature with a"
        " timestamp within the allowed tolerance in the `novu-signature`"
        " header\",\"code\":\"SignatureExpiredError\"}");
    expect_body(WS_SCHEME_NOVU, WS_RESULT_MISMATCH,
        "{\"message\":\"Signature does not match the expected signature."
        " Please ensure the signature provided in the `novu-signature` header"
        " is correct and try again.\",\"code\":\"SignatureMismatchError\"}");
    expect_body(WS_SCHEME_NOVU, WS_RESULT_NO_SECRET,
        "{\"message\":\"Signature key not found. Please configure a secret key"
        " for this endpoint\",\"code\":\"SigningKeyNotFoundError\"}");
}

static void test_error_bodies_notifykit(void **state)
{
    (void) state;

    expect_body(WS_SCHEME_NOTIFYKIT, WS_RESULT_MISSING,
                "{\"error\":\"Missing signature\"}");
    expect_body(WS_SCHEME_NOTIFYKIT, WS_RESULT_MALFORMED,
                "{\"error\":\"Malformed signature\"}");
    expect_body(WS_SCHEME_NOTIFYKIT, WS_RESULT_STALE,
                "{\"error\":\"Signature timestamp is outside the allowed"
                " tolerance\"}");
    expect_body(WS_SCHEME_NOTIFYKIT, WS_RESULT_MISMATCH,
                "{\"error\":\"Invalid signature\"}");
    expect_body(WS_SCHEME_NOTIFYKIT, WS_RESULT_NO_SECRET,
                "{\"error\":\"Signing secret is not configured\"}");
}

static void test_error_body_of_resolved_scheme(void **state)
{
    /* under auto with no header the body is novu's (reported as novu) */
    ws_check_t *check = ws_check_create(ws_scheme_get(WS_SCHEME_AUTO));
    ws_result_e r;

    (void) state;

    assert_non_null(check);
    r = ws_check_headers(check, NOW_MS, TOL_5M);
    assert_result(r, WS_RESULT_MISSING);
    assert_scheme(ws_check_scheme(check), WS_SCHEME_NOVU);
    assert_string_equal(ws_error_body(ws_check_scheme(check), r),
        "{\"message\":\"Signature not found. Please provide a signature in"
        " the `novu-signature` header\",\"code\":\"SignatureNotFoundError\"}");
    ws_check_destroy(check);
}

static void test_destroy_null(void **state)
{
    (void) state;

    ws_check_destroy(NULL);
    ws_check_destroy(NULL);
}

static void test_create_each_scheme(void **state)
{
    static const ws_scheme_e schemes[] = {
        WS_SCHEME_NOVU, WS_SCHEME_NOTIFYKIT, WS_SCHEME_AUTO
    };
    size_t i;

    (void) state;

    for (i = 0; i < COUNT_OF(schemes); i++) {
        ws_check_t *check = ws_check_create(ws_scheme_get(schemes[i]));

        assert_non_null(check);
        /* nothing parsed, nothing verified yet */
        assert_int_equal(ws_check_timestamp(check).len, 0);
        assert_int_equal(ws_check_key_index(check), 0);
        ws_check_destroy(check);
    }
}

/* The lengths of the names a scheme reads, for the glue to pass over the
 * other headers: exactly those names', fallbacks included. */
static void test_header_lengths(void **state)
{
    const char *error = NULL;
    ws_scheme_t *hmac;

    (void) state;

    /* novu-signature, x-novu-signature */
    assert_true(ws_scheme_header_lengths(ws_scheme_get(WS_SCHEME_NOVU))
                == ((UINT64_C(1) << 14) | (UINT64_C(1) << 16)));
    /* under auto, notifykit's x-webhook-signature and -timestamp too */
    assert_true(ws_scheme_header_lengths(ws_scheme_get(WS_SCHEME_AUTO))
                == ((UINT64_C(1) << 14) | (UINT64_C(1) << 16)
                    | (UINT64_C(1) << 19)));
    /* twilio reads its form's content-type */
    assert_true(ws_scheme_header_lengths(ws_scheme_get(WS_SCHEME_TWILIO))
                == ((UINT64_C(1) << 18) | (UINT64_C(1) << 12)));
    /* a name of 63 bytes or more sets bit 63 */
    hmac = ws_scheme_hmac_create(
        ws_s("x-a-very-long-signature-header-name-that-goes-on-and-on-and-on-"),
        ws_s(""), ws_s(""), ws_s(""), &error);
    assert_non_null(hmac);
    assert_true(ws_scheme_header_lengths(hmac) == (UINT64_C(1) << 63));
    ws_scheme_hmac_destroy(hmac);

    assert_true(ws_scheme_header_lengths(NULL) == 0);
}

/* Their first bytes: one bit per byte, the same for either case, so that
 * a header of a watched length that begins otherwise (content-length, as
 * long as novu-signature) is passed over, and one sent in capitals is
 * not. */
static uint64_t initial(char c)
{
    return UINT64_C(1) << ((c | 0x20) & 63);
}

static void test_header_initials(void **state)
{
    uint64_t novu = ws_scheme_header_initials(ws_scheme_get(WS_SCHEME_NOVU));

    (void) state;

    /* novu-signature, x-novu-signature */
    assert_true(novu == (initial('n') | initial('x')));
    assert_true((novu & initial('N')) && (novu & initial('X')));
    assert_false(novu & initial('c'));
    /* standard_webhooks: webhook-signature, -timestamp, -id */
    assert_true(ws_scheme_header_initials(
                    ws_scheme_get(WS_SCHEME_STANDARD_WEBHOOKS))
                == initial('w'));
    /* twilio: x-twilio-signature and content-type */
    assert_true(ws_scheme_header_initials(ws_scheme_get(WS_SCHEME_TWILIO))
                == (initial('x') | initial('c')));
    assert_true(ws_scheme_header_initials(NULL) == 0);
}

/*
 * The pieces of a template before the body are joined into one update
 * where they fit (128 bytes) and fed one by one where they do not: a
 * Standard Webhooks delivery id of any length around that room verifies
 * against OpenSSL's one-shot HMAC over "id.ts.body", and does not with
 * one byte of the id changed.
 */
static void sign_standard_webhooks(const char *id, const char *ts,
    const char *body, const unsigned char *key, size_t keylen, char *header)
{
    unsigned char  mac[EVP_MAX_MD_SIZE];
    unsigned int   maclen = 0;
    size_t         idlen = strlen(id), tslen = strlen(ts), len = strlen(body);
    unsigned char *msg = malloc(idlen + tslen + len + 2);

    assert_non_null(msg);
    memcpy(msg, id, idlen);
    msg[idlen] = '.';
    memcpy(msg + idlen + 1, ts, tslen);
    msg[idlen + 1 + tslen] = '.';
    memcpy(msg + idlen + tslen + 2, body, len);
    assert_non_null(HMAC(EVP_sha256(), key, (int) keylen, msg,
                         idlen + tslen + len + 2, mac, &maclen));
    free(msg);
    memcpy(header, "v1,", 3);
    EVP_EncodeBlock((unsigned char *) header + 3, mac, (int) maclen);
}

static void test_long_pieces_before_the_body(void **state)
{
    static const unsigned char key[] = "a key of 24 bytes, say..";
    /* base64 of key */
    static const char *secret = "whsec_YSBrZXkgb2YgMjQgYnl0ZXMsIHNheS4u";
    static const size_t lengths[] = { 1, 115, 116, 117, 118, 127, 128,
                                      129, 300, 1000 };
    char   id[1001], header[64];
    size_t i;

    (void) state;

    for (i = 0; i < COUNT_OF(lengths); i++) {
        memset(id, 'm', lengths[i]);
        id[lengths[i]] = '\0';
        sign_standard_webhooks(id, TS, BODY_A1, key, sizeof(key) - 1,
                               header);
        {
            hdr_t hdrs[] = { hdr_str("webhook-id", id),
                             H("webhook-timestamp", TS),
                             hdr_str("webhook-signature", header) };
            run_t run = run_check(WS_SCHEME_STANDARD_WEBHOOKS, hdrs,
                                  COUNT_OF(hdrs), NOW_MS, TOL_5M, &secret, 1,
                                  BODY_A1, strlen(BODY_A1));
            assert_result(run.result, WS_RESULT_OK);

            id[lengths[i] / 2] = 'n';
            hdrs[0] = hdr_str("webhook-id", id);
            run = run_check(WS_SCHEME_STANDARD_WEBHOOKS, hdrs, COUNT_OF(hdrs),
                            NOW_MS, TOL_5M, &secret, 1, BODY_A1,
                            strlen(BODY_A1));
            assert_result(run.result, WS_RESULT_MISMATCH);
        }
    }
}

static void test_destroy_at_every_stage(void **state)
{
    /* a check may be dropped at any point (e.g. the client went away) */
    const hdr_t hdrs[] = { H("Novu-Signature", "t=" TS ",v1=" SIG_A1) };
    ws_bytes_t key = ws_s(SECRET);
    ws_check_t *check;

    (void) state;

    check = new_check(WS_SCHEME_NOVU, hdrs, COUNT_OF(hdrs));
    ws_check_destroy(check);

    check = new_check(WS_SCHEME_NOVU, hdrs, COUNT_OF(hdrs));
    assert_result(ws_check_headers(check, NOW_MS, TOL_5M), WS_RESULT_OK);
    ws_check_destroy(check);

    check = new_check(WS_SCHEME_NOVU, hdrs, COUNT_OF(hdrs));
    assert_result(ws_check_headers(check, NOW_MS, TOL_5M), WS_RESULT_OK);
    assert_result(ws_check_begin(check, &key, 1), WS_RESULT_OK);
    ws_check_destroy(check);

    check = new_check(WS_SCHEME_NOVU, hdrs, COUNT_OF(hdrs));
    assert_result(ws_check_headers(check, NOW_MS, TOL_5M), WS_RESULT_OK);
    assert_result(ws_check_begin(check, &key, 1), WS_RESULT_OK);
    assert_result(ws_check_update(check, "{\"a\"", 4), WS_RESULT_OK);
    ws_check_destroy(check);
}

static void test_checks_are_independent(void **state)
{
    /* two checks interleaved (no global state) */
    const hdr_t good[] = { H("Novu-Signature", "t=" TS ",v1=" SIG_A1) };
    const hdr_t bad[] = { H("Novu-Signature", "t=" TS ",v1=" SIG_ZERO) };
    ws_bytes_t key = ws_s(SECRET);
    ws_check_t *a = new_check(WS_SCHEME_NOVU, good, COUNT_OF(good));
    ws_check_t *b = new_check(WS_SCHEME_NOVU, bad, COUNT_OF(bad));

    (void) state;

    assert_result(ws_check_headers(a, NOW_MS, TOL_5M), WS_RESULT_OK);
    assert_result(ws_check_headers(b, NOW_MS, TOL_5M), WS_RESULT_OK);
    assert_result(ws_check_begin(b, &key, 1), WS_RESULT_OK);
    assert_result(ws_check_begin(a, &key, 1), WS_RESULT_OK);
    assert_result(ws_check_update(a, "{\"a\"", 4), WS_RESULT_OK);
    assert_result(ws_check_update(b, "{\"a\":1}", 7), WS_RESULT_OK);
    assert_result(ws_check_update(a, ":1}", 3), WS_RESULT_OK);
    assert_result(ws_check_finish(b), WS_RESULT_MISMATCH);
    assert_result(ws_check_finish(a), WS_RESULT_OK);
    assert_int_equal(ws_check_key_index(a), 1);
    assert_int_equal(ws_check_key_index(b), 0);
    ws_check_destroy(b);
    ws_check_destroy(a);
}


int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_result_names),
        cmocka_unit_test(test_scheme_names),
        cmocka_unit_test(test_error_bodies_novu),
        cmocka_unit_test(test_error_bodies_notifykit),
        cmocka_unit_test(test_error_body_of_resolved_scheme),
        cmocka_unit_test(test_destroy_null),
        cmocka_unit_test(test_create_each_scheme),
        cmocka_unit_test(test_header_lengths),
        cmocka_unit_test(test_header_initials),
        cmocka_unit_test(test_long_pieces_before_the_body),
        cmocka_unit_test(test_destroy_at_every_stage),
        cmocka_unit_test(test_checks_are_independent),
    };

    return cmocka_run_group_tests_name("api", tests, NULL, NULL);
}
