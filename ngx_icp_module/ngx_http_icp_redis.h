/*
 * Redis connections of a worker: hiredis's async API driven by nginx's
 * event loop, one connection per configured server, fallbacks in order,
 * reconnects with exponential backoff and a circuit that stays open
 * (lookups skipped at once) while no server answers.
 */

#ifndef NGX_HTTP_ICP_REDIS_H
#define NGX_HTTP_ICP_REDIS_H

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>

#include <hiredis/hiredis.h>
#include <hiredis/async.h>

#include "icp_resp.h"


/* ngx_http_icp_redis_t.state */
#define NGX_HTTP_ICP_REDIS_DOWN        0   /* waiting for the next try */
#define NGX_HTTP_ICP_REDIS_CONNECTING  1   /* connect or AUTH/SELECT/PING */
#define NGX_HTTP_ICP_REDIS_READY       2


/* one icp_redis directive */
typedef struct {
    ngx_str_t                   addr;       /* as written, for the logs */
    ngx_str_t                   host;       /* numeric, NUL-terminated */
    int                         port;
    ngx_str_t                   path;       /* unix:, NUL-terminated */
    ngx_int_t                   db;         /* -1: no SELECT */
    ngx_str_t                   password;   /* empty: no AUTH */
    ngx_str_t                   prefix;
    ngx_msec_t                  connect_timeout;
    ngx_msec_t                  timeout;    /* per command */
    size_t                      max_reply;  /* bytes of one reply */
    size_t                      max_elements;
} ngx_http_icp_redis_conf_t;


typedef struct {
    ngx_http_icp_redis_conf_t  *conf;
    ngx_uint_t                  server;     /* its index, for the counters */
    redisAsyncContext          *ac;         /* NULL: not connected */
    ngx_event_t                 timer;      /* connect timeout or retry */
    ngx_msec_t                  backoff;
    ngx_log_t                  *log;
    ngx_uint_t                  state;
    time_t                      ready;      /* when it last came up */
    const char                 *refused;    /* a reply refused: why */
    icp_resp_t                  frame;      /* the reply being read */
    u_char                     *held;       /* its bytes, read so far */
    size_t                      nheld;
    unsigned                    failed:1;   /* circuit open */
    unsigned                    resetting:1; /* see _reset() */
} ngx_http_icp_redis_t;


/*
 * The error reply a command gets in place of one over a budget: no Redis
 * sends it, and a server that did would only make its key absent.
 */
#define NGX_HTTP_ICP_REDIS_OVER  "ICPOVER"

#define ngx_http_icp_redis_over(reply)                                       \
    ((reply)->type == REDIS_REPLY_ERROR                                      \
     && ngx_strncmp((reply)->str, NGX_HTTP_ICP_REDIS_OVER " ",               \
                    sizeof(NGX_HTTP_ICP_REDIS_OVER)) == 0)


/* the most ngx_http_icp_redis_hgetall() writes for a key of n bytes */
#define NGX_HTTP_ICP_REDIS_HGETALL_LEN(n)                                    \
    (sizeof("*2\r\n$7\r\nHGETALL\r\n$\r\n\r\n") - 1 + NGX_SIZE_T_LEN + (n))


char *ngx_http_icp_redis_parse(ngx_conf_t *cf, ngx_str_t *value,
    ngx_uint_t n, ngx_http_icp_redis_conf_t *rc);

ngx_int_t ngx_http_icp_redis_init(ngx_cycle_t *cycle,
    ngx_http_icp_redis_conf_t *confs, ngx_uint_t n);
void ngx_http_icp_redis_exit(void);

/* the first server taking commands, NULL while the circuit is open */
ngx_http_icp_redis_t *ngx_http_icp_redis_pick(void);

/*
 * Writes the command HGETALL PREFIXKEY at p, in the protocol's own form,
 * and returns its end; key->data is moved to the key's copy inside it.
 */
u_char *ngx_http_icp_redis_hgetall(u_char *p, ngx_str_t *prefix,
    ngx_str_t *key);

/*
 * Sends one command as ngx_http_icp_redis_hgetall() writes it (hiredis
 * copies it).  NGX_OK: fn(ac, reply, data) will be called, with a NULL
 * reply if lost.
 */
ngx_int_t ngx_http_icp_redis_send(ngx_http_icp_redis_t *rs,
    redisCallbackFn *fn, void *data, u_char *cmd, size_t len);

/*
 * A reply too big to skip: a new link takes the commands from now on, and
 * those out on the old one fail with resetting set, to be sent again.
 */
void ngx_http_icp_redis_reset(ngx_http_icp_redis_t *rs);

/* a command got no answer in time: drop the link, fail what is out */
void ngx_http_icp_redis_timeout(ngx_http_icp_redis_t *rs);

/* a command had its reply: the outage, if any, is over */
void ngx_http_icp_redis_answered(ngx_http_icp_redis_t *rs);

/*
 * An error reply that is no fault of the key (LOADING, NOAUTH, OOM...):
 * the server is not fit for lookups until a reconnect succeeds.
 */
void ngx_http_icp_redis_error(ngx_http_icp_redis_t *rs, const char *reply);


#endif /* NGX_HTTP_ICP_REDIS_H */
