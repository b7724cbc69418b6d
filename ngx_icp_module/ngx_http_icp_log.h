/*
 * The log record: one JSON object per exposure or conversion, given to
 * nginx's access_log through $icp_json (see README "Log record").
 */

#ifndef NGX_HTTP_ICP_LOG_H
#define NGX_HTTP_ICP_LOG_H

#include "ngx_http_icp_module.h"


/*
 * The firmographic fields every exposure record carries, when known,
 * ending with an empty name: the lookup keeps them beside the rules'.
 */
extern ngx_str_t  ngx_http_icp_log_firmo[];

/* $icp_logged: classified or converting requests that are not crawlers. */
ngx_uint_t ngx_http_icp_log_wanted(ngx_http_icp_ctx_t *ctx);

ngx_int_t ngx_http_icp_log_json(ngx_http_request_t *r,
    ngx_http_icp_ctx_t *ctx, ngx_str_t *json);

#endif /* NGX_HTTP_ICP_LOG_H */
