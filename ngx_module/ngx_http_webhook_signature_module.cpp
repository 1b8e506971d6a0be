/* SPDX-License-Identifier: BSD-2-Clause */

/*
 * ngx_http_webhook_signature_module: verifies webhook HMAC signatures
 * (Novu's Novu-Signature, NotifyKit's X-Webhook-Signature) before the
 * request reaches an upstream.
 *
 * The check runs in the precontent phase: after nginx's own access checks
 * (allow/deny, auth_basic, auth_request), which are cheaper and decide
 * among themselves under "satisfy", and before try_files and mirror.
 * A request it rejects (or whose check nginx cut short) is never handed to
 * a content handler (proxy_pass, fastcgi_pass, ...) in any location nginx
 * takes it or its subrequests to afterwards: the same handler, which runs
 * in every location, takes the content handler away.
 *
 * The glue only translates: request headers, secrets and body buffers go to
 * the verification core (src/webhook_signature.h), its verdict comes back
 * as a status, a log line and variables.
 */


extern "C" {
#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
}

#include "webhook_signature.h"
#include "ngx_http_webhook_signature_metrics.h"


/* webhook_signature_tolerance off */
#define NGX_HTTP_WEBHOOK_SIGNATURE_NO_TOLERANCE  ((ngx_msec_t) -2)

/* a webhook_signature_secret that is no variable (its index otherwise) */
#define NGX_HTTP_WEBHOOK_SIGNATURE_LITERAL       -1

/* a location with variable secrets: this many secrets on the stack */
#define NGX_HTTP_WEBHOOK_SIGNATURE_STACK_SECRETS  8

/* a secret file larger than this (once stripped) is a mistake, not a key */
#define NGX_HTTP_WEBHOOK_SIGNATURE_MAX_SECRET    65536

/*
 * A body nginx read before the module's turn is hashed in slices of about
 * this much MAC work (bytes times secrets) per event-loop turn, so that one
 * large body keeps no other request on the worker waiting for long.
 */
#define NGX_HTTP_WEBHOOK_SIGNATURE_SLICE         (1024 * 1024)
#define NGX_HTTP_WEBHOOK_SIGNATURE_MIN_SLICE     (64 * 1024)

/*
 * A worker that is shutting down gracefully waits for pending timers, not
 * for posted events: a timer is kept armed while a body is hashed in
 * slices.  Its expiry only hashes the next slice early.
 */
#define NGX_HTTP_WEBHOOK_SIGNATURE_SLICE_HOLD    60000

/*
 * A temp-file slice is hashed front to back in one go: mapping all its
 * pages at once costs one call where faulting them in costs one fault per
 * 64 KiB.
 */
#if (NGX_LINUX && defined MAP_POPULATE)
#define NGX_HTTP_WEBHOOK_SIGNATURE_MAP_FLAGS     MAP_POPULATE
#else
#define NGX_HTTP_WEBHOOK_SIGNATURE_MAP_FLAGS     0
#endif


/* where the main request's body is, as far as the check is concerned */
typedef enum {
    NGX_HTTP_WEBHOOK_SIGNATURE_BODY_UNREAD = 0,
    /* nginx reads it; the body filter hashes each buffer on the way */
    NGX_HTTP_WEBHOOK_SIGNATURE_BODY_READING,
    /* nginx had read it before: hashed in slices between events */
    NGX_HTTP_WEBHOOK_SIGNATURE_BODY_HASHING,
    /* read to its end and judged (ngx_http_webhook_signature_body_done()) */
    NGX_HTTP_WEBHOOK_SIGNATURE_BODY_READ,
    /* nginx gave up on it (e.g. 413) while the module waited for it */
    NGX_HTTP_WEBHOOK_SIGNATURE_BODY_LOST
} ngx_http_webhook_signature_body_e;


/*
 * Replay rejection (webhook_signature_replay_zone, webhook_signature_replay):
 * a verified request is recorded in a shared zone, pending while it is in
 * flight, done once it was answered 2xx; a record whose request ended
 * otherwise is dropped, so the sender's own retry passes.
 */

#define NGX_HTTP_WEBHOOK_SIGNATURE_REPLAY_PENDING  0
#define NGX_HTTP_WEBHOOK_SIGNATURE_REPLAY_DONE     1

#define NGX_HTTP_WEBHOOK_SIGNATURE_REPLAY_MAC      0
#define NGX_HTTP_WEBHOOK_SIGNATURE_REPLAY_ID       1

#define NGX_HTTP_WEBHOOK_SIGNATURE_REPLAY_CLOSED   0
#define NGX_HTTP_WEBHOOK_SIGNATURE_REPLAY_OPEN     1

#define NGX_HTTP_WEBHOOK_SIGNATURE_REPLAY_KEY      32

/* record lifetimes one zone can have, each with its own expiry queue */
#define NGX_HTTP_WEBHOOK_SIGNATURE_REPLAY_LIFETIMES  8


/* a record: inside an ngx_rbtree_node_t, from its color field on */
typedef struct {
    u_char                      color;
    u_char                      state;
    u_char                      dummy[2];
    /* which insertion this is: a request resolves only its own record */
    uint32_t                    serial;
    ngx_queue_t                 queue;
    ngx_msec_t                  expire;
    u_char                      key[NGX_HTTP_WEBHOOK_SIGNATURE_REPLAY_KEY];
} ngx_http_webhook_signature_replay_node_t;


typedef struct {
    ngx_rbtree_t                rbtree;
    ngx_rbtree_node_t           sentinel;
    /*
     * One per lifetime, newest at the head: in each, insertion order is
     * expiry order, so expiry walks each from its tail and stops at the
     * first live record.  (After a reload that changed a zone's lifetimes
     * a queue mixes two for one lifetime's while.)
     */
    ngx_queue_t                 queues[NGX_HTTP_WEBHOOK_SIGNATURE_REPLAY_LIFETIMES];
    uint32_t                    serial;
    ngx_uint_t                  pending;
    ngx_uint_t                  done;
    time_t                      full_logged;
    time_t                      swept;
} ngx_http_webhook_signature_replay_shctx_t;


/* a webhook_signature_replay_zone */
typedef struct {
    ngx_http_webhook_signature_replay_shctx_t  *sh;
    ngx_slab_pool_t            *shpool;
    ngx_str_t                   name;
    ngx_msec_t                  ttl;        /* NGX_CONF_UNSET_MSEC: none */
    ngx_uint_t                  full;
    /* the lifetimes of the locations that record here, by queue */
    ngx_msec_t                  lifetimes[NGX_HTTP_WEBHOOK_SIGNATURE_REPLAY_LIFETIMES];
    ngx_uint_t                  nlifetimes;
} ngx_http_webhook_signature_replay_zone_t;


/* a webhook_signature_replay */
typedef struct {
    ngx_shm_zone_t             *shm_zone;
    ngx_uint_t                  key;
    ngx_int_t                   duplicate;  /* NGX_CONF_UNSET: by key= */
    ngx_int_t                   inflight;
} ngx_http_webhook_signature_replay_t;


/* the record a request holds until it ends, in its pool cleanup */
typedef struct {
    ngx_http_request_t         *request;
    ngx_http_webhook_signature_replay_zone_t  *zone;
    uint32_t                    serial;
    /* by the response header; else when the request's pool goes */
    unsigned                    resolved:1;
    u_char                      key[NGX_HTTP_WEBHOOK_SIGNATURE_REPLAY_KEY];
} ngx_http_webhook_signature_replay_hold_t;


/* a webhook_signature_secret as configured, before a scheme keys it */
typedef struct {
    ngx_str_t                   value;      /* empty for a variable */
    ngx_int_t                   variable;   /* its index; or a literal */
    /* where it was configured: a key that cannot work is reported there */
    ngx_str_t                   file;
    ngx_uint_t                  line;
} ngx_http_webhook_signature_source_t;


typedef struct {
    ngx_uint_t                  scheme;     /* ws_scheme_e */
    /* the scheme's row, or webhook_signature_hmac's; NULL for off */
    const ws_scheme_t          *row;
    /* the lengths and first bytes of the header names it reads
     * (ws_scheme_header_lengths(), ws_scheme_header_initials()) */
    uint64_t                    header_lengths;
    uint64_t                    header_initials;
    ws_scheme_t                *hmac;
    ngx_array_t                *sources;    /* of ..._source_t */
    /*
     * Prepared when the configuration loads, for this location's scheme,
     * handed to the core as is: a literal, file= or env= secret is keyed
     * once here, because keying a MAC costs more than hashing a small
     * body.  Shared with the enclosing level when both key alike.
     */
    ngx_array_t                *secrets;    /* of ws_secret_t */
    /* parallel to secrets, NULL where known; NULL if none has a variable */
    ngx_array_t                *variables;  /* of ngx_int_t (indexes) */
    ngx_http_complex_value_t   *url;
    /* Novu Inbox: whose subscriberHash $webhook_signature_subscriber_hash is */
    ngx_http_complex_value_t   *subscriber_id;
    /* as set (NGX_CONF_UNSET_MSEC: the scheme's own), and as applied */
    ngx_msec_t                  tolerance;
    int64_t                     tolerance_ms;
    ngx_uint_t                  mode;
    ngx_int_t                   status;
    ngx_uint_t                  log_level;
    ngx_http_webhook_signature_replay_t  *replay;    /* NULL: off */
    /* how long this location's records live, and their expiry queue */
    ngx_msec_t                  replay_lifetime;
    ngx_uint_t                  replay_queue;
} ngx_http_webhook_signature_loc_conf_t;


/*
 * One per main request.  It outlives internal redirects (which zero r->ctx)
 * because it is also reachable through its request pool cleanup; only
 * ngx_http_webhook_signature_get_ctx() looks for it there.
 */
typedef struct {
    ws_check_t                 *check;
    ws_result_e                 result;     /* WS_RESULT_NONE: not decided */
    ngx_http_webhook_signature_body_e  body;
    /* the status the request was rejected with; 0: not rejected */
    ngx_uint_t                  rejected;
    /* verified, not recorded, forwarded all the same (full=open) */
    unsigned                    unrecorded:1;
    size_t                      nsecrets;
    /* the body filter hashes the body as nginx reads it */
    unsigned                    hash_in_filter:1;
    unsigned                    hash_failed:1;
    off_t                       hashed;     /* body bytes hashed */
    /* the next slice of a body read before: its buffer and offset in it */
    ngx_chain_t                *slice;
    off_t                       slice_offset;
    /* the slices' turns: NULL but for a body read before the module's */
    ngx_event_t                *slice_event;
} ngx_http_webhook_signature_ctx_t;


static ngx_int_t ngx_http_webhook_signature_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_webhook_signature_verdict(ngx_http_request_t *r,
    ngx_http_webhook_signature_loc_conf_t *wlcf,
    ngx_http_webhook_signature_ctx_t *ctx);
static ngx_int_t ngx_http_webhook_signature_start(ngx_http_request_t *r,
    ngx_http_webhook_signature_loc_conf_t *wlcf);
static ngx_http_webhook_signature_ctx_t *ngx_http_webhook_signature_create_ctx(
    ngx_http_request_t *r, ngx_http_webhook_signature_loc_conf_t *wlcf);
static ngx_http_webhook_signature_ctx_t *ngx_http_webhook_signature_get_ctx(
    ngx_http_request_t *r);
static void ngx_http_webhook_signature_cleanup(void *data);
static ws_result_e ngx_http_webhook_signature_check_headers(
    ngx_http_request_t *r, ngx_http_webhook_signature_loc_conf_t *wlcf,
    ngx_http_webhook_signature_ctx_t *ctx);
static ws_result_e ngx_http_webhook_signature_begin(ngx_http_request_t *r,
    ngx_http_webhook_signature_loc_conf_t *wlcf,
    ngx_http_webhook_signature_ctx_t *ctx);
static void ngx_http_webhook_signature_body_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_webhook_signature_body_filter(ngx_http_request_t *r,
    ngx_chain_t *in);
static void ngx_http_webhook_signature_slice_handler(ngx_event_t *ev);
static void ngx_http_webhook_signature_hash_slice(ngx_http_request_t *r,
    ngx_http_webhook_signature_ctx_t *ctx);
static void ngx_http_webhook_signature_stop_slices(
    ngx_http_webhook_signature_ctx_t *ctx);
static ws_result_e ngx_http_webhook_signature_hash_file(ngx_http_request_t *r,
    ngx_http_webhook_signature_ctx_t *ctx, ngx_buf_t *b, off_t offset,
    size_t size);
static void ngx_http_webhook_signature_body_done(ngx_http_request_t *r,
    ngx_http_webhook_signature_ctx_t *ctx);
static ws_result_e ngx_http_webhook_signature_verify_body(
    ngx_http_request_t *r, ngx_http_webhook_signature_ctx_t *ctx);
static ngx_flag_t ngx_http_webhook_signature_body_complete(
    ngx_http_request_t *r, off_t hashed);
static ngx_int_t ngx_http_webhook_signature_decide(ngx_http_request_t *r,
    ngx_http_webhook_signature_loc_conf_t *wlcf,
    ngx_http_webhook_signature_ctx_t *ctx, ws_result_e result);
static ngx_int_t ngx_http_webhook_signature_reject(ngx_http_request_t *r,
    ngx_http_webhook_signature_ctx_t *ctx, ngx_uint_t status);
static ngx_flag_t ngx_http_webhook_signature_has_error_page(
    ngx_http_request_t *r, ngx_uint_t status);
static ngx_int_t ngx_http_webhook_signature_check(ngx_http_request_t *r,
    ngx_http_webhook_signature_loc_conf_t *wlcf,
    ngx_http_webhook_signature_ctx_t *ctx);
static ngx_flag_t ngx_http_webhook_signature_blocked(
    ngx_http_webhook_signature_ctx_t *ctx);
static void ngx_http_webhook_signature_keep_from_content(
    ngx_http_request_t *r);
static ngx_int_t ngx_http_webhook_signature_refuse(ngx_http_request_t *r);

static ngx_int_t ngx_http_webhook_signature_result_variable(
    ngx_http_request_t *r, ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_webhook_signature_timestamp_variable(
    ngx_http_request_t *r, ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_webhook_signature_key_variable(
    ngx_http_request_t *r, ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_webhook_signature_subscriber_hash_variable(
    ngx_http_request_t *r, ngx_http_variable_value_t *v, uintptr_t data);
static ngx_http_webhook_signature_ctx_t *
    ngx_http_webhook_signature_decided_ctx(ngx_http_request_t *r);
static void ngx_http_webhook_signature_set_variable(
    ngx_http_variable_value_t *v, u_char *data, size_t len);

static char *ngx_http_webhook_signature_secret(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static ngx_int_t ngx_http_webhook_signature_secret_variable(ngx_conf_t *cf,
    ngx_str_t *value, ngx_int_t *index);
static ngx_int_t ngx_http_webhook_signature_variable_secret(
    ngx_http_request_t *r, ngx_int_t index, ngx_str_t *value);
static ngx_flag_t ngx_http_webhook_signature_name_char(u_char c,
    ngx_flag_t first);
static ngx_int_t ngx_http_webhook_signature_read_secret_file(ngx_conf_t *cf,
    ngx_str_t *path, ngx_str_t *secret);
static ngx_int_t ngx_http_webhook_signature_read_secret_env(ngx_conf_t *cf,
    ngx_str_t *name, ngx_str_t *secret);
static ngx_int_t ngx_http_webhook_signature_prepare_secrets(ngx_conf_t *cf,
    ngx_http_webhook_signature_loc_conf_t *conf,
    ngx_http_webhook_signature_loc_conf_t *prev);
static void ngx_http_webhook_signature_destroy_key(void *data);
static char *ngx_http_webhook_signature_scheme(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_webhook_signature_hmac(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static void ngx_http_webhook_signature_destroy_hmac(void *data);
static char *ngx_http_webhook_signature_url(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static ngx_int_t ngx_http_webhook_signature_compile_value(ngx_conf_t *cf,
    ngx_str_t *value, ngx_http_complex_value_t **cv);
static char *ngx_http_webhook_signature_tolerance(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_webhook_signature_set_enum(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_webhook_signature_check_status(ngx_conf_t *cf,
    void *post, void *data);
static void *ngx_http_webhook_signature_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_webhook_signature_merge_loc_conf(ngx_conf_t *cf,
    void *parent, void *child);
static ngx_int_t ngx_http_webhook_signature_add_variables(ngx_conf_t *cf);
static ngx_int_t ngx_http_webhook_signature_init(ngx_conf_t *cf);

static ws_result_e ngx_http_webhook_signature_replay_check(
    ngx_http_request_t *r, ngx_http_webhook_signature_loc_conf_t *wlcf,
    ngx_http_webhook_signature_ctx_t *ctx);
static ngx_int_t ngx_http_webhook_signature_replay_reject(
    ngx_http_request_t *r, ngx_http_webhook_signature_loc_conf_t *wlcf,
    ngx_http_webhook_signature_ctx_t *ctx, ws_result_e result);
static ngx_flag_t ngx_http_webhook_signature_replay_held(
    ngx_http_request_t *r, ngx_http_webhook_signature_replay_t *rp);
static ngx_http_webhook_signature_replay_node_t *
    ngx_http_webhook_signature_replay_lookup(
    ngx_http_webhook_signature_replay_zone_t *zone, u_char *key);
static void ngx_http_webhook_signature_replay_insert_value(
    ngx_rbtree_node_t *temp, ngx_rbtree_node_t *node,
    ngx_rbtree_node_t *sentinel);
static void ngx_http_webhook_signature_replay_expire(
    ngx_http_webhook_signature_replay_zone_t *zone, ngx_uint_t n);
static void ngx_http_webhook_signature_replay_sweep(
    ngx_http_webhook_signature_replay_zone_t *zone);
static void ngx_http_webhook_signature_replay_delete(
    ngx_http_webhook_signature_replay_zone_t *zone,
    ngx_http_webhook_signature_replay_node_t *node);
static void ngx_http_webhook_signature_replay_cleanup(void *data);
static void ngx_http_webhook_signature_replay_resolve(
    ngx_http_webhook_signature_replay_hold_t *hold, ngx_uint_t status);
static ngx_int_t ngx_http_webhook_signature_replay_header_filter(
    ngx_http_request_t *r);
static ngx_int_t ngx_http_webhook_signature_replay_init(ngx_conf_t *cf);
static char *ngx_http_webhook_signature_replay_zone(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static void ngx_http_webhook_signature_replay_carry(ngx_shm_zone_t *shm_zone,
    ngx_http_webhook_signature_replay_zone_t *zone);
static ngx_int_t ngx_http_webhook_signature_replay_init_zone(
    ngx_shm_zone_t *shm_zone, void *data);
static char *ngx_http_webhook_signature_replay(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_webhook_signature_replay_merge(ngx_conf_t *cf,
    ngx_http_webhook_signature_loc_conf_t *conf,
    ngx_http_webhook_signature_loc_conf_t *prev);


extern "C" {
extern ngx_module_t  ngx_http_webhook_signature_module;
}


static ngx_conf_enum_t  ngx_http_webhook_signature_modes[] = {
    { ngx_string("enforce"), NGX_HTTP_WEBHOOK_SIGNATURE_ENFORCE },
    { ngx_string("report"), NGX_HTTP_WEBHOOK_SIGNATURE_REPORT },
    { ngx_null_string, 0 }
};


static ngx_conf_enum_t  ngx_http_webhook_signature_log_levels[] = {
    { ngx_string("info"), NGX_LOG_INFO },
    { ngx_string("notice"), NGX_LOG_NOTICE },
    { ngx_string("warn"), NGX_LOG_WARN },
    { ngx_string("error"), NGX_LOG_ERR },
    { ngx_null_string, 0 }
};


static ngx_conf_post_t  ngx_http_webhook_signature_status_post = {
    ngx_http_webhook_signature_check_status
};


static ngx_command_t  ngx_http_webhook_signature_commands[] = {

    { ngx_string("webhook_signature"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_webhook_signature_scheme,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("webhook_signature_hmac"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_webhook_signature_hmac,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("webhook_signature_url"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_webhook_signature_url,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("webhook_signature_subscriber_id"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_set_complex_value_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_webhook_signature_loc_conf_t, subscriber_id),
      NULL },

    { ngx_string("webhook_signature_secret"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_webhook_signature_secret,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("webhook_signature_tolerance"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_webhook_signature_tolerance,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_webhook_signature_loc_conf_t, tolerance),
      NULL },

    { ngx_string("webhook_signature_mode"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_webhook_signature_set_enum,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_webhook_signature_loc_conf_t, mode),
      &ngx_http_webhook_signature_modes },

    { ngx_string("webhook_signature_status"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_webhook_signature_loc_conf_t, status),
      &ngx_http_webhook_signature_status_post },

    { ngx_string("webhook_signature_log_level"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_webhook_signature_set_enum,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_webhook_signature_loc_conf_t, log_level),
      &ngx_http_webhook_signature_log_levels },

    /* replay rejection */

    { ngx_string("webhook_signature_replay_zone"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_1MORE,
      ngx_http_webhook_signature_replay_zone,
      0,
      0,
      NULL },

    { ngx_string("webhook_signature_replay"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_webhook_signature_replay,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_webhook_signature_module_ctx = {
    ngx_http_webhook_signature_add_variables,    /* preconfiguration */
    ngx_http_webhook_signature_init,             /* postconfiguration */

    NULL,                                        /* create main configuration */
    NULL,                                        /* init main configuration */

    NULL,                                        /* create server configuration */
    NULL,                                        /* merge server configuration */

    ngx_http_webhook_signature_create_loc_conf,  /* create location configuration */
    ngx_http_webhook_signature_merge_loc_conf    /* merge location configuration */
};


ngx_module_t  ngx_http_webhook_signature_module = {
    NGX_MODULE_V1,
    &ngx_http_webhook_signature_module_ctx,      /* module context */
    ngx_http_webhook_signature_commands,         /* module directives */
    NGX_HTTP_MODULE,                             /* module type */
    NULL,                                        /* init master */
    NULL,                                        /* init module */
    NULL,                                        /* init process */
    NULL,                                        /* init thread */
    NULL,                                        /* exit thread */
    NULL,                                        /* exit process */
    NULL,                                        /* exit master */
    NGX_MODULE_V1_PADDING
};


/*
 * The replay records this worker's requests hold pending (a pool cleanup
 * each): while there are none, responses need not look for theirs.
 */
static ngx_uint_t  ngx_http_webhook_signature_replay_holds;

static ngx_http_request_body_filter_pt  ngx_http_webhook_signature_next_body_filter;
static ngx_http_output_header_filter_pt
    ngx_http_webhook_signature_next_header_filter;


static ngx_http_variable_t  ngx_http_webhook_signature_vars[] = {

    { ngx_string("webhook_signature_result"), NULL,
      ngx_http_webhook_signature_result_variable, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("webhook_signature_timestamp"), NULL,
      ngx_http_webhook_signature_timestamp_variable, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("webhook_signature_key"), NULL,
      ngx_http_webhook_signature_key_variable, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("webhook_signature_subscriber_hash"), NULL,
      ngx_http_webhook_signature_subscriber_hash_variable, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

      ngx_http_null_variable
};


/*
 * The precontent handler runs in every location, for every request and
 * subrequest.  In a protected location it checks the main request: on
 * entry (the body handler judges the body in its place, then the phases
 * go on after it), and again in any location an internal redirect leads
 * to.  Wherever it runs, a request whose main request did not pass gets no
 * content handler.
 */

static ngx_int_t
ngx_http_webhook_signature_handler(ngx_http_request_t *r)
{
    ngx_int_t                               rc;
    ngx_http_webhook_signature_ctx_t       *ctx;
    ngx_http_webhook_signature_loc_conf_t  *wlcf;

    wlcf = static_cast<ngx_http_webhook_signature_loc_conf_t *>(
               ngx_http_get_module_loc_conf(r,
                                          ngx_http_webhook_signature_module));

    ctx = ngx_http_webhook_signature_get_ctx(r->main);

    /* subrequests (auth_request, SSI, mirror) are never checked */

    if (wlcf->scheme != WS_SCHEME_OFF && r == r->main) {
        rc = ngx_http_webhook_signature_check(r, wlcf, ctx);

        if (rc != NGX_DECLINED) {
            return rc;
        }

        ctx = ngx_http_webhook_signature_get_ctx(r);
    }

    if (ctx != NULL && ngx_http_webhook_signature_blocked(ctx)) {
        ngx_http_webhook_signature_keep_from_content(r);
    }

    return NGX_DECLINED;
}


static ngx_int_t
ngx_http_webhook_signature_check(ngx_http_request_t *r,
    ngx_http_webhook_signature_loc_conf_t *wlcf,
    ngx_http_webhook_signature_ctx_t *ctx)
{
    if (ctx == NULL) {
        return ngx_http_webhook_signature_start(r, wlcf);
    }

    if (ctx->result != WS_RESULT_NONE) {
        return ngx_http_webhook_signature_verdict(r, wlcf, ctx);
    }

    /*
     * A body read to its end was judged where its reading ended
     * (ngx_http_webhook_signature_body_done()); one nginx gave up on is
     * judged here, as not verified.
     */

    if (ctx->body == NGX_HTTP_WEBHOOK_SIGNATURE_BODY_LOST) {
        return ngx_http_webhook_signature_decide(r, wlcf, ctx,
                          ngx_http_webhook_signature_verify_body(r, ctx));
    }

    /* the body handler or the slice handler judges and resumes */

    return NGX_DONE;
}


/*
 * A verdict stands for the whole main request, across internal redirects.
 * A rejected request is on its way to its error page, which is served (the
 * content guard keeps it from any upstream); a failure let through by a
 * report-only location is enforced by the first enforcing location the
 * request is redirected into; a verified request redirected into a
 * location whose replay zone does not hold it yet (try_files, error_page,
 * a named location) is looked up and recorded there.
 */

static ngx_int_t
ngx_http_webhook_signature_verdict(ngx_http_request_t *r,
    ngx_http_webhook_signature_loc_conf_t *wlcf,
    ngx_http_webhook_signature_ctx_t *ctx)
{
    ws_result_e  result;

    if (ctx->result == WS_RESULT_OK) {
        if (wlcf->replay == NULL
            || ngx_http_webhook_signature_replay_held(r, wlcf->replay))
        {
            return NGX_DECLINED;
        }

        /* counted as ok where it was verified; counted again if refused */

        result = ngx_http_webhook_signature_replay_check(r, wlcf, ctx);

        if (result == WS_RESULT_OK) {
            return NGX_DECLINED;
        }

        return ngx_http_webhook_signature_decide(r, wlcf, ctx, result);
    }

    if (ctx->unrecorded || ctx->rejected
        || wlcf->mode == NGX_HTTP_WEBHOOK_SIGNATURE_REPORT)
    {
        return NGX_DECLINED;
    }

    return ngx_http_webhook_signature_decide(r, wlcf, ctx, ctx->result);
}


static ngx_int_t
ngx_http_webhook_signature_start(ngx_http_request_t *r,
    ngx_http_webhook_signature_loc_conf_t *wlcf)
{
    ngx_int_t                          rc;
    ws_result_e                        result;
    ngx_http_webhook_signature_ctx_t  *ctx;

    ctx = ngx_http_webhook_signature_create_ctx(r, wlcf);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "webhook signature check started (scheme: %s)",
                   ws_scheme_name(static_cast<ws_scheme_e>(wlcf->scheme)));

    /* what the headers decide is answered before any body is read */

    result = ngx_http_webhook_signature_check_headers(r, wlcf, ctx);

    if (result == WS_RESULT_OK) {
        result = ngx_http_webhook_signature_begin(r, wlcf, ctx);
    }

    /* a token compared with the secret (gitlab) is judged without a body */

    if (result == WS_RESULT_OK && !ws_check_needs_body(ctx->check)) {
        result = ws_check_finish(ctx->check);
    }

    if (result != WS_RESULT_OK || !ws_check_needs_body(ctx->check)) {
        return ngx_http_webhook_signature_decide(r, wlcf, ctx, result);
    }

    if (r->headers_in.content_length_n > 0) {
        ws_check_expect_body(ctx->check,
                             (uint64_t) r->headers_in.content_length_n);
    }

    /*
     * Unless nginx read the body before this phase (it then hands it over
     * whole, to be hashed in slices), the body filter hashes each buffer as
     * nginx reads it, while it is still in the CPU cache, and before a
     * large body goes to a temp file.
     */

    ctx->hash_in_filter = (r->request_body == NULL);
    ctx->body = NGX_HTTP_WEBHOOK_SIGNATURE_BODY_READING;

    rc = ngx_http_read_client_request_body(r,
                                     ngx_http_webhook_signature_body_handler);
    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    /* the body handler resumes the phases, possibly already done above */

    ngx_http_finalize_request(r, NGX_DONE);
    return NGX_DONE;
}


static ngx_http_webhook_signature_ctx_t *
ngx_http_webhook_signature_create_ctx(ngx_http_request_t *r,
    ngx_http_webhook_signature_loc_conf_t *wlcf)
{
    ngx_str_t                          url;
    ngx_pool_cleanup_t                *cln;
    ngx_http_webhook_signature_ctx_t  *ctx;

    cln = ngx_pool_cleanup_add(r->pool,
                               sizeof(ngx_http_webhook_signature_ctx_t));
    if (cln == NULL) {
        return NULL;
    }

    ctx = static_cast<ngx_http_webhook_signature_ctx_t *>(cln->data);
    ngx_memzero(ctx, sizeof(ngx_http_webhook_signature_ctx_t));

    ctx->check = ws_check_create(wlcf->row);
    if (ctx->check == NULL) {
        return NULL;
    }

    if (ws_scheme_signs_url(wlcf->row)) {
        if (ngx_http_complex_value(r, wlcf->url, &url) != NGX_OK) {
            return NULL;
        }

        ws_check_set_request(ctx->check,
                             { r->method_name.data, r->method_name.len },
                             { url.data, url.len });
    }

    cln->handler = ngx_http_webhook_signature_cleanup;

    ngx_http_set_ctx(r, ctx, ngx_http_webhook_signature_module);

    return ctx;
}


/*
 * The request's context, restored from its pool cleanup after r->ctx was
 * zeroed (an internal redirect, a named location, a filter finalizing the
 * request).
 * A body still being read then was given up by nginx (e.g. a 413 while
 * reading, then error_page): the read will not complete.
 */

static ngx_http_webhook_signature_ctx_t *
ngx_http_webhook_signature_get_ctx(ngx_http_request_t *r)
{
    ngx_pool_cleanup_t                *cln;
    ngx_http_webhook_signature_ctx_t  *ctx;

    ctx = static_cast<ngx_http_webhook_signature_ctx_t *>(
              ngx_http_get_module_ctx(r, ngx_http_webhook_signature_module));

    if (ctx != NULL) {
        return ctx;
    }

    for (cln = r->pool->cleanup; cln; cln = cln->next) {
        if (cln->handler == ngx_http_webhook_signature_cleanup) {
            break;
        }
    }

    if (cln == NULL) {
        return NULL;
    }

    ctx = static_cast<ngx_http_webhook_signature_ctx_t *>(cln->data);

    ngx_http_set_ctx(r, ctx, ngx_http_webhook_signature_module);

    if (ctx->body == NGX_HTTP_WEBHOOK_SIGNATURE_BODY_READING) {
        ctx->body = NGX_HTTP_WEBHOOK_SIGNATURE_BODY_LOST;
    }

    return ctx;
}


static void
ngx_http_webhook_signature_cleanup(void *data)
{
    ngx_http_webhook_signature_ctx_t *ctx =
        static_cast<ngx_http_webhook_signature_ctx_t *>(data);

    if (ctx->slice_event != NULL) {
        if (ctx->slice_event->posted) {
            ngx_delete_posted_event(ctx->slice_event);
        }

        ngx_http_webhook_signature_stop_slices(ctx);
    }

    ws_check_destroy(ctx->check);
}


static ws_result_e
ngx_http_webhook_signature_check_headers(ngx_http_request_t *r,
    ngx_http_webhook_signature_loc_conf_t *wlcf,
    ngx_http_webhook_signature_ctx_t *ctx)
{
    u_char           *name;
    int64_t           now_ms;
    ngx_uint_t        i;
    ngx_time_t       *tp;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    part = &r->headers_in.headers.part;
    h = static_cast<ngx_table_elt_t *>(part->elts);

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = static_cast<ngx_table_elt_t *>(part->elts);
            i = 0;
        }

        /* most headers are passed over on their name's length alone, most
         * others on its first byte */

        if (!(wlcf->header_lengths >> ngx_min(h[i].key.len, 63) & 1)) {
            continue;
        }

        /* the lowercased name compares quickest; a header another module
         * added may lack it */

        name = h[i].lowcase_key ? h[i].lowcase_key : h[i].key.data;

        /* (no watched name is empty: a name that passed has a byte) */

        if (!(wlcf->header_initials >> ((name[0] | 0x20) & 63) & 1)) {
            continue;
        }

        ws_check_add_header(ctx->check, { name, h[i].key.len },
                            { h[i].value.data, h[i].value.len });
    }

    tp = ngx_timeofday();
    now_ms = (int64_t) tp->sec * 1000 + tp->msec;

    return ws_check_headers(ctx->check, now_ms, wlcf->tolerance_ms);
}


/*
 * Secrets known when the configuration loaded go to the core as prepared
 * then; only a location with a variable secret copies the array to fill
 * in this request's values.
 */

static ws_result_e
ngx_http_webhook_signature_begin(ngx_http_request_t *r,
    ngx_http_webhook_signature_loc_conf_t *wlcf,
    ngx_http_webhook_signature_ctx_t *ctx)
{
    ngx_int_t    *variables;
    ngx_str_t     value;
    ngx_uint_t    i, n;
    ws_secret_t  *secrets, *configured;
    ws_secret_t   on_stack[NGX_HTTP_WEBHOOK_SIGNATURE_STACK_SECRETS];

    n = wlcf->secrets->nelts;
    configured = static_cast<ws_secret_t *>(wlcf->secrets->elts);
    ctx->nsecrets = n;

    if (wlcf->variables == NULL) {
        return ws_check_begin_secrets(ctx->check, configured, n);
    }

    /* the core keys the secrets before this returns: a few fit here */
    if (n <= NGX_HTTP_WEBHOOK_SIGNATURE_STACK_SECRETS) {
        secrets = on_stack;

    } else {
        secrets = static_cast<ws_secret_t *>(
                      ngx_palloc(r->pool, n * sizeof(ws_secret_t)));
        if (secrets == NULL) {
            return WS_RESULT_ERROR;
        }
    }

    variables = static_cast<ngx_int_t *>(wlcf->variables->elts);

    for (i = 0; i < n; i++) {
        secrets[i] = configured[i];

        if (variables[i] == NGX_HTTP_WEBHOOK_SIGNATURE_LITERAL) {
            continue;
        }

        if (ngx_http_webhook_signature_variable_secret(r, variables[i], &value)
            != NGX_OK)
        {
            return WS_RESULT_ERROR;
        }

        secrets[i].value.data = value.data;
        secrets[i].value.len = value.len;
    }

    return ws_check_begin_secrets(ctx->check, secrets, n);
}


/* a secret from a variable, as this request has it: empty if not found */

static ngx_int_t
ngx_http_webhook_signature_variable_secret(ngx_http_request_t *r,
    ngx_int_t index, ngx_str_t *value)
{
    ngx_http_variable_value_t  *vv;

    vv = ngx_http_get_flushed_variable(r, index);
    if (vv == NULL) {
        return NGX_ERROR;
    }

    if (vv->not_found) {
        ngx_str_null(value);
        return NGX_OK;
    }

    value->data = vv->data;
    value->len = vv->len;

    return NGX_OK;
}


/*
 * nginx has the whole body.  Hashed by the body filter on the way, it is
 * judged now; read before the module's turn, it is hashed first, in
 * slices.
 */

static void
ngx_http_webhook_signature_body_handler(ngx_http_request_t *r)
{
    ngx_http_webhook_signature_ctx_t  *ctx;

    ctx = ngx_http_webhook_signature_get_ctx(r);
    if (ctx == NULL || ctx->body != NGX_HTTP_WEBHOOK_SIGNATURE_BODY_READING) {
        return;
    }

    if (ctx->hash_in_filter) {
        ngx_http_webhook_signature_body_done(r, ctx);
        return;
    }

    ctx->slice_event = static_cast<ngx_event_t *>(
                           ngx_pcalloc(r->pool, sizeof(ngx_event_t)));
    if (ctx->slice_event == NULL) {
        ctx->hash_failed = 1;
        ngx_http_webhook_signature_body_done(r, ctx);
        return;
    }

    ctx->body = NGX_HTTP_WEBHOOK_SIGNATURE_BODY_HASHING;
    ctx->slice = r->request_body->bufs;

    ctx->slice_event->handler = ngx_http_webhook_signature_slice_handler;
    ctx->slice_event->data = r;
    ctx->slice_event->log = r->connection->log;

    ngx_add_timer(ctx->slice_event, NGX_HTTP_WEBHOOK_SIGNATURE_SLICE_HOLD);

    ngx_http_webhook_signature_hash_slice(r, ctx);
}


/*
 * Hashes a body buffer by buffer on its way to nginx's save filter, in
 * place.  Only while this module reads the body: for every other request
 * it is one context lookup per buffer.
 */

static ngx_int_t
ngx_http_webhook_signature_body_filter(ngx_http_request_t *r, ngx_chain_t *in)
{
    size_t                             size;
    ngx_buf_t                         *b;
    ngx_chain_t                       *cl;
    ngx_http_webhook_signature_ctx_t  *ctx;

    ctx = static_cast<ngx_http_webhook_signature_ctx_t *>(
              ngx_http_get_module_ctx(r, ngx_http_webhook_signature_module));

    if (ctx == NULL || !ctx->hash_in_filter || ctx->hash_failed
        || ctx->body != NGX_HTTP_WEBHOOK_SIGNATURE_BODY_READING)
    {
        return ngx_http_webhook_signature_next_body_filter(r, in);
    }

    for (cl = in; cl; cl = cl->next) {
        b = cl->buf;

        if (!ngx_buf_in_memory(b)) {

            if (ngx_buf_special(b) || b->file_pos == b->file_last) {
                continue;
            }

            /* nginx's own filters pass memory only; fail closed */

            ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                          "webhook signature: request body buffer "
                          "not in memory");
            ctx->hash_failed = 1;
            break;
        }

        size = b->last - b->pos;

        if (ws_check_update(ctx->check, b->pos, size) != WS_RESULT_OK) {
            ctx->hash_failed = 1;
            break;
        }

        ctx->hashed += size;
    }

    return ngx_http_webhook_signature_next_body_filter(r, in);
}


static void
ngx_http_webhook_signature_slice_handler(ngx_event_t *ev)
{
    ngx_connection_t                  *c;
    ngx_http_request_t                *r;
    ngx_http_webhook_signature_ctx_t  *ctx;

    r = static_cast<ngx_http_request_t *>(ev->data);
    c = r->connection;

    ngx_http_set_log_request(c->log, r);

    ctx = ngx_http_webhook_signature_get_ctx(r);

    if (ctx == NULL
        || ctx->body != NGX_HTTP_WEBHOOK_SIGNATURE_BODY_HASHING)
    {
        return;
    }

    if (c->error) {
        /* the client is gone (an HTTP/2 stream reset): stop hashing */
        ngx_http_webhook_signature_stop_slices(ctx);
        ngx_http_finalize_request(r, NGX_HTTP_CLIENT_CLOSED_REQUEST);

    } else {
        ngx_http_webhook_signature_hash_slice(r, ctx);
    }

    ngx_http_run_posted_requests(c);
}


/*
 * One slice of a body nginx read before the module's turn, all secrets in
 * one pass over it: memory buffers in place, temp-file parts mapped from
 * the page cache (neither copies them nor moves the file offset nginx
 * relies on).  The next slice waits for the next turn of the event loop,
 * after the events of other connections.
 */

static void
ngx_http_webhook_signature_hash_slice(ngx_http_request_t *r,
    ngx_http_webhook_signature_ctx_t *ctx)
{
    off_t         budget, size;
    ngx_buf_t    *b;
    ws_result_e   result;

    budget = NGX_HTTP_WEBHOOK_SIGNATURE_SLICE / ngx_max(ctx->nsecrets, 1);
    budget = ngx_max(budget, NGX_HTTP_WEBHOOK_SIGNATURE_MIN_SLICE);

    while (ctx->slice != NULL && budget > 0 && !ctx->hash_failed) {
        b = ctx->slice->buf;

        if (ngx_buf_in_memory(b)) {
            size = (b->last - b->pos) - ctx->slice_offset;

        } else if (b->in_file) {
            size = (b->file_last - b->file_pos) - ctx->slice_offset;

        } else {
            size = 0;
        }

        size = ngx_min(size, budget);

        if (size > 0) {
            result = ngx_buf_in_memory(b)
                     ? ws_check_update(ctx->check,
                                       b->pos + ctx->slice_offset,
                                       (size_t) size)
                     : ngx_http_webhook_signature_hash_file(r, ctx, b,
                                 ctx->slice_offset, (size_t) size);

            ctx->hash_failed = (result != WS_RESULT_OK);
            ctx->hashed += size;
            ctx->slice_offset += size;
            budget -= size;
        }

        if (budget > 0) {
            ctx->slice = ctx->slice->next;
            ctx->slice_offset = 0;
        }
    }

    if (ctx->slice != NULL && !ctx->hash_failed) {
        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "webhook signature: hashed %O body bytes, "
                       "going on in the next event loop turn", ctx->hashed);

        ngx_post_event(ctx->slice_event, &ngx_posted_next_events);
        return;
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "webhook signature: hashed the whole body, %O bytes",
                   ctx->hashed);

    ngx_http_webhook_signature_stop_slices(ctx);
    ngx_http_webhook_signature_body_done(r, ctx);
}


static void
ngx_http_webhook_signature_stop_slices(ngx_http_webhook_signature_ctx_t *ctx)
{
    if (ctx->slice_event->timer_set) {
        ngx_del_timer(ctx->slice_event);
    }
}


static ws_result_e
ngx_http_webhook_signature_hash_file(ngx_http_request_t *r,
    ngx_http_webhook_signature_ctx_t *ctx, ngx_buf_t *b, off_t offset,
    size_t size)
{
    off_t        from, start;
    size_t       mapped;
    u_char      *map;
    ws_result_e  result;

    /* mmap() offsets are page aligned; a slice starts anywhere in a page */

    from = b->file_pos + offset;
    start = from & ~((off_t) ngx_pagesize - 1);
    mapped = (size_t) (from - start) + size;

    map = static_cast<u_char *>(mmap(NULL, mapped, PROT_READ,
                                     MAP_SHARED|NGX_HTTP_WEBHOOK_SIGNATURE_MAP_FLAGS,
                                     b->file->fd, start));
    if (map == MAP_FAILED) {
        ngx_log_error(NGX_LOG_CRIT, r->connection->log, ngx_errno,
                      "mmap(\"%V\") failed", &b->file->name);
        return WS_RESULT_ERROR;
    }

    result = ws_check_update(ctx->check, map + (from - start), size);

    if (munmap(map, mapped) == -1) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, ngx_errno,
                      "munmap(\"%V\") failed", &b->file->name);
    }

    return result;
}


/*
 * The body is hashed: it is judged here, in the handler's place (the
 * phases stopped at it), and the verdict is acted on as the phase checker
 * acts on a handler's answer: declined goes on to the next handler, done
 * waits for what the verdict started, anything else finalizes the request.
 * nginx leaves its empty handler as the write handler after reading; a
 * later handler that waits (auth_request in a redirect target, mirror)
 * needs the phase runner back.
 */

static void
ngx_http_webhook_signature_body_done(ngx_http_request_t *r,
    ngx_http_webhook_signature_ctx_t *ctx)
{
    ngx_int_t                               rc;
    ngx_http_webhook_signature_loc_conf_t  *wlcf;

    wlcf = static_cast<ngx_http_webhook_signature_loc_conf_t *>(
               ngx_http_get_module_loc_conf(r,
                                          ngx_http_webhook_signature_module));

    ctx->body = NGX_HTTP_WEBHOOK_SIGNATURE_BODY_READ;
    r->write_event_handler = ngx_http_core_run_phases;

    rc = ngx_http_webhook_signature_decide(r, wlcf, ctx,
                              ngx_http_webhook_signature_verify_body(r, ctx));

    switch (rc) {

    case NGX_DECLINED:
        r->phase_handler++;
        ngx_http_core_run_phases(r);
        return;

    case NGX_DONE:
        return;

    default:
        ngx_http_finalize_request(r, rc);
    }
}


static ws_result_e
ngx_http_webhook_signature_verify_body(ngx_http_request_t *r,
    ngx_http_webhook_signature_ctx_t *ctx)
{
    if (ctx->body == NGX_HTTP_WEBHOOK_SIGNATURE_BODY_LOST
        || !ngx_http_webhook_signature_body_complete(r, ctx->hashed))
    {
        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "webhook signature: request body was discarded");
        return WS_RESULT_MISMATCH;
    }

    if (ctx->hash_failed) {
        return WS_RESULT_ERROR;
    }

    return ws_check_finish(ctx->check);
}


/*
 * The body must be all the client sent.  nginx discards a body it answers
 * an error for (e.g. 413 before any location ran); if error_page then
 * leads into a protected location, what is left looks like an empty body
 * and must not verify as one.  nginx's save filter marks a body it has
 * seen to the end (last_saved; an empty chunked or HTTP/2 body too, which
 * has no buffers under client_body_in_file_only before nginx 1.31.0); a
 * request without any body is complete as it is.
 */

static ngx_flag_t
ngx_http_webhook_signature_body_complete(ngx_http_request_t *r, off_t hashed)
{
    ngx_table_elt_t          *length;
    ngx_http_request_body_t  *rb;

    rb = r->request_body;

    if (rb == NULL || r->discard_body) {
        return 0;
    }

#if (NGX_HTTP_V2)
    if (r->stream && r->stream->skip_data) {
        return 0;
    }
#endif

    if (!rb->last_saved
        && (r->headers_in.chunked || r->headers_in.content_length_n >= 0))
    {
        return 0;
    }

    /*
     * The header, not content_length_n: nginx rewrites that while it
     * discards a body, and leaves it at the bytes not yet discarded when
     * lingering_time ends the discard (a post_action into a protected
     * location then reads only the rest, which can equal it); HTTP/2 sets
     * it from the DATA it received.
     */

    length = r->headers_in.content_length;

    return length == NULL
           || ngx_atoof(length->value.data, length->value.len) == hashed;
}


/*
 * Records the verdict and acts on it.  Rejections are finalized here, so
 * nothing after this phase (try_files, mirror, the content handler) runs.
 */

static ngx_int_t
ngx_http_webhook_signature_decide(ngx_http_request_t *r,
    ngx_http_webhook_signature_loc_conf_t *wlcf,
    ngx_http_webhook_signature_ctx_t *ctx, ws_result_e result)
{
    ngx_flag_t   report;
    ws_scheme_e  scheme;

    /* its name only where a line is logged */
    scheme = ws_check_scheme(ctx->check);

    if (result == WS_RESULT_OK) {
        ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "webhook signature verified (scheme: %s, key: %uz)",
                       ws_scheme_name(scheme),
                       ws_check_key_index(ctx->check));

        if (wlcf->replay != NULL) {
            result = ngx_http_webhook_signature_replay_check(r, wlcf, ctx);
        }
    }

    ctx->result = result;

    ngx_http_webhook_signature_metrics_count(r, scheme, result, wlcf->mode,
                                             ws_check_key_index(ctx->check));

    if (result == WS_RESULT_OK) {
        return NGX_DECLINED;
    }

    if (result == WS_RESULT_REPLAY || result == WS_RESULT_INFLIGHT
        || result == WS_RESULT_ZONE_FULL)
    {
        return ngx_http_webhook_signature_replay_reject(r, wlcf, ctx, result);
    }

    if (result == WS_RESULT_ERROR) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "webhook signature check failed: internal error "
                      "(scheme: %s)", ws_scheme_name(scheme));
        return ngx_http_webhook_signature_reject(r, ctx,
                                             NGX_HTTP_INTERNAL_SERVER_ERROR);
    }

    /* a missing secret is the operator's mistake: fail closed, always */

    report = (wlcf->mode == NGX_HTTP_WEBHOOK_SIGNATURE_REPORT
              && result != WS_RESULT_NO_SECRET);

    ngx_log_error(wlcf->log_level, r->connection->log, 0,
                  "webhook signature check failed%s: %s (scheme: %s)",
                  report ? " (report only)" : "", ws_result_name(result),
                  ws_scheme_name(scheme));

    if (report) {
        return NGX_DECLINED;
    }

    return ngx_http_webhook_signature_reject(r, ctx,
                                   result == WS_RESULT_NO_SECRET
                                   ? NGX_HTTP_INTERNAL_SERVER_ERROR
                                   : (ngx_uint_t) wlcf->status);
}


static ngx_int_t
ngx_http_webhook_signature_reject(ngx_http_request_t *r,
    ngx_http_webhook_signature_ctx_t *ctx, ngx_uint_t status)
{
    ngx_int_t                  rc;
    ngx_str_t                  type = ngx_string("application/json");
    const char                *body;
    ngx_http_complex_value_t   cv;

    /* a rejected client is never asked to send its body */
    r->expect_tested = 1;

    if (r->err_status >= NGX_HTTP_SPECIAL_RESPONSE) {
        /*
         * nginx is already answering an error (e.g. 413) and its error_page
         * led here: that status is the answer, and it would overwrite ours
         */
        status = r->err_status;
    }

    ctx->rejected = status;

    body = ws_error_body(ws_check_scheme(ctx->check), ctx->result);

    /* 444 closes the connection, as "return 444" does: no response at all */

    if (body == NULL || status == NGX_HTTP_CLOSE
        || r->err_status >= NGX_HTTP_SPECIAL_RESPONSE
        || ngx_http_webhook_signature_has_error_page(r, status))
    {
        ngx_http_finalize_request(r, status);
        return NGX_DONE;
    }

    ngx_memzero(&cv, sizeof(ngx_http_complex_value_t));
    cv.value.data = (u_char *) body;
    cv.value.len = ngx_strlen(body);

    rc = ngx_http_send_response(r, status, &type, &cv);

    ngx_http_finalize_request(r, rc);
    return NGX_DONE;
}


/* the test ngx_http_special_response_handler() makes before error_page */

static ngx_flag_t
ngx_http_webhook_signature_has_error_page(ngx_http_request_t *r,
    ngx_uint_t status)
{
    ngx_uint_t                 i;
    ngx_http_err_page_t       *err_page;
    ngx_http_core_loc_conf_t  *clcf;

    clcf = static_cast<ngx_http_core_loc_conf_t *>(
               ngx_http_get_module_loc_conf(r, ngx_http_core_module));

    if (r->error_page || clcf->error_pages == NULL || r->uri_changes == 0) {
        return 0;
    }

    err_page = static_cast<ngx_http_err_page_t *>(clcf->error_pages->elts);

    for (i = 0; i < clcf->error_pages->nelts; i++) {
        if ((ngx_uint_t) err_page[i].status == status) {
            return 1;
        }
    }

    return 0;
}


/*
 * A main request that was rejected, or whose check nginx cut short (the
 * body lost to a 413, a timeout or a client abort, then error_page or
 * post_action), did not pass.  A check still under way has not either.
 */

static ngx_flag_t
ngx_http_webhook_signature_blocked(ngx_http_webhook_signature_ctx_t *ctx)
{
    return ctx->rejected || ctx->result == WS_RESULT_NONE;
}


/*
 * Wherever nginx takes a request that did not pass, or its subrequests
 * (error_page, post_action, try_files, a named location, mirror), no
 * content handler runs for it: proxy_pass, fastcgi_pass, grpc_pass and
 * every other module's.  Nor does anything but GET, HEAD and POST reach
 * the content phase's own handlers (a PUT kept by "error_page ... =
 * @named" is not stored by dav).  Static files, "return" and
 * "error_page ... =CODE" need neither and still answer.
 */

static void
ngx_http_webhook_signature_keep_from_content(ngx_http_request_t *r)
{
    if (r->content_handler != NULL
        || !(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD|NGX_HTTP_POST)))
    {
        r->content_handler = ngx_http_webhook_signature_refuse;
    }
}


static ngx_int_t
ngx_http_webhook_signature_refuse(ngx_http_request_t *r)
{
    ngx_http_webhook_signature_ctx_t  *ctx;

    ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                  "webhook signature: rejected request not passed to "
                  "a content handler");

    ctx = ngx_http_webhook_signature_get_ctx(r->main);

    if (ctx != NULL && ctx->rejected) {
        return ctx->rejected;
    }

    return (r->main->err_status >= NGX_HTTP_BAD_REQUEST)
           ? r->main->err_status : NGX_HTTP_BAD_REQUEST;
}


/* ---------------------------------------------------------------- replay */

/*
 * After a verified request: absent from the zone, it is recorded pending
 * and goes on (ok); pending, it is in flight (inflight); done, it was
 * already answered 2xx (replay); no room for it: zone_full.
 */

static ws_result_e
ngx_http_webhook_signature_replay_check(ngx_http_request_t *r,
    ngx_http_webhook_signature_loc_conf_t *wlcf,
    ngx_http_webhook_signature_ctx_t *ctx)
{
    int                                        ok;
    u_char                                    *keys;
    size_t                                     size, nkeys, i;
    ws_result_e                                result;
    ngx_rbtree_key_t                           hash;
    ngx_rbtree_node_t                         *node;
    ngx_pool_cleanup_t                        *cln;
    ngx_http_webhook_signature_replay_t       *rp;
    ngx_http_webhook_signature_replay_zone_t  *zone;
    ngx_http_webhook_signature_replay_node_t  *rn;
    ngx_http_webhook_signature_replay_hold_t  *hold;

    rp = wlcf->replay;
    zone = static_cast<ngx_http_webhook_signature_replay_zone_t *>(
               rp->shm_zone->data);

    cln = ngx_pool_cleanup_add(r->pool,
                          sizeof(ngx_http_webhook_signature_replay_hold_t));
    if (cln == NULL) {
        return WS_RESULT_ERROR;
    }

    hold = static_cast<ngx_http_webhook_signature_replay_hold_t *>(
               cln->data);
    ngx_memzero(hold, sizeof(ngx_http_webhook_signature_replay_hold_t));
    hold->request = r;
    hold->zone = zone;

    /* a key per secret: a copy recorded under a secret's key is found */

    nkeys = ngx_max(ctx->nsecrets, 1);
    keys = static_cast<u_char *>(
               ngx_pnalloc(r->pool,
                           nkeys * NGX_HTTP_WEBHOOK_SIGNATURE_REPLAY_KEY));
    if (keys == NULL) {
        return WS_RESULT_ERROR;
    }

    nkeys = (rp->key == NGX_HTTP_WEBHOOK_SIGNATURE_REPLAY_ID)
            ? ws_check_delivery_keys(ctx->check, keys, nkeys)
            : ws_check_replay_keys(ctx->check, keys, nkeys);

    if (nkeys == 0) {
        return WS_RESULT_ERROR;
    }

    /*
     * recorded under the key of the secret that verified: a location that
     * lists that secret among others, in any order, finds it
     */
    i = ws_check_key_index(ctx->check);
    i = (i >= 1 && i <= nkeys) ? i - 1 : 0;
    ngx_memcpy(hold->key, keys + i * NGX_HTTP_WEBHOOK_SIGNATURE_REPLAY_KEY,
               NGX_HTTP_WEBHOOK_SIGNATURE_REPLAY_KEY);

    ngx_memcpy(&hash, hold->key, sizeof(ngx_rbtree_key_t));
    size = offsetof(ngx_rbtree_node_t, color)
           + sizeof(ngx_http_webhook_signature_replay_node_t);

    ngx_shmtx_lock(&zone->shpool->mutex);

    ngx_http_webhook_signature_replay_expire(zone, 2);

    rn = NULL;

    for (i = 0; i < nkeys && rn == NULL; i++) {
        rn = ngx_http_webhook_signature_replay_lookup(zone,
                               keys + i * NGX_HTTP_WEBHOOK_SIGNATURE_REPLAY_KEY);
    }

    if (rn != NULL) {
        result = (rn->state == NGX_HTTP_WEBHOOK_SIGNATURE_REPLAY_DONE)
                 ? WS_RESULT_REPLAY : WS_RESULT_INFLIGHT;
        ngx_shmtx_unlock(&zone->shpool->mutex);

        return result;
    }

    node = static_cast<ngx_rbtree_node_t *>(
               ngx_slab_alloc_locked(zone->shpool, size));

    if (node == NULL) {
        /* expired records make room; live ones never do */
        ngx_http_webhook_signature_replay_expire(zone, 0);

        node = static_cast<ngx_rbtree_node_t *>(
                   ngx_slab_alloc_locked(zone->shpool, size));
    }

    if (node == NULL && zone->sh->swept != ngx_time()) {
        ngx_http_webhook_signature_replay_sweep(zone);

        node = static_cast<ngx_rbtree_node_t *>(
                   ngx_slab_alloc_locked(zone->shpool, size));
    }

    if (node == NULL) {
        ok = (zone->sh->full_logged != ngx_time());
        zone->sh->full_logged = ngx_time();
        ngx_shmtx_unlock(&zone->shpool->mutex);

        if (ok) {
            ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                          "webhook_signature_replay_zone \"%V\" is full%s",
                          &zone->name,
                          (zone->full == NGX_HTTP_WEBHOOK_SIGNATURE_REPLAY_OPEN)
                          ? ", forwarding unrecorded" : "");
        }

        return WS_RESULT_ZONE_FULL;
    }

    node->key = hash;
    rn = reinterpret_cast<ngx_http_webhook_signature_replay_node_t *>(
             &node->color);
    rn->state = NGX_HTTP_WEBHOOK_SIGNATURE_REPLAY_PENDING;
    rn->serial = ++zone->sh->serial;
    rn->expire = ngx_current_msec + wlcf->replay_lifetime;
    ngx_memcpy(rn->key, hold->key, NGX_HTTP_WEBHOOK_SIGNATURE_REPLAY_KEY);

    ngx_rbtree_insert(&zone->sh->rbtree, node);
    ngx_queue_insert_head(&zone->sh->queues[wlcf->replay_queue], &rn->queue);
    zone->sh->pending++;

    hold->serial = rn->serial;

    ngx_shmtx_unlock(&zone->shpool->mutex);

    /* whatever ends the request (2xx, 5xx, timeout, abort) resolves it */
    cln->handler = ngx_http_webhook_signature_replay_cleanup;
    ngx_http_webhook_signature_replay_holds++;

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "webhook signature replay: recorded in \"%V\" for %M ms",
                   &zone->name, wlcf->replay_lifetime);

    return WS_RESULT_OK;
}


/*
 * inflight: 429 (inflight=) with Retry-After; zone_full: 503 with
 * Retry-After, or forwarded with full=open (its [alert] says so); replay:
 * with key=mac the failure status, with key=id a 200 saying "duplicate"
 * (duplicate= sets either).  Report-only locations log and forward.
 */

static ngx_int_t
ngx_http_webhook_signature_replay_reject(ngx_http_request_t *r,
    ngx_http_webhook_signature_loc_conf_t *wlcf,
    ngx_http_webhook_signature_ctx_t *ctx, ws_result_e result)
{
    ngx_int_t                             rc, status;
    ngx_str_t                             type = ngx_string("application/json");
    ngx_flag_t                            report;
    ngx_table_elt_t                      *h;
    ngx_http_complex_value_t              cv;
    ngx_http_webhook_signature_replay_t  *rp;

    static ngx_str_t  duplicate = ngx_string("{\"status\":\"duplicate\"}");

    rp = wlcf->replay;
    report = (wlcf->mode == NGX_HTTP_WEBHOOK_SIGNATURE_REPORT);

    if (result == WS_RESULT_ZONE_FULL && rp != NULL
        && static_cast<ngx_http_webhook_signature_replay_zone_t *>(
               rp->shm_zone->data)->full
           == NGX_HTTP_WEBHOOK_SIGNATURE_REPLAY_OPEN)
    {
        ctx->unrecorded = 1;
        return NGX_DECLINED;
    }

    ngx_log_error(wlcf->log_level, r->connection->log, 0,
                  "webhook signature check failed%s: %s (scheme: %s)",
                  report ? " (report only)" : "", ws_result_name(result),
                  ws_scheme_name(ws_check_scheme(ctx->check)));

    if (report) {
        return NGX_DECLINED;
    }

    switch (result) {

    case WS_RESULT_INFLIGHT:
        status = (rp != NULL) ? rp->inflight : NGX_HTTP_TOO_MANY_REQUESTS;
        break;

    case WS_RESULT_ZONE_FULL:
        status = NGX_HTTP_SERVICE_UNAVAILABLE;
        break;

    default: /* WS_RESULT_REPLAY */
        if (rp != NULL && rp->duplicate != NGX_CONF_UNSET) {
            status = rp->duplicate;

        } else if (rp != NULL
                   && rp->key == NGX_HTTP_WEBHOOK_SIGNATURE_REPLAY_ID)
        {
            status = NGX_HTTP_OK;

        } else {
            status = wlcf->status;
        }
    }

    if (result != WS_RESULT_REPLAY) {
        h = static_cast<ngx_table_elt_t *>(
                ngx_list_push(&r->headers_out.headers));
        if (h == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        h->hash = 1;
#if (nginx_version >= 1023000)
        h->next = NULL;
#endif
        ngx_str_set(&h->key, "Retry-After");
        ngx_str_set(&h->value, "1");
    }

    if (status >= NGX_HTTP_SPECIAL_RESPONSE) {
        return ngx_http_webhook_signature_reject(r, ctx, (ngx_uint_t) status);
    }

    /* a duplicate answered as delivered: the sender stops retrying */

    r->expect_tested = 1;
    ctx->rejected = (ngx_uint_t) status;

    ngx_memzero(&cv, sizeof(ngx_http_complex_value_t));
    cv.value = duplicate;

    rc = ngx_http_send_response(r, (ngx_uint_t) status, &type, &cv);

    ngx_http_finalize_request(r, rc);
    return NGX_DONE;
}


static ngx_http_webhook_signature_replay_node_t *
ngx_http_webhook_signature_replay_lookup(
    ngx_http_webhook_signature_replay_zone_t *zone, u_char *key)
{
    ngx_int_t                                  rc;
    ngx_rbtree_key_t                           hash;
    ngx_rbtree_node_t                         *node, *sentinel;
    ngx_http_webhook_signature_replay_node_t  *rn;

    ngx_memcpy(&hash, key, sizeof(ngx_rbtree_key_t));

    node = zone->sh->rbtree.root;
    sentinel = zone->sh->rbtree.sentinel;

    while (node != sentinel) {

        if (hash < node->key) {
            node = node->left;
            continue;
        }

        if (hash > node->key) {
            node = node->right;
            continue;
        }

        rn = reinterpret_cast<ngx_http_webhook_signature_replay_node_t *>(
                 &node->color);

        rc = ngx_memcmp(key, rn->key, NGX_HTTP_WEBHOOK_SIGNATURE_REPLAY_KEY);

        if (rc == 0) {
            if ((ngx_msec_int_t) (rn->expire - ngx_current_msec) <= 0) {
                ngx_http_webhook_signature_replay_delete(zone, rn);
                return NULL;
            }

            return rn;
        }

        node = (rc < 0) ? node->left : node->right;
    }

    return NULL;
}


static void
ngx_http_webhook_signature_replay_insert_value(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel)
{
    ngx_rbtree_node_t                        **p;
    ngx_http_webhook_signature_replay_node_t  *a, *b;

    for ( ;; ) {

        if (node->key < temp->key) {
            p = &temp->left;

        } else if (node->key > temp->key) {
            p = &temp->right;

        } else {
            a = reinterpret_cast<ngx_http_webhook_signature_replay_node_t *>(
                    &node->color);
            b = reinterpret_cast<ngx_http_webhook_signature_replay_node_t *>(
                    &temp->color);

            p = (ngx_memcmp(a->key, b->key,
                            NGX_HTTP_WEBHOOK_SIGNATURE_REPLAY_KEY) < 0)
                ? &temp->left : &temp->right;
        }

        if (*p == sentinel) {
            break;
        }

        temp = *p;
    }

    *p = node;
    node->parent = temp;
    node->left = sentinel;
    node->right = sentinel;
    ngx_rbt_red(node);
}


/*
 * Drops expired records from the oldest on, in every lifetime's queue: at
 * most n from each, or all if n is 0.
 */

static void
ngx_http_webhook_signature_replay_expire(
    ngx_http_webhook_signature_replay_zone_t *zone, ngx_uint_t n)
{
    ngx_uint_t                                 i, left;
    ngx_queue_t                               *q, *queue;
    ngx_http_webhook_signature_replay_node_t  *rn;

    for (i = 0; i < NGX_HTTP_WEBHOOK_SIGNATURE_REPLAY_LIFETIMES; i++) {
        queue = &zone->sh->queues[i];
        left = n;

        while (!ngx_queue_empty(queue)) {
            q = ngx_queue_last(queue);
            rn = ngx_queue_data(q, ngx_http_webhook_signature_replay_node_t,
                                queue);

            if ((ngx_msec_int_t) (rn->expire - ngx_current_msec) > 0) {
                break;
            }

            ngx_http_webhook_signature_replay_delete(zone, rn);

            if (left != 0 && --left == 0) {
                break;
            }
        }
    }
}


/*
 * A full zone whose queues' tails are live may still hold expired records
 * behind them: a queue that mixes lifetimes for a while after a reload
 * changed them.  Every record is looked at, at most once a second.
 */

static void
ngx_http_webhook_signature_replay_sweep(
    ngx_http_webhook_signature_replay_zone_t *zone)
{
    ngx_uint_t                                 i;
    ngx_queue_t                               *q, *prev, *queue;
    ngx_http_webhook_signature_replay_node_t  *rn;

    zone->sh->swept = ngx_time();

    for (i = 0; i < NGX_HTTP_WEBHOOK_SIGNATURE_REPLAY_LIFETIMES; i++) {
        queue = &zone->sh->queues[i];

        for (q = ngx_queue_last(queue); q != ngx_queue_sentinel(queue);
             q = prev)
        {
            prev = ngx_queue_prev(q);
            rn = ngx_queue_data(q, ngx_http_webhook_signature_replay_node_t,
                                queue);

            if ((ngx_msec_int_t) (rn->expire - ngx_current_msec) <= 0) {
                ngx_http_webhook_signature_replay_delete(zone, rn);
            }
        }
    }
}


static void
ngx_http_webhook_signature_replay_delete(
    ngx_http_webhook_signature_replay_zone_t *zone,
    ngx_http_webhook_signature_replay_node_t *rn)
{
    ngx_rbtree_node_t  *node;

    node = reinterpret_cast<ngx_rbtree_node_t *>(
               reinterpret_cast<u_char *>(rn)
               - offsetof(ngx_rbtree_node_t, color));

    if (rn->state == NGX_HTTP_WEBHOOK_SIGNATURE_REPLAY_DONE) {
        zone->sh->done--;

    } else {
        zone->sh->pending--;
    }

    ngx_queue_remove(&rn->queue);
    ngx_rbtree_delete(&zone->sh->rbtree, node);
    ngx_slab_free_locked(zone->shpool, node);
}


/*
 * The final response's status decides, when its header goes out (after
 * error_page; before a lingering close or a slow client): 2xx makes the
 * record done (it keeps its expiry), anything else drops it, so a retry
 * passes.  A request that ends with no header sent (a client abort, 499)
 * is resolved when its pool goes.
 */

static ngx_int_t
ngx_http_webhook_signature_replay_header_filter(ngx_http_request_t *r)
{
    ngx_pool_cleanup_t  *cln;

    if (r == r->main && ngx_http_webhook_signature_replay_holds > 0) {
        for (cln = r->pool->cleanup; cln; cln = cln->next) {
            if (cln->handler == ngx_http_webhook_signature_replay_cleanup) {
                ngx_http_webhook_signature_replay_resolve(
                    static_cast<ngx_http_webhook_signature_replay_hold_t *>(
                        cln->data),
                    r->headers_out.status);
            }
        }
    }

    return ngx_http_webhook_signature_next_header_filter(r);
}


/* whether the request holds a record in the zone rp records in */

static ngx_flag_t
ngx_http_webhook_signature_replay_held(ngx_http_request_t *r,
    ngx_http_webhook_signature_replay_t *rp)
{
    ngx_pool_cleanup_t                        *cln;
    ngx_http_webhook_signature_replay_hold_t  *hold;

    for (cln = r->main->pool->cleanup; cln; cln = cln->next) {
        if (cln->handler != ngx_http_webhook_signature_replay_cleanup) {
            continue;
        }

        hold = static_cast<ngx_http_webhook_signature_replay_hold_t *>(
                   cln->data);

        if (hold->zone == rp->shm_zone->data) {
            return 1;
        }
    }

    return 0;
}


static void
ngx_http_webhook_signature_replay_cleanup(void *data)
{
    ngx_http_webhook_signature_replay_hold_t  *hold;

    hold = static_cast<ngx_http_webhook_signature_replay_hold_t *>(data);

    ngx_http_webhook_signature_replay_holds--;

    ngx_http_webhook_signature_replay_resolve(hold,
                                        hold->request->headers_out.status);
}


static void
ngx_http_webhook_signature_replay_resolve(
    ngx_http_webhook_signature_replay_hold_t *hold, ngx_uint_t status)
{
    ngx_flag_t                                 ok;
    ngx_http_webhook_signature_replay_node_t  *rn;

    if (hold->resolved) {
        return;
    }

    hold->resolved = 1;
    ok = (status >= NGX_HTTP_OK && status < NGX_HTTP_SPECIAL_RESPONSE);

    ngx_shmtx_lock(&hold->zone->shpool->mutex);

    rn = ngx_http_webhook_signature_replay_lookup(hold->zone, hold->key);

    if (rn != NULL && rn->serial == hold->serial
        && rn->state == NGX_HTTP_WEBHOOK_SIGNATURE_REPLAY_PENDING)
    {
        if (ok) {
            rn->state = NGX_HTTP_WEBHOOK_SIGNATURE_REPLAY_DONE;
            hold->zone->sh->pending--;
            hold->zone->sh->done++;

        } else {
            ngx_http_webhook_signature_replay_delete(hold->zone, rn);
        }
    }

    ngx_shmtx_unlock(&hold->zone->shpool->mutex);

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, ngx_cycle->log, 0,
                   "webhook signature replay: answered %ui, record %s",
                   status, ok ? "kept" : "dropped");
}


/* for both modules (see the metrics header) */

ngx_shm_zone_t *
ngx_http_webhook_signature_shm_zone(void *tag, ngx_str_t *name, ngx_uint_t n)
{
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_shm_zone_t   *zone;

    part = &((ngx_cycle_t *) ngx_cycle)->shared_memory.part;
    zone = static_cast<ngx_shm_zone_t *>(part->elts);

    for (i = 0; /* void */ ; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                return NULL;
            }

            part = part->next;
            zone = static_cast<ngx_shm_zone_t *>(part->elts);
            i = 0;
        }

        if (zone[i].tag != tag || zone[i].data == NULL
            || (name != NULL
                && (zone[i].shm.name.len != name->len
                    || ngx_strncmp(zone[i].shm.name.data, name->data,
                                   name->len) != 0)))
        {
            continue;
        }

        if (n-- == 0) {
            return &zone[i];
        }
    }
}


/* for the metrics module (see its header) */

ngx_int_t
ngx_http_webhook_signature_replay_gauges(ngx_uint_t n,
    ngx_http_webhook_signature_replay_gauges_t *gauges)
{
    ngx_shm_zone_t                            *shm_zone;
    ngx_http_webhook_signature_replay_zone_t  *zone;

    shm_zone = ngx_http_webhook_signature_shm_zone(
                   &ngx_http_webhook_signature_module, NULL, n);
    if (shm_zone == NULL) {
        return NGX_DONE;
    }

    zone = static_cast<ngx_http_webhook_signature_replay_zone_t *>(
               shm_zone->data);

    ngx_shmtx_lock(&zone->shpool->mutex);

    /* bounded: a scrape never holds the zone for long */
    ngx_http_webhook_signature_replay_expire(zone, 1024);

    gauges->name = zone->name;
    gauges->pending = zone->sh->pending;
    gauges->done = zone->sh->done;
    gauges->max = shm_zone->shm.size;
    gauges->used = (size_t) (zone->shpool->end - zone->shpool->start)
                   - zone->shpool->pfree * ngx_pagesize;

    ngx_shmtx_unlock(&zone->shpool->mutex);

    return NGX_OK;
}


static ngx_int_t
ngx_http_webhook_signature_replay_init(ngx_conf_t *cf)
{
    ngx_http_webhook_signature_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter =
        ngx_http_webhook_signature_replay_header_filter;

    return NGX_OK;
}


static ngx_int_t
ngx_http_webhook_signature_result_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    const char                        *name;
    ngx_http_webhook_signature_ctx_t  *ctx;

    ctx = ngx_http_webhook_signature_decided_ctx(r);
    name = (ctx != NULL) ? ws_result_name(ctx->result) : "";

    ngx_http_webhook_signature_set_variable(v, (u_char *) name,
                                            ngx_strlen(name));
    return NGX_OK;
}


static ngx_int_t
ngx_http_webhook_signature_timestamp_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ws_bytes_t                         timestamp = { NULL, 0 };
    ngx_http_webhook_signature_ctx_t  *ctx;

    ctx = ngx_http_webhook_signature_decided_ctx(r);

    if (ctx != NULL) {
        timestamp = ws_check_timestamp(ctx->check);
    }

    ngx_http_webhook_signature_set_variable(v, (u_char *) timestamp.data,
                                            timestamp.len);
    return NGX_OK;
}


static ngx_int_t
ngx_http_webhook_signature_key_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    size_t                             index;
    u_char                            *p;
    ngx_http_webhook_signature_ctx_t  *ctx;

    ctx = ngx_http_webhook_signature_decided_ctx(r);
    index = (ctx != NULL) ? ws_check_key_index(ctx->check) : 0;

    if (index == 0) {
        ngx_http_webhook_signature_set_variable(v, NULL, 0);
        return NGX_OK;
    }

    p = static_cast<u_char *>(ngx_pnalloc(r->pool, NGX_SIZE_T_LEN));
    if (p == NULL) {
        return NGX_ERROR;
    }

    ngx_http_webhook_signature_set_variable(v, p,
                                            ngx_sprintf(p, "%uz", index) - p);
    return NGX_OK;
}


/* variables read the main request's verdict, also after redirects */

/*
 * Novu Inbox's subscriberHash of webhook_signature_subscriber_id, keyed
 * with the location's first secret as configured (whatever the scheme,
 * checked or not): the application renders the Inbox without holding the
 * secret.  Empty without an id or a secret.
 */

static ngx_int_t
ngx_http_webhook_signature_subscriber_hash_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    u_char                                 *p;
    ngx_str_t                               id, secret;
    ngx_http_webhook_signature_source_t    *first;
    ngx_http_webhook_signature_loc_conf_t  *wlcf;

    wlcf = static_cast<ngx_http_webhook_signature_loc_conf_t *>(
               ngx_http_get_module_loc_conf(r,
                                          ngx_http_webhook_signature_module));

    if (wlcf->subscriber_id == NULL || wlcf->sources == NULL) {
        ngx_http_webhook_signature_set_variable(v, NULL, 0);
        return NGX_OK;
    }

    if (ngx_http_complex_value(r, wlcf->subscriber_id, &id) != NGX_OK) {
        return NGX_ERROR;
    }

    first = static_cast<ngx_http_webhook_signature_source_t *>(
                wlcf->sources->elts);
    secret = first->value;

    if (first->variable != NGX_HTTP_WEBHOOK_SIGNATURE_LITERAL
        && ngx_http_webhook_signature_variable_secret(r, first->variable,
                                                      &secret)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (id.len == 0 || secret.len == 0) {
        ngx_http_webhook_signature_set_variable(v, NULL, 0);
        return NGX_OK;
    }

    p = static_cast<u_char *>(ngx_pnalloc(r->pool, 64));
    if (p == NULL) {
        return NGX_ERROR;
    }

    if (!ws_subscriber_hash({ secret.data, secret.len }, { id.data, id.len },
                            reinterpret_cast<char *>(p)))
    {
        return NGX_ERROR;
    }

    ngx_http_webhook_signature_set_variable(v, p, 64);
    return NGX_OK;
}


static ngx_http_webhook_signature_ctx_t *
ngx_http_webhook_signature_decided_ctx(ngx_http_request_t *r)
{
    ngx_http_webhook_signature_ctx_t  *ctx;

    ctx = ngx_http_webhook_signature_get_ctx(r->main);

    return (ctx != NULL && ctx->result != WS_RESULT_NONE) ? ctx : NULL;
}


/* an empty value is "not found", as nginx logs it: "-" */

static void
ngx_http_webhook_signature_set_variable(ngx_http_variable_value_t *v,
    u_char *data, size_t len)
{
    if (len == 0) {
        v->not_found = 1;
        return;
    }

    v->data = data;
    v->len = len;
    v->valid = 1;
    v->no_cacheable = 1;    /* the verdict changes once the body is read */
    v->not_found = 0;
}


/*
 * webhook_signature_secret VALUE | file=PATH | env=NAME;
 *
 * Files and environment variables are read here, while the configuration
 * loads (in the master, usually as root), so root-only secret files work
 * and a reload re-reads them.
 */

static char *
ngx_http_webhook_signature_secret(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_webhook_signature_loc_conf_t *wlcf =
        static_cast<ngx_http_webhook_signature_loc_conf_t *>(conf);

    ngx_int_t                             rc;
    ngx_str_t                            *value, arg;
    ngx_http_webhook_signature_source_t  *source;

    value = static_cast<ngx_str_t *>(cf->args->elts);

    if (value[1].len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "empty secret in \"%V\"",
                           &cmd->name);
        return (char *) NGX_CONF_ERROR;
    }

    if (wlcf->sources == NGX_CONF_UNSET_PTR) {
        wlcf->sources = ngx_array_create(cf->pool, 2,
                            sizeof(ngx_http_webhook_signature_source_t));
        if (wlcf->sources == NULL) {
            return (char *) NGX_CONF_ERROR;
        }
    }

    source = static_cast<ngx_http_webhook_signature_source_t *>(
                 ngx_array_push(wlcf->sources));
    if (source == NULL) {
        return (char *) NGX_CONF_ERROR;
    }

    ngx_memzero(source, sizeof(ngx_http_webhook_signature_source_t));
    source->variable = NGX_HTTP_WEBHOOK_SIGNATURE_LITERAL;
    source->file = cf->conf_file->file.name;
    source->line = cf->conf_file->line;

    if (ngx_strncmp(value[1].data, "file=", 5) == 0) {
        arg.data = value[1].data + 5;
        arg.len = value[1].len - 5;
        rc = ngx_http_webhook_signature_read_secret_file(cf, &arg,
                                                         &source->value);

    } else if (ngx_strncmp(value[1].data, "env=", 4) == 0) {
        arg.data = value[1].data + 4;
        arg.len = value[1].len - 4;
        rc = ngx_http_webhook_signature_read_secret_env(cf, &arg,
                                                        &source->value);

    } else if (ngx_strlchr(value[1].data, value[1].data + value[1].len, '$')
               != NULL)
    {
        /* one variable: its value is this secret, request by request */
        rc = ngx_http_webhook_signature_secret_variable(cf, &value[1],
                                                         &source->variable);

    } else {
        source->value = value[1];
        rc = NGX_OK;
    }

    return (rc == NGX_OK) ? NGX_CONF_OK : (char *) NGX_CONF_ERROR;
}


/*
 * A value with a "$" must be exactly one variable (a per-tenant map):
 * nginx would read a "$" in a pasted secret as a variable and silently
 * change the key ('Zx$9kqW' keys with "ZxkqW"; 'pw$arg_k' lets the client
 * choose part of it).  The value itself is never logged.
 */

static ngx_int_t
ngx_http_webhook_signature_secret_variable(ngx_conf_t *cf, ngx_str_t *value,
    ngx_int_t *index)
{
    u_char     *p, *last, *name;
    ngx_str_t   variable;

    p = value->data + 1;
    last = value->data + value->len;

    if (value->len > 3 && p[0] == '{' && last[-1] == '}') {
        p++;
        last--;
    }

    name = p;

    if (value->data[0] == '$' && p < last
        && ngx_http_webhook_signature_name_char(*p, 1))
    {
        while (p < last && ngx_http_webhook_signature_name_char(*p, 0)) {
            p++;
        }
    }

    if (value->data[0] != '$' || p == value->data + 1 || p != last) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"webhook_signature_secret\" is either text "
                           "without variables or exactly one variable: "
                           "a \"$\" in a secret would be read as a "
                           "variable (regex captures are not allowed "
                           "either); put such a secret in a file "
                           "(\"file=\") or an environment variable "
                           "(\"env=\")");
        return NGX_ERROR;
    }

    /* read by index per request: no script, no copy of the value */

    variable.data = name;
    variable.len = last - name;

    *index = ngx_http_get_variable_index(cf, &variable);

    return (*index == NGX_ERROR) ? NGX_ERROR : NGX_OK;
}


/* a variable name's characters; digits first make a regex capture */

static ngx_flag_t
ngx_http_webhook_signature_name_char(u_char c, ngx_flag_t first)
{
    u_char  lower = ngx_tolower(c);

    return c == '_' || (lower >= 'a' && lower <= 'z')
           || (!first && c >= '0' && c <= '9');
}


/*
 * The secrets keyed for this location's scheme (its algorithm and how it
 * decodes keys), when the configuration loads: a secret that cannot be a
 * key of the scheme (a Discord key that is not 64 hex digits, a "whsec_"
 * secret that is not base64) fails here, reported where it was
 * configured, without its value.  The enclosing level's keys serve when
 * it has the same secrets and scheme.
 */

static ngx_int_t
ngx_http_webhook_signature_prepare_secrets(ngx_conf_t *cf,
    ngx_http_webhook_signature_loc_conf_t *conf,
    ngx_http_webhook_signature_loc_conf_t *prev)
{
    const char                           *why;
    ws_key_t                             *key;
    ngx_uint_t                            i, n;
    ws_secret_t                          *secret;
    ngx_int_t                            *variable;
    ngx_pool_cleanup_t                   *cln;
    ngx_http_webhook_signature_source_t  *source;

    if (conf->sources == prev->sources && conf->row == prev->row
        && prev->secrets != NULL)
    {
        conf->secrets = prev->secrets;
        conf->variables = prev->variables;
        return NGX_OK;
    }

    n = conf->sources->nelts;
    source = static_cast<ngx_http_webhook_signature_source_t *>(
                 conf->sources->elts);

    conf->secrets = ngx_array_create(cf->pool, n, sizeof(ws_secret_t));
    if (conf->secrets == NULL) {
        return NGX_ERROR;
    }

    for (i = 0; i < n; i++) {
        if (source[i].variable == NGX_HTTP_WEBHOOK_SIGNATURE_LITERAL) {
            continue;
        }

        conf->variables = ngx_array_create(cf->pool, n, sizeof(ngx_int_t));
        if (conf->variables == NULL) {
            return NGX_ERROR;
        }

        break;
    }

    for (i = 0; i < n; i++) {
        secret = static_cast<ws_secret_t *>(ngx_array_push(conf->secrets));
        if (secret == NULL) {
            return NGX_ERROR;
        }

        ngx_memzero(secret, sizeof(ws_secret_t));

        if (conf->variables != NULL) {
            variable = static_cast<ngx_int_t *>(
                           ngx_array_push(conf->variables));
            if (variable == NULL) {
                return NGX_ERROR;
            }

            *variable = source[i].variable;
        }

        if (source[i].variable != NGX_HTTP_WEBHOOK_SIGNATURE_LITERAL) {
            continue;
        }

        cln = ngx_pool_cleanup_add(cf->pool, 0);
        if (cln == NULL) {
            return NGX_ERROR;
        }

        key = ws_key_create(conf->row,
                            { source[i].value.data, source[i].value.len },
                            &why);
        if (key == NULL) {
            ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                          "\"webhook_signature_secret\" %s, as "
                          "\"webhook_signature %s\" needs it, in %V:%ui",
                          why != NULL ? why : "cannot be keyed",
                          ws_scheme_name(ws_scheme_id(conf->row)),
                          &source[i].file, source[i].line);
            return NGX_ERROR;
        }

        cln->handler = ngx_http_webhook_signature_destroy_key;
        cln->data = key;

        secret->key = key;
    }

    return NGX_OK;
}


static void
ngx_http_webhook_signature_destroy_key(void *data)
{
    ws_key_destroy(static_cast<ws_key_t *>(data));
}


/* the file's bytes are the key; trailing CR and LF (an editor's) are not */

static ngx_int_t
ngx_http_webhook_signature_read_secret_file(ngx_conf_t *cf, ngx_str_t *path,
    ngx_str_t *secret)
{
    off_t            size;
    u_char          *buf;
    size_t           len;
    ssize_t          n;
    ngx_fd_t         fd;
    ngx_int_t        rc;
    ngx_file_info_t  fi;

    if (path->len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "no file name after \"file=\" in "
                           "\"webhook_signature_secret\"");
        return NGX_ERROR;
    }

    if (ngx_conf_full_name(cf->cycle, path, 1) != NGX_OK) {
        return NGX_ERROR;
    }

    fd = ngx_open_file(path->data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);
    if (fd == NGX_INVALID_FILE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "cannot open \"webhook_signature_secret\" "
                           "file \"%s\"", path->data);
        return NGX_ERROR;
    }

    rc = NGX_ERROR;
    buf = NULL;
    len = 0;

    if (ngx_fd_info(fd, &fi) == NGX_FILE_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "cannot stat \"webhook_signature_secret\" "
                           "file \"%s\"", path->data);
        goto done;
    }

    size = ngx_file_size(&fi);

    /* the limit is on the key; room is left for trailing line ends */

    if (size > 2 * NGX_HTTP_WEBHOOK_SIGNATURE_MAX_SECRET) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"webhook_signature_secret\" file \"%s\" is "
                           "larger than %d bytes", path->data,
                           NGX_HTTP_WEBHOOK_SIGNATURE_MAX_SECRET);
        goto done;
    }

    buf = static_cast<u_char *>(ngx_pnalloc(cf->pool, (size_t) size + 1));
    if (buf == NULL) {
        goto done;
    }

    while (len < (size_t) size) {
        n = ngx_read_fd(fd, buf + len, (size_t) size - len);

        if (n == -1) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                               "cannot read \"webhook_signature_secret\" "
                               "file \"%s\"", path->data);
            goto done;
        }

        if (n == 0) {
            break;
        }

        len += n;
    }

    while (len > 0 && (buf[len - 1] == CR || buf[len - 1] == LF)) {
        len--;
    }

    if (len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"webhook_signature_secret\" file \"%s\" "
                           "is empty", path->data);
        goto done;
    }

    if (len > NGX_HTTP_WEBHOOK_SIGNATURE_MAX_SECRET) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"webhook_signature_secret\" file \"%s\" is "
                           "larger than %d bytes", path->data,
                           NGX_HTTP_WEBHOOK_SIGNATURE_MAX_SECRET);
        goto done;
    }

    secret->data = buf;
    secret->len = len;
    rc = NGX_OK;

done:

    if (ngx_close_file(fd) == NGX_FILE_ERROR) {
        ngx_conf_log_error(NGX_LOG_ALERT, cf, ngx_errno,
                           ngx_close_file_n " \"%s\" failed", path->data);
    }

    return rc;
}


static ngx_int_t
ngx_http_webhook_signature_read_secret_env(ngx_conf_t *cf, ngx_str_t *name,
    ngx_str_t *secret)
{
    char  *value;

    if (name->len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "no variable name after \"env=\" in "
                           "\"webhook_signature_secret\"");
        return NGX_ERROR;
    }

    /* configuration arguments are null-terminated */
    value = getenv((char *) name->data);

    if (value == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"webhook_signature_secret\" environment "
                           "variable \"%V\" is not set", name);
        return NGX_ERROR;
    }

    if (value[0] == '\0') {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"webhook_signature_secret\" environment "
                           "variable \"%V\" is empty", name);
        return NGX_ERROR;
    }

    secret->len = ngx_strlen(value);
    secret->data = static_cast<u_char *>(ngx_pnalloc(cf->pool, secret->len));
    if (secret->data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(secret->data, value, secret->len);

    return NGX_OK;
}


/* webhook_signature off | novu | notifykit | auto | hmac | <preset>; */

static char *
ngx_http_webhook_signature_scheme(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_webhook_signature_loc_conf_t *wlcf =
        static_cast<ngx_http_webhook_signature_loc_conf_t *>(conf);

    int         id;
    ngx_str_t  *value;

    if (wlcf->scheme != NGX_CONF_UNSET_UINT) {
        return (char *) "is duplicate";
    }

    value = static_cast<ngx_str_t *>(cf->args->elts);

    id = ws_scheme_find({ value[1].data, value[1].len });

    if (id < 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid value \"%V\" in \"%V\" directive",
                           &value[1], &cmd->name);
        return (char *) NGX_CONF_ERROR;
    }

    wlcf->scheme = (ngx_uint_t) id;

    return NGX_CONF_OK;
}


/*
 * webhook_signature_hmac header=NAME [prefix=TEXT] [algorithm=sha1|sha256|
 *     sha512] [encoding=hex|base64];
 */

static char *
ngx_http_webhook_signature_hmac(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_webhook_signature_loc_conf_t *wlcf =
        static_cast<ngx_http_webhook_signature_loc_conf_t *>(conf);

    size_t               len;
    ngx_str_t           *value, *param;
    ngx_str_t            header, prefix, algorithm, encoding;
    ngx_uint_t           i, k;
    const char          *why;
    ngx_pool_cleanup_t  *cln;

    static const struct {
        const char  *name;
        size_t       offset;
    } params[] = {
        { "header=", 0 }, { "prefix=", 1 }, { "algorithm=", 2 },
        { "encoding=", 3 },
    };

    ngx_str_t  *fields[] = { &header, &prefix, &algorithm, &encoding };

    if (wlcf->hmac != NGX_CONF_UNSET_PTR) {
        return (char *) "is duplicate";
    }

    value = static_cast<ngx_str_t *>(cf->args->elts);
    ngx_str_null(&header);
    ngx_str_null(&prefix);
    ngx_str_null(&algorithm);
    ngx_str_null(&encoding);

    for (i = 1; i < cf->args->nelts; i++) {
        param = NULL;

        for (k = 0; k < sizeof(params) / sizeof(params[0]); k++) {
            len = ngx_strlen(params[k].name);

            if (value[i].len >= len
                && ngx_strncmp(value[i].data, params[k].name, len) == 0)
            {
                param = fields[params[k].offset];
                break;
            }
        }

        if (param == NULL || param->data != NULL) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid parameter \"%V\" in \"%V\"",
                               &value[i], &cmd->name);
            return (char *) NGX_CONF_ERROR;
        }

        param->data = value[i].data + len;
        param->len = value[i].len - len;
    }

    if (header.data == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" requires \"header=\"", &cmd->name);
        return (char *) NGX_CONF_ERROR;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        return (char *) NGX_CONF_ERROR;
    }

    wlcf->hmac = ws_scheme_hmac_create({ header.data, header.len },
                                       { prefix.data, prefix.len },
                                       { algorithm.data, algorithm.len },
                                       { encoding.data, encoding.len }, &why);
    if (wlcf->hmac == NULL) {
        if (why != NULL) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "%s in \"%V\"", why,
                               &cmd->name);
        }
        return (char *) NGX_CONF_ERROR;
    }

    cln->handler = ngx_http_webhook_signature_destroy_hmac;
    cln->data = wlcf->hmac;

    return NGX_CONF_OK;
}


static void
ngx_http_webhook_signature_destroy_hmac(void *data)
{
    ws_scheme_hmac_destroy(static_cast<ws_scheme_t *>(data));
}


/* webhook_signature_url COMPLEX_VALUE; */

static char *
ngx_http_webhook_signature_url(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_webhook_signature_loc_conf_t *wlcf =
        static_cast<ngx_http_webhook_signature_loc_conf_t *>(conf);

    ngx_str_t  *value;

    if (wlcf->url != NGX_CONF_UNSET_PTR) {
        return (char *) "is duplicate";
    }

    value = static_cast<ngx_str_t *>(cf->args->elts);

    /* the sender signs an absolute URL: a scheme, or a variable giving it */

    if (!(value[1].len > 7 && ngx_strncmp(value[1].data, "http://", 7) == 0)
        && !(value[1].len > 8
             && ngx_strncmp(value[1].data, "https://", 8) == 0)
        && !(value[1].len > 1 && value[1].data[0] == '$'))
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" must be the absolute URL the sender "
                           "calls, \"https://...\" (or start with a "
                           "variable that gives it)", &cmd->name);
        return (char *) NGX_CONF_ERROR;
    }

    if (ngx_http_webhook_signature_compile_value(cf, &value[1], &wlcf->url)
        != NGX_OK)
    {
        return (char *) NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/* a value with variables, compiled once (webhook_signature_url) */

static ngx_int_t
ngx_http_webhook_signature_compile_value(ngx_conf_t *cf, ngx_str_t *value,
    ngx_http_complex_value_t **cv)
{
    ngx_http_compile_complex_value_t  ccv;

    *cv = static_cast<ngx_http_complex_value_t *>(
              ngx_pcalloc(cf->pool, sizeof(ngx_http_complex_value_t)));
    if (*cv == NULL) {
        return NGX_ERROR;
    }

    ngx_memzero(&ccv, sizeof(ngx_http_compile_complex_value_t));
    ccv.cf = cf;
    ccv.value = value;
    ccv.complex_value = *cv;

    return ngx_http_compile_complex_value(&ccv);
}


/* webhook_signature_tolerance TIME | off; */

static char *
ngx_http_webhook_signature_tolerance(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_webhook_signature_loc_conf_t *wlcf =
        static_cast<ngx_http_webhook_signature_loc_conf_t *>(conf);

    ngx_str_t  *value;

    value = static_cast<ngx_str_t *>(cf->args->elts);

    if (ngx_strcasecmp(value[1].data, (u_char *) "off") != 0) {
        return ngx_conf_set_msec_slot(cf, cmd, conf);
    }

    if (wlcf->tolerance != NGX_CONF_UNSET_MSEC) {
        return (char *) "is duplicate";
    }

    wlcf->tolerance = NGX_HTTP_WEBHOOK_SIGNATURE_NO_TOLERANCE;

    return NGX_CONF_OK;
}


/*
 * nginx's enum slot does the work; this only names the directive when the
 * value is not one of its keywords.
 */

static char *
ngx_http_webhook_signature_set_enum(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_str_t        *value;
    ngx_conf_enum_t  *e;

    value = static_cast<ngx_str_t *>(cf->args->elts);

    for (e = static_cast<ngx_conf_enum_t *>(cmd->post); e->name.len; e++) {
        if (e->name.len == value[1].len
            && ngx_strcasecmp(e->name.data, value[1].data) == 0)
        {
            return ngx_conf_set_enum_slot(cf, cmd, conf);
        }
    }

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid value \"%V\" in \"%V\" directive",
                       &value[1], &cmd->name);

    return (char *) NGX_CONF_ERROR;
}


/* the returned text follows the directive's name in nginx's message */

static char *
ngx_http_webhook_signature_check_status(ngx_conf_t *cf, void *post,
    void *data)
{
    ngx_int_t  *status = static_cast<ngx_int_t *>(data);

    if (*status < 400 || *status > 599) {
        return (char *) "must be between 400 and 599";
    }

    return NGX_CONF_OK;
}


/* ---------------------------------------------------------------- replay */

static char *
ngx_http_webhook_signature_replay_zone(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    u_char                                    *p;
    ssize_t                                    size;
    ngx_str_t                                 *value, name, s;
    ngx_uint_t                                 i;
    ngx_shm_zone_t                            *shm_zone;
    ngx_http_webhook_signature_replay_zone_t  *zone;

    value = static_cast<ngx_str_t *>(cf->args->elts);

    p = static_cast<u_char *>(
            ngx_strlchr(value[1].data, value[1].data + value[1].len, ':'));

    if (p == NULL || p == value[1].data) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid zone \"%V\", expected NAME:SIZE",
                           &value[1]);
        return (char *) NGX_CONF_ERROR;
    }

    name.data = value[1].data;
    name.len = p - value[1].data;

    s.data = p + 1;
    s.len = value[1].data + value[1].len - s.data;

    size = ngx_parse_size(&s);

    if (size == NGX_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid zone size \"%V\"", &value[1]);
        return (char *) NGX_CONF_ERROR;
    }

    if (size < (ssize_t) (8 * ngx_pagesize)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "zone \"%V\" is too small", &value[1]);
        return (char *) NGX_CONF_ERROR;
    }

    zone = static_cast<ngx_http_webhook_signature_replay_zone_t *>(
               ngx_pcalloc(cf->pool,
                       sizeof(ngx_http_webhook_signature_replay_zone_t)));
    if (zone == NULL) {
        return (char *) NGX_CONF_ERROR;
    }

    zone->name = name;
    zone->ttl = NGX_CONF_UNSET_MSEC;
    zone->full = NGX_HTTP_WEBHOOK_SIGNATURE_REPLAY_CLOSED;

    for (i = 2; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "ttl=", 4) == 0) {
            s.data = value[i].data + 4;
            s.len = value[i].len - 4;

            zone->ttl = ngx_parse_time(&s, 0);

            if (zone->ttl == (ngx_msec_t) NGX_ERROR || zone->ttl == 0) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "invalid ttl \"%V\"", &value[i]);
                return (char *) NGX_CONF_ERROR;
            }

            continue;
        }

        if (ngx_strcmp(value[i].data, "full=closed") == 0) {
            zone->full = NGX_HTTP_WEBHOOK_SIGNATURE_REPLAY_CLOSED;
            continue;
        }

        if (ngx_strcmp(value[i].data, "full=open") == 0) {
            zone->full = NGX_HTTP_WEBHOOK_SIGNATURE_REPLAY_OPEN;
            continue;
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid parameter \"%V\"", &value[i]);
        return (char *) NGX_CONF_ERROR;
    }

    shm_zone = ngx_shared_memory_add(cf, &name, size,
                                     &ngx_http_webhook_signature_module);
    if (shm_zone == NULL) {
        return (char *) NGX_CONF_ERROR;
    }

    if (shm_zone->data) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "duplicate zone \"%V\"", &name);
        return (char *) NGX_CONF_ERROR;
    }

    shm_zone->init = ngx_http_webhook_signature_replay_init_zone;
    shm_zone->data = zone;

    return NGX_CONF_OK;
}


/* on reload, the records of the previous cycle's zone are kept */

static ngx_int_t
ngx_http_webhook_signature_replay_init_zone(ngx_shm_zone_t *shm_zone,
    void *data)
{
    size_t                                     len;
    ngx_uint_t                                 i;
    ngx_http_webhook_signature_replay_zone_t  *zone, *ozone;

    ozone = static_cast<ngx_http_webhook_signature_replay_zone_t *>(data);
    zone = static_cast<ngx_http_webhook_signature_replay_zone_t *>(
               shm_zone->data);

    if (ozone != NULL) {
        zone->sh = ozone->sh;
        zone->shpool = ozone->shpool;
        return NGX_OK;
    }

    zone->shpool = reinterpret_cast<ngx_slab_pool_t *>(shm_zone->shm.addr);

    if (shm_zone->shm.exists) {
        zone->sh = static_cast<ngx_http_webhook_signature_replay_shctx_t *>(
                       zone->shpool->data);
        return NGX_OK;
    }

    zone->sh = static_cast<ngx_http_webhook_signature_replay_shctx_t *>(
                   ngx_slab_alloc(zone->shpool,
                       sizeof(ngx_http_webhook_signature_replay_shctx_t)));
    if (zone->sh == NULL) {
        return NGX_ERROR;
    }

    zone->shpool->data = zone->sh;

    ngx_rbtree_init(&zone->sh->rbtree, &zone->sh->sentinel,
                    ngx_http_webhook_signature_replay_insert_value);

    for (i = 0; i < NGX_HTTP_WEBHOOK_SIGNATURE_REPLAY_LIFETIMES; i++) {
        ngx_queue_init(&zone->sh->queues[i]);
    }

    len = sizeof(" in webhook_signature_replay_zone \"\"")
          + shm_zone->shm.name.len;

    zone->shpool->log_ctx = static_cast<u_char *>(
                                ngx_slab_alloc(zone->shpool, len));
    if (zone->shpool->log_ctx == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf(zone->shpool->log_ctx,
                " in webhook_signature_replay_zone \"%V\"%Z",
                &shm_zone->shm.name);

    /* a full zone is reported by the module, once a second */
    zone->shpool->log_nomem = 0;

    ngx_http_webhook_signature_replay_carry(shm_zone, zone);

    return NGX_OK;
}


/*
 * A reload that resizes a zone gets a new one (nginx reuses a zone only at
 * the same size): the live records of the previous cycle's zone, still
 * mapped while this one is initialized, are copied into it, newest first
 * (the oldest expire soonest), as many as fit.  A pending one stays
 * pending here until it expires (its request resolves the old zone): its
 * copies are refused, and so is the sender's retry if it failed.
 */

static void
ngx_http_webhook_signature_replay_carry(ngx_shm_zone_t *shm_zone,
    ngx_http_webhook_signature_replay_zone_t *zone)
{
    size_t                                     size;
    ngx_flag_t                                 fit;
    ngx_uint_t                                 q, carried;
    ngx_queue_t                               *e, *queue;
    ngx_shm_zone_t                            *old;
    ngx_rbtree_node_t                         *node;
    ngx_http_webhook_signature_replay_zone_t  *ozone;
    ngx_http_webhook_signature_replay_node_t  *rn, *orn;

    old = ngx_http_webhook_signature_shm_zone(shm_zone->tag,
                                              &shm_zone->shm.name, 0);
    if (old == NULL) {
        return;
    }

    ozone = static_cast<ngx_http_webhook_signature_replay_zone_t *>(
                old->data);

    if (ozone->sh == NULL) {
        return;
    }

    size = offsetof(ngx_rbtree_node_t, color)
           + sizeof(ngx_http_webhook_signature_replay_node_t);
    carried = 0;
    fit = 1;

    ngx_shmtx_lock(&ozone->shpool->mutex);

    for (q = 0; q < NGX_HTTP_WEBHOOK_SIGNATURE_REPLAY_LIFETIMES; q++) {
        queue = &ozone->sh->queues[q];

        for (e = ngx_queue_head(queue);
             e != ngx_queue_sentinel(queue);
             e = ngx_queue_next(e))
        {
            orn = ngx_queue_data(e, ngx_http_webhook_signature_replay_node_t,
                                 queue);

            if ((ngx_msec_int_t) (orn->expire - ngx_current_msec) <= 0) {
                continue;
            }

            node = static_cast<ngx_rbtree_node_t *>(
                       ngx_slab_alloc_locked(zone->shpool, size));
            if (node == NULL) {
                fit = 0;
                goto full;
            }

            ngx_memcpy(&node->key, orn->key, sizeof(ngx_rbtree_key_t));
            rn = reinterpret_cast<ngx_http_webhook_signature_replay_node_t *>(
                     &node->color);
            rn->state = orn->state;
            rn->serial = ++zone->sh->serial;
            rn->expire = orn->expire;
            ngx_memcpy(rn->key, orn->key,
                       NGX_HTTP_WEBHOOK_SIGNATURE_REPLAY_KEY);

            ngx_rbtree_insert(&zone->sh->rbtree, node);
            ngx_queue_insert_tail(&zone->sh->queues[q], &rn->queue);

            if (rn->state == NGX_HTTP_WEBHOOK_SIGNATURE_REPLAY_DONE) {
                zone->sh->done++;

            } else {
                zone->sh->pending++;
            }

            carried++;
        }
    }

full:

    ngx_shmtx_unlock(&ozone->shpool->mutex);

    /* a record left behind reopens its message's replay window */

    ngx_log_error((fit ? NGX_LOG_NOTICE : NGX_LOG_WARN), ngx_cycle->log, 0,
                  "webhook_signature_replay_zone \"%V\": %ui records "
                  "carried over from the zone of another size%s",
                  &zone->name, carried,
                  fit ? "" : ", the oldest others did not fit");
}


static char *
ngx_http_webhook_signature_replay(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_webhook_signature_loc_conf_t *wlcf =
        static_cast<ngx_http_webhook_signature_loc_conf_t *>(conf);

    ngx_int_t                             *code, n;
    ngx_str_t                             *value, s;
    ngx_uint_t                             i;
    ngx_http_webhook_signature_replay_t   *rp;

    if (wlcf->replay != NGX_CONF_UNSET_PTR) {
        return (char *) "is duplicate";
    }

    value = static_cast<ngx_str_t *>(cf->args->elts);

    /* off: not recorded here, whatever an enclosing level records */

    if (cf->args->nelts == 2 && ngx_strcmp(value[1].data, "off") == 0) {
        wlcf->replay = NULL;
        return NGX_CONF_OK;
    }

    rp = static_cast<ngx_http_webhook_signature_replay_t *>(
             ngx_pcalloc(cf->pool,
                         sizeof(ngx_http_webhook_signature_replay_t)));
    if (rp == NULL) {
        return (char *) NGX_CONF_ERROR;
    }

    rp->key = NGX_HTTP_WEBHOOK_SIGNATURE_REPLAY_MAC;
    rp->duplicate = NGX_CONF_UNSET;
    rp->inflight = NGX_HTTP_TOO_MANY_REQUESTS;

    rp->shm_zone = ngx_shared_memory_add(cf, &value[1], 0,
                                         &ngx_http_webhook_signature_module);
    if (rp->shm_zone == NULL) {
        return (char *) NGX_CONF_ERROR;
    }

    for (i = 2; i < cf->args->nelts; i++) {

        if (ngx_strcmp(value[i].data, "key=mac") == 0) {
            rp->key = NGX_HTTP_WEBHOOK_SIGNATURE_REPLAY_MAC;
            continue;
        }

        if (ngx_strcmp(value[i].data, "key=id") == 0) {
            rp->key = NGX_HTTP_WEBHOOK_SIGNATURE_REPLAY_ID;
            continue;
        }

        if (ngx_strncmp(value[i].data, "duplicate=", 10) == 0) {
            code = &rp->duplicate;
            s.data = value[i].data + 10;
            s.len = value[i].len - 10;

        } else if (ngx_strncmp(value[i].data, "inflight=", 9) == 0) {
            code = &rp->inflight;
            s.data = value[i].data + 9;
            s.len = value[i].len - 9;

        } else {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid parameter \"%V\"", &value[i]);
            return (char *) NGX_CONF_ERROR;
        }

        n = ngx_atoi(s.data, s.len);

        /* duplicate= may answer 2xx: a copy acknowledged as delivered */

        if (n == NGX_ERROR || n > 599
            || n < (code == &rp->duplicate ? 200 : 400)
            || (n >= 300 && n < 400))
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid status \"%V\"", &value[i]);
            return (char *) NGX_CONF_ERROR;
        }

        *code = n;
    }

    wlcf->replay = rp;

    return NGX_CONF_OK;
}


/*
 * Once the scheme is merged: the zone must be declared, key=id needs a
 * signed delivery id, and a record needs a lifetime (a timestamp's
 * tolerance, or the zone's ttl=).
 */

static char *
ngx_http_webhook_signature_replay_merge(ngx_conf_t *cf,
    ngx_http_webhook_signature_loc_conf_t *conf,
    ngx_http_webhook_signature_loc_conf_t *prev)
{
    ngx_uint_t                                 i;
    const char                                *scheme;
    ngx_http_webhook_signature_replay_t       *rp;
    ngx_http_webhook_signature_replay_zone_t  *zone;

    ngx_conf_merge_ptr_value(conf->replay, prev->replay, NULL);

    rp = conf->replay;

    if (rp == NULL) {
        return NGX_CONF_OK;
    }

    zone = static_cast<ngx_http_webhook_signature_replay_zone_t *>(
               rp->shm_zone->data);

    if (zone == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"webhook_signature_replay\": unknown "
                           "webhook_signature_replay_zone \"%V\"",
                           &rp->shm_zone->shm.name);
        return (char *) NGX_CONF_ERROR;
    }

    if (conf->scheme == WS_SCHEME_OFF) {
        return NGX_CONF_OK;
    }

    scheme = ws_scheme_name(static_cast<ws_scheme_e>(conf->scheme));

    if (!ws_scheme_signs_message(conf->row)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"webhook_signature_replay\" cannot be used "
                           "with \"%s\": it signs nothing a copy could "
                           "be told by", scheme);
        return (char *) NGX_CONF_ERROR;
    }

    if (rp->key == NGX_HTTP_WEBHOOK_SIGNATURE_REPLAY_ID
        && !ws_scheme_signs_delivery_id(conf->row))
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"webhook_signature_replay\" key=id requires "
                           "a scheme that signs a delivery id, "
                           "not \"%s\"", scheme);
        return (char *) NGX_CONF_ERROR;
    }

    if (conf->tolerance_ms == WS_TOLERANCE_OFF
        && zone->ttl == NGX_CONF_UNSET_MSEC)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"webhook_signature_replay\" with \"%s\" and "
                           "no timestamp tolerance requires ttl= in "
                           "webhook_signature_replay_zone \"%V\"",
                           scheme, &zone->name);
        return (char *) NGX_CONF_ERROR;
    }

    /*
     * 2 x tolerance, and the second a timestamp is rounded to: any copy the
     * tolerance accepts arrives within it, so ttl= may lengthen it only
     */

    conf->replay_lifetime = 0;

    if (conf->tolerance_ms != WS_TOLERANCE_OFF) {
        conf->replay_lifetime = (ngx_msec_t) (2 * conf->tolerance_ms + 1000);
    }

    if (zone->ttl != NGX_CONF_UNSET_MSEC) {
        conf->replay_lifetime = ngx_max(conf->replay_lifetime, zone->ttl);
    }

    for (i = 0; i < zone->nlifetimes; i++) {
        if (zone->lifetimes[i] == conf->replay_lifetime) {
            break;
        }
    }

    if (i == NGX_HTTP_WEBHOOK_SIGNATURE_REPLAY_LIFETIMES) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"webhook_signature_replay\": more than %d "
                           "record lifetimes (tolerances) in "
                           "webhook_signature_replay_zone \"%V\"",
                           NGX_HTTP_WEBHOOK_SIGNATURE_REPLAY_LIFETIMES,
                           &zone->name);
        return (char *) NGX_CONF_ERROR;
    }

    if (i == zone->nlifetimes) {
        zone->lifetimes[zone->nlifetimes++] = conf->replay_lifetime;
    }

    conf->replay_queue = i;

    return NGX_CONF_OK;
}


static void *
ngx_http_webhook_signature_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_webhook_signature_loc_conf_t  *conf;

    conf = static_cast<ngx_http_webhook_signature_loc_conf_t *>(
               ngx_pcalloc(cf->pool,
                           sizeof(ngx_http_webhook_signature_loc_conf_t)));
    if (conf == NULL) {
        return NULL;
    }

    /* row, secrets, variables: set by merge */
    conf->scheme = NGX_CONF_UNSET_UINT;
    conf->hmac = static_cast<ws_scheme_t *>(NGX_CONF_UNSET_PTR);
    conf->sources = static_cast<ngx_array_t *>(NGX_CONF_UNSET_PTR);
    conf->url = static_cast<ngx_http_complex_value_t *>(NGX_CONF_UNSET_PTR);
    conf->subscriber_id =
        static_cast<ngx_http_complex_value_t *>(NGX_CONF_UNSET_PTR);
    conf->tolerance = NGX_CONF_UNSET_MSEC;
    conf->mode = NGX_CONF_UNSET_UINT;
    conf->status = NGX_CONF_UNSET;
    conf->log_level = NGX_CONF_UNSET_UINT;
    conf->replay =
        static_cast<ngx_http_webhook_signature_replay_t *>(NGX_CONF_UNSET_PTR);

    return conf;
}


static char *
ngx_http_webhook_signature_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child)
{
    ngx_http_webhook_signature_loc_conf_t *prev =
        static_cast<ngx_http_webhook_signature_loc_conf_t *>(parent);
    ngx_http_webhook_signature_loc_conf_t *conf =
        static_cast<ngx_http_webhook_signature_loc_conf_t *>(child);

    static ngx_str_t  default_url = ngx_string("$scheme://$host$request_uri");

    ngx_conf_merge_ptr_value(conf->sources, prev->sources, NULL);
    ngx_conf_merge_ptr_value(conf->hmac, prev->hmac, NULL);
    ngx_conf_merge_ptr_value(conf->url, prev->url, NULL);
    ngx_conf_merge_ptr_value(conf->subscriber_id, prev->subscriber_id, NULL);
    ngx_conf_merge_uint_value(conf->scheme, prev->scheme,
                              (ngx_uint_t) WS_SCHEME_OFF);
    ngx_conf_merge_uint_value(conf->mode, prev->mode,
                              NGX_HTTP_WEBHOOK_SIGNATURE_ENFORCE);
    ngx_conf_merge_value(conf->status, prev->status, NGX_HTTP_UNAUTHORIZED);
    ngx_conf_merge_uint_value(conf->log_level, prev->log_level, NGX_LOG_ERR);

    /* unset stays unset down the levels: each scheme has its own default */
    if (conf->tolerance == NGX_CONF_UNSET_MSEC) {
        conf->tolerance = prev->tolerance;
    }

    if (conf->scheme == WS_SCHEME_OFF) {
        return ngx_http_webhook_signature_replay_merge(cf, conf, prev);
    }

    if (conf->scheme == WS_SCHEME_HMAC) {
        if (conf->hmac == NULL) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"webhook_signature hmac\" requires "
                               "\"webhook_signature_hmac\"");
            return (char *) NGX_CONF_ERROR;
        }

        conf->row = conf->hmac;

    } else {
        conf->row = ws_scheme_get(static_cast<ws_scheme_e>(conf->scheme));
    }

    conf->header_lengths = ws_scheme_header_lengths(conf->row);
    conf->header_initials = ws_scheme_header_initials(conf->row);

    if (conf->sources == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"webhook_signature\" directive requires "
                           "\"webhook_signature_secret\"");
        return (char *) NGX_CONF_ERROR;
    }

    if (conf->tolerance == NGX_CONF_UNSET_MSEC) {
        conf->tolerance_ms = ws_scheme_tolerance(conf->row);

    } else {
        conf->tolerance_ms =
            (conf->tolerance == NGX_HTTP_WEBHOOK_SIGNATURE_NO_TOLERANCE)
            ? WS_TOLERANCE_OFF : (int64_t) conf->tolerance;
    }

    /* kept as merged for the levels below, whatever this scheme signs */

    if (conf->url == NULL && ws_scheme_signs_url(conf->row)
        && ngx_http_webhook_signature_compile_value(cf, &default_url,
                                                  &conf->url)
           != NGX_OK)
    {
        return (char *) NGX_CONF_ERROR;
    }

    if (ngx_http_webhook_signature_prepare_secrets(cf, conf, prev)
        != NGX_OK)
    {
        return (char *) NGX_CONF_ERROR;
    }

    if (ngx_http_webhook_signature_replay_merge(cf, conf, prev)
        != NGX_CONF_OK)
    {
        return (char *) NGX_CONF_ERROR;
    }

    if (ngx_http_webhook_signature_metrics_add(cf,
                                     static_cast<ws_scheme_e>(conf->scheme),
                                     conf->mode, conf->sources->nelts,
                                     conf->replay != NULL)
        != NGX_OK)
    {
        return (char *) NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_webhook_signature_add_variables(ngx_conf_t *cf)
{
    ngx_http_variable_t  *var, *v;

    for (v = ngx_http_webhook_signature_vars; v->name.len; v++) {
        var = ngx_http_add_variable(cf, &v->name, v->flags);
        if (var == NULL) {
            return NGX_ERROR;
        }

        var->get_handler = v->get_handler;
        var->data = v->data;
    }

    return NGX_OK;
}


/*
 * The precontent phase follows the access phase, whose checks (allow/deny,
 * auth_basic, auth_request) have then decided under "satisfy"; a signature
 * is required in addition.  nginx runs a phase's handlers in reverse order
 * of registration, and a dynamic module registers after nginx's own: this
 * handler runs before try_files and mirror.
 */

static ngx_int_t
ngx_http_webhook_signature_init(ngx_conf_t *cf)
{
    ngx_http_handler_pt        *h;
    ngx_http_core_main_conf_t  *cmcf;

    cmcf = static_cast<ngx_http_core_main_conf_t *>(
               ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module));

    h = static_cast<ngx_http_handler_pt *>(
            ngx_array_push(&cmcf->phases[NGX_HTTP_PRECONTENT_PHASE].handlers));
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_webhook_signature_handler;

    ngx_http_webhook_signature_next_body_filter =
                                            ngx_http_top_request_body_filter;
    ngx_http_top_request_body_filter = ngx_http_webhook_signature_body_filter;

    return ngx_http_webhook_signature_replay_init(cf);
}
