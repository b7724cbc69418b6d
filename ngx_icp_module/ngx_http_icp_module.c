/*
 * ngx_http_icp_module: the module definition, its configuration structs
 * and the preaccess handler that drives a request through the stages.
 *
 * The handler runs in the preaccess phase, after realip has set the
 * visitor address and rewrite has set any variables the rules read.  The
 * lookup may suspend the request there; it calls back the resume function
 * it is given.
 */

#include "ngx_http_icp_module.h"
#include "ngx_http_icp_lookup.h"
#include "ngx_http_icp_status.h"


static void *ngx_http_icp_create_main_conf(ngx_conf_t *cf);
static char *ngx_http_icp_init_main_conf(ngx_conf_t *cf, void *conf);
static void *ngx_http_icp_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_icp_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);
static ngx_uint_t ngx_http_icp_returns(ngx_conf_t *cf);
static ngx_int_t ngx_http_icp_preconfiguration(ngx_conf_t *cf);
static ngx_int_t ngx_http_icp_postconfiguration(ngx_conf_t *cf);
static ngx_int_t ngx_http_icp_init_process(ngx_cycle_t *cycle);
static void ngx_http_icp_exit_process(ngx_cycle_t *cycle);
static ngx_int_t ngx_http_icp_convert_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_icp_handler(ngx_http_request_t *r);
static ngx_http_icp_ctx_t *ngx_http_icp_start(ngx_http_request_t *r,
    ngx_http_icp_loc_conf_t *lcf);
static void ngx_http_icp_lookup_resume(ngx_http_request_t *r);


static ngx_conf_enum_t  ngx_http_icp_route_modes[] = {
    { ngx_string("internal"), NGX_HTTP_ICP_ROUTE_INTERNAL },
    { ngx_string("redirect"), NGX_HTTP_ICP_ROUTE_REDIRECT },
    { ngx_string("off"), NGX_HTTP_ICP_ROUTE_OFF },
    { ngx_null_string, 0 }
};


static ngx_command_t  ngx_http_icp_commands[] = {

    { ngx_string("icp"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_icp_loc_conf_t, enable),
      NULL },

    { ngx_string("icp_rules"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_icp_rules_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("icp_redis"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_1MORE,
      ngx_http_icp_redis_directive,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("icp_cache"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_1MORE,
      ngx_http_icp_cache_directive,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("icp_lookup"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_icp_lookup_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("icp_route"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_enum_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_icp_loc_conf_t, route),
      &ngx_http_icp_route_modes },

    { ngx_string("icp_cookie"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_CONF_1MORE,
      ngx_http_icp_cookie_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("icp_secret"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_icp_main_conf_t, secret),
      NULL },

    { ngx_string("icp_consent"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_icp_consent_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("icp_gpc"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_icp_loc_conf_t, gpc),
      NULL },

    { ngx_string("icp_bots"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_icp_loc_conf_t, bots),
      NULL },

    { ngx_string("icp_preview_key"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_icp_loc_conf_t, preview_key),
      NULL },

    { ngx_string("icp_private"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_icp_loc_conf_t, private),
      NULL },

    { ngx_string("icp_convert"),
      NGX_HTTP_LOC_CONF|NGX_CONF_TAKE12,
      ngx_http_icp_convert_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("icp_goals"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_icp_goals_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("icp_status"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_icp_status_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_icp_module_ctx = {
    ngx_http_icp_preconfiguration,         /* preconfiguration */
    ngx_http_icp_postconfiguration,        /* postconfiguration */

    ngx_http_icp_create_main_conf,         /* create main configuration */
    ngx_http_icp_init_main_conf,           /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_icp_create_loc_conf,          /* create location configuration */
    ngx_http_icp_merge_loc_conf            /* merge location configuration */
};


ngx_module_t  ngx_http_icp_module = {
    NGX_MODULE_V1,
    &ngx_http_icp_module_ctx,              /* module context */
    ngx_http_icp_commands,                 /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    ngx_http_icp_init_process,             /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    ngx_http_icp_exit_process,             /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static void *
ngx_http_icp_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_icp_main_conf_t  *mcf;

    mcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_icp_main_conf_t));
    if (mcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     mcf->secret = { 0, NULL };
     *     mcf->lookup = NULL;
     *     mcf->status = NULL;
     */

    if (ngx_array_init(&mcf->rules, cf->pool, 2,
                       sizeof(ngx_http_icp_rules_t *))
        != NGX_OK)
    {
        return NULL;
    }

    return mcf;
}


static char *
ngx_http_icp_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_http_icp_main_conf_t  *mcf = conf;

    ngx_uint_t                  n;
    ngx_http_icp_redis_conf_t  *servers;

    if (ngx_http_icp_lookup_init_conf(cf, mcf) != NGX_CONF_OK) {
        return NGX_CONF_ERROR;
    }

    servers = ngx_http_icp_lookup_servers(mcf, &n);

    if (ngx_http_icp_status_init_conf(cf, mcf, servers, n) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static void *
ngx_http_icp_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_icp_loc_conf_t  *lcf;

    lcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_icp_loc_conf_t));
    if (lcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     lcf->rules = NULL;
     *     lcf->cookie_name = { 0, NULL };
     *     lcf->cookie_attrs = { 0, NULL };
     *     lcf->preview_key = { 0, NULL };
     *     lcf->status = 0;
     */

    lcf->enable = NGX_CONF_UNSET;
    lcf->route = NGX_CONF_UNSET_UINT;
    lcf->consent_index = NGX_CONF_UNSET;
    lcf->gpc = NGX_CONF_UNSET;
    lcf->bots = NGX_CONF_UNSET;
    lcf->private = NGX_CONF_UNSET;
    lcf->lookup_ip_index = NGX_CONF_UNSET;
    lcf->lookup_domain_index = NGX_CONF_UNSET;
    lcf->lookup_contact_index = NGX_CONF_UNSET;
    lcf->convert_goal = NGX_CONF_UNSET_PTR;
    lcf->convert_value = NGX_CONF_UNSET_PTR;
    lcf->goals = NGX_CONF_UNSET_PTR;

    return lcf;
}


static char *
ngx_http_icp_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_icp_loc_conf_t  *prev = parent;
    ngx_http_icp_loc_conf_t  *conf = child;

    ngx_http_core_loc_conf_t  *clcf;

    ngx_conf_merge_value(conf->enable, prev->enable, 0);
    if (conf->rules == NULL) {
        conf->rules = prev->rules;
    }
    ngx_conf_merge_uint_value(conf->route, prev->route,
                              NGX_HTTP_ICP_ROUTE_INTERNAL);

    if (conf->cookie_name.data == NULL) {
        conf->cookie_name = prev->cookie_name;
        conf->context_cookie_name = prev->context_cookie_name;
        conf->cookie_attrs = prev->cookie_attrs;
    }

    if (conf->cookie_name.data == NULL) {
        if (ngx_http_icp_cookie_default(cf, conf) != NGX_CONF_OK) {
            return NGX_CONF_ERROR;
        }
    }

    ngx_conf_merge_value(conf->consent_index, prev->consent_index,
                         NGX_ERROR);
    ngx_conf_merge_value(conf->gpc, prev->gpc, 0);
    ngx_conf_merge_value(conf->bots, prev->bots, 1);
    ngx_conf_merge_value(conf->private, prev->private, 1);
    ngx_conf_merge_str_value(conf->preview_key, prev->preview_key, "");

    if (ngx_http_icp_lookup_merge(cf, prev, conf) != NGX_OK
        || ngx_http_icp_convert_merge(cf, prev, conf) != NGX_CONF_OK)
    {
        return NGX_CONF_ERROR;
    }

    if (conf->enable && conf->rules == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"icp on\" needs an \"icp_rules\" file "
                           "in this location or above it");
        return NGX_CONF_ERROR;
    }

    if (conf->enable && ngx_http_icp_returns(cf)) {
        clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

        ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                           "\"icp on\" in location \"%V\", where "
                           "\"return\" may answer before the decision: "
                           "such answers record no exposure", &clcf->name);
    }

    return NGX_CONF_OK;
}


/*
 * The rewrite module's location configuration starts with its compiled
 * codes, an array of words in which `return` (in the location or an `if`
 * of it) leaves the address of ngx_http_script_return_code.  `return`
 * answers in the rewrite phase, before the decision in preaccess.
 */

extern ngx_module_t  ngx_http_rewrite_module;

static ngx_uint_t
ngx_http_icp_returns(ngx_conf_t *cf)
{
    uintptr_t     *code;
    ngx_uint_t     i;
    ngx_array_t  **codes;

    codes = ngx_http_conf_get_module_loc_conf(cf, ngx_http_rewrite_module);

    if (codes == NULL || *codes == NULL) {
        return 0;
    }

    code = (*codes)->elts;

    for (i = 0; i < (*codes)->nelts; i++) {
        if (code[i] == (uintptr_t) ngx_http_script_return_code) {
            return 1;
        }
    }

    return 0;
}


static ngx_int_t
ngx_http_icp_preconfiguration(ngx_conf_t *cf)
{
    return ngx_http_icp_add_variables(cf);
}


static ngx_int_t
ngx_http_icp_postconfiguration(ngx_conf_t *cf)
{
    ngx_http_handler_pt        *h;
    ngx_http_core_main_conf_t  *cmcf;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_PREACCESS_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_icp_handler;

    /*
     * Handlers of a phase run in the reverse order of their registration,
     * and this module's configuration comes after the rewrite module's:
     * this one runs before `return` can answer.
     */

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_REWRITE_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_icp_convert_handler;

    if (ngx_http_icp_inputs_init(cf) != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_http_icp_route_init(cf);
}


static ngx_int_t
ngx_http_icp_init_process(ngx_cycle_t *cycle)
{
    return ngx_http_icp_lookup_init_process(cycle);
}


static void
ngx_http_icp_exit_process(ngx_cycle_t *cycle)
{
    ngx_http_icp_lookup_exit_process(cycle);
    icp_context_release();
}


/*
 * A conversion is read in the rewrite phase of the location that names
 * it, so that whatever answers (a file, `return`, a proxy, an error page)
 * the request is logged with its goal.  A request that was decided
 * earlier (an internal redirect into the goal's location) is not.
 */

static ngx_int_t
ngx_http_icp_convert_handler(ngx_http_request_t *r)
{
    ngx_http_icp_ctx_t       *ctx;
    ngx_http_icp_loc_conf_t  *lcf;

    if (r != r->main) {
        return NGX_DECLINED;
    }

    lcf = ngx_http_get_module_loc_conf(r, ngx_http_icp_module);

    if (lcf->convert_goal == NULL || ngx_http_icp_get_ctx(r) != NULL) {
        return NGX_DECLINED;
    }

    ctx = ngx_http_icp_start(r, lcf);

    if (ctx == NULL || ngx_http_icp_convert(r, ctx, lcf) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return NGX_DECLINED;
}


static ngx_int_t
ngx_http_icp_handler(ngx_http_request_t *r)
{
    ngx_int_t                 rc;
    ngx_http_icp_ctx_t       *ctx;
    ngx_http_icp_loc_conf_t  *lcf;

    if (r != r->main) {
        return NGX_DECLINED;
    }

    lcf = ngx_http_get_module_loc_conf(r, ngx_http_icp_module);

    if (!lcf->enable) {
        return NGX_DECLINED;
    }

    ctx = ngx_http_icp_get_ctx(r);

    if (ctx == NULL) {
        ctx = ngx_http_icp_start(r, lcf);
        if (ctx == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

    } else if (ctx->classified || ctx->lcf != lcf) {
        /* an internal redirect came back here: decide only once */
        return NGX_DECLINED;
    }

    if (!ctx->lookup_done) {

        if (ctx->lookup_pending) {
            return NGX_AGAIN;
        }

        rc = ngx_http_icp_lookup(r, ctx, lcf, ngx_http_icp_lookup_resume);

        if (rc == NGX_AGAIN) {
            ctx->lookup_pending = 1;
            r->read_event_handler = ngx_http_test_reading;
            r->write_event_handler = ngx_http_core_run_phases;
            return NGX_AGAIN;
        }

        if (rc != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ctx->lookup_done = 1;
    }

    ctx->rules = lcf->rules;
    ngx_http_icp_lookup_age(ctx, lcf);

    if (ngx_http_icp_classify(r, ctx) != NGX_OK
        || ngx_http_icp_assign(r, ctx, lcf) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->classified = 1;
    ngx_http_icp_status_classified(r, ctx);

    return ngx_http_icp_route(r, ctx, lcf);
}


static ngx_http_icp_ctx_t *
ngx_http_icp_start(ngx_http_request_t *r, ngx_http_icp_loc_conf_t *lcf)
{
    ngx_http_icp_ctx_t  *ctx;

    ctx = ngx_http_icp_create_ctx(r);
    if (ctx == NULL) {
        return NULL;
    }

    ctx->lcf = lcf;

    if (ngx_http_icp_read_inputs(r, ctx, lcf) != NGX_OK) {
        return NULL;
    }

    return ctx;
}


static void
ngx_http_icp_lookup_resume(ngx_http_request_t *r)
{
    ngx_connection_t    *c;
    ngx_http_icp_ctx_t  *ctx;

    ctx = ngx_http_icp_get_ctx(r);

    ctx->lookup_pending = 0;
    ctx->lookup_done = 1;

    c = r->connection;

    ngx_http_core_run_phases(r);
    ngx_http_run_posted_requests(c);
}
