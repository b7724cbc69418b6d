/*
 * The lookup stage: the keys of a request, the shared cache, then one
 * pipelined round trip to Redis (two when a contact names its company's
 * domain), merged into ctx->firmo.
 *
 * Merge order: the longest IP key present (ip:, then net: from the
 * narrowest prefix) gives the company; the domain record (the domain key,
 * or else the contact's own "domain" field) overrides it field by field;
 * the contact record goes to ctx->firmo.contact.
 *
 * Queries in flight are per worker, by cache key: requests for the same
 * keys wait on the one query.  A waiter lives in its request's pool and
 * leaves the list when the request goes; the query, in a pool of its
 * own, always lives until hiredis has called back for every command,
 * then fills the cache.
 */

#include "ngx_http_icp_lookup_conf.h"
#include "report/instant.h"
#include "ngx_http_icp_redis.h"
#include "ngx_http_icp_cache.h"
#include "ngx_http_icp_cache_record.h"


/* the pairs one key gave, in the query's pool */
typedef struct {
    icp_firmo_pair_t            *pairs;
    size_t                       n;
    ngx_uint_t                   found;
} ngx_http_icp_record_t;


typedef struct ngx_http_icp_query_s  ngx_http_icp_query_t;

/* what a command's callback gets: its query and its key */
typedef struct {
    ngx_http_icp_query_t        *query;
    ngx_uint_t                   key;
    ngx_uint_t                   resent;    /* once, after a link reset */
} ngx_http_icp_slot_t;


struct ngx_http_icp_query_s {
    ngx_str_node_t               sn;        /* str: the cache key */
    ngx_pool_t                  *pool;
    ngx_log_t                   *log;
    ngx_http_icp_lookup_conf_t  *lc;
    ngx_http_icp_redis_t        *rs;
    ngx_event_t                  timer;
    ngx_queue_t                  waiters;
    ngx_uint_t                   pending;   /* callbacks to come */
    ngx_str_t                    keys[NGX_HTTP_ICP_KEY_N];
    ngx_http_icp_slot_t          slots[NGX_HTTP_ICP_KEY_N];
    ngx_http_icp_record_t        recs[NGX_HTTP_ICP_KEY_N];
    unsigned                     failed:1;
};


/* in the request's pool; request NULL once the query has answered it */
typedef struct {
    ngx_queue_t                  queue;
    ngx_http_request_t          *request;
    ngx_http_icp_ctx_t          *ctx;
    ngx_http_icp_lookup_done_pt  done;
    ngx_str_t                    stale;     /* expired entry, or empty */
} ngx_http_icp_waiter_t;


static ngx_http_icp_query_t *ngx_http_icp_query_start(
    ngx_http_icp_lookup_conf_t *lc, ngx_str_t *ck, ngx_str_t *keys);
static ngx_uint_t ngx_http_icp_query_send(ngx_http_icp_query_t *q,
    ngx_uint_t key, ngx_str_t *name);
static void ngx_http_icp_query_reply(redisAsyncContext *ac, void *r,
    void *data);
static void ngx_http_icp_query_hop(ngx_http_icp_query_t *q);
static void ngx_http_icp_query_timeout(ngx_event_t *ev);
static void ngx_http_icp_query_finish(ngx_http_icp_query_t *q);
static ngx_pool_t *ngx_http_icp_query_pool(void);
static void ngx_http_icp_query_pool_free(ngx_pool_t *pool);
static ngx_int_t ngx_http_icp_query_record(ngx_http_icp_query_t *q,
    ngx_str_t *out);
static ngx_uint_t ngx_http_icp_lookup_unmarked(ngx_shm_zone_t *zone,
    ngx_str_t *keys);
static void ngx_http_icp_waiter_cleanup(void *data);
static ngx_int_t ngx_http_icp_fallback(ngx_http_request_t *r,
    ngx_http_icp_ctx_t *ctx, ngx_str_t *stale);


static ngx_rbtree_t       ngx_http_icp_queries;
static ngx_rbtree_node_t  ngx_http_icp_queries_sentinel;
static ngx_uint_t         ngx_http_icp_lookup_exiting;


/*
 * Pools of finished queries, kept for the next ones: creating and
 * destroying one cost a miss 1,000 instructions.  Enough for the queries
 * an event loop iteration finishes and the next one starts under load;
 * the rest are destroyed.
 */

#define NGX_HTTP_ICP_QUERY_POOLS  32

static ngx_pool_t        *ngx_http_icp_query_pools[NGX_HTTP_ICP_QUERY_POOLS];
static ngx_uint_t         ngx_http_icp_nquery_pools;



ngx_int_t
ngx_http_icp_lookup_init_process(ngx_cycle_t *cycle)
{
    ngx_http_icp_main_conf_t    *mcf;
    ngx_http_icp_lookup_conf_t  *lc;

    mcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_icp_module);

    if (mcf == NULL || mcf->lookup == NULL
        || mcf->lookup->servers.nelts == 0)
    {
        return NGX_OK;
    }

    lc = mcf->lookup;

    ngx_rbtree_init(&ngx_http_icp_queries, &ngx_http_icp_queries_sentinel,
                    ngx_str_rbtree_insert_value);

    return ngx_http_icp_redis_init(cycle, lc->servers.elts,
                                   lc->servers.nelts);
}


void
ngx_http_icp_lookup_exit_process(ngx_cycle_t *cycle)
{
    ngx_http_icp_lookup_exiting = 1;

    /* the queries still out finish now, their pools destroyed */
    ngx_http_icp_redis_exit();

    while (ngx_http_icp_nquery_pools) {
        ngx_destroy_pool(
                ngx_http_icp_query_pools[--ngx_http_icp_nquery_pools]);
    }
}


ngx_int_t
ngx_http_icp_lookup(ngx_http_request_t *r, ngx_http_icp_ctx_t *ctx,
    ngx_http_icp_loc_conf_t *lcf, ngx_http_icp_lookup_done_pt done)
{
    uint32_t                     hash;
    ngx_int_t                    rc;
    ngx_str_t                    ck, rec, stale, *keys;
    ngx_uint_t                   state;
    ngx_str_node_t              *sn;
    ngx_pool_cleanup_t          *cln;
    ngx_http_icp_query_t        *q;
    ngx_http_icp_waiter_t       *w;
    ngx_http_icp_main_conf_t    *mcf;
    ngx_http_icp_lookup_conf_t  *lc;

    mcf = ngx_http_get_module_main_conf(r, ngx_http_icp_module);
    lc = mcf->lookup;

    ctx->decision.cache = NGX_HTTP_ICP_CACHE_BYPASS;

    if (lc == NULL || lc->servers.nelts == 0) {
        return NGX_OK;
    }

    keys = ngx_pcalloc(r->pool, NGX_HTTP_ICP_KEY_N * sizeof(ngx_str_t));
    if (keys == NULL) {
        return NGX_ERROR;
    }

    rc = ngx_http_icp_lookup_keys(r, lcf, keys);
    if (rc != NGX_OK) {
        return rc == NGX_DECLINED ? NGX_OK : NGX_ERROR;
    }

    if (lc->zone && ngx_http_icp_cache_marks(lc->zone)
        && ngx_http_icp_lookup_unmarked(lc->zone, keys) == 0)
    {
        /* known absent, as a negative entry is */
        ctx->decision.cache = NGX_HTTP_ICP_CACHE_HIT;
        return NGX_OK;
    }

    if (ngx_http_icp_lookup_cache_key(r->pool, lc, keys, &ck) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "icp lookup: \"%V\"", &ck);

    ngx_str_null(&stale);

    /* the cache's hash keys the queries in flight too */
    hash = ngx_http_icp_cache_hash(lc->zone, &ck);

    if (lc->zone) {
        rc = ngx_http_icp_cache_get(lc->zone, &ck, hash, r->pool, &rec,
                                    &state);

        if (rc == NGX_ERROR) {
            return NGX_ERROR;
        }

        if (rc == NGX_OK) {
            if (state == NGX_HTTP_ICP_CACHE_FRESH) {
                ctx->decision.cache = NGX_HTTP_ICP_CACHE_HIT;
                return ngx_http_icp_cache_record_decode(r->pool, &rec,
                                                        &ctx->firmo);
            }

            stale = rec;
        }
    }

    sn = ngx_str_rbtree_lookup(&ngx_http_icp_queries, &ck, hash);

    if (sn) {
        q = (ngx_http_icp_query_t *) sn;

    } else {
        if (ngx_http_icp_redis_pick() == NULL) {
            /* the circuit is open: no wait */
            return ngx_http_icp_fallback(r, ctx, &stale);
        }

        q = ngx_http_icp_query_start(lc, &ck, keys);

        if (q == NULL) {
            return ngx_http_icp_fallback(r, ctx, &stale);
        }

        q->sn.node.key = hash;
        ngx_rbtree_insert(&ngx_http_icp_queries, &q->sn.node);
    }

    /* a request that goes away first leaves the query to the others */

    cln = ngx_pool_cleanup_add(r->pool, sizeof(ngx_http_icp_waiter_t));
    if (cln == NULL) {
        return NGX_ERROR;
    }

    w = cln->data;
    w->request = r;
    w->ctx = ctx;
    w->done = done;
    w->stale = stale;

    ngx_queue_insert_tail(&q->waiters, &w->queue);

    cln->handler = ngx_http_icp_waiter_cleanup;

    return NGX_AGAIN;
}


/* the keys left once those over a reply budget are dropped */

static ngx_uint_t
ngx_http_icp_lookup_unmarked(ngx_shm_zone_t *zone, ngx_str_t *keys)
{
    ngx_uint_t  k, left;

    left = 0;

    for (k = 0; k < NGX_HTTP_ICP_KEY_N; k++) {
        if (keys[k].len && ngx_http_icp_cache_marked(zone, &keys[k])) {
            keys[k].len = 0;
        }

        left += (keys[k].len != 0);
    }

    return left;
}


void
ngx_http_icp_lookup_age(ngx_http_icp_ctx_t *ctx, ngx_http_icp_loc_conf_t *lcf)
{
    int64_t                ms;
    ngx_uint_t             i;
    ngx_http_icp_field_t  *f;

    if (lcf->lookup_max_age == 0) {
        return;
    }

    for (i = 0; i < ctx->firmo.nfirmo; i++) {
        f = &ctx->firmo.firmo[i];

        if (f->name.len != sizeof("as_of") - 1
            || ngx_strncmp(f->name.data, "as_of", sizeof("as_of") - 1) != 0)
        {
            continue;
        }

        if (rpt_instant((char *) f->value.data, f->value.len, &ms) == 0
            && ms / 1000 < (int64_t) (ngx_time() - lcf->lookup_max_age))
        {
            ctx->firmo.nfirmo = 0;
        }

        return;
    }
}


static void
ngx_http_icp_waiter_cleanup(void *data)
{
    ngx_http_icp_waiter_t  *w = data;

    /* the query goes on for the cache, without this request */

    if (w->request) {
        ngx_queue_remove(&w->queue);
    }
}


/* NULL: no command could be sent (or no memory): the caller falls back */

static ngx_http_icp_query_t *
ngx_http_icp_query_start(ngx_http_icp_lookup_conf_t *lc, ngx_str_t *ck,
    ngx_str_t *keys)
{
    ngx_uint_t             k;
    ngx_pool_t            *pool;
    ngx_http_icp_query_t  *q;

    /*
     * The query, its keys, commands and the pairs of the replies fit the
     * first block of the pool.
     */

    pool = ngx_http_icp_query_pool();
    if (pool == NULL) {
        return NULL;
    }

    q = ngx_pcalloc(pool, sizeof(ngx_http_icp_query_t));
    if (q == NULL) {
        goto failed;
    }

    q->pool = pool;
    q->log = ngx_cycle->log;
    q->lc = lc;
    q->rs = ngx_http_icp_redis_pick();

    q->sn.str.len = ck->len;
    q->sn.str.data = ngx_pstrdup(pool, ck);
    if (q->sn.str.data == NULL) {
        goto failed;
    }

    ngx_queue_init(&q->waiters);

    q->timer.handler = ngx_http_icp_query_timeout;
    q->timer.data = q;
    q->timer.log = q->log;

    /* the keys, in the request's pool, are copied into the commands */

    for (k = 0; k < NGX_HTTP_ICP_KEY_HOP; k++) {
        if (keys[k].len) {
            q->pending += ngx_http_icp_query_send(q, k, &keys[k]);
        }
    }

    if (q->pending == 0) {
        goto failed;
    }

    /* the replies may come back NULL now, but never before this returns */
    ngx_add_timer(&q->timer, q->rs->conf->timeout);

    return q;

failed:

    ngx_http_icp_query_pool_free(pool);
    return NULL;
}


/*
 * 1: the command is out and its callback will come; 0: it is not.
 * q->keys[key] becomes name, kept inside the command, which lives in the
 * query's pool.
 */

static ngx_uint_t
ngx_http_icp_query_send(ngx_http_icp_query_t *q, ngx_uint_t key,
    ngx_str_t *name)
{
    u_char     *cmd, *p;
    ngx_str_t  *prefix;

    prefix = &q->rs->conf->prefix;

    cmd = ngx_pnalloc(q->pool,
                      NGX_HTTP_ICP_REDIS_HGETALL_LEN(prefix->len + name->len));
    if (cmd == NULL) {
        q->failed = 1;
        return 0;
    }

    q->keys[key] = *name;
    p = ngx_http_icp_redis_hgetall(cmd, prefix, &q->keys[key]);

    q->slots[key].query = q;
    q->slots[key].key = key;

    if (ngx_http_icp_redis_send(q->rs, ngx_http_icp_query_reply,
                                &q->slots[key], cmd, p - cmd)
        != NGX_OK)
    {
        q->failed = 1;
        return 0;
    }

    return 1;
}


static void
ngx_http_icp_query_reply(redisAsyncContext *ac, void *r, void *data)
{
    ngx_http_icp_slot_t    *slot = data;

    u_char                 *p;
    size_t                  i, n, size;
    redisReply             *reply = r;
    icp_firmo_rc_t          rc;
    icp_firmo_pair_t        pairs[ICP_FIRMO_FIELDS_MAX], *kept;
    icp_firmo_wanted_t     *wanted;
    icp_firmo_warning_t     warning;
    ngx_http_icp_query_t   *q;
    ngx_http_icp_record_t  *rec;

    q = slot->query;
    rec = &q->recs[slot->key];

    if (reply == NULL) {
        if (q->rs->resetting && !slot->resent) {
            /* not an outage: a reply ahead of it went over budget */
            slot->resent = 1;

            if (ngx_http_icp_query_send(q, slot->key, &q->keys[slot->key])) {
                return;
            }
        }

        /* the link went; ngx_http_icp_redis has logged why */
        q->failed = 1;

    } else if (reply->type == REDIS_REPLY_ERROR
               && ngx_strncmp(reply->str, "WRONGTYPE", 9) != 0
               && !ngx_http_icp_redis_over(reply))
    {
        /* the link goes once this returns: said once, not per command */
        q->failed = 1;
        ngx_http_icp_redis_error(q->rs, reply->str);

    } else {
        ngx_http_icp_redis_answered(q->rs);

        wanted = (slot->key == NGX_HTTP_ICP_KEY_CONTACT) ? &q->lc->contact_set
                                                         : &q->lc->firmo_set;

        if (ngx_http_icp_redis_over(reply)) {
            /* absent, and not fetched again until negative_ttl is up */
            if (q->lc->zone) {
                ngx_http_icp_cache_mark(q->lc->zone, &q->keys[slot->key],
                                        q->lc->negative_ttl);
            }

            rc = ICP_FIRMO_MISSING;
            n = 0;
            warning.reason = reply->str + sizeof(NGX_HTTP_ICP_REDIS_OVER);
            warning.field.len = 0;

        } else {
            rc = icp_firmo_parse(reply, wanted, pairs, ICP_FIRMO_FIELDS_MAX,
                                 &n, &warning);
        }

        if (warning.reason) {
            ngx_log_error(NGX_LOG_WARN, q->log, 0,
                          "icp lookup: key \"%V%V\": %s%s%*s",
                          &q->rs->conf->prefix, &q->keys[slot->key],
                          warning.reason,
                          warning.field.len ? ", field " : "",
                          warning.field.len, warning.field.data);
        }

        rec->found = (rc == ICP_FIRMO_FOUND);

        /*
         * The reply is freed when this returns: the pairs and their values
         * move to the pool, in one piece; the names are q->lc's.  Never
         * NULL, even with no pair.
         */

        size = n * sizeof(icp_firmo_pair_t);

        for (i = 0; i < n; i++) {
            size += pairs[i].value.len;
        }

        kept = ngx_palloc(q->pool, size);

        if (kept == NULL) {
            q->failed = 1;

        } else {
            p = (u_char *) (kept + n);

            for (i = 0; i < n; i++) {
                kept[i].name = pairs[i].name;
                kept[i].value.data = (char *) p;
                kept[i].value.len = pairs[i].value.len;
                p = ngx_cpymem(p, pairs[i].value.data, pairs[i].value.len);
            }

            rec->pairs = kept;
            rec->n = n;
        }
    }

    if (--q->pending) {
        return;
    }

    if (!q->failed) {
        ngx_http_icp_query_hop(q);

        if (q->pending) {
            return;
        }
    }

    ngx_http_icp_query_finish(q);
}


/* the second round trip: the company of a contact, if nothing named it */

static void
ngx_http_icp_query_hop(ngx_http_icp_query_t *q)
{
    size_t                  i;
    ngx_int_t               rc;
    icp_firmo_pair_t       *pair;
    ngx_http_icp_record_t  *contact;

    contact = &q->recs[NGX_HTTP_ICP_KEY_CONTACT];

    if (q->keys[NGX_HTTP_ICP_KEY_DOMAIN].len
        || q->keys[NGX_HTTP_ICP_KEY_HOP].len
        || !contact->found)
    {
        return;
    }

    for (i = 0; i < contact->n; i++) {
        pair = &contact->pairs[i];

        if (pair->name.len == 6 && ngx_strncmp(pair->name.data, "domain", 6)
                                   == 0)
        {
            break;
        }
    }

    if (i == contact->n) {
        return;
    }

    rc = ngx_http_icp_lookup_domain_key(q->pool,
                                        (u_char *) pair->value.data,
                                        pair->value.len,
                                        &q->keys[NGX_HTTP_ICP_KEY_HOP]);

    if (rc == NGX_DECLINED) {
        return;
    }

    q->rs = ngx_http_icp_redis_pick();

    if (rc == NGX_ERROR || q->rs == NULL) {
        q->failed = 1;
        return;
    }

    q->pending = ngx_http_icp_query_send(q, NGX_HTTP_ICP_KEY_HOP,
                                         &q->keys[NGX_HTTP_ICP_KEY_HOP]);

    if (q->pending) {
        ngx_add_timer(&q->timer, q->rs->conf->timeout);
    }
}


static void
ngx_http_icp_query_timeout(ngx_event_t *ev)
{
    ngx_http_icp_query_t  *q = ev->data;

    /*
     * Every command out on that link fails now, this query's too: the
     * last callback finishes the query and frees it, ev with it.
     */

    ngx_http_icp_redis_timeout(q->rs);
}


static void
ngx_http_icp_query_finish(ngx_http_icp_query_t *q)
{
    time_t                       ttl;
    uint32_t                     hash;
    ngx_str_t                    rec, copy;
    ngx_queue_t                 *head;
    ngx_http_request_t          *r;
    ngx_http_icp_waiter_t       *w;
    ngx_http_icp_lookup_conf_t  *lc;

    lc = q->lc;

    if (q->timer.timer_set) {
        ngx_del_timer(&q->timer);
    }

    /* the cache's hash of the key: ngx_rbtree_delete() zeroes the node's */
    hash = (uint32_t) q->sn.node.key;
    ngx_rbtree_delete(&ngx_http_icp_queries, &q->sn.node);

    if (!q->failed && ngx_http_icp_query_record(q, &rec) != NGX_OK) {
        q->failed = 1;
    }

    if (!q->failed && lc->zone) {
        ttl = ngx_http_icp_cache_record_empty(&rec) ? lc->negative_ttl
                                                     : lc->ttl;
        ngx_http_icp_cache_put(lc->zone, &q->sn.str, hash, &rec, ttl,
                               lc->stale);
    }

    while (!ngx_queue_empty(&q->waiters)) {
        head = ngx_queue_head(&q->waiters);
        w = ngx_queue_data(head, ngx_http_icp_waiter_t, queue);

        ngx_queue_remove(head);
        r = w->request;
        w->request = NULL;

        if (ngx_http_icp_lookup_exiting) {
            continue;
        }

        if (q->failed) {
            (void) ngx_http_icp_fallback(r, w->ctx, &w->stale);

        } else {
            w->ctx->decision.cache = NGX_HTTP_ICP_CACHE_MISS;

            copy.len = rec.len;
            copy.data = ngx_pstrdup(r->pool, &rec);

            if (copy.data == NULL
                || ngx_http_icp_cache_record_decode(r->pool, &copy,
                                                    &w->ctx->firmo)
                   != NGX_OK)
            {
                (void) ngx_http_icp_fallback(r, w->ctx, NULL);
            }
        }

        w->done(r);
    }

    ngx_http_icp_query_pool_free(q->pool);
}


static ngx_pool_t *
ngx_http_icp_query_pool(void)
{
    if (ngx_http_icp_nquery_pools) {
        return ngx_http_icp_query_pools[--ngx_http_icp_nquery_pools];
    }

    return ngx_create_pool(4096, ngx_cycle->log);
}


/*
 * Nothing refers to the pool any more.  Kept only if it has no block but
 * its first (its large allocations are freed by the reset), and no
 * cleanups are ever added to it, which ngx_reset_pool() would not run.
 */

static void
ngx_http_icp_query_pool_free(ngx_pool_t *pool)
{
    if (pool->d.next == NULL
        && !ngx_http_icp_lookup_exiting
        && ngx_http_icp_nquery_pools < NGX_HTTP_ICP_QUERY_POOLS)
    {
        ngx_reset_pool(pool);
        ngx_http_icp_query_pools[ngx_http_icp_nquery_pools++] = pool;
        return;
    }

    ngx_destroy_pool(pool);
}

/*
 * The merged result of a query: the narrowest IP record, overridden field
 * by field by the domain's, and the contact's, as the cache keeps them.
 */

static ngx_int_t
ngx_http_icp_query_record(ngx_http_icp_query_t *q, ngx_str_t *out)
{
    size_t                  i, j, k, n;
    icp_firmo_pair_t        merged[ICP_FIRMO_FIELDS_MAX];
    ngx_http_icp_record_t  *ip, *domain, *contact;

    ip = NULL;

    for (k = NGX_HTTP_ICP_KEY_IP; k < NGX_HTTP_ICP_KEY_DOMAIN; k++) {
        if (q->recs[k].found) {
            ip = &q->recs[k];
            break;
        }
    }

    domain = q->keys[NGX_HTTP_ICP_KEY_DOMAIN].len
             ? &q->recs[NGX_HTTP_ICP_KEY_DOMAIN]
             : &q->recs[NGX_HTTP_ICP_KEY_HOP];
    contact = &q->recs[NGX_HTTP_ICP_KEY_CONTACT];

    n = 0;

    if (ip) {
        ngx_memcpy(merged, ip->pairs, ip->n * sizeof(icp_firmo_pair_t));
        n = ip->n;
    }

    for (i = 0; i < domain->n; i++) {
        for (j = 0; j < n; j++) {
            if (merged[j].name.len == domain->pairs[i].name.len
                && ngx_strncmp(merged[j].name.data, domain->pairs[i].name.data,
                               merged[j].name.len)
                   == 0)
            {
                break;
            }
        }

        if (j < n || n < ICP_FIRMO_FIELDS_MAX) {
            merged[j] = domain->pairs[i];
            n += (j == n);
        }
    }

    return ngx_http_icp_cache_record_encode(q->pool, merged, n,
                                            contact->pairs, contact->n, out);
}


/* Redis failed us: the expired entry if there is one, else no data */

static ngx_int_t
ngx_http_icp_fallback(ngx_http_request_t *r, ngx_http_icp_ctx_t *ctx,
    ngx_str_t *stale)
{
    ctx->firmo.firmo = NULL;
    ctx->firmo.nfirmo = 0;
    ctx->firmo.contact = NULL;
    ctx->firmo.ncontact = 0;

    if (stale && stale->len
        && ngx_http_icp_cache_record_decode(r->pool, stale, &ctx->firmo)
           == NGX_OK)
    {
        ctx->decision.cache = NGX_HTTP_ICP_CACHE_STALE;
        return NGX_OK;
    }

    ctx->decision.cache = NGX_HTTP_ICP_CACHE_ERROR;

    return NGX_OK;
}
