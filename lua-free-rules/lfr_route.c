/*
 * Routes: their blocks, the resolution of their patterns once every ICP
 * and persona is known, the checks on their order, and the table that
 * decides the route of every (segment, persona) at load.
 */

#include <stdlib.h>
#include <string.h>

#include "lfr_int.h"
#include "lfr_parse.h"


#define LFR_MAX_TABLE   (1024 * 1024)


static const char *
lfr_join(lfr_parser_t *p, const char *a, char sep, const char *b)
{
    char    *s;
    size_t   alen, blen;

    alen = strlen(a);
    blen = strlen(b);

    s = lfr_alloc(p->rules, alen + 1 + blen);
    if (s) {
        memcpy(s, a, alen);
        s[alen] = sep;
        memcpy(s + alen + 1, b, blen);
        s[alen + 1 + blen] = '\0';
    }

    return s;
}


static int
lfr_pattern(lfr_parser_t *p, const char *what, const char **name,
    lfr_token_t *tok)
{
    *tok = p->tok;

    if (lfr_is(tok, "*")) {
        *name = "*";
        return lfr_next(p);
    }

    return lfr_name(p, what, name);
}


static int
lfr_variant(lfr_parser_t *p, const lfr_route_t *r, unsigned *weighted)
{
    size_t          i;
    char            buf[64];
    lfr_token_t     name, uri;
    lfr_variant_t   v, *vs;
    lfr_rules_t    *rules;

    rules = p->rules;
    memset(&v, 0, sizeof(lfr_variant_t));

    if (lfr_next(p) != 0) {
        return -1;
    }

    name = p->tok;

    if (lfr_name(p, "variant", &v.name) != 0) {
        return -1;
    }

    for (i = r->variant; i < rules->nvariants; i++) {
        if (strcmp(rules->variants[i].name, v.name) == 0) {
            return lfr_error(p, &name, "duplicate variant '%s' in route "
                             "%s", v.name, r->name);
        }
    }

    uri = p->tok;

    if (uri.type != LFR_TOK_WORD && uri.type != LFR_TOK_STRING) {
        return lfr_error(p, &uri, "expected the URI of variant '%s', "
                         "found %s", v.name, lfr_show(&uri, buf, sizeof(buf)));
    }

    for (i = 0; i < uri.len; i++) {
        if ((unsigned char) uri.data[i] <= 0x20 || uri.data[i] == 0x7f) {
            return lfr_error(p, &uri, "the URI of variant '%s' must not "
                             "contain spaces or control characters", v.name);
        }
    }

    if (uri.len == 0) {
        return lfr_error(p, &uri, "empty URI for variant '%s'", v.name);
    }

    v.uri = lfr_tok_dup(p, &uri);
    if (v.uri == NULL) {
        return lfr_oom(p);
    }

    v.weight = 1;

    if (lfr_next(p) != 0) {
        return -1;
    }

    if (p->tok.type == LFR_TOK_WORD) {
        if (lfr_integer(p, "variant weight", 1, LFR_MAX_WEIGHT, &v.weight)
            != 0)
        {
            return -1;
        }

        (*weighted)++;
    }

    if (lfr_expect(p, LFR_TOK_SEMI, "';' or a weight") != 0) {
        return -1;
    }

    vs = lfr_reserve(rules->variants, rules->nvariants, &p->variants_cap,
                     sizeof(lfr_variant_t));
    if (vs == NULL) {
        return lfr_oom(p);
    }

    rules->variants = vs;
    vs[rules->nvariants++] = v;

    return 0;
}


int
lfr_route_block(lfr_parser_t *p)
{
    size_t            i;
    unsigned          weighted;
    uint64_t          total, sum;
    char              buf[64];
    lfr_route_t       r, *rs;
    lfr_variant_t    *v;
    lfr_route_src_t   src, *ss;
    lfr_rules_t      *rules;

    rules = p->rules;
    memset(&r, 0, sizeof(lfr_route_t));
    memset(&src, 0, sizeof(lfr_route_src_t));
    src.tok = p->tok;

    if (lfr_next(p) != 0
        || lfr_pattern(p, "segment", &src.seg, &src.seg_tok) != 0
        || lfr_pattern(p, "persona", &src.per, &src.per_tok) != 0)
    {
        return -1;
    }

    r.name = lfr_join(p, src.seg, '/', src.per);
    if (r.name == NULL) {
        return lfr_oom(p);
    }

    if (lfr_expect(p, LFR_TOK_LBRACE, "'{'") != 0) {
        return -1;
    }

    r.variant = rules->nvariants;
    weighted = 0;

    while (p->tok.type != LFR_TOK_RBRACE) {
        if (lfr_is(&p->tok, "variant")) {
            if (lfr_variant(p, &r, &weighted) != 0) {
                return -1;
            }
            continue;
        }

        if (!lfr_is(&p->tok, "experiment")) {
            return lfr_error(p, &p->tok, "expected 'variant', 'experiment' "
                             "or '}' in route %s, found %s", r.name,
                             lfr_show(&p->tok, buf, sizeof(buf)));
        }

        if (r.experiment) {
            return lfr_error(p, &p->tok, "duplicate experiment statement "
                             "in route %s", r.name);
        }

        if (lfr_next(p) != 0) {
            return -1;
        }

        src.exp_tok = p->tok;

        if (lfr_name(p, "experiment", &r.experiment) != 0
            || lfr_expect(p, LFR_TOK_SEMI, "';'") != 0)
        {
            return -1;
        }
    }

    r.nvariants = rules->nvariants - r.variant;

    if (r.nvariants == 0) {
        return lfr_error(p, &src.tok, "route %s has no variant", r.name);
    }

    if (weighted && weighted < r.nvariants) {
        return lfr_error(p, &src.tok, "give every variant of route %s a "
                         "weight, or none", r.name);
    }

    if (r.nvariants == 1) {
        if (r.experiment) {
            lfr_warn(p, &src.exp_tok, "experiment '%s' has no effect: route "
                     "%s has a single variant", r.experiment, r.name);
        }

        r.experiment = NULL;

    } else if (r.experiment == NULL) {
        src.exp_tok = src.tok;
        r.experiment = lfr_join(p, src.seg, '.', src.per);
        if (r.experiment == NULL) {
            return lfr_oom(p);
        }
    }

    /* bucket b goes to the first variant whose cum exceeds b */
    v = &rules->variants[r.variant];
    total = 0;
    sum = 0;

    for (i = 0; i < r.nvariants; i++) {
        total += v[i].weight;
    }

    for (i = 0; i < r.nvariants; i++) {
        sum += v[i].weight;
        v[i].cum = (unsigned) (sum * LFR_BUCKETS / total);
    }

    rs = lfr_reserve(rules->routes, rules->nroutes, &p->routes_cap,
                     sizeof(lfr_route_t));
    if (rs == NULL) {
        return lfr_oom(p);
    }

    rules->routes = rs;

    ss = lfr_reserve(p->route_src, rules->nroutes, &p->route_src_cap,
                     sizeof(lfr_route_src_t));
    if (ss == NULL) {
        return lfr_oom(p);
    }

    p->route_src = ss;
    ss[rules->nroutes] = src;
    rs[rules->nroutes++] = r;

    return lfr_next(p);
}


static int
lfr_find_block(const lfr_block_t *blocks, size_t n, const char *name)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        if (strcmp(blocks[i].name, name) == 0) {
            return (int) i;
        }
    }

    return -1;
}


/* Route patterns name blocks anywhere in the file: resolved at the end. */
int
lfr_resolve(lfr_parser_t *p)
{
    size_t            i, j;
    lfr_route_t      *r, *q;
    lfr_rules_t      *rules;
    lfr_route_src_t  *s, *t;

    rules = p->rules;

    for (i = 0; i < rules->nroutes; i++) {
        r = &rules->routes[i];
        s = &p->route_src[i];

        if (strcmp(s->seg, "*") == 0) {
            r->segment = LFR_ANY;
        } else if (strcmp(s->seg, "none") == 0) {
            r->segment = LFR_NONE;
        } else if (strcmp(s->seg, "excluded") == 0) {
            r->segment = LFR_EXCLUDED;
        } else {
            r->segment = lfr_find_block(rules->icps, rules->nicps, s->seg);
            if (r->segment < 0) {
                return lfr_error(p, &s->seg_tok, "route names unknown icp "
                                 "'%s'", s->seg);
            }
        }

        if (strcmp(s->per, "*") == 0) {
            r->persona = LFR_ANY;
        } else if (strcmp(s->per, "none") == 0) {
            r->persona = LFR_NONE;
        } else if (strcmp(s->per, "excluded") == 0) {
            return lfr_error(p, &s->per_tok, "'excluded' is a segment, not "
                             "a persona: use a persona name, none or *");
        } else {
            r->persona = lfr_find_block(rules->personas, rules->npersonas,
                                        s->per);
            if (r->persona < 0) {
                return lfr_error(p, &s->per_tok, "route names unknown "
                                 "persona '%s'", s->per);
            }
        }

        for (j = 0; r->experiment && j < i; j++) {
            q = &rules->routes[j];

            if (q->experiment && strcmp(q->experiment, r->experiment) == 0) {
                t = &p->route_src[j];
                return lfr_error(p, &s->exp_tok, "duplicate experiment "
                                 "'%s', also run by route %s at %u:%u",
                                 r->experiment, q->name, t->tok.line,
                                 t->tok.col);
            }
        }
    }

    return 0;
}


void
lfr_check_routes(lfr_parser_t *p)
{
    int           any;
    size_t        i, j;
    lfr_route_t  *r, *q;
    lfr_rules_t  *rules;

    rules = p->rules;
    any = 0;

    for (i = 0; i < rules->nroutes; i++) {
        r = &rules->routes[i];
        any |= r->segment == LFR_ANY && r->persona == LFR_ANY;

        for (j = 0; j < i; j++) {
            q = &rules->routes[j];

            if ((q->segment == LFR_ANY || q->segment == r->segment)
                && (q->persona == LFR_ANY || q->persona == r->persona))
            {
                lfr_warn(p, &p->route_src[i].tok, "unreachable route %s: "
                         "route %s at %u:%u matches its visitors first",
                         r->name, q->name, p->route_src[j].tok.line,
                         p->route_src[j].tok.col);
                break;
            }
        }
    }

    if (!any) {
        lfr_warn(p, &p->tok, "no 'route * *': some visitors get no variant");
    }
}


/* First-match routing, decided for every (segment, persona) at load. */
int
lfr_route_table(lfr_parser_t *p)
{
    int            seg, per, *t;
    size_t         i, rows, cols;
    lfr_rules_t   *rules;
    lfr_route_t   *r;

    rules = p->rules;
    rows = rules->nicps + 2;
    cols = rules->npersonas + 1;

    if (rows * cols > LFR_MAX_TABLE) {
        return lfr_error(p, &p->tok, "too large: %lu icps times %lu personas "
                         "exceed %u combinations",
                         (unsigned long) rules->nicps,
                         (unsigned long) rules->npersonas, LFR_MAX_TABLE);
    }

    rules->route_table = malloc(rows * cols * sizeof(int));
    if (rules->route_table == NULL) {
        return lfr_oom(p);
    }

    t = rules->route_table;

    for (seg = LFR_EXCLUDED; seg < (int) rules->nicps; seg++) {
        for (per = LFR_NONE; per < (int) rules->npersonas; per++) {
            *t = LFR_NONE;

            for (i = 0; i < rules->nroutes; i++) {
                r = &rules->routes[i];

                if ((r->segment == LFR_ANY || r->segment == seg)
                    && (r->persona == LFR_ANY || r->persona == per))
                {
                    *t = (int) i;
                    break;
                }
            }

            t++;
        }
    }

    return 0;
}
