/*
 * Reading a link's replies within its budgets (icp_redis max_reply= and
 * max_elements=): what hiredis's reader is fed.
 */

#ifndef NGX_HTTP_ICP_REDIS_READ_H
#define NGX_HTTP_ICP_REDIS_READ_H

#include "ngx_http_icp_redis.h"


/* the read event of a link's socket */
void ngx_http_icp_redis_read(redisAsyncContext *ac);

/* a link begins: nothing of an earlier one is held */
void ngx_http_icp_redis_read_reset(ngx_http_icp_redis_t *rs);

void ngx_http_icp_redis_read_exit(ngx_http_icp_redis_t *rs);

#endif /* NGX_HTTP_ICP_REDIS_READ_H */
