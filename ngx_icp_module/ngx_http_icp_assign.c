/*
 * The assign stage: which variant of the matched route this request gets.
 *
 * Order: a preview with the right key may force a variant; crawlers and
 * visitors without consent get the control and join no experiment; a
 * valid context cookie keeps an earlier assignment while its variant still
 * exists; otherwise the hash bucket of (experiment, visitor id) decides.
 */

#include "ngx_http_icp_module.h"


static ngx_int_t ngx_http_icp_preview_variant(ngx_http_request_t *r,
    ngx_http_icp_ctx_t *ctx);


ngx_int_t
ngx_http_icp_assign(ngx_http_request_t *r, ngx_http_icp_ctx_t *ctx,
    ngx_http_icp_loc_conf_t *lcf)
{
    int                      route;
    size_t                   elen;
    ngx_int_t                variant;
    const char              *experiment, *name;
    lfr_rules_t             *rules;
    const icp_assignment_t  *a;

    rules = ctx->rules->rules;
    route = ctx->result.route;

    if (route == LFR_NONE) {
        ctx->variant = -1;
        return NGX_OK;
    }

    experiment = lfr_route_experiment(rules, route);

    if (ctx->preview) {
        variant = ngx_http_icp_preview_variant(r, ctx);

        if (variant >= 0) {
            ctx->variant = variant;
            return NGX_OK;
        }
    }

    if (experiment == NULL || ctx->vid.len == 0) {
        ctx->variant = 0;
        return NGX_OK;
    }

    elen = ngx_strlen(experiment);

    a = icp_context_find(&ctx->context, experiment, elen);

    if (a) {
        variant = lfr_variant_find(rules, route, a->variant, a->variant_len);

        if (variant >= 0) {
            ctx->variant = variant;
            return NGX_OK;
        }
    }

    ctx->bucket = lfr_bucket(experiment, elen, (char *) ctx->vid.data,
                             ctx->vid.len);
    ctx->variant = lfr_pick_variant(rules, route, (unsigned) ctx->bucket);

    name = lfr_variant_name(rules, route, ctx->variant);

    icp_context_assign(&ctx->context, experiment, elen, name,
                       ngx_strlen(name));

    ctx->new_assignment = 1;

    return NGX_OK;
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
