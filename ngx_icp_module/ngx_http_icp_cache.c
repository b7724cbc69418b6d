/*
 * The lookup cache.  Entries live in a slab pool, found through an rbtree
 * keyed by a hash of the key, ordered by last use in a queue.  An entry
 * is kept until its stale window ends; when the slab has no room the
 * least recently used entries go, so a put never fails for lack of space
 * unless one record is bigger than the zone.
 */

#include "ngx_http_icp_module.h"
#include "ngx_http_icp_cache.h"


typedef struct {
    ngx_rbtree_node_t           node;     /* key: hash of the key */
    ngx_queue_t                 queue;    /* most recently used first */
    time_t                      expire;
    time_t                      keep;     /* expire + stale */
    u_short                     key_len;
    uint32_t                    data_len;
    u_char                      bytes[1]; /* key, then data */
} ngx_http_icp_cache_node_t;


typedef struct {
    ngx_rbtree_t                rbtree;
    ngx_rbtree_node_t           sentinel;
    ngx_queue_t                 lru;
} ngx_http_icp_cache_sh_t;


typedef struct {
    ngx_http_icp_cache_sh_t    *sh;
    ngx_slab_pool_t            *shpool;
} ngx_http_icp_cache_t;


static ngx_int_t ngx_http_icp_cache_init_zone(ngx_shm_zone_t *zone,
    void *data);
static void ngx_http_icp_cache_insert(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel);
static ngx_http_icp_cache_node_t *ngx_http_icp_cache_find(
    ngx_http_icp_cache_t *cache, ngx_str_t *key, uint32_t hash);
static void ngx_http_icp_cache_delete(ngx_http_icp_cache_t *cache,
    ngx_http_icp_cache_node_t *cn);


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
    ngx_http_icp_cache_t  *cache;

    cache = zone->data;

    if (ocache) {
        /* a reload: the entries stay, keys carry the field set */
        cache->sh = ocache->sh;
        cache->shpool = ocache->shpool;
        return NGX_OK;
    }

    cache->shpool = (ngx_slab_pool_t *) zone->shm.addr;

    if (zone->shm.exists) {
        cache->sh = cache->shpool->data;
        return NGX_OK;
    }

    cache->sh = ngx_slab_alloc(cache->shpool,
                               sizeof(ngx_http_icp_cache_sh_t));
    if (cache->sh == NULL) {
        return NGX_ERROR;
    }

    cache->shpool->data = cache->sh;

    ngx_rbtree_init(&cache->sh->rbtree, &cache->sh->sentinel,
                    ngx_http_icp_cache_insert);
    ngx_queue_init(&cache->sh->lru);

    len = sizeof(" in icp_cache zone \"\"") + zone->shm.name.len;

    cache->shpool->log_ctx = ngx_slab_alloc(cache->shpool, len);
    if (cache->shpool->log_ctx == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf(cache->shpool->log_ctx, " in icp_cache zone \"%V\"%Z",
                &zone->shm.name);

    /* a full zone is normal here: eviction follows, no alert per miss */
    cache->shpool->log_nomem = 0;

    return NGX_OK;
}


ngx_int_t
ngx_http_icp_cache_get(ngx_shm_zone_t *zone, ngx_str_t *key,
    ngx_pool_t *pool, ngx_str_t *data, ngx_uint_t *state)
{
    time_t                      now;
    ngx_int_t                   rc;
    uint32_t                    hash;
    ngx_http_icp_cache_t       *cache;
    ngx_http_icp_cache_node_t  *cn;

    cache = zone->data;
    hash = ngx_crc32_short(key->data, key->len);
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
ngx_http_icp_cache_put(ngx_shm_zone_t *zone, ngx_str_t *key,
    ngx_str_t *data, time_t ttl, time_t stale)
{
    size_t                      size;
    uint32_t                    hash;
    ngx_queue_t                *q;
    ngx_http_icp_cache_t       *cache;
    ngx_http_icp_cache_node_t  *cn;

    if (key->len > 0xffff) {
        return;
    }

    cache = zone->data;
    hash = ngx_crc32_short(key->data, key->len);
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

    cn->node.key = hash;
    cn->expire = ngx_time() + ttl;
    cn->keep = cn->expire + stale;
    cn->key_len = (u_short) key->len;
    cn->data_len = (uint32_t) data->len;
    ngx_memcpy(cn->bytes, key->data, key->len);
    ngx_memcpy(cn->bytes + key->len, data->data, data->len);

    ngx_rbtree_insert(&cache->sh->rbtree, &cn->node);
    ngx_queue_insert_head(&cache->sh->lru, &cn->queue);

    ngx_shmtx_unlock(&cache->shpool->mutex);
}


static ngx_http_icp_cache_node_t *
ngx_http_icp_cache_find(ngx_http_icp_cache_t *cache, ngx_str_t *key,
    uint32_t hash)
{
    ngx_int_t                   rc;
    ngx_rbtree_node_t          *node, *sentinel;
    ngx_http_icp_cache_node_t  *cn;

    node = cache->sh->rbtree.root;
    sentinel = cache->sh->rbtree.sentinel;

    while (node != sentinel) {

        if (hash != node->key) {
            node = hash < node->key ? node->left : node->right;
            continue;
        }

        cn = (ngx_http_icp_cache_node_t *) node;

        rc = ngx_memn2cmp(key->data, cn->bytes, key->len, cn->key_len);

        if (rc == 0) {
            return cn;
        }

        node = rc < 0 ? node->left : node->right;
    }

    return NULL;
}


static void
ngx_http_icp_cache_insert(ngx_rbtree_node_t *temp, ngx_rbtree_node_t *node,
    ngx_rbtree_node_t *sentinel)
{
    ngx_rbtree_node_t         **p;
    ngx_http_icp_cache_node_t  *cn, *cnt;

    for ( ;; ) {

        if (node->key != temp->key) {
            p = node->key < temp->key ? &temp->left : &temp->right;

        } else {
            cn = (ngx_http_icp_cache_node_t *) node;
            cnt = (ngx_http_icp_cache_node_t *) temp;

            p = ngx_memn2cmp(cn->bytes, cnt->bytes, cn->key_len,
                             cnt->key_len) < 0
                ? &temp->left : &temp->right;
        }

        if (*p == sentinel) {
            break;
        }

        temp = *p;
    }

    *p = node;
    node->parent = temp;
    node->left = sentinel;
    node->right = sentinel;
    ngx_rbt_red(node);
}


static void
ngx_http_icp_cache_delete(ngx_http_icp_cache_t *cache,
    ngx_http_icp_cache_node_t *cn)
{
    ngx_queue_remove(&cn->queue);
    ngx_rbtree_delete(&cache->sh->rbtree, &cn->node);
    ngx_slab_free_locked(cache->shpool, cn);
}
