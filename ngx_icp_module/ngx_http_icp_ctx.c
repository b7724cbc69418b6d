/*
 * The request context.  An internal redirect to the variant zeroes
 * r->ctx, but the log and the header filter still need the decision: the
 * context is also reachable through its pool cleanup, as the realip
 * module does for its own.
 */

#include "ngx_http_icp_module.h"


static void ngx_http_icp_ctx_cleanup(void *data);


static ngx_str_t  ngx_http_icp_none = ngx_string("none");


ngx_http_icp_ctx_t *
ngx_http_icp_get_ctx(ngx_http_request_t *r)
{
    ngx_pool_cleanup_t  *cln;
    ngx_http_icp_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_icp_module);

    if (ctx || !r->internal) {
        return ctx;
    }

    for (cln = r->pool->cleanup; cln; cln = cln->next) {
        if (cln->handler == ngx_http_icp_ctx_cleanup) {
            ctx = cln->data;
            ngx_http_set_ctx(r, ctx, ngx_http_icp_module);
            return ctx;
        }
    }

    return NULL;
}


ngx_http_icp_ctx_t *
ngx_http_icp_create_ctx(ngx_http_request_t *r)
{
    ngx_pool_cleanup_t       *cln;
    ngx_http_icp_ctx_t       *ctx;
    ngx_http_icp_decision_t  *d;

    cln = ngx_pool_cleanup_add(r->pool, sizeof(ngx_http_icp_ctx_t));
    if (cln == NULL) {
        return NULL;
    }

    ctx = cln->data;
    ngx_memzero(ctx, sizeof(ngx_http_icp_ctx_t));

    ctx->variant = -1;

    d = &ctx->decision;
    d->cache = NGX_HTTP_ICP_CACHE_BYPASS;
    d->segment = ngx_http_icp_none;
    d->persona = ngx_http_icp_none;
    d->route_name = ngx_http_icp_none;
    d->variant = ngx_http_icp_none;
    d->bucket = -1;

    cln->handler = ngx_http_icp_ctx_cleanup;

    ngx_http_set_ctx(r, ctx, ngx_http_icp_module);

    return ctx;
}


/*
 * Nothing to release: the context lives in the pool.  The handler marks
 * the cleanup that carries it, for ngx_http_icp_get_ctx().
 */

static void
ngx_http_icp_ctx_cleanup(void *data)
{
}
