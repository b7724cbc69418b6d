/*
 * Counters in shared memory, summed over all workers and kept across
 * reloads, and the icp_status endpoint that shows them.
 */

#ifndef NGX_HTTP_ICP_STATUS_H
#define NGX_HTTP_ICP_STATUS_H

#include "ngx_http_icp_module.h"


char *ngx_http_icp_status_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);

void ngx_http_icp_status_classified(ngx_http_request_t *r,
    ngx_http_icp_ctx_t *ctx);
void ngx_http_icp_status_convert(ngx_http_request_t *r,
    ngx_http_icp_ctx_t *ctx);
void ngx_http_icp_status_forged(ngx_http_request_t *r);

#endif /* NGX_HTTP_ICP_STATUS_H */
