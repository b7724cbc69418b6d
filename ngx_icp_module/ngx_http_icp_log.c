/*
 * The log stage: builds $icp_json.  Every string from a request or Redis
 * is escaped (lfr_json_plain, else lfr_json_escape); names from the rules
 * and what this module makes need no escaping.  So the record is valid
 * JSON with `log_format NAME escape=none '$icp_json';`.
 */

#include "ngx_http_icp_log.h"


typedef struct {
    u_char          *start;
    u_char          *pos;
    u_char          *end;
    ngx_pool_t      *pool;
    ngx_int_t        failed;
} ngx_http_icp_json_t;


/*
 * The record is written from the pieces this file spells, with their
 * commas and quotes, as constants: sizeof() lets the compiler turn each
 * copy into a few moves.
 */
#define ngx_http_icp_json_lit(j, s)                                          \
    ngx_http_icp_json_raw(j, (const u_char *) s, sizeof(s) - 1)


static ngx_int_t ngx_http_icp_json_grow(ngx_http_icp_json_t *j, size_t len);
static ngx_inline void ngx_http_icp_json_raw(ngx_http_icp_json_t *j,
    const u_char *s, size_t len);
static void ngx_http_icp_json_quoted(ngx_http_icp_json_t *j, const u_char *s,
    size_t len);
static void ngx_http_icp_json_string(ngx_http_icp_json_t *j, const u_char *s,
    size_t len);
static void ngx_http_icp_json_name(ngx_http_icp_json_t *j, const char *s);
static void ngx_http_icp_json_int(ngx_http_icp_json_t *j, ngx_int_t n);
static void ngx_http_icp_json_bool(ngx_http_icp_json_t *j, ngx_uint_t value);
static ngx_http_variable_value_t *ngx_http_icp_request_id(
    ngx_http_request_t *r, ngx_int_t index);
static u_char *ngx_http_icp_log_time(u_char *buf);
static void ngx_http_icp_log_common(ngx_http_request_t *r,
    ngx_http_icp_json_t *j, ngx_http_icp_ctx_t *ctx, ngx_str_t *type);
static void ngx_http_icp_log_exposure(ngx_http_request_t *r,
    ngx_http_icp_ctx_t *ctx, ngx_http_icp_json_t *j);
static void ngx_http_icp_log_conversion(ngx_http_icp_ctx_t *ctx,
    ngx_http_icp_json_t *j);
static void ngx_http_icp_log_tail(ngx_http_icp_ctx_t *ctx,
    ngx_http_icp_json_t *j);


static ngx_str_t  ngx_http_icp_log_exposure_type = ngx_string("exposure");
static ngx_str_t  ngx_http_icp_log_conversion_type = ngx_string("conversion");


/* The firmographic fields a record carries, in this order, when known. */
ngx_str_t  ngx_http_icp_log_firmo[] = {
    ngx_string("company"),
    ngx_string("domain"),
    ngx_string("industry"),
    ngx_string("employees"),
    ngx_string("revenue"),
    ngx_string("country"),
    ngx_string("source"),
    ngx_string("as_of"),
    ngx_null_string
};


ngx_uint_t
ngx_http_icp_log_wanted(ngx_http_icp_ctx_t *ctx)
{
    return ctx->classified || ctx->goal.len;
}


ngx_int_t
ngx_http_icp_log_json(ngx_http_request_t *r, ngx_http_icp_ctx_t *ctx,
    ngx_str_t *json)
{
    ngx_http_icp_json_t  j;

    j.start = ngx_pnalloc(r->pool, 1024);
    if (j.start == NULL) {
        return NGX_ERROR;
    }

    j.pos = j.start;
    j.end = j.start + 1024;
    j.pool = r->pool;
    j.failed = 0;

    if (ctx->goal.len) {
        ngx_http_icp_log_common(r, &j, ctx, &ngx_http_icp_log_conversion_type);
        ngx_http_icp_log_conversion(ctx, &j);

    } else {
        ngx_http_icp_log_common(r, &j, ctx, &ngx_http_icp_log_exposure_type);
        ngx_http_icp_log_exposure(r, ctx, &j);
    }

    ngx_http_icp_log_tail(ctx, &j);

    if (j.failed) {
        return NGX_ERROR;
    }

    json->data = j.start;
    json->len = j.pos - j.start;

    return NGX_OK;
}


/*
 * The time, the request id, the visitor id (checked by icp_vid_valid or
 * made here) and the address (ngx_sock_ntop's) are plain by construction:
 * they are copied without a scan.
 */

static void
ngx_http_icp_log_common(ngx_http_request_t *r, ngx_http_icp_json_t *j,
    ngx_http_icp_ctx_t *ctx, ngx_str_t *type)
{
    ngx_http_variable_value_t  *id;
    ngx_http_icp_main_conf_t   *mcf;

    mcf = ngx_http_get_module_main_conf(r, ngx_http_icp_module);
    id = ngx_http_icp_request_id(r, mcf->request_id_index);

    ngx_http_icp_json_lit(j, "{\"ts\":\"");

    if (j->end - j->pos >= (ssize_t) sizeof("2026-11-23T10:11:12.345Z")
        || ngx_http_icp_json_grow(j, sizeof("2026-11-23T10:11:12.345Z"))
           == NGX_OK)
    {
        j->pos = ngx_http_icp_log_time(j->pos);
    }

    ngx_http_icp_json_lit(j, "\",\"type\":\"");
    ngx_http_icp_json_raw(j, type->data, type->len);
    ngx_http_icp_json_lit(j, "\",\"req\":");

    if (id && !id->not_found) {
        ngx_http_icp_json_quoted(j, id->data, id->len);

    } else {
        ngx_http_icp_json_lit(j, "\"\"");
    }

    ngx_http_icp_json_lit(j, ",\"vid\":");
    ngx_http_icp_json_quoted(j, ctx->decision.visitor.data,
                             ctx->decision.visitor.len);
    ngx_http_icp_json_lit(j, ",\"ip\":");
    ngx_http_icp_json_quoted(j, ctx->addr.data, ctx->addr.len);
}


/*
 * UTC with milliseconds.  The date and time to the second are formatted
 * once a second: ngx_gmtime and ngx_sprintf for every record cost more
 * than the rest of its head.
 */

static u_char *
ngx_http_icp_log_time(u_char *buf)
{
    ngx_tm_t           tm;
    ngx_uint_t         ms;
    ngx_time_t        *tp;
    static time_t      sec = -1;
    static u_char      second[sizeof("2026-11-23T10:11:12.") - 1];

    tp = ngx_timeofday();

    if (tp->sec != sec) {
        ngx_gmtime(tp->sec, &tm);
        ngx_sprintf(second, "%4d-%02d-%02dT%02d:%02d:%02d.",
                    tm.ngx_tm_year, tm.ngx_tm_mon, tm.ngx_tm_mday,
                    tm.ngx_tm_hour, tm.ngx_tm_min, tm.ngx_tm_sec);
        sec = tp->sec;
    }

    ms = tp->msec;

    buf = ngx_cpymem(buf, second, sizeof(second));
    *buf++ = (u_char) ('0' + ms / 100);
    *buf++ = (u_char) ('0' + ms / 10 % 10);
    *buf++ = (u_char) ('0' + ms % 10);
    *buf++ = 'Z';

    return buf;
}


/*
 * "req" is nginx's $request_id.  nginx draws its 16 bytes with RAND_bytes
 * on every request, 6,900 instructions and a getpid() (bench/README.md);
 * unless something has asked for it already, the variable is filled here,
 * in the same form, from the module's pool of bytes of the same CSPRNG.
 * The value is cached in the request like nginx's own, so an access log
 * or a later header with $request_id shows the same id.
 */

static ngx_http_variable_value_t *
ngx_http_icp_request_id(ngx_http_request_t *r, ngx_int_t index)
{
    u_char                      bytes[16], *id;
    ngx_http_variable_value_t  *v;

    v = &r->variables[index];

    if (!v->valid && !v->not_found && icp_random_bytes(bytes, 16)) {
        id = ngx_pnalloc(r->pool, 32);

        if (id) {
            ngx_hex_dump(id, bytes, 16);

            v->data = id;
            v->len = 32;
            v->valid = 1;
            v->no_cacheable = 0;
            v->not_found = 0;
        }
    }

    return ngx_http_get_indexed_variable(r, index);
}


/*
 * The rules admit names of letters, digits, '_', '-' and '.' only (lfr.h),
 * so names, the reason made of them and the firmographic fields' names
 * (the lookup keeps only those the rules and this file name) are copied
 * without a scan.
 */

static void
ngx_http_icp_log_exposure(ngx_http_request_t *r, ngx_http_icp_ctx_t *ctx,
    ngx_http_icp_json_t *j)
{
    icp_utm_t                 *utm;
    ngx_str_t                 *reason;
    ngx_uint_t                 i;
    ngx_http_icp_field_t      *f;
    ngx_http_icp_decision_t   *d;
    ngx_http_icp_main_conf_t  *mcf;

    d = &ctx->decision;

    ngx_http_icp_json_lit(j, ",\"seg\":");
    ngx_http_icp_json_quoted(j, d->segment.data, d->segment.len);
    ngx_http_icp_json_lit(j, ",\"per\":");
    ngx_http_icp_json_quoted(j, d->persona.data, d->persona.len);
    ngx_http_icp_json_lit(j, ",\"score\":");
    ngx_http_icp_json_int(j, d->score);
    ngx_http_icp_json_lit(j, ",\"route\":");
    ngx_http_icp_json_quoted(j, d->route_name.data, d->route_name.len);
    ngx_http_icp_json_lit(j, ",\"exp\":");
    ngx_http_icp_json_quoted(j, d->experiment.data, d->experiment.len);
    ngx_http_icp_json_lit(j, ",\"var\":");
    ngx_http_icp_json_quoted(j, d->variant.data, d->variant.len);

    /*
     * Without icp_secret no assignment is remembered, so only a visitor
     * with a fresh id is known to be new to the experiment.
     */

    mcf = ngx_http_get_module_main_conf(r, ngx_http_icp_module);

    ngx_http_icp_json_lit(j, ",\"new\":");
    ngx_http_icp_json_bool(j, d->experiment.len && ctx->new_assignment
                              && (mcf->secret.len || ctx->new_visitor));

    if (d->experiment.len) {
        ngx_http_icp_json_lit(j, ",\"phase\":\"");
        ngx_http_icp_json_raw(j, d->phase.data, d->phase.len);
        ngx_http_icp_json_lit(j, "\",\"weights\":");
        ngx_http_icp_json_raw(j, d->route->weights.data,
                              d->route->weights.len);
    }

    /* why, for whoever reads the log when a visitor asks "why this page" */
    reason = ngx_http_icp_decision_reason(r, ctx);

    ngx_http_icp_json_lit(j, ",\"reason\":");

    ngx_http_icp_json_quoted(j, reason->data, reason->len);

    utm = &ctx->context.utm;

    ngx_http_icp_json_lit(j, ",\"utm\":{");

    for (i = 0; i <= ICP_UTM_CONTENT; i++) {
        if (i) {
            ngx_http_icp_json_lit(j, ",");
        }

        ngx_http_icp_json_name(j, icp_utm_names[i]);
        ngx_http_icp_json_lit(j, ":");
        ngx_http_icp_json_string(j, (u_char *) utm->value[i],
                                 utm->present & (1u << i) ? utm->len[i] : 0);
    }

    ngx_http_icp_json_lit(j, "},\"firmo\":{");

    f = ctx->firmo.firmo;

    for (i = 0; i < ctx->firmo.nfirmo; i++) {
        if (i) {
            ngx_http_icp_json_lit(j, ",");
        }

        ngx_http_icp_json_quoted(j, f[i].name.data, f[i].name.len);

        ngx_http_icp_json_lit(j, ":");
        ngx_http_icp_json_string(j, f[i].value.data, f[i].value.len);
    }

    ngx_http_icp_json_lit(j, "}");
}


/* Assignments come from a cookie, perhaps of older rules: all scanned. */

static void
ngx_http_icp_log_conversion(ngx_http_icp_ctx_t *ctx, ngx_http_icp_json_t *j)
{
    unsigned           i;
    icp_assignment_t  *a;

    ngx_http_icp_json_lit(j, ",\"goal\":");
    ngx_http_icp_json_string(j, ctx->goal.data, ctx->goal.len);

    if (ctx->value.len) {
        ngx_http_icp_json_lit(j, ",\"value\":");
        ngx_http_icp_json_raw(j, ctx->value.data, ctx->value.len);
    }
    ngx_http_icp_json_lit(j, ",\"assignments\":[");

    for (i = 0; i < ctx->context.nassign; i++) {
        a = &ctx->context.assign[i];

        if (i) {
            ngx_http_icp_json_lit(j, ",");
        }

        ngx_http_icp_json_lit(j, "{\"exp\":");
        ngx_http_icp_json_string(j, (u_char *) a->experiment,
                                 a->experiment_len);
        ngx_http_icp_json_lit(j, ",\"var\":");
        ngx_http_icp_json_string(j, (u_char *) a->variant, a->variant_len);
        ngx_http_icp_json_lit(j, "}");
    }

    /* a goal location without rules of its own has the defaults: none */

    ngx_http_icp_json_lit(j, "],\"seg\":");
    ngx_http_icp_json_quoted(j, ctx->decision.segment.data,
                             ctx->decision.segment.len);
    ngx_http_icp_json_lit(j, ",\"per\":");
    ngx_http_icp_json_quoted(j, ctx->decision.persona.data,
                             ctx->decision.persona.len);
}


static void
ngx_http_icp_log_tail(ngx_http_icp_ctx_t *ctx, ngx_http_icp_json_t *j)
{
    ngx_str_t  *cache;

    cache = &ngx_http_icp_cache_names[ctx->decision.cache];

    ngx_http_icp_json_lit(j, ",\"cache\":");
    ngx_http_icp_json_quoted(j, cache->data, cache->len);
    ngx_http_icp_json_lit(j, ",\"bot\":");
    ngx_http_icp_json_bool(j, ctx->bot);
    ngx_http_icp_json_lit(j, ",\"preview\":");
    ngx_http_icp_json_bool(j, ctx->preview);
    ngx_http_icp_json_lit(j, "}");
}


/* Makes room for len more bytes: the buffer doubles as it grows. */

static ngx_int_t
ngx_http_icp_json_grow(ngx_http_icp_json_t *j, size_t len)
{
    size_t   size;
    u_char  *p;

    if (j->failed) {
        return NGX_ERROR;
    }

    size = 2 * (j->end - j->start) + len;

    p = ngx_pnalloc(j->pool, size);
    if (p == NULL) {
        j->failed = 1;
        return NGX_ERROR;
    }

    j->pos = ngx_cpymem(p, j->start, j->pos - j->start);
    j->start = p;
    j->end = p + size;

    return NGX_OK;
}


static ngx_inline void
ngx_http_icp_json_raw(ngx_http_icp_json_t *j, const u_char *s, size_t len)
{
    if ((size_t) (j->end - j->pos) >= len
        || ngx_http_icp_json_grow(j, len) == NGX_OK)
    {
        j->pos = ngx_cpymem(j->pos, s, len);
    }
}


/* A string known to need no escaping. */

static void
ngx_http_icp_json_quoted(ngx_http_icp_json_t *j, const u_char *s,
    size_t len)
{
    if ((size_t) (j->end - j->pos) < len + 2
        && ngx_http_icp_json_grow(j, len + 2) != NGX_OK)
    {
        return;
    }

    *j->pos++ = '"';
    j->pos = ngx_cpymem(j->pos, s, len);
    *j->pos++ = '"';
}


/*
 * Almost every string of a record is printable ASCII with nothing to
 * escape: copied in the pass that checks it, instead of two passes of the
 * escaper that cost half the record (bench/README.md).
 */

static void
ngx_http_icp_json_string(ngx_http_icp_json_t *j, const u_char *s,
    size_t len)
{
    size_t  need;

    if ((size_t) (j->end - j->pos) < len + 2
        && ngx_http_icp_json_grow(j, len + 2) != NGX_OK)
    {
        return;
    }

    if (lfr_json_plain((char *) j->pos + 1, (const char *) s, len) == len) {
        j->pos[0] = '"';
        j->pos[len + 1] = '"';
        j->pos += len + 2;
        return;
    }

    need = lfr_json_escape(NULL, 0, (const char *) s, len);

    if ((size_t) (j->end - j->pos) < need + 2
        && ngx_http_icp_json_grow(j, need + 2) != NGX_OK)
    {
        return;
    }

    *j->pos++ = '"';
    j->pos += lfr_json_escape((char *) j->pos, need, (const char *) s, len);
    *j->pos++ = '"';
}


/* A name from the rules, or one this module spells. */

static void
ngx_http_icp_json_name(ngx_http_icp_json_t *j, const char *s)
{
    ngx_http_icp_json_quoted(j, (const u_char *) s, ngx_strlen(s));
}


/* Scores and weights. */

static void
ngx_http_icp_json_int(ngx_http_icp_json_t *j, ngx_int_t n)
{
    u_char  buf[NGX_INT_T_LEN], *p;

    p = ngx_http_icp_decimal(buf + NGX_INT_T_LEN,
                             n < 0 ? - (ngx_uint_t) n : (ngx_uint_t) n);

    if (n < 0) {
        *--p = '-';
    }

    ngx_http_icp_json_raw(j, p, buf + NGX_INT_T_LEN - p);
}


static void
ngx_http_icp_json_bool(ngx_http_icp_json_t *j, ngx_uint_t value)
{
    if (value) {
        ngx_http_icp_json_lit(j, "true");

    } else {
        ngx_http_icp_json_lit(j, "false");
    }
}
