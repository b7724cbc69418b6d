/*
 * The evaluator: classifies one visitor against a compiled ruleset and
 * explains the decision.  No allocation: per-slot facts (the number an
 * input holds, its id in the field's dictionary, whether it is valid
 * UTF-8) and the verdicts of shared conditions live in the ruleset's
 * scratch arrays and are computed at most once per call.
 */

#include <string.h>

#include "lfr_int.h"


static void
lfr_reset(const lfr_rules_t *rules)
{
    memset(rules->scratch, 0,
           rules->nslots * sizeof(lfr_scratch_t) + rules->nmemo);
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


/* Whether a number equals one of the condition's bare-number literals. */
static int
lfr_num_in(const lfr_rules_t *rules, const lfr_cond_t *c, double num)
{
    uint32_t            i;
    const lfr_value_t  *v;

    v = &rules->values[c->value];

    for (i = 0; i < c->nvalues; i++) {
        if (v[i].is_num && v[i].num == num) {
            return 1;
        }
    }

    return 0;
}


/* in, ==: the input's text is one of the literals, or its number is. */
static int
lfr_in(const lfr_rules_t *rules, const lfr_cond_t *c, const lfr_str_t *in)
{
    int             id;
    double          num;
    lfr_scratch_t  *s;

    s = &rules->scratch[c->slot];

    if (!(s->flags & LFR_ID_DONE)) {
        s->flags |= LFR_ID_DONE;
        s->id = lfr_dict_find(&rules->dicts[c->slot], in->data, in->len);
    }

    id = s->id;

    if (id >= 0 && (rules->sets[c->set + id / 64] >> (id % 64)) & 1) {
        return 1;
    }

    return c->has_num && lfr_num(rules, c, in, &num)
           && lfr_num_in(rules, c, num);
}


/* Walks the elements of a comma-separated input, blanks trimmed. */
typedef struct {
    const char  *p;
    const char  *end;
    int          done;
} lfr_list_t;


static int
lfr_element(lfr_list_t *l, const char **s, size_t *len)
{
    const char  *b, *e;

    if (l->done) {
        return 0;
    }

    b = l->p;

    for (e = b; e < l->end && *e != ','; e++) {
        /* void */
    }

    if (e == l->end) {
        l->done = 1;
    } else {
        l->p = e + 1;
    }

    while (b < e && (*b == ' ' || *b == '\t')) {
        b++;
    }

    while (e > b && (e[-1] == ' ' || e[-1] == '\t')) {
        e--;
    }

    *s = b;
    *len = e - b;

    return 1;
}


/* has: an element of the input is one of the literals, as text or number. */
static int
lfr_has(const lfr_rules_t *rules, const lfr_cond_t *c, const lfr_str_t *in)
{
    int                id;
    size_t             i, len;
    double             num;
    uint64_t          *set;
    const char        *s;
    lfr_list_t         l;
    lfr_scratch_t     *sc;
    const lfr_dict_t  *d;

    d = &rules->dicts[c->slot];
    set = &rules->has_sets[d->has];
    sc = &rules->scratch[c->slot];

    if (!(sc->flags & LFR_HAS_DONE)) {
        sc->flags |= LFR_HAS_DONE;
        memset(set, 0, d->nw * sizeof(uint64_t));

        l.p = in->data;
        l.end = in->data + in->len;
        l.done = 0;

        while (lfr_element(&l, &s, &len)) {
            id = lfr_dict_find(d, s, len);

            if (id >= 0) {
                set[id / 64] |= (uint64_t) 1 << (id % 64);
            }
        }
    }

    for (i = 0; i < d->nw; i++) {
        if (set[i] & rules->sets[c->set + i]) {
            return 1;
        }
    }

    if (!c->has_num) {
        return 0;
    }

    l.p = in->data;
    l.end = in->data + in->len;
    l.done = 0;

    while (lfr_element(&l, &s, &len)) {
        if (lfr_parse_number(s, len, &num) == 0 && lfr_num_in(rules, c, num)) {
            return 1;
        }
    }

    return 0;
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

    /* the input is valid UTF-8: JIT code may skip every check */
    if (c->jit) {
        rc = pcre2_jit_match(c->re, (PCRE2_SPTR) in->data, in->len, 0, 0,
                             rules->match_data, rules->match_ctx);
    } else {
        rc = pcre2_match(c->re, (PCRE2_SPTR) in->data, in->len, 0,
                         PCRE2_NO_UTF_CHECK, rules->match_data,
                         rules->match_ctx);
    }

    if (rc >= 0) {
        return 1;
    }

    return rc == PCRE2_ERROR_NOMATCH ? 0 : -1;
}


/*
 * One test per operator, for a present input.  They are called through a
 * table so that each stays small: a switch would inline them all into one
 * function whose prologue every condition pays.
 */
typedef int (*lfr_test_pt)(const lfr_rules_t *rules, const lfr_cond_t *c,
    const lfr_str_t *in);


static int
lfr_test_not_in(const lfr_rules_t *rules, const lfr_cond_t *c,
    const lfr_str_t *in)
{
    return !lfr_in(rules, c, in);
}


static int
lfr_test_range(const lfr_rules_t *rules, const lfr_cond_t *c,
    const lfr_str_t *in)
{
    double  num;

    return lfr_num(rules, c, in, &num) && num >= c->lo && num <= c->hi;
}


static int
lfr_test_lt(const lfr_rules_t *rules, const lfr_cond_t *c,
    const lfr_str_t *in)
{
    double  num;

    return lfr_num(rules, c, in, &num) && num < c->lo;
}


static int
lfr_test_le(const lfr_rules_t *rules, const lfr_cond_t *c,
    const lfr_str_t *in)
{
    double  num;

    return lfr_num(rules, c, in, &num) && num <= c->lo;
}


static int
lfr_test_gt(const lfr_rules_t *rules, const lfr_cond_t *c,
    const lfr_str_t *in)
{
    double  num;

    return lfr_num(rules, c, in, &num) && num > c->lo;
}


static int
lfr_test_ge(const lfr_rules_t *rules, const lfr_cond_t *c,
    const lfr_str_t *in)
{
    double  num;

    return lfr_num(rules, c, in, &num) && num >= c->lo;
}


static int
lfr_test_re(const lfr_rules_t *rules, const lfr_cond_t *c,
    const lfr_str_t *in)
{
    return lfr_match(rules, c, in) == 1;
}


static int
lfr_test_not_re(const lfr_rules_t *rules, const lfr_cond_t *c,
    const lfr_str_t *in)
{
    return lfr_match(rules, c, in) == 0;
}


static int
lfr_test_exists(const lfr_rules_t *rules, const lfr_cond_t *c,
    const lfr_str_t *in)
{
    (void) rules;
    (void) c;
    (void) in;

    return 1;
}


static int
lfr_test_missing(const lfr_rules_t *rules, const lfr_cond_t *c,
    const lfr_str_t *in)
{
    (void) rules;
    (void) c;
    (void) in;

    return 0;
}


/* Indexed by lfr_op_t. */
static const lfr_test_pt  lfr_tests[] = {
    lfr_in,                 /* LFR_OP_IN */
    lfr_test_not_in,        /* LFR_OP_NOT_IN */
    lfr_test_range,         /* LFR_OP_RANGE */
    lfr_in,                 /* LFR_OP_EQ */
    lfr_test_not_in,        /* LFR_OP_NE */
    lfr_test_lt,            /* LFR_OP_LT */
    lfr_test_le,            /* LFR_OP_LE */
    lfr_test_gt,            /* LFR_OP_GT */
    lfr_test_ge,            /* LFR_OP_GE */
    lfr_test_re,            /* LFR_OP_RE */
    lfr_test_not_re,        /* LFR_OP_NOT_RE */
    lfr_has,                /* LFR_OP_HAS */
    lfr_test_exists,        /* LFR_OP_EXISTS */
    lfr_test_missing        /* LFR_OP_MISSING */
};


/* Absent is decided here; a verdict is computed once per call. */
static inline int
lfr_test(const lfr_rules_t *rules, const lfr_cond_t *c,
    const lfr_str_t *inputs)
{
    unsigned char    *m;
    const lfr_str_t  *in;

    in = &inputs[c->slot];

    if (in->data == NULL) {
        return c->op == LFR_OP_MISSING;
    }

    if (!c->shared) {
        return lfr_tests[c->op](rules, c, in);
    }

    m = &rules->memo[c->memo];

    if (*m == 0) {
        *m = (unsigned char) (1 + lfr_tests[c->op](rules, c, in));
    }

    return *m - 1;
}


/*
 * The loops below keep the arrays in locals: the verdicts are stored
 * through a char pointer, which could alias anything, and would make the
 * compiler reload every field after each condition.
 */
static int
lfr_all(const lfr_rules_t *rules, const lfr_block_t *b,
    const lfr_str_t *inputs)
{
    uint32_t           i, end;
    const uint32_t    *order;
    const lfr_cond_t  *conds;

    conds = rules->conds;
    order = rules->order;
    end = b->cond + b->nconds;

    for (i = b->cond; i < end; i++) {
        if (!lfr_test(rules, &conds[order[i]], inputs)) {
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
static inline unsigned
lfr_earned(const lfr_rules_t *rules, const lfr_block_t *b,
    const lfr_str_t *inputs, int beat, uint64_t *held)
{
    uint32_t           i, end, bit;
    unsigned           earned, left, limit;
    uint64_t           h;
    const uint32_t    *order;
    const lfr_cond_t  *c, *conds;

    conds = rules->conds;
    order = rules->order;
    end = b->cond + b->nconds;
    earned = 0;
    left = b->total;

    /* below limit, the weight reaches neither b->need nor a better score */
    limit = 0;

    if (beat >= 0) {
        limit = (unsigned) ((uint64_t) beat * b->total / 100) + 1;
        limit = limit < b->need ? limit : b->need;
    }

    h = 0;

    for (i = b->cond; i < end; i++) {
        c = &conds[order[i]];
        left -= c->weight;

        if (lfr_test(rules, c, inputs)) {
            earned += c->weight;
            bit = order[i] - b->cond;
            h |= bit < 64 ? (uint64_t) 1 << bit : 0;

        } else if (earned + left < limit) {
            return 0;
        }
    }

    *held = h;

    return earned;
}


static int
lfr_matches(const lfr_block_t *b, unsigned earned)
{
    return earned >= b->need;
}


void
lfr_classify(const lfr_rules_t *rules, const lfr_str_t *inputs,
    lfr_result_t *result)
{
    size_t              i;
    int                 score, best;
    uint64_t            held;
    unsigned            earned;
    const lfr_block_t  *b;

    lfr_reset(rules);

    result->segment = LFR_NONE;
    result->exclude = -1;
    result->score = 0;
    result->near = rules->nicps ? 0 : LFR_NONE;
    result->persona = LFR_NONE;
    result->route = LFR_NONE;
    result->held = 0;

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
        held = 0;
        earned = lfr_earned(rules, b, inputs, best, &held);
        score = (int) (100 * (uint64_t) earned / b->total);

        /*
         * Neither a match nor a new near miss was cut short in
         * lfr_earned: their held bits are complete.  The near miss by
         * default, ICP 0 when nothing scored, held nothing: bits 0.
         */

        if (lfr_matches(b, earned)) {
            result->segment = (int) i;
            result->held = held;
            best = score;

        } else if (score > best) {
            best = score;
            result->near = (int) i;
            result->held = held;
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

    result->route = rules->route_table[(result->segment + 2)
                                       * (rules->npersonas + 1)
                                       + result->persona + 1];
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


/*
 * Field names and verdicts only: input values never reach the reason.
 * The verdicts of the first 64 conditions are those lfr_classify kept in
 * held; any further one is tested again, from a fresh memo.
 */
static void
lfr_put_block(lfr_out_t *out, const lfr_rules_t *rules, const lfr_block_t *b,
    const lfr_str_t *inputs, uint64_t held, int *reset)
{
    int                ok;
    uint32_t           i;
    const lfr_cond_t  *c;

    lfr_put(out, " (");

    for (i = 0; i < b->nconds; i++) {
        c = &rules->conds[b->cond + i];

        lfr_put(out, i == 0 ? "" : ", ");
        lfr_put(out, c->field);

        if (i < 64) {
            ok = (held >> i) & 1;

        } else {
            if (!*reset) {
                lfr_reset(rules);
                *reset = 1;
            }

            ok = lfr_test(rules, c, inputs);
        }

        if (ok) {
            lfr_put(out, " ok");
        } else {
            lfr_put(out, inputs[c->slot].data ? " fail" : " absent");
        }
    }

    lfr_put(out, ")");
}


size_t
lfr_explain(const lfr_rules_t *rules, const lfr_str_t *inputs,
    const lfr_result_t *result, char *buf, size_t size)
{
    int                 reset;
    lfr_out_t           out;
    const lfr_block_t  *b;

    out.buf = buf;
    out.size = size ? size - 1 : 0;
    out.len = 0;

    reset = 0;

    /* an exclusion and a persona match when all their conditions hold */

    if (result->segment == LFR_EXCLUDED && result->exclude >= 0
        && (size_t) result->exclude < rules->nexcludes)
    {
        b = &rules->excludes[result->exclude];
        lfr_put(&out, "excluded by ");
        lfr_put(&out, b->name);
        lfr_put_block(&out, rules, b, inputs, ~(uint64_t) 0, &reset);

    } else if (result->segment >= 0
               && (size_t) result->segment < rules->nicps)
    {
        b = &rules->icps[result->segment];
        lfr_put(&out, "icp ");
        lfr_put(&out, b->name);
        lfr_put(&out, " ");
        lfr_put_int(&out, result->score);
        lfr_put(&out, "%");
        lfr_put_block(&out, rules, b, inputs, result->held, &reset);

    } else {
        lfr_put(&out, "icp none");

        /* the near miss, found by lfr_classify */
        if (result->near >= 0 && (size_t) result->near < rules->nicps) {
            b = &rules->icps[result->near];
            lfr_put(&out, ", best ");
            lfr_put(&out, b->name);
            lfr_put(&out, " ");
            lfr_put_int(&out, result->score);
            lfr_put(&out, "%");
            lfr_put_block(&out, rules, b, inputs, result->held, &reset);
        }
    }

    lfr_put(&out, "; persona ");

    if (result->persona >= 0 && (size_t) result->persona < rules->npersonas) {
        b = &rules->personas[result->persona];
        lfr_put(&out, b->name);
        lfr_put_block(&out, rules, b, inputs, ~(uint64_t) 0, &reset);

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
