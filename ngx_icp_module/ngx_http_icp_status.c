/*
 * Counters and the icp_status endpoint.
 *
 * The counters live in one shared-memory zone, "icp_status", so every
 * worker adds to the same numbers and a reload (same zone name and size)
 * keeps them.  Fixed counters are plain atomics; counters labelled by a
 * name from the rules (segment, persona, experiment/variant, goal) sit in
 * an open-addressing table: lookups take no lock, inserts take the slab
 * mutex and publish the slot's hash last.
 */

#include <math.h>

#include "ngx_http_icp_status.h"
#include "report/stats.h"


#define NGX_HTTP_ICP_STATUS_SIZE     (256 * 1024)
#define NGX_HTTP_ICP_LABELS          1024
#define NGX_HTTP_ICP_LABEL_LEN       64

typedef enum {
    NGX_HTTP_ICP_LABEL_SEGMENT = 1,
    NGX_HTTP_ICP_LABEL_PERSONA,
    NGX_HTTP_ICP_LABEL_VARIANT,
    NGX_HTTP_ICP_LABEL_GOAL,
    NGX_HTTP_ICP_LABEL_ASSIGNED,      /* experiment, phase + variant */
    NGX_HTTP_ICP_LABEL_SRM_WARNED     /* experiment; count: when */
} ngx_http_icp_label_e;


/* the sample-ratio check: how often, from how many, how sure, how loud */
#define NGX_HTTP_ICP_SRM_EVERY       100
#define NGX_HTTP_ICP_SRM_MIN         1000
#define NGX_HTTP_ICP_SRM_P           0.001
#define NGX_HTTP_ICP_SRM_QUIET       600
#define NGX_HTTP_ICP_SRM_ARMS        32

typedef struct {
    ngx_atomic_t                 count;
    ngx_atomic_t                 hash;         /* 0: free */
    u_char                       kind;
    u_char                       len1;
    u_char                       len2;
    u_char                       name1[NGX_HTTP_ICP_LABEL_LEN];
    u_char                       name2[NGX_HTTP_ICP_LABEL_LEN];
} ngx_http_icp_label_t;

typedef struct {
    ngx_atomic_t                 classified;
    ngx_atomic_t                 conversions;
    ngx_atomic_t                 forged;
    ngx_atomic_t                 labels_full;
    ngx_atomic_t                 cache[NGX_HTTP_ICP_CACHE_ERROR + 1];
    ngx_atomic_t                 redis[NGX_HTTP_ICP_REDIS_MAX]
                                      [NGX_HTTP_ICP_REDIS_NEVENTS];
    ngx_atomic_t                 redis_up[NGX_HTTP_ICP_REDIS_MAX];
    ngx_http_icp_label_t         labels[NGX_HTTP_ICP_LABELS];
    ngx_atomic_t                 events[NGX_HTTP_ICP_STATUS_NEVENTS];
} ngx_http_icp_counters_t;


static ngx_int_t ngx_http_icp_status_init_zone(ngx_shm_zone_t *shm_zone,
    void *data);
static ngx_http_icp_label_t *ngx_http_icp_status_get(ngx_uint_t kind,
    const char *name1, size_t len1, const char *name2, size_t len2,
    ngx_uint_t insert);
static void ngx_http_icp_status_assigned(ngx_http_request_t *r,
    ngx_http_icp_decision_t *d);
static ngx_http_icp_label_t *ngx_http_icp_status_assigned_get(
    ngx_str_t *experiment, ngx_str_t *phase, ngx_str_t *variant,
    ngx_uint_t insert);
static double ngx_http_icp_status_srm(ngx_http_icp_route_t *route,
    ngx_str_t *phase, ngx_atomic_uint_t *total);
static u_char *ngx_http_icp_status_experiments(u_char *p, u_char *end,
    ngx_http_icp_main_conf_t *mcf, ngx_uint_t prometheus);
static void ngx_http_icp_status_count(ngx_uint_t kind, const char *name1,
    size_t len1, const char *name2, size_t len2);
static ngx_int_t ngx_http_icp_status_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_icp_status_json(ngx_http_request_t *r,
    ngx_buf_t *b);
static ngx_int_t ngx_http_icp_status_prometheus(ngx_http_request_t *r,
    ngx_buf_t *b);
static u_char *ngx_http_icp_status_label(u_char *p, u_char *name,
    size_t len);


struct ngx_http_icp_status_conf_s {
    ngx_http_icp_redis_conf_t   *servers;
    ngx_uint_t                   nservers;
};


static ngx_http_icp_counters_t  *ngx_http_icp_counters;
static ngx_slab_pool_t          *ngx_http_icp_status_pool;

static const char  *ngx_http_icp_label_kinds[] = {
    NULL, "segment", "persona", "variant", "goal"
};

static const char  *ngx_http_icp_event_names[] = {
    "convert_rejected", "value_rejected", "preview_rejected"
};


ngx_int_t
ngx_http_icp_status_init_conf(ngx_conf_t *cf, ngx_http_icp_main_conf_t *mcf,
    ngx_http_icp_redis_conf_t *servers, ngx_uint_t nservers)
{
    ngx_str_t        name = ngx_string("icp_status");
    ngx_shm_zone_t  *zone;

    mcf->status = ngx_palloc(cf->pool, sizeof(ngx_http_icp_status_conf_t));
    if (mcf->status == NULL) {
        return NGX_ERROR;
    }

    mcf->status->servers = servers;
    mcf->status->nservers = nservers;

    zone = ngx_shared_memory_add(cf, &name, NGX_HTTP_ICP_STATUS_SIZE,
                                 &ngx_http_icp_module);
    if (zone == NULL) {
        return NGX_ERROR;
    }

    zone->init = ngx_http_icp_status_init_zone;

    mcf->loaded = ngx_time();

    return NGX_OK;
}


static ngx_int_t
ngx_http_icp_status_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_slab_pool_t  *shpool;

    shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;
    ngx_http_icp_status_pool = shpool;

    if (data) {
        /* a reload: the counters go on */
        shm_zone->data = data;
        ngx_http_icp_counters = data;
        return NGX_OK;
    }

    if (shm_zone->shm.exists) {
        shm_zone->data = shpool->data;
        ngx_http_icp_counters = shpool->data;
        return NGX_OK;
    }

    ngx_http_icp_counters = ngx_slab_calloc(shpool,
                                            sizeof(ngx_http_icp_counters_t));
    if (ngx_http_icp_counters == NULL) {
        return NGX_ERROR;
    }

    shpool->data = ngx_http_icp_counters;
    shm_zone->data = ngx_http_icp_counters;

    return NGX_OK;
}


char *
ngx_http_icp_status_directive(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_core_loc_conf_t  *clcf;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_icp_status_handler;

    return NGX_CONF_OK;
}


void
ngx_http_icp_status_classified(ngx_http_request_t *r,
    ngx_http_icp_ctx_t *ctx)
{
    ngx_http_icp_decision_t  *d;

    if (ngx_http_icp_counters == NULL) {
        return;
    }

    d = &ctx->decision;

    (void) ngx_atomic_fetch_add(&ngx_http_icp_counters->classified, 1);
    (void) ngx_atomic_fetch_add(&ngx_http_icp_counters->cache[d->cache], 1);

    ngx_http_icp_status_count(NGX_HTTP_ICP_LABEL_SEGMENT,
                              (char *) d->segment.data, d->segment.len,
                              NULL, 0);
    ngx_http_icp_status_count(NGX_HTTP_ICP_LABEL_PERSONA,
                              (char *) d->persona.data, d->persona.len,
                              NULL, 0);

    if (d->experiment.len == 0 || ctx->bot || ctx->preview) {
        return;
    }

    ngx_http_icp_status_count(NGX_HTTP_ICP_LABEL_VARIANT,
                              (char *) d->experiment.data, d->experiment.len,
                              (char *) d->variant.data, d->variant.len);

    if (ctx->new_assignment) {
        ngx_http_icp_status_assigned(r, d);
    }
}


void
ngx_http_icp_status_event(ngx_http_icp_status_event_e event)
{
    if (ngx_http_icp_counters) {
        (void) ngx_atomic_fetch_add(&ngx_http_icp_counters->events[event],
                                    1);
    }
}


/*
 * A visitor the hash put in a variant, in this phase: the live sample
 * ratio.  Every NGX_HTTP_ICP_SRM_EVERY of them the split is tested
 * against the weights, and a mismatch warns, once in
 * NGX_HTTP_ICP_SRM_QUIET seconds over all workers.
 */

static void
ngx_http_icp_status_assigned(ngx_http_request_t *r,
    ngx_http_icp_decision_t *d)
{
    double                 pv;
    time_t                 now;
    ngx_atomic_uint_t      n, total, last;
    ngx_http_icp_label_t  *l;

    l = ngx_http_icp_status_assigned_get(&d->experiment, &d->phase,
                                         &d->variant, 1);
    if (l == NULL) {
        return;
    }

    n = ngx_atomic_fetch_add(&l->count, 1) + 1;

    if (n % NGX_HTTP_ICP_SRM_EVERY) {
        return;
    }

    pv = ngx_http_icp_status_srm(d->route, &d->phase, &total);

    if (total < NGX_HTTP_ICP_SRM_MIN || !(pv < NGX_HTTP_ICP_SRM_P)) {
        return;
    }

    l = ngx_http_icp_status_get(NGX_HTTP_ICP_LABEL_SRM_WARNED,
                                (char *) d->experiment.data,
                                d->experiment.len, (char *) d->phase.data,
                                d->phase.len, 1);
    now = ngx_time();
    last = l ? l->count : 0;

    if (l == NULL || (time_t) last + NGX_HTTP_ICP_SRM_QUIET > now
        || !ngx_atomic_cmp_set(&l->count, last, (ngx_atomic_uint_t) now))
    {
        return;
    }

    ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                  "icp: experiment \"%V\" phase %V: sample ratio mismatch, "
                  "p=%.6f over %uA visitors: the split does not follow "
                  "the weights", &d->experiment, &d->phase, pv, total);
}


/* A variant's assignments in a phase: label (experiment, PHASE VARIANT) */

static ngx_http_icp_label_t *
ngx_http_icp_status_assigned_get(ngx_str_t *experiment, ngx_str_t *phase,
    ngx_str_t *variant, ngx_uint_t insert)
{
    u_char  key[NGX_HTTP_ICP_LABEL_LEN];
    size_t  len;

    len = ngx_min(phase->len + variant->len, NGX_HTTP_ICP_LABEL_LEN);
    ngx_memcpy(key, phase->data, phase->len);
    ngx_memcpy(key + phase->len, variant->data, len - phase->len);

    return ngx_http_icp_status_get(NGX_HTTP_ICP_LABEL_ASSIGNED,
                                   (char *) experiment->data, experiment->len,
                                   (char *) key, len, insert);
}


/* The p-value of this phase's split against its weights; NaN: no test. */

static double
ngx_http_icp_status_srm(ngx_http_icp_route_t *route, ngx_str_t *phase,
    ngx_atomic_uint_t *total)
{
    size_t                 i;
    double                 chi2, weight[NGX_HTTP_ICP_SRM_ARMS];
    uint64_t               observed[NGX_HTTP_ICP_SRM_ARMS];
    unsigned               df;
    ngx_http_icp_label_t  *l;

    *total = 0;

    if (route->nvariants > NGX_HTTP_ICP_SRM_ARMS) {
        return NAN;
    }

    for (i = 0; i < route->nvariants; i++) {
        l = ngx_http_icp_status_assigned_get(&route->experiment, phase,
                                             &route->variants[i].name, 0);

        observed[i] = l ? l->count : 0;
        weight[i] = route->variants[i].weight;
        *total += observed[i];
    }

    return rpt_srm(observed, weight, route->nvariants, &chi2, &df);
}


void
ngx_http_icp_status_convert(ngx_http_request_t *r, ngx_http_icp_ctx_t *ctx)
{
    if (ngx_http_icp_counters == NULL || ctx->bot) {
        return;
    }

    (void) ngx_atomic_fetch_add(&ngx_http_icp_counters->conversions, 1);

    ngx_http_icp_status_count(NGX_HTTP_ICP_LABEL_GOAL,
                              (char *) ctx->goal.data, ctx->goal.len,
                              NULL, 0);
}


void
ngx_http_icp_status_forged(ngx_http_request_t *r)
{
    if (ngx_http_icp_counters) {
        (void) ngx_atomic_fetch_add(&ngx_http_icp_counters->forged, 1);
    }
}


void
ngx_http_icp_status_redis(ngx_uint_t server, ngx_http_icp_redis_event_e event)
{
    if (ngx_http_icp_counters && server < NGX_HTTP_ICP_REDIS_MAX) {
        (void) ngx_atomic_fetch_add(
                   &ngx_http_icp_counters->redis[server][event], 1);
    }
}


void
ngx_http_icp_status_redis_up(ngx_uint_t server, ngx_uint_t up)
{
    if (ngx_http_icp_counters && server < NGX_HTTP_ICP_REDIS_MAX) {
        ngx_http_icp_counters->redis_up[server] = up;
    }
}


static void
ngx_http_icp_status_count(ngx_uint_t kind, const char *name1, size_t len1,
    const char *name2, size_t len2)
{
    ngx_http_icp_label_t  *l;

    l = ngx_http_icp_status_get(kind, name1, len1, name2, len2, 1);

    if (l) {
        (void) ngx_atomic_fetch_add(&l->count, 1);
    }
}


/* The label's slot; with insert, made if absent.  NULL: none, or full. */

static ngx_http_icp_label_t *
ngx_http_icp_status_get(ngx_uint_t kind, const char *name1, size_t len1,
    const char *name2, size_t len2, ngx_uint_t insert)
{
    uint32_t               hash;
    ngx_uint_t             i, n;
    ngx_http_icp_label_t  *l;

    len1 = ngx_min(len1, NGX_HTTP_ICP_LABEL_LEN);
    len2 = ngx_min(len2, NGX_HTTP_ICP_LABEL_LEN);

    ngx_crc32_init(hash);
    ngx_crc32_update(&hash, (u_char *) &kind, 1);
    ngx_crc32_update(&hash, (u_char *) name1, len1);
    ngx_crc32_update(&hash, (u_char *) "\0", 1);
    ngx_crc32_update(&hash, (u_char *) name2, len2);
    ngx_crc32_final(hash);

    hash |= 1;       /* never 0, which marks a free slot */

    for (n = 0; n < 2; n++) {

        for (i = 0; i < NGX_HTTP_ICP_LABELS; i++) {
            l = &ngx_http_icp_counters->labels[(hash + i)
                                               % NGX_HTTP_ICP_LABELS];

            if (l->hash == 0) {
                break;
            }

            if (l->hash == hash && l->kind == kind && l->len1 == len1
                && l->len2 == len2
                && ngx_memcmp(l->name1, name1, len1) == 0
                && ngx_memcmp(l->name2, name2, len2) == 0)
            {
                return l;
            }
        }

        if (!insert || n == 1 || i == NGX_HTTP_ICP_LABELS) {
            break;
        }

        /* not there: insert under the lock, where another may have won */

        ngx_shmtx_lock(&ngx_http_icp_status_pool->mutex);

        for (i = 0; i < NGX_HTTP_ICP_LABELS; i++) {
            l = &ngx_http_icp_counters->labels[(hash + i)
                                               % NGX_HTTP_ICP_LABELS];
            if (l->hash == 0) {
                l->kind = (u_char) kind;
                l->len1 = (u_char) len1;
                l->len2 = (u_char) len2;
                ngx_memcpy(l->name1, name1, len1);
                ngx_memcpy(l->name2, name2, len2);
                ngx_memory_barrier();
                l->hash = hash;
                break;
            }

            if (l->hash == hash && l->kind == kind && l->len1 == len1
                && l->len2 == len2
                && ngx_memcmp(l->name1, name1, len1) == 0
                && ngx_memcmp(l->name2, name2, len2) == 0)
            {
                break;
            }
        }

        ngx_shmtx_unlock(&ngx_http_icp_status_pool->mutex);
    }

    if (insert) {
        (void) ngx_atomic_fetch_add(&ngx_http_icp_counters->labels_full, 1);
    }

    return NULL;
}


static ngx_int_t
ngx_http_icp_status_handler(ngx_http_request_t *r)
{
    size_t        size;
    ngx_int_t     rc;
    ngx_buf_t    *b;
    ngx_str_t     format;
    ngx_chain_t   out;
    ngx_uint_t    prometheus;

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    if (ngx_http_icp_counters == NULL) {
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    prometheus = ngx_http_arg(r, (u_char *) "format", 6, &format) == NGX_OK
                 && format.len == 10
                 && ngx_strncmp(format.data, "prometheus", 10) == 0;

    /* every label at most twice its escaped names, plus the fixed part */
    size = 16384 + NGX_HTTP_ICP_LABELS * (4 * NGX_HTTP_ICP_LABEL_LEN + 160);

    b = ngx_create_temp_buf(r->pool, size);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (prometheus) {
        ngx_str_set(&r->headers_out.content_type,
                    "text/plain; version=0.0.4");
        rc = ngx_http_icp_status_prometheus(r, b);

    } else {
        ngx_str_set(&r->headers_out.content_type, "application/json");
        rc = ngx_http_icp_status_json(r, b);
    }

    if (rc != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    r->headers_out.content_type_len = r->headers_out.content_type.len;
    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_length_n = b->last - b->pos;

    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


static ngx_int_t
ngx_http_icp_status_json(ngx_http_request_t *r, ngx_buf_t *b)
{
    u_char                    *p, *end;
    ngx_tm_t                   tm;
    ngx_uint_t                 i, k, n, first;
    ngx_http_icp_redis_conf_t *servers;
    ngx_http_icp_label_t      *l;
    ngx_http_icp_rules_t     **rules;
    ngx_http_icp_counters_t   *c;
    ngx_http_icp_main_conf_t  *mcf;

    c = ngx_http_icp_counters;
    mcf = ngx_http_get_module_main_conf(r, ngx_http_icp_module);

    p = b->last;
    end = b->end;

    p = ngx_slprintf(p, end, "{\"classified\":%uA,\"conversions\":%uA,"
                     "\"forged_cookies\":%uA,\"labels_dropped\":%uA,"
                     "\"cache\":{",
                     c->classified, c->conversions, c->forged,
                     c->labels_full);

    for (i = 0; i <= NGX_HTTP_ICP_CACHE_ERROR; i++) {
        p = ngx_slprintf(p, end, "%s\"%V\":%uA", i ? "," : "",
                         &ngx_http_icp_cache_names[i], c->cache[i]);
    }

    p = ngx_slprintf(p, end, "}");

    for (k = NGX_HTTP_ICP_LABEL_SEGMENT; k <= NGX_HTTP_ICP_LABEL_GOAL; k++) {
        p = ngx_slprintf(p, end, ",\"%ss\":{", ngx_http_icp_label_kinds[k]);
        first = 1;

        for (i = 0; i < NGX_HTTP_ICP_LABELS; i++) {
            l = &c->labels[i];

            if (l->hash == 0 || l->kind != k) {
                continue;
            }

            p = ngx_slprintf(p, end, "%s\"", first ? "" : ",");

            if (end - p < 4 * NGX_HTTP_ICP_LABEL_LEN + 2) {
                return NGX_ERROR;
            }

            p = ngx_http_icp_status_label(p, l->name1, l->len1);

            if (k == NGX_HTTP_ICP_LABEL_VARIANT) {
                *p++ = '/';
                p = ngx_http_icp_status_label(p, l->name2, l->len2);
            }

            p = ngx_slprintf(p, end, "\":%uA", l->count);
            first = 0;
        }

        p = ngx_slprintf(p, end, "}");
    }

    for (i = 0; i < NGX_HTTP_ICP_STATUS_NEVENTS; i++) {
        p = ngx_slprintf(p, end, ",\"%s\":%uA", ngx_http_icp_event_names[i],
                         c->events[i]);
    }

    p = ngx_slprintf(p, end, ",\"experiments\":{");
    p = ngx_http_icp_status_experiments(p, end, mcf, 0);
    p = ngx_slprintf(p, end, "},\"redis\":[");

    servers = mcf->status->servers;
    n = mcf->status->nservers;

    for (i = 0; i < n && i < NGX_HTTP_ICP_REDIS_MAX; i++) {
        if ((size_t) (end - p) < 2 * servers[i].addr.len + 200) {
            return NGX_ERROR;
        }

        p = ngx_sprintf(p, "%s{\"server\":\"", i ? "," : "");
        p = ngx_http_icp_status_label(p, servers[i].addr.data,
                                      servers[i].addr.len);
        p = ngx_sprintf(p, "\",\"up\":%s,\"commands\":%uA,\"errors\":%uA,"
                        "\"timeouts\":%uA,\"reconnects\":%uA,"
                        "\"over_budget\":%uA}",
                        c->redis_up[i] ? "true" : "false",
                        c->redis[i][NGX_HTTP_ICP_REDIS_COMMANDS],
                        c->redis[i][NGX_HTTP_ICP_REDIS_ERRORS],
                        c->redis[i][NGX_HTTP_ICP_REDIS_TIMEOUTS],
                        c->redis[i][NGX_HTTP_ICP_REDIS_RECONNECTS],
                        c->redis[i][NGX_HTTP_ICP_REDIS_OVER_BUDGET]);
    }

    ngx_gmtime(mcf->loaded, &tm);

    p = ngx_slprintf(p, end, "],\"loaded\":\"%4d-%02d-%02dT%02d:%02d:%02dZ\","
                     "\"rules\":[",
                     tm.ngx_tm_year, tm.ngx_tm_mon, tm.ngx_tm_mday,
                     tm.ngx_tm_hour, tm.ngx_tm_min, tm.ngx_tm_sec);

    rules = mcf->rules.elts;

    for (i = 0; i < mcf->rules.nelts; i++) {
        p = ngx_slprintf(p, end, "%s\"", i ? "," : "");

        if ((size_t) (end - p) < 6 * rules[i]->path.len + 2) {
            return NGX_ERROR;
        }

        p += lfr_json_escape((char *) p, end - p,
                             (char *) rules[i]->path.data,
                             rules[i]->path.len);
        p = ngx_slprintf(p, end, "\"");
    }

    p = ngx_slprintf(p, end, "]}\n");

    if (p == end) {
        return NGX_ERROR;
    }

    b->last = p;

    return NGX_OK;
}


static ngx_int_t
ngx_http_icp_status_prometheus(ngx_http_request_t *r, ngx_buf_t *b)
{
    u_char                    *p, *end;
    ngx_uint_t                 i, k, n;
    ngx_http_icp_redis_conf_t *servers;
    ngx_http_icp_label_t      *l;
    ngx_http_icp_rules_t     **rules;
    ngx_http_icp_counters_t   *c;
    ngx_http_icp_main_conf_t  *mcf;

    static const char  *help[] = {
        NULL,
        "Requests classified, by segment.",
        "Requests classified, by persona.",
        "Experiment exposures (not crawlers, not previews), by variant.",
        "Conversions, by goal."
    };

    static const char  *metric[] = {
        NULL,
        "icp_segment_requests_total",
        "icp_persona_requests_total",
        "icp_variant_exposures_total",
        "icp_goal_conversions_total"
    };

    static const char  *event_help[] = {
        "Conversions not recorded: goal empty or not in icp_goals.",
        "Conversion values dropped as not a valid amount.",
        "Preview tokens refused: expired, forged or malformed."
    };

    static const char  *redis[] = {
        "icp_redis_commands_total", "Redis commands sent.",
        "icp_redis_errors_total", "Redis errors (connect, protocol, reply).",
        "icp_redis_timeouts_total", "Redis commands that timed out.",
        "icp_redis_reconnects_total", "Redis reconnect attempts.",
        "icp_redis_over_budget_total",
        "Redis replies skipped as over max_reply or max_elements."
    };

    c = ngx_http_icp_counters;
    mcf = ngx_http_get_module_main_conf(r, ngx_http_icp_module);

    p = b->last;
    end = b->end;

    p = ngx_slprintf(p, end,
            "# HELP icp_requests_classified_total Requests classified.\n"
            "# TYPE icp_requests_classified_total counter\n"
            "icp_requests_classified_total %uA\n"
            "# HELP icp_conversions_total Conversion requests.\n"
            "# TYPE icp_conversions_total counter\n"
            "icp_conversions_total %uA\n"
            "# HELP icp_forged_cookies_total Context cookies that failed "
            "their signature check.\n"
            "# TYPE icp_forged_cookies_total counter\n"
            "icp_forged_cookies_total %uA\n"
            "# HELP icp_cache_requests_total Requests by firmographic "
            "cache status.\n"
            "# TYPE icp_cache_requests_total counter\n",
            c->classified, c->conversions, c->forged);

    for (i = 0; i <= NGX_HTTP_ICP_CACHE_ERROR; i++) {
        p = ngx_slprintf(p, end, "icp_cache_requests_total{status=\"%V\"} "
                         "%uA\n", &ngx_http_icp_cache_names[i], c->cache[i]);
    }

    for (k = NGX_HTTP_ICP_LABEL_SEGMENT; k <= NGX_HTTP_ICP_LABEL_GOAL; k++) {
        p = ngx_slprintf(p, end, "# HELP %s %s\n# TYPE %s counter\n",
                         metric[k], help[k], metric[k]);

        for (i = 0; i < NGX_HTTP_ICP_LABELS; i++) {
            l = &c->labels[i];

            if (l->hash == 0 || l->kind != k) {
                continue;
            }

            if (end - p < 4 * NGX_HTTP_ICP_LABEL_LEN + 128) {
                return NGX_ERROR;
            }

            if (k == NGX_HTTP_ICP_LABEL_VARIANT) {
                p = ngx_sprintf(p, "%s{experiment=\"", metric[k]);
                p = ngx_http_icp_status_label(p, l->name1, l->len1);
                p = ngx_sprintf(p, "\",variant=\"");
                p = ngx_http_icp_status_label(p, l->name2, l->len2);

            } else {
                p = ngx_sprintf(p, "%s{%s=\"", metric[k],
                                ngx_http_icp_label_kinds[k]);
                p = ngx_http_icp_status_label(p, l->name1, l->len1);
            }

            p = ngx_sprintf(p, "\"} %uA\n", l->count);
        }
    }

    for (i = 0; i < NGX_HTTP_ICP_STATUS_NEVENTS; i++) {
        p = ngx_slprintf(p, end, "# HELP icp_%s_total %s\n"
                         "# TYPE icp_%s_total counter\nicp_%s_total %uA\n",
                         ngx_http_icp_event_names[i], event_help[i],
                         ngx_http_icp_event_names[i],
                         ngx_http_icp_event_names[i], c->events[i]);
    }

    p = ngx_slprintf(p, end,
            "# HELP icp_experiment_assigned_total Visitors the hash "
            "assigned, by experiment, variant and phase.\n"
            "# TYPE icp_experiment_assigned_total counter\n"
            "# HELP icp_experiment_srm_p Sample-ratio chi-square p-value "
            "of the phase against its weights.\n"
            "# TYPE icp_experiment_srm_p gauge\n");
    p = ngx_http_icp_status_experiments(p, end, mcf, 1);

    servers = mcf->status->servers;
    n = mcf->status->nservers;
    n = ngx_min(n, NGX_HTTP_ICP_REDIS_MAX);

    for (k = 0; k <= NGX_HTTP_ICP_REDIS_NEVENTS; k++) {
        if (k < NGX_HTTP_ICP_REDIS_NEVENTS) {
            p = ngx_slprintf(p, end, "# HELP %s %s\n# TYPE %s counter\n",
                             redis[2 * k], redis[2 * k + 1], redis[2 * k]);
        } else {
            p = ngx_slprintf(p, end, "# HELP icp_redis_up Whether the "
                             "server answered at its last use.\n"
                             "# TYPE icp_redis_up gauge\n");
        }

        for (i = 0; i < n; i++) {
            if ((size_t) (end - p) < 2 * servers[i].addr.len + 128) {
                return NGX_ERROR;
            }

            p = ngx_sprintf(p, "%s{server=\"",
                            k < NGX_HTTP_ICP_REDIS_NEVENTS ? redis[2 * k]
                                                           : "icp_redis_up");
            p = ngx_http_icp_status_label(p, servers[i].addr.data,
                                          servers[i].addr.len);
            p = ngx_sprintf(p, "\"} %uA\n",
                            k < NGX_HTTP_ICP_REDIS_NEVENTS ? c->redis[i][k]
                                                           : c->redis_up[i]);
        }
    }

    p = ngx_slprintf(p, end, "# HELP icp_rules_loaded_timestamp_seconds "
                     "When the configuration with this rules file "
                     "loaded.\n"
                     "# TYPE icp_rules_loaded_timestamp_seconds gauge\n");

    rules = mcf->rules.elts;

    for (i = 0; i < mcf->rules.nelts; i++) {
        if ((size_t) (end - p) < 2 * rules[i]->path.len + 128) {
            return NGX_ERROR;
        }

        p = ngx_sprintf(p, "icp_rules_loaded_timestamp_seconds{path=\"");
        p = ngx_http_icp_status_label(p, rules[i]->path.data,
                                      rules[i]->path.len);
        p = ngx_sprintf(p, "\"} %T\n", mcf->loaded);
    }

    if (p == end) {
        return NGX_ERROR;
    }

    b->last = p;

    return NGX_OK;
}


/*
 * A label value for both outputs: '\\', '"' and newline escaped, any other
 * byte outside printable ASCII as '?'; names from the rules rarely have
 * any.  Writes at most 2 * len bytes.
 */

/*
 * Per experiment of the loaded rules: its phase, and per variant the
 * weight and the visitors the hash assigned in that phase, with the
 * sample-ratio p-value.  An experiment named by several routes shows once.
 */

static u_char *
ngx_http_icp_status_experiments(u_char *p, u_char *end,
    ngx_http_icp_main_conf_t *mcf, ngx_uint_t prometheus)
{
    double                  pv;
    ngx_uint_t              i, j, k, v, first, seen;
    ngx_atomic_uint_t       total, n;
    ngx_http_icp_label_t   *l;
    ngx_http_icp_route_t   *route, *other;
    ngx_http_icp_rules_t  **rules;

    rules = mcf->rules.elts;
    first = 1;

    for (i = 0; i < mcf->rules.nelts; i++) {
        for (j = 0; j < rules[i]->nroutes; j++) {
            route = &rules[i]->routes[j];

            if (route->experiment.len == 0) {
                continue;
            }

            seen = 0;

            for (k = 0; k <= i && !seen; k++) {
                for (v = 0; v < rules[k]->nroutes; v++) {
                    other = &rules[k]->routes[v];

                    if (other == route) {
                        break;
                    }

                    if (other->experiment.len == route->experiment.len
                        && ngx_strncmp(other->experiment.data,
                                       route->experiment.data,
                                       route->experiment.len) == 0)
                    {
                        seen = 1;
                        break;
                    }
                }
            }

            if (seen) {
                continue;
            }

            if ((size_t) (end - p) < (route->nvariants + 1)
                                     * (4 * NGX_HTTP_ICP_LABEL_LEN + 160))
            {
                return end;
            }

            pv = ngx_http_icp_status_srm(route, &route->phase, &total);

            if (!prometheus) {
                p = ngx_sprintf(p, "%s\"%V\":{\"phase\":\"%V\","
                                "\"assigned\":%uA,\"srm_p\":",
                                first ? "" : ",", &route->experiment,
                                &route->phase, total);
                p = isnan(pv) ? ngx_cpymem(p, "null", 4)
                              : ngx_sprintf(p, "%.6f", pv);
                p = ngx_sprintf(p, ",\"variants\":{");

            } else if (!isnan(pv)) {
                p = ngx_sprintf(p, "icp_experiment_srm_p{experiment=\"%V\","
                                "phase=\"%V\"} %.6f\n", &route->experiment,
                                &route->phase, pv);
            }

            for (v = 0; v < route->nvariants; v++) {
                l = ngx_http_icp_status_assigned_get(&route->experiment,
                                                     &route->phase,
                                                     &route->variants[v].name,
                                                     0);
                n = l ? l->count : 0;

                if (prometheus) {
                    p = ngx_sprintf(p, "icp_experiment_assigned_total{"
                                    "experiment=\"%V\",variant=\"%V\","
                                    "phase=\"%V\"} %uA\n",
                                    &route->experiment,
                                    &route->variants[v].name, &route->phase,
                                    n);

                } else {
                    p = ngx_sprintf(p, "%s\"%V\":{\"weight\":%ui,"
                                    "\"assigned\":%uA}", v ? "," : "",
                                    &route->variants[v].name,
                                    route->variants[v].weight, n);
                }
            }

            if (!prometheus) {
                p = ngx_sprintf(p, "}}");
            }

            first = 0;
        }
    }

    return p;
}


static u_char *
ngx_http_icp_status_label(u_char *p, u_char *name, size_t len)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        if (name[i] == '\\' || name[i] == '"') {
            *p++ = '\\';
            *p++ = name[i];

        } else if (name[i] == '\n') {
            *p++ = '\\';
            *p++ = 'n';

        } else if (name[i] < 0x20 || name[i] >= 0x7f) {
            *p++ = '?';

        } else {
            *p++ = name[i];
        }
    }

    return p;
}
