/*
 * The lookup stage's keys: the request's address, domain and contact id
 * in the text icp-load writes them in, and the cache key they make.
 */

#include <arpa/inet.h>

#include "ngx_http_icp_lookup_conf.h"


#define NGX_HTTP_ICP_DOMAIN_MAX    253
#define NGX_HTTP_ICP_CONTACT_MAX   128


static ngx_int_t ngx_http_icp_ip_keys(ngx_pool_t *pool, u_char *text,
    size_t len, ngx_str_t *keys);
static ngx_int_t ngx_http_icp_ip4_keys(ngx_pool_t *pool, u_char *addr,
    ngx_str_t *keys);
static ngx_int_t ngx_http_icp_ip6_key(ngx_pool_t *pool, const char *kind,
    u_char *addr, ngx_uint_t bits, ngx_str_t *key);


ngx_int_t
ngx_http_icp_lookup_keys(ngx_http_request_t *r, ngx_http_icp_loc_conf_t *lcf,
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
            rc = ngx_http_icp_lookup_domain_key(r->pool, v->data, v->len,
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

ngx_int_t
ngx_http_icp_lookup_domain_key(ngx_pool_t *pool, u_char *name, size_t len,
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


ngx_int_t
ngx_http_icp_lookup_cache_key(ngx_pool_t *pool,
    ngx_http_icp_lookup_conf_t *lc, ngx_str_t *keys, ngx_str_t *ck)
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
