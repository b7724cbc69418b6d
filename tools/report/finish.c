/*
 * icp-report: turns the facts gathered by agg.c into results: which
 * conversions count, visitors and converters per variant, breakdowns and
 * trends, then the statistics.
 */

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/agg.h"
#include "report/multi.h"
#include "report/stats.h"


/* A conversion that counts, for the visit in slot of the visits table. */
typedef struct {
    size_t       slot;
    int64_t      ts;
    double       value;
} rpt_credit_t;


static size_t
rpt_find_id(const uint32_t *ids, size_t n, uint32_t id)
{
    size_t  i;

    for (i = 0; i < n && ids[i] != id; i++) {
        /* few variants: a scan is enough */
    }

    return i;
}


static int
rpt_cmp_str(const lfr_str_t *a, const lfr_str_t *b)
{
    int  cmp;

    cmp = memcmp(a->data, b->data, a->len < b->len ? a->len : b->len);

    if (cmp != 0) {
        return cmp;
    }

    return (a->len > b->len) - (a->len < b->len);
}


static int
rpt_is_control(const lfr_str_t *s)
{
    return s->len == 7 && memcmp(s->data, "control", 7) == 0;
}


/* Variants without a weight: "control" first, then by name. */
static int
rpt_cmp_unweighted(const void *a, const void *b)
{
    const lfr_str_t  *x = a, *y = b;

    if (rpt_is_control(x) != rpt_is_control(y)) {
        return rpt_is_control(y) - rpt_is_control(x);
    }

    return rpt_cmp_str(x, y);
}


/*
 * The variants of one run: those of the latest weights, in their order
 * (the first is the control, as in the rules), then any other variant
 * visitors were exposed to, "control" first and then by name, so that
 * the order never depends on the order the lines were read.
 */
static int
rpt_variants(rpt_t *r, uint32_t run, rpt_experiment_t *ex)
{
    size_t          i, n, nw, cap;
    uint32_t       *ids;
    lfr_str_t      *extra;
    rpt_arm_t      *a;
    rpt_exp_t      *e;

    e = &r->exps[run];
    cap = e->nweights + r->arm_of.n;
    ex->variants = calloc(cap, sizeof(rpt_variant_t));
    ids = malloc(cap * sizeof(uint32_t));
    extra = malloc(cap * sizeof(lfr_str_t));

    if (ex->variants == NULL || ids == NULL || extra == NULL) {
        free(ids);
        free(extra);
        return -1;
    }

    n = 0;

    for (i = 0; i < e->nweights; i++) {
        if (rpt_find_id(ids, n, e->wnames[i]) == n) {
            ids[n] = e->wnames[i];
            ex->variants[n++].weight = e->weights[i];
        }
    }

    nw = n;

    for (i = 0; i < r->arm_of.n; i++) {
        a = &r->arms[i];

        if (a->run == run && a->exposed && rpt_find_id(ids, n, a->var) == n) {
            ids[n] = a->var;
            extra[n - nw] = r->names.strs[a->var];
            n++;
        }
    }

    qsort(extra, n - nw, sizeof(lfr_str_t), rpt_cmp_unweighted);

    for (i = 0; i < n; i++) {
        ex->variants[i].name = i < nw ? r->names.strs[ids[i]]
                                      : extra[i - nw];

        if (i >= nw) {
            ex->variants[i].weight = e->nweights ? 0 : NAN;
        }
    }

    /* each arm of the run learns its place; an interned name has one
     * copy, so its address tells it */
    for (i = 0; i < r->arm_of.n; i++) {
        a = &r->arms[i];

        if (a->run != run || !a->exposed) {
            continue;
        }

        for (a->variant = 0; a->variant < n; a->variant++) {
            if (ex->variants[a->variant].name.data
                == r->names.strs[a->var].data)
            {
                break;
            }
        }
    }

    ex->nvariants = n;
    free(ids);
    free(extra);

    return 0;
}


static rpt_row_t *
rpt_row(rpt_t *r, rpt_row_t **rows, size_t *nrows, size_t nvariants,
    uint32_t id)
{
    size_t      i;
    rpt_row_t  *row, *p;

    for (i = 0; i < *nrows; i++) {
        if ((*rows)[i].id == id) {
            return &(*rows)[i];
        }
    }

    p = realloc(*rows, (*nrows + 1) * sizeof(rpt_row_t));

    if (p == NULL) {
        return NULL;
    }

    *rows = p;
    row = &p[(*nrows)++];
    row->id = id;
    row->name = r->names.strs[id];
    row->cells = calloc(nvariants, sizeof(rpt_cell_t));

    return row->cells ? row : NULL;
}


static int
rpt_cmp_credit(const void *a, const void *b)
{
    const rpt_credit_t  *x = a, *y = b;

    return (x->slot > y->slot) - (x->slot < y->slot);
}


/*
 * Holds every conversion against the first exposure of its visitor in
 * each run (phase) of the experiment it names: it counts for the run when
 * the visitor was exposed to that same variant, at most the window
 * before.  *last is set to the latest counted conversion of each run.
 * The credits (NULL when none) are in slot order.
 */
static int
rpt_credits(rpt_t *r, rpt_credit_t **out, size_t *ncredits, int64_t *last)
{
    size_t             i, slot, n, cap;
    uint32_t           run;
    rpt_conv_t        *c;
    rpt_visit_t       *v;
    rpt_credit_t      *credits;
    rpt_experiment_t  *ex;

    n = 0;
    cap = 0;
    credits = NULL;

    for (i = 0; i < r->nconvs; i++) {
        c = &r->convs[i];

        if (c->exp >= r->cap_exp_of_name) {
            continue;
        }

        for (run = r->exp_of_name[c->exp]; run != RPT_NO_ID;
             run = r->exps[run].next)
        {
            slot = rpt_visits_find(&r->visits, run, c->vid);

            if (slot == RPT_VISIT_NONE) {
                continue;
            }

            v = &r->visits.slots[slot];

            if (v->multi || r->arms[v->arm].var != c->var) {
                continue;
            }

            ex = &r->result.experiments[run];

            if (c->ts < v->ts) {
                ex->conv_before++;
                continue;
            }

            if (c->ts - v->ts > r->window) {
                ex->conv_after++;
                continue;
            }

            if (rpt_reserve((void **) &credits, &cap, n, sizeof(rpt_credit_t))
                != 0)
            {
                free(credits);
                return -1;
            }

            credits[n].slot = slot;
            credits[n].ts = c->ts;
            credits[n].value = c->value;
            n++;

            if (!isnan(c->value)) {
                ex->has_values = 1;
            }

            if (c->ts > last[run]) {
                last[run] = c->ts;
            }
        }
    }

    if (n) {
        qsort(credits, n, sizeof(rpt_credit_t), rpt_cmp_credit);
    }

    *out = credits;
    *ncredits = n;

    return 0;
}


/* The days of the trend: from the first exposure to the last event. */
static int
rpt_trend_days(const rpt_exp_t *e, int64_t last, rpt_experiment_t *ex)
{
    size_t   i;
    int64_t  hi;

    hi = rpt_day_of(last > e->last_ts ? last : e->last_ts);
    ex->trend_day0 = rpt_day_of(e->first_ts);

    if (hi - ex->trend_day0 >= RPT_TREND_DAYS) {
        ex->trend_day0 = hi - RPT_TREND_DAYS + 1;
    }

    ex->ndays = hi - ex->trend_day0 + 1;

    for (i = 0; i < ex->nvariants; i++) {
        ex->variants[i].trend_exposed = calloc(ex->ndays, sizeof(uint64_t));
        ex->variants[i].trend_converted = calloc(ex->ndays, sizeof(uint64_t));

        if (ex->variants[i].trend_exposed == NULL
            || ex->variants[i].trend_converted == NULL)
        {
            return -1;
        }
    }

    return 0;
}


/* The trend's index of the day of ts; earlier days are in the first. */
static size_t
rpt_trend_index(const rpt_experiment_t *ex, int64_t ts)
{
    int64_t  d;

    d = rpt_day_of(ts) - ex->trend_day0;

    return d < 0 ? 0 : (size_t) d;
}


static int
rpt_count_visits(rpt_t *r, const rpt_credit_t *credits, size_t ncredits)
{
    size_t             i, k;
    unsigned           conv;
    int64_t            first;
    double             value;
    rpt_visit_t       *v;
    rpt_arm_t         *a;
    rpt_variant_t     *var;
    rpt_experiment_t  *ex;
    rpt_row_t         *seg, *per;

    k = 0;

    for (i = 0; i <= r->visits.mask; i++) {
        v = &r->visits.slots[i];

        if (v->run == 0) {
            continue;
        }

        /* the credits are in slot order, as this walk */
        conv = 0;
        first = INT64_MAX;
        value = 0;

        for ( ; k < ncredits && credits[k].slot == i; k++) {
            conv = 1;
            first = credits[k].ts < first ? credits[k].ts : first;
            value += isnan(credits[k].value) ? 0 : credits[k].value;
        }

        a = &r->arms[v->arm];
        ex = &r->result.experiments[a->run];

        if (v->multi) {
            ex->multi++;
            continue;
        }

        var = &ex->variants[a->variant];
        var->exposed++;
        var->converted += conv;
        rpt_moments_add(&var->value, value);
        var->trend_exposed[rpt_trend_index(ex, v->ts)]++;

        if (conv) {
            var->trend_converted[rpt_trend_index(ex, first)]++;
        }

        ex->visitors++;

        seg = rpt_row(r, &ex->segments, &ex->nsegments, ex->nvariants,
                      v->seg);
        per = rpt_row(r, &ex->personas, &ex->npersonas, ex->nvariants,
                      v->per);

        if (seg == NULL || per == NULL) {
            return -1;
        }

        seg->cells[a->variant].exposed++;
        seg->cells[a->variant].converted += conv;
        per->cells[a->variant].exposed++;
        per->cells[a->variant].converted += conv;
    }

    return 0;
}


/*
 * The always-valid results of the variant v against the control c: one
 * look per day of the trend, with the cumulative counts of that day, so
 * that the p-value is the running minimum a reader checking the report
 * every day would have seen, and the intervals their intersection.
 */
static void
rpt_sequential(const rpt_experiment_t *ex, const rpt_variant_t *c,
    rpt_variant_t *v)
{
    size_t  d;

    rpt_seq_init(&v->seq, RPT_SEQ_TAU2, RPT_ALPHA);

    for (d = 0; d < ex->ndays; d++) {
        rpt_seq_look(&v->seq, c->trend_converted[d], c->trend_exposed[d],
                     v->trend_converted[d], v->trend_exposed[d]);
    }

    /* no look had a variance, or none had a conversion in both arms */
    v->p_value = v->seq.looks ? v->seq.p_value : NAN;

    if (isinf(v->seq.diff_hi)) {
        v->seq.diff_lo = v->seq.diff_hi = NAN;
    }

    v->lift_lo = isinf(v->seq.lift_hi) ? NAN : v->seq.lift_lo;
    v->lift_hi = isinf(v->seq.lift_hi) ? NAN : v->seq.lift_hi;
}


static void
rpt_compare(rpt_experiment_t *ex, unsigned fixed_horizon)
{
    size_t                       i, d;
    rpt_variant_t               *c, *v;
    static const rpt_moments_t   none;

    c = &ex->variants[0];

    for (i = 0; i < ex->nvariants; i++) {
        v = &ex->variants[i];
        v->rate = v->exposed ? (double) v->converted / v->exposed : NAN;
        rpt_wilson(v->converted, v->exposed, RPT_Z95, &v->rate_lo,
                   &v->rate_hi);
        rpt_mean_ci(&v->value, &v->value_lo, &v->value_hi);

        for (d = 1; d < ex->ndays; d++) {
            v->trend_exposed[d] += v->trend_exposed[d - 1];
            v->trend_converted[d] += v->trend_converted[d - 1];
        }

        if (i == 0) {
            v->lift = v->lift_lo = v->lift_hi = NAN;
            v->p_value = v->beat = NAN;
            /* nothing against nothing: every figure NaN */
            rpt_power(0, 0, 0, 0, RPT_Z95, RPT_Z80, &v->power);
            rpt_welch(&none, &none, &v->value_cmp);
            continue;
        }

        /* the control's days are cumulated: it comes first */
        rpt_lift(c->converted, c->exposed, v->converted, v->exposed, RPT_Z95,
                 &v->lift, &v->lift_lo, &v->lift_hi);

        if (fixed_horizon) {
            v->p_value = rpt_ztest(c->converted, c->exposed, v->converted,
                                   v->exposed);

        } else {
            rpt_sequential(ex, c, v);
        }

        v->beat = (c->exposed && v->exposed)
                  ? rpt_beat(c->converted, c->exposed, v->converted,
                             v->exposed)
                  : NAN;
        rpt_power(c->converted, c->exposed, v->converted, v->exposed,
                  RPT_Z95, RPT_Z80, &v->power);
        rpt_welch(&c->value, &v->value, &v->value_cmp);
    }
}


/*
 * Holm's adjustment of the variants' p-values, the control's NaN among
 * them (not counted), and the chance that each variant is best, NaN while
 * a variant has no visitors.
 */
static int
rpt_several(rpt_experiment_t *ex)
{
    size_t     i, k;
    double    *p, *out;
    uint64_t  *conv, *n;
    unsigned   empty;

    k = ex->nvariants;
    p = malloc(2 * k * sizeof(double));
    conv = malloc(2 * k * sizeof(uint64_t));

    if (p == NULL || conv == NULL) {
        free(p);
        free(conv);
        return -1;
    }

    out = p + k;
    n = conv + k;
    empty = 0;

    for (i = 0; i < k; i++) {
        p[i] = ex->variants[i].p_value;
        conv[i] = ex->variants[i].converted;
        n[i] = ex->variants[i].exposed;
        empty |= n[i] == 0;
    }

    rpt_holm(p, k, out);

    for (i = 0; i < k; i++) {
        ex->variants[i].p_holm = out[i];
    }

    if (empty || rpt_prob_best(conv, n, k, out) != 0) {
        for (i = 0; i < k; i++) {
            out[i] = NAN;
        }
    }

    for (i = 0; i < k; i++) {
        ex->variants[i].best = out[i];
    }

    free(p);
    free(conv);

    return 0;
}


/* Wilson intervals, and each variant's z-test against the row's control. */
static void
rpt_cells(rpt_row_t *rows, size_t nrows, size_t nvariants)
{
    size_t       i, j;
    rpt_cell_t  *c, *k;

    for (i = 0; i < nrows; i++) {
        k = &rows[i].cells[0];

        for (j = 0; j < nvariants; j++) {
            c = &rows[i].cells[j];
            c->rate = c->exposed ? (double) c->converted / c->exposed : NAN;
            rpt_wilson(c->converted, c->exposed, RPT_Z95, &c->rate_lo,
                       &c->rate_hi);
            c->p_value = j ? rpt_ztest(k->converted, k->exposed,
                                       c->converted, c->exposed)
                           : NAN;
        }
    }
}


static int
rpt_check_ratio(const rpt_exp_t *e, rpt_experiment_t *ex)
{
    size_t     i;
    uint64_t  *observed;
    double    *weight;

    ex->srm_chi2 = NAN;
    ex->srm_df = 0;
    ex->srm_p = NAN;

    /* pooled phases had other weights: no one split to hold them to */
    if (e->nweights == 0 || ex->nphases > 1) {
        return 0;
    }

    observed = malloc(ex->nvariants * sizeof(uint64_t));
    weight = malloc(ex->nvariants * sizeof(double));

    if (observed == NULL || weight == NULL) {
        free(observed);
        free(weight);
        return -1;
    }

    for (i = 0; i < ex->nvariants; i++) {
        observed[i] = ex->variants[i].exposed;
        weight[i] = ex->variants[i].weight;
    }

    ex->srm_p = rpt_srm(observed, weight, ex->nvariants, &ex->srm_chi2,
                        &ex->srm_df);

    free(observed);
    free(weight);

    return 0;
}


/* By name, then the latest phase first. */
static int
rpt_cmp_experiment(const void *a, const void *b)
{
    int                      cmp;
    const rpt_experiment_t  *x = a, *y = b;

    cmp = rpt_cmp_str(&x->name, &y->name);

    if (cmp != 0) {
        return cmp;
    }

    if (x->last_ts != y->last_ts) {
        return x->last_ts < y->last_ts ? 1 : -1;
    }

    return rpt_cmp_str(&x->phase, &y->phase);
}


static int
rpt_cmp_row(const void *a, const void *b)
{
    return rpt_cmp_str(&((const rpt_row_t *) a)->name,
                       &((const rpt_row_t *) b)->name);
}


static int
rpt_results(rpt_t *r)
{
    int                rc;
    size_t             i, ncredits;
    int64_t           *last;
    rpt_exp_t         *e;
    rpt_credit_t      *credits;
    rpt_experiment_t  *ex;

    credits = NULL;

    for (i = 0; i < r->nexps; i++) {
        e = &r->exps[i];
        ex = &r->result.experiments[i];
        ex->name = r->names.strs[e->name];
        ex->nphases = e->nphases;
        ex->phase = r->names.strs[e->nphases > 1 ? r->no_phase : e->phase];
        ex->first_ts = e->first_ts;
        ex->last_ts = e->last_ts;

        if (rpt_variants(r, i, ex) != 0) {
            return -1;
        }
    }

    last = malloc(r->nexps * sizeof(int64_t));

    if (last == NULL) {
        return -1;
    }

    for (i = 0; i < r->nexps; i++) {
        last[i] = INT64_MIN;
    }

    rc = rpt_credits(r, &credits, &ncredits, last);

    for (i = 0; rc == 0 && i < r->nexps; i++) {
        rc = rpt_trend_days(&r->exps[i], last[i], &r->result.experiments[i]);
    }

    if (rc == 0) {
        rc = rpt_count_visits(r, credits, ncredits);
    }

    free(last);
    free(credits);

    return rc;
}


const rpt_result_t *
rpt_finish(rpt_t *r)
{
    size_t             i;
    rpt_experiment_t  *ex;

    if (r->result.experiments || r->nexps == 0) {
        return &r->result;
    }

    r->result.experiments = calloc(r->nexps, sizeof(rpt_experiment_t));

    if (r->result.experiments == NULL) {
        return NULL;
    }

    r->result.nexperiments = r->nexps;

    if (rpt_results(r) != 0) {
        return NULL;
    }

    for (i = 0; i < r->nexps; i++) {
        ex = &r->result.experiments[i];
        rpt_compare(ex, r->filter.fixed_horizon);

        if (rpt_several(ex) != 0) {
            return NULL;
        }

        rpt_cells(ex->segments, ex->nsegments, ex->nvariants);
        rpt_cells(ex->personas, ex->npersonas, ex->nvariants);

        if (rpt_check_ratio(&r->exps[i], ex) != 0) {
            return NULL;
        }

        /* qsort must not see the NULL rows of an experiment whose every
         * visitor saw several variants */
        if (ex->nsegments) {
            qsort(ex->segments, ex->nsegments, sizeof(rpt_row_t),
                  rpt_cmp_row);
            qsort(ex->personas, ex->npersonas, sizeof(rpt_row_t),
                  rpt_cmp_row);
        }
    }

    qsort(r->result.experiments, r->nexps, sizeof(rpt_experiment_t),
          rpt_cmp_experiment);

    return &r->result;
}
