/*
 * icp-load --sentinel: asks each Sentinel in turn for the master's
 * address (SENTINEL get-master-addr-by-name) and hands it to the writer,
 * at the start and whenever a write fails or lands on a replica.
 *
 * During a failover Sentinel still names the old primary until a replica
 * is promoted (down-after-milliseconds, then the election), so a failed
 * address is asked for again every LOAD_SENTINEL_PAUSE_MS, for up to
 * LOAD_SENTINEL_WAIT_MS without a command answered; then the load fails
 * with what was sent so far.
 */

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hiredis/hiredis.h>

#include "sentinel.h"


#define LOAD_SENTINEL_PAUSE_MS    250
#define LOAD_SENTINEL_WAIT_MS     30000
/* a Sentinel answers from memory: a slow one is as good as down */
#define LOAD_SENTINEL_TIMEOUT_MS  1000


typedef struct {
    const char   *master;
    char          primary[300];     /* the address last handed out */
    char          said[256];        /* the failure last reported */
    double        deadline;
    size_t        n;
    const char   *sentinels[];
} load_sentinel_t;


static double
load_sentinel_now(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return ts.tv_sec + ts.tv_nsec / 1e9;
}


static void
load_sentinel_pause(void)
{
    struct timespec  ts = { 0, LOAD_SENTINEL_PAUSE_MS * 1000000L };

    nanosleep(&ts, NULL);
}


/*
 * One Sentinel's answer as "host:port"; with err saying why not, -1 when
 * it did not answer, -2 when its answer is no address (an unknown master
 * name, or not a Sentinel).
 */
static int
load_sentinel_ask(const char *sentinel, const char *master, char *addr,
    size_t size, char *err, size_t errsize)
{
    int              rc;
    redisReply      *reply, *host, *port;
    redisContext    *ctx;
    struct timeval   tv = { LOAD_SENTINEL_TIMEOUT_MS / 1000,
                            LOAD_SENTINEL_TIMEOUT_MS % 1000 * 1000 };

    ctx = load_writer_connect(sentinel, LOAD_SENTINEL_TIMEOUT_MS);

    if (ctx == NULL || ctx->err) {
        snprintf(err, errsize, "Sentinel %s: %s", sentinel,
                 ctx ? ctx->errstr : "not HOST:PORT");
        redisFree(ctx);
        return -1;
    }

    redisSetTimeout(ctx, tv);

    reply = redisCommand(ctx, "SENTINEL get-master-addr-by-name %s", master);

    rc = -2;

    if (reply == NULL) {
        snprintf(err, errsize, "Sentinel %s: %s", sentinel, ctx->errstr);
        rc = -1;

    } else if (reply->type == REDIS_REPLY_ERROR) {
        snprintf(err, errsize, "Sentinel %s: %s", sentinel, reply->str);

    } else if (reply->type == REDIS_REPLY_NIL) {
        snprintf(err, errsize, "Sentinel %s: no master named \"%s\"",
                 sentinel, master);

    } else if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2
               || reply->element[0]->type != REDIS_REPLY_STRING
               || reply->element[1]->type != REDIS_REPLY_STRING)
    {
        snprintf(err, errsize, "Sentinel %s: not an address reply",
                 sentinel);

    } else {
        host = reply->element[0];
        port = reply->element[1];

        /* an IPv6 address goes in brackets, as --redis takes it */
        snprintf(addr, size, strchr(host->str, ':') ? "[%s]:%s" : "%s:%s",
                 host->str, port->str);
        rc = 0;
    }

    freeReplyObject(reply);
    redisFree(ctx);

    return rc;
}


static int
load_sentinel_locate(void *data, unsigned attempt, const char *why,
    char *addr, size_t size, char *err, size_t errsize)
{
    int               rc, refused;
    char              last[256], refusal[256];
    size_t            i;
    load_sentinel_t  *s;

    s = data;

    /* a failover fails the same way every LOAD_SENTINEL_PAUSE_MS */
    if (why != NULL && strcmp(why, s->said) != 0) {
        fprintf(stderr, "icp-load: %s; asking Sentinel again\n", why);
        snprintf(s->said, sizeof(s->said), "%s", why);
    }

    if (attempt == 0) {
        s->deadline = load_sentinel_now() + LOAD_SENTINEL_WAIT_MS / 1000.0;

    } else if (load_sentinel_now() >= s->deadline) {
        snprintf(err, errsize, "no writable primary for \"%s\" in %d s: %s",
                 s->master, LOAD_SENTINEL_WAIT_MS / 1000, why);
        return -1;

    } else {
        load_sentinel_pause();
    }

    for ( ;; ) {
        refused = 0;

        for (i = 0; i < s->n; i++) {
            rc = load_sentinel_ask(s->sentinels[i], s->master, addr, size,
                                   last, sizeof(last));
            if (rc == 0) {
                if (strcmp(addr, s->primary) != 0) {
                    fprintf(stderr, "icp-load: the primary of \"%s\" is %s "
                            "(Sentinel %s)\n", s->master, addr,
                            s->sentinels[i]);
                    snprintf(s->primary, sizeof(s->primary), "%s", addr);
                }

                return 0;
            }

            if (attempt == 0) {
                fprintf(stderr, "icp-load: %s\n", last);
            }

            if (rc == -2) {
                memcpy(refusal, last, sizeof(refusal));
                refused = 1;
            }
        }

        /* waiting does not teach a Sentinel a name it does not know */
        if (refused) {
            snprintf(err, errsize, "no Sentinel gave the primary of \"%s\": "
                     "%s", s->master, refusal);
            return -1;
        }

        if (load_sentinel_now() >= s->deadline) {
            snprintf(err, errsize, "no Sentinel answered for \"%s\" in %d s: "
                     "%s", s->master, LOAD_SENTINEL_WAIT_MS / 1000, last);
            return -1;
        }

        attempt++;
        load_sentinel_pause();
    }
}


load_writer_t *
load_sentinel_writer(const char **sentinels, size_t n, const char *master,
    int db, const char *password, const char *name, char *err, size_t size)
{
    load_sentinel_t  *s;

    s = calloc(1, sizeof(load_sentinel_t) + n * sizeof(const char *));
    if (s == NULL) {
        snprintf(err, size, "out of memory");
        return NULL;
    }

    s->master = master;
    s->n = n;
    memcpy(s->sentinels, sentinels, n * sizeof(const char *));

    /* a write to a primary that died must fail, to be retried, not kill */
    signal(SIGPIPE, SIG_IGN);

    return load_writer_located(load_sentinel_locate, s, db, password, name,
                               err, size);
}
