/*
 * The lookup result as the cache stores it: one flat record of the
 * company's and the contact's fields, written once by the query that
 * fetched them and read by every request that finds it.
 */

#ifndef NGX_HTTP_ICP_CACHE_RECORD_H
#define NGX_HTTP_ICP_CACHE_RECORD_H

#include "ngx_http_icp_module.h"
#include "icp_firmo.h"


/* No field of either kind: the record of a negative entry. */
#define ngx_http_icp_cache_record_empty(rec)                                 \
    ((rec)->data[0] == 0 && (rec)->data[1] == 0)


/* At most ICP_FIRMO_FIELDS_MAX pairs of each kind; out lives in pool. */
ngx_int_t ngx_http_icp_cache_record_encode(ngx_pool_t *pool,
    icp_firmo_pair_t *firmo, size_t nfirmo, icp_firmo_pair_t *contact,
    size_t ncontact, ngx_str_t *out);

/* The fields point into rec, which must live in pool. */
ngx_int_t ngx_http_icp_cache_record_decode(ngx_pool_t *pool, ngx_str_t *rec,
    ngx_http_icp_firmo_t *firmo);

#endif /* NGX_HTTP_ICP_CACHE_RECORD_H */
