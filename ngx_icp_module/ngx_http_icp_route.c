/*
 * The route stage: send the request to its variant, and the header filter
 * that puts the visitor's cookies, Cache-Control: private and the preview
 * debug header on whatever response ends up going out.
 */

#include "ngx_http_icp_module.h"


static ngx_int_t ngx_http_icp_header_filter(ngx_http_request_t *r);
static ngx_int_t ngx_http_icp_set_cookies(ngx_http_request_t *r,
    ngx_http_icp_ctx_t *ctx, ngx_http_icp_loc_conf_t *lcf);
static ngx_int_t ngx_http_icp_add_cookie(ngx_http_request_t *r,
    ngx_http_icp_loc_conf_t *lcf, ngx_str_t *name, u_char *value,
    size_t len);
static ngx_int_t ngx_http_icp_private(ngx_http_request_t *r);
static ngx_int_t ngx_http_icp_debug_header(ngx_http_request_t *r,
    ngx_http_icp_ctx_t *ctx);
static ngx_table_elt_t *ngx_http_icp_add_header(ngx_http_request_t *r,
    char *name);


static ngx_http_output_header_filter_pt  ngx_http_next_header_filter;


ngx_int_t
ngx_http_icp_route_init(ngx_conf_t *cf)
{
    ngx_http_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ngx_http_icp_header_filter;

    return NGX_OK;
}


ngx_int_t
ngx_http_icp_route(ngx_http_request_t *r, ngx_http_icp_ctx_t *ctx,
    ngx_http_icp_loc_conf_t *lcf)
{
    size_t            len;
    u_char           *p;
    ngx_str_t         uri;
    ngx_table_elt_t  *location;

    /* the URI comes from the rules file only: no request input picks it */

    uri = ctx->decision.variant_uri;

    if (uri.len == 0 || lcf->route == NGX_HTTP_ICP_ROUTE_OFF) {
        return NGX_DECLINED;
    }

    if (lcf->route == NGX_HTTP_ICP_ROUTE_INTERNAL) {
        (void) ngx_http_internal_redirect(r, &uri, &r->args);
        ngx_http_finalize_request(r, NGX_DONE);
        return NGX_DONE;
    }

    len = uri.len + (r->args.len ? 1 + r->args.len : 0);

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    location = ngx_http_icp_add_header(r, "Location");
    if (location == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    location->value.data = p;
    p = ngx_cpymem(p, uri.data, uri.len);

    if (r->args.len) {
        *p++ = '?';
        p = ngx_cpymem(p, r->args.data, r->args.len);
    }

    location->value.len = p - location->value.data;

    ngx_http_clear_location(r);
    r->headers_out.location = location;

    return NGX_HTTP_MOVED_TEMPORARILY;
}


static ngx_int_t
ngx_http_icp_header_filter(ngx_http_request_t *r)
{
    ngx_http_icp_ctx_t       *ctx;
    ngx_http_icp_loc_conf_t  *lcf;

    if (r != r->main) {
        return ngx_http_next_header_filter(r);
    }

    ctx = ngx_http_icp_get_ctx(r);

    if (ctx == NULL || ctx->headers_done) {
        return ngx_http_next_header_filter(r);
    }

    ctx->headers_done = 1;

    /*
     * The location that decided holds the cookie settings; after an
     * internal redirect r->loc_conf is the variant's, so they were
     * remembered in the context.
     */

    lcf = ctx->lcf;

    if (ctx->set_cookies && ngx_http_icp_set_cookies(r, ctx, lcf) != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (ctx->classified && lcf->private
        && ngx_http_icp_private(r) != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (ctx->preview && ctx->classified
        && ngx_http_icp_debug_header(r, ctx) != NGX_OK)
    {
        return NGX_ERROR;
    }

    return ngx_http_next_header_filter(r);
}


static ngx_int_t
ngx_http_icp_set_cookies(ngx_http_request_t *r, ngx_http_icp_ctx_t *ctx,
    ngx_http_icp_loc_conf_t *lcf)
{
    size_t                     len;
    u_char                     buf[ICP_CONTEXT_COOKIE_MAX];
    icp_context_t              fit;
    ngx_http_icp_main_conf_t  *mcf;

    if (ctx->new_visitor
        && ngx_http_icp_add_cookie(r, lcf, &lcf->cookie_name,
                                   ctx->decision.visitor.data,
                                   ctx->decision.visitor.len)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    mcf = ngx_http_get_module_main_conf(r, ngx_http_icp_module);

    if (mcf->secret.len == 0 || !ctx->context_changed) {
        return NGX_OK;
    }

    /* on the stack: the header gets a copy of the length it needs */

    /* a copy: the log record keeps the request's whole UTM values */

    fit = ctx->context;

    len = icp_context_encode_fit(&fit, (char *) ctx->decision.visitor.data,
                                 ctx->decision.visitor.len, mcf->secret.data,
                                 mcf->secret.len, (char *) buf, sizeof(buf));
    if (len == 0) {
        return NGX_OK;
    }

    return ngx_http_icp_add_cookie(r, lcf, &lcf->context_cookie_name, buf,
                                   len);
}


static ngx_int_t
ngx_http_icp_add_cookie(ngx_http_request_t *r, ngx_http_icp_loc_conf_t *lcf,
    ngx_str_t *name, u_char *value, size_t len)
{
    u_char           *p;
    ngx_table_elt_t  *h;

    p = ngx_pnalloc(r->pool, name->len + 1 + len + lcf->cookie_attrs.len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    h = ngx_http_icp_add_header(r, "Set-Cookie");
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->value.data = p;

    p = ngx_cpymem(p, name->data, name->len);
    *p++ = '=';
    p = ngx_cpymem(p, value, len);
    p = ngx_cpymem(p, lcf->cookie_attrs.data, lcf->cookie_attrs.len);

    h->value.len = p - h->value.data;

    return NGX_OK;
}


/*
 * A shared cache must never hand one visitor's variant to another: an
 * upstream's own Cache-Control is kept, with "private" in front.
 */

static ngx_int_t
ngx_http_icp_private(ngx_http_request_t *r)
{
    u_char           *p;
    ngx_table_elt_t  *cc, *h;
    ngx_list_part_t  *part;
    ngx_uint_t        i;

    cc = NULL;
    part = &r->headers_out.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].hash && h[i].key.len == sizeof("Cache-Control") - 1
            && ngx_strncasecmp(h[i].key.data, (u_char *) "Cache-Control",
                               h[i].key.len) == 0)
        {
            cc = &h[i];
            break;
        }
    }

    if (cc == NULL) {
        cc = ngx_http_icp_add_header(r, "Cache-Control");
        if (cc == NULL) {
            return NGX_ERROR;
        }

        ngx_str_set(&cc->value, "private");
        return NGX_OK;
    }

    if (ngx_strlcasestrn(cc->value.data, cc->value.data + cc->value.len,
                         (u_char *) "private", 7 - 1)
        || ngx_strlcasestrn(cc->value.data, cc->value.data + cc->value.len,
                            (u_char *) "no-store", 8 - 1))
    {
        return NGX_OK;
    }

    p = ngx_pnalloc(r->pool, sizeof("private, ") - 1 + cc->value.len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(p, "private, ", sizeof("private, ") - 1);
    ngx_memcpy(p + sizeof("private, ") - 1, cc->value.data, cc->value.len);

    cc->value.data = p;
    cc->value.len += sizeof("private, ") - 1;

    return NGX_OK;
}


static ngx_int_t
ngx_http_icp_debug_header(ngx_http_request_t *r, ngx_http_icp_ctx_t *ctx)
{
    u_char                   *p;
    size_t                    len;
    ngx_str_t                *reason;
    ngx_table_elt_t          *h;
    ngx_http_icp_decision_t  *d;

    d = &ctx->decision;
    reason = ngx_http_icp_decision_reason(r, ctx);

    len = sizeof("segment=; score=100; persona=; route=; experiment=; "
                 "variant=; bucket=-1; reason=") - 1
          + d->segment.len + d->persona.len + d->route_name.len
          + d->experiment.len + d->variant.len + NGX_INT_T_LEN + reason->len;

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    h = ngx_http_icp_add_header(r, "X-ICP-Debug");
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->value.data = p;
    h->value.len = ngx_snprintf(p, len, "segment=%V; score=%i; persona=%V; "
                                "route=%V; experiment=%V; variant=%V; "
                                "bucket=%i; reason=%V",
                                &d->segment, d->score, &d->persona,
                                &d->route_name, &d->experiment, &d->variant,
                                d->bucket, reason)
                   - p;

    return NGX_OK;
}


static ngx_table_elt_t *
ngx_http_icp_add_header(ngx_http_request_t *r, char *name)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NULL;
    }

    h->hash = 1;
    h->key.data = (u_char *) name;
    h->key.len = ngx_strlen(name);

    return h;
}
