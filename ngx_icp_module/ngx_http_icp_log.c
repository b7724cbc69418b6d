/*
 * The log stage: builds $icp_json.  Every string from a request, Redis or
 * the rules goes through lfr_json_escape, so the record is valid JSON with
 * `log_format NAME escape=none '$icp_json';`.
 */

#include "ngx_http_icp_log.h"


typedef struct {
    u_char          *start;
    u_char          *pos;
    u_char          *end;
    ngx_pool_t      *pool;
    ngx_int_t        failed;
} ngx_http_icp_json_t;


static ngx_int_t ngx_http_icp_json_reserve(ngx_http_icp_json_t *j,
    size_t len);
static void ngx_http_icp_json_raw(ngx_http_icp_json_t *j, const char *s,
    size_t len);
static void ngx_http_icp_json_string(ngx_http_icp_json_t *j, const u_char *s,
    size_t len);
static void ngx_http_icp_json_key(ngx_http_icp_json_t *j, const u_char *key,
    size_t len);
static void ngx_http_icp_json_name(ngx_http_icp_json_t *j, const char *key);
static void ngx_http_icp_json_str(ngx_http_icp_json_t *j, const char *key,
    const u_char *s, size_t len);
static void ngx_http_icp_json_cstr(ngx_http_icp_json_t *j, const char *key,
    const char *s);
static void ngx_http_icp_json_int(ngx_http_icp_json_t *j, const char *key,
    ngx_int_t n);
static void ngx_http_icp_json_raw_int(ngx_http_icp_json_t *j, ngx_int_t n);
static void ngx_http_icp_json_bool(ngx_http_icp_json_t *j, const char *key,
    ngx_uint_t value);
static ngx_http_variable_value_t *ngx_http_icp_request_id(
    ngx_http_request_t *r, ngx_int_t index);
static u_char *ngx_http_icp_log_time(u_char *buf);
static void ngx_http_icp_log_common(ngx_http_request_t *r,
    ngx_http_icp_ctx_t *ctx, ngx_http_icp_json_t *j, const char *type);
static void ngx_http_icp_log_exposure(ngx_http_request_t *r,
    ngx_http_icp_ctx_t *ctx, ngx_http_icp_json_t *j);
static void ngx_http_icp_log_conversion(ngx_http_icp_ctx_t *ctx,
    ngx_http_icp_json_t *j);
static void ngx_http_icp_log_tail(ngx_http_icp_ctx_t *ctx,
    ngx_http_icp_json_t *j);


/* The firmographic fields a record carries, in this order, when known. */
static ngx_str_t  ngx_http_icp_log_firmo[] = {
    ngx_string("company"),
    ngx_string("domain"),
    ngx_string("industry"),
    ngx_string("employees"),
    ngx_string("revenue"),
    ngx_string("country"),
    ngx_null_string
};


ngx_int_t
ngx_http_icp_log_fields(ngx_conf_t *cf, ngx_http_icp_main_conf_t *mcf)
{
    ngx_str_t   *f, *name;
    ngx_uint_t   i;

    for (name = ngx_http_icp_log_firmo; name->len; name++) {
        f = mcf->firmo_fields.elts;

        for (i = 0; i < mcf->firmo_fields.nelts; i++) {
            if (f[i].len == name->len
                && ngx_strncmp(f[i].data, name->data, name->len) == 0)
            {
                break;
            }
        }

        if (i == mcf->firmo_fields.nelts) {
            f = ngx_array_push(&mcf->firmo_fields);
            if (f == NULL) {
                return NGX_ERROR;
            }

            *f = *name;
        }
    }

    return NGX_OK;
}


ngx_uint_t
ngx_http_icp_log_wanted(ngx_http_icp_ctx_t *ctx)
{
    return !ctx->bot && (ctx->classified || ctx->goal.len);
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
        ngx_http_icp_log_common(r, ctx, &j, "conversion");
        ngx_http_icp_log_conversion(ctx, &j);

    } else {
        ngx_http_icp_log_common(r, ctx, &j, "exposure");
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


static void
ngx_http_icp_log_common(ngx_http_request_t *r, ngx_http_icp_ctx_t *ctx,
    ngx_http_icp_json_t *j, const char *type)
{
    u_char                      ts[sizeof("2026-11-23T10:11:12.345Z")];
    ngx_http_variable_value_t  *id;
    ngx_http_icp_main_conf_t   *mcf;

    mcf = ngx_http_get_module_main_conf(r, ngx_http_icp_module);
    id = ngx_http_icp_request_id(r, mcf->request_id_index);

    ngx_http_icp_json_raw(j, "{", 1);
    ngx_http_icp_json_str(j, "ts", ts, ngx_http_icp_log_time(ts) - ts);
    ngx_http_icp_json_cstr(j, "type", type);
    ngx_http_icp_json_str(j, "req", id && !id->not_found ? id->data : NULL,
                          id && !id->not_found ? id->len : 0);
    ngx_http_icp_json_str(j, "vid", ctx->vid.data, ctx->vid.len);
    ngx_http_icp_json_str(j, "ip", ctx->addr.data, ctx->addr.len);
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


static void
ngx_http_icp_log_exposure(ngx_http_request_t *r, ngx_http_icp_ctx_t *ctx,
    ngx_http_icp_json_t *j)
{
    int                        route;
    size_t                     v, n;
    icp_utm_t                 *utm;
    ngx_uint_t                 i;
    ngx_str_t                 *reason;
    const char                *exp, *name;
    lfr_rules_t               *rules;
    ngx_http_icp_field_t      *f;
    ngx_http_icp_main_conf_t  *mcf;

    rules = ctx->rules->rules;
    route = ctx->result.route;
    exp = route != LFR_NONE ? lfr_route_experiment(rules, route) : NULL;

    ngx_http_icp_json_cstr(j, "seg", lfr_segment_name(rules,
                                                      ctx->result.segment));
    ngx_http_icp_json_cstr(j, "per", lfr_persona_name(rules,
                                                      ctx->result.persona));
    ngx_http_icp_json_int(j, "score", ctx->result.score);
    ngx_http_icp_json_cstr(j, "route", route != LFR_NONE
                                       ? lfr_route_name(rules, route)
                                       : "none");
    ngx_http_icp_json_cstr(j, "exp", exp ? exp : "");
    ngx_http_icp_json_cstr(j, "var", ctx->variant >= 0
                                     ? lfr_variant_name(rules, route,
                                                        ctx->variant)
                                     : "none");

    /*
     * Without icp_secret no assignment is remembered, so only a visitor
     * with a fresh id is known to be new to the experiment.
     */

    mcf = ngx_http_get_module_main_conf(r, ngx_http_icp_module);

    ngx_http_icp_json_bool(j, "new", exp && ctx->new_assignment
                                     && (mcf->secret.len || ctx->new_visitor));

    if (exp) {
        ngx_http_icp_json_name(j, "weights");
        ngx_http_icp_json_raw(j, "{", 1);

        n = lfr_route_nvariants(rules, route);

        for (v = 0; v < n; v++) {
            name = lfr_variant_name(rules, route, v);
            ngx_http_icp_json_key(j, (const u_char *) name, ngx_strlen(name));
            ngx_http_icp_json_raw_int(j, lfr_variant_weight(rules, route, v));
        }

        ngx_http_icp_json_raw(j, "}", 1);
    }

    /* why, for whoever reads the log when a visitor asks "why this page" */
    reason = ngx_http_icp_reason(r, ctx);
    ngx_http_icp_json_str(j, "reason", reason->data, reason->len);

    utm = &ctx->context.utm;

    ngx_http_icp_json_name(j, "utm");
    ngx_http_icp_json_raw(j, "{", 1);

    for (i = 0; i <= ICP_UTM_CONTENT; i++) {
        ngx_http_icp_json_str(j, icp_utm_names[i], (u_char *) utm->value[i],
                              utm->present & (1u << i) ? utm->len[i] : 0);
    }

    ngx_http_icp_json_raw(j, "}", 1);

    ngx_http_icp_json_name(j, "firmo");
    ngx_http_icp_json_raw(j, "{", 1);

    f = ctx->firmo.firmo;

    for (i = 0; i < ctx->firmo.nfirmo; i++) {
        ngx_http_icp_json_key(j, f[i].name.data, f[i].name.len);
        ngx_http_icp_json_string(j, f[i].value.data, f[i].value.len);
    }

    ngx_http_icp_json_raw(j, "}", 1);
}


static void
ngx_http_icp_log_conversion(ngx_http_icp_ctx_t *ctx, ngx_http_icp_json_t *j)
{
    unsigned           i;
    icp_assignment_t  *a;

    ngx_http_icp_json_str(j, "goal", ctx->goal.data, ctx->goal.len);
    ngx_http_icp_json_raw(j, ",\"assignments\":[",
                          sizeof(",\"assignments\":[") - 1);

    for (i = 0; i < ctx->context.nassign; i++) {
        a = &ctx->context.assign[i];

        ngx_http_icp_json_raw(j, i ? ",{" : "{", i ? 2 : 1);
        ngx_http_icp_json_str(j, "exp", (u_char *) a->experiment,
                              a->experiment_len);
        ngx_http_icp_json_str(j, "var", (u_char *) a->variant,
                              a->variant_len);
        ngx_http_icp_json_raw(j, "}", 1);
    }

    ngx_http_icp_json_raw(j, "]", 1);

    ngx_http_icp_json_cstr(j, "seg", ctx->classified
                           ? lfr_segment_name(ctx->rules->rules,
                                              ctx->result.segment)
                           : "none");
    ngx_http_icp_json_cstr(j, "per", ctx->classified
                           ? lfr_persona_name(ctx->rules->rules,
                                              ctx->result.persona)
                           : "none");
}


static void
ngx_http_icp_log_tail(ngx_http_icp_ctx_t *ctx, ngx_http_icp_json_t *j)
{
    ngx_http_icp_json_str(j, "cache", ngx_http_icp_cache_names[
                                          ctx->firmo.cache].data,
                          ngx_http_icp_cache_names[ctx->firmo.cache].len);
    ngx_http_icp_json_bool(j, "bot", ctx->bot);
    ngx_http_icp_json_bool(j, "preview", ctx->preview);
    ngx_http_icp_json_raw(j, "}", 1);
}


/* Makes room for len more bytes; the buffer doubles as it grows. */

static ngx_int_t
ngx_http_icp_json_reserve(ngx_http_icp_json_t *j, size_t len)
{
    size_t   size;
    u_char  *p;

    if (j->failed) {
        return NGX_ERROR;
    }

    if ((size_t) (j->end - j->pos) >= len) {
        return NGX_OK;
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


static void
ngx_http_icp_json_raw(ngx_http_icp_json_t *j, const char *s, size_t len)
{
    if (ngx_http_icp_json_reserve(j, len) == NGX_OK) {
        j->pos = ngx_cpymem(j->pos, s, len);
    }
}


/*
 * Almost every string of a record is printable ASCII with nothing to
 * escape: a scan and a copy, instead of two passes of the escaper that
 * cost half the record (bench/README.md).
 */

static void
ngx_http_icp_json_string(ngx_http_icp_json_t *j, const u_char *s,
    size_t len)
{
    size_t  need, i;

    i = lfr_json_plain((const char *) s, len);

    need = i == len ? len : lfr_json_escape(NULL, 0, (const char *) s, len);

    if (ngx_http_icp_json_reserve(j, need + 2) != NGX_OK) {
        return;
    }

    *j->pos++ = '"';

    if (i == len) {
        j->pos = ngx_cpymem(j->pos, s, len);

    } else {
        j->pos += lfr_json_escape((char *) j->pos, need, (const char *) s,
                                  len);
    }

    *j->pos++ = '"';
}


/*
 * A key from the rules or the configuration, after a comma unless it
 * opens its object.
 */

static void
ngx_http_icp_json_key(ngx_http_icp_json_t *j, const u_char *key, size_t len)
{
    if (j->pos > j->start && j->pos[-1] != '{' && j->pos[-1] != '[') {
        ngx_http_icp_json_raw(j, ",", 1);
    }

    ngx_http_icp_json_string(j, key, len);
    ngx_http_icp_json_raw(j, ":", 1);
}


/* A key this file spells: nothing in it to escape. */

static void
ngx_http_icp_json_name(ngx_http_icp_json_t *j, const char *key)
{
    size_t  len;

    len = ngx_strlen(key);

    if (ngx_http_icp_json_reserve(j, len + 4) != NGX_OK) {
        return;
    }

    if (j->pos > j->start && j->pos[-1] != '{' && j->pos[-1] != '[') {
        *j->pos++ = ',';
    }

    *j->pos++ = '"';
    j->pos = ngx_cpymem(j->pos, key, len);
    *j->pos++ = '"';
    *j->pos++ = ':';
}


static void
ngx_http_icp_json_str(ngx_http_icp_json_t *j, const char *key,
    const u_char *s, size_t len)
{
    ngx_http_icp_json_name(j, key);
    ngx_http_icp_json_string(j, s, len);
}


static void
ngx_http_icp_json_cstr(ngx_http_icp_json_t *j, const char *key,
    const char *s)
{
    ngx_http_icp_json_str(j, key, (const u_char *) s, ngx_strlen(s));
}


static void
ngx_http_icp_json_int(ngx_http_icp_json_t *j, const char *key, ngx_int_t n)
{
    ngx_http_icp_json_name(j, key);
    ngx_http_icp_json_raw_int(j, n);
}


/* Scores and weights: small numbers, not worth ngx_sprintf's parsing. */

static void
ngx_http_icp_json_raw_int(ngx_http_icp_json_t *j, ngx_int_t n)
{
    u_char      buf[NGX_INT_T_LEN], *p;
    ngx_uint_t  u;

    p = buf + NGX_INT_T_LEN;
    u = n < 0 ? - (ngx_uint_t) n : (ngx_uint_t) n;

    do {
        *--p = (u_char) ('0' + u % 10);
        u /= 10;
    } while (u);

    if (n < 0) {
        *--p = '-';
    }

    ngx_http_icp_json_raw(j, (char *) p, buf + NGX_INT_T_LEN - p);
}


static void
ngx_http_icp_json_bool(ngx_http_icp_json_t *j, const char *key,
    ngx_uint_t value)
{
    ngx_http_icp_json_name(j, key);

    if (value) {
        ngx_http_icp_json_raw(j, "true", 4);

    } else {
        ngx_http_icp_json_raw(j, "false", 5);
    }
}
