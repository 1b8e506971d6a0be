/* SPDX-License-Identifier: BSD-2-Clause */

/*
 * Header parsing: missing, malformed, which header counts, auto resolution,
 * the NotifyKit header pair, and the order missing -> malformed.
 *
 * Sources: SPEC.md "The schemes" and its malformed rules; DESIGN-NOTES.md
 * (parts, auto, header precedence, header sent twice).
 *
 * Most cases run the whole check with secret "secret" and body {"a":1}; a
 * header set that parses carries SIG_A1 (which verifies) so it must end OK,
 * proving it was not merely "not malformed" but read correctly.
 */

#include "helpers.h"

#define NS   "Novu-Signature"
#define XNS  "X-Novu-Signature"
#define XWS  "X-Webhook-Signature"
#define XWT  "X-Webhook-Timestamp"

#define GOOD     "t=" TS ",v1=" SIG_A1
#define NOVU     WS_SCHEME_NOVU
#define NK       WS_SCHEME_NOTIFYKIT
#define AUTO     WS_SCHEME_AUTO

#define OK         WS_RESULT_OK
#define MISSING    WS_RESULT_MISSING
#define MALFORMED  WS_RESULT_MALFORMED
#define MISMATCH   WS_RESULT_MISMATCH

/* 63 and 65 hex digits; 64 with one non-hex character. */
#define HEX63 \
    "26b35d49c3437dfcd545ea1a2aee3503655cb3893974a664063a1c2648bb40f"
#define HEX65 \
    "26b35d49c3437dfcd545ea1a2aee3503655cb3893974a664063a1c2648bb40ff0"
#define HEX64_G \
    "26b35d49c3437dfcd545ea1a2aee3503655cb3893974a664063a1c2648bb40fg"
#define HEX64_SPACE \
    "26b35d49c3437dfcd545ea1a2aee3503 55cb3893974a664063a1c2648bb40ff"


/* ---- accepted forms ----------------------------------------------------- */

static void test_accepted_forms(void **state)
{
    static const hdr_case_t cases[] = {
        { "plain", NOVU, { H(NS, GOOD) }, OK },
        { "v1 before t", NOVU, { H(NS, "v1=" SIG_A1 ",t=" TS) }, OK },
        { "space around parts", NOVU,
          { H(NS, "t=" TS " , v1=" SIG_A1) }, OK },
        { "leading and trailing space", NOVU,
          { H(NS, "  t=" TS ",v1=" SIG_A1 "  ") }, OK },
        { "tabs around parts", NOVU,
          { H(NS, "\tt=" TS "\t,\tv1=" SIG_A1 "\t") }, OK },
        { "unknown key v0", NOVU,
          { H(NS, "t=" TS ",v0=" SIG_OTHER ",v1=" SIG_A1) }, OK },
        { "unknown key v0 not hex", NOVU,
          { H(NS, "t=" TS ",v0=xyz,v1=" SIG_A1) }, OK },
        { "unknown key foo=bar", NOVU,
          { H(NS, "t=" TS ",foo=bar,v1=" SIG_A1) }, OK },
        { "unknown key with empty value", NOVU,
          { H(NS, "t=" TS ",foo=,v1=" SIG_A1) }, OK },
        { "unknown key last", NOVU,
          { H(NS, "t=" TS ",v1=" SIG_A1 ",scheme=v1") }, OK },
        { "uppercase hex", NOVU,
          { H(NS, "t=" TS ",v1="
              "26B35D49C3437DFCD545EA1A2AEE3503655CB3893974A664063A1C2648BB40FF")
          }, OK },
        { "mixed-case hex", NOVU,
          { H(NS, "t=" TS ",v1="
              "26b35D49c3437DFCd545ea1a2aee3503655cb3893974A664063a1c2648bb40Ff")
          }, OK },
        { "timestamp with leading zeros", NOVU,
          { H(NS, "t=001746561234,v1=" SIG_ZERO) }, MISMATCH },
        { "notifykit plain", NK, { H(XWS, GOOD), H(XWT, TS) }, OK },
        { "notifykit timestamp first", NK, { H(XWT, TS), H(XWS, GOOD) }, OK },
        { "notifykit space around parts", NK,
          { H(XWS, " t=" TS " ,\tv1=" SIG_A1 " "), H(XWT, TS) }, OK },
        { "notifykit unknown keys", NK,
          { H(XWS, "v0=abc,t=" TS ",foo=bar,v1=" SIG_A1), H(XWT, TS) }, OK },
        { "unrelated headers ignored", NOVU,
          { H("Content-Type", "application/json"), H(NS, GOOD),
            H("X-Signature", "\x80garbage"), H("Novu-Signature-2", "x") },
          OK },
    };

    (void) state;
    RUN_CASES(cases);
}


/* ---- every malformed form of SPEC.md ------------------------------------ */

static void test_malformed_novu(void **state)
{
    static const hdr_case_t cases[] = {
        /* empty value, empty parts */
        { "empty value", NOVU, { H(NS, "") }, MALFORMED },
        { "blank value", NOVU, { H(NS, "   ") }, MALFORMED },
        { "empty part in the middle", NOVU,
          { H(NS, "t=" TS ",,v1=" SIG_A1) }, MALFORMED },
        { "trailing comma", NOVU, { H(NS, GOOD ",") }, MALFORMED },
        { "trailing comma and space", NOVU, { H(NS, GOOD ", ") }, MALFORMED },
        { "leading comma", NOVU, { H(NS, "," GOOD) }, MALFORMED },
        { "blank part", NOVU,
          { H(NS, "t=" TS ", ,v1=" SIG_A1) }, MALFORMED },
        { "only a comma", NOVU, { H(NS, ",") }, MALFORMED },

        /* parts without '=' or with an empty key */
        { "part without =", NOVU, { H(NS, GOOD ",junk") }, MALFORMED },
        { "v1 without =", NOVU, { H(NS, "t=" TS ",v1") }, MALFORMED },
        { "t without =", NOVU, { H(NS, "t" TS ",v1=" SIG_A1) }, MALFORMED },
        { "no = at all", NOVU, { H(NS, "garbage") }, MALFORMED },
        { "empty key =x", NOVU, { H(NS, GOOD ",=x") }, MALFORMED },
        { "empty key first", NOVU, { H(NS, "=x," GOOD) }, MALFORMED },
        { "empty key, empty value", NOVU, { H(NS, GOOD ",=") }, MALFORMED },

        /* t and v1 presence */
        { "no t", NOVU, { H(NS, "v1=" SIG_A1) }, MALFORMED },
        { "no t, unknown keys", NOVU,
          { H(NS, "ts=" TS ",v1=" SIG_A1) }, MALFORMED },
        { "no v1", NOVU, { H(NS, "t=" TS) }, MALFORMED },
        { "no v1, only v0", NOVU,
          { H(NS, "t=" TS ",v0=" SIG_A1) }, MALFORMED },
        { "t repeated, same value", NOVU,
          { H(NS, "t=" TS ",t=" TS ",v1=" SIG_A1) }, MALFORMED },
        { "t repeated, other value", NOVU,
          { H(NS, GOOD ",t=1746561235") }, MALFORMED },

        /* t not a plain decimal integer */
        { "t=12a", NOVU, { H(NS, "t=12a,v1=" SIG_A1) }, MALFORMED },
        { "t=-5", NOVU, { H(NS, "t=-5,v1=" SIG_A1) }, MALFORMED },
        { "t=+5", NOVU, { H(NS, "t=+5,v1=" SIG_A1) }, MALFORMED },
        { "t=1.5", NOVU, { H(NS, "t=1.5,v1=" SIG_A1) }, MALFORMED },
        { "t= (empty)", NOVU, { H(NS, "t=,v1=" SIG_A1) }, MALFORMED },
        { "t=0x10", NOVU, { H(NS, "t=0x10,v1=" SIG_A1) }, MALFORMED },
        { "t=1e3", NOVU, { H(NS, "t=1e3,v1=" SIG_A1) }, MALFORMED },
        { "t with space inside", NOVU,
          { H(NS, "t=17465 61234,v1=" SIG_A1) }, MALFORMED },
        { "t=-1746561234", NOVU,
          { H(NS, "t=-1746561234,v1=" SIG_A1) }, MALFORMED },
        { "t=+1746561234", NOVU,
          { H(NS, "t=+1746561234,v1=" SIG_A1) }, MALFORMED },
        { "t=1746561234.5", NOVU,
          { H(NS, "t=1746561234.5,v1=" SIG_A1) }, MALFORMED },
        { "t with non-ASCII digit", NOVU,
          { H(NS, "t=174656123\xd9\xa4,v1=" SIG_A1) }, MALFORMED },

        /* v1 not 64 hex digits */
        { "v1 of 63 hex", NOVU, { H(NS, "t=" TS ",v1=" HEX63) }, MALFORMED },
        { "v1 of 65 hex", NOVU, { H(NS, "t=" TS ",v1=" HEX65) }, MALFORMED },
        { "v1 with g", NOVU, { H(NS, "t=" TS ",v1=" HEX64_G) }, MALFORMED },
        { "v1 with space inside", NOVU,
          { H(NS, "t=" TS ",v1=" HEX64_SPACE) }, MALFORMED },
        { "v1 empty", NOVU, { H(NS, "t=" TS ",v1=") }, MALFORMED },
        { "v1 of 0x + 62 hex", NOVU,
          { H(NS, "t=" TS ",v1=0x"
              "b35d49c3437dfcd545ea1a2aee3503655cb3893974a664063a1c2648bb40ff")
          }, MALFORMED },
        { "good v1 then 63-hex v1", NOVU,
          { H(NS, GOOD ",v1=" HEX63) }, MALFORMED },
        { "non-hex v1 then good v1", NOVU,
          { H(NS, "t=" TS ",v1=" HEX64_G ",v1=" SIG_A1) }, MALFORMED },

        /* non-ASCII bytes anywhere in the value */
        { "0x80 first", NOVU, { H(NS, "\x80" GOOD) }, MALFORMED },
        { "0xff last", NOVU, { H(NS, GOOD "\xff") }, MALFORMED },
        { "0xa0 where whitespace goes", NOVU,
          { H(NS, "t=" TS ",\xa0v1=" SIG_A1) }, MALFORMED },
        { "UTF-8 in an ignored part", NOVU,
          { H(NS, "t=" TS ",foo=caf\xc3\xa9,v1=" SIG_A1) }, MALFORMED },
        { "0xc0 in an ignored key", NOVU,
          { H(NS, "t=" TS ",\xc0=1,v1=" SIG_A1) }, MALFORMED },

        /* control characters (tab is whitespace, not one of these) */
        { "NUL inside", NOVU,
          { H(NS, "t=" TS ",foo=a\000b,v1=" SIG_A1) }, MALFORMED },
        { "NUL last", NOVU, { H(NS, GOOD "\000") }, MALFORMED },
        { "0x01 inside", NOVU,
          { H(NS, "t=" TS ",foo=a\001b,v1=" SIG_A1) }, MALFORMED },
        { "0x1f inside", NOVU,
          { H(NS, "t=" TS ",foo=a\037b,v1=" SIG_A1) }, MALFORMED },
        { "CR last", NOVU, { H(NS, GOOD "\r") }, MALFORMED },
        { "LF last", NOVU, { H(NS, GOOD "\n") }, MALFORMED },
        { "CRLF between parts", NOVU,
          { H(NS, "t=" TS ",\r\nv1=" SIG_A1) }, MALFORMED },
        { "DEL inside", NOVU,
          { H(NS, "t=" TS ",foo=a\177b,v1=" SIG_A1) }, MALFORMED },
        { "vertical tab as whitespace", NOVU,
          { H(NS, "t=" TS ",\013v1=" SIG_A1) }, MALFORMED },

        /* the header sent twice */
        { "Novu-Signature twice", NOVU,
          { H(NS, GOOD), H(NS, GOOD) }, MALFORMED },
        { "Novu-Signature twice, other case", NOVU,
          { H(NS, GOOD), H("novu-signature", GOOD) }, MALFORMED },
        { "Novu-Signature twice, upper case second", NOVU,
          { H("novu-signature", GOOD), H("NOVU-SIGNATURE", GOOD) },
          MALFORMED },
        { "Novu-Signature twice, second empty", NOVU,
          { H(NS, GOOD), H(NS, "") }, MALFORMED },
        { "X-Novu-Signature twice (fallback)", NOVU,
          { H(XNS, GOOD), H("x-novu-signature", GOOD) }, MALFORMED },
        { "Novu-Signature twice under auto", AUTO,
          { H(NS, GOOD), H("NOVU-signature", GOOD) }, MALFORMED },
    };

    (void) state;
    RUN_CASES(cases);
}


static void test_malformed_notifykit(void **state)
{
    static const hdr_case_t cases[] = {
        /* the pair */
        { "signature without timestamp", NK, { H(XWS, GOOD) }, MALFORMED },
        { "timestamp without signature", NK, { H(XWT, TS) }, MISSING },
        { "t differs from X-Webhook-Timestamp", NK,
          { H(XWS, GOOD), H(XWT, "1746561235") }, MALFORMED },
        { "t=0123 vs X-Webhook-Timestamp 123", NK,
          { H(XWS, "t=0123,v1=" SIG_A1), H(XWT, "123") }, MALFORMED },
        { "t=123 vs X-Webhook-Timestamp 0123", NK,
          { H(XWS, "t=123,v1=" SIG_A1), H(XWT, "0123") }, MALFORMED },
        { "t=TS vs X-Webhook-Timestamp 0TS", NK,
          { H(XWS, GOOD), H(XWT, "0" TS) }, MALFORMED },
        { "t vs X-Webhook-Timestamp in ms", NK,
          { H(XWS, GOOD), H(XWT, TS "000") }, MALFORMED },

        /* X-Webhook-Timestamp not decimal */
        { "X-Webhook-Timestamp empty", NK,
          { H(XWS, GOOD), H(XWT, "") }, MALFORMED },
        { "X-Webhook-Timestamp 12a (t=12a too)", NK,
          { H(XWS, "t=12a,v1=" SIG_A1), H(XWT, "12a") }, MALFORMED },
        { "X-Webhook-Timestamp -5 (t=-5 too)", NK,
          { H(XWS, "t=-5,v1=" SIG_A1), H(XWT, "-5") }, MALFORMED },
        { "X-Webhook-Timestamp +TS", NK,
          { H(XWS, GOOD), H(XWT, "+" TS) }, MALFORMED },
        { "X-Webhook-Timestamp TS.0", NK,
          { H(XWS, GOOD), H(XWT, TS ".0") }, MALFORMED },
        { "X-Webhook-Timestamp 1.5 (t=1.5 too)", NK,
          { H(XWS, "t=1.5,v1=" SIG_A1), H(XWT, "1.5") }, MALFORMED },
        { "X-Webhook-Timestamp with 0xff", NK,
          { H(XWS, GOOD), H(XWT, TS "\xff") }, MALFORMED },

        /* headers sent twice */
        { "X-Webhook-Signature twice", NK,
          { H(XWS, GOOD), H(XWS, GOOD), H(XWT, TS) }, MALFORMED },
        { "X-Webhook-Signature twice, other case", NK,
          { H(XWS, GOOD), H("x-webhook-signature", GOOD), H(XWT, TS) },
          MALFORMED },
        { "X-Webhook-Timestamp twice", NK,
          { H(XWS, GOOD), H(XWT, TS), H(XWT, TS) }, MALFORMED },
        { "X-Webhook-Timestamp twice, other case", NK,
          { H(XWS, GOOD), H(XWT, TS), H("X-WEBHOOK-TIMESTAMP", TS) },
          MALFORMED },

        /* the signature header's own rules are novu's */
        { "empty signature", NK, { H(XWS, ""), H(XWT, TS) }, MALFORMED },
        { "trailing comma", NK, { H(XWS, GOOD ","), H(XWT, TS) }, MALFORMED },
        { "part without =", NK,
          { H(XWS, GOOD ",junk"), H(XWT, TS) }, MALFORMED },
        { "empty key", NK, { H(XWS, "=x," GOOD), H(XWT, TS) }, MALFORMED },
        { "no t", NK, { H(XWS, "v1=" SIG_A1), H(XWT, TS) }, MALFORMED },
        { "no v1", NK, { H(XWS, "t=" TS), H(XWT, TS) }, MALFORMED },
        { "t repeated", NK,
          { H(XWS, "t=" TS "," GOOD), H(XWT, TS) }, MALFORMED },
        { "v1 of 65 hex", NK,
          { H(XWS, "t=" TS ",v1=" HEX65), H(XWT, TS) }, MALFORMED },
        { "v1 of 63 hex", NK,
          { H(XWS, "t=" TS ",v1=" HEX63), H(XWT, TS) }, MALFORMED },
        { "non-ASCII", NK, { H(XWS, GOOD "\x80"), H(XWT, TS) }, MALFORMED },
        { "control character", NK,
          { H(XWS, GOOD "\001"), H(XWT, TS) }, MALFORMED },
    };

    (void) state;
    RUN_CASES(cases);
}


/* ---- missing ------------------------------------------------------------ */

static void test_missing(void **state)
{
    static const hdr_case_t cases[] = {
        { "novu, no header at all", NOVU, { { NULL, NULL, 0 } }, MISSING },
        { "novu, unrelated headers", NOVU,
          { H("Content-Type", "application/json"), H("X-Signature", GOOD) },
          MISSING },
        { "novu, only notifykit headers (even malformed)", NOVU,
          { H(XWS, "garbage"), H(XWT, "x") }, MISSING },
        { "novu, name that only starts like it", NOVU,
          { H("Novu-Signature-V2", GOOD), H("Novu-Signatur", GOOD) },
          MISSING },
        { "notifykit, no header at all", NK, { { NULL, NULL, 0 } }, MISSING },
        { "notifykit, only novu headers (even malformed)", NK,
          { H(NS, "garbage"), H(XNS, "") }, MISSING },
        { "auto, no header at all", AUTO, { { NULL, NULL, 0 } }, MISSING },
        { "auto, only X-Webhook-Timestamp", AUTO,
          { H(XWT, TS) }, MISSING },
        { "auto, only a garbage X-Webhook-Timestamp", AUTO,
          { H(XWT, "\xff garbage") }, MISSING },
    };

    (void) state;
    RUN_CASES(cases);
}


/* ---- which header counts ----------------------------------------------- */

static void test_header_names_case_insensitive(void **state)
{
    static const hdr_case_t cases[] = {
        { "novu-signature", NOVU, { H("novu-signature", GOOD) }, OK },
        { "NOVU-SIGNATURE", NOVU, { H("NOVU-SIGNATURE", GOOD) }, OK },
        { "nOvU-sIgNaTuRe", NOVU, { H("nOvU-sIgNaTuRe", GOOD) }, OK },
        { "x-novu-signature", NOVU, { H("x-novu-signature", GOOD) }, OK },
        { "X-NOVU-SIGNATURE", NOVU, { H("X-NOVU-SIGNATURE", GOOD) }, OK },
        { "notifykit lowercase", NK,
          { H("x-webhook-signature", GOOD), H("x-webhook-timestamp", TS) },
          OK },
        { "notifykit uppercase", NK,
          { H("X-WEBHOOK-SIGNATURE", GOOD), H("X-WEBHOOK-TIMESTAMP", TS) },
          OK },
        { "auto, lowercase novu", AUTO, { H("novu-signature", GOOD) }, OK },
        { "auto, uppercase notifykit", AUTO,
          { H("X-WEBHOOK-SIGNATURE", GOOD), H("x-WeBhOoK-tImEsTaMp", TS) },
          OK },
    };

    (void) state;
    RUN_CASES(cases);
}

static void test_novu_fallback_header(void **state)
{
    const hdr_t only_fallback[] = { H(XNS, GOOD) };
    const hdr_t fallback_bad[] = { H(XNS, "t=" TS ",v1=" SIG_ZERO) };
    run_t run;

    (void) state;

    run = run_default(NOVU, only_fallback, COUNT_OF(only_fallback),
                      BODY_A1, sizeof(BODY_A1) - 1);
    assert_result(run.result, OK);
    assert_int_equal(run.key_index, 1);

    /* the fallback really is verified, not just accepted */
    run = run_default(NOVU, fallback_bad, COUNT_OF(fallback_bad),
                      BODY_A1, sizeof(BODY_A1) - 1);
    assert_result(run.headers_result, OK);
    assert_result(run.result, MISMATCH);
}

static void test_novu_signature_wins(void **state)
{
    /* Novu-Signature verifies, X-Novu-Signature does not: OK */
    const hdr_t primary_good[] = {
        H(XNS, "t=" TS ",v1=" SIG_ZERO), H(NS, GOOD)
    };
    /* the reverse: the fallback is not consulted, MISMATCH */
    const hdr_t primary_bad[] = {
        H(NS, "t=" TS ",v1=" SIG_ZERO), H(XNS, GOOD)
    };
    /* a malformed Novu-Signature is not rescued by a good fallback */
    const hdr_t primary_malformed[] = { H(NS, "t=" TS), H(XNS, GOOD) };
    /* a malformed fallback does not spoil a good Novu-Signature */
    const hdr_t fallback_malformed[] = { H(NS, GOOD), H(XNS, "garbage\xff") };
    /* even sent twice, the fallback is ignored when Novu-Signature came */
    const hdr_t fallback_twice[] = {
        H(XNS, GOOD), H(NS, GOOD), H(XNS, GOOD)
    };
    run_t run;

    (void) state;

    run = run_default(NOVU, primary_good, COUNT_OF(primary_good),
                      BODY_A1, sizeof(BODY_A1) - 1);
    assert_result(run.result, OK);

    run = run_default(NOVU, primary_bad, COUNT_OF(primary_bad),
                      BODY_A1, sizeof(BODY_A1) - 1);
    assert_result(run.result, MISMATCH);

    run = run_default(NOVU, primary_malformed, COUNT_OF(primary_malformed),
                      BODY_A1, sizeof(BODY_A1) - 1);
    assert_result(run.result, MALFORMED);

    run = run_default(NOVU, fallback_malformed, COUNT_OF(fallback_malformed),
                      BODY_A1, sizeof(BODY_A1) - 1);
    assert_result(run.result, OK);

    run = run_default(NOVU, fallback_twice, COUNT_OF(fallback_twice),
                      BODY_A1, sizeof(BODY_A1) - 1);
    assert_result(run.result, OK);
}

static void test_novu_signature_wins_timestamp(void **state)
{
    /* the timestamp reported is the one from Novu-Signature */
    const hdr_t hdrs[] = {
        H(XNS, "t=1746561200,v1=" SIG_ZERO), H(NS, GOOD)
    };
    ws_check_t *check = new_check(NOVU, hdrs, COUNT_OF(hdrs));
    ws_bytes_t t;

    (void) state;

    assert_result(ws_check_headers(check, NOW_MS, TOL_5M), OK);
    t = ws_check_timestamp(check);
    assert_int_equal(t.len, strlen(TS));
    assert_memory_equal(t.data, TS, strlen(TS));
    ws_check_destroy(check);
}


/* ---- auto --------------------------------------------------------------- */

static void expect_auto(const hdr_t *hdrs, size_t n, ws_result_e result,
    ws_scheme_e scheme, const char *what)
{
    run_t run = run_default(AUTO, hdrs, n, BODY_A1, sizeof(BODY_A1) - 1);

    if (run.result != result || run.scheme != scheme) {
        print_error("auto, %s: %s/%s, expected %s/%s\n", what,
                    result_label(run.result), scheme_label(run.scheme),
                    result_label(result), scheme_label(scheme));
        fail();
    }
}

static void test_auto(void **state)
{
    const hdr_t novu[] = { H(NS, GOOD) };
    const hdr_t novu_fallback[] = { H(XNS, GOOD) };
    const hdr_t notifykit[] = { H(XWS, GOOD), H(XWT, TS) };
    const hdr_t both[] = { H(XWS, GOOD), H(XWT, TS), H(NS, GOOD) };
    const hdr_t both_novu_bad[] = {
        H(XWS, GOOD), H(XWT, TS), H(NS, "t=" TS ",v1=" SIG_ZERO)
    };
    const hdr_t both_novu_malformed[] = {
        H(NS, "garbage"), H(XWS, GOOD), H(XWT, TS)
    };
    const hdr_t novu_empty[] = { H(NS, ""), H(XWS, GOOD), H(XWT, TS) };
    const hdr_t novu_with_timestamp[] = { H(NS, GOOD), H(XWT, "garbage") };
    const hdr_t nk_signature_only[] = { H(XWS, GOOD) };
    const hdr_t nk_mismatch[] = {
        H(XWS, "t=" TS ",v1=" SIG_ZERO), H(XWT, TS)
    };
    const hdr_t timestamp_only[] = { H(XWT, TS) };

    (void) state;

    expect_auto(novu, COUNT_OF(novu), OK, NOVU, "Novu-Signature");
    expect_auto(novu_fallback, COUNT_OF(novu_fallback), OK, NOVU,
                "X-Novu-Signature");
    expect_auto(notifykit, COUNT_OF(notifykit), OK, NK,
                "X-Webhook-Signature + X-Webhook-Timestamp");
    expect_auto(both, COUNT_OF(both), OK, NOVU, "both schemes' headers");
    expect_auto(both_novu_bad, COUNT_OF(both_novu_bad), MISMATCH, NOVU,
                "both, only notifykit's verifies");
    expect_auto(both_novu_malformed, COUNT_OF(both_novu_malformed),
                MALFORMED, NOVU, "both, novu's malformed");
    expect_auto(novu_empty, COUNT_OF(novu_empty), MALFORMED, NOVU,
                "both, novu's empty");
    expect_auto(novu_with_timestamp, COUNT_OF(novu_with_timestamp), OK, NOVU,
                "Novu-Signature with a stray X-Webhook-Timestamp");
    expect_auto(nk_signature_only, COUNT_OF(nk_signature_only), MALFORMED,
                NK, "X-Webhook-Signature alone");
    expect_auto(nk_mismatch, COUNT_OF(nk_mismatch), MISMATCH, NK,
                "notifykit, wrong signature");
    expect_auto(timestamp_only, COUNT_OF(timestamp_only), MISSING, NOVU,
                "X-Webhook-Timestamp alone");
    expect_auto(NULL, 0, MISSING, NOVU, "no header");
}

static void test_scheme_of_fixed_configurations(void **state)
{
    const hdr_t novu_headers[] = { H(NS, GOOD) };
    run_t run;

    (void) state;

    /* the configured scheme judges, even when the other's headers came */
    run = run_default(NOVU, NULL, 0, "", 0);
    assert_result(run.result, MISSING);
    assert_scheme(run.scheme, NOVU);

    run = run_default(NK, NULL, 0, "", 0);
    assert_result(run.result, MISSING);
    assert_scheme(run.scheme, NK);

    run = run_default(NK, novu_headers, COUNT_OF(novu_headers), "", 0);
    assert_result(run.result, MISSING);
    assert_scheme(run.scheme, NK);
}


/* ---- order: missing before malformed ----------------------------------- */

static void test_missing_before_malformed(void **state)
{
    static const hdr_case_t cases[] = {
        /* what is malformed belongs to a header the scheme does not read */
        { "novu, malformed X-Webhook-Signature", NOVU,
          { H(XWS, "t=,,\xff"), H(XWT, "x") }, MISSING },
        { "notifykit, malformed Novu-Signature", NK,
          { H(NS, "t=,,\xff"), H(NS, "") }, MISSING },
        { "auto, malformed lone X-Webhook-Timestamp", AUTO,
          { H(XWT, "-1"), H(XWT, "") }, MISSING },
    };

    (void) state;
    RUN_CASES(cases);
}


/* ---- ws_check_timestamp around parsing ---------------------------------- */

static void test_timestamp_empty_until_parsed(void **state)
{
    const hdr_t good[] = { H(NS, " t=" TS " ,v1=" SIG_A1) };
    const hdr_t malformed[] = { H(NS, "t=" TS ",v1=" HEX63) };
    ws_check_t *check;

    (void) state;

    /* before ws_check_headers */
    check = new_check(NOVU, good, COUNT_OF(good));
    assert_int_equal(ws_check_timestamp(check).len, 0);
    assert_result(ws_check_headers(check, NOW_MS, TOL_5M), OK);
    /* the value of t, without the whitespace around its part */
    assert_int_equal(ws_check_timestamp(check).len, strlen(TS));
    assert_memory_equal(ws_check_timestamp(check).data, TS, strlen(TS));
    ws_check_destroy(check);

    /* missing: nothing parsed */
    check = new_check(NOVU, NULL, 0);
    assert_result(ws_check_headers(check, NOW_MS, TOL_5M), MISSING);
    assert_int_equal(ws_check_timestamp(check).len, 0);
    ws_check_destroy(check);

    /* malformed: the header did not parse, so no timestamp */
    check = new_check(NOVU, malformed, COUNT_OF(malformed));
    assert_result(ws_check_headers(check, NOW_MS, TOL_5M), MALFORMED);
    assert_int_equal(ws_check_timestamp(check).len, 0);
    ws_check_destroy(check);
}


int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accepted_forms),
        cmocka_unit_test(test_malformed_novu),
        cmocka_unit_test(test_malformed_notifykit),
        cmocka_unit_test(test_missing),
        cmocka_unit_test(test_header_names_case_insensitive),
        cmocka_unit_test(test_novu_fallback_header),
        cmocka_unit_test(test_novu_signature_wins),
        cmocka_unit_test(test_novu_signature_wins_timestamp),
        cmocka_unit_test(test_auto),
        cmocka_unit_test(test_scheme_of_fixed_configurations),
        cmocka_unit_test(test_missing_before_malformed),
        cmocka_unit_test(test_timestamp_empty_until_parsed),
    };

    return cmocka_run_group_tests_name("parse", tests, NULL, NULL);
}
