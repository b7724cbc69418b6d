/*
 * The lookup stage's directives: icp_redis, icp_cache and icp_lookup, and
 * the set of fields a cache entry keeps, made once all rules are known.
 */

#include "ngx_http_icp_lookup_conf.h"
#include "ngx_http_icp_cache.h"
#include "ngx_http_icp_log.h"


static ngx_int_t ngx_http_icp_lookup_var(ngx_conf_t *cf, ngx_str_t *value,
    ngx_int_t *index);
static ngx_int_t ngx_http_icp_fields(ngx_conf_t *cf,
    ngx_http_icp_main_conf_t *mcf, ngx_array_t *firmo,
    ngx_array_t *contact);
static ngx_int_t ngx_http_icp_field_add(ngx_array_t *fields,
    const char *name, size_t len);
static ngx_int_t ngx_http_icp_wanted(ngx_conf_t *cf, ngx_array_t *names,
    ngx_uint_t hop, icp_firmo_str_t **list, size_t *n,
    icp_firmo_wanted_t *set);


static ngx_http_icp_lookup_conf_t *
ngx_http_icp_lookup_conf_get(ngx_conf_t *cf, ngx_http_icp_main_conf_t *mcf)
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

    lc = ngx_http_icp_lookup_conf_get(cf, mcf);
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

    lc = ngx_http_icp_lookup_conf_get(cf, mcf);
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

    time_t       age;
    ngx_str_t   *value, v;
    ngx_int_t   *index;
    ngx_uint_t   i;

    if (lcf->lookup_ip_index != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    lcf->lookup_max_age = 0;

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

        } else if (ngx_strncmp(value[i].data, "max_age=", 8) == 0) {
            v.data = value[i].data + 8;
            v.len = value[i].len - 8;

            age = ngx_parse_time(&v, 1);
            if (age == (time_t) NGX_ERROR || age == 0) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "invalid parameter \"%V\": expected a "
                                   "time such as max_age=90d", &value[i]);
                return NGX_CONF_ERROR;
            }

            lcf->lookup_max_age = age;
            continue;

        } else {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid parameter \"%V\": expected ip=$VAR, "
                               "domain=$VAR, contact=$VAR or max_age=TIME",
                               &value[i]);
            return NGX_CONF_ERROR;
        }

        if (ngx_http_icp_lookup_var(cf, &v, index) != NGX_OK) {
            return NGX_CONF_ERROR;
        }
    }

    if (lcf->lookup_ip_index == NGX_HTTP_ICP_NO_VAR
        && lcf->lookup_domain_index == NGX_HTTP_ICP_NO_VAR
        && lcf->lookup_contact_index == NGX_HTTP_ICP_NO_VAR)
    {
        /* max_age= alone: the default key */
        ngx_str_set(&v, "$remote_addr");

        if (ngx_http_icp_lookup_var(cf, &v, &lcf->lookup_ip_index) != NGX_OK) {
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
        conf->lookup_max_age = prev->lookup_max_age;
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
    ngx_array_t                  firmo, contact;
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

    if (ngx_array_init(&firmo, cf->temp_pool, 16, sizeof(ngx_str_t))
        != NGX_OK
        || ngx_array_init(&contact, cf->temp_pool, 4, sizeof(ngx_str_t))
           != NGX_OK
        || ngx_http_icp_fields(cf, mcf, &firmo, &contact) != NGX_OK
        || ngx_http_icp_wanted(cf, &firmo, 0, &lc->firmo, &lc->nfirmo,
                               &lc->firmo_set)
           != NGX_OK
        || ngx_http_icp_wanted(cf, &contact, 1, &lc->contact,
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

/*
 * The rules' fields, in the order they name them, then the log's: the
 * one list of what a cache entry keeps, made when every icp_rules file
 * has been read.
 */

static ngx_int_t
ngx_http_icp_fields(ngx_conf_t *cf, ngx_http_icp_main_conf_t *mcf,
    ngx_array_t *firmo, ngx_array_t *contact)
{
    size_t                  slot;
    ngx_str_t              *name;
    ngx_uint_t              i;
    lfr_rules_t            *lr;
    ngx_array_t            *list;
    ngx_http_icp_rules_t  **rules;

    rules = mcf->rules.elts;

    for (i = 0; i < mcf->rules.nelts; i++) {
        lr = rules[i]->rules;

        for (slot = LFR_SLOT_FIXED; slot < rules[i]->nslots; slot++) {
            switch (lfr_slot_source(lr, slot)) {

            case LFR_SRC_FIRMO:
                list = firmo;
                break;

            case LFR_SRC_CONTACT:
                list = contact;
                break;

            default:
                continue;
            }

            if (ngx_http_icp_field_add(list, lfr_slot_name(lr, slot),
                                       lfr_slot_name_len(lr, slot))
                != NGX_OK)
            {
                return NGX_ERROR;
            }
        }
    }

    for (name = ngx_http_icp_log_firmo; name->len; name++) {
        if (ngx_http_icp_field_add(firmo, (const char *) name->data,
                                   name->len)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


/* the names live as long as the rules, which live as long as the cycle */

static ngx_int_t
ngx_http_icp_field_add(ngx_array_t *fields, const char *name, size_t len)
{
    ngx_str_t   *f;
    ngx_uint_t   i;

    f = fields->elts;

    for (i = 0; i < fields->nelts; i++) {
        if (f[i].len == len && ngx_strncmp(f[i].data, name, len) == 0) {
            return NGX_OK;
        }
    }

    f = ngx_array_push(fields);
    if (f == NULL) {
        return NGX_ERROR;
    }

    f->data = (u_char *) name;
    f->len = len;

    return NGX_OK;
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
