/*
 * The decision's names.  A ruleset's segment, persona, route, experiment
 * and variant names, and each experiment's weights as the log record
 * writes them, are made into ngx_str_t once when the rules load, so a
 * request's stages copy them instead of asking the rules library and
 * measuring C strings.  The reason is the one part made per request, and
 * only for a request that reads it.
 */

#include "ngx_http_icp_module.h"


static void ngx_http_icp_cstr(ngx_str_t *s, const char *name);
static ngx_int_t ngx_http_icp_route_names(ngx_conf_t *cf, lfr_rules_t *lr,
    int index, ngx_http_icp_route_t *route);


ngx_int_t
ngx_http_icp_decision_names(ngx_conf_t *cf, ngx_http_icp_rules_t *rules)
{
    size_t          i, nroutes;
    lfr_rules_t    *lr;
    lfr_summary_t   sum;

    lr = rules->rules;
    lfr_summary(lr, &sum);

    rules->segments = ngx_palloc(cf->pool,
                                 (sum.icps + 2) * sizeof(ngx_str_t));
    rules->personas = ngx_palloc(cf->pool,
                                 (sum.personas + 1) * sizeof(ngx_str_t));
    if (rules->segments == NULL || rules->personas == NULL) {
        return NGX_ERROR;
    }

    /* LFR_EXCLUDED and LFR_NONE are -2 and -1: the names sit before */

    for (i = 0; i < sum.icps + 2; i++) {
        ngx_http_icp_cstr(&rules->segments[i],
                          lfr_segment_name(lr, (int) i - 2));
    }

    for (i = 0; i < sum.personas + 1; i++) {
        ngx_http_icp_cstr(&rules->personas[i],
                          lfr_persona_name(lr, (int) i - 1));
    }

    nroutes = lfr_nroutes(lr);

    rules->routes = ngx_pcalloc(cf->pool,
                                nroutes * sizeof(ngx_http_icp_route_t));
    if (rules->routes == NULL && nroutes) {
        return NGX_ERROR;
    }

    for (i = 0; i < nroutes; i++) {
        if (ngx_http_icp_route_names(cf, lr, (int) i, &rules->routes[i])
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


/* the rules own the names, and live as long as the cycle that made this */

static void
ngx_http_icp_cstr(ngx_str_t *s, const char *name)
{
    s->data = (u_char *) (name ? name : "");
    s->len = ngx_strlen(s->data);
}


/*
 * The weights are JSON as they are: the rules admit names of letters,
 * digits, '_', '-' and '.' only (lfr.h).
 */

static ngx_int_t
ngx_http_icp_route_names(ngx_conf_t *cf, lfr_rules_t *lr, int index,
    ngx_http_icp_route_t *route)
{
    size_t                   i, len;
    u_char                  *p;
    ngx_http_icp_variant_t  *v;

    ngx_http_icp_cstr(&route->name, lfr_route_name(lr, index));
    ngx_http_icp_cstr(&route->experiment, lfr_route_experiment(lr, index));

    route->nvariants = lfr_route_nvariants(lr, index);
    route->variants = ngx_palloc(cf->pool,
                                 route->nvariants
                                 * sizeof(ngx_http_icp_variant_t));
    if (route->variants == NULL) {
        return NGX_ERROR;
    }

    len = sizeof("{}") - 1;

    for (i = 0; i < route->nvariants; i++) {
        v = &route->variants[i];
        ngx_http_icp_cstr(&v->name, lfr_variant_name(lr, index, i));
        ngx_http_icp_cstr(&v->uri, lfr_variant_uri(lr, index, i));
        len += sizeof(",\"\":") - 1 + v->name.len + NGX_INT_T_LEN;
    }

    if (route->experiment.len == 0) {
        return NGX_OK;
    }

    p = ngx_pnalloc(cf->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    route->weights.data = p;
    *p++ = '{';

    for (i = 0; i < route->nvariants; i++) {
        p = ngx_sprintf(p, "%s\"%V\":%ui", i ? "," : "",
                        &route->variants[i].name,
                        (ngx_uint_t) lfr_variant_weight(lr, index, i));
    }

    *p++ = '}';
    route->weights.len = p - route->weights.data;

    return NGX_OK;
}


/*
 * $icp_reason, the debug header and the log record share one explanation,
 * built once, into a buffer big enough for nearly every reason: only a
 * longer one costs a second call of lfr_explain.
 */

ngx_str_t *
ngx_http_icp_decision_reason(ngx_http_request_t *r, ngx_http_icp_ctx_t *ctx)
{
    size_t                    len;
    u_char                   *p;
    char                      buf[512];
    ngx_http_icp_decision_t  *d;

    d = &ctx->decision;

    if (d->reason.data || !ctx->classified) {
        return &d->reason;
    }

    len = lfr_explain(ctx->rules->rules, ctx->inputs, &ctx->result, buf,
                      sizeof(buf));

    p = ngx_pnalloc(r->pool, len + 1);
    if (p == NULL) {
        return &d->reason;
    }

    if (len < sizeof(buf)) {
        ngx_memcpy(p, buf, len + 1);

    } else {
        lfr_explain(ctx->rules->rules, ctx->inputs, &ctx->result, (char *) p,
                    len + 1);
    }

    d->reason.data = p;
    d->reason.len = len;

    return &d->reason;
}
