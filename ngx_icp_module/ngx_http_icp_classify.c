/*
 * The classify stage: fills the rules' input slots from the request's
 * inputs and lookup result, asks the rules engine, and writes the
 * segment, persona, score and route into the decision.
 */

#include "ngx_http_icp_module.h"


static lfr_str_t ngx_http_icp_field(ngx_http_icp_field_t *fields,
    ngx_uint_t n, const char *name, size_t len);


ngx_int_t
ngx_http_icp_classify(ngx_http_request_t *r, ngx_http_icp_ctx_t *ctx)
{
    u_char                     *p, *last;
    size_t                      slot;
    icp_utm_t                  *utm;
    lfr_str_t                  *in;
    ngx_uint_t                  i;
    lfr_rules_t                *lr;
    ngx_http_icp_rules_t       *rules;
    ngx_http_icp_decision_t    *d;
    ngx_http_variable_value_t  *v;

    rules = ctx->rules;
    lr = rules->rules;

    /* the visit count's digits after the slots: one allocation */
    in = ngx_pcalloc(r->pool, rules->nslots * sizeof(lfr_str_t)
                              + NGX_INT_T_LEN);
    if (in == NULL) {
        return NGX_ERROR;
    }

    utm = &ctx->context.utm;

    for (i = 0; i < ICP_UTM_N; i++) {
        if (utm->present & (1u << i)) {
            in[LFR_SLOT_UTM_SOURCE + i].data = utm->value[i];
            in[LFR_SLOT_UTM_SOURCE + i].len = utm->len[i];
        }
    }

    if (utm->click_id) {
        in[LFR_SLOT_CLICK_ID].data = utm->click_id;
        in[LFR_SLOT_CLICK_ID].len = ngx_strlen(utm->click_id);
    }

    last = (u_char *) &in[rules->nslots] + NGX_INT_T_LEN;
    p = ngx_http_icp_decimal(last, ctx->context.visits);

    in[LFR_SLOT_VISITS].data = (char *) p;
    in[LFR_SLOT_VISITS].len = last - p;

    for (slot = LFR_SLOT_FIXED; slot < rules->nslots; slot++) {
        switch (lfr_slot_source(lr, slot)) {

        case LFR_SRC_FIRMO:
            in[slot] = ngx_http_icp_field(ctx->firmo.firmo,
                                          ctx->firmo.nfirmo,
                                          lfr_slot_name(lr, slot),
                                          lfr_slot_name_len(lr, slot));
            break;

        case LFR_SRC_CONTACT:
            in[slot] = ngx_http_icp_field(ctx->firmo.contact,
                                          ctx->firmo.ncontact,
                                          lfr_slot_name(lr, slot),
                                          lfr_slot_name_len(lr, slot));
            break;

        case LFR_SRC_VAR:
            v = ngx_http_get_indexed_variable(r, rules->var_index[slot]);

            if (v && !v->not_found) {
                in[slot].data = v->len ? (char *) v->data : "";
                in[slot].len = v->len;
            }
            break;

        default:
            break;
        }
    }

    ctx->inputs = in;

    lfr_classify(lr, in, &ctx->result);

    d = &ctx->decision;
    d->segment = rules->segments[ctx->result.segment + 2];
    d->persona = rules->personas[ctx->result.persona + 1];
    d->score = ctx->result.score;

    if (ctx->result.route != LFR_NONE) {
        d->route = &rules->routes[ctx->result.route];
        d->route_name = d->route->name;
    }

    return NGX_OK;
}


static lfr_str_t
ngx_http_icp_field(ngx_http_icp_field_t *fields, ngx_uint_t n,
    const char *name, size_t len)
{
    lfr_str_t   s;
    ngx_uint_t  i;

    for (i = 0; i < n; i++) {
        if (fields[i].name.len == len
            && ngx_memcmp(fields[i].name.data, name, len) == 0)
        {
            s.data = (char *) fields[i].value.data;
            s.len = fields[i].value.len;
            return s;
        }
    }

    s.data = NULL;
    s.len = 0;

    return s;
}
