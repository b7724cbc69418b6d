/*
 * ngx_http_icp_module: types shared by the stages of a request.
 *
 * A request flows one way through the stage files:
 *   inputs (query, cookies, consent, bots) -> lookup (cache, then Redis)
 *   -> classify (rules) -> assign (variant) -> route (redirect, headers)
 *   -> log ($icp_json); variables read the context at any time.
 */

#ifndef NGX_HTTP_ICP_MODULE_H
#define NGX_HTTP_ICP_MODULE_H

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "lfr.h"
#include "icp_query.h"
#include "icp_context.h"


#define NGX_HTTP_ICP_COOKIE_MAX_AGE   (365 * 24 * 60 * 60)
#define NGX_HTTP_ICP_VISIT_TIME       (30 * 60)   /* a visit, README */

#define NGX_HTTP_ICP_ROUTE_INTERNAL   0
#define NGX_HTTP_ICP_ROUTE_REDIRECT   1
#define NGX_HTTP_ICP_ROUTE_OFF        2

/* $icp_cache values, in the order of ngx_http_icp_cache_names. */
#define NGX_HTTP_ICP_CACHE_BYPASS     0
#define NGX_HTTP_ICP_CACHE_HIT        1
#define NGX_HTTP_ICP_CACHE_MISS       2
#define NGX_HTTP_ICP_CACHE_STALE      3
#define NGX_HTTP_ICP_CACHE_ERROR      4


/* A variant of a route, as the rules name it. */
typedef struct {
    ngx_str_t                   name;
    ngx_str_t                   uri;
    ngx_uint_t                  weight;
} ngx_http_icp_variant_t;

/* A route: names and the record's fragments, made once at load. */
typedef struct {
    ngx_str_t                   name;         /* "SEGMENT/PERSONA" */
    ngx_str_t                   experiment;   /* empty: a single variant */
    ngx_http_icp_variant_t     *variants;
    ngx_uint_t                  nvariants;
    ngx_str_t                   weights;      /* {"a":50,"b":50} */
    ngx_str_t                   phase;        /* 8 hex digits, README */
} ngx_http_icp_route_t;


/* One compiled rules file, shared by every location that names it. */
typedef struct {
    ngx_str_t                   path;
    lfr_rules_t                *rules;
    ngx_int_t                  *var_index;   /* per slot; -1 if not a $var */
    ngx_uint_t                  nslots;

    /* names by index (ngx_http_icp_decision.c builds them at load) */
    ngx_str_t                  *segments;    /* index + 2: excluded, none */
    ngx_str_t                  *personas;    /* index + 1: none */
    ngx_http_icp_route_t       *routes;
    ngx_uint_t                  nroutes;
} ngx_http_icp_rules_t;


typedef struct ngx_http_icp_lookup_conf_s  ngx_http_icp_lookup_conf_t;
typedef struct ngx_http_icp_status_conf_s  ngx_http_icp_status_conf_t;

typedef struct {
    ngx_array_t                 rules;        /* ngx_http_icp_rules_t * */
    ngx_str_t                   secret;
    ngx_http_icp_lookup_conf_t *lookup;       /* NULL: no icp_redis */
    ngx_http_icp_status_conf_t *status;
    ngx_regex_t                *bots;         /* known crawlers */
    ngx_int_t                   request_id_index;
    time_t                      loaded;       /* when this conf loaded */
} ngx_http_icp_main_conf_t;


typedef struct {
    ngx_flag_t                  enable;
    ngx_http_icp_rules_t       *rules;
    ngx_uint_t                  route;

    ngx_str_t                   cookie_name;
    ngx_str_t                   context_cookie_name;
    ngx_str_t                   cookie_attrs; /* "; Max-Age=...", built once */

    ngx_int_t                   consent_index;
    ngx_flag_t                  gpc;
    ngx_flag_t                  bots;
    ngx_flag_t                  private;
    ngx_str_t                   preview_key;
    ngx_http_complex_value_t   *convert_goal;  /* NULL: not a goal here */
    ngx_http_complex_value_t   *convert_value;
    ngx_array_t                *goals;         /* icp_goals: ngx_str_t */

    ngx_int_t                   lookup_ip_index;
    ngx_int_t                   lookup_domain_index;
    ngx_int_t                   lookup_contact_index;
    time_t                      lookup_max_age;    /* 0: records never age */
} ngx_http_icp_loc_conf_t;


typedef struct {
    ngx_str_t                   name;
    ngx_str_t                   value;
} ngx_http_icp_field_t;

/* What the lookup stage found; fields point into r->pool. */
typedef struct {
    ngx_http_icp_field_t       *firmo;
    ngx_uint_t                  nfirmo;
    ngx_http_icp_field_t       *contact;
    ngx_uint_t                  ncontact;
} ngx_http_icp_firmo_t;


/*
 * The decision, as named values: each stage writes its part once, and
 * the route, the log record, the variables, the status counters and
 * X-ICP-Debug read it; none of them maps indexes to names again.  Until
 * a stage has run its part holds the defaults: "none", "" and 0.
 */
typedef struct {
    ngx_str_t                   visitor;      /* inputs; empty: no consent
                                                 or a crawler */
    ngx_uint_t                  cache;        /* lookup: CACHE_* */
    ngx_str_t                   segment;      /* classify */
    ngx_str_t                   persona;
    ngx_int_t                   score;
    ngx_http_icp_route_t       *route;        /* NULL: no route matched */
    ngx_str_t                   route_name;
    ngx_str_t                   experiment;   /* assign; empty: no test */
    ngx_str_t                   phase;        /* of the experiment */
    ngx_str_t                   variant;
    ngx_str_t                   variant_uri;  /* empty: nowhere to go */
    ngx_int_t                   bucket;       /* -1: not drawn */
    ngx_str_t                   reason;       /* built on first read */
} ngx_http_icp_decision_t;


typedef struct {
    /* inputs */
    icp_context_t               context;      /* cookie, then this request */
    ngx_str_t                   addr;         /* logged form of the addr */
    ngx_str_t                   req_id;
    ngx_msec_t                  start_msec;

    /* lookup */
    ngx_http_icp_firmo_t        firmo;

    ngx_http_icp_loc_conf_t    *lcf;          /* where it was decided */

    /* classify */
    ngx_http_icp_rules_t       *rules;
    lfr_str_t                  *inputs;
    lfr_result_t                result;

    /* assign */
    ngx_int_t                   variant;      /* -1: no route matched */
    ngx_str_t                   goal;         /* conversion goal */
    ngx_str_t                   value;        /* its value, or empty */

    ngx_http_icp_decision_t     decision;

    unsigned                    classified:1;
    unsigned                    lookup_done:1;
    unsigned                    lookup_pending:1;
    unsigned                    consent:1;
    unsigned                    bot:1;
    unsigned                    preview:1;
    unsigned                    new_visitor:1;
    unsigned                    new_assignment:1;
    unsigned                    context_changed:1;
    unsigned                    context_forged:1;
    unsigned                    set_cookies:1;
    unsigned                    headers_done:1;
} ngx_http_icp_ctx_t;


extern ngx_module_t  ngx_http_icp_module;
extern ngx_str_t     ngx_http_icp_cache_names[];


/* conf */
char *ngx_http_icp_rules_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_icp_cookie_default(ngx_conf_t *cf,
    ngx_http_icp_loc_conf_t *lcf);
char *ngx_http_icp_cookie_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_icp_consent_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);

/* context, survives internal redirects: ngx_http_icp_ctx.c */
ngx_http_icp_ctx_t *ngx_http_icp_get_ctx(ngx_http_request_t *r);
ngx_http_icp_ctx_t *ngx_http_icp_create_ctx(ngx_http_request_t *r);

/*
 * n in decimal, written backwards so that it ends at last; returns where
 * it starts.  For every request's numbers, where ngx_sprintf's format
 * parsing costs more than the digits.
 */
static ngx_inline u_char *
ngx_http_icp_decimal(u_char *last, ngx_uint_t n)
{
    do {
        *--last = (u_char) ('0' + n % 10);
        n /= 10;
    } while (n);

    return last;
}

/* the characters of names the rules and icp_goals admit (lfr.h) */
#define ngx_http_icp_name_char(c)                                            \
    (((c) >= 'a' && (c) <= 'z') || ((c) >= 'A' && (c) <= 'Z')               \
     || ((c) >= '0' && (c) <= '9') || (c) == '_' || (c) == '-' || (c) == '.')

/* conversions: ngx_http_icp_convert.c */
char *ngx_http_icp_convert_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_icp_goals_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_icp_convert_merge(ngx_conf_t *cf,
    ngx_http_icp_loc_conf_t *prev, ngx_http_icp_loc_conf_t *conf);
ngx_int_t ngx_http_icp_convert(ngx_http_request_t *r,
    ngx_http_icp_ctx_t *ctx, ngx_http_icp_loc_conf_t *lcf);

/* decision: the names of a ruleset, made at load; the reason, on demand */
ngx_int_t ngx_http_icp_decision_names(ngx_conf_t *cf,
    ngx_http_icp_rules_t *rules);
ngx_str_t *ngx_http_icp_decision_reason(ngx_http_request_t *r,
    ngx_http_icp_ctx_t *ctx);

/* stages */
ngx_int_t ngx_http_icp_inputs_init(ngx_conf_t *cf);
ngx_int_t ngx_http_icp_read_inputs(ngx_http_request_t *r,
    ngx_http_icp_ctx_t *ctx, ngx_http_icp_loc_conf_t *lcf);
ngx_int_t ngx_http_icp_classify(ngx_http_request_t *r,
    ngx_http_icp_ctx_t *ctx);
ngx_int_t ngx_http_icp_assign(ngx_http_request_t *r,
    ngx_http_icp_ctx_t *ctx, ngx_http_icp_loc_conf_t *lcf);
ngx_int_t ngx_http_icp_route(ngx_http_request_t *r,
    ngx_http_icp_ctx_t *ctx, ngx_http_icp_loc_conf_t *lcf);
ngx_int_t ngx_http_icp_route_init(ngx_conf_t *cf);
ngx_int_t ngx_http_icp_add_variables(ngx_conf_t *cf);

#endif /* NGX_HTTP_ICP_MODULE_H */
