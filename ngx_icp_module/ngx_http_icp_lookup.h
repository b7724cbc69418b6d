/*
 * The lookup stage: the company and contact behind a request, from the
 * shared-memory cache first and Redis second, without blocking the worker.
 */

#ifndef NGX_HTTP_ICP_LOOKUP_H
#define NGX_HTTP_ICP_LOOKUP_H

#include "ngx_http_icp_module.h"
#include "ngx_http_icp_redis.h"


/* icp_redis, icp_cache (http); icp_lookup (http, server, location) */
char *ngx_http_icp_redis_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_icp_cache_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_icp_lookup_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);

ngx_int_t ngx_http_icp_lookup_merge(ngx_conf_t *cf,
    ngx_http_icp_loc_conf_t *prev, ngx_http_icp_loc_conf_t *conf);
char *ngx_http_icp_lookup_init_conf(ngx_conf_t *cf,
    ngx_http_icp_main_conf_t *mcf);

ngx_int_t ngx_http_icp_lookup_init_process(ngx_cycle_t *cycle);
void ngx_http_icp_lookup_exit_process(ngx_cycle_t *cycle);

/* Called when a suspended lookup has filled ctx->firmo: resumes r. */
typedef void (*ngx_http_icp_lookup_done_pt)(ngx_http_request_t *r);

/*
 * NGX_OK: ctx->firmo is filled now (cache hit, no Redis configured, Redis
 * unreachable).  NGX_AGAIN: a query is out; when its reply, an error or
 * the timeout arrives, the lookup fills ctx->firmo and calls done(r)
 * exactly once, unless the request went away first: then the reply
 * touches nothing of it.  NGX_ERROR: out of memory.
 */
/*
 * icp_lookup max_age=: a company record whose as_of is older than that is
 * taken as absent, as if Redis had none; one without as_of is kept.
 */
void ngx_http_icp_lookup_age(ngx_http_icp_ctx_t *ctx,
    ngx_http_icp_loc_conf_t *lcf);

ngx_int_t ngx_http_icp_lookup(ngx_http_request_t *r,
    ngx_http_icp_ctx_t *ctx, ngx_http_icp_loc_conf_t *lcf,
    ngx_http_icp_lookup_done_pt done);

/* The icp_redis servers in order, for the status endpoint. */
ngx_http_icp_redis_conf_t *ngx_http_icp_lookup_servers(
    ngx_http_icp_main_conf_t *mcf, ngx_uint_t *n);

#endif /* NGX_HTTP_ICP_LOOKUP_H */
