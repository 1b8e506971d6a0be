/* SPDX-License-Identifier: BSD-2-Clause */

/*
 * What the signature module tells the metrics module
 * (ngx_http_webhook_signature_metrics_module.cpp): which label sets a
 * location can produce, at configuration time, and each main request's
 * verdict, once, when it is decided.  Included after the nginx headers
 * and webhook_signature.h.
 */

#ifndef NGX_HTTP_WEBHOOK_SIGNATURE_METRICS_H
#define NGX_HTTP_WEBHOOK_SIGNATURE_METRICS_H


#define NGX_HTTP_WEBHOOK_SIGNATURE_ENFORCE       0
#define NGX_HTTP_WEBHOOK_SIGNATURE_REPORT        1
#define NGX_HTTP_WEBHOOK_SIGNATURE_MODES         2


/*
 * From the signature module's merge of a location that checks: its scheme,
 * mode, number of secrets and whether a replay zone records its requests.  The metrics module's own merge of that
 * location, which runs later (it comes second in config's ngx_module_name,
 * and nginx merges one module's locations after another's), finds its zone
 * label and takes the label sets up.
 */
ngx_int_t ngx_http_webhook_signature_metrics_add(ngx_conf_t *cf,
    ws_scheme_e scheme, ngx_uint_t mode, ngx_uint_t nkeys, ngx_flag_t replay);

/* Once per main request, when its result is decided. */
void ngx_http_webhook_signature_metrics_count(ngx_http_request_t *r,
    ws_scheme_e scheme, ws_result_e result, ngx_uint_t mode, size_t key);


/*
 * The n-th (0-based) shared memory zone of the running cycle with this tag
 * (and this name, unless NULL), in the order they were declared; NULL past
 * the last.  In the master while a new configuration's zones are
 * initialized, the running cycle is the one being replaced.
 */
ngx_shm_zone_t *ngx_http_webhook_signature_shm_zone(void *tag,
    ngx_str_t *name, ngx_uint_t n);


/* what a replay zone holds, for the gauges (from the signature module) */
typedef struct {
    ngx_str_t                   name;
    ngx_uint_t                  pending;
    ngx_uint_t                  done;
    size_t                      max;        /* the zone's size */
    size_t                      used;       /* its slab pages in use */
} ngx_http_webhook_signature_replay_gauges_t;

/*
 * The n-th (0-based) replay zone of the running configuration, in the
 * order they were declared: NGX_OK, or NGX_DONE past the last.  Expired
 * records are dropped first (up to 1,024 a queue), so they are not counted.
 */
ngx_int_t ngx_http_webhook_signature_replay_gauges(ngx_uint_t n,
    ngx_http_webhook_signature_replay_gauges_t *gauges);


#endif /* NGX_HTTP_WEBHOOK_SIGNATURE_METRICS_H */
