/*
 * The Redis reader's objects.  hiredis's own make a malloc for every
 * element and every string of a reply and a free of each afterwards, forty
 * of each for the three HGETALLs of a miss; ours build a reply in one
 * block (more only for a reply past its 4 KB).  hiredis frees the root
 * of a reply only, complete or not, through freeObject; a reply is
 * called back and freed before the next one on its link is begun, so a
 * spare block serves nearly every reply.
 *
 * They also refuse a reply no command waits for, which fails the reader:
 * the link is dropped and reconnected, as for any protocol error (hiredis
 * 0.14 asserts on it, aborting the worker).  A reply reaches the reader
 * only within its link's budgets (redis_read.c), so an array's table,
 * made from its count before any element arrives, is bounded.
 */

#include "ngx_http_icp_redis_reply.h"


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


static void *ngx_http_icp_reply_string(const redisReadTask *task, char *str,
    size_t len);
static void *ngx_http_icp_reply_array(const redisReadTask *task,
    int elements);
static void *ngx_http_icp_reply_integer(const redisReadTask *task,
    long long value);
static void *ngx_http_icp_reply_nil(const redisReadTask *task);
static void ngx_http_icp_reply_free(void *obj);
static ngx_inline redisReply *ngx_http_icp_reply_new(
    const redisReadTask *task, int type, size_t size);
static redisReply *ngx_http_icp_reply_grow(const redisReadTask *task,
    int type, size_t size);
static ngx_inline void ngx_http_icp_reply_init(redisReply *r, int type);


redisReplyObjectFunctions  ngx_http_icp_redis_reply_fn = {
    ngx_http_icp_reply_string,
    ngx_http_icp_reply_array,
    ngx_http_icp_reply_integer,
    ngx_http_icp_reply_nil,
    ngx_http_icp_reply_free
};

static ngx_http_icp_reply_t  *ngx_http_icp_reply_spare;


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
    redisReply  *r;

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

/* At exit: no reader is left to give the spare block back. */

void
ngx_http_icp_redis_reply_exit(void)
{
    if (ngx_http_icp_reply_spare) {
        ngx_free(ngx_http_icp_reply_spare);
        ngx_http_icp_reply_spare = NULL;
    }
}
