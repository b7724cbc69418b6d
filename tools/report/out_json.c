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


static void
rpt_json_num(FILE *out, const char *key, double x)
{
    if (isnan(x) || isinf(x)) {
        fprintf(out, ",\"%s\":null", key);

    } else {
        fprintf(out, ",\"%s\":%.10g", key, x);
    }
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
rpt_json_variant(FILE *out, const rpt_variant_t *v, int control)
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
        rpt_json_num(out, "chance_to_beat_control", v->beat);
    }

    fputc('}', out);
}


static void
rpt_json_rows(FILE *out, const char *key, const rpt_experiment_t *ex,
    const rpt_row_t *rows, size_t nrows)
{
    size_t  i, j;

    fprintf(out, ",\"%s\":[", key);

    for (i = 0; i < nrows; i++) {
        fputs(i ? ",{" : "{", out);
        rpt_json_name(out, "name", &rows[i].name);
        fputs(",\"variants\":[", out);

        for (j = 0; j < ex->nvariants; j++) {
            fputs(j ? ",{" : "{", out);
            rpt_json_name(out, "name", &ex->variants[j].name);
            rpt_json_count(out, "exposed", rows[i].exposed[j]);
            rpt_json_count(out, "converted", rows[i].converted[j]);
            rpt_json_num(out, "rate", rows[i].exposed[j]
                         ? (double) rows[i].converted[j] / rows[i].exposed[j]
                         : NAN);
            fputc('}', out);
        }

        fputs("]}", out);
    }

    fputc(']', out);
}


static void
rpt_json_experiment(FILE *out, const rpt_experiment_t *ex)
{
    size_t  i;

    fputc('{', out);
    rpt_json_name(out, "name", &ex->name);
    rpt_json_count(out, "visitors", ex->visitors);
    rpt_json_count(out, "multi_variant_visitors", ex->multi);
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

        rpt_json_variant(out, &ex->variants[i], i == 0);
    }

    fputc(']', out);
    rpt_json_rows(out, "segments", ex, ex->segments, ex->nsegments);
    rpt_json_rows(out, "personas", ex, ex->personas, ex->npersonas);
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
    fputs("},\"lines\":{", out);
    fprintf(out, "\"read\":%llu", (unsigned long long) n->lines);
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

        rpt_json_experiment(out, &res->experiments[i]);
    }

    fputs("]}\n", out);
}
