/*
 * Directives whose arguments need more than an nginx slot function: the
 * rules file (compiled once per distinct path, freed with the cycle that
 * loaded it), the visitor cookie and the consent variable.
 */

#include "ngx_http_icp_module.h"


static ngx_int_t ngx_http_icp_rules_slots(ngx_conf_t *cf,
    ngx_http_icp_rules_t *rules);
static void ngx_http_icp_rules_diag(void *data, lfr_severity_t severity,
    const char *file, unsigned line, unsigned col, const char *msg);
static void ngx_http_icp_rules_cleanup(void *data);
static char *ngx_http_icp_cookie_attrs(ngx_conf_t *cf,
    ngx_http_icp_loc_conf_t *lcf, time_t max_age, ngx_str_t *domain,
    ngx_str_t *path, ngx_str_t *samesite, ngx_uint_t secure);


char *
ngx_http_icp_rules_directive(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_icp_loc_conf_t  *lcf = conf;

    ngx_str_t                  *value, path;
    ngx_uint_t                  i;
    ngx_pool_cleanup_t         *cln;
    ngx_http_icp_rules_t       *rules, **rp;
    ngx_http_icp_main_conf_t   *mcf;

    if (lcf->rules != NULL) {
        return "is duplicate";
    }

    value = cf->args->elts;
    path = value[1];

    if (ngx_conf_full_name(cf->cycle, &path, 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    mcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_icp_module);

    rp = mcf->rules.elts;

    for (i = 0; i < mcf->rules.nelts; i++) {
        if (rp[i]->path.len == path.len
            && ngx_strncmp(rp[i]->path.data, path.data, path.len) == 0)
        {
            lcf->rules = rp[i];
            return NGX_CONF_OK;
        }
    }

    rules = ngx_pcalloc(cf->pool, sizeof(ngx_http_icp_rules_t));
    if (rules == NULL) {
        return NGX_CONF_ERROR;
    }

    /* ngx_conf_full_name() NUL-terminates the name */
    rules->path = path;

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        return NGX_CONF_ERROR;
    }

    rules->rules = lfr_compile_file((char *) path.data,
                                    ngx_http_icp_rules_diag, cf);
    if (rules->rules == NULL) {
        return NGX_CONF_ERROR;
    }

    cln->handler = ngx_http_icp_rules_cleanup;
    cln->data = rules->rules;

    if (ngx_http_icp_rules_slots(cf, rules) != NGX_OK
        || ngx_http_icp_decision_names(cf, rules) != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    rp = ngx_array_push(&mcf->rules);
    if (rp == NULL) {
        return NGX_CONF_ERROR;
    }

    *rp = rules;
    lcf->rules = rules;

    return NGX_CONF_OK;
}


/*
 * Resolves the slots of $var fields to variable indexes now; the lookup
 * reads the firmographic and contact slots itself once all rules are in.
 */

static ngx_int_t
ngx_http_icp_rules_slots(ngx_conf_t *cf, ngx_http_icp_rules_t *rules)
{
    size_t       slot;
    ngx_str_t    name;

    rules->nslots = lfr_nslots(rules->rules);

    rules->var_index = ngx_palloc(cf->pool,
                                  rules->nslots * sizeof(ngx_int_t));
    if (rules->var_index == NULL) {
        return NGX_ERROR;
    }

    for (slot = 0; slot < rules->nslots; slot++) {
        rules->var_index[slot] = -1;

        if (lfr_slot_source(rules->rules, slot) != LFR_SRC_VAR) {
            continue;
        }

        name.data = (u_char *) lfr_slot_name(rules->rules, slot);
        name.len = lfr_slot_name_len(rules->rules, slot);

        rules->var_index[slot] = ngx_http_get_variable_index(cf, &name);
        if (rules->var_index[slot] == NGX_ERROR) {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


static void
ngx_http_icp_rules_diag(void *data, lfr_severity_t severity,
    const char *file, unsigned line, unsigned col, const char *msg)
{
    ngx_conf_t  *cf = data;

    ngx_conf_log_error(severity == LFR_ERROR ? NGX_LOG_EMERG : NGX_LOG_WARN,
                       cf, 0, "%s:%ud:%ud: %s", file, line, col, msg);
}


static void
ngx_http_icp_rules_cleanup(void *data)
{
    lfr_free(data);
}


char *
ngx_http_icp_cookie_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_icp_loc_conf_t  *lcf = conf;

    u_char      *p;
    time_t       max_age;
    ngx_str_t   *value, s, domain, path, samesite;
    ngx_uint_t   i, secure;

    if (lcf->cookie_name.data) {
        return "is duplicate";
    }

    value = cf->args->elts;

    for (p = value[1].data; p < value[1].data + value[1].len; p++) {
        if (!(isalnum(*p) || *p == '_' || *p == '-')) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid cookie name \"%V\": use letters, "
                               "digits, '_' and '-'", &value[1]);
            return NGX_CONF_ERROR;
        }
    }

    lcf->cookie_name = value[1];

    lcf->context_cookie_name.len = value[1].len + sizeof("_ctx") - 1;
    lcf->context_cookie_name.data = ngx_pnalloc(cf->pool,
                                                lcf->context_cookie_name.len);
    if (lcf->context_cookie_name.data == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_sprintf(lcf->context_cookie_name.data, "%V_ctx", &value[1]);

    max_age = NGX_HTTP_ICP_COOKIE_MAX_AGE;
    ngx_str_null(&domain);
    ngx_str_set(&path, "/");
    ngx_str_set(&samesite, "Lax");
    secure = 0;

    for (i = 2; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "max_age=", 8) == 0) {
            s.data = value[i].data + 8;
            s.len = value[i].len - 8;

            max_age = ngx_parse_time(&s, 1);
            if (max_age == (time_t) NGX_ERROR) {
                goto invalid;
            }

        } else if (ngx_strncmp(value[i].data, "domain=", 7) == 0) {
            domain.data = value[i].data + 7;
            domain.len = value[i].len - 7;

        } else if (ngx_strncmp(value[i].data, "path=", 5) == 0) {
            path.data = value[i].data + 5;
            path.len = value[i].len - 5;

            if (path.len == 0 || path.data[0] != '/') {
                goto invalid;
            }

        } else if (ngx_strncmp(value[i].data, "samesite=", 9) == 0) {
            s.data = value[i].data + 9;
            s.len = value[i].len - 9;

            if (s.len == 3 && ngx_strncasecmp(s.data, (u_char *) "Lax", 3) == 0)
            {
                ngx_str_set(&samesite, "Lax");

            } else if (s.len == 6
                       && ngx_strncasecmp(s.data, (u_char *) "Strict", 6) == 0)
            {
                ngx_str_set(&samesite, "Strict");

            } else if (s.len == 4
                       && ngx_strncasecmp(s.data, (u_char *) "None", 4) == 0)
            {
                ngx_str_set(&samesite, "None");
                secure = 1;

            } else {
                goto invalid;
            }

        } else if (value[i].len == 6
                   && ngx_strncmp(value[i].data, "secure", 6) == 0)
        {
            secure = 1;

        } else {
            goto invalid;
        }

        for (p = value[i].data; p < value[i].data + value[i].len; p++) {
            if (*p <= ' ' || *p == ';' || *p == ',' || *p >= 0x7f) {
                goto invalid;
            }
        }
    }

    return ngx_http_icp_cookie_attrs(cf, lcf, max_age, &domain, &path,
                                     &samesite, secure);

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid parameter \"%V\": expected max_age=TIME, "
                       "domain=D, path=/P, samesite=Lax|Strict|None "
                       "or secure", &value[i]);

    return NGX_CONF_ERROR;
}


/* Without icp_cookie: icp_vid, a year, Path=/, SameSite=Lax. */

char *
ngx_http_icp_cookie_default(ngx_conf_t *cf, ngx_http_icp_loc_conf_t *lcf)
{
    ngx_str_t  domain = ngx_null_string;
    ngx_str_t  path = ngx_string("/");
    ngx_str_t  samesite = ngx_string("Lax");

    ngx_str_set(&lcf->cookie_name, "icp_vid");
    ngx_str_set(&lcf->context_cookie_name, "icp_vid_ctx");

    return ngx_http_icp_cookie_attrs(cf, lcf, NGX_HTTP_ICP_COOKIE_MAX_AGE,
                                     &domain, &path, &samesite, 0);
}


/*
 * The attributes every Set-Cookie of the location ends with, written once
 * here rather than formatted for each response.
 */

static char *
ngx_http_icp_cookie_attrs(ngx_conf_t *cf, ngx_http_icp_loc_conf_t *lcf,
    time_t max_age, ngx_str_t *domain, ngx_str_t *path, ngx_str_t *samesite,
    ngx_uint_t secure)
{
    u_char  *p;

    p = ngx_pnalloc(cf->pool, sizeof("; Max-Age=") - 1 + NGX_TIME_T_LEN
                              + sizeof("; Path=") - 1 + path->len
                              + sizeof("; Domain=") - 1 + domain->len
                              + sizeof("; SameSite=") - 1 + samesite->len
                              + sizeof("; HttpOnly; Secure") - 1);
    if (p == NULL) {
        return NGX_CONF_ERROR;
    }

    lcf->cookie_attrs.data = p;

    p = ngx_sprintf(p, "; Max-Age=%T; Path=%V", max_age, path);

    if (domain->len) {
        p = ngx_sprintf(p, "; Domain=%V", domain);
    }

    p = ngx_sprintf(p, "; SameSite=%V; HttpOnly", samesite);

    if (secure) {
        p = ngx_cpymem(p, "; Secure", sizeof("; Secure") - 1);
    }

    lcf->cookie_attrs.len = p - lcf->cookie_attrs.data;

    return NGX_CONF_OK;
}


char *
ngx_http_icp_consent_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_icp_loc_conf_t  *lcf = conf;

    ngx_str_t  *value, name;

    if (lcf->consent_index != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (value[1].len < 2 || value[1].data[0] != '$') {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" is not a variable: expected $NAME",
                           &value[1]);
        return NGX_CONF_ERROR;
    }

    name.data = value[1].data + 1;
    name.len = value[1].len - 1;

    lcf->consent_index = ngx_http_get_variable_index(cf, &name);

    return lcf->consent_index == NGX_ERROR ? NGX_CONF_ERROR : NGX_CONF_OK;
}
