/*
 * The $icp_* variables: read-only views of the request's context.  A
 * request that no icp location has seen has none of them (not found).
 */

#include "ngx_http_icp_module.h"
#include "ngx_http_icp_log.h"


typedef enum {
    NGX_HTTP_ICP_VAR_SEGMENT = 0,
    NGX_HTTP_ICP_VAR_PERSONA,
    NGX_HTTP_ICP_VAR_SCORE,
    NGX_HTTP_ICP_VAR_ROUTE,
    NGX_HTTP_ICP_VAR_EXPERIMENT,
    NGX_HTTP_ICP_VAR_VARIANT,
    NGX_HTTP_ICP_VAR_VARIANT_URI,
    NGX_HTTP_ICP_VAR_VISITOR,
    NGX_HTTP_ICP_VAR_REASON,
    NGX_HTTP_ICP_VAR_CACHE,
    NGX_HTTP_ICP_VAR_LOGGED,
    NGX_HTTP_ICP_VAR_JSON,
    NGX_HTTP_ICP_VAR_UTM            /* + index of the UTM field */
} ngx_http_icp_var_e;


static ngx_int_t ngx_http_icp_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_icp_firmo_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);


static ngx_http_variable_t  ngx_http_icp_vars[] = {

    { ngx_string("icp_segment"), NULL, ngx_http_icp_variable,
      NGX_HTTP_ICP_VAR_SEGMENT, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("icp_persona"), NULL, ngx_http_icp_variable,
      NGX_HTTP_ICP_VAR_PERSONA, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("icp_score"), NULL, ngx_http_icp_variable,
      NGX_HTTP_ICP_VAR_SCORE, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("icp_route"), NULL, ngx_http_icp_variable,
      NGX_HTTP_ICP_VAR_ROUTE, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("icp_experiment"), NULL, ngx_http_icp_variable,
      NGX_HTTP_ICP_VAR_EXPERIMENT, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("icp_variant"), NULL, ngx_http_icp_variable,
      NGX_HTTP_ICP_VAR_VARIANT, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("icp_variant_uri"), NULL, ngx_http_icp_variable,
      NGX_HTTP_ICP_VAR_VARIANT_URI, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("icp_visitor"), NULL, ngx_http_icp_variable,
      NGX_HTTP_ICP_VAR_VISITOR, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("icp_reason"), NULL, ngx_http_icp_variable,
      NGX_HTTP_ICP_VAR_REASON, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("icp_cache"), NULL, ngx_http_icp_variable,
      NGX_HTTP_ICP_VAR_CACHE, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("icp_logged"), NULL, ngx_http_icp_variable,
      NGX_HTTP_ICP_VAR_LOGGED, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("icp_json"), NULL, ngx_http_icp_variable,
      NGX_HTTP_ICP_VAR_JSON, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("icp_utm_source"), NULL, ngx_http_icp_variable,
      NGX_HTTP_ICP_VAR_UTM + ICP_UTM_SOURCE, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("icp_utm_medium"), NULL, ngx_http_icp_variable,
      NGX_HTTP_ICP_VAR_UTM + ICP_UTM_MEDIUM, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("icp_utm_campaign"), NULL, ngx_http_icp_variable,
      NGX_HTTP_ICP_VAR_UTM + ICP_UTM_CAMPAIGN, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("icp_utm_term"), NULL, ngx_http_icp_variable,
      NGX_HTTP_ICP_VAR_UTM + ICP_UTM_TERM, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("icp_utm_content"), NULL, ngx_http_icp_variable,
      NGX_HTTP_ICP_VAR_UTM + ICP_UTM_CONTENT, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("icp_utm_id"), NULL, ngx_http_icp_variable,
      NGX_HTTP_ICP_VAR_UTM + ICP_UTM_ID, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("icp_firmo_"), NULL, ngx_http_icp_firmo_variable,
      0, NGX_HTTP_VAR_NOCACHEABLE|NGX_HTTP_VAR_PREFIX, 0 },

      ngx_http_null_variable
};


static ngx_str_t  ngx_http_icp_logged = ngx_string("1");


ngx_str_t  ngx_http_icp_cache_names[] = {
    ngx_string("BYPASS"),
    ngx_string("HIT"),
    ngx_string("MISS"),
    ngx_string("STALE"),
    ngx_string("ERROR")
};


ngx_int_t
ngx_http_icp_add_variables(ngx_conf_t *cf)
{
    ngx_http_variable_t  *var, *v;

    for (v = ngx_http_icp_vars; v->name.len; v++) {
        var = ngx_http_add_variable(cf, &v->name, v->flags);
        if (var == NULL) {
            return NGX_ERROR;
        }

        var->get_handler = v->get_handler;
        var->data = v->data;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_icp_variable(ngx_http_request_t *r, ngx_http_variable_value_t *v,
    uintptr_t data)
{
    u_char                   *p;
    ngx_str_t                *s, json;
    ngx_uint_t                i;
    ngx_http_icp_ctx_t       *ctx;
    ngx_http_icp_decision_t  *d;

    ctx = ngx_http_icp_get_ctx(r);

    if (ctx == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;
    v->len = 0;
    v->data = (u_char *) "";

    d = &ctx->decision;
    s = NULL;

    switch (data) {

    case NGX_HTTP_ICP_VAR_SEGMENT:
        s = &d->segment;
        break;

    case NGX_HTTP_ICP_VAR_PERSONA:
        s = &d->persona;
        break;

    case NGX_HTTP_ICP_VAR_SCORE:
        p = ngx_pnalloc(r->pool, NGX_INT_T_LEN);
        if (p == NULL) {
            return NGX_ERROR;
        }

        v->data = p;
        v->len = ngx_sprintf(p, "%i", d->score) - p;
        break;

    case NGX_HTTP_ICP_VAR_ROUTE:
        s = &d->route_name;
        break;

    case NGX_HTTP_ICP_VAR_EXPERIMENT:
        s = &d->experiment;
        break;

    case NGX_HTTP_ICP_VAR_VARIANT:
        s = &d->variant;
        break;

    case NGX_HTTP_ICP_VAR_VARIANT_URI:
        s = &d->variant_uri;
        break;

    case NGX_HTTP_ICP_VAR_VISITOR:
        s = &d->visitor;
        break;

    case NGX_HTTP_ICP_VAR_REASON:
        s = ngx_http_icp_decision_reason(r, ctx);
        break;

    case NGX_HTTP_ICP_VAR_CACHE:
        s = &ngx_http_icp_cache_names[d->cache];
        break;

    case NGX_HTTP_ICP_VAR_LOGGED:
        if (ngx_http_icp_log_wanted(ctx)) {
            s = &ngx_http_icp_logged;
        }
        break;

    case NGX_HTTP_ICP_VAR_JSON:
        if (ngx_http_icp_log_json(r, ctx, &json) != NGX_OK) {
            return NGX_ERROR;
        }

        v->data = json.data;
        v->len = json.len;
        break;

    default:
        i = data - NGX_HTTP_ICP_VAR_UTM;

        if (ctx->context.utm.present & (1u << i)) {
            v->data = (u_char *) ctx->context.utm.value[i];
            v->len = ctx->context.utm.len[i];
        }
        break;
    }

    if (s && s->len) {
        v->data = s->data;
        v->len = s->len;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_icp_firmo_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_str_t  *var = (ngx_str_t *) data;

    size_t                 len;
    u_char                *name;
    ngx_uint_t             i;
    ngx_http_icp_ctx_t    *ctx;
    ngx_http_icp_field_t  *f;

    ctx = ngx_http_icp_get_ctx(r);

    if (ctx == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    name = var->data + sizeof("icp_firmo_") - 1;
    len = var->len - (sizeof("icp_firmo_") - 1);
    f = ctx->firmo.firmo;

    for (i = 0; i < ctx->firmo.nfirmo; i++) {
        if (f[i].name.len == len
            && ngx_strncmp(f[i].name.data, name, len) == 0)
        {
            v->valid = 1;
            v->no_cacheable = 1;
            v->not_found = 0;
            v->data = f[i].value.data;
            v->len = f[i].value.len;
            return NGX_OK;
        }
    }

    v->not_found = 1;

    return NGX_OK;
}
