/*
 * icp-report: formatting of counts, rates, lifts and p-values.  Every
 * function writes into a caller's buffer of RPT_FMT_SIZE bytes and returns
 * it, so several can appear in one printf.
 */

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "report/format.h"


char *
rpt_fmt_count(char *buf, uint64_t n)
{
    char      digits[24];
    int       len, i, j;

    len = snprintf(digits, sizeof(digits), "%llu", (unsigned long long) n);

    for (i = 0, j = 0; i < len; i++) {
        if (i > 0 && (len - i) % 3 == 0) {
            buf[j++] = ',';
        }

        buf[j++] = digits[i];
    }

    buf[j] = '\0';

    return buf;
}


char *
rpt_fmt_rate(char *buf, double x)
{
    if (isnan(x)) {
        snprintf(buf, RPT_FMT_SIZE, "-");

    } else {
        snprintf(buf, RPT_FMT_SIZE, "%.2f%%", x * 100);
    }

    return buf;
}


char *
rpt_fmt_lift(char *buf, double x)
{
    if (isnan(x)) {
        snprintf(buf, RPT_FMT_SIZE, "-");

    } else {
        snprintf(buf, RPT_FMT_SIZE, "%+.1f%%", x * 100);
    }

    return buf;
}


char *
rpt_fmt_p(char *buf, double p)
{
    if (isnan(p)) {
        snprintf(buf, RPT_FMT_SIZE, "-");

    } else if (p < 0.0001) {
        snprintf(buf, RPT_FMT_SIZE, "<0.0001");

    } else {
        snprintf(buf, RPT_FMT_SIZE, "%.4f", p);
    }

    return buf;
}


char *
rpt_fmt_chance(char *buf, double x)
{
    if (isnan(x)) {
        snprintf(buf, RPT_FMT_SIZE, "-");

    } else if (x > 0.999) {
        snprintf(buf, RPT_FMT_SIZE, ">99.9%%");

    } else if (x < 0.001) {
        snprintf(buf, RPT_FMT_SIZE, "<0.1%%");

    } else {
        snprintf(buf, RPT_FMT_SIZE, "%.1f%%", x * 100);
    }

    return buf;
}


char *
rpt_fmt_weight(char *buf, double w)
{
    if (isnan(w)) {
        snprintf(buf, RPT_FMT_SIZE, "-");

    } else {
        snprintf(buf, RPT_FMT_SIZE, "%.4g", w);
    }

    return buf;
}


static char *
rpt_amount(char *buf, double x, const char *plus)
{
    char      digits[RPT_FMT_SIZE];
    double    a;
    uint64_t  whole;

    a = fabs(x);

    if (isnan(x) || a >= 1e15) {
        snprintf(buf, RPT_FMT_SIZE, isnan(x) ? "-" : "%.3g", x);
        return buf;
    }

    /* cents rounded first, so that 0.999 is "1.00", not "0.100" */
    whole = (uint64_t) llround(a * 100);
    snprintf(buf, RPT_FMT_SIZE, "%s%s.%02u",
             x < 0 && whole ? "-" : (whole ? plus : ""),
             rpt_fmt_count(digits, whole / 100), (unsigned) (whole % 100));

    return buf;
}


char *
rpt_fmt_amount(char *buf, double x)
{
    return rpt_amount(buf, x, "");
}


char *
rpt_fmt_amount_diff(char *buf, double x)
{
    return rpt_amount(buf, x, "+");
}


char *
rpt_fmt_needed(char *buf, double x)
{
    if (isnan(x)) {
        snprintf(buf, RPT_FMT_SIZE, "-");

    } else if (isinf(x) || x >= 1e18) {
        snprintf(buf, RPT_FMT_SIZE, "never");

    } else {
        rpt_fmt_count(buf, (uint64_t) x);
    }

    return buf;
}


char *
rpt_fmt_method(char *buf, unsigned fixed_horizon)
{
    if (fixed_horizon) {
        snprintf(buf, RPT_METHOD_SIZE, "Fixed-horizon results (z-test, "
                 "Katz interval): valid for one look at a sample\n  "
                 "size fixed in advance, not for a report read every day.");

    } else {
        snprintf(buf, RPT_METHOD_SIZE, "Sequential results (mSPRT, "
                 "tau^2 = %g): p-values and lift intervals stay\n  "
                 "valid however often the report is read.", RPT_SEQ_TAU2);
    }

    return buf;
}


char *
rpt_fmt_window(char *buf, int64_t ms)
{
    if (ms % RPT_MS_PER_DAY == 0) {
        snprintf(buf, RPT_FMT_SIZE, "%lldd", (long long) (ms / RPT_MS_PER_DAY));

    } else if (ms % 3600000 == 0) {
        snprintf(buf, RPT_FMT_SIZE, "%lldh", (long long) (ms / 3600000));

    } else if (ms % 60000 == 0) {
        snprintf(buf, RPT_FMT_SIZE, "%lldm", (long long) (ms / 60000));

    } else {
        snprintf(buf, RPT_FMT_SIZE, "%llds", (long long) (ms / 1000));
    }

    return buf;
}


size_t
rpt_phases_of(const rpt_result_t *res, size_t i, size_t *rank)
{
    size_t                   first, last;
    const rpt_experiment_t  *e = res->experiments;

    for (first = i;
         first > 0 && e[first - 1].name.len == e[i].name.len
         && memcmp(e[first - 1].name.data, e[i].name.data, e[i].name.len)
            == 0;
         first--)
    {
        /* back to the latest phase */
    }

    for (last = i;
         last + 1 < res->nexperiments && e[last + 1].name.len == e[i].name.len
         && memcmp(e[last + 1].name.data, e[i].name.data, e[i].name.len)
            == 0;
         last++)
    {
        /* on to the earliest */
    }

    *rank = i - first + 1;

    return last - first + 1;
}


const char *
rpt_verdict(double lift, double p_value, uint64_t exposed)
{
    if (exposed == 0) {
        return "no visitors yet";
    }

    if (isnan(p_value)) {
        return "no conversions to compare yet";
    }

    if (p_value >= 0.05) {
        return "no significant difference yet";
    }

    return lift >= 0 ? "better than control (significant at 95%)"
                     : "worse than control (significant at 95%)";
}
