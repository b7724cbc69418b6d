/*
 * A compiled ruleset: its memory, the field and number syntax shared by the
 * compiler and the evaluator, and the accessors of lfr.h.
 */

#include <stdlib.h>
#include <string.h>

#include "lfr_int.h"


#define LFR_CHUNK_SIZE  4096


static const char  *lfr_fixed_names[LFR_SLOT_FIXED] = {
    "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content",
    "utm_id", "click_id", "visits"
};

/* Fields the contract names without a prefix. */
static const char  *lfr_firmo_fields[] = {
    "company", "domain", "industry", "sic", "naics", "employees", "revenue",
    "country", "region", "tech", "source", "as_of", "confidence", NULL
};

static const char  *lfr_contact_fields[] = {
    "title", "seniority", "lifecycle", NULL
};


static lfr_source_t
lfr_fixed_source(size_t slot)
{
    if (slot < LFR_SLOT_CLICK_ID) {
        return LFR_SRC_UTM;
    }

    return slot == LFR_SLOT_CLICK_ID ? LFR_SRC_CLICK_ID : LFR_SRC_VISITS;
}


lfr_rules_t *
lfr_rules_new(void)
{
    size_t        i;
    lfr_rules_t  *rules;

    rules = calloc(1, sizeof(lfr_rules_t));
    if (rules == NULL) {
        return NULL;
    }

    rules->slots = calloc(LFR_SLOT_FIXED, sizeof(lfr_slot_t));
    if (rules->slots == NULL) {
        free(rules);
        return NULL;
    }

    for (i = 0; i < LFR_SLOT_FIXED; i++) {
        rules->slots[i].name = lfr_fixed_names[i];
        rules->slots[i].len = strlen(lfr_fixed_names[i]);
        rules->slots[i].source = lfr_fixed_source(i);
    }

    rules->nslots = LFR_SLOT_FIXED;

    return rules;
}


/* len + 1 bytes from the ruleset's arena, freed with it. */
char *
lfr_alloc(lfr_rules_t *rules, size_t len)
{
    char         *p;
    size_t        size;
    lfr_chunk_t  *c;

    c = rules->arena;

    if (c == NULL || c->size - c->used < len + 1) {
        size = len + 1 > LFR_CHUNK_SIZE ? len + 1 : LFR_CHUNK_SIZE;

        c = malloc(sizeof(lfr_chunk_t) + size);
        if (c == NULL) {
            return NULL;
        }

        c->next = rules->arena;
        c->used = 0;
        c->size = size;
        rules->arena = c;
    }

    p = (char *) (c + 1) + c->used;
    c->used += len + 1;

    return p;
}


char *
lfr_strdup(lfr_rules_t *rules, const char *s, size_t len)
{
    char  *p;

    p = lfr_alloc(rules, len);

    if (p) {
        memcpy(p, s, len);
        p[len] = '\0';
    }

    return p;
}


/*
 * Decimal text with an optional sign, fraction and K/M/B suffix.  Returns
 * 0 and the value, or -1: the same parser reads literals and inputs, so
 * "1.5M" in a rule equals "1500000" from Redis exactly.
 */
int
lfr_parse_number(const char *s, size_t len, double *num)
{
    size_t       i, start, dot, digits, frac;
    double       mult;
    unsigned     d;
    uint64_t     mant;
    int          neg;

    static const double  p10[] = {
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12,
        1e13, 1e14, 1e15
    };

    i = 0;
    neg = 0;

    if (len && (s[0] == '-' || s[0] == '+')) {
        neg = s[0] == '-';
        i++;
    }

    mult = 1;

    if (len > i) {
        switch (s[len - 1]) {
        case 'K': case 'k': mult = 1e3; len--; break;
        case 'M': case 'm': mult = 1e6; len--; break;
        case 'B': case 'b': mult = 1e9; len--; break;
        }
    }

    mant = 0;
    start = i;
    dot = 0;        /* the position after the '.', 0 without one */

    /*
     * the digits are summed in an integer, cheaper than in a double and
     * as exact: 15 digits stay below 2^53; more, which may wrap, are
     * refused below.  Only the '.' is remembered: the counts of digits
     * follow from its position.
     */
    for ( /* void */ ; i < len; i++) {
        d = (unsigned char) s[i] - (unsigned) '0';

        if (d <= 9) {
            mant = mant * 10 + d;

        } else if (s[i] == '.' && dot == 0) {
            dot = i + 1;

        } else {
            return -1;
        }
    }

    digits = len - start - (dot != 0);
    frac = dot ? len - dot : 0;

    /* beyond this a double no longer holds the digits exactly */
    if (digits == 0 || digits > 15) {
        return -1;
    }

    *num = (double) mant * mult / p10[frac];

    if (neg) {
        *num = -*num;
    }

    return 0;
}


static int
lfr_name_ok(const char *s, size_t len, int dash)
{
    size_t  i;

    if (len == 0) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')
              || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'
              || (dash && s[i] == '-')))
        {
            return 0;
        }
    }

    return 1;
}


static int
lfr_in_list(const char **list, const char *s, size_t len)
{
    for ( /* void */ ; *list; list++) {
        if (strlen(*list) == len && memcmp(*list, s, len) == 0) {
            return 1;
        }
    }

    return 0;
}


/*
 * Resolves a field as written in the rules (or on the CLI) to its source
 * and slot name: "industry" and "firmo.industry" are the same field.
 */
int
lfr_field_resolve(const char *f, size_t len, lfr_source_t *source,
    const char **name, size_t *name_len)
{
    size_t  i;

    for (i = 0; i < LFR_SLOT_FIXED; i++) {
        if (strlen(lfr_fixed_names[i]) == len
            && memcmp(lfr_fixed_names[i], f, len) == 0)
        {
            *source = lfr_fixed_source(i);
            *name = f;
            *name_len = len;
            return 0;
        }
    }

    if (len > 6 && memcmp(f, "firmo.", 6) == 0) {
        *source = LFR_SRC_FIRMO;
        *name = f + 6;
        *name_len = len - 6;
        return lfr_name_ok(*name, *name_len, 1) ? 0 : -1;
    }

    if (len > 8 && memcmp(f, "contact.", 8) == 0) {
        *source = LFR_SRC_CONTACT;
        *name = f + 8;
        *name_len = len - 8;
        return lfr_name_ok(*name, *name_len, 1) ? 0 : -1;
    }

    if (len > 1 && f[0] == '$') {
        *source = LFR_SRC_VAR;
        *name = f + 1;
        *name_len = len - 1;
        return lfr_name_ok(*name, *name_len, 0) ? 0 : -1;
    }

    *name = f;
    *name_len = len;

    if (lfr_in_list(lfr_firmo_fields, f, len)) {
        *source = LFR_SRC_FIRMO;
        return 0;
    }

    if (lfr_in_list(lfr_contact_fields, f, len)) {
        *source = LFR_SRC_CONTACT;
        return 0;
    }

    return -1;
}


void
lfr_free(lfr_rules_t *rules)
{
    size_t        i;
    lfr_chunk_t  *c, *next;

    if (rules == NULL) {
        return;
    }

    for (i = 0; i < rules->nconds; i++) {
        pcre2_code_free(rules->conds[i].re);
    }

    pcre2_match_data_free(rules->match_data);
    pcre2_match_context_free(rules->match_ctx);

    for (c = rules->arena; c; c = next) {
        next = c->next;
        free(c);
    }

    free(rules->slots);
    free(rules->conds);
    free(rules->values);
    free(rules->icps);
    free(rules->excludes);
    free(rules->personas);
    free(rules->routes);
    free(rules->variants);
    free(rules->scratch);
    free(rules->order);
    free(rules->route_table);
    lfr_dict_free(rules);
    free(rules);
}


size_t
lfr_nslots(const lfr_rules_t *rules)
{
    return rules->nslots;
}


lfr_source_t
lfr_slot_source(const lfr_rules_t *rules, size_t slot)
{
    return rules->slots[slot].source;
}


const char *
lfr_slot_name(const lfr_rules_t *rules, size_t slot)
{
    return rules->slots[slot].name;
}


size_t
lfr_slot_name_len(const lfr_rules_t *rules, size_t slot)
{
    return rules->slots[slot].len;
}


int
lfr_slot_find(const lfr_rules_t *rules, lfr_source_t source,
    const char *name)
{
    size_t  i;

    for (i = 0; i < rules->nslots; i++) {
        if (rules->slots[i].source == source
            && strcmp(rules->slots[i].name, name) == 0)
        {
            return (int) i;
        }
    }

    return -1;
}


int
lfr_field_find(const lfr_rules_t *rules, const char *field, size_t len)
{
    size_t        i, nlen;
    const char   *name;
    lfr_source_t  source;

    if (lfr_field_resolve(field, len, &source, &name, &nlen) != 0) {
        return -2;
    }

    for (i = 0; i < rules->nslots; i++) {
        if (rules->slots[i].source == source
            && rules->slots[i].len == nlen
            && memcmp(rules->slots[i].name, name, nlen) == 0)
        {
            return (int) i;
        }
    }

    return -1;
}


void
lfr_field_texts(const lfr_rules_t *rules, const char *field, size_t len,
    lfr_text_pt fn, void *ctx)
{
    int                 slot;
    size_t              i, j;
    const lfr_cond_t   *c;
    const lfr_value_t  *v;

    slot = lfr_field_find(rules, field, len);

    for (i = 0; slot >= 0 && i < rules->nconds; i++) {
        c = &rules->conds[i];

        if (c->slot != (uint32_t) slot
            || (c->op != LFR_OP_IN && c->op != LFR_OP_NOT_IN
                && c->op != LFR_OP_EQ && c->op != LFR_OP_NE
                && c->op != LFR_OP_HAS))
        {
            continue;
        }

        for (j = 0; j < c->nvalues; j++) {
            v = &rules->values[c->value + j];

            if (!v->is_num) {
                fn(ctx, v->data, v->len, v->line, v->col);
            }
        }
    }
}


void
lfr_summary(const lfr_rules_t *rules, lfr_summary_t *summary)
{
    size_t  i;

    summary->icps = rules->nicps;
    summary->excludes = rules->nexcludes;
    summary->personas = rules->npersonas;
    summary->routes = rules->nroutes;
    summary->experiments = 0;

    for (i = 0; i < rules->nroutes; i++) {
        summary->experiments += rules->routes[i].experiment != NULL;
    }
}


const char *
lfr_segment_name(const lfr_rules_t *rules, int segment)
{
    if (segment == LFR_EXCLUDED) {
        return "excluded";
    }

    if (segment < 0 || (size_t) segment >= rules->nicps) {
        return "none";
    }

    return rules->icps[segment].name;
}


const char *
lfr_persona_name(const lfr_rules_t *rules, int persona)
{
    if (persona < 0 || (size_t) persona >= rules->npersonas) {
        return "none";
    }

    return rules->personas[persona].name;
}


size_t
lfr_nroutes(const lfr_rules_t *rules)
{
    return rules->nroutes;
}


static const lfr_route_t *
lfr_route(const lfr_rules_t *rules, int route)
{
    if (route < 0 || (size_t) route >= rules->nroutes) {
        return NULL;
    }

    return &rules->routes[route];
}


const char *
lfr_route_name(const lfr_rules_t *rules, int route)
{
    const lfr_route_t  *r;

    r = lfr_route(rules, route);

    return r ? r->name : "none";
}


const char *
lfr_route_experiment(const lfr_rules_t *rules, int route)
{
    const lfr_route_t  *r;

    r = lfr_route(rules, route);

    return r ? r->experiment : NULL;
}


size_t
lfr_route_nvariants(const lfr_rules_t *rules, int route)
{
    const lfr_route_t  *r;

    r = lfr_route(rules, route);

    return r ? r->nvariants : 0;
}


static const lfr_variant_t *
lfr_variant(const lfr_rules_t *rules, int route, size_t variant)
{
    const lfr_route_t  *r;

    r = lfr_route(rules, route);

    if (r == NULL || variant >= r->nvariants) {
        return NULL;
    }

    return &rules->variants[r->variant + variant];
}


const char *
lfr_variant_name(const lfr_rules_t *rules, int route, size_t variant)
{
    const lfr_variant_t  *v;

    v = lfr_variant(rules, route, variant);

    return v ? v->name : NULL;
}


const char *
lfr_variant_uri(const lfr_rules_t *rules, int route, size_t variant)
{
    const lfr_variant_t  *v;

    v = lfr_variant(rules, route, variant);

    return v ? v->uri : NULL;
}


unsigned
lfr_variant_weight(const lfr_rules_t *rules, int route, size_t variant)
{
    const lfr_variant_t  *v;

    v = lfr_variant(rules, route, variant);

    return v ? v->weight : 0;
}


int
lfr_variant_find(const lfr_rules_t *rules, int route, const char *name,
    size_t len)
{
    size_t                i;
    const lfr_route_t    *r;
    const lfr_variant_t  *v;

    r = lfr_route(rules, route);
    if (r == NULL) {
        return -1;
    }

    v = &rules->variants[r->variant];

    for (i = 0; i < r->nvariants; i++) {
        if (strlen(v[i].name) == len && memcmp(v[i].name, name, len) == 0) {
            return (int) i;
        }
    }

    return -1;
}
