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

#include <arpa/inet.h>

#include "ngx_http_icp_lookup.h"
#include "ngx_http_icp_redis.h"
#include "ngx_http_icp_cache.h"
#include "icp_firmo.h"


#define NGX_HTTP_ICP_KEY_IP        0
#define NGX_HTTP_ICP_KEY_NET       1    /* up to 3, narrowest first */
#define NGX_HTTP_ICP_KEY_DOMAIN    4
#define NGX_HTTP_ICP_KEY_CONTACT   5
#define NGX_HTTP_ICP_KEY_HOP       6    /* the contact's company domain */
#define NGX_HTTP_ICP_KEY_N         7

/* an icp_lookup key not given; NGX_CONF_UNSET is NGX_ERROR, not this */
#define NGX_HTTP_ICP_NO_VAR        (-2)

#define NGX_HTTP_ICP_DOMAIN_MAX    253
#define NGX_HTTP_ICP_CONTACT_MAX   128


struct ngx_http_icp_lookup_conf_s {
    ngx_array_t                  servers;   /* ngx_http_icp_redis_conf_t */
    ngx_shm_zone_t              *zone;      /* NULL: no icp_cache */
    time_t                       ttl;
    time_t                       negative_ttl;
    time_t                       stale;

    icp_firmo_str_t             *firmo;     /* the fields worth keeping */
    size_t                       nfirmo;
    icp_firmo_wanted_t           firmo_set; /* the same, for the replies */
    icp_firmo_str_t             *contact;   /* plus "domain", for the hop */
    size_t                       ncontact;
    icp_firmo_wanted_t           contact_set;
    ngx_str_t                    fields_id; /* starts every cache key */
};


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


typedef struct {
    ngx_queue_t                  queue;
    ngx_http_request_t          *request;
    ngx_http_icp_ctx_t          *ctx;
    ngx_str_t                    stale;     /* expired entry, or empty */
} ngx_http_icp_waiter_t;


static ngx_int_t ngx_http_icp_lookup_var(ngx_conf_t *cf, ngx_str_t *value,
    ngx_int_t *index);
static ngx_int_t ngx_http_icp_wanted(ngx_conf_t *cf, ngx_array_t *names,
    ngx_uint_t hop, icp_firmo_str_t **list, size_t *n,
    icp_firmo_wanted_t *set);
static ngx_int_t ngx_http_icp_keys(ngx_http_request_t *r,
    ngx_http_icp_loc_conf_t *lcf, ngx_str_t *keys);
static ngx_int_t ngx_http_icp_ip_keys(ngx_pool_t *pool, u_char *text,
    size_t len, ngx_str_t *keys);
static ngx_int_t ngx_http_icp_ip4_keys(ngx_pool_t *pool, u_char *addr,
    ngx_str_t *keys);
static ngx_int_t ngx_http_icp_ip6_key(ngx_pool_t *pool, const char *kind,
    u_char *addr, ngx_uint_t bits, ngx_str_t *key);
static ngx_int_t ngx_http_icp_domain_key(ngx_pool_t *pool, u_char *name,
    size_t len, ngx_str_t *key);
static ngx_int_t ngx_http_icp_cache_key(ngx_pool_t *pool,
    ngx_http_icp_lookup_conf_t *lc, ngx_str_t *keys, ngx_str_t *ck);
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
static ngx_int_t ngx_http_icp_encode(ngx_http_icp_query_t *q,
    ngx_str_t *out);
static ngx_int_t ngx_http_icp_decode(ngx_pool_t *pool, ngx_str_t *rec,
    ngx_http_icp_firmo_t *firmo);
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


static ngx_http_icp_lookup_conf_t *
ngx_http_icp_lookup_conf(ngx_conf_t *cf, ngx_http_icp_main_conf_t *mcf)
{
    ngx_http_icp_lookup_conf_t  *lc;

    if (mcf->lookup) {
        return mcf->lookup;
    }

    lc = ngx_pcalloc(cf->pool, sizeof(ngx_http_icp_lookup_conf_t));
    if (lc == NULL) {
        return NULL;
    }

    if (ngx_array_init(&lc->servers, cf->pool, 2,
                       sizeof(ngx_http_icp_redis_conf_t))
        != NGX_OK)
    {
        return NULL;
    }

    lc->ttl = 600;
    lc->negative_ttl = 60;
    lc->stale = 0;

    mcf->lookup = lc;

    return lc;
}


char *
ngx_http_icp_redis_directive(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_icp_main_conf_t  *mcf = conf;

    ngx_str_t                   *value;
    ngx_http_icp_redis_conf_t   *rc;
    ngx_http_icp_lookup_conf_t  *lc;

    lc = ngx_http_icp_lookup_conf(cf, mcf);
    if (lc == NULL) {
        return NGX_CONF_ERROR;
    }

    rc = ngx_array_push(&lc->servers);
    if (rc == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_memzero(rc, sizeof(ngx_http_icp_redis_conf_t));

    value = cf->args->elts;

    return ngx_http_icp_redis_parse(cf, &value[1], cf->args->nelts - 1, rc);
}


char *
ngx_http_icp_cache_directive(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_icp_main_conf_t  *mcf = conf;

    u_char                      *p;
    time_t                      *t;
    ssize_t                      size;
    ngx_str_t                   *value, name, s;
    ngx_uint_t                   i;
    ngx_http_icp_lookup_conf_t  *lc;

    lc = ngx_http_icp_lookup_conf(cf, mcf);
    if (lc == NULL) {
        return NGX_CONF_ERROR;
    }

    if (lc->zone) {
        return "is duplicate";
    }

    value = cf->args->elts;
    name.len = 0;
    size = 0;

    for (i = 1; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "zone=", 5) == 0) {
            name.data = value[i].data + 5;
            p = ngx_strlchr(name.data, value[i].data + value[i].len, ':');

            if (p == NULL || p == name.data) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "invalid zone \"%V\": expected "
                                   "zone=NAME:SIZE", &value[i]);
                return NGX_CONF_ERROR;
            }

            name.len = p - name.data;
            s.data = p + 1;
            s.len = value[i].data + value[i].len - s.data;

            size = ngx_parse_size(&s);

            if (size == NGX_ERROR) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "invalid zone size \"%V\"", &value[i]);
                return NGX_CONF_ERROR;
            }

            if (size < (ssize_t) (8 * ngx_pagesize)) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "zone \"%V\" is too small: at least %uzk",
                                   &name, 8 * ngx_pagesize / 1024);
                return NGX_CONF_ERROR;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "ttl=", 4) == 0) {
            t = &lc->ttl;
            s.data = value[i].data + 4;

        } else if (ngx_strncmp(value[i].data, "negative_ttl=", 13) == 0) {
            t = &lc->negative_ttl;
            s.data = value[i].data + 13;

        } else if (ngx_strncmp(value[i].data, "stale=", 6) == 0) {
            t = &lc->stale;
            s.data = value[i].data + 6;

        } else {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid parameter \"%V\": expected "
                               "zone=NAME:SIZE, ttl=TIME, negative_ttl=TIME "
                               "or stale=TIME", &value[i]);
            return NGX_CONF_ERROR;
        }

        s.len = value[i].data + value[i].len - s.data;

        *t = ngx_parse_time(&s, 1);

        if (*t == (time_t) NGX_ERROR) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid time in \"%V\"", &value[i]);
            return NGX_CONF_ERROR;
        }
    }

    if (name.len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"icp_cache\" needs zone=NAME:SIZE");
        return NGX_CONF_ERROR;
    }

    lc->zone = ngx_http_icp_cache_zone(cf, &name, size);

    return lc->zone ? NGX_CONF_OK : NGX_CONF_ERROR;
}


char *
ngx_http_icp_lookup_directive(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_icp_loc_conf_t  *lcf = conf;

    ngx_str_t   *value, v;
    ngx_int_t   *index;
    ngx_uint_t   i;

    if (lcf->lookup_ip_index != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    lcf->lookup_ip_index = NGX_HTTP_ICP_NO_VAR;
    lcf->lookup_domain_index = NGX_HTTP_ICP_NO_VAR;
    lcf->lookup_contact_index = NGX_HTTP_ICP_NO_VAR;

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "ip=", 3) == 0) {
            index = &lcf->lookup_ip_index;
            v.data = value[i].data + 3;
            v.len = value[i].len - 3;

        } else if (ngx_strncmp(value[i].data, "domain=", 7) == 0) {
            index = &lcf->lookup_domain_index;
            v.data = value[i].data + 7;
            v.len = value[i].len - 7;

        } else if (ngx_strncmp(value[i].data, "contact=", 8) == 0) {
            index = &lcf->lookup_contact_index;
            v.data = value[i].data + 8;
            v.len = value[i].len - 8;

        } else {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid parameter \"%V\": expected ip=$VAR, "
                               "domain=$VAR or contact=$VAR", &value[i]);
            return NGX_CONF_ERROR;
        }

        if (ngx_http_icp_lookup_var(cf, &v, index) != NGX_OK) {
            return NGX_CONF_ERROR;
        }
    }

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_icp_lookup_var(ngx_conf_t *cf, ngx_str_t *value, ngx_int_t *index)
{
    ngx_str_t  name;

    if (value->len < 2 || value->data[0] != '$') {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" is not a variable: expected $NAME", value);
        return NGX_ERROR;
    }

    name.data = value->data + 1;
    name.len = value->len - 1;

    *index = ngx_http_get_variable_index(cf, &name);

    return *index == NGX_ERROR ? NGX_ERROR : NGX_OK;
}


ngx_int_t
ngx_http_icp_lookup_merge(ngx_conf_t *cf, ngx_http_icp_loc_conf_t *prev,
    ngx_http_icp_loc_conf_t *conf)
{
    ngx_str_t  addr = ngx_string("$remote_addr");

    if (conf->lookup_ip_index == NGX_CONF_UNSET) {
        conf->lookup_ip_index = prev->lookup_ip_index;
        conf->lookup_domain_index = prev->lookup_domain_index;
        conf->lookup_contact_index = prev->lookup_contact_index;
    }

    if (conf->lookup_ip_index == NGX_CONF_UNSET) {
        conf->lookup_domain_index = NGX_HTTP_ICP_NO_VAR;
        conf->lookup_contact_index = NGX_HTTP_ICP_NO_VAR;

        return ngx_http_icp_lookup_var(cf, &addr, &conf->lookup_ip_index);
    }

    return NGX_OK;
}



/*
 * The rules' and the log's fields are all an entry keeps.  Cache keys
 * start with a hash of that field set, so a reload with other rules never
 * reads entries that lack a field it now needs.
 */

char *
ngx_http_icp_lookup_init_conf(ngx_conf_t *cf, ngx_http_icp_main_conf_t *mcf)
{
    size_t                       i;
    uint32_t                     h;
    ngx_http_icp_lookup_conf_t  *lc;

    lc = mcf->lookup;

    if (lc == NULL) {
        return NGX_CONF_OK;
    }

    if (lc->servers.nelts == 0) {
        ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                           "\"icp_cache\" without \"icp_redis\": "
                           "no firmographic lookups");
    }

    if (ngx_http_icp_wanted(cf, &mcf->firmo_fields, 0, &lc->firmo,
                            &lc->nfirmo, &lc->firmo_set)
        != NGX_OK
        || ngx_http_icp_wanted(cf, &mcf->contact_fields, 1, &lc->contact,
                               &lc->ncontact, &lc->contact_set)
           != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    h = 0;

    for (i = 0; i < lc->nfirmo; i++) {
        h = lfr_murmur3_32(lc->firmo[i].data, lc->firmo[i].len + 1, h);
    }

    h = lfr_murmur3_32("|", 1, h);

    for (i = 0; i < lc->ncontact; i++) {
        h = lfr_murmur3_32(lc->contact[i].data, lc->contact[i].len + 1, h);
    }

    lc->fields_id.data = ngx_pnalloc(cf->pool, 8);
    if (lc->fields_id.data == NULL) {
        return NGX_CONF_ERROR;
    }

    lc->fields_id.len = ngx_sprintf(lc->fields_id.data, "%08xD", h)
                        - lc->fields_id.data;

    return NGX_CONF_OK;
}


/* names are NUL-terminated, so the hash above separates them */

static ngx_int_t
ngx_http_icp_wanted(ngx_conf_t *cf, ngx_array_t *names, ngx_uint_t hop,
    icp_firmo_str_t **list, size_t *n, icp_firmo_wanted_t *set)
{
    size_t            k;
    uint32_t         *slots;
    ngx_str_t        *name;
    ngx_uint_t        i;
    icp_firmo_str_t  *l;

    l = ngx_palloc(cf->pool, (names->nelts + 1) * sizeof(icp_firmo_str_t));
    if (l == NULL) {
        return NGX_ERROR;
    }

    name = names->elts;
    k = 0;

    for (i = 0; i < names->nelts; i++) {
        l[k].data = (char *) ngx_pnalloc(cf->pool, name[i].len + 1);
        if (l[k].data == NULL) {
            return NGX_ERROR;
        }

        ngx_cpystrn((u_char *) l[k].data, name[i].data, name[i].len + 1);
        l[k].len = name[i].len;

        if (hop && l[k].len == 6 && ngx_strncmp(l[k].data, "domain", 6) == 0)
        {
            hop = 0;
        }

        k++;
    }

    if (hop) {
        l[k].data = "domain";
        l[k].len = 6;
        k++;
    }

    slots = ngx_palloc(cf->pool, icp_firmo_wanted_slots(k) * sizeof(uint32_t));
    if (slots == NULL) {
        return NGX_ERROR;
    }

    icp_firmo_wanted_init(set, l, k, slots);

    *list = l;
    *n = k;

    return NGX_OK;
}


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
    ngx_http_icp_loc_conf_t *lcf)
{
    uint32_t                     hash;
    ngx_int_t                    rc;
    ngx_str_t                    ck, rec, stale, *keys;
    ngx_uint_t                   state;
    ngx_str_node_t              *sn;
    ngx_http_icp_query_t        *q;
    ngx_http_icp_waiter_t       *w;
    ngx_http_icp_main_conf_t    *mcf;
    ngx_http_icp_lookup_conf_t  *lc;

    mcf = ngx_http_get_module_main_conf(r, ngx_http_icp_module);
    lc = mcf->lookup;

    ctx->firmo.cache = NGX_HTTP_ICP_CACHE_BYPASS;

    if (lc == NULL || lc->servers.nelts == 0) {
        return NGX_OK;
    }

    keys = ngx_pcalloc(r->pool, NGX_HTTP_ICP_KEY_N * sizeof(ngx_str_t));
    if (keys == NULL) {
        return NGX_ERROR;
    }

    rc = ngx_http_icp_keys(r, lcf, keys);
    if (rc != NGX_OK) {
        return rc == NGX_DECLINED ? NGX_OK : NGX_ERROR;
    }

    if (ngx_http_icp_cache_key(r->pool, lc, keys, &ck) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "icp lookup: \"%V\"", &ck);

    ngx_str_null(&stale);

    /* the cache's hash keys the queries in flight too */
    hash = ngx_http_icp_cache_hash(&ck);

    if (lc->zone) {
        rc = ngx_http_icp_cache_get(lc->zone, &ck, hash, r->pool, &rec,
                                    &state);

        if (rc == NGX_ERROR) {
            return NGX_ERROR;
        }

        if (rc == NGX_OK) {
            if (state == NGX_HTTP_ICP_CACHE_FRESH) {
                ctx->firmo.cache = NGX_HTTP_ICP_CACHE_HIT;
                return ngx_http_icp_decode(r->pool, &rec, &ctx->firmo);
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

    w = ngx_palloc(r->pool, sizeof(ngx_http_icp_waiter_t));
    if (w == NULL) {
        return NGX_ERROR;
    }

    w->request = r;
    w->ctx = ctx;
    w->stale = stale;

    ngx_queue_insert_tail(&q->waiters, &w->queue);
    ctx->lookup = w;

    return NGX_AGAIN;
}


void
ngx_http_icp_lookup_cancel(ngx_http_icp_ctx_t *ctx)
{
    ngx_http_icp_waiter_t  *w;

    w = ctx->lookup;

    if (w) {
        /* the query goes on for the cache, without this request */
        ngx_queue_remove(&w->queue);
        ctx->lookup = NULL;
    }
}


/* NGX_DECLINED: the request has no usable key */

static ngx_int_t
ngx_http_icp_keys(ngx_http_request_t *r, ngx_http_icp_loc_conf_t *lcf,
    ngx_str_t *keys)
{
    u_char                     *p;
    ngx_int_t                   rc;
    ngx_uint_t                  found;
    ngx_http_variable_value_t  *v;

    found = 0;

    if (lcf->lookup_ip_index != NGX_HTTP_ICP_NO_VAR) {
        v = ngx_http_get_indexed_variable(r, lcf->lookup_ip_index);

        if (v && !v->not_found && v->len) {
            rc = ngx_http_icp_ip_keys(r->pool, v->data, v->len, keys);
            if (rc == NGX_ERROR) {
                return NGX_ERROR;
            }

            found += (rc == NGX_OK);
        }
    }

    if (lcf->lookup_domain_index != NGX_HTTP_ICP_NO_VAR) {
        v = ngx_http_get_indexed_variable(r, lcf->lookup_domain_index);

        if (v && !v->not_found && v->len) {
            rc = ngx_http_icp_domain_key(r->pool, v->data, v->len,
                                         &keys[NGX_HTTP_ICP_KEY_DOMAIN]);
            if (rc == NGX_ERROR) {
                return NGX_ERROR;
            }

            found += (rc == NGX_OK);
        }
    }

    if (lcf->lookup_contact_index != NGX_HTTP_ICP_NO_VAR) {
        v = ngx_http_get_indexed_variable(r, lcf->lookup_contact_index);

        if (v && !v->not_found && v->len
            && v->len <= NGX_HTTP_ICP_CONTACT_MAX)
        {
            p = ngx_pnalloc(r->pool, sizeof("contact:") - 1 + v->len);
            if (p == NULL) {
                return NGX_ERROR;
            }

            keys[NGX_HTTP_ICP_KEY_CONTACT].data = p;
            p = ngx_cpymem(p, "contact:", sizeof("contact:") - 1);
            p = ngx_cpymem(p, v->data, v->len);
            keys[NGX_HTTP_ICP_KEY_CONTACT].len =
                                    p - keys[NGX_HTTP_ICP_KEY_CONTACT].data;
            found++;
        }
    }

    return found ? NGX_OK : NGX_DECLINED;
}


/*
 * The exact key and the network keys, in the text icp-load writes:
 * inet_ntop's, which for IPv6 is RFC 5952.  An IPv4-mapped IPv6 address
 * is looked up as the IPv4 address it is.
 */

static ngx_int_t
ngx_http_icp_ip_keys(ngx_pool_t *pool, u_char *text, size_t len,
    ngx_str_t *keys)
{
    int                 family;
    u_char              net[16];
    char                buf[NGX_INET6_ADDRSTRLEN + 1];
    ngx_uint_t          i, k;
    struct in6_addr     a6;

    static const ngx_uint_t  lens[] = { 64, 48, 32, 0 };

    if (len > NGX_INET6_ADDRSTRLEN) {
        return NGX_DECLINED;
    }

    ngx_cpystrn((u_char *) buf, text, len + 1);

    if (inet_pton(AF_INET, buf, &a6) == 1) {
        family = AF_INET;

    } else if (inet_pton(AF_INET6, buf, &a6) == 1) {
        family = AF_INET6;

        if (IN6_IS_ADDR_V4MAPPED(&a6)) {
            ngx_memmove(a6.s6_addr, &a6.s6_addr[12], 4);
            family = AF_INET;
        }

    } else {
        return NGX_DECLINED;
    }

    if (family == AF_INET) {
        return ngx_http_icp_ip4_keys(pool, a6.s6_addr, keys);
    }

    if (ngx_http_icp_ip6_key(pool, "ip:", a6.s6_addr, 0,
                             &keys[NGX_HTTP_ICP_KEY_IP])
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    /* every prefix length is whole bytes */

    for (k = 0; lens[k]; k++) {
        for (i = 0; i < 16; i++) {
            net[i] = (i * 8 < lens[k]) ? a6.s6_addr[i] : 0;
        }

        if (ngx_http_icp_ip6_key(pool, "net:", net, lens[k],
                                 &keys[NGX_HTTP_ICP_KEY_NET + k])
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


/*
 * ip:A.B.C.D, net:A.B.C.0/24 and net:A.B.0.0/16, in one allocation, the
 * networks cut from the address's text.  Written digit by digit: glibc's
 * inet_ntop formats IPv4 with sprintf (2,000 instructions), ngx_inet_ntop
 * and ngx_sprintf cost a key 1,100, and each key written on its own 240.
 */

static ngx_int_t
ngx_http_icp_ip4_keys(ngx_pool_t *pool, u_char *addr, ngx_str_t *keys)
{
    u_char      *p, *a, *dot[4];
    ngx_str_t   *key;
    ngx_uint_t   i, n;

    p = ngx_pnalloc(pool, sizeof("ip:255.255.255.255") - 1
                          + sizeof("net:255.255.255.0/24") - 1
                          + sizeof("net:255.255.0.0/16") - 1);
    if (p == NULL) {
        return NGX_ERROR;
    }

    key = &keys[NGX_HTTP_ICP_KEY_IP];
    key->data = p;
    p = ngx_cpymem(p, "ip:", sizeof("ip:") - 1);
    a = p;

    for (i = 0; i < 4; i++) {
        n = addr[i];

        if (n >= 100) {
            *p++ = (u_char) ('0' + n / 100);
        }

        if (n >= 10) {
            *p++ = (u_char) ('0' + n / 10 % 10);
        }

        *p++ = (u_char) ('0' + n % 10);
        dot[i] = p;
        *p++ = '.';
    }

    /* no dot after the last byte */
    key->len = dot[3] - key->data;
    p = dot[3];

    key = &keys[NGX_HTTP_ICP_KEY_NET];
    key->data = p;
    p = ngx_cpymem(p, "net:", sizeof("net:") - 1);
    p = ngx_cpymem(p, a, dot[2] + 1 - a);
    p = ngx_cpymem(p, "0/24", sizeof("0/24") - 1);
    key->len = p - key->data;

    key = &keys[NGX_HTTP_ICP_KEY_NET + 1];
    key->data = p;
    p = ngx_cpymem(p, "net:", sizeof("net:") - 1);
    p = ngx_cpymem(p, a, dot[1] + 1 - a);
    p = ngx_cpymem(p, "0.0/16", sizeof("0.0/16") - 1);
    key->len = p - key->data;

    return NGX_OK;
}


/* KIND ADDR, or KIND ADDR/BITS when bits are given, in RFC 5952 form */

static ngx_int_t
ngx_http_icp_ip6_key(ngx_pool_t *pool, const char *kind, u_char *addr,
    ngx_uint_t bits, ngx_str_t *key)
{
    u_char  *p;
    char     buf[NGX_INET6_ADDRSTRLEN + 1];

    p = ngx_pnalloc(pool, sizeof("net:") + sizeof(buf) + sizeof("/64"));
    if (p == NULL) {
        return NGX_ERROR;
    }

    key->data = p;
    p = ngx_cpymem(p, kind, ngx_strlen(kind));

    if (inet_ntop(AF_INET6, addr, buf, sizeof(buf)) == NULL) {
        return NGX_ERROR;
    }

    p = ngx_cpymem(p, buf, ngx_strlen(buf));

    /* at most 64 */

    if (bits) {
        *p++ = '/';

        if (bits >= 10) {
            *p++ = (u_char) ('0' + bits / 10);
        }

        *p++ = (u_char) ('0' + bits % 10);
    }

    key->len = p - key->data;

    return NGX_OK;
}


/*
 * The form icp-load writes: lower case, no "www.", no trailing dot.
 * NGX_DECLINED: not a domain name.
 */

static ngx_int_t
ngx_http_icp_domain_key(ngx_pool_t *pool, u_char *name, size_t len,
    ngx_str_t *key)
{
    u_char      c, *p;
    ngx_uint_t  i;

    while (len && name[len - 1] == '.') {
        len--;
    }

    if (len > 4 && ngx_strncasecmp(name, (u_char *) "www.", 4) == 0) {
        name += 4;
        len -= 4;
    }

    if (len == 0 || len > NGX_HTTP_ICP_DOMAIN_MAX || name[0] == '.') {
        return NGX_DECLINED;
    }

    p = ngx_pnalloc(pool, sizeof("domain:") - 1 + len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    key->data = p;
    p = ngx_cpymem(p, "domain:", sizeof("domain:") - 1);

    for (i = 0; i < len; i++) {
        c = ngx_tolower(name[i]);

        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
              || c == '-' || c == '.' || c == '_' || c >= 0x80))
        {
            return NGX_DECLINED;
        }

        *p++ = c;
    }

    key->len = p - key->data;

    return NGX_OK;
}


/* FIELDS_ID|ip:ADDR|domain:NAME|contact:ID, absent keys left empty */

static ngx_int_t
ngx_http_icp_cache_key(ngx_pool_t *pool, ngx_http_icp_lookup_conf_t *lc,
    ngx_str_t *keys, ngx_str_t *ck)
{
    u_char      *p;
    ngx_str_t   *key;
    ngx_uint_t   i;

    static const ngx_uint_t  parts[] = {
        NGX_HTTP_ICP_KEY_IP, NGX_HTTP_ICP_KEY_DOMAIN, NGX_HTTP_ICP_KEY_CONTACT
    };

    ck->len = lc->fields_id.len + 3
              + keys[NGX_HTTP_ICP_KEY_IP].len
              + keys[NGX_HTTP_ICP_KEY_DOMAIN].len
              + keys[NGX_HTTP_ICP_KEY_CONTACT].len;

    ck->data = ngx_pnalloc(pool, ck->len);
    if (ck->data == NULL) {
        return NGX_ERROR;
    }

    /* not ngx_sprintf: 400 instructions a request */

    p = ngx_cpymem(ck->data, lc->fields_id.data, lc->fields_id.len);

    for (i = 0; i < 3; i++) {
        key = &keys[parts[i]];
        *p++ = '|';

        if (key->len) {
            p = ngx_cpymem(p, key->data, key->len);
        }
    }

    return NGX_OK;
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
        /* the link went; ngx_http_icp_redis has logged why */
        q->failed = 1;

    } else if (reply->type == REDIS_REPLY_ERROR
               && ngx_strncmp(reply->str, "WRONGTYPE", 9) != 0)
    {
        /* the link goes once this returns: said once, not per command */
        q->failed = 1;
        ngx_http_icp_redis_error(q->rs, reply->str);

    } else {
        ngx_http_icp_redis_answered(q->rs);

        wanted = (slot->key == NGX_HTTP_ICP_KEY_CONTACT) ? &q->lc->contact_set
                                                         : &q->lc->firmo_set;

        rc = icp_firmo_parse(reply, wanted, pairs, ICP_FIRMO_FIELDS_MAX, &n,
                             &warning);

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

    rc = ngx_http_icp_domain_key(q->pool, (u_char *) pair->value.data,
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

    if (!q->failed && ngx_http_icp_encode(q, &rec) != NGX_OK) {
        q->failed = 1;
    }

    if (!q->failed && lc->zone) {
        /* two zero counts: nothing found, a negative entry */
        ttl = (rec.data[0] || rec.data[1]) ? lc->ttl : lc->negative_ttl;
        ngx_http_icp_cache_put(lc->zone, &q->sn.str, hash, &rec, ttl,
                               lc->stale);
    }

    while (!ngx_queue_empty(&q->waiters)) {
        head = ngx_queue_head(&q->waiters);
        w = ngx_queue_data(head, ngx_http_icp_waiter_t, queue);

        ngx_queue_remove(head);
        w->ctx->lookup = NULL;

        if (ngx_http_icp_lookup_exiting) {
            continue;
        }

        r = w->request;

        if (q->failed) {
            (void) ngx_http_icp_fallback(r, w->ctx, &w->stale);

        } else {
            w->ctx->firmo.cache = NGX_HTTP_ICP_CACHE_MISS;

            copy.len = rec.len;
            copy.data = ngx_pstrdup(r->pool, &rec);

            if (copy.data == NULL
                || ngx_http_icp_decode(r->pool, &copy, &w->ctx->firmo)
                   != NGX_OK)
            {
                (void) ngx_http_icp_fallback(r, w->ctx, NULL);
            }
        }

        ngx_http_icp_lookup_done(r);
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
 * A record, as cached and as handed to the waiters: the number of
 * firmographic and of contact fields (a byte each), then per field the
 * name's and the value's length (two bytes each, big-endian), the name
 * and the value.  At most ICP_FIRMO_FIELDS_MAX fields of each kind, values
 * of at most ICP_FIRMO_VALUE_MAX bytes.
 */

static ngx_int_t
ngx_http_icp_encode(ngx_http_icp_query_t *q, ngx_str_t *out)
{
    u_char                 *p;
    size_t                  i, j, k, n, size;
    icp_firmo_pair_t        merged[ICP_FIRMO_FIELDS_MAX], *list;
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

    size = 2;

    for (k = 0; k < 2; k++) {
        list = k ? contact->pairs : merged;

        for (i = 0; i < (k ? contact->n : n); i++) {
            size += 4 + list[i].name.len + list[i].value.len;
        }
    }

    p = ngx_pnalloc(q->pool, size);
    if (p == NULL) {
        return NGX_ERROR;
    }

    out->data = p;
    out->len = size;

    *p++ = (u_char) n;
    *p++ = (u_char) contact->n;

    for (k = 0; k < 2; k++) {
        list = k ? contact->pairs : merged;

        for (i = 0; i < (k ? contact->n : n); i++) {
            *p++ = (u_char) (list[i].name.len >> 8);
            *p++ = (u_char) list[i].name.len;
            *p++ = (u_char) (list[i].value.len >> 8);
            *p++ = (u_char) list[i].value.len;
            p = ngx_cpymem(p, list[i].name.data, list[i].name.len);
            p = ngx_cpymem(p, list[i].value.data, list[i].value.len);
        }
    }

    return NGX_OK;
}


/* the fields point into rec, which must live in pool */

static ngx_int_t
ngx_http_icp_decode(ngx_pool_t *pool, ngx_str_t *rec,
    ngx_http_icp_firmo_t *firmo)
{
    u_char                *p, *end;
    size_t                 nlen, vlen;
    ngx_uint_t             i, n[2], k;
    ngx_http_icp_field_t  *f[2];

    p = rec->data;
    end = p + rec->len;

    if (rec->len < 2) {
        return NGX_ERROR;
    }

    n[0] = *p++;
    n[1] = *p++;

    for (k = 0; k < 2; k++) {
        f[k] = ngx_palloc(pool, (n[k] + 1) * sizeof(ngx_http_icp_field_t));
        if (f[k] == NULL) {
            return NGX_ERROR;
        }

        for (i = 0; i < n[k]; i++) {
            if (end - p < 4) {
                return NGX_ERROR;
            }

            nlen = (p[0] << 8) | p[1];
            vlen = (p[2] << 8) | p[3];
            p += 4;

            if ((size_t) (end - p) < nlen + vlen) {
                return NGX_ERROR;
            }

            f[k][i].name.data = p;
            f[k][i].name.len = nlen;
            f[k][i].value.data = p + nlen;
            f[k][i].value.len = vlen;
            p += nlen + vlen;
        }
    }

    firmo->firmo = f[0];
    firmo->nfirmo = n[0];
    firmo->contact = f[1];
    firmo->ncontact = n[1];

    return NGX_OK;
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
        && ngx_http_icp_decode(r->pool, stale, &ctx->firmo) == NGX_OK)
    {
        ctx->firmo.cache = NGX_HTTP_ICP_CACHE_STALE;
        return NGX_OK;
    }

    ctx->firmo.cache = NGX_HTTP_ICP_CACHE_ERROR;

    return NGX_OK;
}


ngx_http_icp_redis_conf_t *
ngx_http_icp_lookup_servers(ngx_http_icp_main_conf_t *mcf, ngx_uint_t *n)
{
    if (mcf->lookup == NULL) {
        *n = 0;
        return NULL;
    }

    *n = mcf->lookup->servers.nelts;

    return mcf->lookup->servers.elts;
}
