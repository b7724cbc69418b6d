/*
 * icp-report: the json report, one object for dashboards and scripts.
 * Figures that do not exist for the counts (NaN) are null; names are
 * escaped by the escaper the module's log uses.
 */

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/report.h"


static void
rpt_json_str(FILE *out, const char *s, size_t len)
{
    char    buf[256], *p;
    size_t  n;

    n = lfr_json_escape(buf, sizeof(buf), s, len);
    p = buf;

    if (n > sizeof(buf)) {
        p = malloc(n);

        if (p == NULL) {
            fputs("null", out);
            return;
        }

        lfr_json_escape(p, n, s, len);
    }

    fputc('"', out);
    fwrite(p, 1, n, out);
    fputc('"', out);

    if (p != buf) {
        free(p);
    }
}


static void
rpt_json_name(FILE *out, const char *key, const lfr_str_t *s)
{
    fprintf(out, "\"%s\":", key);
    rpt_json_str(out, s->data, s->len);
}


/*
 * The shortest of 15, 16 or 17 digits that reads back as the same double:
 * 0.05 stays "0.05", and a script comparing the figures with its own
 * sees every bit.
 */
static void
rpt_json_double(FILE *out, double x)
{
    int   digits;
    char  buf[32];

    if (isnan(x) || isinf(x)) {
        fputs("null", out);
        return;
    }

    for (digits = 15; digits < 17; digits++) {
        snprintf(buf, sizeof(buf), "%.*g", digits, x);

        if (strtod(buf, NULL) == x) {
            break;
        }
    }

    snprintf(buf, sizeof(buf), "%.*g", digits, x);
    fputs(buf, out);
}


static void
rpt_json_num(FILE *out, const char *key, double x)
{
    fprintf(out, ",\"%s\":", key);
    rpt_json_double(out, x);
}


static void
rpt_json_count(FILE *out, const char *key, uint64_t n)
{
    fprintf(out, ",\"%s\":%llu", key, (unsigned long long) n);
}


static void
rpt_json_filter(FILE *out, const char *key, const char *value)
{
    fprintf(out, "\"%s\":", key);

    if (value) {
        rpt_json_str(out, value, strlen(value));

    } else {
        fputs("null", out);
    }
}


static void
rpt_json_value(FILE *out, const rpt_experiment_t *ex, const rpt_variant_t *v,
    int control)
{
    if (!ex->has_values) {
        fputs(",\"value\":null", out);
        return;
    }

    fputs(",\"value\":{", out);
    fprintf(out, "\"visitors\":%llu", (unsigned long long) v->value.n);
    rpt_json_num(out, "mean", v->value.n ? v->value.mean : NAN);
    rpt_json_num(out, "mean_lo", v->value_lo);
    rpt_json_num(out, "mean_hi", v->value_hi);
    rpt_json_num(out, "sd", v->value.n > 1
                            ? sqrt(v->value.m2 / (v->value.n - 1)) : NAN);

    if (!control) {
        rpt_json_num(out, "diff", v->value_cmp.diff);
        rpt_json_num(out, "diff_lo", v->value_cmp.lo);
        rpt_json_num(out, "diff_hi", v->value_cmp.hi);
        rpt_json_num(out, "lift", v->value_cmp.lift);
        rpt_json_num(out, "t", v->value_cmp.t);
        rpt_json_num(out, "df", v->value_cmp.df);
        rpt_json_num(out, "p_value", v->value_cmp.p_value);
    }

    fputc('}', out);
}


/* The always-valid results' own figures: null with --fixed-horizon. */
static void
rpt_json_seq(FILE *out, const rpt_result_t *res, const rpt_variant_t *v)
{
    if (res->filter.fixed_horizon) {
        fputs(",\"sequential\":null", out);
        return;
    }

    fprintf(out, ",\"sequential\":{\"looks\":%u,\"conflicts\":%u",
            v->seq.looks, v->seq.conflicts);
    rpt_json_num(out, "diff_lo", v->seq.diff_lo);
    rpt_json_num(out, "diff_hi", v->seq.diff_hi);
    fputc('}', out);
}


static void
rpt_json_power(FILE *out, const rpt_power_t *pw)
{
    fputs(",\"power\":{", out);
    fputs("\"mde\":", out);
    rpt_json_double(out, pw->mde_abs);
    rpt_json_num(out, "mde_relative", pw->mde_rel);
    rpt_json_num(out, "visitors_needed_control", pw->total_c);
    rpt_json_num(out, "visitors_needed_variant", pw->total_v);
    rpt_json_num(out, "visitors_more_control", pw->more_c);
    rpt_json_num(out, "visitors_more_variant", pw->more_v);
    fputc('}', out);
}


static void
rpt_json_variant(FILE *out, const rpt_result_t *res,
    const rpt_experiment_t *ex, const rpt_variant_t *v, int control)
{
    fputc('{', out);
    rpt_json_name(out, "name", &v->name);
    fprintf(out, ",\"control\":%s", control ? "true" : "false");
    rpt_json_num(out, "weight", v->weight);
    rpt_json_count(out, "exposed", v->exposed);
    rpt_json_count(out, "converted", v->converted);
    rpt_json_num(out, "rate", v->rate);
    rpt_json_num(out, "rate_lo", v->rate_lo);
    rpt_json_num(out, "rate_hi", v->rate_hi);

    if (!control) {
        rpt_json_num(out, "lift", v->lift);
        rpt_json_num(out, "lift_lo", v->lift_lo);
        rpt_json_num(out, "lift_hi", v->lift_hi);
        rpt_json_num(out, "p_value", v->p_value);
        rpt_json_num(out, "p_value_holm", v->p_holm);
        rpt_json_num(out, "chance_to_beat_control", v->beat);
    }

    rpt_json_num(out, "prob_best", v->best);

    if (!control) {
        rpt_json_seq(out, res, v);
        rpt_json_power(out, &v->power);
    }

    rpt_json_value(out, ex, v, control);
    fputc('}', out);
}


static void
rpt_json_rows(FILE *out, const char *key, const rpt_experiment_t *ex,
    const rpt_row_t *rows, size_t nrows)
{
    size_t             i, j;
    const rpt_cell_t  *c;

    fprintf(out, ",\"%s\":[", key);

    for (i = 0; i < nrows; i++) {
        fputs(i ? ",{" : "{", out);
        rpt_json_name(out, "name", &rows[i].name);
        fputs(",\"variants\":[", out);

        for (j = 0; j < ex->nvariants; j++) {
            c = &rows[i].cells[j];
            fputs(j ? ",{" : "{", out);
            rpt_json_name(out, "name", &ex->variants[j].name);
            rpt_json_count(out, "exposed", c->exposed);
            rpt_json_count(out, "converted", c->converted);
            rpt_json_num(out, "rate", c->rate);
            rpt_json_num(out, "rate_lo", c->rate_lo);
            rpt_json_num(out, "rate_hi", c->rate_hi);

            if (j) {
                rpt_json_num(out, "p_value", c->p_value);
            }

            fputc('}', out);
        }

        fputs("]}", out);
    }

    fputc(']', out);
}


static void
rpt_json_counts(FILE *out, const uint64_t *n, size_t len)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        fprintf(out, i ? ",%llu" : "%llu", (unsigned long long) n[i]);
    }
}


/* Cumulative by day: the days, then per variant the same points. */
static void
rpt_json_trend(FILE *out, const rpt_experiment_t *ex)
{
    size_t                i, d;
    char                  day[RPT_DAY_SIZE];
    const rpt_variant_t  *v;

    fputs(",\"trend\":{\"days\":[", out);

    for (d = 0; d < ex->ndays; d++) {
        fprintf(out, d ? ",\"%s\"" : "\"%s\"",
                rpt_day_str(day, ex->trend_day0 + (int64_t) d));
    }

    fputs("],\"variants\":[", out);

    for (i = 0; i < ex->nvariants; i++) {
        v = &ex->variants[i];
        fputs(i ? ",{" : "{", out);
        rpt_json_name(out, "name", &v->name);
        fputs(",\"exposed\":[", out);
        rpt_json_counts(out, v->trend_exposed, ex->ndays);
        fputs("],\"converted\":[", out);
        rpt_json_counts(out, v->trend_converted, ex->ndays);
        fputs("],\"rate\":[", out);

        for (d = 0; d < ex->ndays; d++) {
            if (d) {
                fputc(',', out);
            }

            rpt_json_double(out, v->trend_exposed[d]
                                 ? (double) v->trend_converted[d]
                                   / v->trend_exposed[d]
                                 : NAN);
        }

        fputs("]}", out);
    }

    fputs("]}", out);
}


static void
rpt_json_experiment(FILE *out, const rpt_result_t *res,
    const rpt_experiment_t *ex)
{
    size_t  i;
    char    ts[RPT_DAY_SIZE];

    fputc('{', out);
    rpt_json_name(out, "name", &ex->name);
    fputs(",\"phase\":", out);

    if (ex->phase.len) {
        rpt_json_str(out, ex->phase.data, ex->phase.len);

    } else {
        fputs("null", out);
    }

    rpt_json_count(out, "phases_pooled", ex->nphases);

    if (ex->nphases > 1) {
        fputs(",\"warning\":\"phases pooled: the weights or variants "
              "changed between them, the sample ratio is not checked\"",
              out);
    }

    fprintf(out, ",\"first_exposure\":\"%s\"",
            rpt_instant_str(ts, ex->first_ts));
    fprintf(out, ",\"last_exposure\":\"%s\"",
            rpt_instant_str(ts, ex->last_ts));
    rpt_json_count(out, "visitors", ex->visitors);
    rpt_json_count(out, "multi_variant_visitors", ex->multi);
    rpt_json_count(out, "conversions_before_exposure", ex->conv_before);
    rpt_json_count(out, "conversions_after_window", ex->conv_after);
    fputs(",\"srm\":{", out);
    fprintf(out, "\"checked\":%s", isnan(ex->srm_p) ? "false" : "true");
    rpt_json_num(out, "chi2", ex->srm_chi2);
    fprintf(out, ",\"df\":%u", ex->srm_df);
    rpt_json_num(out, "p_value", ex->srm_p);
    fprintf(out, ",\"mismatch\":%s}",
            ex->srm_p < RPT_SRM_ALPHA ? "true" : "false");
    fputs(",\"variants\":[", out);

    for (i = 0; i < ex->nvariants; i++) {
        if (i) {
            fputc(',', out);
        }

        rpt_json_variant(out, res, ex, &ex->variants[i], i == 0);
    }

    fputs("],\"breakdowns\":\"exploratory: p-values against the control "
          "of the same row, not corrected for multiple comparisons\"", out);
    rpt_json_rows(out, "segments", ex, ex->segments, ex->nsegments);
    rpt_json_rows(out, "personas", ex, ex->personas, ex->npersonas);
    rpt_json_trend(out, ex);
    fputc('}', out);
}


void
rpt_write_json(FILE *out, const rpt_result_t *res)
{
    size_t               i;
    const rpt_counts_t  *n = &res->counts;

    fputs("{\"filter\":{", out);
    rpt_json_filter(out, "experiment", res->filter.experiment);
    fputc(',', out);
    rpt_json_filter(out, "goal", res->filter.goal);
    fputc(',', out);
    rpt_json_filter(out, "since", res->filter.since);
    fprintf(out, ",\"window_seconds\":%lld",
            (long long) (res->filter.window / 1000));
    fprintf(out, ",\"all_phases\":%s",
            res->filter.all_phases ? "true" : "false");
    fprintf(out, ",\"fixed_horizon\":%s}",
            res->filter.fixed_horizon ? "true" : "false");

    /* what p_value, lift_lo and lift_hi of the variants are */
    if (res->filter.fixed_horizon) {
        fputs(",\"method\":{\"test\":\"z-test\",\"sequential\":false,"
              "\"tau2\":null", out);

    } else {
        fputs(",\"method\":{\"test\":\"mSPRT\",\"sequential\":true", out);
        rpt_json_num(out, "tau2", RPT_SEQ_TAU2);
    }

    rpt_json_num(out, "alpha", RPT_ALPHA);
    fputs(",\"adjustment\":\"holm\"", out);
    rpt_json_num(out, "power", 0.8);
    fputs("},\"lines\":{", out);
    fprintf(out, "\"read\":%llu", (unsigned long long) n->lines);
    rpt_json_count(out, "overlong", n->overlong);
    rpt_json_count(out, "malformed", n->malformed);
    rpt_json_count(out, "other_types", n->other_types);
    rpt_json_count(out, "before_since", n->before_since);
    rpt_json_count(out, "bots", n->bots);
    rpt_json_count(out, "previews", n->previews);
    rpt_json_count(out, "exposures", n->exposures);
    rpt_json_count(out, "anonymous_exposures", n->anonymous);
    rpt_json_count(out, "exposures_outside_experiments", n->single_variant);
    rpt_json_count(out, "exposures_other_experiments", n->other_experiment);
    rpt_json_count(out, "conversions", n->conversions);
    rpt_json_count(out, "anonymous_conversions", n->anonymous_conv);
    rpt_json_count(out, "conversions_without_assignment", n->unattributed);
    rpt_json_count(out, "conversions_other_goals", n->other_goal);
    rpt_json_count(out, "conversions_other_experiments", n->other_exp_conv);
    fputs("},\"experiments\":[", out);

    for (i = 0; i < res->nexperiments; i++) {
        if (i) {
            fputc(',', out);
        }

        rpt_json_experiment(out, res, &res->experiments[i]);
    }

    fputs("]}\n", out);
}
