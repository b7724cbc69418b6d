/*
 * The lookup cache: a shared-memory zone of opaque records by key, shared
 * by all workers, with expiry, a stale window and LRU eviction.
 */

#ifndef NGX_HTTP_ICP_CACHE_H
#define NGX_HTTP_ICP_CACHE_H

#include <ngx_config.h>
#include <ngx_core.h>


/* what ngx_http_icp_cache_get found */
#define NGX_HTTP_ICP_CACHE_FRESH     0
#define NGX_HTTP_ICP_CACHE_EXPIRED   1   /* within its stale window */


ngx_shm_zone_t *ngx_http_icp_cache_zone(ngx_conf_t *cf, ngx_str_t *name,
    size_t size);

/*
 * The hash of a key that _get() and _put() take, computed by the caller:
 * a miss needs it three times (the get, the queries in flight, the put).
 * Keyed per zone; with no zone (queries in flight only), per worker.
 */
uint32_t ngx_http_icp_cache_hash(ngx_shm_zone_t *zone, ngx_str_t *key);

/*
 * NGX_OK: *data is a copy in pool, *state says fresh or expired;
 * NGX_DECLINED: no usable entry; NGX_ERROR: out of memory.
 */
ngx_int_t ngx_http_icp_cache_get(ngx_shm_zone_t *zone, ngx_str_t *key,
    uint32_t hash, ngx_pool_t *pool, ngx_str_t *data, ngx_uint_t *state);

/* Stores data for ttl seconds, kept stale seconds more; evicts as needed. */
void ngx_http_icp_cache_put(ngx_shm_zone_t *zone, ngx_str_t *key,
    uint32_t hash, ngx_str_t *data, time_t ttl, time_t stale);

/*
 * A key of Redis whose reply was over budget: not to be fetched for ttl
 * seconds, by any worker.
 */
void ngx_http_icp_cache_mark(ngx_shm_zone_t *zone, ngx_str_t *key,
    time_t ttl);
/* whether any mark may live: the test a lookup makes, marks or not */
ngx_uint_t ngx_http_icp_cache_marks(ngx_shm_zone_t *zone);
ngx_uint_t ngx_http_icp_cache_marked(ngx_shm_zone_t *zone, ngx_str_t *key);

#endif /* NGX_HTTP_ICP_CACHE_H */
