/* SPDX-License-Identifier: BSD-2-Clause */

/*
 * Pre-keyed secrets (ws_key_create, ws_check_begin_secrets): a secret keyed
 * once verifies exactly as the same secret keyed per check, over many
 * checks in a row, with checks that overlap, that are abandoned half-way,
 * and mixed with secrets keyed per check (rotation); and both agree with
 * OpenSSL's own HMAC() for keys shorter than, as long as and longer than
 * SHA-256's 64-byte block (hashed first, RFC 2104).
 */

#include "helpers.h"


static const hdr_t novu_a1[] = {
    H("Novu-Signature", "t=" TS ",v1=" SIG_A1),
};

static const hdr_t novu_other[] = {
    H("Novu-Signature", "t=" TS ",v1=" SIG_OTHER),
};


/* Runs one Novu check of body with the given secrets/keys to the end. */
static ws_result_e run_keyed(const hdr_t *hdrs, const char *body,
    const ws_bytes_t *secrets, ws_key_t *const *keys, size_t n,
    size_t *key_index)
{
    ws_result_e result;
    ws_check_t *check = new_check(WS_SCHEME_NOVU, hdrs, 1);

    assert_result(ws_check_headers(check, NOW_MS, TOL_5M), WS_RESULT_OK);
    result = begin_keyed(check, secrets, keys, n);
    if (result == WS_RESULT_OK) {
        result = ws_check_update(check, body, strlen(body));
    }
    if (result == WS_RESULT_OK) {
        result = ws_check_finish(check);
    }
    if (key_index != NULL) {
        *key_index = ws_check_key_index(check);
    }
    ws_check_destroy(check);
    return result;
}

static ws_result_e run_one_key(const hdr_t *hdrs, const char *body,
    ws_key_t *key)
{
    ws_bytes_t none = ws_b("", 0);

    return run_keyed(hdrs, body, &none, &key, 1, NULL);
}


static void test_create_rejects_empty_secret(void **state)
{
    (void) state;

    assert_null(ws_key_create(NOVU_ROW, ws_b("", 0), NULL));
    ws_key_destroy(NULL);
}

static void test_keyed_secret_verifies(void **state)
{
    ws_key_t *key = ws_key_create(NOVU_ROW, ws_s(SECRET), NULL);

    (void) state;
    assert_non_null(key);

    assert_result(run_one_key(novu_a1, BODY_A1, key), WS_RESULT_OK);
    assert_result(run_one_key(novu_other, BODY_A1, key), WS_RESULT_MISMATCH);
    assert_result(run_one_key(novu_a1, "{\"a\":2}", key), WS_RESULT_MISMATCH);

    ws_key_destroy(key);
}

static void test_wrong_keyed_secret_mismatches(void **state)
{
    ws_key_t *key = ws_key_create(NOVU_ROW, ws_s("not-the-secret"), NULL);

    (void) state;
    assert_non_null(key);
    assert_result(run_one_key(novu_a1, BODY_A1, key), WS_RESULT_MISMATCH);
    ws_key_destroy(key);
}

/* One key, check after check: each starts from the keyed state. */
static void test_key_serves_checks_in_a_row(void **state)
{
    int i;
    ws_key_t *key = ws_key_create(NOVU_ROW, ws_s(SECRET), NULL);

    (void) state;
    assert_non_null(key);

    for (i = 0; i < 50; i++) {
        assert_result(run_one_key(novu_a1, BODY_A1, key), WS_RESULT_OK);
        assert_result(run_one_key(novu_a1, "{\"a\":1} and more", key),
                      WS_RESULT_MISMATCH);
        assert_result(run_one_key(novu_other, BODY_A1, key),
                      WS_RESULT_MISMATCH);
    }

    ws_key_destroy(key);
}

/* A check destroyed after hashing part of a body leaves the key as it was. */
static void test_abandoned_check_leaves_no_state(void **state)
{
    int i;
    ws_key_t *key = ws_key_create(NOVU_ROW, ws_s(SECRET), NULL);
    ws_bytes_t none = ws_b("", 0);

    (void) state;
    assert_non_null(key);

    for (i = 0; i < 3; i++) {
        ws_check_t *check = new_check(WS_SCHEME_NOVU, novu_a1, 1);

        assert_result(ws_check_headers(check, NOW_MS, TOL_5M), WS_RESULT_OK);
        assert_result(begin_keyed(check, &none, &key, 1),
                      WS_RESULT_OK);
        assert_result(ws_check_update(check, "{\"a\"", 4), WS_RESULT_OK);
        ws_check_destroy(check);

        assert_result(run_one_key(novu_a1, BODY_A1, key), WS_RESULT_OK);
    }

    ws_key_destroy(key);
}

/* Checks begun before any finishes each run their own MAC. */
static void test_overlapping_checks(void **state)
{
    size_t i;
    ws_key_t *key = ws_key_create(NOVU_ROW, ws_s(SECRET), NULL);
    ws_bytes_t none = ws_b("", 0);
    ws_check_t *checks[4];
    const char *bodies[4] = { BODY_A1, "{\"a\":2}", BODY_A1, "" };
    const ws_result_e expected[4] = {
        WS_RESULT_OK, WS_RESULT_MISMATCH, WS_RESULT_OK, WS_RESULT_MISMATCH
    };

    (void) state;
    assert_non_null(key);

    for (i = 0; i < COUNT_OF(checks); i++) {
        checks[i] = new_check(WS_SCHEME_NOVU, novu_a1, 1);
        assert_result(ws_check_headers(checks[i], NOW_MS, TOL_5M),
                      WS_RESULT_OK);
        assert_result(begin_keyed(checks[i], &none, &key, 1),
                      WS_RESULT_OK);
    }
    /* interleaved: each body in two halves, all first halves first */
    for (i = 0; i < COUNT_OF(checks); i++) {
        size_t len = strlen(bodies[i]);
        assert_result(ws_check_update(checks[i], bodies[i], len / 2),
                      WS_RESULT_OK);
    }
    for (i = COUNT_OF(checks); i-- > 0; ) {
        size_t len = strlen(bodies[i]);
        assert_result(ws_check_update(checks[i], bodies[i] + len / 2,
                                      len - len / 2), WS_RESULT_OK);
        assert_result(ws_check_finish(checks[i]), expected[i]);
        ws_check_destroy(checks[i]);
    }

    ws_key_destroy(key);
}

/* Rotation with one secret keyed once and one keyed per check. */
static void test_keyed_and_plain_secrets_mix(void **state)
{
    size_t index = 0;
    ws_key_t *right = ws_key_create(NOVU_ROW, ws_s(SECRET), NULL);
    ws_key_t *wrong = ws_key_create(NOVU_ROW, ws_s("old-secret"), NULL);
    ws_bytes_t secrets[2];
    ws_key_t *keys[2];

    (void) state;
    assert_non_null(right);
    assert_non_null(wrong);

    /* keyed one matches, first */
    secrets[0] = ws_b("", 0);
    secrets[1] = ws_s("other");
    keys[0] = right;
    keys[1] = NULL;
    assert_result(run_keyed(novu_a1, BODY_A1, secrets, keys, 2, &index),
                  WS_RESULT_OK);
    assert_int_equal(index, 1);

    /* plain one matches, second */
    secrets[1] = ws_s(SECRET);
    keys[0] = wrong;
    assert_result(run_keyed(novu_a1, BODY_A1, secrets, keys, 2, &index),
                  WS_RESULT_OK);
    assert_int_equal(index, 2);

    /* neither */
    secrets[1] = ws_s("other");
    assert_result(run_keyed(novu_a1, BODY_A1, secrets, keys, 2, &index),
                  WS_RESULT_MISMATCH);
    assert_int_equal(index, 0);

    ws_key_destroy(right);
    ws_key_destroy(wrong);
}

/* Without a key, an empty secret is still no secret. */
static void test_missing_key_and_empty_secret(void **state)
{
    ws_bytes_t none = ws_b("", 0);
    ws_key_t *nokey = NULL;

    (void) state;
    assert_result(run_keyed(novu_a1, BODY_A1, &none, &nokey, 1, NULL),
                  WS_RESULT_NO_SECRET);
    assert_result(run_keyed(novu_a1, BODY_A1, &none, NULL, 1, NULL),
                  WS_RESULT_NO_SECRET);
}

/* Runs a Novu check of body signed with sig: with key pre-keyed, else secret. */
static ws_result_e run_signed(const char *sig, const char *body,
    ws_bytes_t secret, ws_key_t *key)
{
    char   value[96];
    hdr_t  hdr;

    snprintf(value, sizeof(value), "t=%s,v1=%s", TS, sig);
    hdr = hdr_str("Novu-Signature", value);
    return run_keyed(&hdr, body, &secret, &key, 1, NULL);
}

/*
 * Secrets of every length around SHA-256's block (a key longer than 64
 * bytes is hashed first, a shorter one zero-padded), with arbitrary bytes
 * including NUL: keyed once and keyed per check both verify what OpenSSL's
 * HMAC() signed, and a secret differing only in its last byte does not.
 */
static void test_key_lengths_match_openssl(void **state)
{
    static const size_t lengths[] = {
        1, 2, 31, 32, 33, 55, 56, 63, 64, 65, 100, 127, 128, 129, 131, 1000
    };
    static const char body[] = "{\"type\":\"message.sent\",\"id\":\"k\"}";
    prng_t rng = { UINT64_C(0x243f6a8885a308d3) };
    size_t i;

    (void) state;

    for (i = 0; i < COUNT_OF(lengths); i++) {
        size_t        len = lengths[i];
        unsigned char secret[1000], near[1000];
        char          sig[65];
        ws_key_t     *key, *near_key;

        prng_fill(&rng, secret, len);
        memcpy(near, secret, len);
        near[len - 1] ^= 0x01;
        ref_sig(secret, len, TS, body, strlen(body), sig);

        key = ws_key_create(NOVU_ROW, ws_b(secret, len), NULL);
        near_key = ws_key_create(NOVU_ROW, ws_b(near, len), NULL);
        assert_non_null(key);
        assert_non_null(near_key);

        assert_result(run_signed(sig, body, ws_b(secret, len), NULL),
                      WS_RESULT_OK);
        assert_result(run_signed(sig, body, ws_b("", 0), key), WS_RESULT_OK);
        assert_result(run_signed(sig, body, ws_b(near, len), NULL),
                      WS_RESULT_MISMATCH);
        assert_result(run_signed(sig, body, ws_b("", 0), near_key),
                      WS_RESULT_MISMATCH);

        ws_key_destroy(key);
        ws_key_destroy(near_key);
    }
}

/*
 * Secrets given as bytes (a variable's value) are keyed once per process
 * and kept, at most 4,096 of them.  Whatever the cache holds, a secret
 * verifies as itself only: the same bytes under another scheme's key
 * format are another key, a secret that cannot be a key is refused every
 * time, and a check begun with a key keeps it when the cache evicts it.
 */
static ws_result_e verify_novu_a1(const char *secret)
{
    ws_bytes_t bytes = ws_s(secret);
    ws_check_t *check = new_check(WS_SCHEME_NOVU, novu_a1, 1);
    ws_result_e result;

    assert_result(ws_check_headers(check, NOW_MS, TOL_5M), WS_RESULT_OK);
    result = ws_check_begin(check, &bytes, 1);
    if (result == WS_RESULT_OK) {
        assert_result(ws_check_update(check, BODY_A1, strlen(BODY_A1)),
                      WS_RESULT_OK);
        result = ws_check_finish(check);
    }
    ws_check_destroy(check);
    return result;
}

static void test_cached_secrets_verify_as_themselves(void **state)
{
    int i;

    (void) state;
    for (i = 0; i < 3; i++) {
        assert_result(verify_novu_a1(SECRET), WS_RESULT_OK);
        assert_result(verify_novu_a1("secreT"), WS_RESULT_MISMATCH);
        assert_result(verify_novu_a1("secret "), WS_RESULT_MISMATCH);
        assert_result(verify_novu_a1("secre"), WS_RESULT_MISMATCH);
        assert_result(verify_novu_a1(""), WS_RESULT_NO_SECRET);
    }
}

static void test_cached_secret_per_key_format(void **state)
{
    /* "whsec_c2VjcmV0" is "secret" to standard_webhooks (base64 after the
     * prefix) but its own 14 bytes to novu: keyed once for each scheme,
     * never one for the other */
    static const hdr_t standard[] = {
        H("webhook-id", "msg_1"),
        H("webhook-timestamp", TS),
        H("webhook-signature",
          "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="),
    };
    ws_bytes_t whsec = ws_s("whsec_c2VjcmV0");
    ws_check_t *check = new_check(WS_SCHEME_STANDARD_WEBHOOKS, standard,
                                  COUNT_OF(standard));

    (void) state;
    assert_result(ws_check_headers(check, NOW_MS, TOL_5M), WS_RESULT_OK);
    assert_result(ws_check_begin(check, &whsec, 1), WS_RESULT_OK);
    ws_check_destroy(check);

    assert_result(verify_novu_a1("whsec_c2VjcmV0"), WS_RESULT_MISMATCH);
    assert_result(verify_novu_a1(SECRET), WS_RESULT_OK);
}

static void test_evicted_key_outlives_its_check(void **state)
{
    char other[32];
    int i;
    ws_bytes_t bytes = ws_s(SECRET);
    ws_check_t *check = new_check(WS_SCHEME_NOVU, novu_a1, 1);

    (void) state;
    assert_result(ws_check_headers(check, NOW_MS, TOL_5M), WS_RESULT_OK);
    assert_result(ws_check_begin(check, &bytes, 1), WS_RESULT_OK);
    assert_result(ws_check_update(check, BODY_A1, 3), WS_RESULT_OK);

    /* twice the cache's capacity of other secrets, each verified once:
     * SECRET's key is evicted while the check still holds it */
    for (i = 0; i < 4096; i++) {
        snprintf(other, sizeof(other), "tenant-secret-%d", i);
        assert_result(verify_novu_a1(other), WS_RESULT_MISMATCH);
    }

    assert_result(ws_check_update(check, BODY_A1 + 3, strlen(BODY_A1) - 3),
                  WS_RESULT_OK);
    assert_result(ws_check_finish(check), WS_RESULT_OK);
    ws_check_destroy(check);

    /* and it is keyed again when it comes back */
    assert_result(verify_novu_a1(SECRET), WS_RESULT_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_rejects_empty_secret),
        cmocka_unit_test(test_keyed_secret_verifies),
        cmocka_unit_test(test_wrong_keyed_secret_mismatches),
        cmocka_unit_test(test_key_serves_checks_in_a_row),
        cmocka_unit_test(test_abandoned_check_leaves_no_state),
        cmocka_unit_test(test_overlapping_checks),
        cmocka_unit_test(test_keyed_and_plain_secrets_mix),
        cmocka_unit_test(test_missing_key_and_empty_secret),
        cmocka_unit_test(test_key_lengths_match_openssl),
        cmocka_unit_test(test_cached_secrets_verify_as_themselves),
        cmocka_unit_test(test_cached_secret_per_key_format),
        cmocka_unit_test(test_evicted_key_outlives_its_check),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
