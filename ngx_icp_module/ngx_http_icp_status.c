/*
 * The icp_status endpoint and its counters.
 */

#include "ngx_http_icp_status.h"


char *
ngx_http_icp_status_directive(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "\"icp_status\" is not built yet");
    return NGX_CONF_ERROR;
}


void
ngx_http_icp_status_classified(ngx_http_request_t *r,
    ngx_http_icp_ctx_t *ctx)
{
}


void
ngx_http_icp_status_convert(ngx_http_request_t *r, ngx_http_icp_ctx_t *ctx)
{
}


void
ngx_http_icp_status_forged(ngx_http_request_t *r)
{
}
