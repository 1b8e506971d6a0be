/* SPDX-License-Identifier: BSD-2-Clause */

/*
 * The scheme table through the C API: every name webhook_signature takes
 * resolves and names itself back; each preset's default tolerance is its
 * sender's; webhook_signature_hmac's parameters are checked; keys are
 * decoded as each sender encodes them (and refused, with a reason, when
 * they cannot be one); the generic HMAC verifies against OpenSSL's HMAC()
 * for each algorithm and encoding.  The senders' own vectors run through
 * nginx in t/presets.t.
 */

#include "helpers.h"

#include <openssl/err.h>
#include <openssl/sha.h>


static const char *const kPresets[] = {
    "novu", "notifykit", "auto", "stripe", "standard_webhooks", "svix",
    "github", "gitlab", "slack", "shopify", "paddle", "calendly", "zoom",
    "twitch", "pagerduty", "sentry", "bitbucket", "jira", "typeform",
    "intercom", "vercel", "woocommerce", "linear", "square", "hubspot",
    "twilio", "discord", "sendgrid",
};


static void test_names_resolve(void **state)
{
    size_t i;

    (void) state;

    for (i = 0; i < COUNT_OF(kPresets); i++) {
        int id = ws_scheme_find(ws_s(kPresets[i]));

        assert_true(id > 0);
        assert_string_equal(ws_scheme_name((ws_scheme_e) id), kPresets[i]);
        assert_non_null(ws_scheme_get((ws_scheme_e) id));
        assert_int_equal(ws_scheme_id(ws_scheme_get((ws_scheme_e) id)), id);
    }

    assert_int_equal(ws_scheme_find(ws_s("off")), WS_SCHEME_OFF);
    assert_int_equal(ws_scheme_find(ws_s("hmac")), WS_SCHEME_HMAC);
    assert_null(ws_scheme_get(WS_SCHEME_OFF));
    assert_null(ws_scheme_get(WS_SCHEME_HMAC));
    assert_int_equal(ws_scheme_find(ws_s("mailgun")), -1);
    assert_int_equal(ws_scheme_find(ws_s("Stripe")), -1);
    assert_int_equal(ws_scheme_find(ws_s("")), -1);
}


static int64_t tolerance_of(const char *name)
{
    return ws_scheme_tolerance(
        ws_scheme_get((ws_scheme_e) ws_scheme_find(ws_s(name))));
}

static void test_default_tolerances(void **state)
{
    (void) state;

    assert_int_equal(tolerance_of("novu"), 300000);
    assert_int_equal(tolerance_of("stripe"), 300000);
    assert_int_equal(tolerance_of("standard_webhooks"), 300000);
    assert_int_equal(tolerance_of("twitch"), 600000);
    assert_int_equal(tolerance_of("calendly"), 180000);
    assert_int_equal(tolerance_of("linear"), 60000);
    assert_int_equal(tolerance_of("paddle"), 5000);
    assert_int_equal(tolerance_of("discord"), 300000);
    assert_int_equal(tolerance_of("github"), WS_TOLERANCE_OFF);
    assert_int_equal(tolerance_of("shopify"), WS_TOLERANCE_OFF);
    assert_int_equal(tolerance_of("twilio"), WS_TOLERANCE_OFF);
}


static void test_url_bound(void **state)
{
    size_t i;

    (void) state;

    for (i = 0; i < COUNT_OF(kPresets); i++) {
        const ws_scheme_t *s = ws_scheme_get(
            (ws_scheme_e) ws_scheme_find(ws_s(kPresets[i])));
        int bound = strcmp(kPresets[i], "square") == 0
                    || strcmp(kPresets[i], "hubspot") == 0
                    || strcmp(kPresets[i], "twilio") == 0;

        assert_int_equal(ws_scheme_signs_url(s), bound);
    }
}


static ws_scheme_t *hmac_scheme(const char *header, const char *prefix,
    const char *algorithm, const char *encoding, const char **error)
{
    return ws_scheme_hmac_create(ws_s(header), ws_s(prefix), ws_s(algorithm),
                                 ws_s(encoding), error);
}

static void test_hmac_parameters(void **state)
{
    const char *error;
    ws_scheme_t *s;

    (void) state;

    s = hmac_scheme("X-Sig", "", "", "", &error);
    assert_non_null(s);
    assert_int_equal(ws_scheme_id(s), WS_SCHEME_HMAC);
    assert_int_equal(ws_scheme_tolerance(s), WS_TOLERANCE_OFF);
    ws_scheme_hmac_destroy(s);

    assert_null(hmac_scheme("", "", "", "", &error));
    assert_non_null(strstr(error, "header="));
    assert_null(hmac_scheme("X Sig", "", "", "", &error));
    assert_non_null(strstr(error, "header="));
    assert_null(hmac_scheme("X-Sig", "\x01", "", "", &error));
    assert_non_null(strstr(error, "prefix="));
    assert_null(hmac_scheme("X-Sig", "", "md5", "", &error));
    assert_non_null(strstr(error, "algorithm="));
    assert_null(hmac_scheme("X-Sig", "", "sha256", "base32", &error));
    assert_non_null(strstr(error, "encoding="));
}


/* The generic HMAC against OpenSSL's HMAC(), for each algorithm and
 * encoding, and a flipped body byte. */
static ws_result_e verify_hmac(const char *algorithm, const char *encoding,
    const char *prefix, const char *body, int flip)
{
    const EVP_MD *md = strcmp(algorithm, "sha1") == 0 ? EVP_sha1()
                     : strcmp(algorithm, "sha512") == 0 ? EVP_sha512()
                     : EVP_sha256();
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len;
    char text[256], value[300];
    const char *error;
    ws_result_e result;
    unsigned int i;

    HMAC(md, SECRET, (int) strlen(SECRET), (const unsigned char *) body,
         strlen(body), mac, &len);

    if (strcmp(encoding, "base64") == 0) {
        EVP_EncodeBlock((unsigned char *) text, mac, (int) len);
    } else {
        for (i = 0; i < len; i++) {
            snprintf(text + 2 * i, 3, "%02x", mac[i]);
        }
    }
    snprintf(value, sizeof(value), "%s%s", prefix, text);

    ws_scheme_t *s = hmac_scheme("X-Body-Sig", prefix, algorithm, encoding,
                                 &error);
    assert_non_null(s);
    ws_check_t *check = ws_check_create(s);
    assert_non_null(check);
    ws_check_add_header(check, ws_s("x-BODY-sig"), ws_s(value));

    ws_bytes_t secret = ws_s(SECRET);
    result = ws_check_headers(check, NOW_MS, TOL_5M);
    if (result == WS_RESULT_OK) {
        result = ws_check_begin(check, &secret, 1);
    }
    if (result == WS_RESULT_OK) {
        char copy[64];
        snprintf(copy, sizeof(copy), "%s", body);
        copy[0] ^= flip;
        result = ws_check_update(check, copy, strlen(copy));
    }
    if (result == WS_RESULT_OK) {
        result = ws_check_finish(check);
    }
    ws_check_destroy(check);
    ws_scheme_hmac_destroy(s);
    return result;
}

static void test_hmac_verifies(void **state)
{
    static const char *const algorithms[] = { "sha1", "sha256", "sha512" };
    static const char *const encodings[] = { "hex", "base64" };
    size_t a, e;

    (void) state;

    for (a = 0; a < COUNT_OF(algorithms); a++) {
        for (e = 0; e < COUNT_OF(encodings); e++) {
            assert_result(verify_hmac(algorithms[a], encodings[e], "sha=",
                                      BODY_A1, 0), WS_RESULT_OK);
            assert_result(verify_hmac(algorithms[a], encodings[e], "",
                                      BODY_A1, 0), WS_RESULT_OK);
            assert_result(verify_hmac(algorithms[a], encodings[e], "",
                                      BODY_A1, 1), WS_RESULT_MISMATCH);
        }
    }
}


static const char *key_error(const char *preset, const char *secret)
{
    const char *error = NULL;
    ws_key_t *key = ws_key_create(
        ws_scheme_get((ws_scheme_e) ws_scheme_find(ws_s(preset))),
        ws_s(secret), &error);

    if (key != NULL) {
        ws_key_destroy(key);
        return NULL;
    }
    assert_non_null(error);
    return error;
}

static void test_key_decoding(void **state)
{
    (void) state;

    /* RFC 8032 7.1 TEST 1's public key */
    assert_null(key_error("discord", "d75a980182b10ab7d54bfed3c964073a"
                                     "0ee172f3daa62325af021a68f707511a"));
    assert_non_null(strstr(key_error("discord", "d75a98"), "64 hex"));
    assert_non_null(strstr(key_error("discord", "zz"), "64 hex"));

    assert_null(key_error("standard_webhooks",
                          "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"));
    assert_null(key_error("svix", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"));
    assert_non_null(strstr(key_error("svix", "whsec_***"), "base64"));

    assert_non_null(strstr(key_error("sendgrid", "bm90LWEta2V5"), "P-256"));

    /* verbatim everywhere else, "whsec_" included */
    assert_null(key_error("stripe", "whsec_***"));
    assert_null(key_error("gitlab", "token"));
    assert_non_null(key_error("github", ""));
}


/* A seconds timestamp far beyond any clock is stale, computed without
 * overflow (found by fuzz_parsers: 18 digits times 1000 overflowed). */
static void test_huge_seconds_timestamp(void **state)
{
    static const char *const timestamps[] = {
        "999999999999999999", "9223372036854775807", "1152921504606846975",
        "99999999999999999999999",
    };
    size_t i;

    (void) state;

    for (i = 0; i < COUNT_OF(timestamps); i++) {
        char header[128];
        ws_check_t *check = ws_check_create(ws_scheme_get(WS_SCHEME_STRIPE));

        snprintf(header, sizeof(header), "t=%s,v1=" SIG_ZERO, timestamps[i]);
        ws_check_add_header(check, ws_s("Stripe-Signature"), ws_s(header));
        assert_result(ws_check_headers(check, NOW_MS, TOL_5M),
                      WS_RESULT_STALE);
        assert_result(ws_check_headers(check, NOW_MS, WS_TOLERANCE_OFF),
                      WS_RESULT_OK);
        ws_check_destroy(check);
    }
}


/* Where parsing checks every byte it accepts (hex signatures, a prefix,
 * keys and a timestamp matched exactly: Scheme::parse_checks_text()), the
 * signature header is not checked whole for header text first; the parts
 * a lenient parser passes over still are, so a byte that is no header
 * text is malformed wherever it is, as it is for novu (test_parse.c). */
typedef struct {
    ws_scheme_e   scheme;
    const char   *header;
    const char   *value;        /* may hold a NUL: len says where it ends */
    size_t        len;
    ws_result_e   expect;
} text_case_t;

#define TEXT_CASE(scheme, header, literal, expect) \
    { scheme, header, literal, sizeof(literal) - 1, expect }

static void test_header_text_where_parsing_skips(void **state)
{
    static const text_case_t cases[] = {
        /* stripe: unknown keys, undecodable v1s and parts without "="
         * are passed over, unless they are no header text */
        TEXT_CASE(WS_SCHEME_STRIPE, "Stripe-Signature",
                  "t=" TS ",v0=ab,v1=" SIG_ZERO, WS_RESULT_OK),
        TEXT_CASE(WS_SCHEME_STRIPE, "Stripe-Signature",
                  "t=" TS ",v0=a\001b,v1=" SIG_ZERO, WS_RESULT_MALFORMED),
        TEXT_CASE(WS_SCHEME_STRIPE, "Stripe-Signature",
                  "t=" TS ",v1=zz,v1=" SIG_ZERO, WS_RESULT_OK),
        TEXT_CASE(WS_SCHEME_STRIPE, "Stripe-Signature",
                  "t=" TS ",v1=z\177,v1=" SIG_ZERO, WS_RESULT_MALFORMED),
        TEXT_CASE(WS_SCHEME_STRIPE, "Stripe-Signature",
                  "t=" TS ",junk,v1=" SIG_ZERO, WS_RESULT_OK),
        TEXT_CASE(WS_SCHEME_STRIPE, "Stripe-Signature",
                  "t=" TS ",ju\000nk,v1=" SIG_ZERO, WS_RESULT_MALFORMED),
        TEXT_CASE(WS_SCHEME_STRIPE, "Stripe-Signature",
                  "t=" TS ",\x80=1,v1=" SIG_ZERO, WS_RESULT_MALFORMED),
        TEXT_CASE(WS_SCHEME_STRIPE, "Stripe-Signature",
                  "t=" TS "\001,v1=" SIG_ZERO, WS_RESULT_MALFORMED),
        /* pagerduty: no timestamp at all */
        TEXT_CASE(WS_SCHEME_PAGERDUTY, "X-PagerDuty-Signature",
                  "v1=" SIG_ZERO ",x=\177", WS_RESULT_MALFORMED),
        /* a prefix and hex: every byte is one of them */
        TEXT_CASE(WS_SCHEME_GITHUB, "X-Hub-Signature-256",
                  "sha256=" SIG_ZERO, WS_RESULT_OK),
        TEXT_CASE(WS_SCHEME_GITHUB, "X-Hub-Signature-256",
                  "sha256=" SIG_ZERO "\001", WS_RESULT_MALFORMED),
        TEXT_CASE(WS_SCHEME_GITHUB, "X-Hub-Signature-256",
                  "sha256\t=" SIG_ZERO, WS_RESULT_MALFORMED),
    };
    size_t i;

    (void) state;

    for (i = 0; i < COUNT_OF(cases); i++) {
        const text_case_t *c = &cases[i];
        ws_check_t *check = ws_check_create(ws_scheme_get(c->scheme));

        ws_check_add_header(check, ws_s(c->header), ws_b(c->value, c->len));
        assert_result(ws_check_headers(check, NOW_MS, WS_TOLERANCE_OFF),
                      c->expect);
        ws_check_destroy(check);
    }
}


/* One Novu request, judged with secrets {"secret", "other"}; its first
 * replay key into key (0 if none; one per secret otherwise). */
static int replay_key_of(const char *header, const char *body,
    unsigned char key[32])
{
    ws_bytes_t secrets[2] = { ws_s(SECRET), ws_s("other-secret") };
    ws_check_t *check = ws_check_create(ws_scheme_get(WS_SCHEME_NOVU));
    unsigned char keys[3 * 32];
    int ok;

    ws_check_add_header(check, ws_s("Novu-Signature"), ws_s(header));
    assert_result(ws_check_headers(check, NOW_MS, TOL_5M), WS_RESULT_OK);
    assert_result(ws_check_begin(check, secrets, 2), WS_RESULT_OK);
    assert_result(ws_check_update(check, body, strlen(body)), WS_RESULT_OK);
    ok = ws_check_finish(check) == WS_RESULT_OK
         && ws_check_replay_keys(check, keys, 3) == 2;
    if (ok) {
        memcpy(key, keys, 32);
    }
    ws_check_destroy(check);
    return ok;
}

/* The replay key names what was verified: not which secret or signature
 * matched, nor how the signature was written. */
static void test_replay_key(void **state)
{
    unsigned char a[32], b[32], c[32];
    char upper[] = SIG_A1;
    unsigned char mac[32];
    unsigned int len;
    char other[65], header[256];
    size_t i;
    const char *msg = TS "." BODY_A1;

    (void) state;

    /* the same message signed with the second secret */
    HMAC(EVP_sha256(), "other-secret", 12, (const unsigned char *) msg,
         strlen(msg), mac, &len);
    for (i = 0; i < 32; i++) {
        snprintf(other + 2 * i, 3, "%02x", mac[i]);
    }
    for (i = 0; upper[i] != '\0'; i++) {
        upper[i] = (char) (upper[i] >= 'a' && upper[i] <= 'f'
                           ? upper[i] - 'a' + 'A' : upper[i]);
    }

    assert_true(replay_key_of("t=" TS ",v1=" SIG_A1, BODY_A1, a));
    snprintf(header, sizeof(header), "t=" TS ",v1=%s", other);
    assert_true(replay_key_of(header, BODY_A1, b));
    assert_memory_equal(a, b, 32);
    snprintf(header, sizeof(header), "t=" TS ",v1=%s", upper);
    assert_true(replay_key_of(header, BODY_A1, b));
    assert_memory_equal(a, b, 32);
    assert_true(replay_key_of("t=" TS ",v1=" SIG_ZERO ",v1=" SIG_A1,
                              BODY_A1, b));
    assert_memory_equal(a, b, 32);

    /* another message, another key; a failed check has none */
    HMAC(EVP_sha256(), SECRET, 6, (const unsigned char *) TS ".{}", 13, mac,
         &len);
    for (i = 0; i < 32; i++) {
        snprintf(other + 2 * i, 3, "%02x", mac[i]);
    }
    snprintf(header, sizeof(header), "t=" TS ",v1=%s", other);
    assert_true(replay_key_of(header, "{}", c));
    assert_memory_not_equal(a, c, 32);
    assert_false(replay_key_of("t=" TS ",v1=" SIG_ZERO, BODY_A1, c));
}


/* The replay keys of one Novu request signed with SECRET, judged with
 * secrets; how many there are. */
static size_t replay_keys_with(const ws_bytes_t *secrets, size_t n,
    unsigned char *keys)
{
    ws_check_t *check = ws_check_create(ws_scheme_get(WS_SCHEME_NOVU));
    size_t count = 0;

    ws_check_add_header(check, ws_s("Novu-Signature"),
                        ws_s("t=" TS ",v1=" SIG_A1));
    assert_result(ws_check_headers(check, NOW_MS, TOL_5M), WS_RESULT_OK);
    assert_result(ws_check_begin(check, secrets, n), WS_RESULT_OK);
    assert_result(ws_check_update(check, BODY_A1, strlen(BODY_A1)),
                  WS_RESULT_OK);
    if (ws_check_finish(check) == WS_RESULT_OK) {
        count = ws_check_replay_keys(check, keys, 4);
    }
    ws_check_destroy(check);
    return count;
}

/* One key per secret, the i-th the i-th secret's alone: after a rotation
 * puts a new secret first, the old secret's key is still among them. */
static void test_replay_keys_per_secret(void **state)
{
    ws_bytes_t old_only[1] = { ws_s(SECRET) };
    ws_bytes_t rotated[2] = { ws_s("new-secret"), ws_s(SECRET) };
    unsigned char a[4 * 32], b[4 * 32];

    (void) state;

    assert_int_equal(replay_keys_with(old_only, 1, a), 1);
    assert_int_equal(replay_keys_with(rotated, 2, b), 2);
    assert_memory_equal(a, b + 32, 32);
    assert_memory_not_equal(a, b, 32);
}

/* A public-key check that fails, or a key that does not decode, leaves
 * nothing on OpenSSL's error queue: nginx's TLS code would log what it
 * finds there as a "stale global SSL error" [alert] (seen on Debian 13). */
static void public_key_mismatch(ws_scheme_e id, const char *key,
    const char *header, const char *sig, const char *ts_header)
{
    const ws_scheme_t *scheme = ws_scheme_get(id);
    ws_bytes_t secret = ws_s(key);
    ws_check_t *check = ws_check_create(scheme);

    ERR_clear_error();
    ws_check_add_header(check, ws_s(header), ws_s(sig));
    ws_check_add_header(check, ws_s(ts_header), ws_s(TS));
    assert_result(ws_check_headers(check, NOW_MS, TOL_5M), WS_RESULT_OK);
    assert_result(ws_check_begin(check, &secret, 1), WS_RESULT_OK);
    assert_result(ws_check_update(check, BODY_A1, strlen(BODY_A1)),
                  WS_RESULT_OK);
    assert_result(ws_check_finish(check), WS_RESULT_MISMATCH);
    assert_int_equal(ERR_peek_error(), 0);
    ws_check_destroy(check);
}

static void test_openssl_errors_cleared(void **state)
{
    (void) state;

    public_key_mismatch(WS_SCHEME_DISCORD,
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        "X-Signature-Ed25519", SIG_ZERO SIG_ZERO, "X-Signature-Timestamp");
    /* a DER (r, s) = (1, 1) that does not verify */
    public_key_mismatch(WS_SCHEME_SENDGRID,
        "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEuxX8CR6eZiIjNHcWfLzbs6KD9T"
        "ccuVw97KZjomom0I9APvVc4mZabzhIaPbwj9tluyT3c62SkFuMp6LV9OpGkw==",
        "X-Twilio-Email-Event-Webhook-Signature", "MAYCAQECAQE=",
        "X-Twilio-Email-Event-Webhook-Timestamp");

    ERR_clear_error();
    assert_non_null(key_error("sendgrid", "bm90LWEta2V5"));
    assert_non_null(key_error("discord", "zz"));
    assert_int_equal(ERR_peek_error(), 0);
}

/* A message kept whole (Linear's body, for its timestamp) verifies the same
 * whatever the body's announced length says: ws_check_expect_body() is a
 * hint for the allocation, never trusted. */
static ws_result_e linear_with_hint(const char *body, const char *signed_body,
    uint64_t hint)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0, i;
    char sig[65];
    ws_bytes_t secret = ws_s(SECRET);
    ws_check_t *check = ws_check_create(ws_scheme_get(WS_SCHEME_LINEAR));
    ws_result_e result;

    assert_non_null(HMAC(EVP_sha256(), SECRET, (int) strlen(SECRET),
                         (const unsigned char *) signed_body,
                         strlen(signed_body), mac, &maclen));
    for (i = 0; i < maclen; i++) {
        sig[2 * i] = hex[mac[i] >> 4];
        sig[2 * i + 1] = hex[mac[i] & 0xf];
    }
    sig[64] = '\0';

    ws_check_add_header(check, ws_s("Linear-Signature"), ws_s(sig));
    assert_result(ws_check_headers(check, NOW_MS, TOL_5M), WS_RESULT_OK);
    assert_result(ws_check_begin(check, &secret, 1), WS_RESULT_OK);
    ws_check_expect_body(check, hint);
    assert_result(ws_check_update(check, body, 7), WS_RESULT_OK);
    assert_result(ws_check_update(check, body + 7, strlen(body) - 7),
                  WS_RESULT_OK);
    result = ws_check_finish(check);
    ws_check_destroy(check);
    return result;
}

static void test_expected_body_length_is_a_hint(void **state)
{
    static const char body[] = "{\"webhookTimestamp\":1746561234000,\"a\":1}";
    static const char other[] = "{\"webhookTimestamp\":1746561234000,\"a\":2}";
    static const uint64_t hints[] = {
        0, 1, sizeof(body) - 1, sizeof(body), 4096, UINT64_C(1) << 40
    };
    size_t i;

    (void) state;
    for (i = 0; i < COUNT_OF(hints); i++) {
        assert_result(linear_with_hint(body, body, hints[i]), WS_RESULT_OK);
        assert_result(linear_with_hint(other, body, hints[i]),
                      WS_RESULT_MISMATCH);
    }
}


int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_resolve),
        cmocka_unit_test(test_default_tolerances),
        cmocka_unit_test(test_url_bound),
        cmocka_unit_test(test_hmac_parameters),
        cmocka_unit_test(test_hmac_verifies),
        cmocka_unit_test(test_key_decoding),
        cmocka_unit_test(test_huge_seconds_timestamp),
        cmocka_unit_test(test_header_text_where_parsing_skips),
        cmocka_unit_test(test_replay_key),
        cmocka_unit_test(test_replay_keys_per_secret),
        cmocka_unit_test(test_openssl_errors_cleared),
        cmocka_unit_test(test_expected_body_length_is_a_hint),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
