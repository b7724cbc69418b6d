/*
 * icp-report: the text report, aligned tables meant for a terminal or an
 * e-mail to a marketer.
 */

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/format.h"
#include "report/report.h"


/* A table of strings, filled row by row, printed with aligned columns. */
typedef struct {
    size_t    ncols;
    size_t    ncells;
    size_t    cap;
    char    **cells;
} rpt_table_t;


static void
rpt_table_free(rpt_table_t *t)
{
    size_t  i;

    for (i = 0; i < t->ncells; i++) {
        free(t->cells[i]);
    }

    free(t->cells);
}


/* Control bytes of names become '?': a name cannot drive the terminal. */
static char
rpt_clean(char ch)
{
    return ((unsigned char) ch < 0x20 || ch == 0x7f) ? '?' : ch;
}


static void
rpt_put_name(FILE *out, const lfr_str_t *s)
{
    size_t  i;

    for (i = 0; i < s->len; i++) {
        fputc(rpt_clean(s->data[i]), out);
    }
}


static void
rpt_cell(rpt_table_t *t, const char *s, size_t len)
{
    size_t   i, cap;
    char   **cells, *copy;

    if (t->ncells == t->cap) {
        cap = t->cap ? t->cap * 2 : 64;
        cells = realloc(t->cells, cap * sizeof(char *));

        if (cells == NULL) {
            return;
        }

        t->cells = cells;
        t->cap = cap;
    }

    copy = malloc(len + 1);

    if (copy == NULL) {
        return;
    }

    for (i = 0; i < len; i++) {
        copy[i] = rpt_clean(s[i]);
    }

    copy[len] = '\0';
    t->cells[t->ncells++] = copy;
}


static void
rpt_cellz(rpt_table_t *t, const char *s)
{
    rpt_cell(t, s, strlen(s));
}


/* Display width: UTF-8 continuation bytes take no column. */
static size_t
rpt_width(const char *s)
{
    size_t  w;

    for (w = 0; *s; s++) {
        w += ((unsigned char) *s & 0xc0) != 0x80;
    }

    return w;
}


/*
 * The first column is left-aligned, the others, numbers, right-aligned;
 * empty cells that end a row are not padded, lines carry no trailing blanks.
 */
static void
rpt_table_print(FILE *out, const rpt_table_t *t, const char *indent)
{
    size_t  i, c, w, pad, last, *widths;

    widths = calloc(t->ncols, sizeof(size_t));

    if (widths == NULL) {
        return;
    }

    for (i = 0; i < t->ncells; i++) {
        w = rpt_width(t->cells[i]);

        if (w > widths[i % t->ncols]) {
            widths[i % t->ncols] = w;
        }
    }

    last = 0;

    for (i = 0; i < t->ncells; i++) {
        c = i % t->ncols;

        if (c == 0) {
            /* the last non-empty cell of this row */
            for (last = t->ncols - 1; last > 0; last--) {
                if (i + last < t->ncells && t->cells[i + last][0] != '\0') {
                    break;
                }
            }
        }

        pad = widths[c] - rpt_width(t->cells[i]);

        if (c == 0) {
            fprintf(out, "%s%s%*s", indent, t->cells[i],
                    last > 0 ? (int) pad : 0, "");

        } else if (c <= last) {
            fprintf(out, "  %*s%s", (int) pad, "", t->cells[i]);
        }

        if (c == t->ncols - 1) {
            fputc('\n', out);
        }
    }

    free(widths);
}


static void
rpt_text_summary(FILE *out, const rpt_result_t *res)
{
    const rpt_counts_t  *n = &res->counts;
    rpt_table_t          t = { 2, 0, 0, NULL };
    char                 b[RPT_FMT_SIZE];

#define rpt_row_count(label, value)                                          \
    if ((value) != 0) {                                                      \
        rpt_cellz(&t, label);                                                \
        rpt_cellz(&t, rpt_fmt_count(b, value));                              \
    }

    fprintf(out, "icp-report: %s line%s read", rpt_fmt_count(b, n->lines),
            n->lines == 1 ? "" : "s");

    if (res->filter.experiment) {
        fprintf(out, ", experiment %s", res->filter.experiment);
    }

    fprintf(out, ", goal %s", res->filter.goal ? res->filter.goal : "any");

    if (res->filter.since) {
        fprintf(out, ", since %s", res->filter.since);
    }

    fprintf(out, ", window %s%s\n\n", rpt_fmt_window(b, res->filter.window),
            res->filter.all_phases ? ", phases pooled" : "");

    rpt_cellz(&t, "exposures counted");
    rpt_cellz(&t, rpt_fmt_count(b, n->exposures));
    rpt_cellz(&t, "conversions counted");
    rpt_cellz(&t, rpt_fmt_count(b, n->conversions));
    rpt_row_count("lines over 1 MiB, skipped", n->overlong);
    rpt_row_count("malformed lines, skipped", n->malformed);
    rpt_row_count("records of another type", n->other_types);
    rpt_row_count("records before --since", n->before_since);
    rpt_row_count("bot records", n->bots);
    rpt_row_count("preview records", n->previews);
    rpt_row_count("anonymous exposures (no consent)", n->anonymous);
    rpt_row_count("exposures outside experiments", n->single_variant);
    rpt_row_count("exposures of other experiments", n->other_experiment);
    rpt_row_count("anonymous conversions (no consent)", n->anonymous_conv);
    rpt_row_count("conversions without assignment", n->unattributed);
    rpt_row_count("conversions of other goals", n->other_goal);
    rpt_row_count("conversions of other experiments", n->other_exp_conv);

#undef rpt_row_count

    rpt_table_print(out, &t, "  ");
    rpt_table_free(&t);
}


static void
rpt_text_variants(FILE *out, const rpt_result_t *res,
    const rpt_experiment_t *ex)
{
    size_t                i, ncols;
    unsigned              several;
    const rpt_variant_t  *v;
    rpt_table_t           t = { 0, 0, 0, NULL };
    char                  b[4][RPT_FMT_SIZE], ci[2 * RPT_FMT_SIZE + 8];
    char                  method[RPT_METHOD_SIZE];
    static const char    *head[] = {
        "variant", "weight", "visitors", "converted", "rate", "95% CI",
        "lift", "lift 95% CI", "p-value", "chance to beat control",
        "Holm p", "chance best"
    };

    /* with one variant against the control, Holm's p is the p-value and
     * the chance of being best the chance to beat control */
    several = ex->nvariants > 2;
    ncols = several ? 12 : 10;
    t.ncols = ncols;

    for (i = 0; i < ncols; i++) {
        rpt_cellz(&t, head[i]);
    }

    for (i = 0; i < ex->nvariants; i++) {
        v = &ex->variants[i];

        rpt_cell(&t, v->name.data, v->name.len);
        rpt_cellz(&t, rpt_fmt_weight(b[0], v->weight));
        rpt_cellz(&t, rpt_fmt_count(b[0], v->exposed));
        rpt_cellz(&t, rpt_fmt_count(b[0], v->converted));
        rpt_cellz(&t, rpt_fmt_rate(b[0], v->rate));
        snprintf(ci, sizeof(ci), isnan(v->rate_lo) ? "-" : "[%s, %s]",
                 rpt_fmt_rate(b[0], v->rate_lo),
                 rpt_fmt_rate(b[1], v->rate_hi));
        rpt_cellz(&t, ci);

        if (i == 0) {
            rpt_cellz(&t, "control");
            rpt_cellz(&t, "");
            rpt_cellz(&t, "");
            rpt_cellz(&t, "");

        } else {
            rpt_cellz(&t, rpt_fmt_lift(b[0], v->lift));
            snprintf(ci, sizeof(ci), isnan(v->lift_lo) ? "-" : "[%s, %s]",
                     rpt_fmt_lift(b[0], v->lift_lo),
                     rpt_fmt_lift(b[1], v->lift_hi));
            rpt_cellz(&t, ci);
            rpt_cellz(&t, rpt_fmt_p(b[2], v->p_value));
            rpt_cellz(&t, rpt_fmt_chance(b[3], v->beat));
        }

        if (several) {
            rpt_cellz(&t, i ? rpt_fmt_p(b[0], v->p_holm) : "");
            rpt_cellz(&t, rpt_fmt_chance(b[1], v->best));
        }
    }

    fprintf(out, "  %s\n\n", rpt_fmt_method(method,
                                            res->filter.fixed_horizon));
    rpt_table_print(out, &t, "  ");
    rpt_table_free(&t);

    fputc('\n', out);

    for (i = 1; i < ex->nvariants; i++) {
        v = &ex->variants[i];
        fputs("  ", out);
        rpt_put_name(out, &v->name);
        fprintf(out, ": %s\n", rpt_verdict(v->lift, v->p_holm, v->exposed));
    }
}


/* What the sample can detect, and what it needs for the lift seen. */
static void
rpt_text_power(FILE *out, const rpt_experiment_t *ex)
{
    size_t                i;
    const rpt_variant_t  *v, *c;
    rpt_table_t           t = { 5, 0, 0, NULL };
    char                  b[RPT_FMT_SIZE];
    static const char    *head[] = {
        "variant", "detectable lift", "detectable rate",
        "visitors needed for the lift seen", "still to come"
    };

    c = &ex->variants[0];

    for (i = 0; i < 5; i++) {
        rpt_cellz(&t, head[i]);
    }

    for (i = 1; i < ex->nvariants; i++) {
        v = &ex->variants[i];

        rpt_cell(&t, v->name.data, v->name.len);
        rpt_cellz(&t, rpt_fmt_lift(b, v->power.mde_rel));
        rpt_cellz(&t, rpt_fmt_rate(b, c->rate + v->power.mde_abs));
        rpt_cellz(&t, rpt_fmt_needed(b, ceil(v->power.total_c)
                                        + ceil(v->power.total_v)));
        rpt_cellz(&t, rpt_fmt_needed(b, v->power.more_c + v->power.more_v));
    }

    fputs("\n  Power (fixed-horizon z-test, 80% power, 5% two-sided; "
          "visitors of both arms,\n  the split kept):\n", out);
    rpt_table_print(out, &t, "    ");
    rpt_table_free(&t);
}


static void
rpt_text_srm(FILE *out, const rpt_experiment_t *ex)
{
    if (isnan(ex->srm_p)) {
        fprintf(out, "\n  Sample ratio: not checked (%s)\n",
                ex->visitors ? "no weights in the log"
                             : "no visitors");

    } else if (ex->srm_p < RPT_SRM_ALPHA) {
        fprintf(out, "\n  *** SAMPLE RATIO MISMATCH *** chi-square %.2f, "
                "df %u, p = %.2g\n"
                "  The visitors are not split as the weights say: find the "
                "cause\n  (redirects, bots, caching, a changed weight) "
                "before trusting this result.\n",
                ex->srm_chi2, ex->srm_df, ex->srm_p);

    } else {
        fprintf(out, "\n  Sample ratio: OK (chi-square %.2f, df %u, "
                "p = %.2g)\n", ex->srm_chi2, ex->srm_df, ex->srm_p);
    }
}


/* Mean value per visitor, beside the rates, when conversions had values. */
static void
rpt_text_values(FILE *out, const rpt_experiment_t *ex)
{
    size_t                i;
    const rpt_variant_t  *v;
    rpt_table_t           t = { 7, 0, 0, NULL };
    char                  b[4][RPT_FMT_SIZE], ci[2 * RPT_FMT_SIZE + 8];
    static const char    *head[] = {
        "variant", "value per visitor", "95% CI", "difference",
        "difference 95% CI", "lift", "p-value (Welch)"
    };

    for (i = 0; i < 7; i++) {
        rpt_cellz(&t, head[i]);
    }

    for (i = 0; i < ex->nvariants; i++) {
        v = &ex->variants[i];

        rpt_cell(&t, v->name.data, v->name.len);
        rpt_cellz(&t, rpt_fmt_amount(b[0], v->value.n ? v->value.mean : NAN));
        snprintf(ci, sizeof(ci), isnan(v->value_lo) ? "-" : "[%s, %s]",
                 rpt_fmt_amount(b[0], v->value_lo),
                 rpt_fmt_amount(b[1], v->value_hi));
        rpt_cellz(&t, ci);

        if (i == 0) {
            rpt_cellz(&t, "control");
            rpt_cellz(&t, "");
            rpt_cellz(&t, "");
            rpt_cellz(&t, "");
            continue;
        }

        rpt_cellz(&t, rpt_fmt_amount_diff(b[0], v->value_cmp.diff));
        snprintf(ci, sizeof(ci), isnan(v->value_cmp.lo) ? "-" : "[%s, %s]",
                 rpt_fmt_amount_diff(b[0], v->value_cmp.lo),
                 rpt_fmt_amount_diff(b[1], v->value_cmp.hi));
        rpt_cellz(&t, ci);
        rpt_cellz(&t, rpt_fmt_lift(b[2], v->value_cmp.lift));
        rpt_cellz(&t, rpt_fmt_p(b[3], v->value_cmp.p_value));
    }

    fputs("\n  Value per visitor (sum of the counted conversions' values, "
          "0 for the others):\n", out);
    rpt_table_print(out, &t, "    ");
    rpt_table_free(&t);
}


static void
rpt_text_breakdown(FILE *out, const rpt_experiment_t *ex, const char *what,
    const rpt_row_t *rows, size_t nrows)
{
    size_t             i, j;
    const rpt_cell_t  *c;
    rpt_table_t        t = { 7, 0, 0, NULL };
    char               b[2][RPT_FMT_SIZE], ci[2 * RPT_FMT_SIZE + 8];

    rpt_cellz(&t, what);
    rpt_cellz(&t, "variant");
    rpt_cellz(&t, "visitors");
    rpt_cellz(&t, "converted");
    rpt_cellz(&t, "rate");
    rpt_cellz(&t, "95% CI");
    rpt_cellz(&t, "p-value");

    for (i = 0; i < nrows; i++) {
        for (j = 0; j < ex->nvariants; j++) {
            c = &rows[i].cells[j];

            if (j == 0) {
                rpt_cell(&t, rows[i].name.data, rows[i].name.len);

            } else {
                rpt_cellz(&t, "");
            }

            rpt_cell(&t, ex->variants[j].name.data, ex->variants[j].name.len);
            rpt_cellz(&t, rpt_fmt_count(b[0], c->exposed));
            rpt_cellz(&t, rpt_fmt_count(b[0], c->converted));
            rpt_cellz(&t, rpt_fmt_rate(b[0], c->rate));
            snprintf(ci, sizeof(ci), isnan(c->rate_lo) ? "-" : "[%s, %s]",
                     rpt_fmt_rate(b[0], c->rate_lo),
                     rpt_fmt_rate(b[1], c->rate_hi));
            rpt_cellz(&t, ci);
            rpt_cellz(&t, j ? rpt_fmt_p(b[0], c->p_value) : "");
        }
    }

    fprintf(out, "\n  By %s (of the first exposure; exploratory: p-values "
            "against the row's control,\n  not corrected for multiple "
            "comparisons):\n", what);
    rpt_table_print(out, &t, "    ");
    rpt_table_free(&t);
}


/* "Experiment e1, phase 7fc229e6 (latest of 2), 2026-11-01 .. 2026-11-23" */
static void
rpt_text_heading(FILE *out, const rpt_result_t *res, size_t i)
{
    size_t                   n, rank;
    char                     d[2][RPT_DAY_SIZE], b[RPT_FMT_SIZE];
    const rpt_experiment_t  *ex = &res->experiments[i];

    fputs("\nExperiment ", out);
    rpt_put_name(out, &ex->name);

    n = rpt_phases_of(res, i, &rank);

    if (ex->phase.len) {
        fputs(", phase ", out);
        rpt_put_name(out, &ex->phase);

        if (n > 1) {
            fprintf(out, " (%s of %zu phases)",
                    rank == 1 ? "latest" : "earlier", n);
        }
    }

    fprintf(out, ", %s to %s: %s visitors\n",
            rpt_day_str(d[0], rpt_day_of(ex->first_ts)),
            rpt_day_str(d[1], rpt_day_of(ex->last_ts)),
            rpt_fmt_count(b, ex->visitors));

    if (ex->nphases > 1) {
        fprintf(out, "  WARNING: %zu phases pooled (--all-phases): the "
                "weights or variants changed\n  between them, so visitors "
                "of different splits are mixed and the sample\n  ratio is "
                "not checked.  Read each phase on its own first.\n",
                ex->nphases);
    }

    fputc('\n', out);
}


void
rpt_write_text(FILE *out, const rpt_result_t *res)
{
    size_t                   i;
    const rpt_experiment_t  *ex;
    char                     b[RPT_FMT_SIZE], w[RPT_FMT_SIZE];

    rpt_text_summary(out, res);

    if (res->nexperiments == 0) {
        fprintf(out, "\nNo experiment exposures found.\n");
    }

    for (i = 0; i < res->nexperiments; i++) {
        ex = &res->experiments[i];

        rpt_text_heading(out, res, i);
        rpt_text_variants(out, res, ex);

        if (ex->nvariants > 1) {
            rpt_text_power(out, ex);
        }

        rpt_text_srm(out, ex);

        if (ex->multi) {
            fprintf(out, "  Visitors exposed to several variants, excluded: "
                    "%s\n", rpt_fmt_count(b, ex->multi));
        }

        if (ex->conv_before || ex->conv_after) {
            fprintf(out, "  Conversions not counted: %s before the visitor's "
                    "first exposure, ", rpt_fmt_count(b, ex->conv_before));
            fprintf(out, "%s more than %s after it\n",
                    rpt_fmt_count(b, ex->conv_after),
                    rpt_fmt_window(w, res->filter.window));
        }

        if (ex->has_values) {
            rpt_text_values(out, ex);
        }

        rpt_text_breakdown(out, ex, "segment", ex->segments, ex->nsegments);
        rpt_text_breakdown(out, ex, "persona", ex->personas, ex->npersonas);
    }
}
