/*
 * The reply objects hiredis's reader builds for this module's links: one
 * block per reply, and refusals of what no command of ours is answered
 * with (the reason left in the link's ngx_http_icp_redis_t).
 */

#ifndef NGX_HTTP_ICP_REDIS_REPLY_H
#define NGX_HTTP_ICP_REDIS_REPLY_H

#include "ngx_http_icp_redis.h"


/* for reader->fn, with reader->privdata the link's redisAsyncContext */
extern redisReplyObjectFunctions  ngx_http_icp_redis_reply_fn;

void ngx_http_icp_redis_reply_exit(void);

#endif /* NGX_HTTP_ICP_REDIS_REPLY_H */
