/*
 * hiredis on nginx's event loop.
 *
 * Each hiredis connection gets an ngx_connection_t for its socket; the
 * adapter hooks add and delete level-triggered events on it, so one
 * redisAsyncHandleRead per event is enough whatever is left unread.
 * hiredis owns the socket: the cleanup hook gives the ngx_connection_t
 * back without closing it.
 *
 * A connection counts as up only when the PING sent after AUTH and SELECT
 * is answered, so a Redis that accepts connections but does not run
 * (SIGSTOP) keeps the circuit open.  Until then only the very first
 * connection of a worker takes commands; they wait in hiredis's buffer.
 */

#include "ngx_http_icp_redis.h"
#include "ngx_http_icp_status.h"


#define NGX_HTTP_ICP_REDIS_BACKOFF_MIN  100
#define NGX_HTTP_ICP_REDIS_BACKOFF_MAX  3000


static void ngx_http_icp_redis_connect(ngx_http_icp_redis_t *rs);
static void ngx_http_icp_redis_handshake(redisAsyncContext *ac, void *r,
    void *data);
static void ngx_http_icp_redis_on_connect(const redisAsyncContext *ac,
    int status);
static void ngx_http_icp_redis_on_disconnect(const redisAsyncContext *ac,
    int status);
static void ngx_http_icp_redis_drop(ngx_http_icp_redis_t *rs,
    const char *reason);
static void ngx_http_icp_redis_lost(ngx_http_icp_redis_t *rs,
    const char *reason);
static void ngx_http_icp_redis_timer(ngx_event_t *ev);
static void ngx_http_icp_redis_read(ngx_event_t *ev);
static void ngx_http_icp_redis_write(ngx_event_t *ev);
static void ngx_http_icp_redis_add_read(void *data);
static void ngx_http_icp_redis_del_read(void *data);
static void ngx_http_icp_redis_add_write(void *data);
static void ngx_http_icp_redis_del_write(void *data);
static void ngx_http_icp_redis_cleanup(void *data);
static void *ngx_http_icp_reply_string(const redisReadTask *task, char *str,
    size_t len);
static void *ngx_http_icp_reply_array(const redisReadTask *task,
    int elements);
static void *ngx_http_icp_reply_integer(const redisReadTask *task,
    long long value);
static void *ngx_http_icp_reply_nil(const redisReadTask *task);
static void ngx_http_icp_reply_free(void *obj);


static ngx_http_icp_redis_t  *ngx_http_icp_redis;


/* counted in shared memory: the status endpoint sums all workers */
#define ngx_http_icp_redis_count(rs, event)                                  \
    ngx_http_icp_status_redis((rs) - ngx_http_icp_redis, event)
static ngx_uint_t             ngx_http_icp_nredis;
static ngx_uint_t             ngx_http_icp_redis_exiting;


/*
 * The reader's objects.  hiredis's own make a malloc for every element
 * and every string of a reply and a free of each afterwards, some forty
 * of each for the three HGETALLs of a miss; ours build a reply in one
 * block (more only for a reply past its 4 KB).  hiredis frees the root
 * of a reply only, complete or not, through freeObject; a reply is
 * called back and freed before the next one on its link is begun, so a
 * spare block serves nearly every reply.
 *
 * They also refuse what no command of ours is answered with, which fails
 * the reader: the link is dropped and reconnected, as for any protocol
 * error.  An array announced past a million elements: its table is made
 * from the count before any element arrives, and "*2147483647" from a
 * broken or hostile server would be 16 GB.  A reply no command waits
 * for: hiredis 0.14 asserts on it, aborting the worker.
 */

#define NGX_HTTP_ICP_REDIS_ELEMENTS_MAX  (1024 * 1024)
#define NGX_HTTP_ICP_REPLY_BLOCK         4096


typedef struct ngx_http_icp_reply_chunk_s  ngx_http_icp_reply_chunk_t;

struct ngx_http_icp_reply_chunk_s {
    ngx_http_icp_reply_chunk_t  *next;
};


/*
 * Every object of a reply, the root too, has its own bytes (a string, a
 * table) right after it, so _reply_new() returns all its callers need:
 * a pointer written back through an argument cost each object a stack
 * canary.
 */

typedef struct {
    u_char                      *last;      /* free space, in this block */
    u_char                      *end;       /* or in the newest chunk */
    ngx_http_icp_reply_chunk_t  *chunks;
    size_t                       size;      /* of this block */
    redisReply                   root;      /* last: what hiredis sees */
} ngx_http_icp_reply_t;

#define ngx_http_icp_reply_block(r)                                          \
    ((ngx_http_icp_reply_t *)                                                \
         ((u_char *) (r) - offsetof(ngx_http_icp_reply_t, root)))


static ngx_inline redisReply *ngx_http_icp_reply_new(
    const redisReadTask *task, int type, size_t size);
static redisReply *ngx_http_icp_reply_grow(const redisReadTask *task,
    int type, size_t size);
static ngx_inline void ngx_http_icp_reply_init(redisReply *r, int type);


static redisReplyObjectFunctions  ngx_http_icp_redis_reply_fn = {
    ngx_http_icp_reply_string,
    ngx_http_icp_reply_array,
    ngx_http_icp_reply_integer,
    ngx_http_icp_reply_nil,
    ngx_http_icp_reply_free
};

static ngx_http_icp_reply_t  *ngx_http_icp_reply_spare;


char *
ngx_http_icp_redis_parse(ngx_conf_t *cf, ngx_str_t *value, ngx_uint_t n,
    ngx_http_icp_redis_conf_t *rc)
{
    u_char      *p;
    ngx_url_t    u;
    ngx_str_t    s;
    ngx_int_t    ms;
    ngx_uint_t   i;

    rc->addr = value[0];
    rc->db = -1;
    ngx_str_set(&rc->prefix, "icp:");
    rc->connect_timeout = 500;
    rc->timeout = 250;

    for (i = 1; i < n; i++) {

        if (ngx_strncmp(value[i].data, "db=", 3) == 0) {
            rc->db = ngx_atoi(value[i].data + 3, value[i].len - 3);
            if (rc->db == NGX_ERROR) {
                goto invalid;
            }

        } else if (ngx_strncmp(value[i].data, "password=", 9) == 0) {
            rc->password.data = value[i].data + 9;
            rc->password.len = value[i].len - 9;

        } else if (ngx_strncmp(value[i].data, "prefix=", 7) == 0) {
            rc->prefix.data = value[i].data + 7;
            rc->prefix.len = value[i].len - 7;

        } else if (ngx_strncmp(value[i].data, "connect_timeout=", 16) == 0
                   || ngx_strncmp(value[i].data, "timeout=", 8) == 0)
        {
            p = ngx_strlchr(value[i].data, value[i].data + value[i].len, '=');
            s.data = p + 1;
            s.len = value[i].data + value[i].len - s.data;

            ms = ngx_parse_time(&s, 0);
            if (ms == NGX_ERROR || ms == 0) {
                goto invalid;
            }

            if (value[i].data[0] == 'c') {
                rc->connect_timeout = (ngx_msec_t) ms;
            } else {
                rc->timeout = (ngx_msec_t) ms;
            }

        } else {
            goto invalid;
        }
    }

    if (ngx_strncmp(rc->addr.data, "unix:", 5) == 0) {
        if (rc->addr.len == 5) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "no path in \"%V\"", &rc->addr);
            return NGX_CONF_ERROR;
        }

        rc->path.len = rc->addr.len - 5;
        rc->path.data = ngx_pnalloc(cf->pool, rc->path.len + 1);
        if (rc->path.data == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_memcpy(rc->path.data, rc->addr.data + 5, rc->path.len);
        rc->path.data[rc->path.len] = '\0';

        return NGX_CONF_OK;
    }

    /* resolved now: hiredis would resolve a name blocking, per connect */

    ngx_memzero(&u, sizeof(ngx_url_t));
    u.url = rc->addr;
    u.default_port = 6379;

    if (ngx_parse_url(cf->pool, &u) != NGX_OK || u.naddrs == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "%s in \"%V\"",
                           u.err ? u.err : "host not found", &rc->addr);
        return NGX_CONF_ERROR;
    }

    rc->host.data = ngx_pnalloc(cf->pool, NGX_SOCKADDR_STRLEN + 1);
    if (rc->host.data == NULL) {
        return NGX_CONF_ERROR;
    }

    rc->host.len = ngx_sock_ntop(u.addrs[0].sockaddr, u.addrs[0].socklen,
                                 rc->host.data, NGX_SOCKADDR_STRLEN, 0);
    rc->host.data[rc->host.len] = '\0';
    rc->port = ngx_inet_get_port(u.addrs[0].sockaddr);

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid parameter \"%V\": expected db=N, "
                       "password=S, prefix=P, connect_timeout=TIME "
                       "or timeout=TIME", &value[i]);
    return NGX_CONF_ERROR;
}


ngx_int_t
ngx_http_icp_redis_init(ngx_cycle_t *cycle, ngx_http_icp_redis_conf_t *confs,
    ngx_uint_t n)
{
    ngx_uint_t             i;
    ngx_http_icp_redis_t  *rs;

    rs = ngx_pcalloc(cycle->pool, n * sizeof(ngx_http_icp_redis_t));
    if (rs == NULL) {
        return NGX_ERROR;
    }

    ngx_http_icp_redis = rs;
    ngx_http_icp_nredis = n;

    for (i = 0; i < n; i++) {
        rs[i].conf = &confs[i];
        rs[i].log = cycle->log;
        rs[i].backoff = NGX_HTTP_ICP_REDIS_BACKOFF_MIN;
        rs[i].timer.handler = ngx_http_icp_redis_timer;
        rs[i].timer.data = &rs[i];
        rs[i].timer.log = cycle->log;
        /* a retry pending must not hold up a graceful shutdown */
        rs[i].timer.cancelable = 1;

        ngx_http_icp_redis_connect(&rs[i]);
    }

    return NGX_OK;
}


void
ngx_http_icp_redis_exit(void)
{
    ngx_uint_t             i;
    redisAsyncContext     *ac;
    ngx_http_icp_redis_t  *rs;

    ngx_http_icp_redis_exiting = 1;

    for (i = 0; i < ngx_http_icp_nredis; i++) {
        rs = &ngx_http_icp_redis[i];

        if (rs->timer.timer_set) {
            ngx_del_timer(&rs->timer);
        }

        ac = rs->ac;

        if (ac) {
            rs->ac = NULL;
            redisAsyncFree(ac);
        }
    }

    /* no reader is left to give it back */

    if (ngx_http_icp_reply_spare) {
        ngx_free(ngx_http_icp_reply_spare);
        ngx_http_icp_reply_spare = NULL;
    }
}


ngx_http_icp_redis_t *
ngx_http_icp_redis_pick(void)
{
    ngx_uint_t  i;

    for (i = 0; i < ngx_http_icp_nredis; i++) {
        if (ngx_http_icp_redis[i].ac && !ngx_http_icp_redis[i].failed) {
            return &ngx_http_icp_redis[i];
        }
    }

    return NULL;
}


/*
 * The one command a lookup sends, formatted here: hiredis's
 * redisFormatCommandArgv cost a command 2,000 instructions.
 */

u_char *
ngx_http_icp_redis_hgetall(u_char *p, ngx_str_t *prefix, ngx_str_t *key)
{
    u_char  *d, digits[NGX_SIZE_T_LEN];
    size_t   n;

    n = prefix->len + key->len;
    d = digits + NGX_SIZE_T_LEN;

    do {
        *--d = (u_char) ('0' + n % 10);
        n /= 10;
    } while (n);

    p = ngx_cpymem(p, "*2\r\n$7\r\nHGETALL\r\n$",
                   sizeof("*2\r\n$7\r\nHGETALL\r\n$") - 1);
    p = ngx_cpymem(p, d, digits + NGX_SIZE_T_LEN - d);
    *p++ = '\r';
    *p++ = '\n';
    p = ngx_cpymem(p, prefix->data, prefix->len);
    ngx_memcpy(p, key->data, key->len);
    key->data = p;
    p += key->len;
    *p++ = '\r';
    *p++ = '\n';

    return p;
}


ngx_int_t
ngx_http_icp_redis_send(ngx_http_icp_redis_t *rs, redisCallbackFn *fn,
    void *data, u_char *cmd, size_t len)
{
    if (rs->ac == NULL
        || redisAsyncFormattedCommand(rs->ac, fn, data, (char *) cmd, len)
           != REDIS_OK)
    {
        return NGX_ERROR;
    }

    ngx_http_icp_redis_count(rs, NGX_HTTP_ICP_REDIS_COMMANDS);

    return NGX_OK;
}


void
ngx_http_icp_redis_timeout(ngx_http_icp_redis_t *rs)
{
    ngx_http_icp_redis_count(rs, NGX_HTTP_ICP_REDIS_TIMEOUTS);

    if (rs->ac) {
        ngx_http_icp_redis_drop(rs, "command timed out");
    }
}


void
ngx_http_icp_redis_answered(ngx_http_icp_redis_t *rs)
{
    if (rs->backoff != NGX_HTTP_ICP_REDIS_BACKOFF_MIN) {
        ngx_log_error(NGX_LOG_NOTICE, rs->log, 0,
                      "icp_redis %V: lookups resumed", &rs->conf->addr);
        rs->backoff = NGX_HTTP_ICP_REDIS_BACKOFF_MIN;
    }
}


void
ngx_http_icp_redis_error(ngx_http_icp_redis_t *rs, const char *reply)
{
    ngx_http_icp_redis_count(rs, NGX_HTTP_ICP_REDIS_ERRORS);

    if (rs->ac) {
        ngx_http_icp_redis_drop(rs, reply);
    }
}


/*
 * A new object with size bytes of its own after it, in the block of its
 * reply, and in its parent's table: the reader fills every slot of a
 * table before the reply is complete, and only a complete reply is ever
 * read, so the tables need no zeroing.
 *
 * Inlined in each maker: nearly every object fits in what is left of its
 * reply's block, which calls nothing.  A call here and the registers it
 * saved cost each object some 30 instructions.
 */

static ngx_inline redisReply *
ngx_http_icp_reply_new(const redisReadTask *task, int type, size_t size)
{
    u_char                *p;
    redisReply            *r, *parent;
    const redisReadTask   *t;
    ngx_http_icp_reply_t  *rp;

    if (task->parent == NULL) {
        return ngx_http_icp_reply_grow(task, type, size);
    }

    parent = task->parent->obj;

    if (task->idx < 0 || (size_t) task->idx >= parent->elements) {
        return NULL;
    }

    for (t = task->parent; t->parent; t = t->parent) { /* void */ }

    rp = ngx_http_icp_reply_block(t->obj);
    p = ngx_align_ptr(rp->last, NGX_ALIGNMENT);

    if (p > rp->end || sizeof(redisReply) + size > (size_t) (rp->end - p)) {
        return ngx_http_icp_reply_grow(task, type, size);
    }

    rp->last = p + sizeof(redisReply) + size;

    r = (redisReply *) p;
    parent->element[task->idx] = r;
    ngx_http_icp_reply_init(r, type);

    return r;
}


/*
 * A root, in a block of its own, or an object for which its reply's block
 * has no room left, in a new chunk: what was left of the block is lost.
 */

static redisReply *
ngx_http_icp_reply_grow(const redisReadTask *task, int type, size_t size)
{
    size_t                       n;
    redisReply                  *r, *parent;
    redisAsyncContext           *ac;
    const redisReadTask         *t;
    ngx_http_icp_reply_t        *rp;
    ngx_http_icp_redis_t        *rs;
    ngx_http_icp_reply_chunk_t  *c;

    if (task->parent) {
        for (t = task->parent; t->parent; t = t->parent) { /* void */ }

        rp = ngx_http_icp_reply_block(t->obj);
        size += sizeof(redisReply);
        n = ngx_max(size, NGX_HTTP_ICP_REPLY_BLOCK);

        c = ngx_alloc(sizeof(ngx_http_icp_reply_chunk_t) + n,
                      ngx_cycle->log);
        if (c == NULL) {
            return NULL;
        }

        c->next = rp->chunks;
        rp->chunks = c;

        r = (redisReply *) (c + 1);
        rp->last = (u_char *) r + size;
        rp->end = (u_char *) r + n;

        parent = task->parent->obj;
        parent->element[task->idx] = r;
        ngx_http_icp_reply_init(r, type);

        return r;
    }

    ac = task->privdata;

    if (ac->replies.head == NULL) {
        rs = ac->data;
        rs->refused = "a reply no command waits for";
        return NULL;
    }

    n = sizeof(ngx_http_icp_reply_t) + size;

    if (n <= NGX_HTTP_ICP_REPLY_BLOCK && ngx_http_icp_reply_spare) {
        rp = ngx_http_icp_reply_spare;
        ngx_http_icp_reply_spare = NULL;

    } else {
        n = ngx_max(n, NGX_HTTP_ICP_REPLY_BLOCK);

        rp = ngx_alloc(n, ngx_cycle->log);
        if (rp == NULL) {
            return NULL;
        }

        rp->size = n;
    }

    r = &rp->root;
    rp->last = (u_char *) (r + 1) + size;
    rp->end = (u_char *) rp + rp->size;
    rp->chunks = NULL;

    ngx_http_icp_reply_init(r, type);

    return r;
}


static ngx_inline void
ngx_http_icp_reply_init(redisReply *r, int type)
{
    r->type = type;
    r->integer = 0;
    r->len = 0;
    r->str = NULL;
    r->elements = 0;
    r->element = NULL;
}


static void *
ngx_http_icp_reply_string(const redisReadTask *task, char *str, size_t len)
{
    u_char      *data;
    redisReply  *r;

    /* NUL-terminated as hiredis's: error replies are logged with %s */

    r = ngx_http_icp_reply_new(task, task->type, len + 1);
    if (r == NULL) {
        return NULL;
    }

    data = (u_char *) (r + 1);
    ngx_memcpy(data, str, len);
    data[len] = '\0';

    r->str = (char *) data;
    r->len = len;

    return r;
}


static void *
ngx_http_icp_reply_array(const redisReadTask *task, int elements)
{
    redisReply            *r;
    redisAsyncContext     *ac;
    ngx_http_icp_redis_t  *rs;

    if (elements < 0 || elements > NGX_HTTP_ICP_REDIS_ELEMENTS_MAX) {
        ac = task->privdata;
        rs = ac->data;
        rs->refused = "an array of over a million elements";
        return NULL;
    }

    r = ngx_http_icp_reply_new(task, REDIS_REPLY_ARRAY,
                               elements * sizeof(redisReply *));
    if (r == NULL) {
        return NULL;
    }

    if (elements) {
        r->elements = elements;
        r->element = (redisReply **) (r + 1);
    }

    return r;
}


static void *
ngx_http_icp_reply_integer(const redisReadTask *task, long long value)
{
    redisReply  *r;

    r = ngx_http_icp_reply_new(task, REDIS_REPLY_INTEGER, 0);
    if (r == NULL) {
        return NULL;
    }

    r->integer = value;

    return r;
}


static void *
ngx_http_icp_reply_nil(const redisReadTask *task)
{
    return ngx_http_icp_reply_new(task, REDIS_REPLY_NIL, 0);
}


static void
ngx_http_icp_reply_free(void *obj)
{
    ngx_http_icp_reply_t        *rp = ngx_http_icp_reply_block(obj);
    ngx_http_icp_reply_chunk_t  *c, *next;

    for (c = rp->chunks; c; c = next) {
        next = c->next;
        ngx_free(c);
    }

    if (rp->size == NGX_HTTP_ICP_REPLY_BLOCK
        && ngx_http_icp_reply_spare == NULL)
    {
        ngx_http_icp_reply_spare = rp;
        return;
    }

    ngx_free(rp);
}


static void
ngx_http_icp_redis_connect(ngx_http_icp_redis_t *rs)
{
    u_char                      db[NGX_INT_T_LEN];
    size_t                      argvlen[2];
    const char                 *argv[2];
    ngx_connection_t           *c;
    redisAsyncContext          *ac;
    ngx_http_icp_redis_conf_t  *rc;

    rc = rs->conf;
    rs->state = NGX_HTTP_ICP_REDIS_CONNECTING;

    if (rc->path.len) {
        ac = redisAsyncConnectUnix((char *) rc->path.data);
    } else {
        ac = redisAsyncConnect((char *) rc->host.data, rc->port);
    }

    if (ac == NULL) {
        ngx_http_icp_redis_lost(rs, "out of memory");
        return;
    }

    if (ac->err) {
        /* refused at once, as a local port with nothing behind it is */
        ngx_http_icp_redis_count(rs, NGX_HTTP_ICP_REDIS_ERRORS);
        ngx_http_icp_redis_lost(rs, ac->errstr);
        redisAsyncFree(ac);
        return;
    }

    c = ngx_get_connection(ac->c.fd, rs->log);
    if (c == NULL) {
        redisAsyncFree(ac);
        ngx_http_icp_redis_lost(rs, "no free connection");
        return;
    }

    /* nothing is read before this: every reply is made by ours */
    ac->c.reader->fn = &ngx_http_icp_redis_reply_fn;
    ac->c.reader->privdata = ac;
    rs->refused = NULL;

    c->data = ac;
    c->read->handler = ngx_http_icp_redis_read;
    c->write->handler = ngx_http_icp_redis_write;
    c->read->log = c->log;
    c->write->log = c->log;

    ac->data = rs;
    ac->ev.data = c;
    ac->ev.addRead = ngx_http_icp_redis_add_read;
    ac->ev.delRead = ngx_http_icp_redis_del_read;
    ac->ev.addWrite = ngx_http_icp_redis_add_write;
    ac->ev.delWrite = ngx_http_icp_redis_del_write;
    ac->ev.cleanup = ngx_http_icp_redis_cleanup;

    redisAsyncSetConnectCallback(ac, ngx_http_icp_redis_on_connect);
    redisAsyncSetDisconnectCallback(ac, ngx_http_icp_redis_on_disconnect);

    rs->ac = ac;

    /* the handshake goes first: hiredis sends in order */

    if (rc->password.len) {
        argv[0] = "AUTH";
        argvlen[0] = 4;
        argv[1] = (char *) rc->password.data;
        argvlen[1] = rc->password.len;
        redisAsyncCommandArgv(ac, ngx_http_icp_redis_handshake, NULL,
                              2, argv, argvlen);
    }

    if (rc->db >= 0) {
        argv[0] = "SELECT";
        argvlen[0] = 6;
        argv[1] = (char *) db;
        argvlen[1] = ngx_sprintf(db, "%i", rc->db) - db;
        redisAsyncCommandArgv(ac, ngx_http_icp_redis_handshake, NULL,
                              2, argv, argvlen);
    }

    argv[0] = "PING";
    argvlen[0] = 4;

    if (redisAsyncCommandArgv(ac, ngx_http_icp_redis_handshake, rs,
                              1, argv, argvlen)
        != REDIS_OK)
    {
        ngx_http_icp_redis_drop(rs, "out of memory");
        return;
    }

    ngx_add_timer(&rs->timer, rc->connect_timeout);
}


/* AUTH and SELECT come with data NULL, the closing PING with the server */

static void
ngx_http_icp_redis_handshake(redisAsyncContext *ac, void *r, void *data)
{
    redisReply            *reply = r;
    ngx_http_icp_redis_t  *rs = ac->data;

    if (reply == NULL || rs->ac != ac) {
        /* the link went: ngx_http_icp_redis_lost() has seen to it */
        return;
    }

    if (reply->type == REDIS_REPLY_ERROR) {
        ngx_http_icp_redis_count(rs, NGX_HTTP_ICP_REDIS_ERRORS);
        ngx_log_error(NGX_LOG_ERR, rs->log, 0, "icp_redis %V: %*s",
                      &rs->conf->addr, (size_t) reply->len, reply->str);
        ngx_http_icp_redis_drop(rs, "handshake refused");
        return;
    }

    if (data == NULL) {
        return;
    }

    if (rs->timer.timer_set) {
        ngx_del_timer(&rs->timer);
    }

    ngx_log_error(NGX_LOG_INFO, rs->log, 0, "icp_redis %V: connected",
                  &rs->conf->addr);

    /* the backoff stays until a command is answered: see _answered() */
    rs->failed = 0;
    rs->state = NGX_HTTP_ICP_REDIS_READY;
    ngx_http_icp_status_redis_up(rs - ngx_http_icp_redis, 1);
}


static void
ngx_http_icp_redis_on_connect(const redisAsyncContext *ac, int status)
{
    ngx_http_icp_redis_t  *rs = ac->data;

    if (status != REDIS_OK && rs->ac == ac) {
        /* hiredis frees the context when this returns */
        ngx_http_icp_redis_count(rs, NGX_HTTP_ICP_REDIS_ERRORS);
        ngx_http_icp_redis_lost(rs, ac->errstr);
    }
}


static void
ngx_http_icp_redis_on_disconnect(const redisAsyncContext *ac, int status)
{
    ngx_http_icp_redis_t  *rs = ac->data;

    if (rs->ac != ac) {
        /* dropped on purpose: already accounted for */
        return;
    }

    ngx_http_icp_redis_count(rs, NGX_HTTP_ICP_REDIS_ERRORS);

    /* a refused reply shows as "Out of memory", the reader's error */
    ngx_http_icp_redis_lost(rs, status == REDIS_OK ? "closed by the server"
                                : rs->refused ? rs->refused : ac->errstr);
}


static void
ngx_http_icp_redis_drop(ngx_http_icp_redis_t *rs, const char *reason)
{
    redisAsyncContext  *ac;

    ac = rs->ac;

    ngx_http_icp_redis_lost(rs, reason);

    /* fails every command still out, with a NULL reply */
    redisAsyncFree(ac);
}


static void
ngx_http_icp_redis_lost(ngx_http_icp_redis_t *rs, const char *reason)
{
    ngx_uint_t  level;

    rs->ac = NULL;
    rs->state = NGX_HTTP_ICP_REDIS_DOWN;
    ngx_http_icp_status_redis_up(rs - ngx_http_icp_redis, 0);

    if (rs->timer.timer_set) {
        ngx_del_timer(&rs->timer);
    }

    if (ngx_http_icp_redis_exiting) {
        return;
    }

    /*
     * Said once per outage, which ends with an answered command, not a
     * mere reconnect: a server that takes PING and refuses HGETALL would
     * fill the log.  The retries are heard at info level.
     */
    level = (rs->backoff == NGX_HTTP_ICP_REDIS_BACKOFF_MIN) ? NGX_LOG_ERR
                                                            : NGX_LOG_INFO;

    ngx_log_error(level, rs->log, 0,
                  "icp_redis %V: %s, lookups skipped, retry in %Mms",
                  &rs->conf->addr, reason, rs->backoff);

    rs->failed = 1;

    ngx_add_timer(&rs->timer, rs->backoff);

    rs->backoff = ngx_min(rs->backoff * 2, NGX_HTTP_ICP_REDIS_BACKOFF_MAX);
}


static void
ngx_http_icp_redis_timer(ngx_event_t *ev)
{
    ngx_http_icp_redis_t  *rs = ev->data;

    if (rs->ac) {
        ngx_http_icp_redis_count(rs, NGX_HTTP_ICP_REDIS_TIMEOUTS);
        ngx_http_icp_redis_drop(rs, "connect timed out");
        return;
    }

    ngx_http_icp_redis_count(rs, NGX_HTTP_ICP_REDIS_RECONNECTS);
    ngx_http_icp_redis_connect(rs);
}


static void
ngx_http_icp_redis_read(ngx_event_t *ev)
{
    ngx_connection_t  *c = ev->data;

    redisAsyncHandleRead(c->data);
}


static void
ngx_http_icp_redis_write(ngx_event_t *ev)
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
