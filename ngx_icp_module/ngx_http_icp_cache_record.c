/*
 * A record, as cached and as handed to the waiters of a query: the number
 * of firmographic and of contact fields (a byte each), then per field the
 * name's and the value's length (two bytes each, big-endian), the name
 * and the value.  At most ICP_FIRMO_FIELDS_MAX fields of each kind, values
 * of at most ICP_FIRMO_VALUE_MAX bytes.
 */

#include "ngx_http_icp_cache_record.h"


ngx_int_t
ngx_http_icp_cache_record_encode(ngx_pool_t *pool, icp_firmo_pair_t *firmo,
    size_t nfirmo, icp_firmo_pair_t *contact, size_t ncontact,
    ngx_str_t *out)
{
    u_char            *p;
    size_t             i, k, n, size;
    icp_firmo_pair_t  *list;

    size = 2;

    for (k = 0; k < 2; k++) {
        list = k ? contact : firmo;
        n = k ? ncontact : nfirmo;

        for (i = 0; i < n; i++) {
            size += 4 + list[i].name.len + list[i].value.len;
        }
    }

    p = ngx_pnalloc(pool, size);
    if (p == NULL) {
        return NGX_ERROR;
    }

    out->data = p;
    out->len = size;

    *p++ = (u_char) nfirmo;
    *p++ = (u_char) ncontact;

    for (k = 0; k < 2; k++) {
        list = k ? contact : firmo;
        n = k ? ncontact : nfirmo;

        for (i = 0; i < n; i++) {
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


ngx_int_t
ngx_http_icp_cache_record_decode(ngx_pool_t *pool, ngx_str_t *rec,
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
