/*
 * The evaluator: classifies one visitor against a compiled ruleset and
 * explains the decision.  No allocation: per-slot facts (the number an
 * input holds, whether it is valid UTF-8) live in the ruleset's scratch
 * array and are computed at most once per call.
 */

#include <string.h>

#include "lfr_int.h"


static void
lfr_reset(const lfr_rules_t *rules)
{
    memset(rules->scratch, 0, rules->nslots * sizeof(lfr_scratch_t));
}


static int
lfr_num(const lfr_rules_t *rules, const lfr_cond_t *c, const lfr_str_t *in,
    double *num)
{
    lfr_scratch_t  *s;

    s = &rules->scratch[c->slot];

    if (!(s->flags & LFR_NUM_DONE)) {
        s->flags |= LFR_NUM_DONE;

        if (lfr_parse_number(in->data, in->len, &s->num) == 0) {
            s->flags |= LFR_NUM_OK;
        }
    }

    *num = s->num;

    return (s->flags & LFR_NUM_OK) != 0;
}


static int
lfr_text_eq(const char *a, const char *b, size_t len)
{
    size_t         i;
    unsigned char  x, y;

    for (i = 0; i < len; i++) {
        x = a[i];
        y = b[i];

        if (x != y) {
            x = (x >= 'A' && x <= 'Z') ? x | 0x20 : x;
            y = (y >= 'A' && y <= 'Z') ? y | 0x20 : y;

            if (x != y) {
                return 0;
            }
        }
    }

    return 1;
}


/* Whether s equals one of the condition's literals, as text or number. */
static int
lfr_one_of(const lfr_rules_t *rules, const lfr_cond_t *c, const char *s,
    size_t len, const lfr_str_t *in)
{
    size_t              i;
    double              num;
    const lfr_value_t  *v;

    v = &rules->values[c->value];

    for (i = 0; i < c->nvalues; i++) {
        if (v[i].len == len && lfr_text_eq(v[i].data, s, len)) {
            return 1;
        }
    }

    for (i = 0; i < c->nvalues; i++) {
        if (!v[i].is_num) {
            continue;
        }

        if (in) {
            if (!lfr_num(rules, c, in, &num)) {
                return 0;
            }

        } else if (lfr_parse_number(s, len, &num) != 0) {
            return 0;
        }

        if (v[i].num == num) {
            return 1;
        }
    }

    return 0;
}


/* "has": the input is a comma-separated list; any element may match. */
static int
lfr_has(const lfr_rules_t *rules, const lfr_cond_t *c, const lfr_str_t *in)
{
    const char  *p, *end, *s, *e;

    p = in->data;
    end = p + in->len;

    for ( ;; ) {
        s = p;

        while (p < end && *p != ',') {
            p++;
        }

        e = p;

        while (s < e && (*s == ' ' || *s == '\t')) {
            s++;
        }

        while (e > s && (e[-1] == ' ' || e[-1] == '\t')) {
            e--;
        }

        if (lfr_one_of(rules, c, s, e - s, NULL)) {
            return 1;
        }

        if (p == end) {
            return 0;
        }

        p++;
    }
}


/* 1 match, 0 no match, -1 cannot tell: invalid UTF-8 or a limit hit. */
static int
lfr_match(const lfr_rules_t *rules, const lfr_cond_t *c, const lfr_str_t *in)
{
    int             rc;
    lfr_scratch_t  *s;

    s = &rules->scratch[c->slot];

    if (!(s->flags & LFR_UTF_DONE)) {
        s->flags |= LFR_UTF_DONE;

        if (lfr_utf8_valid(in->data, in->len)) {
            s->flags |= LFR_UTF_OK;
        }
    }

    if (!(s->flags & LFR_UTF_OK)) {
        return -1;
    }

    rc = pcre2_match(c->re, (PCRE2_SPTR) in->data, in->len, 0,
                     PCRE2_NO_UTF_CHECK, rules->match_data, rules->match_ctx);

    if (rc >= 0) {
        return 1;
    }

    return rc == PCRE2_ERROR_NOMATCH ? 0 : -1;
}


static int
lfr_cond(const lfr_rules_t *rules, const lfr_cond_t *c,
    const lfr_str_t *inputs)
{
    double            num;
    const lfr_str_t  *in;

    in = &inputs[c->slot];

    if (in->data == NULL) {
        return c->op == LFR_OP_MISSING;
    }

    switch (c->op) {

    case LFR_OP_IN:
    case LFR_OP_EQ:
        return lfr_one_of(rules, c, in->data, in->len, in);

    case LFR_OP_NOT_IN:
    case LFR_OP_NE:
        return !lfr_one_of(rules, c, in->data, in->len, in);

    case LFR_OP_RANGE:
        return lfr_num(rules, c, in, &num) && num >= c->lo && num <= c->hi;

    case LFR_OP_LT:
        return lfr_num(rules, c, in, &num) && num < c->lo;

    case LFR_OP_LE:
        return lfr_num(rules, c, in, &num) && num <= c->lo;

    case LFR_OP_GT:
        return lfr_num(rules, c, in, &num) && num > c->lo;

    case LFR_OP_GE:
        return lfr_num(rules, c, in, &num) && num >= c->lo;

    case LFR_OP_RE:
        return lfr_match(rules, c, in) == 1;

    case LFR_OP_NOT_RE:
        return lfr_match(rules, c, in) == 0;

    case LFR_OP_HAS:
        return lfr_has(rules, c, in);

    case LFR_OP_EXISTS:
        return 1;

    default: /* LFR_OP_MISSING */
        return 0;
    }
}


static int
lfr_all(const lfr_rules_t *rules, const lfr_block_t *b,
    const lfr_str_t *inputs)
{
    uint32_t  i;

    for (i = b->cond; i < b->cond + b->nconds; i++) {
        if (!lfr_cond(rules, &rules->conds[i], inputs)) {
            return 0;
        }
    }

    return 1;
}


/*
 * The weight of the ICP's true conditions.  Unless beat is negative, it
 * stops once neither the threshold nor a score above beat is reachable:
 * such an ICP can change neither the segment nor the near-miss score.
 */
static unsigned
lfr_earned(const lfr_rules_t *rules, const lfr_block_t *b,
    const lfr_str_t *inputs, int beat)
{
    uint32_t           i;
    unsigned           earned, left;
    const lfr_cond_t  *c;

    earned = 0;
    left = b->total;

    for (i = b->cond; i < b->cond + b->nconds; i++) {
        c = &rules->conds[i];
        left -= c->weight;

        if (lfr_cond(rules, c, inputs)) {
            earned += c->weight;

        } else if (beat >= 0
                   && 100 * (uint64_t) (earned + left)
                      < (uint64_t) b->threshold * b->total
                   && 100 * (uint64_t) (earned + left)
                      <= (uint64_t) beat * b->total)
        {
            return 0;
        }
    }

    return earned;
}


static int
lfr_matches(const lfr_block_t *b, unsigned earned)
{
    return 100 * (uint64_t) earned >= (uint64_t) b->threshold * b->total;
}


static int
lfr_route_matches(const lfr_route_t *r, const lfr_result_t *result)
{
    return (r->segment == LFR_ANY || r->segment == result->segment)
           && (r->persona == LFR_ANY || r->persona == result->persona);
}


void
lfr_classify(const lfr_rules_t *rules, const lfr_str_t *inputs,
    lfr_result_t *result)
{
    size_t              i;
    int                 score, best;
    unsigned            earned;
    const lfr_block_t  *b;

    lfr_reset(rules);

    result->segment = LFR_NONE;
    result->exclude = -1;
    result->score = 0;
    result->persona = LFR_NONE;
    result->route = LFR_NONE;

    for (i = 0; i < rules->nexcludes; i++) {
        if (lfr_all(rules, &rules->excludes[i], inputs)) {
            result->segment = LFR_EXCLUDED;
            result->exclude = (int) i;
            break;
        }
    }

    best = 0;

    for (i = 0; result->segment == LFR_NONE && i < rules->nicps; i++) {
        b = &rules->icps[i];
        earned = lfr_earned(rules, b, inputs, best);
        score = (int) (100 * (uint64_t) earned / b->total);

        if (lfr_matches(b, earned)) {
            result->segment = (int) i;
            best = score;

        } else if (score > best) {
            best = score;
        }
    }

    if (result->segment != LFR_EXCLUDED) {
        result->score = best;
    }

    for (i = 0; i < rules->npersonas; i++) {
        if (lfr_all(rules, &rules->personas[i], inputs)) {
            result->persona = (int) i;
            break;
        }
    }

    for (i = 0; i < rules->nroutes; i++) {
        if (lfr_route_matches(&rules->routes[i], result)) {
            result->route = (int) i;
            break;
        }
    }
}


/* snprintf-like output of lfr_explain. */
typedef struct {
    char    *buf;
    size_t   size;
    size_t   len;
} lfr_out_t;


static void
lfr_put(lfr_out_t *out, const char *s)
{
    size_t  n;

    n = strlen(s);

    if (out->len < out->size) {
        memcpy(out->buf + out->len, s,
               n < out->size - out->len ? n : out->size - out->len);
    }

    out->len += n;
}


static void
lfr_put_int(lfr_out_t *out, int v)
{
    char  buf[16], *p;

    p = buf + sizeof(buf);
    *--p = '\0';

    do {
        *--p = (char) ('0' + v % 10);
        v /= 10;
    } while (v);

    lfr_put(out, p);
}


/* Field names and verdicts only: input values never reach the reason. */
static void
lfr_put_block(lfr_out_t *out, const lfr_rules_t *rules, const lfr_block_t *b,
    const lfr_str_t *inputs)
{
    uint32_t           i;
    const lfr_cond_t  *c;

    lfr_put(out, " (");

    for (i = b->cond; i < b->cond + b->nconds; i++) {
        c = &rules->conds[i];

        lfr_put(out, i == b->cond ? "" : ", ");
        lfr_put(out, c->field);

        if (lfr_cond(rules, c, inputs)) {
            lfr_put(out, " ok");
        } else {
            lfr_put(out, inputs[c->slot].data ? " fail" : " absent");
        }
    }

    lfr_put(out, ")");
}


static int
lfr_score(const lfr_rules_t *rules, const lfr_block_t *b,
    const lfr_str_t *inputs)
{
    return (int) (100 * (uint64_t) lfr_earned(rules, b, inputs, -1)
                  / b->total);
}


size_t
lfr_explain(const lfr_rules_t *rules, const lfr_str_t *inputs,
    const lfr_result_t *result, char *buf, size_t size)
{
    size_t              i;
    int                 score, best;
    lfr_out_t           out;
    const lfr_block_t  *b;

    out.buf = buf;
    out.size = size ? size - 1 : 0;
    out.len = 0;

    lfr_reset(rules);

    if (result->segment == LFR_EXCLUDED && result->exclude >= 0
        && (size_t) result->exclude < rules->nexcludes)
    {
        b = &rules->excludes[result->exclude];
        lfr_put(&out, "excluded by ");
        lfr_put(&out, b->name);
        lfr_put_block(&out, rules, b, inputs);

    } else if (result->segment >= 0
               && (size_t) result->segment < rules->nicps)
    {
        b = &rules->icps[result->segment];
        lfr_put(&out, "icp ");
        lfr_put(&out, b->name);
        lfr_put(&out, " ");
        lfr_put_int(&out, result->score);
        lfr_put(&out, "%");
        lfr_put_block(&out, rules, b, inputs);

    } else {
        lfr_put(&out, "icp none");

        /* the near miss: the first ICP with the best score */
        b = NULL;
        best = -1;

        for (i = 0; i < rules->nicps; i++) {
            score = lfr_score(rules, &rules->icps[i], inputs);

            if (score > best) {
                best = score;
                b = &rules->icps[i];
            }
        }

        if (b) {
            lfr_put(&out, ", best ");
            lfr_put(&out, b->name);
            lfr_put(&out, " ");
            lfr_put_int(&out, best);
            lfr_put(&out, "%");
            lfr_put_block(&out, rules, b, inputs);
        }
    }

    lfr_put(&out, "; persona ");

    if (result->persona >= 0 && (size_t) result->persona < rules->npersonas) {
        b = &rules->personas[result->persona];
        lfr_put(&out, b->name);
        lfr_put_block(&out, rules, b, inputs);

    } else {
        lfr_put(&out, "none");
    }

    lfr_put(&out, "; route ");
    lfr_put(&out, lfr_route_name(rules, result->route));

    if (size) {
        buf[out.len < out.size ? out.len : out.size] = '\0';
    }

    return out.len;
}
