/*
 * hiredis on nginx's event loop.
 *
 * Each hiredis connection gets an ngx_connection_t for its socket; the
 * adapter hooks add and delete level-triggered events on it, so one
 * redisAsyncHandleRead per event is enough whatever is left unread.
 * hiredis owns the socket: the cleanup hook gives the ngx_connection_t
 * back without closing it.
 */

#include "ngx_http_icp_redis_event.h"
#include "ngx_http_icp_redis_read.h"


static void ngx_http_icp_redis_read_event(ngx_event_t *ev);
static void ngx_http_icp_redis_write_event(ngx_event_t *ev);
static void ngx_http_icp_redis_add_read(void *data);
static void ngx_http_icp_redis_del_read(void *data);
static void ngx_http_icp_redis_add_write(void *data);
static void ngx_http_icp_redis_del_write(void *data);
static void ngx_http_icp_redis_cleanup(void *data);


ngx_int_t
ngx_http_icp_redis_attach(redisAsyncContext *ac, ngx_log_t *log)
{
    ngx_connection_t  *c;

    c = ngx_get_connection(ac->c.fd, log);
    if (c == NULL) {
        return NGX_ERROR;
    }

    c->data = ac;
    c->read->handler = ngx_http_icp_redis_read_event;
    c->write->handler = ngx_http_icp_redis_write_event;
    c->read->log = c->log;
    c->write->log = c->log;

    ac->ev.data = c;
    ac->ev.addRead = ngx_http_icp_redis_add_read;
    ac->ev.delRead = ngx_http_icp_redis_del_read;
    ac->ev.addWrite = ngx_http_icp_redis_add_write;
    ac->ev.delWrite = ngx_http_icp_redis_del_write;
    ac->ev.cleanup = ngx_http_icp_redis_cleanup;

    return NGX_OK;
}


static void
ngx_http_icp_redis_read_event(ngx_event_t *ev)
{
    ngx_connection_t  *c = ev->data;

    ngx_http_icp_redis_read(c->data);
}


static void
ngx_http_icp_redis_write_event(ngx_event_t *ev)
{
    ngx_connection_t  *c = ev->data;

    redisAsyncHandleWrite(c->data);
}


/*
 * The hooks must be idempotent.  Level-triggered: hiredis reads once per
 * call, and the event comes again while anything is left to read.
 */

static void
ngx_http_icp_redis_add_read(void *data)
{
    ngx_connection_t  *c = data;

    if (!c->read->active
        && ngx_add_event(c->read, NGX_READ_EVENT, NGX_LEVEL_EVENT) != NGX_OK)
    {
        ngx_log_error(NGX_LOG_ALERT, c->log, 0, "icp_redis: add read failed");
    }
}


static void
ngx_http_icp_redis_del_read(void *data)
{
    ngx_connection_t  *c = data;

    if (c->read->active) {
        ngx_del_event(c->read, NGX_READ_EVENT, 0);
    }
}


static void
ngx_http_icp_redis_add_write(void *data)
{
    ngx_connection_t  *c = data;

    if (!c->write->active
        && ngx_add_event(c->write, NGX_WRITE_EVENT, NGX_LEVEL_EVENT) != NGX_OK)
    {
        ngx_log_error(NGX_LOG_ALERT, c->log, 0,
                      "icp_redis: add write failed");
    }
}


static void
ngx_http_icp_redis_del_write(void *data)
{
    ngx_connection_t  *c = data;

    if (c->write->active) {
        ngx_del_event(c->write, NGX_WRITE_EVENT, 0);
    }
}


/* hiredis closes the socket right after: the events need no syscall */

static void
ngx_http_icp_redis_cleanup(void *data)
{
    ngx_connection_t  *c = data;

    if (c->read->active) {
        ngx_del_event(c->read, NGX_READ_EVENT, NGX_CLOSE_EVENT);
    }

    if (c->write->active) {
        ngx_del_event(c->write, NGX_WRITE_EVENT, NGX_CLOSE_EVENT);
    }

    if (c->read->posted) {
        ngx_delete_posted_event(c->read);
    }

    if (c->write->posted) {
        ngx_delete_posted_event(c->write);
    }

    c->read->closed = 1;
    c->write->closed = 1;

    ngx_free_connection(c);

    c->fd = (ngx_socket_t) -1;
}
