/*
 * The inputs stage: consent, crawler and preview flags, the visitor id,
 * the signed context cookie and the UTM set of this request.
 */

#include <openssl/crypto.h>

#include "ngx_http_icp_module.h"
#include "ngx_http_icp_status.h"


/*
 * Crawlers that must never enter an experiment: search engines, ads-quality
 * bots and link-preview fetchers.  Matched case-insensitively anywhere in
 * User-Agent; the list is in README ("Bots").
 */
static ngx_str_t  ngx_http_icp_bots_pattern = ngx_string(
    "googlebot|adsbot-google|mediapartners-google|google-inspectiontool"
    "|storebot-google|googleother|feedfetcher-google|bingbot|adidxbot"
    "|bingpreview|msnbot|slurp|duckduckbot|baiduspider|yandex(bot|images)"
    "|applebot|petalbot|seznambot|sogou|exabot|facebookexternalhit"
    "|facebookcatalog|meta-externalagent|linkedinbot|twitterbot|slackbot"
    "|slack-imgproxy|discordbot|telegrambot|whatsapp|skypeuripreview"
    "|pinterest|redditbot|embedly|quora link preview|vkshare|iframely"
    "|ahrefsbot|semrushbot|mj12bot|dotbot|bytespider|gptbot|ccbot"
    "|claudebot|perplexitybot|headlesschrome|lighthouse|pingdom"
    "|uptimerobot|\\bcrawler\\b|\\bspider\\b");

static ngx_str_t  ngx_http_icp_gpc_header = ngx_string("sec-gpc");
static ngx_str_t  ngx_http_icp_preview_header = ngx_string("x-icp-preview");


static ngx_table_elt_t *ngx_http_icp_header(ngx_http_request_t *r,
    ngx_str_t *lowcase_name);
static ngx_int_t ngx_http_icp_consent(ngx_http_request_t *r,
    ngx_http_icp_loc_conf_t *lcf);
static ngx_int_t ngx_http_icp_visitor(ngx_http_request_t *r,
    ngx_http_icp_ctx_t *ctx, ngx_http_icp_loc_conf_t *lcf);
static ngx_int_t ngx_http_icp_address(ngx_http_request_t *r,
    ngx_http_icp_ctx_t *ctx);
static ngx_uint_t ngx_http_icp_same_utm(icp_utm_t *a, icp_utm_t *b);


ngx_int_t
ngx_http_icp_inputs_init(ngx_conf_t *cf)
{
    u_char                     errstr[NGX_MAX_CONF_ERRSTR];
    ngx_str_t                  name = ngx_string("request_id");
    ngx_regex_compile_t        rc;
    ngx_http_icp_main_conf_t  *mcf;

    mcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_icp_module);

    ngx_memzero(&rc, sizeof(ngx_regex_compile_t));

    rc.pattern = ngx_http_icp_bots_pattern;
    rc.pool = cf->pool;
    rc.options = NGX_REGEX_CASELESS;
    rc.err.len = NGX_MAX_CONF_ERRSTR;
    rc.err.data = errstr;

    if (ngx_regex_compile(&rc) != NGX_OK) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "%V", &rc.err);
        return NGX_ERROR;
    }

    mcf->bots = rc.regex;

    mcf->request_id_index = ngx_http_get_variable_index(cf, &name);

    return mcf->request_id_index == NGX_ERROR ? NGX_ERROR : NGX_OK;
}


ngx_int_t
ngx_http_icp_read_inputs(ngx_http_request_t *r, ngx_http_icp_ctx_t *ctx,
    ngx_http_icp_loc_conf_t *lcf)
{
    icp_utm_t                  utm;
    ngx_uint_t                 campaign;
    unsigned long              now;
    ngx_table_elt_t           *h;
    ngx_http_icp_main_conf_t  *mcf;

    mcf = ngx_http_get_module_main_conf(r, ngx_http_icp_module);

    ctx->consent = ngx_http_icp_consent(r, lcf);

    if (lcf->bots && r->headers_in.user_agent
        && ngx_regex_exec(mcf->bots, &r->headers_in.user_agent->value,
                          NULL, 0)
           >= 0)
    {
        ctx->bot = 1;
    }

    if (lcf->preview_key.len) {
        h = ngx_http_icp_header(r, &ngx_http_icp_preview_header);

        /* in constant time, as the cookie MAC: the key is a secret */

        ctx->preview = h && h->value.len == lcf->preview_key.len
                       && CRYPTO_memcmp(h->value.data, lcf->preview_key.data,
                                        h->value.len) == 0;
    }

    if (ctx->consent && !ctx->bot) {
        if (ngx_http_icp_visitor(r, ctx, lcf) != NGX_OK) {
            return NGX_ERROR;
        }
    }

    /* new UTM parameters replace the saved set; none keep it */

    campaign = 0;

    if ((icp_query_utm((char *) r->args.data, r->args.len, &utm)
         || utm.click_id)
        && !ngx_http_icp_same_utm(&utm, &ctx->context.utm))
    {
        ctx->context.utm = utm;
        campaign = 1;
    }

    /*
     * A visit, as analytics tools count them: a landing-page view 30
     * minutes or more after the visit began, or with another campaign,
     * begins a new one.  Only then (or with a new assignment) does the
     * context change and its cookie get signed and sent again.  A
     * conversion page is not a landing-page view.
     */

    now = (unsigned long) ngx_time();

    if (lcf->enable
        && (campaign || now < ctx->context.visit_start
            || now - ctx->context.visit_start >= NGX_HTTP_ICP_VISIT_TIME))
    {
        ctx->context.visits++;
        ctx->context.visit_start = now;
        ctx->context_changed = 1;
    }

    return ngx_http_icp_address(r, ctx);
}


static ngx_table_elt_t *
ngx_http_icp_header(ngx_http_request_t *r, ngx_str_t *lowcase_name)
{
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                return NULL;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len == lowcase_name->len
            && ngx_strncmp(h[i].lowcase_key, lowcase_name->data,
                           lowcase_name->len) == 0)
        {
            return &h[i];
        }
    }
}


static ngx_int_t
ngx_http_icp_consent(ngx_http_request_t *r, ngx_http_icp_loc_conf_t *lcf)
{
    ngx_table_elt_t            *h;
    ngx_http_variable_value_t  *v;

    if (lcf->consent_index != NGX_ERROR) {
        v = ngx_http_get_indexed_variable(r, lcf->consent_index);

        if (v == NULL || v->not_found || v->len == 0
            || (v->len == 1 && v->data[0] == '0'))
        {
            return 0;
        }
    }

    if (lcf->gpc) {
        h = ngx_http_icp_header(r, &ngx_http_icp_gpc_header);

        if (h && h->value.len == 1 && h->value.data[0] == '1') {
            return 0;
        }
    }

    return 1;
}


/*
 * The visitor id comes from its cookie when well-formed, else is new; the
 * context cookie is trusted only with a valid MAC for that id.
 */

static ngx_int_t
ngx_http_icp_visitor(ngx_http_request_t *r, ngx_http_icp_ctx_t *ctx,
    ngx_http_icp_loc_conf_t *lcf)
{
    ngx_str_t                  cookie;
    icp_context_rc_t           rc;
    ngx_http_icp_main_conf_t  *mcf;

    if (ngx_http_parse_multi_header_lines(&r->headers_in.cookies,
                                          &lcf->cookie_name, &cookie)
        != NGX_DECLINED
        && icp_vid_valid((char *) cookie.data, cookie.len))
    {
        ctx->decision.visitor = cookie;

    } else {
        ctx->decision.visitor.data = ngx_pnalloc(r->pool, ICP_VID_LEN);
        if (ctx->decision.visitor.data == NULL) {
            return NGX_ERROR;
        }

        if (!icp_vid_generate((char *) ctx->decision.visitor.data)) {
            ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                          "icp: RAND_bytes() failed");
            return NGX_ERROR;
        }

        ctx->decision.visitor.len = ICP_VID_LEN;
        ctx->new_visitor = 1;
    }

    ctx->set_cookies = 1;

    mcf = ngx_http_get_module_main_conf(r, ngx_http_icp_module);

    if (mcf->secret.len == 0 || ctx->new_visitor) {
        return NGX_OK;
    }

    if (ngx_http_parse_multi_header_lines(&r->headers_in.cookies,
                                          &lcf->context_cookie_name,
                                          &cookie)
        == NGX_DECLINED)
    {
        return NGX_OK;
    }

    rc = icp_context_decode((char *) cookie.data, cookie.len,
                            (char *) ctx->decision.visitor.data,
                            ctx->decision.visitor.len,
                            mcf->secret.data, mcf->secret.len,
                            &ctx->context);

    if (rc == ICP_CONTEXT_FORGED) {
        ctx->context_forged = 1;
        ngx_http_icp_status_forged(r);

        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "icp: context cookie \"%V\" failed its signature "
                      "check, ignored", &lcf->context_cookie_name);
    }

    return NGX_OK;
}


/* Without consent only the /24 (IPv4) or /48 (IPv6) network is kept. */

static ngx_int_t
ngx_http_icp_address(ngx_http_request_t *r, ngx_http_icp_ctx_t *ctx)
{
    ngx_sockaddr_t       sa;
    struct sockaddr_in  *sin;
#if (NGX_HAVE_INET6)
    struct sockaddr_in6 *sin6;
#endif

    if (ctx->consent) {
        ctx->addr = r->connection->addr_text;
        return NGX_OK;
    }

    ngx_memcpy(&sa, r->connection->sockaddr, r->connection->socklen);

    switch (sa.sockaddr.sa_family) {

    case AF_INET:
        sin = &sa.sockaddr_in;
        sin->sin_addr.s_addr &= htonl(0xffffff00);
        break;

#if (NGX_HAVE_INET6)
    case AF_INET6:
        sin6 = &sa.sockaddr_in6;
        ngx_memzero(&sin6->sin6_addr.s6_addr[6], 10);
        break;
#endif

    default:
        ngx_str_null(&ctx->addr);
        return NGX_OK;
    }

    ctx->addr.data = ngx_pnalloc(r->pool, NGX_SOCKADDR_STRLEN);
    if (ctx->addr.data == NULL) {
        return NGX_ERROR;
    }

    ctx->addr.len = ngx_sock_ntop(&sa.sockaddr, r->connection->socklen,
                                  ctx->addr.data, NGX_SOCKADDR_STRLEN, 0);

    return NGX_OK;
}


/* The same campaign: the same UTM fields with the same values, same click. */

static ngx_uint_t
ngx_http_icp_same_utm(icp_utm_t *a, icp_utm_t *b)
{
    ngx_uint_t  i;

    if (a->present != b->present || a->click_id != b->click_id) {
        return 0;
    }

    for (i = 0; i < ICP_UTM_N; i++) {
        if ((a->present & (1u << i))
            && (a->len[i] != b->len[i]
                || ngx_memcmp(a->value[i], b->value[i], a->len[i]) != 0))
        {
            return 0;
        }
    }

    return 1;
}
