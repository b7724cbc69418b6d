/*
 * icp-report: turns the facts gathered by agg.c into results: visitors
 * and converters per variant, breakdowns, then the statistics.
 */

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/agg.h"
#include "report/stats.h"


static size_t
rpt_find_id(const uint32_t *ids, size_t n, uint32_t id)
{
    size_t  i;

    for (i = 0; i < n && ids[i] != id; i++) {
        /* few variants: a scan is enough */
    }

    return i;
}


/*
 * The variants of one experiment: those of the latest weights, in their
 * order (the first is the control), then any other variant visitors were
 * exposed to, in the order first read.
 */
static int
rpt_variants(rpt_t *r, const rpt_exp_t *e, rpt_experiment_t *ex)
{
    size_t          i, n, cap;
    uint32_t       *ids;
    rpt_arm_t      *a;
    rpt_variant_t  *v;

    cap = e->nweights + r->arm_of.n;
    ex->variants = calloc(cap, sizeof(rpt_variant_t));
    ids = malloc(cap * sizeof(uint32_t));

    if (ex->variants == NULL || ids == NULL) {
        free(ids);
        return -1;
    }

    n = 0;

    for (i = 0; i < e->nweights; i++) {
        if (rpt_find_id(ids, n, e->wnames[i]) == n) {
            ids[n] = e->wnames[i];
            ex->variants[n++].weight = e->weights[i];
        }
    }

    for (i = 0; i < r->arm_of.n; i++) {
        a = &r->arms[i];

        if (a->exp != e->name || !a->exposed) {
            continue;
        }

        a->variant = rpt_find_id(ids, n, a->var);

        if (a->variant == n) {
            ids[n] = a->var;
            ex->variants[n++].weight = e->nweights ? 0 : NAN;
        }
    }

    for (i = 0; i < n; i++) {
        v = &ex->variants[i];
        v->name = r->names.strs[ids[i]];
    }

    ex->nvariants = n;
    free(ids);

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
    row->exposed = calloc(nvariants, sizeof(uint64_t));
    row->converted = calloc(nvariants, sizeof(uint64_t));

    if (row->exposed == NULL || row->converted == NULL) {
        return NULL;
    }

    return row;
}


static int
rpt_count_visits(rpt_t *r)
{
    size_t             i;
    unsigned           conv;
    rpt_visit_t       *v;
    rpt_arm_t         *a;
    rpt_experiment_t  *ex;
    rpt_row_t         *seg, *per;

    for (i = 0; i <= r->visits.mask; i++) {
        v = &r->visits.slots[i];

        if (v->exp == 0) {
            continue;
        }

        a = &r->arms[v->arm];
        ex = &r->result.experiments[r->exp_of_name[a->exp]];

        if (v->multi) {
            ex->multi++;
            continue;
        }

        conv = rpt_map_find(&r->converted, rpt_conv_key(v->arm, v->vid))
               != RPT_NO_ID;

        ex->variants[a->variant].exposed++;
        ex->variants[a->variant].converted += conv;
        ex->visitors++;

        seg = rpt_row(r, &ex->segments, &ex->nsegments, ex->nvariants,
                      v->seg);
        per = rpt_row(r, &ex->personas, &ex->npersonas, ex->nvariants,
                      v->per);

        if (seg == NULL || per == NULL) {
            return -1;
        }

        seg->exposed[a->variant]++;
        seg->converted[a->variant] += conv;
        per->exposed[a->variant]++;
        per->converted[a->variant] += conv;
    }

    return 0;
}


static void
rpt_compare(rpt_experiment_t *ex)
{
    size_t          i;
    rpt_variant_t  *c, *v;

    c = &ex->variants[0];

    for (i = 0; i < ex->nvariants; i++) {
        v = &ex->variants[i];
        v->rate = v->exposed ? (double) v->converted / v->exposed : NAN;
        rpt_wilson(v->converted, v->exposed, RPT_Z95, &v->rate_lo,
                   &v->rate_hi);

        if (i == 0) {
            v->lift = v->lift_lo = v->lift_hi = NAN;
            v->p_value = v->beat = NAN;
            continue;
        }

        rpt_lift(c->converted, c->exposed, v->converted, v->exposed, RPT_Z95,
                 &v->lift, &v->lift_lo, &v->lift_hi);
        v->p_value = rpt_ztest(c->converted, c->exposed, v->converted,
                               v->exposed);
        v->beat = (c->exposed && v->exposed)
                  ? rpt_beat(c->converted, c->exposed, v->converted,
                             v->exposed)
                  : NAN;
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

    if (e->nweights == 0) {
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
rpt_cmp_experiment(const void *a, const void *b)
{
    return rpt_cmp_str(&((const rpt_experiment_t *) a)->name,
                       &((const rpt_experiment_t *) b)->name);
}


static int
rpt_cmp_row(const void *a, const void *b)
{
    return rpt_cmp_str(&((const rpt_row_t *) a)->name,
                       &((const rpt_row_t *) b)->name);
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

    for (i = 0; i < r->nexps; i++) {
        ex = &r->result.experiments[i];
        ex->name = r->names.strs[r->exps[i].name];

        if (rpt_variants(r, &r->exps[i], ex) != 0) {
            return NULL;
        }
    }

    if (rpt_count_visits(r) != 0) {
        return NULL;
    }

    for (i = 0; i < r->nexps; i++) {
        ex = &r->result.experiments[i];
        rpt_compare(ex);

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
