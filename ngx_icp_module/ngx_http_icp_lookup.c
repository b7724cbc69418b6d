/*
 * The lookup stage.  Without icp_redis every request is classified with
 * no firmographic data ($icp_cache is BYPASS).
 */

#include "ngx_http_icp_lookup.h"


static ngx_int_t ngx_http_icp_lookup_var(ngx_conf_t *cf, ngx_str_t *value,
    ngx_int_t *index);


char *
ngx_http_icp_redis_directive(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "\"icp_redis\" is not built yet");
    return NGX_CONF_ERROR;
}


char *
ngx_http_icp_cache_directive(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "\"icp_cache\" is not built yet");
    return NGX_CONF_ERROR;
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

    lcf->lookup_ip_index = NGX_ERROR;
    lcf->lookup_domain_index = NGX_ERROR;
    lcf->lookup_contact_index = NGX_ERROR;

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
        conf->lookup_domain_index = NGX_ERROR;
        conf->lookup_contact_index = NGX_ERROR;

        return ngx_http_icp_lookup_var(cf, &addr, &conf->lookup_ip_index);
    }

    return NGX_OK;
}


char *
ngx_http_icp_lookup_init_conf(ngx_conf_t *cf, ngx_http_icp_main_conf_t *mcf)
{
    return NGX_CONF_OK;
}


ngx_int_t
ngx_http_icp_lookup_init_process(ngx_cycle_t *cycle)
{
    return NGX_OK;
}


void
ngx_http_icp_lookup_exit_process(ngx_cycle_t *cycle)
{
}


ngx_int_t
ngx_http_icp_lookup(ngx_http_request_t *r, ngx_http_icp_ctx_t *ctx,
    ngx_http_icp_loc_conf_t *lcf)
{
    ctx->firmo.cache = NGX_HTTP_ICP_CACHE_BYPASS;

    return NGX_OK;
}


void
ngx_http_icp_lookup_cancel(ngx_http_icp_ctx_t *ctx)
{
}
