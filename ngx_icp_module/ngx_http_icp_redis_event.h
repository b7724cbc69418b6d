/*
 * The hiredis event adapter: a redisAsyncContext driven by nginx's event
 * loop through an ngx_connection_t of its socket.
 */

#ifndef NGX_HTTP_ICP_REDIS_EVENT_H
#define NGX_HTTP_ICP_REDIS_EVENT_H

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>

#include <hiredis/async.h>


/* NGX_ERROR: no free connection; ac is the caller's to free. */
ngx_int_t ngx_http_icp_redis_attach(redisAsyncContext *ac, ngx_log_t *log);

#endif /* NGX_HTTP_ICP_REDIS_EVENT_H */
