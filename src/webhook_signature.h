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
    WS_SCHEME_AUTO,
    WS_SCHEME_STRIPE,
    WS_SCHEME_STANDARD_WEBHOOKS,
    WS_SCHEME_SVIX,
    WS_SCHEME_GITHUB,
    WS_SCHEME_GITLAB,
    WS_SCHEME_SLACK,
    WS_SCHEME_SHOPIFY,
    WS_SCHEME_PADDLE,
    WS_SCHEME_CALENDLY,
    WS_SCHEME_ZOOM,
    WS_SCHEME_TWITCH,
    WS_SCHEME_PAGERDUTY,
    WS_SCHEME_SENTRY,
    WS_SCHEME_BITBUCKET,
    WS_SCHEME_JIRA,
    WS_SCHEME_TYPEFORM,
    WS_SCHEME_INTERCOM,
    WS_SCHEME_VERCEL,
    WS_SCHEME_WOOCOMMERCE,
    WS_SCHEME_LINEAR,
    WS_SCHEME_SQUARE,
    WS_SCHEME_HUBSPOT,
    WS_SCHEME_TWILIO,
    WS_SCHEME_DISCORD,
    WS_SCHEME_SENDGRID,
    WS_SCHEME_HMAC          /* the generic HMAC: ws_scheme_hmac_create() */
} ws_scheme_e;


typedef enum {
    WS_RESULT_NONE = 0,     /* not decided yet */
    WS_RESULT_OK,
    WS_RESULT_MISSING,
    WS_RESULT_MALFORMED,
    WS_RESULT_STALE,
    WS_RESULT_MISMATCH,
    WS_RESULT_NO_SECRET,
    WS_RESULT_ERROR,        /* the core itself failed (allocation, OpenSSL) */
    /* decided by the glue's replay zone after WS_RESULT_OK */
    WS_RESULT_REPLAY,       /* a copy of a request already answered 2xx */
    WS_RESULT_INFLIGHT,     /* a copy of a request still in flight */
    WS_RESULT_ZONE_FULL     /* no room to record it (full=closed) */
} ws_result_e;


/* Tolerance value that disables the timestamp check. */
#define WS_TOLERANCE_OFF  (-1)


typedef struct {
    const unsigned char  *data;
    size_t                len;
} ws_bytes_t;


typedef struct ws_check_s  ws_check_t;
typedef struct ws_key_s    ws_key_t;


/*
 * A scheme: a built-in row (the seed schemes, auto and the presets), or the
 * generic HMAC made from webhook_signature_hmac's parameters.
 */
typedef struct ws_scheme_s  ws_scheme_t;

/* The scheme webhook_signature names; -1 if none (off and hmac included). */
int ws_scheme_find(ws_bytes_t name);

/* A built-in scheme; NULL for WS_SCHEME_OFF and WS_SCHEME_HMAC. */
const ws_scheme_t *ws_scheme_get(ws_scheme_e id);

/*
 * The generic HMAC of the raw body: the signature in header (any case),
 * after prefix (may be empty); algorithm "sha1", "sha256" or "sha512" and
 * encoding "hex" or "base64" (empty: sha256, hex).  NULL with *error set to
 * why (a static string naming the parameter) if they cannot work.
 */
ws_scheme_t *ws_scheme_hmac_create(ws_bytes_t header, ws_bytes_t prefix,
    ws_bytes_t algorithm, ws_bytes_t encoding, const char **error);
void ws_scheme_hmac_destroy(ws_scheme_t *scheme);

ws_scheme_e ws_scheme_id(const ws_scheme_t *scheme);

/* The sender's recommended tolerance in ms; WS_TOLERANCE_OFF if it signs
 * no timestamp. */
int64_t ws_scheme_tolerance(const ws_scheme_t *scheme);

/* Whether the signed message includes the URL the sender called. */
int ws_scheme_signs_url(const ws_scheme_t *scheme);

/* Whether a message is signed at all (not for a token: gitlab). */
int ws_scheme_signs_message(const ws_scheme_t *scheme);

/* Whether a delivery id is signed (standard_webhooks, svix, twitch). */
int ws_scheme_signs_delivery_id(const ws_scheme_t *scheme);


/*
 * The lengths of the header names the scheme's checks read, as a bitmask:
 * bit n for a name of n bytes, bit 63 for 63 or more.  A header whose
 * length's bit is clear need not be offered (ws_check_add_header() would
 * ignore it); 0 if the scheme's checks cannot be made.
 */
uint64_t ws_scheme_header_lengths(const ws_scheme_t *scheme);

/*
 * Their first bytes, as a bitmask: bit (c | 0x20) & 63 for a name that
 * begins with c, so that a byte of either case tests its own bit.  A
 * header whose first byte's bit is clear need not be offered either; 0 as
 * above.
 */
uint64_t ws_scheme_header_initials(const ws_scheme_t *scheme);

/*
 * NULL when memory is exhausted.  Checks are made and destroyed by one
 * thread at a time (an nginx worker has one): the memory of destroyed
 * checks is kept for the next ones, process-wide.
 */
ws_check_t *ws_check_create(const ws_scheme_t *scheme);
void ws_check_destroy(ws_check_t *check);

/*
 * The request's method and the URL as the sender called it, for schemes
 * that sign them; referenced, not copied.  Before ws_check_headers().
 */
void ws_check_set_request(ws_check_t *check, ws_bytes_t method,
    ws_bytes_t url);

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
 * Keys one running MAC (or verifier) per secret, decoded as the scheme
 * decodes keys, and feeds the signed prefix.  WS_RESULT_NO_SECRET if there
 * is none, or one is empty or cannot be a key of the scheme.
 */
ws_result_e ws_check_begin(ws_check_t *check, const ws_bytes_t *secrets,
    size_t n);

/*
 * A secret keyed once, for a secret known when the configuration loads:
 * checks of that scheme begun with it skip keying per request.  The secret
 * is decoded as the scheme decodes keys and reduced to HMAC's pre-computed
 * states (or a public key); the caller's bytes may go.  NULL if the secret
 * cannot be a key of the scheme, with *error (if error is not NULL) saying
 * why without quoting it, or if memory is exhausted (*error NULL).  A key
 * may serve any number of checks, also at once, and must outlive them (the
 * glue's keys live as long as the configuration).
 */
ws_key_t *ws_key_create(const ws_scheme_t *scheme, ws_bytes_t secret,
    const char **error);
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

/*
 * Whether the scheme reads the body at all (not for a token compared with
 * the secret): if not, ws_check_finish() follows ws_check_begin*() at once.
 */
int ws_check_needs_body(const ws_check_t *check);

/*
 * A hint, after ws_check_begin*(): the body's length as the request
 * announces it (Content-Length), so that a message kept whole (Ed25519,
 * Twilio's form, Linear) is allocated once rather than grown (up to
 * 64 KiB: the length is the client's word).  Never trusted: more or fewer
 * bytes may come.
 */
void ws_check_expect_body(ws_check_t *check, uint64_t length);

/* Feeds body bytes to every running MAC; may be called any number of times. */
ws_result_e ws_check_update(ws_check_t *check, const void *data, size_t len);

/*
 * Finishes the MACs and compares them in constant time with every signature
 * the request carries: WS_RESULT_OK or WS_RESULT_MISMATCH; for a scheme
 * whose timestamp is in the body (linear), WS_RESULT_MALFORMED or
 * WS_RESULT_STALE when it is absent or outside the tolerance given to
 * ws_check_headers().
 */
ws_result_e ws_check_finish(ws_check_t *check);

/* The scheme that judged the request (auto resolved; novu if none). */
ws_scheme_e ws_check_scheme(const ws_check_t *check);

/* The timestamp exactly as sent, empty until the header parsed. */
ws_bytes_t ws_check_timestamp(const ws_check_t *check);

/* 1-based index of the secret that verified the request, 0 if none. */
size_t ws_check_key_index(const ws_check_t *check);

/*
 * Novu Inbox's subscriberHash: the lowercase hex HMAC-SHA256 of the
 * subscriber id keyed with the secret (verbatim), into out (64 characters,
 * not NUL-terminated).  0 if the secret is empty or OpenSSL fails.
 */
int ws_subscriber_hash(ws_bytes_t secret, ws_bytes_t subscriber_id,
    char out[64]);

/*
 * After WS_RESULT_OK: keys naming what was verified, for replay records,
 * 32 bytes each into out, at most max; returns how many (0 if not
 * verified, or the scheme signs no message: gitlab).  The i-th is the MAC
 * the i-th secret computes over the signed message (its first 32 bytes,
 * zero-padded if shorter), in the order the secrets were given (one key in
 * all for public-key schemes: the message's SHA-256), so that neither which
 * secret or signature matched nor how a signature or (Twilio) the URL is
 * written makes a copy new; a copy recorded under an old secret's key is
 * found by that key while the old secret is still configured.
 */
size_t ws_check_replay_keys(const ws_check_t *check, unsigned char *out,
    size_t max);

/*
 * After WS_RESULT_OK, for a scheme that signs a delivery id: keys naming
 * that id, for replay records kept per event rather than per signature, as
 * ws_check_replay_keys() gives them: the i-th is SHA-256 of the i-th
 * secret's MAC of "id", the scheme name and the id, so that two senders
 * (two secrets) never share an id.  0 otherwise.
 */
size_t ws_check_delivery_keys(const ws_check_t *check, unsigned char *out,
    size_t max);

/* The signed delivery id as sent (standard_webhooks, svix, twitch); empty
 * for other schemes or before the headers parsed. */
ws_bytes_t ws_check_delivery_id(const ws_check_t *check);

const char *ws_scheme_name(ws_scheme_e scheme);
const char *ws_result_name(ws_result_e result);

/* The default JSON response body for a failed result, in the scheme's shape. */
const char *ws_error_body(ws_scheme_e scheme, ws_result_e result);


#ifdef __cplusplus
}
#endif

#endif /* WEBHOOK_SIGNATURE_H */
