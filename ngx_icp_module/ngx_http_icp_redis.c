/*
 * The Redis links of a worker: connect, handshake, the circuit, backoff,
 * and the one command a lookup sends.  The event adapter that runs
 * hiredis on nginx's loop is redis_event.c; the reply objects the reader
 * builds are redis_reply.c.
 *
 * A connection counts as up only when the PING sent after AUTH and SELECT
 * is answered, so a Redis that accepts connections but does not run
 * (SIGSTOP) keeps the circuit open.  Until then only the very first
 * connection of a worker takes commands; they wait in hiredis's buffer.
 */

#include "ngx_http_icp_redis.h"
#include "ngx_http_icp_redis_event.h"
#include "ngx_http_icp_redis_read.h"
#include "ngx_http_icp_redis_reply.h"
#include "ngx_http_icp_status.h"


#define NGX_HTTP_ICP_REDIS_BACKOFF_MIN  100
#define NGX_HTTP_ICP_REDIS_BACKOFF_MAX  3000

/*
 * A reply's budgets: a firmographic record is a few hundred bytes.  The
 * element budget's ceiling bounds the table an array count makes before
 * any element arrives.
 */
#define NGX_HTTP_ICP_REDIS_REPLY_DEFAULT     (64 * 1024)
#define NGX_HTTP_ICP_REDIS_REPLY_MIN         1024
#define NGX_HTTP_ICP_REDIS_REPLY_MAX         (512 * 1024 * 1024)
#define NGX_HTTP_ICP_REDIS_ELEMENTS_DEFAULT  1024
#define NGX_HTTP_ICP_REDIS_ELEMENTS_MIN      2
#define NGX_HTTP_ICP_REDIS_ELEMENTS_MAX      (1024 * 1024)

/* seconds up before a closed link is connected again at once */
#define NGX_HTTP_ICP_REDIS_HEALTHY           1

/* a reason in the error log, escaped: a server's error text is its own */
#define NGX_HTTP_ICP_REDIS_REASON_MAX        256


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
static u_char *ngx_http_icp_redis_printable(u_char *dst, const char *src);


static ngx_http_icp_redis_t  *ngx_http_icp_redis;


/* counted in shared memory: the status endpoint sums all workers */
#define ngx_http_icp_redis_count(rs, event)                                  \
    ngx_http_icp_status_redis((rs)->server, event)
static ngx_uint_t             ngx_http_icp_nredis;
static ngx_uint_t             ngx_http_icp_redis_exiting;




char *
ngx_http_icp_redis_parse(ngx_conf_t *cf, ngx_str_t *value, ngx_uint_t n,
    ngx_http_icp_redis_conf_t *rc)
{
    u_char      *p;
    size_t       size;
    ngx_url_t    u;
    ngx_str_t    s;
    ngx_int_t    ms, n_el;
    ngx_uint_t   i;

    rc->addr = value[0];
    rc->db = -1;
    ngx_str_set(&rc->prefix, "icp:");
    rc->connect_timeout = 500;
    rc->timeout = 250;
    rc->max_reply = NGX_HTTP_ICP_REDIS_REPLY_DEFAULT;
    rc->max_elements = NGX_HTTP_ICP_REDIS_ELEMENTS_DEFAULT;

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

        } else if (ngx_strncmp(value[i].data, "max_reply=", 10) == 0) {
            s.data = value[i].data + 10;
            s.len = value[i].len - 10;

            size = (size_t) ngx_parse_size(&s);
            if (size == (size_t) NGX_ERROR
                || size < NGX_HTTP_ICP_REDIS_REPLY_MIN
                || size > NGX_HTTP_ICP_REDIS_REPLY_MAX)
            {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "\"%V\": max_reply must be a size from "
                                   "1k to 512m", &value[i]);
                return NGX_CONF_ERROR;
            }

            rc->max_reply = size;

        } else if (ngx_strncmp(value[i].data, "max_elements=", 13) == 0) {
            n_el = ngx_atoi(value[i].data + 13, value[i].len - 13);
            if (n_el < NGX_HTTP_ICP_REDIS_ELEMENTS_MIN
                || n_el > NGX_HTTP_ICP_REDIS_ELEMENTS_MAX)
            {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "\"%V\": max_elements must be a number "
                                   "from 2 to 1048576", &value[i]);
                return NGX_CONF_ERROR;
            }

            rc->max_elements = (size_t) n_el;

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
                       "password=S, prefix=P, connect_timeout=TIME, "
                       "timeout=TIME, max_reply=SIZE or max_elements=N",
                       &value[i]);
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
        rs[i].server = i;
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

        ngx_http_icp_redis_read_exit(rs);
    }

    ngx_http_icp_redis_reply_exit();
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
ngx_http_icp_redis_reset(ngx_http_icp_redis_t *rs)
{
    redisAsyncContext  *ac;

    ac = rs->ac;
    rs->ac = NULL;

    ngx_http_icp_redis_connect(rs);

    rs->resetting = 1;
    redisAsyncFree(ac);
    rs->resetting = 0;
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


static void
ngx_http_icp_redis_connect(ngx_http_icp_redis_t *rs)
{
    u_char                      db[NGX_INT_T_LEN];
    size_t                      argvlen[2];
    const char                 *argv[2];
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

    if (ngx_http_icp_redis_attach(ac, rs->log) != NGX_OK) {
        redisAsyncFree(ac);
        ngx_http_icp_redis_lost(rs, "no free connection");
        return;
    }

    /* nothing is read before this: every reply is made by ours */
    ac->c.reader->fn = &ngx_http_icp_redis_reply_fn;
    ac->c.reader->privdata = ac;
    rs->refused = NULL;
    ngx_http_icp_redis_read_reset(rs);
    ac->data = rs;

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
        /* NOAUTH, maxclients...: said by _lost(), once per outage */
        ngx_http_icp_redis_count(rs, NGX_HTTP_ICP_REDIS_ERRORS);
        ngx_http_icp_redis_drop(rs, reply->str);
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
    rs->ready = ngx_time();
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

    /*
     * A link up for a while and closed (CLIENT KILL from a Sentinel's
     * failover step, an idle timeout) is no outage: connect again at
     * once, not after the backoff with lookups going to the fallback.
     * Once only: a server that keeps closing new links gets the backoff.
     */
    if (rs->state == NGX_HTTP_ICP_REDIS_READY
        && ngx_time() - rs->ready >= NGX_HTTP_ICP_REDIS_HEALTHY
        && !ngx_http_icp_redis_exiting)
    {
        ngx_log_error(NGX_LOG_INFO, rs->log, 0,
                      "icp_redis %V: link closed, connecting again",
                      &rs->conf->addr);
        rs->ac = NULL;
        ngx_http_icp_redis_connect(rs);
        return;
    }

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
    u_char      text[NGX_HTTP_ICP_REDIS_REASON_MAX];
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
                  "icp_redis %V: %*s, lookups skipped, retry in %Mms",
                  &rs->conf->addr,
                  ngx_http_icp_redis_printable(text, reason) - text, text,
                  rs->backoff);

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


/*
 * A server's error text, as written to the log: printable ASCII as is,
 * any other byte as \xHH (an escape sequence could rewrite a terminal),
 * cut to fit.
 */

static u_char *
ngx_http_icp_redis_printable(u_char *dst, const char *src)
{
    u_char  c, *end;

    end = dst + NGX_HTTP_ICP_REDIS_REASON_MAX - 4;

    for ( /* void */ ; *src && dst < end; src++) {
        c = (u_char) *src;

        if (c >= 0x20 && c < 0x7f && c != '\\') {
            *dst++ = c;

        } else {
            dst = ngx_sprintf(dst, "\\x%02xd", c);
        }
    }

    return dst;
}
