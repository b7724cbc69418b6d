/*
 * icp-report: aggregation of log records into per-visitor facts.
 *
 * While reading, every exposure lands in a table keyed by (run, visitor),
 * a run being one phase of one experiment, and every attributed
 * conversion in a list of (experiment, variant, visitor, time, value).
 * Logs may come in any order (rotated files, several workers), so nothing
 * is decided until rpt_finish(): only then is each conversion held
 * against the visitor's first exposure, and visitors counted per variant.
 */

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/agg.h"


int
rpt_reserve(void **arr, size_t *cap, size_t n, size_t size)
{
    size_t   c;
    void    *p;

    if (n < *cap) {
        return 0;
    }

    for (c = *cap ? *cap : 16; c <= n; c *= 2) {
        /* doubling */
    }

    p = realloc(*arr, c * size);

    if (p == NULL) {
        return -1;
    }

    *arr = p;
    *cap = c;

    return 0;
}


rpt_t *
rpt_new(const rpt_filter_t *filter)
{
    rpt_t  *r;

    r = calloc(1, sizeof(rpt_t));

    if (r == NULL) {
        return NULL;
    }

    r->filter = *filter;

    if (r->filter.window <= 0) {
        r->filter.window = RPT_WINDOW_DEFAULT;
    }

    r->result.filter = r->filter;
    r->window = r->filter.window;
    r->since = INT64_MIN;

    if (filter->since
        && rpt_instant(filter->since, strlen(filter->since), &r->since) != 0)
    {
        free(r);
        return NULL;
    }

    if (rpt_intern_init(&r->names) != 0 || rpt_visits_init(&r->visits) != 0
        || rpt_map_init(&r->arm_of) != 0 || rpt_map_init(&r->run_of) != 0)
    {
        rpt_free(r);
        return NULL;
    }

    r->no_phase = rpt_intern(&r->names, "", 0);

    if (r->no_phase == RPT_NO_ID) {
        rpt_free(r);
        return NULL;
    }

    return r;
}


static void
rpt_free_rows(rpt_row_t *rows, size_t n)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        free(rows[i].cells);
    }

    free(rows);
}


void
rpt_free(rpt_t *r)
{
    size_t             i, j;
    rpt_experiment_t  *e;

    if (r == NULL) {
        return;
    }

    for (i = 0; i < r->result.nexperiments; i++) {
        e = &r->result.experiments[i];

        for (j = 0; e->variants && j < e->nvariants; j++) {
            free(e->variants[j].trend_exposed);
            free(e->variants[j].trend_converted);
        }

        free(e->variants);
        rpt_free_rows(e->segments, e->nsegments);
        rpt_free_rows(e->personas, e->npersonas);
    }

    for (i = 0; i < r->nexps; i++) {
        free(r->exps[i].wnames);
        free(r->exps[i].weights);
        free(r->exps[i].phases);
    }

    free(r->result.experiments);
    free(r->exps);
    free(r->exp_of_name);
    free(r->arms);
    free(r->convs);
    rpt_visits_free(&r->visits);
    rpt_map_free(&r->arm_of);
    rpt_map_free(&r->run_of);
    rpt_intern_free(&r->names);
    free(r);
}


static int
rpt_is_str(const lfr_str_t *s, const char *z)
{
    return strlen(z) == s->len && memcmp(s->data, z, s->len) == 0;
}


static uint32_t
rpt_name(rpt_t *r, const lfr_str_t *s)
{
    return rpt_intern(&r->names, s->data ? s->data : "", s->len);
}


uint32_t
rpt_arm(rpt_t *r, uint32_t run, uint32_t var)
{
    uint32_t  arm, n;

    n = r->arm_of.n;
    arm = rpt_map_put(&r->arm_of, rpt_key(run, var), n);

    if (arm != n) {
        return arm;
    }

    if (rpt_reserve((void **) &r->arms, &r->cap_arms, arm, sizeof(rpt_arm_t))
        != 0)
    {
        return RPT_NO_ID;
    }

    r->arms[arm].run = run;
    r->arms[arm].var = var;
    r->arms[arm].exposed = 0;

    return arm;
}


/* A phase pooled into run e: counted once, for the warning. */
static int
rpt_pool_phase(rpt_exp_t *e, uint32_t phase)
{
    size_t     i;
    uint32_t  *p;

    for (i = 0; i < e->nphases; i++) {
        if (e->phases[i] == phase) {
            return 0;
        }
    }

    p = realloc(e->phases, (e->nphases + 1) * sizeof(uint32_t));

    if (p == NULL) {
        return -1;
    }

    e->phases = p;
    e->phases[e->nphases++] = phase;

    return 0;
}


uint32_t
rpt_run(rpt_t *r, uint32_t name, uint32_t phase)
{
    size_t      i;
    uint32_t    run, n;
    rpt_exp_t  *e;

    n = r->nexps;
    run = rpt_map_put(&r->run_of,
                      rpt_key(name, r->filter.all_phases ? 0 : phase), n);

    if (run == RPT_NO_ID) {
        return RPT_NO_ID;
    }

    if (run != n) {
        e = &r->exps[run];

        /* most records are of the phase seen last */
        if (r->filter.all_phases && e->phases[e->nphases - 1] != phase
            && rpt_pool_phase(e, phase) != 0)
        {
            return RPT_NO_ID;
        }

        return run;
    }

    if (name >= r->cap_exp_of_name) {
        i = r->cap_exp_of_name;

        if (rpt_reserve((void **) &r->exp_of_name, &r->cap_exp_of_name, name,
                        sizeof(uint32_t))
            != 0)
        {
            return RPT_NO_ID;
        }

        for ( ; i < r->cap_exp_of_name; i++) {
            r->exp_of_name[i] = RPT_NO_ID;
        }
    }

    if (rpt_reserve((void **) &r->exps, &r->cap_exps, n, sizeof(rpt_exp_t))
        != 0)
    {
        return RPT_NO_ID;
    }

    e = &r->exps[n];
    memset(e, 0, sizeof(rpt_exp_t));
    e->name = name;
    e->phase = phase;
    e->first_ts = INT64_MAX;
    e->last_ts = INT64_MIN;
    e->next = r->exp_of_name[name];
    r->exp_of_name[name] = n;
    r->nexps++;

    if (rpt_pool_phase(e, phase) != 0) {
        return RPT_NO_ID;
    }

    return n;
}


static int
rpt_same_weights(const rpt_t *r, const rpt_exp_t *e, const rpt_rec_t *rec)
{
    size_t            i;
    const lfr_str_t  *name;

    if (e->nweights != rec->nweights) {
        return 0;
    }

    for (i = 0; i < e->nweights; i++) {
        name = &r->names.strs[e->wnames[i]];

        if (e->weights[i] != rec->weights[i].weight
            || name->len != rec->weights[i].name.len
            || memcmp(name->data, rec->weights[i].name.data, name->len) != 0)
        {
            return 0;
        }
    }

    return 1;
}


/* Keeps the weights of the latest record carrying them. */
static int
rpt_weights(rpt_t *r, rpt_exp_t *e, const rpt_rec_t *rec, int64_t ts)
{
    size_t     i;
    uint32_t  *wnames;
    double    *weights;

    if (rec->nweights == 0 || (e->nweights && ts < e->weights_ts)) {
        return 0;
    }

    /* the weights rarely change: most records only make them newer */
    if (rpt_same_weights(r, e, rec)) {
        e->weights_ts = ts;
        return 0;
    }

    wnames = malloc(rec->nweights * sizeof(uint32_t));
    weights = malloc(rec->nweights * sizeof(double));

    if (wnames == NULL || weights == NULL) {
        free(wnames);
        free(weights);
        return -1;
    }

    for (i = 0; i < rec->nweights; i++) {
        wnames[i] = rpt_name(r, &rec->weights[i].name);
        weights[i] = rec->weights[i].weight;

        if (wnames[i] == RPT_NO_ID) {
            free(wnames);
            free(weights);
            return -1;
        }
    }

    free(e->wnames);
    free(e->weights);
    e->wnames = wnames;
    e->weights = weights;
    e->nweights = rec->nweights;
    e->weights_ts = ts;

    return 0;
}


static int
rpt_exposure(rpt_t *r, const rpt_rec_t *rec, int64_t ts)
{
    uint32_t      exp, phase, var, arm, run;
    uint64_t      vid;
    rpt_exp_t    *e;
    rpt_visit_t  *visit;

    if (rec->vid.len == 0) {
        r->result.counts.anonymous++;
        return 0;
    }

    if (rec->exp.len == 0) {
        r->result.counts.single_variant++;
        return 0;
    }

    if (r->filter.experiment && !rpt_is_str(&rec->exp, r->filter.experiment))
    {
        r->result.counts.other_experiment++;
        return 0;
    }

    r->result.counts.exposures++;

    exp = rpt_name(r, &rec->exp);
    phase = rpt_name(r, &rec->phase);
    run = (exp == RPT_NO_ID || phase == RPT_NO_ID) ? RPT_NO_ID
                                                   : rpt_run(r, exp, phase);

    if (run == RPT_NO_ID) {
        return -1;
    }

    vid = rpt_vid_hash(rec->vid.data, rec->vid.len);
    rpt_visits_prefetch(&r->visits, run, vid);

    var = rpt_name(r, &rec->var);

    if (var == RPT_NO_ID) {
        return -1;
    }

    arm = rpt_arm(r, run, var);
    e = &r->exps[run];

    if (arm == RPT_NO_ID || rpt_weights(r, e, rec, ts) != 0) {
        return -1;
    }

    r->arms[arm].exposed = 1;

    if (ts < e->first_ts) {
        e->first_ts = ts;
    }

    if (ts > e->last_ts) {
        e->last_ts = ts;
    }

    visit = rpt_visits_get(&r->visits, run, vid);

    if (visit == NULL) {
        return -1;
    }

    if (visit->arm == RPT_VISIT_NEW) {
        visit->arm = arm;

    } else {
        if (visit->arm != arm) {
            visit->multi = 1;
        }

        /* most visits come later than the first: no segment to look up */
        if (ts >= visit->ts) {
            return 0;
        }
    }

    visit->ts = ts;
    visit->seg = rpt_name(r, &rec->seg);
    visit->per = rpt_name(r, &rec->per);

    return (visit->seg == RPT_NO_ID || visit->per == RPT_NO_ID) ? -1 : 0;
}


static int
rpt_has_experiment(const rpt_rec_t *rec, const char *exp)
{
    size_t  i;

    for (i = 0; i < rec->nassign; i++) {
        if (rpt_is_str(&rec->assign[i].exp, exp)) {
            return 1;
        }
    }

    return 0;
}


static int
rpt_conversion(rpt_t *r, const rpt_rec_t *rec, int64_t ts)
{
    size_t       i;
    uint64_t     vid;
    rpt_conv_t  *c;

    if (r->filter.goal && !rpt_is_str(&rec->goal, r->filter.goal)) {
        r->result.counts.other_goal++;
        return 0;
    }

    if (rec->vid.len == 0) {
        r->result.counts.anonymous_conv++;
        return 0;
    }

    if (rec->nassign == 0) {
        r->result.counts.unattributed++;
        return 0;
    }

    if (r->filter.experiment && !rpt_has_experiment(rec, r->filter.experiment))
    {
        r->result.counts.other_exp_conv++;
        return 0;
    }

    r->result.counts.conversions++;

    vid = rpt_vid_hash(rec->vid.data, rec->vid.len);

    for (i = 0; i < rec->nassign; i++) {
        if (r->filter.experiment
            && !rpt_is_str(&rec->assign[i].exp, r->filter.experiment))
        {
            continue;
        }

        if (rpt_reserve((void **) &r->convs, &r->cap_convs, r->nconvs,
                        sizeof(rpt_conv_t))
            != 0)
        {
            return -1;
        }

        c = &r->convs[r->nconvs];
        c->vid = vid;
        c->ts = ts;
        c->value = rec->has_value ? rec->value : NAN;
        c->exp = rpt_name(r, &rec->assign[i].exp);
        c->var = rpt_name(r, &rec->assign[i].var);

        if (c->exp == RPT_NO_ID || c->var == RPT_NO_ID) {
            return -1;
        }

        r->nconvs++;
    }

    return 0;
}


void
rpt_add_overlong(rpt_t *r)
{
    r->result.counts.lines++;
    r->result.counts.overlong++;
}


int
rpt_add_line(rpt_t *r, char *line, size_t len)
{
    int64_t        ts;
    rpt_rec_t      rec;
    rpt_counts_t  *counts;

    counts = &r->result.counts;
    counts->lines++;

    if (rpt_parse_line(line, len, &rec) != 0) {
        counts->malformed++;
        return 0;
    }

    if (rec.type == RPT_REC_OTHER) {
        counts->other_types++;
        return 0;
    }

    /* what counts depends on when: a record without a time is unusable */
    if (rec.ts.data == NULL || rpt_instant(rec.ts.data, rec.ts.len, &ts) != 0)
    {
        counts->malformed++;
        return 0;
    }

    if (ts < r->since) {
        counts->before_since++;
        return 0;
    }

    if (rec.bot) {
        counts->bots++;
        return 0;
    }

    if (rec.preview) {
        counts->previews++;
        return 0;
    }

    if (rec.type == RPT_REC_EXPOSURE) {
        return rpt_exposure(r, &rec, ts);
    }

    return rpt_conversion(r, &rec, ts);
}
