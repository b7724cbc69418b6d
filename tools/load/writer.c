/*
 * icp-load output: Redis through hiredis's synchronous API, pipelined.
 *
 * Commands are encoded here, a batch of LOAD_BATCH into one buffer that
 * goes to hiredis's output buffer in one piece (hiredis's own per-command
 * formatting was a quarter of the loader's time).  Once a batch is sent,
 * the replies to the batch before it are read: Redis works on one batch
 * while the loader parses the next, and neither waits for a round trip
 * per command.  Every reply is checked; an error reply names the CSV line
 * of its command.
 */

#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <hiredis/hiredis.h>

#include "writer.h"


#define LOAD_BATCH          1000

/* error replies reported one by one; later ones are only counted */
#define LOAD_ERRORS_SHOWN   10


struct load_writer_s {
    redisContext   *ctx;
    FILE           *out;
    const char     *name;
    unsigned long   lines[2 * LOAD_BATCH];  /* CSV line of each command */
    size_t          first;                  /* its first unanswered one */
    size_t          sent;                   /* commands sent, unanswered */
    size_t          batch;                  /* commands not yet sent */
    char           *buf;                    /* and their encoding */
    size_t          len;
    size_t          cap;
    unsigned long   errors;
    char            error[256];
};


static int
load_writer_setup(load_writer_t *w, const char *what, int argc,
    const char **argv)
{
    redisReply  *reply;

    reply = redisCommandArgv(w->ctx, argc, argv, NULL);

    if (reply == NULL) {
        snprintf(w->error, sizeof(w->error), "redis: %s: %s", what,
                 w->ctx->errstr);
        return -1;
    }

    if (reply->type == REDIS_REPLY_ERROR) {
        snprintf(w->error, sizeof(w->error), "redis: %s: %s", what,
                 reply->str);
        freeReplyObject(reply);
        return -1;
    }

    freeReplyObject(reply);

    return 0;
}


static redisContext *
load_connect(const char *addr)
{
    int             port;
    char            host[256], *end;
    size_t          n;
    const char     *colon;
    struct timeval  tv = { 5, 0 };

    if (strncmp(addr, "unix:", 5) == 0) {
        return redisConnectUnixWithTimeout(addr + 5, tv);
    }

    port = 6379;
    colon = strrchr(addr, ':');
    n = strlen(addr);

    /* a bare IPv6 address has colons but no port: "[::1]:6380" has one */
    if (colon != NULL && (addr[0] == '[' || strchr(addr, ':') == colon)) {
        port = strtol(colon + 1, &end, 10);
        if (*end != '\0' || port <= 0 || port > 65535) {
            return NULL;
        }
        n = colon - addr;
    }

    if (addr[0] == '[' && n >= 2 && addr[n - 1] == ']') {
        addr++;
        n -= 2;
    }

    if (n == 0 || n >= sizeof(host)) {
        return NULL;
    }

    memcpy(host, addr, n);
    host[n] = '\0';

    return redisConnectWithTimeout(host, port, tv);
}


load_writer_t *
load_writer_redis(const char *addr, int db, const char *password,
    const char *name, char *err, size_t size)
{
    char            dbtext[16];
    const char     *argv[2];
    load_writer_t  *w;
    struct timeval  tv = { 60, 0 };

    w = calloc(1, sizeof(load_writer_t));
    if (w == NULL) {
        snprintf(err, size, "out of memory");
        return NULL;
    }

    w->name = name;
    w->ctx = load_connect(addr);

    if (w->ctx == NULL || w->ctx->err) {
        snprintf(err, size, "cannot connect to redis at %s: %s", addr,
                 w->ctx ? w->ctx->errstr : "invalid address");
        load_writer_free(w);
        return NULL;
    }

    /* a reply that takes this long means Redis is stuck, not busy */
    redisSetTimeout(w->ctx, tv);

    if (password != NULL) {
        argv[0] = "AUTH";
        argv[1] = password;

        if (load_writer_setup(w, "AUTH", 2, argv) != 0) {
            goto failed;
        }
    }

    if (db >= 0) {
        snprintf(dbtext, sizeof(dbtext), "%d", db);
        argv[0] = "SELECT";
        argv[1] = dbtext;

        if (load_writer_setup(w, "SELECT", 2, argv) != 0) {
            goto failed;
        }
    }

    return w;

failed:

    snprintf(err, size, "%s", w->error);
    load_writer_free(w);

    return NULL;
}


load_writer_t *
load_writer_print(FILE *out)
{
    load_writer_t  *w;

    w = calloc(1, sizeof(load_writer_t));
    if (w != NULL) {
        w->out = out;
    }

    return w;
}


/* An argument as redis-cli reads it: bare, or double-quoted with escapes. */
static void
load_print_arg(FILE *out, const char *s, size_t len)
{
    int             bare;
    size_t          i;
    unsigned char   c;

    bare = (len > 0);

    for (i = 0; i < len && bare; i++) {
        c = s[i];
        bare = (c > ' ' && c < 0x7f && c != '"' && c != '\'' && c != '\\');
    }

    if (bare) {
        fwrite(s, 1, len, out);
        return;
    }

    putc('"', out);

    for (i = 0; i < len; i++) {
        c = s[i];

        switch (c) {
        case '"':
        case '\\':
            putc('\\', out);
            putc(c, out);
            break;
        case '\n':
            fputs("\\n", out);
            break;
        case '\r':
            fputs("\\r", out);
            break;
        case '\t':
            fputs("\\t", out);
            break;
        default:
            if (c < ' ' || c == 0x7f) {
                fprintf(out, "\\x%02x", c);
            } else {
                putc(c, out);
            }
        }
    }

    putc('"', out);
}


static int
load_read_replies(load_writer_t *w, size_t n)
{
    redisReply  *reply;

    for ( /* void */ ; n > 0; n--) {
        if (redisGetReply(w->ctx, (void **) &reply) != REDIS_OK) {
            snprintf(w->error, sizeof(w->error), "redis: %s",
                     w->ctx->errstr);
            return -1;
        }

        if (reply->type == REDIS_REPLY_ERROR
            && ++w->errors <= LOAD_ERRORS_SHOWN)
        {
            fprintf(stderr, "%s:%lu: redis: %s\n", w->name,
                    w->lines[w->first], reply->str);
        }

        freeReplyObject(reply);

        w->first = (w->first + 1) % (2 * LOAD_BATCH);
        w->sent--;
    }

    return 0;
}


static char *
load_decimal(char *p, size_t n)
{
    char    digits[24];
    size_t  i;

    i = sizeof(digits);

    do {
        digits[--i] = '0' + n % 10;
        n /= 10;
    } while (n != 0);

    memcpy(p, digits + i, sizeof(digits) - i);

    return p + sizeof(digits) - i;
}


/* Appends a command in the Redis protocol: "*ARGC", then "$LEN" ARG each. */
static int
load_encode(load_writer_t *w, int argc, const char **argv,
    const size_t *argvlen)
{
    int      i;
    char    *p, *buf;
    size_t   need, cap;

    need = 24;
    for (i = 0; i < argc; i++) {
        need += 24 + argvlen[i];
    }

    if (w->len + need > w->cap) {
        cap = w->cap ? w->cap : 65536;
        while (cap < w->len + need) {
            cap *= 2;
        }

        buf = realloc(w->buf, cap);
        if (buf == NULL) {
            snprintf(w->error, sizeof(w->error), "out of memory");
            return -1;
        }

        w->buf = buf;
        w->cap = cap;
    }

    p = w->buf + w->len;

    *p++ = '*';
    p = load_decimal(p, argc);
    *p++ = '\r';
    *p++ = '\n';

    for (i = 0; i < argc; i++) {
        *p++ = '$';
        p = load_decimal(p, argvlen[i]);
        *p++ = '\r';
        *p++ = '\n';
        memcpy(p, argv[i], argvlen[i]);
        p += argvlen[i];
        *p++ = '\r';
        *p++ = '\n';
    }

    w->len = p - w->buf;

    return 0;
}


static int
load_send_batch(load_writer_t *w)
{
    int  done;

    if (w->len > 0
        && redisAppendFormattedCommand(w->ctx, w->buf, w->len) != REDIS_OK)
    {
        snprintf(w->error, sizeof(w->error), "redis: %s", w->ctx->errstr);
        return -1;
    }

    w->len = 0;

    do {
        if (redisBufferWrite(w->ctx, &done) != REDIS_OK) {
            snprintf(w->error, sizeof(w->error), "redis: %s",
                     w->ctx->errstr);
            return -1;
        }
    } while (!done);

    w->sent += w->batch;
    w->batch = 0;

    return 0;
}


int
load_writer_cmd(load_writer_t *w, unsigned long line, int argc,
    const char **argv, const size_t *argvlen)
{
    int  i;

    if (w->ctx == NULL) {
        for (i = 0; i < argc; i++) {
            if (i > 0) {
                putc(' ', w->out);
            }
            load_print_arg(w->out, argv[i], argvlen[i]);
        }

        putc('\n', w->out);

        return 0;
    }

    if (load_encode(w, argc, argv, argvlen) != 0) {
        return -1;
    }

    w->lines[(w->first + w->sent + w->batch) % (2 * LOAD_BATCH)] = line;

    if (++w->batch < LOAD_BATCH) {
        return 0;
    }

    /* the replies of the previous batch, while Redis works on this one */
    if (load_send_batch(w) != 0) {
        return -1;
    }

    return load_read_replies(w, w->sent - LOAD_BATCH);
}


int
load_writer_flush(load_writer_t *w)
{
    if (w->ctx == NULL) {
        return fflush(w->out) == 0 ? 0 : -1;
    }

    if (load_send_batch(w) != 0) {
        return -1;
    }

    return load_read_replies(w, w->sent);
}


unsigned long
load_writer_errors(const load_writer_t *w)
{
    return w->errors;
}


const char *
load_writer_error(const load_writer_t *w)
{
    return w->error;
}


void
load_writer_free(load_writer_t *w)
{
    if (w == NULL) {
        return;
    }

    if (w->ctx != NULL) {
        redisFree(w->ctx);
    }

    free(w->buf);
    free(w);
}
