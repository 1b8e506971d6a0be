/* SPDX-License-Identifier: BSD-2-Clause */

/*
 * Timestamps: the tolerance window (symmetric, inclusive), seconds vs
 * milliseconds by digit count, WS_TOLERANCE_OFF, huge values, the order
 * malformed -> stale -> no_secret -> mismatch, and ws_check_timestamp().
 *
 * Sources: SPEC.md "The schemes" and "Order of checks"; DESIGN-NOTES.md
 * "Timestamp" (13+ digits = ms compared with the clock in ms; fewer =
 * seconds compared with the clock's whole seconds; |now - t| == tolerance
 * passes; huge values are simply stale).
 *
 * Stale is decided by ws_check_headers itself: every STALE below comes from
 * it, before any secret or body is given to the check.
 */

#include "helpers.h"

#define NS   "Novu-Signature"
#define XWS  "X-Webhook-Signature"
#define XWT  "X-Webhook-Timestamp"


/*
 * ws_check_headers() for a well-formed header carrying timestamp t (a
 * decimal string), under novu or notifykit (then X-Webhook-Timestamp = t).
 */
static ws_result_e headers_for(ws_scheme_e scheme, const char *t,
    int64_t now_ms, int64_t tolerance_ms)
{
    char        sig[128];
    hdr_t       hdrs[2];
    size_t      n = 0;
    ws_check_t *check;
    ws_result_e r;

    snprintf(sig, sizeof(sig), "t=%s,v1=%s", t, SIG_ZERO);
    if (scheme == WS_SCHEME_NOTIFYKIT) {
        hdrs[n++] = hdr_str(XWS, sig);
        hdrs[n++] = hdr_str(XWT, t);
    } else {
        hdrs[n++] = hdr_str(NS, sig);
    }
    check = new_check(scheme, hdrs, n);
    r = ws_check_headers(check, now_ms, tolerance_ms);
    ws_check_destroy(check);
    return r;
}

typedef struct {
    const char   *t;
    int64_t       now_ms;
    int64_t       tolerance_ms;
    ws_result_e   expect;
} ts_case_t;

/* Runs every case under both schemes; prints each failure, fails once. */
static void run_ts_cases(const ts_case_t *cases, size_t n)
{
    static const ws_scheme_e schemes[] = {
        WS_SCHEME_NOVU, WS_SCHEME_NOTIFYKIT
    };
    size_t i, s, failures = 0;

    for (i = 0; i < n; i++) {
        for (s = 0; s < COUNT_OF(schemes); s++) {
            ws_result_e r = headers_for(schemes[s], cases[i].t,
                                        cases[i].now_ms,
                                        cases[i].tolerance_ms);
            if (r == cases[i].expect) {
                continue;
            }
            failures++;
            fprintf(stderr, "FAILED CASE %s t=%s now_ms=%lld tolerance_ms=%lld"
                    " -> %s, expected %s\n", scheme_label(schemes[s]),
                    cases[i].t, (long long) cases[i].now_ms,
                    (long long) cases[i].tolerance_ms, result_label(r),
                    result_label(cases[i].expect));
        }
    }
    if (failures != 0) {
        print_error("%zu timestamp cases failed (listed above)\n", failures);
        fail();
    }
}

#define RUN_TS(cases)  run_ts_cases((cases), COUNT_OF(cases))

#define OK     WS_RESULT_OK
#define STALE  WS_RESULT_STALE
#define OFF    ((int64_t) WS_TOLERANCE_OFF)


static void test_seconds_window(void **state)
{
    static const ts_case_t cases[] = {
        { "1746561234", NOW_MS, TOL_5M, OK },        /* now */
        { "1746560934", NOW_MS, TOL_5M, OK },        /* 300 s in the past */
        { "1746561534", NOW_MS, TOL_5M, OK },        /* 300 s in the future */
        { "1746560933", NOW_MS, TOL_5M, STALE },     /* 301 s in the past */
        { "1746561535", NOW_MS, TOL_5M, STALE },     /* 301 s in the future */
        { "1746561233", NOW_MS, TOL_5M, OK },
        { "0", NOW_MS, TOL_5M, STALE },
        { "1", NOW_MS, TOL_5M, STALE },
        /* a 60 s tolerance */
        { "1746561174", NOW_MS, 60000, OK },
        { "1746561173", NOW_MS, 60000, STALE },
        { "1746561294", NOW_MS, 60000, OK },
        { "1746561295", NOW_MS, 60000, STALE },
        /* tolerance 0: only the same second */
        { "1746561234", NOW_MS, 0, OK },
        { "1746561233", NOW_MS, 0, STALE },
        { "1746561235", NOW_MS, 0, STALE },
    };

    (void) state;
    RUN_TS(cases);
}

static void test_seconds_use_whole_seconds_of_clock(void **state)
{
    /* the clock at 1746561234.999: its whole second is 1746561234 */
    static const ts_case_t cases[] = {
        { "1746561234", NOW_MS + 999, 0, OK },
        { "1746561235", NOW_MS + 999, 0, STALE },
        { "1746560934", NOW_MS + 999, TOL_5M, OK },   /* 300 whole s */
        { "1746561534", NOW_MS + 999, TOL_5M, OK },
        { "1746560933", NOW_MS + 999, TOL_5M, STALE },
        { "1746561535", NOW_MS + 999, TOL_5M, STALE },
        /* a sub-second tolerance against whole seconds: 1 s > 1500 ms? no */
        { "1746561233", NOW_MS, 1500, OK },
        { "1746561235", NOW_MS, 1500, OK },
        { "1746561232", NOW_MS, 1500, STALE },
        { "1746561236", NOW_MS, 1500, STALE },
        { "1746561235", NOW_MS, 999, STALE },
        { "1746561235", NOW_MS, 1000, OK },
    };

    (void) state;
    RUN_TS(cases);
}

static void test_milliseconds_window(void **state)
{
    static const ts_case_t cases[] = {
        { "1746561234000", NOW_MS, TOL_5M, OK },     /* now */
        { "1746560934000", NOW_MS, TOL_5M, OK },     /* 300000 ms past */
        { "1746561534000", NOW_MS, TOL_5M, OK },     /* 300000 ms future */
        { "1746560933999", NOW_MS, TOL_5M, STALE },  /* one ms more, past */
        { "1746561534001", NOW_MS, TOL_5M, STALE },  /* one ms more, future */
        /* compared with the clock in ms, not whole seconds */
        { "1746561234567", NOW_MS + 567, 0, OK },
        { "1746561234566", NOW_MS + 567, 0, STALE },
        { "1746561234568", NOW_MS + 567, 0, STALE },
        { "1746560934567", NOW_MS + 567, TOL_5M, OK },
        { "1746560934566", NOW_MS + 567, TOL_5M, STALE },
        { "1746561534567", NOW_MS + 567, TOL_5M, OK },
        { "1746561534568", NOW_MS + 567, TOL_5M, STALE },
        /* a 1500 ms tolerance */
        { "1746561232500", NOW_MS, 1500, OK },
        { "1746561232499", NOW_MS, 1500, STALE },
        { "1746561235500", NOW_MS, 1500, OK },
        { "1746561235501", NOW_MS, 1500, STALE },
    };

    (void) state;
    RUN_TS(cases);
}

static void test_digit_count_decides_unit(void **state)
{
    static const ts_case_t cases[] = {
        /* 12 digits (leading zeros count): seconds, = now */
        { "001746561234", NOW_MS, TOL_5M, OK },
        /* 13 digits: milliseconds, 1746561234 ms is January 1970 */
        { "0001746561234", NOW_MS, TOL_5M, STALE },
        /* 16 digits with leading zeros: ms, = now */
        { "0001746561234000", NOW_MS, TOL_5M, OK },
        /* the largest 12-digit value is seconds (far future) */
        { "999999999999", NOW_MS, TOL_5M, STALE },
        /* 13-digit now in ms, read as seconds it would be stale */
        { "1746561234000", NOW_MS, TOL_5M, OK },
    };

    (void) state;
    RUN_TS(cases);
}

static void test_tolerance_off(void **state)
{
    static const ts_case_t cases[] = {
        { "0", NOW_MS, OFF, OK },
        { "1", NOW_MS, OFF, OK },
        { "999999999999", NOW_MS, OFF, OK },
        { "1746561234000", NOW_MS, OFF, OK },
        { "0000000000000", NOW_MS, OFF, OK },
        { "9999999999999999999", NOW_MS, OFF, OK },
        { "123456789012345678901234567890", NOW_MS, OFF, OK },
        { "1746561234", 0, OFF, OK },
    };

    (void) state;
    RUN_TS(cases);
}

static void test_huge_timestamps_are_stale(void **state)
{
    static const ts_case_t cases[] = {
        { "123456789012345678901234567890", NOW_MS, TOL_5M, STALE },
        { "999999999999999999999999999999", NOW_MS, TOL_5M, STALE },
        { "9223372036854775807", NOW_MS, TOL_5M, STALE },     /* INT64_MAX */
        { "9223372036854775808", NOW_MS, TOL_5M, STALE },     /* 2^63 */
        { "9999999999999999999", NOW_MS, TOL_5M, STALE },
        { "18446744073709551615", NOW_MS, TOL_5M, STALE },    /* 2^64-1 */
        /* now_ms + 2^63 and now_ms + 2^64: equal to now after wrap-around */
        { "9223373783416009808", NOW_MS, TOL_5M, STALE },
        { "18446745820270785616", NOW_MS, TOL_5M, STALE },
        /* now_ms + 10 * 2^64 */
        { "184467442483656750160", NOW_MS, TOL_5M, STALE },
        /* a 1000-year tolerance does not reach a 30-digit timestamp */
        { "123456789012345678901234567890", NOW_MS,
          INT64_C(31536000000000), STALE },
    };

    (void) state;
    RUN_TS(cases);
}

static void test_huge_timestamp_with_largest_tolerance(void **state)
{
    /*
     * |now - t| for a 30-digit t (about 1.2e29 ms) exceeds any int64_t
     * tolerance, INT64_MAX (about 9.2e18 ms) included.
     */
    static const ts_case_t cases[] = {
        { "123456789012345678901234567890", NOW_MS, INT64_MAX, STALE },
        { "999999999999999999999999999999", NOW_MS, INT64_C(2000000000000000000),
          STALE },
    };

    (void) state;
    RUN_TS(cases);
}

static void test_long_tolerance_past_epoch(void **state)
{
    /* |now - 0| is about 1.7e12 ms: within a tolerance of INT64_MAX */
    static const ts_case_t cases[] = {
        { "0", NOW_MS, INT64_MAX, OK },
        { "0000000000000", NOW_MS, INT64_MAX, OK },
        { "1746561234", NOW_MS, INT64_MAX, OK },
        /* 19 digits below 2^60 (the saturation) are exact: 10^18 ms is
         * within 10^18 + 2e12 of now */
        { "1000000000000000000", NOW_MS, INT64_C(1000002000000000000), OK },
        { "1000000000000000000", NOW_MS, INT64_C(999990000000000000), STALE },
        /* and leading zeros do not count towards them */
        { "0001000000000000000000", NOW_MS, INT64_C(1000002000000000000), OK },
    };

    (void) state;
    RUN_TS(cases);
}


/* ---- order of results --------------------------------------------------- */

static void test_malformed_before_stale(void **state)
{
    /* t=1 would be stale; the header is malformed first */
    const hdr_t bad_v1[] = { H(NS, "t=1,v1=abc") };
    const hdr_t trailing[] = { H(NS, "t=1,v1=" SIG_A1 ",") };
    const hdr_t nk_pair[] = { H(XWS, "t=1,v1=" SIG_A1), H(XWT, "2") };
    const hdr_t nk_lonely[] = { H(XWS, "t=1,v1=" SIG_A1) };
    run_t run;

    (void) state;

    run = run_default(WS_SCHEME_NOVU, bad_v1, COUNT_OF(bad_v1), "", 0);
    assert_result(run.result, WS_RESULT_MALFORMED);
    run = run_default(WS_SCHEME_NOVU, trailing, COUNT_OF(trailing), "", 0);
    assert_result(run.result, WS_RESULT_MALFORMED);
    run = run_default(WS_SCHEME_NOTIFYKIT, nk_pair, COUNT_OF(nk_pair), "", 0);
    assert_result(run.result, WS_RESULT_MALFORMED);
    run = run_default(WS_SCHEME_NOTIFYKIT, nk_lonely, COUNT_OF(nk_lonely),
                      "", 0);
    assert_result(run.result, WS_RESULT_MALFORMED);
}

static void test_stale_decided_by_headers(void **state)
{
    /* a stale request whose signature would even verify */
    const hdr_t hdrs[] = { H(NS, "t=" TS ",v1=" SIG_A1) };
    const hdr_t nk[] = { H(XWS, "t=" TS ",v1=" SIG_A1), H(XWT, TS) };
    static const ws_bytes_t secret = { (const unsigned char *) SECRET, 6 };
    ws_check_t *check;
    ws_bytes_t t;

    (void) state;

    /* the clock 301 s later: stale from ws_check_headers, nothing else run */
    check = new_check(WS_SCHEME_NOVU, hdrs, COUNT_OF(hdrs));
    assert_result(ws_check_headers(check, NOW_MS + 301000, TOL_5M),
                  WS_RESULT_STALE);
    /* the timestamp parsed, and is reported for the log */
    t = ws_check_timestamp(check);
    assert_int_equal(t.len, strlen(TS));
    assert_memory_equal(t.data, TS, strlen(TS));
    assert_int_equal(ws_check_key_index(check), 0);
    ws_check_destroy(check);

    check = new_check(WS_SCHEME_NOTIFYKIT, nk, COUNT_OF(nk));
    assert_result(ws_check_headers(check, NOW_MS - 301000, TOL_5M),
                  WS_RESULT_STALE);
    ws_check_destroy(check);

    /* the same request in time verifies: only the clock made it stale */
    check = new_check(WS_SCHEME_NOVU, hdrs, COUNT_OF(hdrs));
    assert_result(ws_check_headers(check, NOW_MS + 300000, TOL_5M),
                  WS_RESULT_OK);
    assert_result(body_phase(check, &secret, 1, BODY_A1, 7), WS_RESULT_OK);
    ws_check_destroy(check);
}

static void test_stale_before_mismatch_and_no_secret(void **state)
{
    const hdr_t wrong_sig[] = { H(NS, "t=1,v1=" SIG_ZERO) };
    run_t run;

    (void) state;

    /* a wrong signature and no secret at all: still stale */
    run = run_check(WS_SCHEME_NOVU, wrong_sig, COUNT_OF(wrong_sig), NOW_MS,
                    TOL_5M, NULL, 0, BODY_A1, 7);
    assert_result(run.headers_result, WS_RESULT_STALE);
    assert_result(run.result, WS_RESULT_STALE);
}

static void test_missing_before_malformed_before_stale(void **state)
{
    /* only the other scheme's headers, malformed and stale: missing */
    const hdr_t for_novu[] = {
        H("Content-Type", "application/json"), H(XWS, "t=1,v1=zz,"),
        H(XWT, "2")
    };
    const hdr_t for_notifykit[] = { H(NS, "t=1,,v1=zz") };
    run_t run;

    (void) state;

    run = run_check(WS_SCHEME_NOVU, for_novu, COUNT_OF(for_novu), NOW_MS,
                    TOL_5M, NULL, 0, "", 0);
    assert_result(run.result, WS_RESULT_MISSING);
    run = run_check(WS_SCHEME_NOTIFYKIT, for_notifykit,
                    COUNT_OF(for_notifykit), NOW_MS, TOL_5M, NULL, 0, "", 0);
    assert_result(run.result, WS_RESULT_MISSING);
}


/* ---- ws_check_timestamp: exactly as sent -------------------------------- */

static void expect_timestamp(ws_scheme_e scheme, const char *t,
    int64_t tolerance_ms, ws_result_e expect)
{
    char        sig[128];
    hdr_t       hdrs[2];
    size_t      n = 0;
    ws_check_t *check;
    ws_bytes_t  got;

    snprintf(sig, sizeof(sig), "t=%s,v1=%s", t, SIG_ZERO);
    hdrs[n++] = hdr_str(scheme == WS_SCHEME_NOTIFYKIT ? XWS : NS, sig);
    if (scheme == WS_SCHEME_NOTIFYKIT) {
        hdrs[n++] = hdr_str(XWT, t);
    }
    check = new_check(scheme, hdrs, n);
    assert_result(ws_check_headers(check, NOW_MS, tolerance_ms), expect);
    got = ws_check_timestamp(check);
    if (got.len != strlen(t) || memcmp(got.data, t, got.len) != 0) {
        fprintf(stderr, "timestamp ");
        fprint_escaped(stderr, got.data, got.len);
        fprintf(stderr, ", sent \"%s\"\n", t);
        fail();
    }
    ws_check_destroy(check);
}

static void test_timestamp_as_sent(void **state)
{
    (void) state;

    expect_timestamp(WS_SCHEME_NOVU, "1746561234", TOL_5M, OK);
    expect_timestamp(WS_SCHEME_NOVU, "1746561234567", TOL_5M, OK);
    expect_timestamp(WS_SCHEME_NOVU, "001746561234", TOL_5M, OK);
    expect_timestamp(WS_SCHEME_NOVU, "0001746561234000", TOL_5M, OK);
    expect_timestamp(WS_SCHEME_NOVU, "0", OFF, OK);
    expect_timestamp(WS_SCHEME_NOVU, "123456789012345678901234567890", OFF,
                     OK);
    expect_timestamp(WS_SCHEME_NOVU, "123456789012345678901234567890",
                     TOL_5M, STALE);
    expect_timestamp(WS_SCHEME_NOTIFYKIT, "1746561234", TOL_5M, OK);
    expect_timestamp(WS_SCHEME_NOTIFYKIT, "01746561234", TOL_5M, OK);
    expect_timestamp(WS_SCHEME_NOTIFYKIT, "1746561234567", TOL_5M, OK);
    expect_timestamp(WS_SCHEME_AUTO, "1746561234", TOL_5M, OK);
}


int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seconds_window),
        cmocka_unit_test(test_seconds_use_whole_seconds_of_clock),
        cmocka_unit_test(test_milliseconds_window),
        cmocka_unit_test(test_digit_count_decides_unit),
        cmocka_unit_test(test_tolerance_off),
        cmocka_unit_test(test_huge_timestamps_are_stale),
        cmocka_unit_test(test_huge_timestamp_with_largest_tolerance),
        cmocka_unit_test(test_long_tolerance_past_epoch),
        cmocka_unit_test(test_malformed_before_stale),
        cmocka_unit_test(test_stale_decided_by_headers),
        cmocka_unit_test(test_stale_before_mismatch_and_no_secret),
        cmocka_unit_test(test_missing_before_malformed_before_stale),
        cmocka_unit_test(test_timestamp_as_sent),
    };

    return cmocka_run_group_tests_name("timestamp", tests, NULL, NULL);
}
