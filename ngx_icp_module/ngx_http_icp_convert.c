/*
 * Conversions: the icp_convert and icp_goals directives, and the goal and
 * value of a converting request.  The goal is read in the rewrite phase,
 * before `return` can answer the request, so a beacon location that
 * answers 204 is recorded like a thank-you page.
 */

#include "ngx_http_icp_module.h"
#include "ngx_http_icp_status.h"


/* the largest value a conversion carries: 10^12 - 0.01, in cents */
#define NGX_HTTP_ICP_VALUE_MAX_CENTS  99999999999999ULL


static ngx_int_t ngx_http_icp_goal_declared(ngx_http_icp_loc_conf_t *lcf,
    ngx_str_t *goal);
static ngx_int_t ngx_http_icp_value_parse(ngx_str_t *text, uint64_t *cents);


char *
ngx_http_icp_convert_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_icp_loc_conf_t  *lcf = conf;

    ngx_str_t                         *value, v;
    ngx_uint_t                         i;
    ngx_http_complex_value_t         **cv;
    ngx_http_compile_complex_value_t   ccv;

    if (lcf->convert_goal != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {

        if (i > 1 && ngx_strncmp(value[i].data, "value=", 6) == 0) {
            cv = &lcf->convert_value;
            v.data = value[i].data + 6;
            v.len = value[i].len - 6;

        } else if (i == 1) {
            cv = &lcf->convert_goal;
            v = value[i];

        } else {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid parameter \"%V\": expected "
                               "value=$VARIABLE", &value[i]);
            return NGX_CONF_ERROR;
        }

        if (v.len == 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "empty goal or value in \"%V\"", &value[i]);
            return NGX_CONF_ERROR;
        }

        *cv = ngx_palloc(cf->pool, sizeof(ngx_http_complex_value_t));
        if (*cv == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_memzero(&ccv, sizeof(ngx_http_compile_complex_value_t));

        ccv.cf = cf;
        ccv.value = &v;
        ccv.complex_value = *cv;

        if (ngx_http_compile_complex_value(&ccv) != NGX_OK) {
            return NGX_CONF_ERROR;
        }
    }

    if (lcf->convert_value == NGX_CONF_UNSET_PTR) {
        lcf->convert_value = NULL;
    }

    return NGX_CONF_OK;
}


char *
ngx_http_icp_goals_directive(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_icp_loc_conf_t  *lcf = conf;

    ngx_str_t   *value, *goal;
    ngx_uint_t   i, j;

    if (lcf->goals != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    lcf->goals = ngx_array_create(cf->pool, cf->args->nelts - 1,
                                  sizeof(ngx_str_t));
    if (lcf->goals == NULL) {
        return NGX_CONF_ERROR;
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {
        for (j = 0; j < value[i].len; j++) {
            if (!ngx_http_icp_name_char(value[i].data[j])) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "invalid goal \"%V\": letters, digits, "
                                   "'_', '-' and '.' only", &value[i]);
                return NGX_CONF_ERROR;
            }
        }

        goal = ngx_array_push(lcf->goals);
        if (goal == NULL) {
            return NGX_CONF_ERROR;
        }

        *goal = value[i];
    }

    return NGX_CONF_OK;
}


/*
 * A goal written as a constant is declared by writing it; one from a
 * variable must be listed in icp_goals, so a visitor cannot invent goals
 * for the report.
 */

char *
ngx_http_icp_convert_merge(ngx_conf_t *cf, ngx_http_icp_loc_conf_t *prev,
    ngx_http_icp_loc_conf_t *conf)
{
    ngx_conf_merge_ptr_value(conf->goals, prev->goals, NULL);

    if (conf->convert_goal == NGX_CONF_UNSET_PTR) {
        conf->convert_goal = NULL;
        conf->convert_value = NULL;
    }

    if (conf->convert_goal && conf->convert_goal->lengths
        && conf->goals == NULL)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"icp_convert\" with a variable goal needs "
                           "\"icp_goals\" listing the goals it may name");
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


ngx_int_t
ngx_http_icp_convert(ngx_http_request_t *r, ngx_http_icp_ctx_t *ctx,
    ngx_http_icp_loc_conf_t *lcf)
{
    u_char     *p;
    uint64_t    cents;
    ngx_str_t   goal, value;

    if (ngx_http_complex_value(r, lcf->convert_goal, &goal) != NGX_OK) {
        return NGX_ERROR;
    }

    if (goal.len == 0
        || (lcf->convert_goal->lengths
            && ngx_http_icp_goal_declared(lcf, &goal) != NGX_OK))
    {
        ngx_http_icp_status_event(NGX_HTTP_ICP_STATUS_CONVERT_REJECTED);
        return NGX_OK;
    }

    ctx->goal = goal;

    if (lcf->convert_value) {
        if (ngx_http_complex_value(r, lcf->convert_value, &value) != NGX_OK) {
            return NGX_ERROR;
        }

        if (value.len && ngx_http_icp_value_parse(&value, &cents) == NGX_OK) {

            /* the record's number: no leading zeros, no trailing ones */

            p = ngx_pnalloc(r->pool, NGX_INT64_LEN + 3);
            if (p == NULL) {
                return NGX_ERROR;
            }

            ctx->value.data = p;
            p = ngx_sprintf(p, "%uL", cents / 100);

            if (cents % 100) {
                p = ngx_sprintf(p, ".%02uL", cents % 100);
                p -= (p[-1] == '0');
            }

            ctx->value.len = p - ctx->value.data;

        } else if (value.len) {
            ngx_http_icp_status_event(NGX_HTTP_ICP_STATUS_VALUE_REJECTED);
        }
    }

    ngx_http_icp_status_convert(r, ctx);

    return NGX_OK;
}


static ngx_int_t
ngx_http_icp_goal_declared(ngx_http_icp_loc_conf_t *lcf, ngx_str_t *goal)
{
    ngx_str_t   *g;
    ngx_uint_t   i;

    g = lcf->goals->elts;

    for (i = 0; i < lcf->goals->nelts; i++) {
        if (g[i].len == goal->len
            && ngx_strncmp(g[i].data, goal->data, goal->len) == 0)
        {
            return NGX_OK;
        }
    }

    return NGX_DECLINED;
}


/* DIGITS [. D [D]], at most NGX_HTTP_ICP_VALUE_MAX_CENTS */

static ngx_int_t
ngx_http_icp_value_parse(ngx_str_t *text, uint64_t *cents)
{
    u_char      *p, *end;
    uint64_t     whole;
    ngx_uint_t   digits, frac;

    p = text->data;
    end = p + text->len;
    whole = 0;
    digits = 0;

    while (p < end && *p >= '0' && *p <= '9') {
        if (++digits > 12) {
            return NGX_DECLINED;
        }

        whole = whole * 10 + (*p++ - '0');
    }

    if (digits == 0) {
        return NGX_DECLINED;
    }

    *cents = whole * 100;

    if (p == end) {
        return *cents <= NGX_HTTP_ICP_VALUE_MAX_CENTS ? NGX_OK : NGX_DECLINED;
    }

    if (*p++ != '.' || p == end || end - p > 2) {
        return NGX_DECLINED;
    }

    for (frac = 10; p < end; frac /= 10) {
        if (*p < '0' || *p > '9') {
            return NGX_DECLINED;
        }

        *cents += (*p++ - '0') * frac;
    }

    return *cents <= NGX_HTTP_ICP_VALUE_MAX_CENTS ? NGX_OK : NGX_DECLINED;
}
