/*
 * ngx_http_webhook_signature_module: verifies webhook HMAC signatures
 * (Novu's Novu-Signature, NotifyKit's X-Webhook-Signature) in the access
 * phase, before the request reaches an upstream.
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


#define NGX_HTTP_WEBHOOK_SIGNATURE_ENFORCE       0
#define NGX_HTTP_WEBHOOK_SIGNATURE_REPORT        1

/* webhook_signature_tolerance off */
#define NGX_HTTP_WEBHOOK_SIGNATURE_NO_TOLERANCE  ((ngx_msec_t) -2)

/* a secret file larger than this is a mistake, not a key */
#define NGX_HTTP_WEBHOOK_SIGNATURE_MAX_SECRET    65536

/*
 * A temp-file part (of a body read before the module's turn) is hashed
 * front to back in one go: mapping all its pages at once costs one call
 * where faulting them in costs one fault per 64 KiB (about 17 per MiB).
 */
#if (NGX_LINUX && defined MAP_POPULATE)
#define NGX_HTTP_WEBHOOK_SIGNATURE_MAP_FLAGS     MAP_POPULATE
#else
#define NGX_HTTP_WEBHOOK_SIGNATURE_MAP_FLAGS     0
#endif



/*
 * A secret without variables (a literal, file= or env=) is also keyed once
 * here, so requests skip keying a MAC: that costs more than hashing a small
 * body.
 */
typedef struct {
    ngx_http_complex_value_t    value;
    ws_key_t                   *key;        /* NULL: has variables */
} ngx_http_webhook_signature_secret_t;


typedef struct {
    ngx_uint_t                  scheme;     /* ws_scheme_e */
    ngx_array_t                *secrets;    /* of ..._secret_t */
    ngx_msec_t                  tolerance;
    ngx_uint_t                  mode;
    ngx_int_t                   status;
    ngx_uint_t                  log_level;
} ngx_http_webhook_signature_loc_conf_t;


/*
 * One per main request.  It outlives internal redirects (which zero r->ctx)
 * because it is also reachable through its request pool cleanup.
 */
typedef struct {
    ws_check_t                 *check;
    ws_result_e                 result;     /* WS_RESULT_NONE: not decided */

    /* between ngx_http_read_client_request_body() and its body handler */
    unsigned                    reading_body:1;
    unsigned                    body_read:1;
    /* nginx gave up on the body (e.g. 413) while the module waited for it */
    unsigned                    body_lost:1;
    /* the failure was answered with an error status, not let through */
    unsigned                    rejected:1;
    /* the body filter hashes the body as nginx reads it (see below) */
    unsigned                    streaming:1;
    unsigned                    stream_failed:1;
    off_t                       streamed;   /* bytes the body filter hashed */
} ngx_http_webhook_signature_ctx_t;


static ngx_int_t ngx_http_webhook_signature_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_webhook_signature_verdict(ngx_http_request_t *r,
    ngx_http_webhook_signature_loc_conf_t *wlcf,
    ngx_http_webhook_signature_ctx_t *ctx);
static ngx_int_t ngx_http_webhook_signature_start(ngx_http_request_t *r,
    ngx_http_webhook_signature_loc_conf_t *wlcf);
static ngx_http_webhook_signature_ctx_t *ngx_http_webhook_signature_create_ctx(
    ngx_http_request_t *r, ngx_http_webhook_signature_loc_conf_t *wlcf);
static ngx_http_webhook_signature_ctx_t *ngx_http_webhook_signature_find_ctx(
    ngx_http_request_t *r);
static void ngx_http_webhook_signature_cleanup(void *data);
static ws_result_e ngx_http_webhook_signature_check_headers(
    ngx_http_request_t *r, ngx_http_webhook_signature_loc_conf_t *wlcf,
    ngx_http_webhook_signature_ctx_t *ctx);
static ws_result_e ngx_http_webhook_signature_begin(ngx_http_request_t *r,
    ngx_http_webhook_signature_loc_conf_t *wlcf,
    ngx_http_webhook_signature_ctx_t *ctx);
static void ngx_http_webhook_signature_body_handler(ngx_http_request_t *r);
static ws_result_e ngx_http_webhook_signature_verify_body(
    ngx_http_request_t *r, ngx_http_webhook_signature_ctx_t *ctx);
static ngx_flag_t ngx_http_webhook_signature_body_complete(
    ngx_http_request_t *r, off_t hashed);
static ws_result_e ngx_http_webhook_signature_body_lost(ngx_http_request_t *r);
static ngx_int_t ngx_http_webhook_signature_body_filter(ngx_http_request_t *r,
    ngx_chain_t *in);
static ws_result_e ngx_http_webhook_signature_hash_buffers(
    ngx_http_request_t *r, ngx_http_webhook_signature_ctx_t *ctx,
    off_t *hashed);
static ws_result_e ngx_http_webhook_signature_hash_file(ngx_http_request_t *r,
    ngx_http_webhook_signature_ctx_t *ctx, ngx_buf_t *b);
static ngx_int_t ngx_http_webhook_signature_decide(ngx_http_request_t *r,
    ngx_http_webhook_signature_loc_conf_t *wlcf,
    ngx_http_webhook_signature_ctx_t *ctx, ws_result_e result);
static ngx_int_t ngx_http_webhook_signature_reject(ngx_http_request_t *r,
    ngx_http_webhook_signature_ctx_t *ctx, ngx_uint_t status);
static ngx_flag_t ngx_http_webhook_signature_has_error_page(
    ngx_http_request_t *r, ngx_uint_t status);

static ngx_int_t ngx_http_webhook_signature_result_variable(
    ngx_http_request_t *r, ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_webhook_signature_timestamp_variable(
    ngx_http_request_t *r, ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_webhook_signature_key_variable(
    ngx_http_request_t *r, ngx_http_variable_value_t *v, uintptr_t data);
static ngx_http_webhook_signature_ctx_t *
    ngx_http_webhook_signature_decided_ctx(ngx_http_request_t *r);
static void ngx_http_webhook_signature_set_variable(
    ngx_http_variable_value_t *v, u_char *data, size_t len);

static char *ngx_http_webhook_signature_secret(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static ngx_int_t ngx_http_webhook_signature_read_secret_file(ngx_conf_t *cf,
    ngx_str_t *path, ngx_str_t *secret);
static ngx_int_t ngx_http_webhook_signature_read_secret_env(ngx_conf_t *cf,
    ngx_str_t *name, ngx_str_t *secret);
static ngx_int_t ngx_http_webhook_signature_key_secret(ngx_conf_t *cf,
    ngx_http_webhook_signature_secret_t *secret);
static void ngx_http_webhook_signature_destroy_key(void *data);
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


extern "C" {
extern ngx_module_t  ngx_http_webhook_signature_module;
}


static ngx_conf_enum_t  ngx_http_webhook_signature_schemes[] = {
    { ngx_string("off"), WS_SCHEME_OFF },
    { ngx_string("novu"), WS_SCHEME_NOVU },
    { ngx_string("notifykit"), WS_SCHEME_NOTIFYKIT },
    { ngx_string("auto"), WS_SCHEME_AUTO },
    { ngx_null_string, 0 }
};


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
      ngx_http_webhook_signature_set_enum,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_webhook_signature_loc_conf_t, scheme),
      &ngx_http_webhook_signature_schemes },

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


static ngx_http_request_body_filter_pt  ngx_http_webhook_signature_next_body_filter;


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

      ngx_http_null_variable
};


/*
 * The access handler runs once on entry and once more after the body has
 * been read (the mirror module's pattern), and again in any location an
 * internal redirect leads to.
 */

static ngx_int_t
ngx_http_webhook_signature_handler(ngx_http_request_t *r)
{
    ngx_http_webhook_signature_ctx_t       *ctx;
    ngx_http_webhook_signature_loc_conf_t  *wlcf;

    wlcf = static_cast<ngx_http_webhook_signature_loc_conf_t *>(
               ngx_http_get_module_loc_conf(r,
                                          ngx_http_webhook_signature_module));

    /*
     * Subrequests never reach the access phase (it is skipped for them);
     * the test keeps it so should that ever change.
     */

    if (wlcf->scheme == WS_SCHEME_OFF || r != r->main) {
        return NGX_DECLINED;
    }

    ctx = static_cast<ngx_http_webhook_signature_ctx_t *>(
              ngx_http_get_module_ctx(r, ngx_http_webhook_signature_module));

    if (ctx == NULL) {
        ctx = ngx_http_webhook_signature_find_ctx(r);

        if (ctx == NULL) {
            return ngx_http_webhook_signature_start(r, wlcf);
        }

        /* an internal redirect brought the request here */

        ngx_http_set_ctx(r, ctx, ngx_http_webhook_signature_module);

        if (ctx->reading_body) {
            /* nginx gave up reading the body (e.g. 413) and redirected */
            ctx->reading_body = 0;
            ctx->body_read = 1;
            ctx->body_lost = 1;
        }
    }

    if (ctx->reading_body) {
        return NGX_DONE;
    }

    if (ctx->result != WS_RESULT_NONE) {
        return ngx_http_webhook_signature_verdict(r, wlcf, ctx);
    }

    if (ctx->body_read) {
        return ngx_http_webhook_signature_decide(r, wlcf, ctx,
                          ngx_http_webhook_signature_verify_body(r, ctx));
    }

    /* not reached: without a verdict the body is always being read */

    return NGX_DECLINED;
}


/*
 * A verdict stands for the whole main request, across internal redirects.
 * A rejected request is on its way to its error page, which is served; a
 * failure let through by a report-only location is enforced by the first
 * enforcing location the request is redirected into.
 */

static ngx_int_t
ngx_http_webhook_signature_verdict(ngx_http_request_t *r,
    ngx_http_webhook_signature_loc_conf_t *wlcf,
    ngx_http_webhook_signature_ctx_t *ctx)
{
    if (ctx->result == WS_RESULT_OK) {
        return NGX_OK;
    }

    if (ctx->rejected || wlcf->mode == NGX_HTTP_WEBHOOK_SIGNATURE_REPORT) {
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

    /* what the headers decide is answered before any body is read */

    result = ngx_http_webhook_signature_check_headers(r, wlcf, ctx);

    if (result == WS_RESULT_OK) {
        result = ngx_http_webhook_signature_begin(r, wlcf, ctx);
    }

    if (result != WS_RESULT_OK) {
        return ngx_http_webhook_signature_decide(r, wlcf, ctx, result);
    }

    /*
     * Unless something read the body before this access phase (nginx then
     * hands it over whole), the body filter hashes each buffer as nginx
     * reads it, while it is still in the CPU cache, and before a large
     * body goes to a temp file.
     */

    ctx->streaming = (r->request_body == NULL);
    ctx->reading_body = 1;

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
    ngx_pool_cleanup_t                *cln;
    ngx_http_webhook_signature_ctx_t  *ctx;

    cln = ngx_pool_cleanup_add(r->pool,
                               sizeof(ngx_http_webhook_signature_ctx_t));
    if (cln == NULL) {
        return NULL;
    }

    ctx = static_cast<ngx_http_webhook_signature_ctx_t *>(cln->data);
    ngx_memzero(ctx, sizeof(ngx_http_webhook_signature_ctx_t));

    ctx->check = ws_check_create(static_cast<ws_scheme_e>(wlcf->scheme));
    if (ctx->check == NULL) {
        return NULL;
    }

    cln->handler = ngx_http_webhook_signature_cleanup;

    ngx_http_set_ctx(r, ctx, ngx_http_webhook_signature_module);

    return ctx;
}


static ngx_http_webhook_signature_ctx_t *
ngx_http_webhook_signature_find_ctx(ngx_http_request_t *r)
{
    ngx_pool_cleanup_t                *cln;
    ngx_http_webhook_signature_ctx_t  *ctx;

    ctx = static_cast<ngx_http_webhook_signature_ctx_t *>(
              ngx_http_get_module_ctx(r, ngx_http_webhook_signature_module));
    if (ctx != NULL) {
        return ctx;
    }

    /* after an internal redirect r->ctx is zeroed; the pool still has it */

    for (cln = r->pool->cleanup; cln; cln = cln->next) {
        if (cln->handler == ngx_http_webhook_signature_cleanup) {
            return static_cast<ngx_http_webhook_signature_ctx_t *>(cln->data);
        }
    }

    return NULL;
}


static void
ngx_http_webhook_signature_cleanup(void *data)
{
    ngx_http_webhook_signature_ctx_t *ctx =
        static_cast<ngx_http_webhook_signature_ctx_t *>(data);

    ws_check_destroy(ctx->check);
}


static ws_result_e
ngx_http_webhook_signature_check_headers(ngx_http_request_t *r,
    ngx_http_webhook_signature_loc_conf_t *wlcf,
    ngx_http_webhook_signature_ctx_t *ctx)
{
    int64_t           now_ms, tolerance_ms;
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

        ws_check_add_header(ctx->check, { h[i].key.data, h[i].key.len },
                            { h[i].value.data, h[i].value.len });
    }

    tp = ngx_timeofday();
    now_ms = (int64_t) tp->sec * 1000 + tp->msec;

    tolerance_ms = (wlcf->tolerance == NGX_HTTP_WEBHOOK_SIGNATURE_NO_TOLERANCE)
                   ? WS_TOLERANCE_OFF : (int64_t) wlcf->tolerance;

    return ws_check_headers(ctx->check, now_ms, tolerance_ms);
}


static ws_result_e
ngx_http_webhook_signature_begin(ngx_http_request_t *r,
    ngx_http_webhook_signature_loc_conf_t *wlcf,
    ngx_http_webhook_signature_ctx_t *ctx)
{
    ngx_str_t                             value;
    ngx_uint_t                            i, n;
    ws_key_t                            **keys;
    ws_bytes_t                           *bytes;
    ngx_http_webhook_signature_secret_t  *secrets;

    n = wlcf->secrets->nelts;
    secrets = static_cast<ngx_http_webhook_signature_secret_t *>(
                  wlcf->secrets->elts);

    bytes = static_cast<ws_bytes_t *>(ngx_palloc(r->pool,
                                                 n * sizeof(ws_bytes_t)));
    keys = static_cast<ws_key_t **>(ngx_palloc(r->pool,
                                               n * sizeof(ws_key_t *)));
    if (bytes == NULL || keys == NULL) {
        return WS_RESULT_ERROR;
    }

    for (i = 0; i < n; i++) {
        keys[i] = secrets[i].key;
        bytes[i].data = NULL;
        bytes[i].len = 0;

        if (keys[i] != NULL) {
            continue;
        }

        if (ngx_http_complex_value(r, &secrets[i].value, &value) != NGX_OK) {
            return WS_RESULT_ERROR;
        }

        bytes[i].data = value.data;
        bytes[i].len = value.len;
    }

    return ws_check_begin_keyed(ctx->check, bytes, keys, n);
}


static void
ngx_http_webhook_signature_body_handler(ngx_http_request_t *r)
{
    ngx_http_webhook_signature_ctx_t  *ctx;

    /* an internal redirect may have zeroed r->ctx meanwhile */

    ctx = ngx_http_webhook_signature_find_ctx(r);
    if (ctx == NULL || !ctx->reading_body) {
        return;
    }

    ngx_http_set_ctx(r, ctx, ngx_http_webhook_signature_module);

    ctx->reading_body = 0;
    ctx->body_read = 1;

    /* nginx leaves its empty handler here after reading; a later access
     * handler (auth_request) waits on this one */
    r->write_event_handler = ngx_http_core_run_phases;

    ngx_http_core_run_phases(r);
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

    if (ctx == NULL || !ctx->streaming || !ctx->reading_body
        || ctx->stream_failed)
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
            ctx->stream_failed = 1;
            break;
        }

        size = b->last - b->pos;

        if (ws_check_update(ctx->check, b->pos, size) != WS_RESULT_OK) {
            ctx->stream_failed = 1;
            break;
        }

        ctx->streamed += size;
    }

    return ngx_http_webhook_signature_next_body_filter(r, in);
}


static ws_result_e
ngx_http_webhook_signature_verify_body(ngx_http_request_t *r,
    ngx_http_webhook_signature_ctx_t *ctx)
{
    off_t        hashed;
    ws_result_e  result;

    if (ctx->body_lost || r->request_body == NULL || r->discard_body) {
        return ngx_http_webhook_signature_body_lost(r);
    }

    if (ctx->streaming) {
        if (ctx->stream_failed) {
            return WS_RESULT_ERROR;
        }

        hashed = ctx->streamed;

    } else {
        result = ngx_http_webhook_signature_hash_buffers(r, ctx, &hashed);
        if (result != WS_RESULT_OK) {
            return result;
        }
    }

    if (!ngx_http_webhook_signature_body_complete(r, hashed)) {
        return ngx_http_webhook_signature_body_lost(r);
    }

    return ws_check_finish(ctx->check);
}


/*
 * A body read before this module's access phase is hashed where nginx
 * keeps it: memory buffers in place and temp-file parts mapped from the
 * page cache, which neither copies them nor moves the file offset nginx
 * relies on.  Nothing is copied into one piece.
 */

static ws_result_e
ngx_http_webhook_signature_hash_buffers(ngx_http_request_t *r,
    ngx_http_webhook_signature_ctx_t *ctx, off_t *hashed)
{
    ngx_buf_t    *b;
    ngx_chain_t  *cl;
    ws_result_e   result;

    *hashed = 0;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        b = cl->buf;

        if (ngx_buf_in_memory(b)) {
            result = ws_check_update(ctx->check, b->pos, b->last - b->pos);
            *hashed += b->last - b->pos;

        } else if (b->in_file) {
            result = ngx_http_webhook_signature_hash_file(r, ctx, b);
            *hashed += b->file_last - b->file_pos;

        } else {
            continue;
        }

        if (result != WS_RESULT_OK) {
            return result;
        }
    }

    return WS_RESULT_OK;
}


/*
 * nginx discards a body it answers an error for (e.g. 413 before any
 * location ran); if error_page then leads into a protected location, what
 * is left looks like an empty body.  It must not verify as one.
 */

static ngx_flag_t
ngx_http_webhook_signature_body_complete(ngx_http_request_t *r, off_t hashed)
{
    ngx_table_elt_t  *length;

#if (NGX_HTTP_V2)
    if (r->stream && r->stream->skip_data) {
        return 0;
    }
#endif

    if (r->headers_in.chunked && r->request_body->bufs == NULL) {
        return 0;
    }

    /*
     * The header, not content_length_n: nginx rewrites that while it
     * discards a body (and HTTP/2 sets it from the DATA it received).
     */

    length = r->headers_in.content_length;

    return length == NULL
           || ngx_atoof(length->value.data, length->value.len) == hashed;
}


static ws_result_e
ngx_http_webhook_signature_body_lost(ngx_http_request_t *r)
{
    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "webhook signature: request body was discarded");

    return WS_RESULT_MISMATCH;
}


static ws_result_e
ngx_http_webhook_signature_hash_file(ngx_http_request_t *r,
    ngx_http_webhook_signature_ctx_t *ctx, ngx_buf_t *b)
{
    off_t        start;
    size_t       size;
    u_char      *map;
    ws_result_e  result;

    if (b->file_pos == b->file_last) {
        return WS_RESULT_OK;
    }

    /* mmap() offsets are page aligned; the part starts anywhere in a page */

    start = b->file_pos & ~((off_t) ngx_pagesize - 1);
    size = (size_t) (b->file_last - start);

    map = static_cast<u_char *>(mmap(NULL, size, PROT_READ,
                                     MAP_SHARED|NGX_HTTP_WEBHOOK_SIGNATURE_MAP_FLAGS,
                                     b->file->fd, start));
    if (map == MAP_FAILED) {
        ngx_log_error(NGX_LOG_CRIT, r->connection->log, ngx_errno,
                      "mmap(\"%V\") failed", &b->file->name);
        return WS_RESULT_ERROR;
    }

    result = ws_check_update(ctx->check, map + (b->file_pos - start),
                             (size_t) (b->file_last - b->file_pos));

    if (munmap(map, size) == -1) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, ngx_errno,
                      "munmap(\"%V\") failed", &b->file->name);
    }

    return result;
}


/*
 * Records the verdict and acts on it.  Rejections are finalized here rather
 * than returned to the access phase, so "satisfy any" cannot turn them into
 * a pass.
 */

static ngx_int_t
ngx_http_webhook_signature_decide(ngx_http_request_t *r,
    ngx_http_webhook_signature_loc_conf_t *wlcf,
    ngx_http_webhook_signature_ctx_t *ctx, ws_result_e result)
{
    ngx_flag_t   report;
    const char  *scheme;

    ctx->result = result;
    scheme = ws_scheme_name(ws_check_scheme(ctx->check));

    if (result == WS_RESULT_OK) {
        ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "webhook signature verified (scheme: %s, key: %uz)",
                       scheme, ws_check_key_index(ctx->check));
        return NGX_OK;
    }

    if (result == WS_RESULT_ERROR) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "webhook signature check failed: internal error "
                      "(scheme: %s)", scheme);
        return ngx_http_webhook_signature_reject(r, ctx,
                                             NGX_HTTP_INTERNAL_SERVER_ERROR);
    }

    /* a missing secret is the operator's mistake: fail closed, always */

    report = (wlcf->mode == NGX_HTTP_WEBHOOK_SIGNATURE_REPORT
              && result != WS_RESULT_NO_SECRET);

    ngx_log_error(wlcf->log_level, r->connection->log, 0,
                  "webhook signature check failed%s: %s (scheme: %s)",
                  report ? " (report only)" : "", ws_result_name(result),
                  scheme);

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

    ctx->rejected = 1;

    /* a rejected client is never asked to send its body */
    r->expect_tested = 1;

    if (r->err_status >= NGX_HTTP_SPECIAL_RESPONSE) {
        /*
         * nginx is already answering an error (e.g. 413) and its error_page
         * led here: that status is the answer, and it would overwrite ours
         */
        status = r->err_status;
    }

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

static ngx_http_webhook_signature_ctx_t *
ngx_http_webhook_signature_decided_ctx(ngx_http_request_t *r)
{
    ngx_http_webhook_signature_ctx_t  *ctx;

    ctx = ngx_http_webhook_signature_find_ctx(r->main);

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
    ngx_http_complex_value_t             *cv;
    ngx_http_compile_complex_value_t      ccv;
    ngx_http_webhook_signature_secret_t  *secret;

    value = static_cast<ngx_str_t *>(cf->args->elts);

    if (value[1].len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "empty secret in \"%V\"",
                           &cmd->name);
        return (char *) NGX_CONF_ERROR;
    }

    if (wlcf->secrets == NGX_CONF_UNSET_PTR) {
        wlcf->secrets = ngx_array_create(cf->pool, 2,
                               sizeof(ngx_http_webhook_signature_secret_t));
        if (wlcf->secrets == NULL) {
            return (char *) NGX_CONF_ERROR;
        }
    }

    secret = static_cast<ngx_http_webhook_signature_secret_t *>(
                 ngx_array_push(wlcf->secrets));
    if (secret == NULL) {
        return (char *) NGX_CONF_ERROR;
    }

    ngx_memzero(secret, sizeof(ngx_http_webhook_signature_secret_t));
    cv = &secret->value;

    if (ngx_strncmp(value[1].data, "file=", 5) == 0) {
        arg.data = value[1].data + 5;
        arg.len = value[1].len - 5;
        rc = ngx_http_webhook_signature_read_secret_file(cf, &arg, &cv->value);

    } else if (ngx_strncmp(value[1].data, "env=", 4) == 0) {
        arg.data = value[1].data + 4;
        arg.len = value[1].len - 4;
        rc = ngx_http_webhook_signature_read_secret_env(cf, &arg, &cv->value);

    } else {
        ngx_memzero(&ccv, sizeof(ngx_http_compile_complex_value_t));
        ccv.cf = cf;
        ccv.value = &value[1];
        ccv.complex_value = cv;
        rc = ngx_http_compile_complex_value(&ccv);
    }

    if (rc == NGX_OK && cv->lengths == NULL) {
        rc = ngx_http_webhook_signature_key_secret(cf, secret);
    }

    return (rc == NGX_OK) ? NGX_CONF_OK : (char *) NGX_CONF_ERROR;
}


static ngx_int_t
ngx_http_webhook_signature_key_secret(ngx_conf_t *cf,
    ngx_http_webhook_signature_secret_t *secret)
{
    ngx_pool_cleanup_t  *cln;

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    secret->key = ws_key_create({ secret->value.value.data,
                                  secret->value.value.len });
    if (secret->key == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "cannot key the \"webhook_signature_secret\"");
        return NGX_ERROR;
    }

    cln->handler = ngx_http_webhook_signature_destroy_key;
    cln->data = secret->key;

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

    if (size > NGX_HTTP_WEBHOOK_SIGNATURE_MAX_SECRET) {
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

    conf->scheme = NGX_CONF_UNSET_UINT;
    conf->secrets = static_cast<ngx_array_t *>(NGX_CONF_UNSET_PTR);
    conf->tolerance = NGX_CONF_UNSET_MSEC;
    conf->mode = NGX_CONF_UNSET_UINT;
    conf->status = NGX_CONF_UNSET;
    conf->log_level = NGX_CONF_UNSET_UINT;

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

    ngx_conf_merge_uint_value(conf->scheme, prev->scheme,
                              (ngx_uint_t) WS_SCHEME_OFF);
    ngx_conf_merge_ptr_value(conf->secrets, prev->secrets, NULL);
    ngx_conf_merge_msec_value(conf->tolerance, prev->tolerance, 300000);
    ngx_conf_merge_uint_value(conf->mode, prev->mode,
                              NGX_HTTP_WEBHOOK_SIGNATURE_ENFORCE);
    ngx_conf_merge_value(conf->status, prev->status, NGX_HTTP_UNAUTHORIZED);
    ngx_conf_merge_uint_value(conf->log_level, prev->log_level, NGX_LOG_ERR);

    if (conf->scheme != WS_SCHEME_OFF && conf->secrets == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"webhook_signature\" directive requires "
                           "\"webhook_signature_secret\"");
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
 * nginx runs a phase's handlers in reverse order of registration, and a
 * dynamic module registers after nginx's own: this handler runs before
 * allow/deny, auth_basic and auth_request.
 */

static ngx_int_t
ngx_http_webhook_signature_init(ngx_conf_t *cf)
{
    ngx_http_handler_pt        *h;
    ngx_http_core_main_conf_t  *cmcf;

    cmcf = static_cast<ngx_http_core_main_conf_t *>(
               ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module));

    h = static_cast<ngx_http_handler_pt *>(
            ngx_array_push(&cmcf->phases[NGX_HTTP_ACCESS_PHASE].handlers));
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_webhook_signature_handler;

    ngx_http_webhook_signature_next_body_filter =
                                            ngx_http_top_request_body_filter;
    ngx_http_top_request_body_filter = ngx_http_webhook_signature_body_filter;

    return NGX_OK;
}
