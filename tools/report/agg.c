/*
 * icp-report: aggregation of log records into per-visitor facts.
 *
 * While reading, every exposure lands in a table keyed by (experiment,
 * visitor) and every attributed conversion in a set keyed by (arm,
 * visitor), an arm being one variant of one experiment.  Logs may come in
 * any order (rotated files, several workers), so nothing is decided until
 * rpt_finish(): only then are visitors counted per variant.
 */

#include <stdlib.h>
#include <string.h>

#include "report/agg.h"


/* Grows *arr (of elements of size bytes) so that index n fits. */
static int
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
    r->result.filter = *filter;

    if (rpt_intern_init(&r->names) != 0 || rpt_visits_init(&r->visits) != 0
        || rpt_map_init(&r->arm_of) != 0
        || rpt_map_init(&r->converted) != 0)
    {
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
        free(rows[i].exposed);
        free(rows[i].converted);
    }

    free(rows);
}


void
rpt_free(rpt_t *r)
{
    size_t             i;
    rpt_experiment_t  *e;

    if (r == NULL) {
        return;
    }

    for (i = 0; i < r->result.nexperiments; i++) {
        e = &r->result.experiments[i];
        free(e->variants);
        rpt_free_rows(e->segments, e->nsegments);
        rpt_free_rows(e->personas, e->npersonas);
    }

    for (i = 0; i < r->nexps; i++) {
        free(r->exps[i].wnames);
        free(r->exps[i].weights);
    }

    free(r->result.experiments);
    free(r->exps);
    free(r->exp_of_name);
    free(r->arms);
    rpt_visits_free(&r->visits);
    rpt_map_free(&r->arm_of);
    rpt_map_free(&r->converted);
    rpt_intern_free(&r->names);
    free(r);
}


/*
 * "2026-11-23T10:11:12.345Z" -> 20261123101112345: the digits of the date
 * and time, padded to 17, so that keys order as the instants do.
 */
static uint64_t
rpt_ts_key(const lfr_str_t *ts)
{
    uint64_t  key;
    size_t    i;
    unsigned  digits;
    char      ch;

    key = 0;
    digits = 0;

    for (i = 0; i < ts->len && digits < 17; i++) {
        ch = ts->data[i];

        if (ch >= '0' && ch <= '9') {
            key = key * 10 + (ch - '0');
            digits++;

        } else if (ch == 'Z' || ch == '+' || (ch == '-' && digits > 8)) {
            break;
        }
    }

    for ( ; digits < 17; digits++) {
        key *= 10;
    }

    return key;
}


static int
rpt_before_since(const rpt_t *r, const lfr_str_t *ts)
{
    size_t  slen, n;
    int     cmp;

    slen = strlen(r->filter.since);
    n = ts->len < slen ? ts->len : slen;
    cmp = n ? memcmp(ts->data, r->filter.since, n) : 0;

    return cmp < 0 || (cmp == 0 && ts->len < slen);
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


static uint32_t
rpt_arm(rpt_t *r, uint32_t exp, uint32_t var)
{
    uint32_t  arm, n;

    n = r->arm_of.n;
    arm = rpt_map_put(&r->arm_of, rpt_key(exp, var), n);

    if (arm != n) {
        return arm;
    }

    if (rpt_reserve((void **) &r->arms, &r->cap_arms, arm, sizeof(rpt_arm_t))
        != 0)
    {
        return RPT_NO_ID;
    }

    r->arms[arm].exp = exp;
    r->arms[arm].var = var;
    r->arms[arm].exposed = 0;

    return arm;
}


static rpt_exp_t *
rpt_exp(rpt_t *r, uint32_t name)
{
    size_t      i;
    rpt_exp_t  *e;

    if (name >= r->cap_exp_of_name) {
        i = r->cap_exp_of_name;

        if (rpt_reserve((void **) &r->exp_of_name, &r->cap_exp_of_name, name,
                        sizeof(uint32_t))
            != 0)
        {
            return NULL;
        }

        for ( ; i < r->cap_exp_of_name; i++) {
            r->exp_of_name[i] = RPT_NO_ID;
        }
    }

    if (r->exp_of_name[name] != RPT_NO_ID) {
        return &r->exps[r->exp_of_name[name]];
    }

    if (rpt_reserve((void **) &r->exps, &r->cap_exps, r->nexps,
                    sizeof(rpt_exp_t))
        != 0)
    {
        return NULL;
    }

    e = &r->exps[r->nexps];
    memset(e, 0, sizeof(rpt_exp_t));
    e->name = name;
    r->exp_of_name[name] = r->nexps++;

    return e;
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
rpt_weights(rpt_t *r, rpt_exp_t *e, const rpt_rec_t *rec, uint64_t ts)
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
rpt_exposure(rpt_t *r, const rpt_rec_t *rec)
{
    uint32_t      exp, var, arm;
    uint64_t      ts, vid;
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

    if (exp == RPT_NO_ID) {
        return -1;
    }

    vid = rpt_vid_hash(rec->vid.data, rec->vid.len);
    rpt_visits_prefetch(&r->visits, exp, vid);

    var = rpt_name(r, &rec->var);

    if (var == RPT_NO_ID) {
        return -1;
    }

    arm = rpt_arm(r, exp, var);
    e = rpt_exp(r, exp);
    ts = rpt_ts_key(&rec->ts);

    if (arm == RPT_NO_ID || e == NULL || rpt_weights(r, e, rec, ts) != 0) {
        return -1;
    }

    r->arms[arm].exposed = 1;

    visit = rpt_visits_get(&r->visits, exp, vid);

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
rpt_conversion(rpt_t *r, const rpt_rec_t *rec)
{
    size_t    i;
    uint32_t  exp, var, arm;
    uint64_t  vid;

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

        exp = rpt_name(r, &rec->assign[i].exp);
        var = rpt_name(r, &rec->assign[i].var);

        if (exp == RPT_NO_ID || var == RPT_NO_ID) {
            return -1;
        }

        arm = rpt_arm(r, exp, var);

        if (arm == RPT_NO_ID
            || rpt_map_put(&r->converted, rpt_conv_key(arm, vid), 1)
               == RPT_NO_ID)
        {
            return -1;
        }
    }

    return 0;
}


int
rpt_add_line(rpt_t *r, char *line, size_t len)
{
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

    if (r->filter.since && rpt_before_since(r, &rec.ts)) {
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
        return rpt_exposure(r, &rec);
    }

    return rpt_conversion(r, &rec);
}
