/*
 * Counters in shared memory, summed over all workers and kept across
 * reloads, and the icp_status endpoint that shows them.
 */

#ifndef NGX_HTTP_ICP_STATUS_H
#define NGX_HTTP_ICP_STATUS_H

#include "ngx_http_icp_module.h"
#include "ngx_http_icp_redis.h"


#define NGX_HTTP_ICP_REDIS_MAX        8     /* servers counted apart */

typedef enum {
    NGX_HTTP_ICP_REDIS_COMMANDS = 0,
    NGX_HTTP_ICP_REDIS_ERRORS,
    NGX_HTTP_ICP_REDIS_TIMEOUTS,
    NGX_HTTP_ICP_REDIS_RECONNECTS,
    NGX_HTTP_ICP_REDIS_OVER_BUDGET,
    NGX_HTTP_ICP_REDIS_NEVENTS
} ngx_http_icp_redis_event_e;


/* servers: the icp_redis servers in order, shown by the endpoint */
typedef enum {
    NGX_HTTP_ICP_STATUS_CONVERT_REJECTED = 0,
    NGX_HTTP_ICP_STATUS_VALUE_REJECTED,
    NGX_HTTP_ICP_STATUS_PREVIEW_REJECTED,
    NGX_HTTP_ICP_STATUS_NEVENTS
} ngx_http_icp_status_event_e;


ngx_int_t ngx_http_icp_status_init_conf(ngx_conf_t *cf,
    ngx_http_icp_main_conf_t *mcf, ngx_http_icp_redis_conf_t *servers,
    ngx_uint_t nservers);
char *ngx_http_icp_status_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);

void ngx_http_icp_status_classified(ngx_http_request_t *r,
    ngx_http_icp_ctx_t *ctx);
void ngx_http_icp_status_convert(ngx_http_request_t *r,
    ngx_http_icp_ctx_t *ctx);
void ngx_http_icp_status_forged(ngx_http_request_t *r);
void ngx_http_icp_status_event(ngx_http_icp_status_event_e event);

/* For the lookup stage: server is the icp_redis index, in order. */
void ngx_http_icp_status_redis(ngx_uint_t server,
    ngx_http_icp_redis_event_e event);
void ngx_http_icp_status_redis_up(ngx_uint_t server, ngx_uint_t up);

#endif /* NGX_HTTP_ICP_STATUS_H */
