/*
 * What the lookup stage's files share: its configuration, read by the
 * directives (lookup_conf.c), the key builder (lookup_key.c) and the
 * queries (lookup.c).  Not for the other stages: they see lookup.h.
 */

#ifndef NGX_HTTP_ICP_LOOKUP_CONF_H
#define NGX_HTTP_ICP_LOOKUP_CONF_H

#include "ngx_http_icp_lookup.h"
#include "icp_firmo.h"


#define NGX_HTTP_ICP_KEY_IP        0
#define NGX_HTTP_ICP_KEY_NET       1    /* up to 3, narrowest first */
#define NGX_HTTP_ICP_KEY_DOMAIN    4
#define NGX_HTTP_ICP_KEY_CONTACT   5
#define NGX_HTTP_ICP_KEY_HOP       6    /* the contact's company domain */
#define NGX_HTTP_ICP_KEY_N         7

/* an icp_lookup key not given; NGX_CONF_UNSET is NGX_ERROR, not this */
#define NGX_HTTP_ICP_NO_VAR        (-2)


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


/*
 * The request's keys, NGX_HTTP_ICP_KEY_N of them, in Redis's own text
 * (absent ones empty).  NGX_DECLINED: the request has no usable key.
 */
ngx_int_t ngx_http_icp_lookup_keys(ngx_http_request_t *r,
    ngx_http_icp_loc_conf_t *lcf, ngx_str_t *keys);

/* FIELDS_ID|ip:ADDR|domain:NAME|contact:ID, absent keys left empty */
ngx_int_t ngx_http_icp_lookup_cache_key(ngx_pool_t *pool,
    ngx_http_icp_lookup_conf_t *lc, ngx_str_t *keys, ngx_str_t *ck);

/* The key of the contact's company, the second round trip's. */
ngx_int_t ngx_http_icp_lookup_domain_key(ngx_pool_t *pool, u_char *name,
    size_t len, ngx_str_t *key);

#endif /* NGX_HTTP_ICP_LOOKUP_CONF_H */
