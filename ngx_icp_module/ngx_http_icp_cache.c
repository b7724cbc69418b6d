/*
 * The lookup cache.  Entries live in a slab pool, found through a hash
 * table of singly linked chains, ordered by last use in a queue.  An entry
 * is kept until its stale window ends; when the slab has no room the
 * least recently used entries go, so a put never fails for lack of space
 * unless one record is bigger than the zone.
 *
 * The table is an array of chain heads allocated from the zone when it is
 * created, one head per 256 to 512 bytes of zone (a power of two).  An
 * entry of bench/http (a 50-byte header, the key, a record of 150 bytes)
 * takes a slab chunk of 256 bytes, so in a full zone a chain holds one
 * entry or less on average, and a lookup reads the head and about one
 * entry, where a tree of 10,000 entries took some 15 dependent reads,
 * each a likely cache miss.  Negative entries take 128 bytes: a zone full
 * of them has chains of two.
 *
 * Keys come from clients (an address, a domain cookie, a contact id), so
 * the hash is keyed: SipHash-1-3 under a random key made with the zone.
 * A fixed-seed hash let 4,096 chosen contact ids share one chain, every
 * lookup walking it under the mutex all workers wait on.  Chains are
 * bounded all the same: one past NGX_HTTP_ICP_CACHE_CHAIN_MAX loses its
 * oldest entry.
 *
 * Keys of Redis whose reply went over its budget are marked here too, as
 * entries of their own ("!" and the key, which no cache key begins with),
 * so that no worker fetches them again within negative_ttl.
 */

#include <openssl/rand.h>

#include "ngx_http_icp_module.h"
#include "ngx_http_icp_cache.h"
#include "icp_siphash.h"


/* zone bytes per chain head, at least: see ngx_http_icp_cache_buckets() */
#define NGX_HTTP_ICP_CACHE_BUCKET_BYTES  256

/* random chains that long are one in a million buckets */
#define NGX_HTTP_ICP_CACHE_CHAIN_MAX     8

#define NGX_HTTP_ICP_CACHE_MARK_MAX      512


typedef struct ngx_http_icp_cache_node_s  ngx_http_icp_cache_node_t;

/*
 * What a chain walk compares is in the first 64 bytes of an entry (a slab
 * chunk of 64 bytes or more is aligned to its size, so one cache line);
 * the key is read only on a hash match.
 */

struct ngx_http_icp_cache_node_s {
    ngx_http_icp_cache_node_t  *next;     /* in the chain */
    uint32_t                    hash;     /* of the key, all 32 bits */
    uint32_t                    data_len;
    time_t                      expire;
    time_t                      keep;     /* expire + stale */
    ngx_queue_t                 queue;    /* most recently used first */
    u_short                     key_len;
    u_char                      bytes[1]; /* key, then data */
};


typedef struct {
    ngx_http_icp_cache_node_t **buckets;
    ngx_uint_t                  mask;     /* number of buckets - 1 */
    ngx_queue_t                 lru;
    u_char                      key[ICP_SIPHASH_KEY_LEN];
    time_t                      marked;   /* no mark lives past it */
} ngx_http_icp_cache_sh_t;


typedef struct {
    ngx_http_icp_cache_sh_t    *sh;
    ngx_slab_pool_t            *shpool;

    /* copies of sh's, never changed after init: one shared read less */
    ngx_http_icp_cache_node_t **buckets;
    ngx_uint_t                  mask;
    u_char                      key[ICP_SIPHASH_KEY_LEN];
} ngx_http_icp_cache_t;


/* for the queries in flight when there is no zone: made per worker */
static u_char      ngx_http_icp_cache_worker_key[ICP_SIPHASH_KEY_LEN];
static ngx_uint_t  ngx_http_icp_cache_worker_keyed;


static ngx_int_t ngx_http_icp_cache_init_zone(ngx_shm_zone_t *zone,
    void *data);
static ngx_uint_t ngx_http_icp_cache_buckets(size_t size);
static ngx_http_icp_cache_node_t *ngx_http_icp_cache_find(
    ngx_http_icp_cache_t *cache, ngx_str_t *key, uint32_t hash);
static void ngx_http_icp_cache_delete(ngx_http_icp_cache_t *cache,
    ngx_http_icp_cache_node_t *cn);
static ngx_int_t ngx_http_icp_cache_mark_key(ngx_str_t *key, u_char *buf);


ngx_shm_zone_t *
ngx_http_icp_cache_zone(ngx_conf_t *cf, ngx_str_t *name, size_t size)
{
    ngx_shm_zone_t        *zone;
    ngx_http_icp_cache_t  *cache;

    cache = ngx_pcalloc(cf->pool, sizeof(ngx_http_icp_cache_t));
    if (cache == NULL) {
        return NULL;
    }

    zone = ngx_shared_memory_add(cf, name, size, &ngx_http_icp_module);
    if (zone == NULL) {
        return NULL;
    }

    if (zone->data) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "zone \"%V\" is already used", name);
        return NULL;
    }

    zone->init = ngx_http_icp_cache_init_zone;
    zone->data = cache;

    return zone;
}


static ngx_int_t
ngx_http_icp_cache_init_zone(ngx_shm_zone_t *zone, void *data)
{
    ngx_http_icp_cache_t  *ocache = data;

    size_t                 len;
    ngx_uint_t             n;
    ngx_http_icp_cache_t  *cache;

    cache = zone->data;

    if (ocache) {
        /*
         * a reload: the entries stay, keys carry the field set; nginx
         * reuses a zone only at the same size, so the table fits it
         */
        cache->sh = ocache->sh;
        cache->shpool = ocache->shpool;
        cache->buckets = ocache->buckets;
        cache->mask = ocache->mask;
        ngx_memcpy(cache->key, ocache->key, ICP_SIPHASH_KEY_LEN);
        return NGX_OK;
    }

    cache->shpool = (ngx_slab_pool_t *) zone->shm.addr;

    if (zone->shm.exists) {
        cache->sh = cache->shpool->data;
        cache->buckets = cache->sh->buckets;
        cache->mask = cache->sh->mask;
        ngx_memcpy(cache->key, cache->sh->key, ICP_SIPHASH_KEY_LEN);
        return NGX_OK;
    }

    len = sizeof(" in icp_cache zone \"\"") + zone->shm.name.len;

    cache->shpool->log_ctx = ngx_slab_alloc(cache->shpool, len);
    if (cache->shpool->log_ctx == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf(cache->shpool->log_ctx, " in icp_cache zone \"%V\"%Z",
                &zone->shm.name);

    /*
     * a full zone is normal here: eviction follows, no alert per miss;
     * a table that does not fit is reported below, once
     */
    cache->shpool->log_nomem = 0;

    cache->sh = ngx_slab_alloc(cache->shpool,
                               sizeof(ngx_http_icp_cache_sh_t));
    if (cache->sh == NULL) {
        return NGX_ERROR;
    }

    cache->shpool->data = cache->sh;

    n = ngx_http_icp_cache_buckets(zone->shm.size);

    /* the table must come out of the zone: it may not grow past its size */
    len = n * sizeof(ngx_http_icp_cache_node_t *);

    cache->sh->buckets = ngx_slab_calloc(cache->shpool, len);
    if (cache->sh->buckets == NULL) {
        ngx_log_error(NGX_LOG_EMERG, zone->shm.log, 0,
                      "icp_cache zone \"%V\" of %uz bytes is too small "
                      "for its hash table of %ui buckets",
                      &zone->shm.name, zone->shm.size, n);
        return NGX_ERROR;
    }

    cache->sh->mask = n - 1;
    ngx_queue_init(&cache->sh->lru);

    if (RAND_bytes(cache->sh->key, ICP_SIPHASH_KEY_LEN) != 1) {
        ngx_log_error(NGX_LOG_EMERG, zone->shm.log, 0,
                      "icp_cache zone \"%V\": no random key for its hash",
                      &zone->shm.name);
        return NGX_ERROR;
    }

    cache->buckets = cache->sh->buckets;
    cache->mask = cache->sh->mask;
    ngx_memcpy(cache->key, cache->sh->key, ICP_SIPHASH_KEY_LEN);

    return NGX_OK;
}


/*
 * The largest power of two of buckets with at least 256 bytes of zone
 * each: a mask picks the bucket, and the table takes 1/64 to 1/32 of the
 * zone (256 KB of an 8 MB zone, 32,768 buckets for some 32,000 entries of
 * bench/http).
 */

static ngx_uint_t
ngx_http_icp_cache_buckets(size_t size)
{
    ngx_uint_t  n, limit;

    limit = size / NGX_HTTP_ICP_CACHE_BUCKET_BYTES;

    for (n = 1; n * 2 <= limit; n *= 2) { /* void */ }

    return n;
}


uint32_t
ngx_http_icp_cache_hash(ngx_shm_zone_t *zone, ngx_str_t *key)
{
    u_char                *k;
    ngx_http_icp_cache_t  *cache;

    if (zone) {
        cache = zone->data;
        k = cache->key;

    } else {
        k = ngx_http_icp_cache_worker_key;

        if (!ngx_http_icp_cache_worker_keyed) {
            /* a failure leaves the key zero: still a hash, unkeyed */
            (void) RAND_bytes(k, ICP_SIPHASH_KEY_LEN);
            ngx_http_icp_cache_worker_keyed = 1;
        }
    }

    return (uint32_t) icp_siphash13(k, key->data, key->len);
}


ngx_int_t
ngx_http_icp_cache_get(ngx_shm_zone_t *zone, ngx_str_t *key, uint32_t hash,
    ngx_pool_t *pool, ngx_str_t *data, ngx_uint_t *state)
{
    time_t                      now;
    ngx_int_t                   rc;
    ngx_http_icp_cache_t       *cache;
    ngx_http_icp_cache_node_t  *cn;

    cache = zone->data;
    now = ngx_time();
    rc = NGX_DECLINED;

    ngx_shmtx_lock(&cache->shpool->mutex);

    cn = ngx_http_icp_cache_find(cache, key, hash);

    if (cn && cn->keep <= now) {
        ngx_http_icp_cache_delete(cache, cn);
        cn = NULL;
    }

    if (cn) {
        data->len = cn->data_len;
        data->data = ngx_pnalloc(pool, cn->data_len + 1);

        if (data->data == NULL) {
            rc = NGX_ERROR;

        } else {
            ngx_memcpy(data->data, cn->bytes + cn->key_len, cn->data_len);
            *state = cn->expire > now ? NGX_HTTP_ICP_CACHE_FRESH
                                      : NGX_HTTP_ICP_CACHE_EXPIRED;

            ngx_queue_remove(&cn->queue);
            ngx_queue_insert_head(&cache->sh->lru, &cn->queue);
            rc = NGX_OK;
        }
    }

    ngx_shmtx_unlock(&cache->shpool->mutex);

    return rc;
}


void
ngx_http_icp_cache_put(ngx_shm_zone_t *zone, ngx_str_t *key, uint32_t hash,
    ngx_str_t *data, time_t ttl, time_t stale)
{
    size_t                      size;
    ngx_uint_t                  n;
    ngx_queue_t                *q;
    ngx_http_icp_cache_t       *cache;
    ngx_http_icp_cache_node_t  *cn, *last, **bucket;

    if (key->len > 0xffff) {
        return;
    }

    cache = zone->data;
    size = offsetof(ngx_http_icp_cache_node_t, bytes) + key->len + data->len;

    ngx_shmtx_lock(&cache->shpool->mutex);

    cn = ngx_http_icp_cache_find(cache, key, hash);
    if (cn) {
        ngx_http_icp_cache_delete(cache, cn);
    }

    for ( ;; ) {
        cn = ngx_slab_alloc_locked(cache->shpool, size);
        if (cn) {
            break;
        }

        if (ngx_queue_empty(&cache->sh->lru)) {
            /* bigger than the whole zone: not cached */
            ngx_shmtx_unlock(&cache->shpool->mutex);
            return;
        }

        q = ngx_queue_last(&cache->sh->lru);
        ngx_http_icp_cache_delete(cache,
            ngx_queue_data(q, ngx_http_icp_cache_node_t, queue));
    }

    cn->hash = hash;
    cn->expire = ngx_time() + ttl;
    cn->keep = cn->expire + stale;
    cn->key_len = (u_short) key->len;
    cn->data_len = (uint32_t) data->len;
    ngx_memcpy(cn->bytes, key->data, key->len);
    ngx_memcpy(cn->bytes + key->len, data->data, data->len);

    /* the head of the chain: a new entry is the likeliest to be asked for */
    bucket = &cache->buckets[hash & cache->mask];
    last = *bucket;
    n = (last != NULL);

    while (last && last->next) {
        last = last->next;
        n++;
    }

    if (n >= NGX_HTTP_ICP_CACHE_CHAIN_MAX) {
        ngx_http_icp_cache_delete(cache, last);
    }

    cn->next = *bucket;
    *bucket = cn;

    ngx_queue_insert_head(&cache->sh->lru, &cn->queue);

    ngx_shmtx_unlock(&cache->shpool->mutex);
}


static ngx_http_icp_cache_node_t *
ngx_http_icp_cache_find(ngx_http_icp_cache_t *cache, ngx_str_t *key,
    uint32_t hash)
{
    ngx_http_icp_cache_node_t  *cn;

    for (cn = cache->buckets[hash & cache->mask]; cn; cn = cn->next) {

        if (cn->hash == hash
            && cn->key_len == key->len
            && ngx_memcmp(cn->bytes, key->data, key->len) == 0)
        {
            return cn;
        }
    }

    return NULL;
}


/* the chain is singly linked: its link to cn is found by walking it */

static void
ngx_http_icp_cache_delete(ngx_http_icp_cache_t *cache,
    ngx_http_icp_cache_node_t *cn)
{
    ngx_http_icp_cache_node_t  **link;

    for (link = &cache->buckets[cn->hash & cache->mask];
         *link != cn;
         link = &(*link)->next)
    {
        /* void */
    }

    *link = cn->next;

    ngx_queue_remove(&cn->queue);
    ngx_slab_free_locked(cache->shpool, cn);
}


void
ngx_http_icp_cache_mark(ngx_shm_zone_t *zone, ngx_str_t *key, time_t ttl)
{
    u_char                 buf[NGX_HTTP_ICP_CACHE_MARK_MAX];
    ngx_str_t              mark, empty;
    ngx_http_icp_cache_t  *cache;

    mark.data = buf;
    mark.len = key->len + 1;

    if (ngx_http_icp_cache_mark_key(key, buf) != NGX_OK) {
        return;
    }

    ngx_str_null(&empty);
    ngx_http_icp_cache_put(zone, &mark, ngx_http_icp_cache_hash(zone, &mark),
                           &empty, ttl, 0);

    cache = zone->data;

    ngx_shmtx_lock(&cache->shpool->mutex);
    cache->sh->marked = ngx_max(cache->sh->marked, ngx_time() + ttl);
    ngx_shmtx_unlock(&cache->shpool->mutex);
}


ngx_uint_t
ngx_http_icp_cache_marks(ngx_shm_zone_t *zone)
{
    ngx_http_icp_cache_t  *cache = zone->data;

    /* read without the lock: at worst a mark is seen a moment late */
    return cache->sh->marked > ngx_time();
}


ngx_uint_t
ngx_http_icp_cache_marked(ngx_shm_zone_t *zone, ngx_str_t *key)
{
    u_char                      buf[NGX_HTTP_ICP_CACHE_MARK_MAX];
    ngx_str_t                   mark;
    ngx_uint_t                  marked;
    ngx_http_icp_cache_t       *cache;
    ngx_http_icp_cache_node_t  *cn;

    cache = zone->data;

    if (ngx_http_icp_cache_mark_key(key, buf) != NGX_OK) {
        return 0;
    }

    mark.data = buf;
    mark.len = key->len + 1;

    ngx_shmtx_lock(&cache->shpool->mutex);

    cn = ngx_http_icp_cache_find(cache, &mark,
                                 ngx_http_icp_cache_hash(zone, &mark));
    marked = (cn && cn->expire > ngx_time());

    ngx_shmtx_unlock(&cache->shpool->mutex);

    return marked;
}


static ngx_int_t
ngx_http_icp_cache_mark_key(ngx_str_t *key, u_char *buf)
{
    if (key->len >= NGX_HTTP_ICP_CACHE_MARK_MAX) {
        return NGX_DECLINED;
    }

    buf[0] = '!';
    ngx_memcpy(buf + 1, key->data, key->len);

    return NGX_OK;
}
