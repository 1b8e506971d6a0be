/* SPDX-License-Identifier: BSD-2-Clause */

/*
 * The verification core's C API: the only header the nginx glue includes.
 *
 * A check is created per request, given the request's headers one by one,
 * asked to judge what the headers alone decide (missing, malformed, stale),
 * then keyed with the secrets, fed the body chunk by chunk and finished.
 * No function here throws, logs or keeps global mutable state.
 */

#ifndef WEBHOOK_SIGNATURE_H
#define WEBHOOK_SIGNATURE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif


typedef enum {
    WS_SCHEME_OFF = 0,
    WS_SCHEME_NOVU,
    WS_SCHEME_NOTIFYKIT,
    WS_SCHEME_AUTO
} ws_scheme_e;


typedef enum {
    WS_RESULT_NONE = 0,     /* not decided yet */
    WS_RESULT_OK,
    WS_RESULT_MISSING,
    WS_RESULT_MALFORMED,
    WS_RESULT_STALE,
    WS_RESULT_MISMATCH,
    WS_RESULT_NO_SECRET,
    WS_RESULT_ERROR         /* the core itself failed (allocation, OpenSSL) */
} ws_result_e;


/* Tolerance value that disables the timestamp check. */
#define WS_TOLERANCE_OFF  (-1)


typedef struct {
    const unsigned char  *data;
    size_t                len;
} ws_bytes_t;


typedef struct ws_check_s  ws_check_t;
typedef struct ws_key_s    ws_key_t;


/* NULL when memory is exhausted. */
ws_check_t *ws_check_create(ws_scheme_e scheme);
void ws_check_destroy(ws_check_t *check);

/*
 * Offers one request header.  Headers the scheme does not use are ignored;
 * the values are referenced, not copied, and must outlive the check.
 */
void ws_check_add_header(ws_check_t *check, ws_bytes_t name,
    ws_bytes_t value);

/*
 * Decides what the headers alone decide.  WS_RESULT_OK means "go on with the
 * body"; anything else is final.  now_ms is the edge clock in milliseconds
 * since the epoch; tolerance_ms is WS_TOLERANCE_OFF or >= 0.
 */
ws_result_e ws_check_headers(ws_check_t *check, int64_t now_ms,
    int64_t tolerance_ms);

/*
 * Keys one running MAC per secret (used verbatim as key bytes) and feeds
 * the signed prefix.  WS_RESULT_NO_SECRET if there is none or one is empty.
 */
ws_result_e ws_check_begin(ws_check_t *check, const ws_bytes_t *secrets,
    size_t n);

/*
 * A secret keyed once, for a secret known when the configuration loads:
 * checks begun with it skip keying a MAC per request.  The secret is reduced
 * to HMAC's pre-computed SHA-256 states; the caller's bytes may go.  NULL if
 * the secret is empty or memory is exhausted.  A key may serve any number of
 * checks, also at once, and may go as soon as they have begun.
 */
ws_key_t *ws_key_create(ws_bytes_t secret);
void ws_key_destroy(ws_key_t *key);

/*
 * A secret as the glue prepares it when the configuration loads: its bytes,
 * and its key when it is known then (NULL for a secret from a variable,
 * whose value is filled in per request).
 */
typedef struct {
    ws_bytes_t       value;
    const ws_key_t  *key;
} ws_secret_t;

/*
 * As ws_check_begin(), with one array of prepared secrets: where
 * secrets[i].key is not NULL, secrets[i].value is not read (it may be
 * empty).  The array is read during the call only.
 */
ws_result_e ws_check_begin_secrets(ws_check_t *check,
    const ws_secret_t *secrets, size_t n);

/* Feeds body bytes to every running MAC; may be called any number of times. */
ws_result_e ws_check_update(ws_check_t *check, const void *data, size_t len);

/*
 * Finishes the MACs and compares them in constant time with every signature
 * the request carries: WS_RESULT_OK or WS_RESULT_MISMATCH.
 */
ws_result_e ws_check_finish(ws_check_t *check);

/* The scheme that judged the request (auto resolved; novu if none). */
ws_scheme_e ws_check_scheme(const ws_check_t *check);

/* The timestamp exactly as sent, empty until the header parsed. */
ws_bytes_t ws_check_timestamp(const ws_check_t *check);

/* 1-based index of the secret that verified the request, 0 if none. */
size_t ws_check_key_index(const ws_check_t *check);

const char *ws_scheme_name(ws_scheme_e scheme);
const char *ws_result_name(ws_result_e result);

/* The default JSON response body for a failed result, in the scheme's shape. */
const char *ws_error_body(ws_scheme_e scheme, ws_result_e result);


#ifdef __cplusplus
}
#endif

#endif /* WEBHOOK_SIGNATURE_H */
