/* SPDX-License-Identifier: BSD-2-Clause */

/*
 * ngx_http_webhook_signature_metrics_module: counters of the signature
 * module's verdicts, for alerting.
 *
 * Every (zone label, scheme) pair has a row of counters in one shared
 * memory zone: one per result and mode, then one per 1-based secret index
 * (verified requests).  Workers add to them with ngx_atomic_fetch_add, as
 * stub_status's counters are kept; webhook_signature_metrics answers them
 * in Prometheus's text exposition format or as JSON.
 *
 * The layout is fixed when the configuration loads: the zone labels in
 * configuration order, every scheme of the core's table per label, and as
 * many key slots as the location with the most secrets has.  The shared
 * memory zone's name carries a checksum of that layout, so a reload with
 * the same layout reuses the zone as it is (nginx keeps a zone of the
 * same name, size and tag); after a reload that changes it, a new zone
 * starts from the old one's counters, carried over by label (zone, scheme,
 * result, mode, key), while the old zone is still mapped.
 */


extern "C" {
#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
}

#include "webhook_signature.h"
#include "ngx_http_webhook_signature_metrics.h"


#define NGX_HTTP_WEBHOOK_SIGNATURE_METRICS_TEXT     0
#define NGX_HTTP_WEBHOOK_SIGNATURE_METRICS_JSON     1

/* every scheme of the core's table, by ws_scheme_e */
#define NGX_HTTP_WEBHOOK_SIGNATURE_SCHEMES   ((ngx_uint_t) WS_SCHEME_HMAC + 1)

/* ok .. zone_full: a result's counter is at (result - 1) * modes + mode */
#define NGX_HTTP_WEBHOOK_SIGNATURE_RESULTS   ((ngx_uint_t) WS_RESULT_ZONE_FULL)

#define NGX_HTTP_WEBHOOK_SIGNATURE_VERDICTS                                  \
    (NGX_HTTP_WEBHOOK_SIGNATURE_RESULTS * NGX_HTTP_WEBHOOK_SIGNATURE_MODES)

/* the most bytes one exposition line takes, less its escaped zone label */
#define NGX_HTTP_WEBHOOK_SIGNATURE_LINE      (192 + NGX_ATOMIC_T_LEN)


/* the label sets of one (zone, scheme) that the configuration can produce */
typedef struct {
    ngx_uint_t                  modes;      /* a bit per mode; 0: none */
    ngx_uint_t                  replay;     /* the modes with a replay zone */
    ngx_uint_t                  nkeys;      /* the most secrets there */
} ngx_http_webhook_signature_series_t;


typedef struct {
    ngx_str_t                   name;
    ngx_http_webhook_signature_series_t
                                series[NGX_HTTP_WEBHOOK_SIGNATURE_SCHEMES];
} ngx_http_webhook_signature_label_t;


typedef struct {
    ngx_array_t                 labels;     /* of ..._label_t */
    ngx_uint_t                  nkeys;      /* key slots per row */
    ngx_uint_t                  stride;     /* counters per row */
    size_t                      size;       /* bytes of counters */
    /* in the shared zone; NULL while (or when) nothing is counted */
    ngx_atomic_t               *counters;
} ngx_http_webhook_signature_metrics_main_conf_t;


typedef struct {
    ngx_str_t                   zone;       /* as set; NULL: server name */
    ngx_uint_t                  format;     /* UNSET: no metrics here */
    /* set by ngx_http_webhook_signature_metrics_add(), for this level */
    ngx_uint_t                  scheme;     /* UNSET: not checked here */
    ngx_uint_t                  mode;
    ngx_uint_t                  nkeys;
    ngx_flag_t                  replay;
    /* the row group of the zone label; UNSET: not counted */
    ngx_uint_t                  label;
} ngx_http_webhook_signature_metrics_loc_conf_t;


static ngx_int_t ngx_http_webhook_signature_metrics_handler(
    ngx_http_request_t *r);
static ngx_array_t *ngx_http_webhook_signature_metrics_replay_zones(
    ngx_http_request_t *r);
static u_char *ngx_http_webhook_signature_metrics_text(
    ngx_http_webhook_signature_metrics_main_conf_t *mmcf,
    ngx_array_t *replay_zones, u_char *p);
static u_char *ngx_http_webhook_signature_metrics_replay_text(
    ngx_array_t *replay_zones, u_char *p);
static u_char *ngx_http_webhook_signature_metrics_gauge(u_char *p,
    const char *family, ngx_str_t *zone, const char *label, size_t value);
static u_char *ngx_http_webhook_signature_metrics_json(
    ngx_http_webhook_signature_metrics_main_conf_t *mmcf,
    ngx_array_t *replay_zones, u_char *p);
static u_char *ngx_http_webhook_signature_metrics_replay_json(
    ngx_array_t *replay_zones, u_char *p);
static u_char *ngx_http_webhook_signature_metrics_label_value(u_char *p,
    ngx_str_t *value);
static ngx_atomic_t *ngx_http_webhook_signature_metrics_row(
    ngx_http_webhook_signature_metrics_main_conf_t *mmcf, ngx_uint_t label,
    ngx_uint_t scheme);
static ngx_flag_t ngx_http_webhook_signature_metrics_row_shown(
    ngx_http_webhook_signature_metrics_main_conf_t *mmcf, ngx_uint_t label,
    ngx_uint_t scheme);
static ngx_flag_t ngx_http_webhook_signature_metrics_shown(
    ngx_http_webhook_signature_metrics_main_conf_t *mmcf, ngx_uint_t label,
    ngx_uint_t scheme, ngx_uint_t mode, ngx_uint_t result);
static ngx_flag_t ngx_http_webhook_signature_metrics_key_shown(
    ngx_http_webhook_signature_metrics_main_conf_t *mmcf, ngx_uint_t label,
    ngx_uint_t scheme, ngx_uint_t key);

static char *ngx_http_webhook_signature_metrics(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_webhook_signature_metrics_check_zone(ngx_conf_t *cf,
    void *post, void *data);
static ngx_int_t ngx_http_webhook_signature_metrics_take(ngx_conf_t *cf,
    ngx_http_webhook_signature_metrics_loc_conf_t *conf);
static ngx_int_t ngx_http_webhook_signature_metrics_init_zone(
    ngx_shm_zone_t *shm_zone, void *data);
static void ngx_http_webhook_signature_metrics_carry(
    ngx_http_webhook_signature_metrics_main_conf_t *mmcf);
static void *ngx_http_webhook_signature_metrics_create_main_conf(
    ngx_conf_t *cf);
static void *ngx_http_webhook_signature_metrics_create_loc_conf(
    ngx_conf_t *cf);
static char *ngx_http_webhook_signature_metrics_merge_loc_conf(ngx_conf_t *cf,
    void *parent, void *child);
static ngx_int_t ngx_http_webhook_signature_metrics_init(ngx_conf_t *cf);


extern "C" {
extern ngx_module_t  ngx_http_webhook_signature_metrics_module;
}


static ngx_conf_post_t  ngx_http_webhook_signature_metrics_zone_post = {
    ngx_http_webhook_signature_metrics_check_zone
};


static ngx_command_t  ngx_http_webhook_signature_metrics_commands[] = {

    { ngx_string("webhook_signature_metrics"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS|NGX_CONF_TAKE1,
      ngx_http_webhook_signature_metrics,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("webhook_signature_metrics_zone"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_webhook_signature_metrics_loc_conf_t, zone),
      &ngx_http_webhook_signature_metrics_zone_post },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_webhook_signature_metrics_module_ctx = {
    NULL,                                        /* preconfiguration */
    ngx_http_webhook_signature_metrics_init,     /* postconfiguration */

    ngx_http_webhook_signature_metrics_create_main_conf,
                                                 /* create main configuration */
    NULL,                                        /* init main configuration */

    NULL,                                        /* create server configuration */
    NULL,                                        /* merge server configuration */

    ngx_http_webhook_signature_metrics_create_loc_conf,
                                                 /* create location configuration */
    ngx_http_webhook_signature_metrics_merge_loc_conf
                                                 /* merge location configuration */
};


ngx_module_t  ngx_http_webhook_signature_metrics_module = {
    NGX_MODULE_V1,
    &ngx_http_webhook_signature_metrics_module_ctx,  /* module context */
    ngx_http_webhook_signature_metrics_commands,     /* module directives */
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


static const char  *ngx_http_webhook_signature_mode_names[] = {
    "enforce", "report"
};


/* The signature module's verdict of a main request, counted once. */

void
ngx_http_webhook_signature_metrics_count(ngx_http_request_t *r,
    ws_scheme_e scheme, ws_result_e result, ngx_uint_t mode, size_t key)
{
    ngx_atomic_t                                    *row;
    ngx_http_webhook_signature_metrics_loc_conf_t   *mlcf;
    ngx_http_webhook_signature_metrics_main_conf_t  *mmcf;

    mmcf = static_cast<ngx_http_webhook_signature_metrics_main_conf_t *>(
               ngx_http_get_module_main_conf(r,
                                   ngx_http_webhook_signature_metrics_module));
    mlcf = static_cast<ngx_http_webhook_signature_metrics_loc_conf_t *>(
               ngx_http_get_module_loc_conf(r,
                                   ngx_http_webhook_signature_metrics_module));

    if (mmcf->counters == NULL || mlcf->label == NGX_CONF_UNSET_UINT
        || (ngx_uint_t) scheme >= NGX_HTTP_WEBHOOK_SIGNATURE_SCHEMES
        || result < WS_RESULT_OK || result > WS_RESULT_ZONE_FULL
        || mode >= NGX_HTTP_WEBHOOK_SIGNATURE_MODES)
    {
        return;
    }

    row = ngx_http_webhook_signature_metrics_row(mmcf, mlcf->label, scheme);

    (void) ngx_atomic_fetch_add(&row[(result - 1)
                                     * NGX_HTTP_WEBHOOK_SIGNATURE_MODES
                                     + mode], 1);

    /* a copy the replay zone refused was verified all the same */

    if ((result == WS_RESULT_OK || result >= WS_RESULT_REPLAY)
        && key >= 1 && key <= mmcf->nkeys)
    {
        (void) ngx_atomic_fetch_add(
                   &row[NGX_HTTP_WEBHOOK_SIGNATURE_VERDICTS + key - 1], 1);
    }
}


/* webhook_signature_metrics: GET and HEAD only, as stub_status answers */

static ngx_int_t
ngx_http_webhook_signature_metrics_handler(ngx_http_request_t *r)
{
    size_t                                           size;
    ngx_int_t                                        rc;
    ngx_buf_t                                       *b;
    ngx_uint_t                                       i, rows;
    ngx_array_t                                     *replay_zones;
    ngx_chain_t                                      out;
    ngx_http_webhook_signature_label_t              *label;
    ngx_http_webhook_signature_replay_gauges_t      *gauges;
    ngx_http_webhook_signature_metrics_loc_conf_t   *mlcf;
    ngx_http_webhook_signature_metrics_main_conf_t  *mmcf;

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    rc = ngx_http_discard_request_body(r);

    if (rc != NGX_OK) {
        return rc;
    }

    mmcf = static_cast<ngx_http_webhook_signature_metrics_main_conf_t *>(
               ngx_http_get_module_main_conf(r,
                                   ngx_http_webhook_signature_metrics_module));
    mlcf = static_cast<ngx_http_webhook_signature_metrics_loc_conf_t *>(
               ngx_http_get_module_loc_conf(r,
                                   ngx_http_webhook_signature_metrics_module));

    /* the lines of a row, each at most its escaped label longer */

    rows = (mmcf->counters != NULL) ? NGX_HTTP_WEBHOOK_SIGNATURE_SCHEMES : 0;
    size = 1024;
    label = static_cast<ngx_http_webhook_signature_label_t *>(
                mmcf->labels.elts);

    for (i = 0; i < mmcf->labels.nelts; i++) {
        size += rows * (NGX_HTTP_WEBHOOK_SIGNATURE_VERDICTS + mmcf->nkeys + 4)
                * (NGX_HTTP_WEBHOOK_SIGNATURE_LINE + 6 * label[i].name.len);
    }

    replay_zones = ngx_http_webhook_signature_metrics_replay_zones(r);
    if (replay_zones == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    gauges = static_cast<ngx_http_webhook_signature_replay_gauges_t *>(
                 replay_zones->elts);

    for (i = 0; i < replay_zones->nelts; i++) {
        size += 4 * (NGX_HTTP_WEBHOOK_SIGNATURE_LINE
                     + 6 * gauges[i].name.len);
    }

    b = ngx_create_temp_buf(r->pool, size);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (mlcf->format == NGX_HTTP_WEBHOOK_SIGNATURE_METRICS_JSON) {
        ngx_str_set(&r->headers_out.content_type, "application/json");
        b->last = ngx_http_webhook_signature_metrics_json(mmcf, replay_zones,
                                                          b->last);

    } else {
        ngx_str_set(&r->headers_out.content_type,
                    "text/plain; version=0.0.4");
        b->last = ngx_http_webhook_signature_metrics_text(mmcf, replay_zones,
                                                          b->last);
    }

    r->headers_out.content_type_len = r->headers_out.content_type.len;
    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_length_n = b->last - b->pos;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


/* what every replay zone holds, read once per answer */

static ngx_array_t *
ngx_http_webhook_signature_metrics_replay_zones(ngx_http_request_t *r)
{
    ngx_uint_t                                   n;
    ngx_array_t                                 *zones;
    ngx_http_webhook_signature_replay_gauges_t  *gauges;

    zones = ngx_array_create(r->pool, 2,
                         sizeof(ngx_http_webhook_signature_replay_gauges_t));
    if (zones == NULL) {
        return NULL;
    }

    for (n = 0; /* void */ ; n++) {
        gauges = static_cast<ngx_http_webhook_signature_replay_gauges_t *>(
                     ngx_array_push(zones));
        if (gauges == NULL) {
            return NULL;
        }

        if (ngx_http_webhook_signature_replay_gauges(n, gauges) != NGX_OK) {
            zones->nelts--;
            return zones;
        }
    }
}


/*
 * The text exposition: one family after the other, each with its HELP and
 * TYPE; the replay zones' gauges last, when there are replay zones.
 */

static u_char *
ngx_http_webhook_signature_metrics_text(
    ngx_http_webhook_signature_metrics_main_conf_t *mmcf,
    ngx_array_t *replay_zones, u_char *p)
{
    ngx_uint_t                           l, s, m, res, k;
    ngx_atomic_t                        *row;
    ngx_http_webhook_signature_label_t  *label;

    label = static_cast<ngx_http_webhook_signature_label_t *>(
                mmcf->labels.elts);

    p = ngx_cpymem(p, "# HELP nginx_webhook_signature_requests_total "
                      "Signature checks by result.\n"
                      "# TYPE nginx_webhook_signature_requests_total "
                      "counter\n",
                   sizeof("# HELP nginx_webhook_signature_requests_total "
                          "Signature checks by result.\n"
                          "# TYPE nginx_webhook_signature_requests_total "
                          "counter\n") - 1);

    for (l = 0; l < mmcf->labels.nelts; l++) {
        for (s = 0; s < NGX_HTTP_WEBHOOK_SIGNATURE_SCHEMES; s++) {
            for (m = 0; m < NGX_HTTP_WEBHOOK_SIGNATURE_MODES; m++) {
                for (res = WS_RESULT_OK; res <= WS_RESULT_ZONE_FULL; res++) {

                    if (!ngx_http_webhook_signature_metrics_shown(mmcf, l, s,
                                                                  m, res))
                    {
                        continue;
                    }

                    row = ngx_http_webhook_signature_metrics_row(mmcf, l, s);

                    p = ngx_sprintf(p, "nginx_webhook_signature_requests_total"
                                       "{zone=\"");
                    p = ngx_http_webhook_signature_metrics_label_value(p,
                                                              &label[l].name);
                    p = ngx_sprintf(p, "\",scheme=\"%s\",result=\"%s\","
                                       "mode=\"%s\"} %uA\n",
                           ws_scheme_name(static_cast<ws_scheme_e>(s)),
                           ws_result_name(static_cast<ws_result_e>(res)),
                           ngx_http_webhook_signature_mode_names[m],
                           row[(res - 1) * NGX_HTTP_WEBHOOK_SIGNATURE_MODES
                               + m]);
                }
            }
        }
    }

    p = ngx_cpymem(p, "# HELP nginx_webhook_signature_key_matches_total "
                      "Verified requests by 1-based secret index.\n"
                      "# TYPE nginx_webhook_signature_key_matches_total "
                      "counter\n",
                   sizeof("# HELP nginx_webhook_signature_key_matches_total "
                          "Verified requests by 1-based secret index.\n"
                          "# TYPE nginx_webhook_signature_key_matches_total "
                          "counter\n") - 1);

    for (l = 0; l < mmcf->labels.nelts; l++) {
        for (s = 0; s < NGX_HTTP_WEBHOOK_SIGNATURE_SCHEMES; s++) {
            for (k = 1; k <= mmcf->nkeys; k++) {

                if (!ngx_http_webhook_signature_metrics_key_shown(mmcf, l, s,
                                                                  k))
                {
                    continue;
                }

                row = ngx_http_webhook_signature_metrics_row(mmcf, l, s);

                p = ngx_sprintf(p, "nginx_webhook_signature_key_matches_total"
                                   "{zone=\"");
                p = ngx_http_webhook_signature_metrics_label_value(p,
                                                              &label[l].name);
                p = ngx_sprintf(p, "\",scheme=\"%s\",key=\"%ui\"} %uA\n",
                          ws_scheme_name(static_cast<ws_scheme_e>(s)), k,
                          row[NGX_HTTP_WEBHOOK_SIGNATURE_VERDICTS + k - 1]);
            }
        }
    }

    return ngx_http_webhook_signature_metrics_replay_text(replay_zones, p);
}


/* one line of a replay zone gauge: nginx_webhook_signature_replay_FAMILY */

static u_char *
ngx_http_webhook_signature_metrics_gauge(u_char *p, const char *family,
    ngx_str_t *zone, const char *label, size_t value)
{
    p = ngx_sprintf(p, "nginx_webhook_signature_replay_%s{replay_zone=\"",
                    family);
    p = ngx_http_webhook_signature_metrics_label_value(p, zone);

    return ngx_sprintf(p, "\",%s} %uz\n", label, value);
}


static u_char *
ngx_http_webhook_signature_metrics_replay_text(ngx_array_t *replay_zones,
    u_char *p)
{
    ngx_uint_t                                   i;
    ngx_http_webhook_signature_replay_gauges_t  *g;

    if (replay_zones->nelts == 0) {
        return p;
    }

    g = static_cast<ngx_http_webhook_signature_replay_gauges_t *>(
            replay_zones->elts);

    p = ngx_cpymem(p, "# HELP nginx_webhook_signature_replay_entries "
                      "Entries held in a replay zone.\n"
                      "# TYPE nginx_webhook_signature_replay_entries "
                      "gauge\n",
                   sizeof("# HELP nginx_webhook_signature_replay_entries "
                          "Entries held in a replay zone.\n"
                          "# TYPE nginx_webhook_signature_replay_entries "
                          "gauge\n") - 1);

    for (i = 0; i < replay_zones->nelts; i++) {
        p = ngx_http_webhook_signature_metrics_gauge(p, "entries", &g[i].name,
                                                "state=\"pending\"",
                                                g[i].pending);
        p = ngx_http_webhook_signature_metrics_gauge(p, "entries", &g[i].name,
                                                "state=\"done\"", g[i].done);
    }

    p = ngx_cpymem(p, "# HELP nginx_webhook_signature_replay_zone_bytes "
                      "Replay zone size and use.\n"
                      "# TYPE nginx_webhook_signature_replay_zone_bytes "
                      "gauge\n",
                   sizeof("# HELP nginx_webhook_signature_replay_zone_bytes "
                          "Replay zone size and use.\n"
                          "# TYPE nginx_webhook_signature_replay_zone_bytes "
                          "gauge\n") - 1);

    for (i = 0; i < replay_zones->nelts; i++) {
        p = ngx_http_webhook_signature_metrics_gauge(p, "zone_bytes",
                                                &g[i].name, "type=\"max\"",
                                                g[i].max);
        p = ngx_http_webhook_signature_metrics_gauge(p, "zone_bytes",
                                                &g[i].name, "type=\"used\"",
                                                g[i].used);
    }

    return p;
}


/*
 * The same series as JSON:
 *   {"zones":{ZONE:{SCHEME:{"requests":{MODE:{RESULT:N,...}},
 *                           "key_matches":{"1":N,...}}}},
 *    "replay_zones":{NAME:{"entries":{"pending":N,"done":N},
 *                          "bytes":{"max":N,"used":N}}}}
 */

static u_char *
ngx_http_webhook_signature_metrics_json(
    ngx_http_webhook_signature_metrics_main_conf_t *mmcf,
    ngx_array_t *replay_zones, u_char *p)
{
    ngx_uint_t                           l, s, m, res, k;
    ngx_flag_t                           zone_open, zones, schemes, modes,
                                         results, keys;
    ngx_atomic_t                        *row;
    ngx_http_webhook_signature_label_t  *label;

    label = static_cast<ngx_http_webhook_signature_label_t *>(
                mmcf->labels.elts);

    p = ngx_cpymem(p, "{\"zones\":{", sizeof("{\"zones\":{") - 1);
    zones = 0;

    for (l = 0; l < mmcf->labels.nelts; l++) {
        zone_open = 0;
        schemes = 0;

        for (s = 0; s < NGX_HTTP_WEBHOOK_SIGNATURE_SCHEMES; s++) {

            if (!ngx_http_webhook_signature_metrics_row_shown(mmcf, l, s)) {
                continue;
            }

            if (!zone_open) {
                p = ngx_sprintf(p, "%s\"", zones ? "," : "");
                p = (u_char *) ngx_escape_json(p, label[l].name.data,
                                               label[l].name.len);
                p = ngx_cpymem(p, "\":{", 3);
                zone_open = 1;
                zones = 1;
            }

            row = ngx_http_webhook_signature_metrics_row(mmcf, l, s);

            p = ngx_sprintf(p, "%s\"%s\":{\"requests\":{",
                            schemes ? "," : "",
                            ws_scheme_name(static_cast<ws_scheme_e>(s)));
            schemes = 1;
            modes = 0;

            for (m = 0; m < NGX_HTTP_WEBHOOK_SIGNATURE_MODES; m++) {
                results = 0;

                for (res = WS_RESULT_OK; res <= WS_RESULT_ZONE_FULL; res++) {

                    if (!ngx_http_webhook_signature_metrics_shown(mmcf, l, s,
                                                                  m, res))
                    {
                        continue;
                    }

                    if (!results) {
                        p = ngx_sprintf(p, "%s\"%s\":{", modes ? "," : "",
                                    ngx_http_webhook_signature_mode_names[m]);
                        modes = 1;
                    }

                    p = ngx_sprintf(p, "%s\"%s\":%uA", results ? "," : "",
                           ws_result_name(static_cast<ws_result_e>(res)),
                           row[(res - 1) * NGX_HTTP_WEBHOOK_SIGNATURE_MODES
                               + m]);
                    results = 1;
                }

                if (results) {
                    *p++ = '}';
                }
            }

            p = ngx_cpymem(p, "},\"key_matches\":{",
                           sizeof("},\"key_matches\":{") - 1);
            keys = 0;

            for (k = 1; k <= mmcf->nkeys; k++) {
                if (ngx_http_webhook_signature_metrics_key_shown(mmcf, l, s,
                                                                 k))
                {
                    p = ngx_sprintf(p, "%s\"%ui\":%uA", keys ? "," : "", k,
                           row[NGX_HTTP_WEBHOOK_SIGNATURE_VERDICTS + k - 1]);
                    keys = 1;
                }
            }

            p = ngx_cpymem(p, "}}", 2);
        }

        if (zone_open) {
            *p++ = '}';
        }
    }

    p = ngx_http_webhook_signature_metrics_replay_json(replay_zones, p);

    return ngx_cpymem(p, "}\n", 2);
}


static u_char *
ngx_http_webhook_signature_metrics_replay_json(ngx_array_t *replay_zones,
    u_char *p)
{
    ngx_uint_t                                   i;
    ngx_http_webhook_signature_replay_gauges_t  *g;

    g = static_cast<ngx_http_webhook_signature_replay_gauges_t *>(
            replay_zones->elts);

    p = ngx_cpymem(p, "},\"replay_zones\":{",
                   sizeof("},\"replay_zones\":{") - 1);

    for (i = 0; i < replay_zones->nelts; i++) {
        p = ngx_sprintf(p, "%s\"", i ? "," : "");
        p = (u_char *) ngx_escape_json(p, g[i].name.data, g[i].name.len);
        p = ngx_sprintf(p, "\":{\"entries\":{\"pending\":%ui,\"done\":%ui},"
                           "\"bytes\":{\"max\":%uz,\"used\":%uz}}",
                        g[i].pending, g[i].done, g[i].max, g[i].used);
    }

    return ngx_cpymem(p, "}", 1);
}


/* whether any series of a (zone, scheme) row is shown */

static ngx_flag_t
ngx_http_webhook_signature_metrics_row_shown(
    ngx_http_webhook_signature_metrics_main_conf_t *mmcf, ngx_uint_t label,
    ngx_uint_t scheme)
{
    ngx_uint_t  m, res, k;

    for (m = 0; m < NGX_HTTP_WEBHOOK_SIGNATURE_MODES; m++) {
        for (res = WS_RESULT_OK; res <= WS_RESULT_ZONE_FULL; res++) {
            if (ngx_http_webhook_signature_metrics_shown(mmcf, label, scheme,
                                                         m, res))
            {
                return 1;
            }
        }
    }

    for (k = 1; k <= mmcf->nkeys; k++) {
        if (ngx_http_webhook_signature_metrics_key_shown(mmcf, label, scheme,
                                                         k))
        {
            return 1;
        }
    }

    return 0;
}


/* a label value of the text format: \, " and a line feed escaped */

static u_char *
ngx_http_webhook_signature_metrics_label_value(u_char *p, ngx_str_t *value)
{
    u_char  *c, *end;

    end = value->data + value->len;

    for (c = value->data; c < end; c++) {
        if (*c == '\\' || *c == '"') {
            *p++ = '\\';
            *p++ = *c;

        } else if (*c == '\n') {
            *p++ = '\\';
            *p++ = 'n';

        } else {
            *p++ = *c;
        }
    }

    return p;
}


static ngx_atomic_t *
ngx_http_webhook_signature_metrics_row(
    ngx_http_webhook_signature_metrics_main_conf_t *mmcf, ngx_uint_t label,
    ngx_uint_t scheme)
{
    return mmcf->counters
           + (label * NGX_HTTP_WEBHOOK_SIGNATURE_SCHEMES + scheme)
             * mmcf->stride;
}


/*
 * A series is shown when the configuration can produce it (a location of
 * that zone label, scheme and mode), zero included, so that rates work
 * from the first scrape; and whenever it has counted anything ("error",
 * which no configuration means to produce, or a series that a reload
 * carried over).
 */

static ngx_flag_t
ngx_http_webhook_signature_metrics_shown(
    ngx_http_webhook_signature_metrics_main_conf_t *mmcf, ngx_uint_t label,
    ngx_uint_t scheme, ngx_uint_t mode, ngx_uint_t result)
{
    ngx_atomic_t                        *row;
    ngx_http_webhook_signature_label_t  *l;

    if (mmcf->counters == NULL) {
        return 0;
    }

    l = static_cast<ngx_http_webhook_signature_label_t *>(mmcf->labels.elts);

    if (result < WS_RESULT_ERROR
        && (l[label].series[scheme].modes & (1 << mode)))
    {
        return 1;
    }

    if (result > WS_RESULT_ERROR
        && (l[label].series[scheme].replay & (1 << mode)))
    {
        return 1;
    }

    row = ngx_http_webhook_signature_metrics_row(mmcf, label, scheme);

    return row[(result - 1) * NGX_HTTP_WEBHOOK_SIGNATURE_MODES + mode] != 0;
}


static ngx_flag_t
ngx_http_webhook_signature_metrics_key_shown(
    ngx_http_webhook_signature_metrics_main_conf_t *mmcf, ngx_uint_t label,
    ngx_uint_t scheme, ngx_uint_t key)
{
    ngx_atomic_t                        *row;
    ngx_http_webhook_signature_label_t  *l;

    if (mmcf->counters == NULL) {
        return 0;
    }

    l = static_cast<ngx_http_webhook_signature_label_t *>(mmcf->labels.elts);

    if (l[label].series[scheme].modes && key <= l[label].series[scheme].nkeys)
    {
        return 1;
    }

    row = ngx_http_webhook_signature_metrics_row(mmcf, label, scheme);

    return row[NGX_HTTP_WEBHOOK_SIGNATURE_VERDICTS + key - 1] != 0;
}


/* webhook_signature_metrics [json]; */

static char *
ngx_http_webhook_signature_metrics(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_webhook_signature_metrics_loc_conf_t *mlcf =
        static_cast<ngx_http_webhook_signature_metrics_loc_conf_t *>(conf);

    ngx_str_t                 *value;
    ngx_http_core_loc_conf_t  *clcf;

    if (mlcf->format != NGX_CONF_UNSET_UINT) {
        return (char *) "is duplicate";
    }

    value = static_cast<ngx_str_t *>(cf->args->elts);
    mlcf->format = NGX_HTTP_WEBHOOK_SIGNATURE_METRICS_TEXT;

    if (cf->args->nelts == 2) {
        if (value[1].len != 4 || ngx_strncmp(value[1].data, "json", 4) != 0)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid value \"%V\" in \"%V\" directive",
                               &value[1], &cmd->name);
            return (char *) NGX_CONF_ERROR;
        }

        mlcf->format = NGX_HTTP_WEBHOOK_SIGNATURE_METRICS_JSON;
    }

    clcf = static_cast<ngx_http_core_loc_conf_t *>(
               ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module));
    clcf->handler = ngx_http_webhook_signature_metrics_handler;

    return NGX_CONF_OK;
}


/* a zone label is a label value: not empty, no control characters */

static char *
ngx_http_webhook_signature_metrics_check_zone(ngx_conf_t *cf, void *post,
    void *data)
{
    ngx_str_t  *zone = static_cast<ngx_str_t *>(data);

    ngx_uint_t  i;

    if (zone->len == 0) {
        return (char *) "has an empty zone name";
    }

    for (i = 0; i < zone->len; i++) {
        if (zone->data[i] < 0x20 || zone->data[i] == 0x7f) {
            return (char *) "has a control character in the zone name";
        }
    }

    return NGX_CONF_OK;
}


/* Called by the signature module's merge of a location that checks. */

ngx_int_t
ngx_http_webhook_signature_metrics_add(ngx_conf_t *cf, ws_scheme_e scheme,
    ngx_uint_t mode, ngx_uint_t nkeys, ngx_flag_t replay)
{
    ngx_http_webhook_signature_metrics_loc_conf_t  *mlcf;

    mlcf = static_cast<ngx_http_webhook_signature_metrics_loc_conf_t *>(
               ngx_http_conf_get_module_loc_conf(cf,
                                   ngx_http_webhook_signature_metrics_module));

    mlcf->scheme = (ngx_uint_t) scheme;
    mlcf->mode = mode;
    mlcf->nkeys = nkeys;
    mlcf->replay = replay;

    return NGX_OK;
}


/*
 * The label sets of a location that checks, once its zone label is known:
 * webhook_signature_metrics_zone, or the server's name ("_" if it has
 * none), as $server_name has it.
 */

static ngx_int_t
ngx_http_webhook_signature_metrics_take(ngx_conf_t *cf,
    ngx_http_webhook_signature_metrics_loc_conf_t *conf)
{
    ngx_str_t                                        name;
    ngx_uint_t                                       i, s, n;
    ngx_http_core_srv_conf_t                        *cscf;
    ngx_http_webhook_signature_label_t              *label;
    ngx_http_webhook_signature_metrics_main_conf_t  *mmcf;

    static ngx_uint_t  auto_schemes[] = { WS_SCHEME_NOVU,
                                          WS_SCHEME_NOTIFYKIT };

    mmcf = static_cast<ngx_http_webhook_signature_metrics_main_conf_t *>(
               ngx_http_conf_get_module_main_conf(cf,
                                   ngx_http_webhook_signature_metrics_module));

    name = conf->zone;

    if (name.data == NULL) {
        cscf = static_cast<ngx_http_core_srv_conf_t *>(
                   ngx_http_conf_get_module_srv_conf(cf,
                                                     ngx_http_core_module));
        name = cscf->server_name;

        if (name.len == 0) {
            ngx_str_set(&name, "_");
        }
    }

    label = static_cast<ngx_http_webhook_signature_label_t *>(
                mmcf->labels.elts);

    for (i = 0; i < mmcf->labels.nelts; i++) {
        if (label[i].name.len == name.len
            && ngx_strncmp(label[i].name.data, name.data, name.len) == 0)
        {
            break;
        }
    }

    if (i == mmcf->labels.nelts) {
        label = static_cast<ngx_http_webhook_signature_label_t *>(
                    ngx_array_push(&mmcf->labels));
        if (label == NULL) {
            return NGX_ERROR;
        }

        ngx_memzero(label, sizeof(ngx_http_webhook_signature_label_t));
        label->name = name;

    } else {
        label = &label[i];
    }

    conf->label = i;

    /* auto is counted as the scheme it resolves to */

    for (n = 0; n < 2; n++) {
        s = (conf->scheme == WS_SCHEME_AUTO) ? auto_schemes[n] : conf->scheme;

        label->series[s].modes |= 1 << conf->mode;

        if (conf->replay) {
            label->series[s].replay |= 1 << conf->mode;
        }
        label->series[s].nkeys = ngx_max(label->series[s].nkeys, conf->nkeys);

        if (conf->scheme != WS_SCHEME_AUTO) {
            break;
        }
    }

    mmcf->nkeys = ngx_max(mmcf->nkeys, conf->nkeys);

    return NGX_OK;
}


/*
 * The counters: zeroed in a new zone, then the old zone's carried over by
 * label; a zone reused as it is (the same layout) keeps counting.
 */

static ngx_int_t
ngx_http_webhook_signature_metrics_init_zone(ngx_shm_zone_t *shm_zone,
    void *data)
{
    void                                            *counters;
    ngx_slab_pool_t                                 *shpool;
    ngx_http_webhook_signature_metrics_main_conf_t  *mmcf, *omcf;

    mmcf = static_cast<ngx_http_webhook_signature_metrics_main_conf_t *>(
               shm_zone->data);
    omcf = static_cast<ngx_http_webhook_signature_metrics_main_conf_t *>(
               data);

    if (omcf != NULL) {
        mmcf->counters = omcf->counters;
        return NGX_OK;
    }

    shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (shm_zone->shm.exists) {
        mmcf->counters = static_cast<ngx_atomic_t *>(shpool->data);
        return NGX_OK;
    }

    counters = ngx_slab_alloc(shpool, mmcf->size);
    if (counters == NULL) {
        return NGX_ERROR;
    }

    ngx_memzero(counters, mmcf->size);
    shpool->data = counters;
    mmcf->counters = static_cast<ngx_atomic_t *>(counters);

    ngx_http_webhook_signature_metrics_carry(mmcf);

    return NGX_OK;
}


/*
 * The configuration being replaced is still loaded while the new one's
 * zones are initialized: its zone of this module, if any, is still
 * mapped.  Requests its workers finish after this copy are not carried.
 */

static void
ngx_http_webhook_signature_metrics_carry(
    ngx_http_webhook_signature_metrics_main_conf_t *mmcf)
{
    ngx_uint_t                                       n, o, s, j, nkeys;
    ngx_atomic_t                                    *from, *to;
    ngx_shm_zone_t                                  *zone;
    ngx_http_webhook_signature_label_t              *nl, *ol;
    ngx_http_webhook_signature_metrics_main_conf_t  *omcf;

    zone = ngx_http_webhook_signature_shm_zone(
               &ngx_http_webhook_signature_metrics_module, NULL, 0);
    if (zone == NULL) {
        return;
    }

    omcf = static_cast<ngx_http_webhook_signature_metrics_main_conf_t *>(
               zone->data);

    if (omcf->counters == NULL) {
        return;
    }

    nl = static_cast<ngx_http_webhook_signature_label_t *>(mmcf->labels.elts);
    ol = static_cast<ngx_http_webhook_signature_label_t *>(omcf->labels.elts);
    nkeys = ngx_min(mmcf->nkeys, omcf->nkeys);

    for (o = 0; o < omcf->labels.nelts; o++) {
        for (n = 0; n < mmcf->labels.nelts; n++) {
            if (nl[n].name.len == ol[o].name.len
                && ngx_strncmp(nl[n].name.data, ol[o].name.data,
                               ol[o].name.len) == 0)
            {
                break;
            }
        }

        if (n == mmcf->labels.nelts) {
            continue;
        }

        for (s = 0; s < NGX_HTTP_WEBHOOK_SIGNATURE_SCHEMES; s++) {
            from = ngx_http_webhook_signature_metrics_row(omcf, o, s);
            to = ngx_http_webhook_signature_metrics_row(mmcf, n, s);

            for (j = 0; j < NGX_HTTP_WEBHOOK_SIGNATURE_VERDICTS + nkeys; j++) {
                to[j] = from[j];
            }
        }
    }
}


static void *
ngx_http_webhook_signature_metrics_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_webhook_signature_metrics_main_conf_t  *mmcf;

    mmcf = static_cast<ngx_http_webhook_signature_metrics_main_conf_t *>(
               ngx_pcalloc(cf->pool,
                   sizeof(ngx_http_webhook_signature_metrics_main_conf_t)));
    if (mmcf == NULL) {
        return NULL;
    }

    if (ngx_array_init(&mmcf->labels, cf->pool, 4,
                       sizeof(ngx_http_webhook_signature_label_t))
        != NGX_OK)
    {
        return NULL;
    }

    return mmcf;
}


static void *
ngx_http_webhook_signature_metrics_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_webhook_signature_metrics_loc_conf_t  *conf;

    conf = static_cast<ngx_http_webhook_signature_metrics_loc_conf_t *>(
               ngx_pcalloc(cf->pool,
                   sizeof(ngx_http_webhook_signature_metrics_loc_conf_t)));
    if (conf == NULL) {
        return NULL;
    }

    /* zone: NULL, unset */
    conf->format = NGX_CONF_UNSET_UINT;
    conf->scheme = NGX_CONF_UNSET_UINT;
    conf->label = NGX_CONF_UNSET_UINT;

    return conf;
}


/*
 * Runs after the signature module's merge of the same location (see the
 * header): a location it checks is taken up with its merged zone label.
 */

static char *
ngx_http_webhook_signature_metrics_merge_loc_conf(ngx_conf_t *cf,
    void *parent, void *child)
{
    ngx_http_webhook_signature_metrics_loc_conf_t *prev =
        static_cast<ngx_http_webhook_signature_metrics_loc_conf_t *>(parent);
    ngx_http_webhook_signature_metrics_loc_conf_t *conf =
        static_cast<ngx_http_webhook_signature_metrics_loc_conf_t *>(child);

    if (conf->zone.data == NULL) {
        conf->zone = prev->zone;
    }

    if (conf->scheme != NGX_CONF_UNSET_UINT
        && ngx_http_webhook_signature_metrics_take(cf, conf) != NGX_OK)
    {
        return (char *) NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/*
 * After every merge the layout is known: one shared zone when any location
 * checks signatures, named after its layout.
 */

static ngx_int_t
ngx_http_webhook_signature_metrics_init(ngx_conf_t *cf)
{
    size_t                                           size;
    uint32_t                                         crc;
    ngx_str_t                                        name;
    ngx_uint_t                                       i, n[3];
    ngx_shm_zone_t                                  *shm_zone;
    ngx_http_webhook_signature_label_t              *label;
    ngx_http_webhook_signature_metrics_main_conf_t  *mmcf;

    mmcf = static_cast<ngx_http_webhook_signature_metrics_main_conf_t *>(
               ngx_http_conf_get_module_main_conf(cf,
                                   ngx_http_webhook_signature_metrics_module));

    if (mmcf->labels.nelts == 0) {
        return NGX_OK;
    }

    mmcf->stride = NGX_HTTP_WEBHOOK_SIGNATURE_VERDICTS + mmcf->nkeys;
    mmcf->size = mmcf->labels.nelts * NGX_HTTP_WEBHOOK_SIGNATURE_SCHEMES
                 * mmcf->stride * sizeof(ngx_atomic_t);

    n[0] = NGX_HTTP_WEBHOOK_SIGNATURE_SCHEMES;
    n[1] = NGX_HTTP_WEBHOOK_SIGNATURE_VERDICTS;
    n[2] = mmcf->nkeys;

    ngx_crc32_init(crc);
    ngx_crc32_update(&crc, (u_char *) n, sizeof(n));

    label = static_cast<ngx_http_webhook_signature_label_t *>(
                mmcf->labels.elts);

    for (i = 0; i < mmcf->labels.nelts; i++) {
        ngx_crc32_update(&crc, label[i].name.data, label[i].name.len);
        ngx_crc32_update(&crc, (u_char *) "", 1);
    }

    ngx_crc32_final(crc);

    name.data = static_cast<u_char *>(
                    ngx_pnalloc(cf->pool,
                                sizeof("webhook_signature_metrics_") + 8));
    if (name.data == NULL) {
        return NGX_ERROR;
    }

    name.len = ngx_sprintf(name.data, "webhook_signature_metrics_%08xD", crc)
               - name.data;

    /* the slab allocator's own pages besides the counters */
    size = ngx_align(mmcf->size, ngx_pagesize) + 8 * ngx_pagesize;

    shm_zone = ngx_shared_memory_add(cf, &name, size,
                               &ngx_http_webhook_signature_metrics_module);
    if (shm_zone == NULL) {
        return NGX_ERROR;
    }

    shm_zone->init = ngx_http_webhook_signature_metrics_init_zone;
    shm_zone->data = mmcf;

    return NGX_OK;
}
