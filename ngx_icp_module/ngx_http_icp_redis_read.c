/*
 * The socket is read here, not by hiredis: hiredis buffers a reply whole
 * before any of it can be refused, so one oversized record cost a worker
 * its memory and every lookup on the link its answer (the link timed out
 * under it).  icp_resp finds where each reply ends; a reply within budget
 * goes to hiredis's reader as it is, one over budget is skipped as it
 * streams in, and its command gets a short error reply instead, at once:
 * the lookup takes the key as absent and caches it so, the link goes on.
 * When the rest is too much to skip (its commands behind it would wait
 * for Redis to stream it all, past their timeout) the link is replaced
 * instead, and they are sent again on the new one.
 *
 * Only a reply cut across reads is copied, into a buffer of the budget's
 * size made on first need.
 */

#include "ngx_http_icp_redis_read.h"
#include "ngx_http_icp_status.h"


/* as hiredis reads; a reply past it arrives in several reads */
#define NGX_HTTP_ICP_REDIS_READ  16384

/* the rest of a reply over budget that is read and skipped, at most */
#define NGX_HTTP_ICP_REDIS_SKIP  (256 * 1024)


static ngx_int_t ngx_http_icp_redis_frames(ngx_http_icp_redis_t *rs,
    redisReader *reader, u_char *p, size_t n);
static ngx_int_t ngx_http_icp_redis_hold(ngx_http_icp_redis_t *rs,
    u_char *p, size_t n);
static ngx_int_t ngx_http_icp_redis_refuse(ngx_http_icp_redis_t *rs,
    redisReader *reader);


/*
 * Declared by hiredis 1.x, exported but not declared by 0.14: what
 * redisAsyncHandleRead() does once it has read.
 */
#if (HIREDIS_MAJOR < 1)
void redisProcessCallbacks(redisAsyncContext *ac);
#endif


void
ngx_http_icp_redis_read(redisAsyncContext *ac)
{
    ssize_t                n;
    ngx_err_t              err;
    ngx_http_icp_redis_t  *rs;
    static u_char          buf[NGX_HTTP_ICP_REDIS_READ];

    if (!(ac->c.flags & REDIS_CONNECTED)) {
        /* the connect completes: hiredis sees to it, nothing is sent yet */
        redisAsyncHandleRead(ac);
        return;
    }

    n = recv(ac->c.fd, buf, NGX_HTTP_ICP_REDIS_READ, 0);

    if (n == -1) {
        err = ngx_socket_errno;

        if (err == NGX_EAGAIN || err == NGX_EINTR) {
            return;
        }
    }

    if (n <= 0) {
        /* closed or failed: hiredis reads it again and drops the link */
        redisAsyncHandleRead(ac);
        return;
    }

    rs = ac->data;

    switch (ngx_http_icp_redis_frames(rs, ac->c.reader, buf, n)) {

    case NGX_OK:
        redisProcessCallbacks(ac);
        return;

    case NGX_DECLINED:
        /* the refused command's answer first, then the new link */
        redisProcessCallbacks(ac);

        if (rs->ac == ac) {
            ngx_http_icp_redis_reset(rs);
        }

        return;

    default:
        ngx_http_icp_redis_error(rs, rs->refused ? rs->refused
                                                 : "out of memory");
        return;
    }
}


void
ngx_http_icp_redis_read_reset(ngx_http_icp_redis_t *rs)
{
    rs->frame.max_bytes = rs->conf->max_reply;
    rs->frame.max_elements = rs->conf->max_elements;
    icp_resp_reset(&rs->frame);
    rs->nheld = 0;
}


void
ngx_http_icp_redis_read_exit(ngx_http_icp_redis_t *rs)
{
    if (rs->held) {
        ngx_free(rs->held);
        rs->held = NULL;
    }
}


/* NGX_DECLINED: a reply over budget is to be left unread, with the link */

static ngx_int_t
ngx_http_icp_redis_frames(ngx_http_icp_redis_t *rs, redisReader *reader,
    u_char *p, size_t n)
{
    size_t         used;
    icp_resp_rc_t  rc;

    while (n) {
        rc = icp_resp_scan(&rs->frame, (char *) p, n, &used);

        switch (rc) {

        case ICP_RESP_MORE:
            if (!rs->frame.over
                && ngx_http_icp_redis_hold(rs, p, used) != NGX_OK)
            {
                return NGX_ERROR;
            }

            break;

        case ICP_RESP_REPLY:
            if (rs->nheld) {
                if (ngx_http_icp_redis_hold(rs, p, used) != NGX_OK
                    || redisReaderFeed(reader, (char *) rs->held, rs->nheld)
                       != REDIS_OK)
                {
                    return NGX_ERROR;
                }

                rs->nheld = 0;

            } else if (redisReaderFeed(reader, (char *) p, used)
                       != REDIS_OK)
            {
                return NGX_ERROR;
            }

            break;

        case ICP_RESP_OVER:
            rs->nheld = 0;

            if (ngx_http_icp_redis_refuse(rs, reader) != NGX_OK) {
                return NGX_ERROR;
            }

            /* an element count, or a string, too long to read through */
            if (rs->frame.over == ICP_RESP_OVER_ELEMENTS
                || rs->frame.bulk > NGX_HTTP_ICP_REDIS_SKIP)
            {
                return NGX_DECLINED;
            }

            break;

        case ICP_RESP_SKIPPED:
            break;

        default: /* ICP_RESP_BAD */
            rs->refused = "a reply not in the Redis protocol";
            return NGX_ERROR;
        }

        p += used;
        n -= used;
    }

    return NGX_OK;
}


/* the bytes of a reply within budget, which therefore fit */

static ngx_int_t
ngx_http_icp_redis_hold(ngx_http_icp_redis_t *rs, u_char *p, size_t n)
{
    if (rs->held == NULL) {
        rs->held = ngx_alloc(rs->conf->max_reply, rs->log);
        if (rs->held == NULL) {
            return NGX_ERROR;
        }
    }

    if (n > rs->conf->max_reply - rs->nheld) {
        return NGX_ERROR;
    }

    ngx_memcpy(rs->held + rs->nheld, p, n);
    rs->nheld += n;

    return NGX_OK;
}


static ngx_int_t
ngx_http_icp_redis_refuse(ngx_http_icp_redis_t *rs, redisReader *reader)
{
    u_char  *p, text[sizeof(NGX_HTTP_ICP_REDIS_OVER) + NGX_SIZE_T_LEN + 32];

    if (rs->frame.over == ICP_RESP_OVER_BYTES) {
        p = ngx_sprintf(text, "-" NGX_HTTP_ICP_REDIS_OVER
                        " reply over %uz bytes\r\n", rs->conf->max_reply);
    } else {
        p = ngx_sprintf(text, "-" NGX_HTTP_ICP_REDIS_OVER
                        " reply over %uz elements\r\n",
                        rs->conf->max_elements);
    }

    ngx_http_icp_status_redis(rs->server, NGX_HTTP_ICP_REDIS_OVER_BUDGET);

    return (redisReaderFeed(reader, (char *) text, p - text) == REDIS_OK)
           ? NGX_OK : NGX_ERROR;
}
