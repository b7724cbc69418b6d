/*
 * The assign stage: which variant of the matched route this request gets.
 *
 * Order: a preview with the right key may force a variant; crawlers and
 * visitors without consent get the control and join no experiment; a
 * valid context cookie keeps an earlier assignment while its variant still
 * exists; otherwise the hash bucket of (experiment, visitor id) decides.
 */

#include "ngx_http_icp_module.h"


static ngx_int_t ngx_http_icp_draw(ngx_http_request_t *r,
    ngx_http_icp_ctx_t *ctx, ngx_http_icp_route_t *route);
static ngx_int_t ngx_http_icp_preview_variant(ngx_http_request_t *r,
    ngx_http_icp_ctx_t *ctx);


ngx_int_t
ngx_http_icp_assign(ngx_http_request_t *r, ngx_http_icp_ctx_t *ctx,
    ngx_http_icp_loc_conf_t *lcf)
{
    ngx_http_icp_route_t     *route;
    ngx_http_icp_decision_t  *d;

    d = &ctx->decision;
    route = d->route;

    if (route == NULL) {
        ctx->variant = -1;
        return NGX_OK;
    }

    ctx->variant = ngx_http_icp_draw(r, ctx, route);

    /* a crawler gets the first variant and joins nothing */

    if (!ctx->bot) {
        d->experiment = route->experiment;
        d->phase = route->phase;
    }

    d->variant = route->variants[ctx->variant].name;
    d->variant_uri = route->variants[ctx->variant].uri;

    return NGX_OK;
}


static ngx_int_t
ngx_http_icp_draw(ngx_http_request_t *r, ngx_http_icp_ctx_t *ctx,
    ngx_http_icp_route_t *route)
{
    int                       index;
    ngx_int_t                 variant;
    lfr_rules_t              *rules;
    ngx_http_icp_variant_t   *v;
    const icp_assignment_t   *a;
    ngx_http_icp_decision_t  *d;

    rules = ctx->rules->rules;
    index = ctx->result.route;
    d = &ctx->decision;

    if (ctx->preview) {
        variant = ngx_http_icp_preview_variant(r, ctx);

        if (variant >= 0) {
            return variant;
        }
    }

    if (route->experiment.len == 0 || d->visitor.len == 0) {
        return 0;
    }

    a = icp_context_find(&ctx->context, (char *) route->experiment.data,
                         route->experiment.len);

    if (a) {
        variant = lfr_variant_find(rules, index, a->variant, a->variant_len);

        if (variant >= 0) {
            return variant;
        }
    }

    d->bucket = lfr_bucket((char *) route->experiment.data,
                           route->experiment.len, (char *) d->visitor.data,
                           d->visitor.len);
    variant = lfr_pick_variant(rules, index, (unsigned) d->bucket);

    v = &route->variants[variant];

    icp_context_assign(&ctx->context, (char *) route->experiment.data,
                       route->experiment.len, (char *) v->name.data,
                       v->name.len);

    ctx->new_assignment = 1;
    ctx->context_changed = 1;

    return variant;
}


/* ?icp_variant=NAME, honoured only with the preview key. */

static ngx_int_t
ngx_http_icp_preview_variant(ngx_http_request_t *r, ngx_http_icp_ctx_t *ctx)
{
    char  name[ICP_VALUE_MAX];
    long  len;

    len = icp_query_arg((char *) r->args.data, r->args.len, "icp_variant",
                        name, sizeof(name));
    if (len <= 0) {
        return -1;
    }

    return lfr_variant_find(ctx->rules->rules, ctx->result.route, name,
                            (size_t) len);
}
