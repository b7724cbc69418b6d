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
 *
 * Both batches stay encoded until they are answered: when the connection
 * fails, or the server turns out to be a replica (READONLY), a writer
 * given a locate function (sentinel.c) connects to the address it names
 * and sends them again.  HSET and EXPIRE of the same values are
 * idempotent, so a command that was applied before the failure is simply
 * applied twice; its second reply is dropped.
 */

#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <hiredis/hiredis.h>

#include "writer.h"


#define LOAD_BATCH          1000

/* error replies reported one by one; later ones are only counted */
#define LOAD_ERRORS_SHOWN   10


typedef struct {
    char                   *buf;        /* commands in the Redis protocol */
    size_t                  len;
    size_t                  cap;
    size_t                  n;          /* how many */
} load_batch_t;


struct load_writer_s {
    redisContext           *ctx;
    FILE                   *out;
    const char             *name;
    int                     db;
    const char             *password;
    unsigned long           lines[2 * LOAD_BATCH];  /* each one's CSV line */
    size_t                  first;      /* its first unanswered one */
    size_t                  sent;       /* commands sent, unanswered */
    size_t                  skip;       /* replies answered twice: drop */
    load_batch_t            batch[2];   /* [cur]: being built; the other:
                                           sent before it */
    int                     cur;
    load_writer_locate_pt   locate;
    void                   *data;
    unsigned                attempt;    /* locates since the last answer */
    unsigned long           errors;
    char                    error[256];
};


static int load_writer_recover(load_writer_t *w);


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


redisContext *
load_writer_connect(const char *addr, long ms)
{
    int             port;
    char            host[256], *end;
    size_t          n;
    const char     *colon;
    struct timeval  tv;

    tv.tv_sec = ms / 1000;
    tv.tv_usec = ms % 1000 * 1000;

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


/*
 * Connects, then AUTH and SELECT; with w->error set, -1 when the server
 * cannot be reached or talked to, -2 when it refused AUTH or SELECT.
 */
static int
load_writer_open(load_writer_t *w, const char *addr)
{
    char            dbtext[16];
    const char     *argv[2];
    struct timeval  tv = { 60, 0 };

    if (w->ctx != NULL) {
        redisFree(w->ctx);
    }

    w->ctx = load_writer_connect(addr, 5000);

    if (w->ctx == NULL || w->ctx->err) {
        snprintf(w->error, sizeof(w->error),
                 "cannot connect to redis at %s: %s", addr,
                 w->ctx ? w->ctx->errstr : "invalid address");
        return -1;
    }

    /* a reply that takes this long means Redis is stuck, not busy */
    redisSetTimeout(w->ctx, tv);

    if (w->password != NULL) {
        argv[0] = "AUTH";
        argv[1] = w->password;

        if (load_writer_setup(w, "AUTH", 2, argv) != 0) {
            return -2;
        }
    }

    if (w->db >= 0) {
        snprintf(dbtext, sizeof(dbtext), "%d", w->db);
        argv[0] = "SELECT";
        argv[1] = dbtext;

        if (load_writer_setup(w, "SELECT", 2, argv) != 0) {
            return -2;
        }
    }

    return 0;
}


load_writer_t *
load_writer_redis(const char *addr, int db, const char *password,
    const char *name, char *err, size_t size)
{
    load_writer_t  *w;

    w = calloc(1, sizeof(load_writer_t));
    if (w == NULL) {
        snprintf(err, size, "out of memory");
        return NULL;
    }

    w->name = name;
    w->db = db;
    w->password = password;

    if (load_writer_open(w, addr) != 0) {
        snprintf(err, size, "%s", w->error);
        load_writer_free(w);
        return NULL;
    }

    return w;
}


load_writer_t *
load_writer_located(load_writer_locate_pt locate, void *data, int db,
    const char *password, const char *name, char *err, size_t size)
{
    load_writer_t  *w;

    w = calloc(1, sizeof(load_writer_t));
    if (w == NULL) {
        free(data);
        snprintf(err, size, "out of memory");
        return NULL;
    }

    w->name = name;
    w->db = db;
    w->password = password;
    w->locate = locate;
    w->data = data;

    /* no batch yet: this only connects */
    if (load_writer_recover(w) != 0) {
        snprintf(err, size, "%s", w->error);
        load_writer_free(w);
        return NULL;
    }

    /* the first failure starts a wait of its own */
    w->attempt = 0;

    return w;
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


/* hands bytes to hiredis and writes its whole output buffer */
static int
load_write(load_writer_t *w, const load_batch_t *b)
{
    int  done;

    if (b->len > 0
        && redisAppendFormattedCommand(w->ctx, b->buf, b->len) != REDIS_OK)
    {
        snprintf(w->error, sizeof(w->error), "redis: %s", w->ctx->errstr);
        return -1;
    }

    do {
        if (redisBufferWrite(w->ctx, &done) != REDIS_OK) {
            snprintf(w->error, sizeof(w->error), "redis: %s",
                     w->ctx->errstr);
            return -1;
        }
    } while (!done);

    return 0;
}


/*
 * After w->error (or before the first connection, with no error yet):
 * asks locate for an address until the unanswered batches are sent there
 * again, or locate gives up.  Their commands answered before are answered
 * again: those replies are skipped.
 */
static int
load_writer_recover(load_writer_t *w)
{
    int            rc;
    char           addr[300], why[sizeof(w->error)];
    load_batch_t  *prev, *next;

    if (w->locate == NULL) {
        return -1;
    }

    prev = &w->batch[!w->cur];
    next = &w->batch[w->cur];

    for ( ;; ) {
        memcpy(why, w->error, sizeof(why));

        if (w->locate(w->data, w->attempt++, why[0] ? why : NULL, addr,
                      sizeof(addr), w->error, sizeof(w->error))
            != 0)
        {
            return -1;
        }

        rc = load_writer_open(w, addr);

        if (rc == -2) {
            return -1;
        }

        if (rc == 0 && load_write(w, prev) == 0 && load_write(w, next) == 0)
        {
            w->skip = prev->n + next->n - w->sent;
            return 0;
        }
    }
}


/* a replica refuses writes: the primary has moved */
static int
load_readonly(const load_writer_t *w, const redisReply *reply)
{
    return w->locate != NULL && reply->type == REDIS_REPLY_ERROR
           && strncmp(reply->str, "READONLY ", 9) == 0;
}


static int
load_read_replies(load_writer_t *w, size_t n)
{
    redisReply  *reply;

    while (n > 0) {
        if (redisGetReply(w->ctx, (void **) &reply) != REDIS_OK) {
            snprintf(w->error, sizeof(w->error), "redis: %s",
                     w->ctx->errstr);

            if (load_writer_recover(w) != 0) {
                return -1;
            }

            continue;
        }

        if (load_readonly(w, reply)) {
            snprintf(w->error, sizeof(w->error), "redis: %s", reply->str);
            freeReplyObject(reply);

            if (load_writer_recover(w) != 0) {
                return -1;
            }

            continue;
        }

        if (w->skip > 0) {
            freeReplyObject(reply);
            w->skip--;
            continue;
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
        w->attempt = 0;
        n--;
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
    int            i;
    char          *p, *buf;
    size_t         need, cap;
    load_batch_t  *b;

    need = 24;
    for (i = 0; i < argc; i++) {
        need += 24 + argvlen[i];
    }

    b = &w->batch[w->cur];

    if (b->len + need > b->cap) {
        cap = b->cap ? b->cap : 65536;
        while (cap < b->len + need) {
            cap *= 2;
        }

        buf = realloc(b->buf, cap);
        if (buf == NULL) {
            snprintf(w->error, sizeof(w->error), "out of memory");
            return -1;
        }

        b->buf = buf;
        b->cap = cap;
    }

    p = b->buf + b->len;

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

    b->len = p - b->buf;

    return 0;
}


/* the batch being built goes out; it stays kept until it is answered */
static int
load_send_batch(load_writer_t *w)
{
    w->sent += w->batch[w->cur].n;

    if (load_write(w, &w->batch[w->cur]) != 0) {
        return load_writer_recover(w);
    }

    return 0;
}


int
load_writer_cmd(load_writer_t *w, unsigned long line, int argc,
    const char **argv, const size_t *argvlen)
{
    int            i;
    load_batch_t  *next, *prev;

    if (w->out != NULL) {
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

    next = &w->batch[w->cur];
    prev = &w->batch[!w->cur];

    w->lines[(w->first + w->sent + next->n) % (2 * LOAD_BATCH)] = line;

    if (++next->n < LOAD_BATCH) {
        return 0;
    }

    /* the replies of the previous batch, while Redis works on this one */
    if (load_send_batch(w) != 0
        || load_read_replies(w, w->sent - next->n) != 0)
    {
        return -1;
    }

    prev->len = 0;
    prev->n = 0;
    w->cur = !w->cur;

    return 0;
}


int
load_writer_flush(load_writer_t *w)
{
    if (w->out != NULL) {
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

    free(w->batch[0].buf);
    free(w->batch[1].buf);
    free(w->data);
    free(w);
}
