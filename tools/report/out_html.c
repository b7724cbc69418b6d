/*
 * icp-report: the html report, one self-contained page (inline CSS and
 * SVG, no script, nothing fetched) that can be mailed or archived as is.
 */

#include <math.h>
#include <string.h>

#include "report/format.h"
#include "report/report.h"


/* Geometry of the rate chart, in SVG user units. */
#define RPT_SVG_W      1000
#define RPT_SVG_LABEL  170      /* variant names, left of the bars */
#define RPT_SVG_VALUE  250      /* figures, right of the bars */
#define RPT_SVG_BAR    28
#define RPT_SVG_GAP    16
#define RPT_SVG_TOP    8
#define RPT_SVG_AXIS   30
#define RPT_SVG_NAME   20       /* longer names are cut, in bytes */

/* Geometry of the trend chart: the plot, the legend right of it. */
#define RPT_TREND_LEFT  60
#define RPT_TREND_W     700
#define RPT_TREND_TOP   12
#define RPT_TREND_H     260
#define RPT_TREND_AXIS  34


static const char  rpt_css[] =
    "body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,"
    "'Helvetica Neue',Arial,sans-serif;color:#1d2430;background:#f3f4f6;"
    "margin:0;padding:24px}\n"
    "main{max-width:1100px;margin:0 auto}\n"
    "h1{font-size:24px;margin:0 0 4px}\n"
    "h2{font-size:20px;margin:0 0 2px}\n"
    "h3{font-size:15px;margin:18px 0 4px;color:#39414d}\n"
    "section{background:#fff;border-radius:8px;padding:20px 24px;"
    "margin:0 0 24px;box-shadow:0 1px 3px rgba(0,0,0,.12)}\n"
    "table{border-collapse:collapse;width:100%;margin:6px 0}\n"
    "th,td{padding:6px 8px;text-align:right;white-space:nowrap;"
    "border-bottom:1px solid #e4e7eb;font-variant-numeric:tabular-nums}\n"
    "th:first-child,td:first-child{text-align:left}\n"
    "th{font-size:13px;font-weight:600;color:#5b6573;white-space:normal;"
    "vertical-align:bottom}\n"
    "td.name{font-weight:600;white-space:normal;overflow-wrap:anywhere;"
    "min-width:8em}\n"
    ".wide{overflow-x:auto}\n"
    ".muted{color:#5b6573;font-size:13px;margin:0 0 12px}\n"
    ".srm{padding:10px 14px;border-radius:6px;margin:12px 0;"
    "font-weight:600}\n"
    ".ok{background:#e6f4ea;color:#1e6b34}\n"
    ".bad{background:#fde7e7;color:#9f1c1c;border:2px solid #d92d2d;"
    "font-size:17px}\n"
    ".na{background:#eef0f3;color:#5b6573}\n"
    ".up{color:#16803c}.down{color:#b42318}\n"
    ".small{font-size:12px;color:#5b6573}\n"
    "svg text{font:13px system-ui,-apple-system,'Segoe UI',Roboto,Arial,"
    "sans-serif;fill:#1d2430}\n"
    "svg .tick{fill:#5b6573;font-size:12px}\n";


static void
rpt_html_text(FILE *out, const char *s, size_t len)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        switch (s[i]) {
        case '&':  fputs("&amp;", out);  break;
        case '<':  fputs("&lt;", out);   break;
        case '>':  fputs("&gt;", out);   break;
        case '"':  fputs("&quot;", out); break;
        case '\'': fputs("&#39;", out);  break;
        default:
            fputc((unsigned char) s[i] < 0x20 ? '?' : s[i], out);
        }
    }
}


static void
rpt_html_name(FILE *out, const lfr_str_t *s)
{
    rpt_html_text(out, s->data, s->len);
}


/* A name in the chart: cut to fit, whole in its tooltip. */
static void
rpt_svg_name(FILE *out, const lfr_str_t *s)
{
    size_t  len;

    if (s->len <= RPT_SVG_NAME) {
        rpt_html_name(out, s);
        return;
    }

    /* cut before a UTF-8 continuation byte, not inside a character */
    for (len = RPT_SVG_NAME - 1;
         len > 0 && ((unsigned char) s->data[len] & 0xc0) == 0x80;
         len--)
    {
        /* backing up */
    }

    fputs("<title>", out);
    rpt_html_name(out, s);
    fputs("</title>", out);
    rpt_html_text(out, s->data, len);
    fputs("&hellip;", out);
}


static void
rpt_html_summary(FILE *out, const rpt_result_t *res)
{
    const rpt_counts_t  *n = &res->counts;
    char                 b[RPT_FMT_SIZE];

#define rpt_html_count(label, value)                                         \
    if ((value) != 0) {                                                      \
        fprintf(out, "<tr><td>%s</td><td>%s</td></tr>\n", label,             \
                rpt_fmt_count(b, value));                                    \
    }

    fputs("<section><h1>A/B test report</h1>\n<p class=\"muted\">", out);
    fprintf(out, "%s log line%s read &middot; goal: ",
            rpt_fmt_count(b, n->lines), n->lines == 1 ? "" : "s");
    rpt_html_text(out, res->filter.goal ? res->filter.goal : "any",
                  strlen(res->filter.goal ? res->filter.goal : "any"));

    if (res->filter.experiment) {
        fputs(" &middot; experiment: ", out);
        rpt_html_text(out, res->filter.experiment,
                      strlen(res->filter.experiment));
    }

    if (res->filter.since) {
        fputs(" &middot; since: ", out);
        rpt_html_text(out, res->filter.since, strlen(res->filter.since));
    }

    fprintf(out, " &middot; conversion window: %s",
            rpt_fmt_window(b, res->filter.window));

    if (res->filter.all_phases) {
        fputs(" &middot; phases pooled", out);
    }

    fputs("</p>\n<table style=\"width:auto\">\n", out);
    fprintf(out, "<tr><td>exposures counted</td><td>%s</td></tr>\n",
            rpt_fmt_count(b, n->exposures));
    fprintf(out, "<tr><td>conversions counted</td><td>%s</td></tr>\n",
            rpt_fmt_count(b, n->conversions));
    rpt_html_count("lines over 1 MiB, skipped", n->overlong);
    rpt_html_count("malformed lines, skipped", n->malformed);
    rpt_html_count("records of another type", n->other_types);
    rpt_html_count("records before the start date", n->before_since);
    rpt_html_count("bot records", n->bots);
    rpt_html_count("preview records", n->previews);
    rpt_html_count("anonymous exposures (no consent)", n->anonymous);
    rpt_html_count("exposures outside experiments", n->single_variant);
    rpt_html_count("exposures of other experiments", n->other_experiment);
    rpt_html_count("anonymous conversions (no consent)", n->anonymous_conv);
    rpt_html_count("conversions without assignment", n->unattributed);
    rpt_html_count("conversions of other goals", n->other_goal);
    rpt_html_count("conversions of other experiments", n->other_exp_conv);

#undef rpt_html_count

    fputs("</table></section>\n", out);
}


/* A round axis step giving about five ticks up to max. */
static double
rpt_axis_step(double max)
{
    double  step, mag;

    mag = pow(10, floor(log10(max / 5)));
    step = mag;

    if (max / step > 10) {
        step = 2 * mag;
    }

    if (max / step > 10) {
        step = 5 * mag;
    }

    if (max / step > 10) {
        step = 10 * mag;
    }

    return step;
}


static void
rpt_html_chart(FILE *out, const rpt_experiment_t *ex)
{
    size_t                i;
    double                max, step, t, x0, w, scale, y, lo, hi;
    const rpt_variant_t  *v;
    char                  b[3][RPT_FMT_SIZE];
    int                   height, decimals;

    max = 0;

    for (i = 0; i < ex->nvariants; i++) {
        v = &ex->variants[i];

        if (!isnan(v->rate_hi) && v->rate_hi > max) {
            max = v->rate_hi;
        }
    }

    if (max <= 0) {
        max = 0.01;
    }

    step = rpt_axis_step(max);
    max = ceil(max / step) * step;
    decimals = step >= 0.01 ? 0 : (step >= 0.001 ? 1 : 2);
    x0 = RPT_SVG_LABEL;
    w = RPT_SVG_W - RPT_SVG_LABEL - RPT_SVG_VALUE;
    scale = w / max;
    height = RPT_SVG_TOP + (int) ex->nvariants * (RPT_SVG_BAR + RPT_SVG_GAP)
             + RPT_SVG_AXIS;

    fprintf(out, "<svg viewBox=\"0 0 %d %d\" width=\"100%%\" role=\"img\" "
            "aria-label=\"conversion rate by variant\" "
            "xmlns=\"http://www.w3.org/2000/svg\">\n", RPT_SVG_W, height);

    /* grid and axis */
    for (t = 0; t <= max + step / 2; t += step) {
        fprintf(out, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" "
                "stroke=\"#e4e7eb\"/>\n", x0 + t * scale, RPT_SVG_TOP / 2,
                x0 + t * scale, height - RPT_SVG_AXIS + 4);
        fprintf(out, "<text class=\"tick\" x=\"%.1f\" y=\"%d\" "
                "text-anchor=\"middle\">%.*f%%</text>\n", x0 + t * scale,
                height - 8, decimals, t * 100);
    }

    for (i = 0; i < ex->nvariants; i++) {
        v = &ex->variants[i];
        y = RPT_SVG_TOP + i * (RPT_SVG_BAR + RPT_SVG_GAP);

        /* the control's name sits higher, "control" written under it */
        fprintf(out, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" "
                "font-weight=\"600\">", RPT_SVG_LABEL - 12,
                y + ((i == 0 && !(v->name.len == 7
                                  && memcmp(v->name.data, "control", 7) == 0))
                     ? 12 : RPT_SVG_BAR / 2 + 5));
        rpt_svg_name(out, &v->name);
        fputs("</text>\n", out);

        if (i == 0 && !(v->name.len == 7
                        && memcmp(v->name.data, "control", 7) == 0))
        {
            fprintf(out, "<text class=\"tick\" x=\"%d\" y=\"%.1f\" "
                    "text-anchor=\"end\">control</text>\n",
                    RPT_SVG_LABEL - 12, y + RPT_SVG_BAR - 1);
        }

        if (isnan(v->rate)) {
            fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" class=\"tick\">"
                    "no visitors</text>\n", x0 + 6, y + RPT_SVG_BAR / 2 + 5);
            continue;
        }

        fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                "height=\"%d\" rx=\"3\" fill=\"%s\"/>\n", x0, y,
                v->rate * scale, RPT_SVG_BAR, i ? "#4f7fe0" : "#9aa6b8");

        /* the 95% interval as a whisker across the bar's end */
        lo = x0 + v->rate_lo * scale;
        hi = x0 + v->rate_hi * scale;
        fprintf(out, "<g stroke=\"#1d2430\" stroke-width=\"2\">"
                "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
                "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
                "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
                "</g>\n",
                lo, y + RPT_SVG_BAR / 2.0, hi, y + RPT_SVG_BAR / 2.0,
                lo, y + 6.0, lo, y + RPT_SVG_BAR - 6.0,
                hi, y + 6.0, hi, y + RPT_SVG_BAR - 6.0);

        fprintf(out, "<text x=\"%d\" y=\"%.1f\"><tspan font-weight=\"600\">"
                "%s</tspan> <tspan class=\"tick\">[%s, %s]</tspan>",
                RPT_SVG_W - RPT_SVG_VALUE + 12, y + RPT_SVG_BAR / 2 + 5,
                rpt_fmt_rate(b[0], v->rate), rpt_fmt_rate(b[1], v->rate_lo),
                rpt_fmt_rate(b[2], v->rate_hi));

        if (i > 0 && !isnan(v->lift)) {
            fprintf(out, " <tspan fill=\"%s\">%s</tspan>",
                    v->lift >= 0 ? "#16803c" : "#b42318",
                    rpt_fmt_lift(b[0], v->lift));
        }

        fputs("</text>\n", out);
    }

    fputs("</svg>\n<p class=\"small\">Bars: conversion rate of the "
          "visitors exposed to each variant; whiskers: its 95% interval."
          "</p>\n", out);
}


static void
rpt_html_srm(FILE *out, const rpt_experiment_t *ex)
{
    if (isnan(ex->srm_p)) {
        fprintf(out, "<div class=\"srm na\">Sample ratio not checked: %s."
                "</div>\n", ex->visitors ? "no weights in the log"
                                         : "no visitors");

    } else if (ex->srm_p < RPT_SRM_ALPHA) {
        fprintf(out, "<div class=\"srm bad\">&#9888; SAMPLE RATIO MISMATCH "
                "(chi-square %.2f, df %u, p = %.2g). The visitors are not "
                "split as the weights say: find the cause (redirects, bots, "
                "caching, a changed weight) before trusting this result."
                "</div>\n", ex->srm_chi2, ex->srm_df, ex->srm_p);

    } else {
        fprintf(out, "<div class=\"srm ok\">Sample ratio OK: the split "
                "matches the weights (chi-square %.2f, df %u, p = %.2g)."
                "</div>\n", ex->srm_chi2, ex->srm_df, ex->srm_p);
    }
}


static void
rpt_html_variants(FILE *out, const rpt_result_t *res,
    const rpt_experiment_t *ex)
{
    size_t                i;
    unsigned              several;
    const rpt_variant_t  *v;
    char                  b[3][RPT_FMT_SIZE], method[RPT_METHOD_SIZE];

    /* as in the text report: the two columns that say more with two or
     * more variants against the control */
    several = ex->nvariants > 2;

    fprintf(out, "<p class=\"small\">%s</p>\n",
            rpt_fmt_method(method, res->filter.fixed_horizon));
    fputs("<div class=\"wide\"><table>\n<tr><th>variant</th>"
          "<th>weight</th><th>visitors</th>"
          "<th>converted</th><th>rate</th><th>95% interval</th>"
          "<th>lift</th><th>lift 95% interval</th><th>p-value</th>"
          "<th>chance to beat control</th>", out);
    fputs(several ? "<th>Holm p-value</th><th>chance of being best</th>"
                    "</tr>\n"
                  : "</tr>\n", out);

    for (i = 0; i < ex->nvariants; i++) {
        v = &ex->variants[i];

        fputs("<tr><td class=\"name\">", out);
        rpt_html_name(out, &v->name);
        fprintf(out, "</td><td>%s</td>", rpt_fmt_weight(b[0], v->weight));
        fprintf(out, "<td>%s</td>", rpt_fmt_count(b[0], v->exposed));
        fprintf(out, "<td>%s</td>", rpt_fmt_count(b[0], v->converted));
        fprintf(out, "<td>%s</td>", rpt_fmt_rate(b[0], v->rate));
        fprintf(out, isnan(v->rate_lo) ? "<td>-</td>" : "<td>%s &ndash; %s"
                "</td>", rpt_fmt_rate(b[0], v->rate_lo),
                rpt_fmt_rate(b[1], v->rate_hi));

        if (i == 0) {
            fputs("<td class=\"small\">control</td><td></td><td></td>"
                  "<td></td>", out);

        } else {
            fprintf(out, "<td class=\"%s\">%s</td>",
                    isnan(v->lift) ? "" : (v->lift >= 0 ? "up" : "down"),
                    rpt_fmt_lift(b[0], v->lift));
            fprintf(out, isnan(v->lift_lo) ? "<td>-</td>"
                    : "<td>%s &ndash; %s</td>", rpt_fmt_lift(b[0], v->lift_lo),
                    rpt_fmt_lift(b[1], v->lift_hi));
            fprintf(out, "<td>%s</td><td>%s</td>",
                    rpt_fmt_p(b[0], v->p_value),
                    rpt_fmt_chance(b[1], v->beat));
        }

        if (several) {
            fprintf(out, "<td>%s</td><td>%s</td>",
                    i ? rpt_fmt_p(b[0], v->p_holm) : "",
                    rpt_fmt_chance(b[1], v->best));
        }

        fputs("</tr>\n", out);
    }

    fputs("</table></div>\n<p>", out);

    for (i = 1; i < ex->nvariants; i++) {
        v = &ex->variants[i];
        fputs(i > 1 ? "<br><b>" : "<b>", out);
        rpt_html_name(out, &v->name);
        fprintf(out, "</b>: %s", rpt_verdict(v->lift, v->p_holm,
                                              v->exposed));
    }

    fputs("</p>\n", out);
}


/* What the sample can detect, and what it needs for the lift seen. */
static void
rpt_html_power(FILE *out, const rpt_experiment_t *ex)
{
    size_t                i;
    const rpt_variant_t  *v, *c;
    char                  b[4][RPT_FMT_SIZE];

    c = &ex->variants[0];

    fputs("<h3>Power <span class=\"small\">(fixed-horizon z-test, 80% "
          "power, 5% two-sided; visitors of both arms, the split kept)"
          "</span></h3>\n<div class=\"wide\"><table>\n<tr>"
          "<th>variant</th><th>detectable lift</th><th>detectable rate</th>"
          "<th>visitors needed for the lift seen</th><th>still to come</th>"
          "</tr>\n", out);

    for (i = 1; i < ex->nvariants; i++) {
        v = &ex->variants[i];

        fputs("<tr><td class=\"name\">", out);
        rpt_html_name(out, &v->name);
        fprintf(out, "</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td>"
                "</tr>\n", rpt_fmt_lift(b[0], v->power.mde_rel),
                rpt_fmt_rate(b[1], c->rate + v->power.mde_abs),
                rpt_fmt_needed(b[2], ceil(v->power.total_c)
                                     + ceil(v->power.total_v)),
                rpt_fmt_needed(b[3], v->power.more_c + v->power.more_v));
    }

    fputs("</table></div>\n", out);
}


static void
rpt_html_values(FILE *out, const rpt_experiment_t *ex)
{
    size_t                i;
    const rpt_variant_t  *v;
    char                  b[2][RPT_FMT_SIZE];

    fputs("<h3>Value per visitor <span class=\"small\">(sum of the counted "
          "conversions' values, 0 for the visitors who did not convert)"
          "</span></h3>\n<div class=\"wide\"><table>\n<tr><th>variant</th>"
          "<th>value per visitor</th><th>95% interval</th>"
          "<th>difference</th><th>difference 95% interval (Welch)</th>"
          "<th>lift</th><th>p-value (Welch)</th></tr>\n", out);

    for (i = 0; i < ex->nvariants; i++) {
        v = &ex->variants[i];

        fputs("<tr><td class=\"name\">", out);
        rpt_html_name(out, &v->name);
        fprintf(out, "</td><td>%s</td>",
                rpt_fmt_amount(b[0], v->value.n ? v->value.mean : NAN));
        fprintf(out, isnan(v->value_lo) ? "<td>-</td>" : "<td>%s &ndash; %s"
                "</td>", rpt_fmt_amount(b[0], v->value_lo),
                rpt_fmt_amount(b[1], v->value_hi));

        if (i == 0) {
            fputs("<td class=\"small\">control</td><td></td><td></td>"
                  "<td></td></tr>\n", out);
            continue;
        }

        fprintf(out, "<td class=\"%s\">%s</td>",
                isnan(v->value_cmp.diff) ? ""
                : (v->value_cmp.diff >= 0 ? "up" : "down"),
                rpt_fmt_amount_diff(b[0], v->value_cmp.diff));
        fprintf(out, isnan(v->value_cmp.lo) ? "<td>-</td>"
                : "<td>%s &ndash; %s</td>",
                rpt_fmt_amount_diff(b[0], v->value_cmp.lo),
                rpt_fmt_amount_diff(b[1], v->value_cmp.hi));
        fprintf(out, "<td>%s</td><td>%s</td></tr>\n",
                rpt_fmt_lift(b[0], v->value_cmp.lift),
                rpt_fmt_p(b[1], v->value_cmp.p_value));
    }

    fputs("</table></div>\n", out);
}


static void
rpt_html_breakdown(FILE *out, const rpt_experiment_t *ex, const char *what,
    const rpt_row_t *rows, size_t nrows)
{
    size_t             i, j;
    const rpt_cell_t  *c;
    char               b[5][RPT_FMT_SIZE];

    fprintf(out, "<h3>By %s <span class=\"small\">(of the first exposure; "
            "rate, 95%% interval, converted / visitors, p-value against the "
            "row's control)</span></h3>\n<p class=\"small\">Exploratory: the "
            "p-values are not corrected for multiple comparisons; with many "
            "rows, some fall below 0.05 by chance.</p>\n<div class=\"wide\">"
            "<table>\n<tr><th>%s</th>", what, what);

    for (j = 0; j < ex->nvariants; j++) {
        fputs("<th>", out);
        rpt_html_name(out, &ex->variants[j].name);
        fputs("</th>", out);
    }

    fputs("</tr>\n", out);

    for (i = 0; i < nrows; i++) {
        fputs("<tr><td class=\"name\">", out);
        rpt_html_name(out, &rows[i].name);
        fputs("</td>", out);

        for (j = 0; j < ex->nvariants; j++) {
            c = &rows[i].cells[j];
            fprintf(out, "<td>%s <span class=\"small\">", rpt_fmt_rate(b[0],
                    c->rate));

            if (!isnan(c->rate_lo)) {
                fprintf(out, "[%s, %s] ", rpt_fmt_rate(b[1], c->rate_lo),
                        rpt_fmt_rate(b[2], c->rate_hi));
            }

            fprintf(out, "%s / %s", rpt_fmt_count(b[3], c->converted),
                    rpt_fmt_count(b[4], c->exposed));

            if (j) {
                fprintf(out, " &middot; p %s", rpt_fmt_p(b[0], c->p_value));
            }

            fputs("</span></td>", out);
        }

        fputs("</tr>\n", out);
    }

    fputs("</table></div>\n", out);
}


/* Line colours of the trend, the control's first. */
static const char  *rpt_colors[] = {
    "#5b6573", "#2f6fdf", "#e0671f", "#16803c", "#8a3fd1", "#c81e5b"
};


/* The trend's y of a rate. */
#define rpt_trend_y(rate)                                                    \
    (RPT_TREND_TOP + RPT_TREND_H - (rate) / max * RPT_TREND_H)


/*
 * Cumulative conversion rate by day, one line per variant: how the
 * result built up, whether it has settled or is still moving.
 */
static void
rpt_html_trend(FILE *out, const rpt_experiment_t *ex)
{
    size_t                i, d, every, n;
    double                max, step, t, x, dx, rate;
    const rpt_variant_t  *v;
    char                  day[RPT_DAY_SIZE];
    int                   decimals;

    max = 0;

    for (i = 0; i < ex->nvariants; i++) {
        v = &ex->variants[i];

        for (d = 0; d < ex->ndays; d++) {
            if (v->trend_exposed[d]) {
                rate = (double) v->trend_converted[d] / v->trend_exposed[d];
                max = rate > max ? rate : max;
            }
        }
    }

    if (max <= 0) {
        max = 0.01;
    }

    step = rpt_axis_step(max);
    max = ceil(max / step) * step;
    decimals = step >= 0.01 ? 0 : (step >= 0.001 ? 1 : 2);
    dx = ex->ndays > 1 ? (double) RPT_TREND_W / (ex->ndays - 1) : 0;

    fprintf(out, "<h3>Trend <span class=\"small\">(cumulative conversion "
            "rate by day, UTC: the visitors first exposed by the end of the "
            "day, and those of them converted by then)</span></h3>\n"
            "<svg viewBox=\"0 0 %d %d\" width=\"100%%\" role=\"img\" "
            "aria-label=\"cumulative conversion rate by day\" "
            "xmlns=\"http://www.w3.org/2000/svg\">\n", RPT_SVG_W,
            RPT_TREND_TOP + RPT_TREND_H + RPT_TREND_AXIS);

    /* horizontal grid with the rates */
    for (t = 0; t <= max + step / 2; t += step) {
        fprintf(out, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" "
                "stroke=\"#e4e7eb\"/><text class=\"tick\" x=\"%d\" "
                "y=\"%.1f\" text-anchor=\"end\">%.*f%%</text>\n",
                RPT_TREND_LEFT, rpt_trend_y(t), RPT_TREND_LEFT + RPT_TREND_W,
                rpt_trend_y(t), RPT_TREND_LEFT - 8, rpt_trend_y(t) + 4,
                decimals, t * 100);
    }

    /* about eight day labels, the first and the last among them */
    every = (ex->ndays + 7) / 8;

    for (d = 0; d < ex->ndays; d++) {
        /* the last label gets its place, a regular one too close yields */
        if (d != ex->ndays - 1
            && (d % every != 0
                || (d != 0 && ex->ndays - 1 - d < (every + 1) / 2)))
        {
            continue;
        }

        x = RPT_TREND_LEFT + d * dx;
        fprintf(out, "<text class=\"tick\" x=\"%.1f\" y=\"%d\" "
                "text-anchor=\"middle\">%s</text>\n", x,
                RPT_TREND_TOP + RPT_TREND_H + 20,
                rpt_day_str(day, ex->trend_day0 + (int64_t) d) + 5);
    }

    for (i = 0; i < ex->nvariants; i++) {
        v = &ex->variants[i];
        n = 0;

        fprintf(out, "<g fill=\"none\" stroke=\"%s\" stroke-width=\"2.5\">"
                "<title>", rpt_colors[i % 6]);
        rpt_html_name(out, &v->name);
        fputs("</title><polyline points=\"", out);

        /* a day before the variant's first visitor has no rate */
        for (d = 0; d < ex->ndays; d++) {
            if (v->trend_exposed[d]) {
                rate = (double) v->trend_converted[d] / v->trend_exposed[d];
                fprintf(out, n++ ? " %.1f,%.1f" : "%.1f,%.1f",
                        RPT_TREND_LEFT + d * dx, rpt_trend_y(rate));
            }
        }

        fputs("\"/>", out);

        /* the points themselves, when few enough to be told apart */
        for (d = 0; ex->ndays <= 60 && d < ex->ndays; d++) {
            if (v->trend_exposed[d]) {
                rate = (double) v->trend_converted[d] / v->trend_exposed[d];
                fprintf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" "
                        "fill=\"%s\"/>", RPT_TREND_LEFT + d * dx,
                        rpt_trend_y(rate), rpt_colors[i % 6]);
            }
        }

        fputs("</g>\n", out);

        /* the legend, right of the plot */
        fprintf(out, "<rect x=\"%d\" y=\"%d\" width=\"14\" height=\"4\" "
                "fill=\"%s\"/><text x=\"%d\" y=\"%d\">",
                RPT_TREND_LEFT + RPT_TREND_W + 24,
                RPT_TREND_TOP + 8 + (int) i * 22, rpt_colors[i % 6],
                RPT_TREND_LEFT + RPT_TREND_W + 44,
                RPT_TREND_TOP + 14 + (int) i * 22);
        rpt_svg_name(out, &v->name);
        fputs("</text>\n", out);
    }

    fputs("</svg>\n", out);
}


/* The heading of an experiment, or of one of its phases. */
static void
rpt_html_heading(FILE *out, const rpt_result_t *res, size_t i)
{
    size_t                   n, rank;
    char                     d[2][RPT_DAY_SIZE], b[RPT_FMT_SIZE];
    const rpt_experiment_t  *ex = &res->experiments[i];

    fputs("<section>\n<h2>Experiment ", out);
    rpt_html_name(out, &ex->name);

    n = rpt_phases_of(res, i, &rank);

    if (ex->phase.len) {
        fputs(" <span class=\"small\">phase ", out);
        rpt_html_name(out, &ex->phase);

        if (n > 1) {
            fprintf(out, " (%s of %zu phases)",
                    rank == 1 ? "latest" : "earlier", n);
        }

        fputs("</span>", out);
    }

    fprintf(out, "</h2>\n<p class=\"muted\">%s to %s &middot; %s visitors",
            rpt_day_str(d[0], rpt_day_of(ex->first_ts)),
            rpt_day_str(d[1], rpt_day_of(ex->last_ts)),
            rpt_fmt_count(b, ex->visitors));

    if (ex->multi) {
        fprintf(out, " &middot; %s visitors exposed to several variants "
                "excluded", rpt_fmt_count(b, ex->multi));
    }

    if (ex->conv_before || ex->conv_after) {
        fprintf(out, " &middot; conversions not counted: %s before the "
                "visitor's first exposure, ",
                rpt_fmt_count(b, ex->conv_before));
        fprintf(out, "%s after the window",
                rpt_fmt_count(b, ex->conv_after));
    }

    fputs("</p>\n", out);

    if (ex->nphases > 1) {
        fprintf(out, "<div class=\"srm bad\">&#9888; %zu phases pooled "
                "(--all-phases): the weights or variants changed between "
                "them, so visitors of different splits are mixed and the "
                "sample ratio is not checked. Read each phase on its own "
                "first.</div>\n", ex->nphases);
    }
}


void
rpt_write_html(FILE *out, const rpt_result_t *res)
{
    size_t                   i;
    const rpt_experiment_t  *ex;

    fprintf(out, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
            "<meta charset=\"utf-8\">\n<meta name=\"viewport\" "
            "content=\"width=device-width,initial-scale=1\">\n"
            "<title>icp-report</title>\n<style>\n%s</style></head>\n"
            "<body><main>\n", rpt_css);

    rpt_html_summary(out, res);

    if (res->nexperiments == 0) {
        fputs("<section><p>No experiment exposures found.</p></section>\n",
              out);
    }

    for (i = 0; i < res->nexperiments; i++) {
        ex = &res->experiments[i];

        rpt_html_heading(out, res, i);
        rpt_html_srm(out, ex);

        /* every visitor saw several variants: no chart, no breakdown */
        if (ex->visitors) {
            rpt_html_chart(out, ex);
        }

        rpt_html_variants(out, res, ex);

        if (ex->nvariants > 1) {
            rpt_html_power(out, ex);
        }

        if (ex->has_values) {
            rpt_html_values(out, ex);
        }

        if (ex->visitors) {
            rpt_html_trend(out, ex);
            rpt_html_breakdown(out, ex, "segment", ex->segments,
                               ex->nsegments);
            rpt_html_breakdown(out, ex, "persona", ex->personas,
                               ex->npersonas);
        }

        fputs("</section>\n", out);
    }

    fputs("</main></body></html>\n", out);
}
